#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// A small, strict JSON reader for request bodies and token parts. RapidJSON does the
// parsing (in .cpp only); the tree built from its events is our own, so no caller ever
// touches a rapidjson::Value (whose scalar comparisons recurse in 1.1).
namespace leads::adapters::http::json {

struct Value;
struct Member;
using Array = std::vector<Value>;
using Object = std::vector<Member>;

// Integers that fit in int64 are kept as such; every other number is a double.
struct Value {
    std::variant<std::nullptr_t, bool, std::int64_t, double, std::string_view, Array, Object> data;

    bool is_null() const { return std::holds_alternative<std::nullptr_t>(data); }
    const bool* as_bool() const { return std::get_if<bool>(&data); }
    const std::int64_t* as_int() const { return std::get_if<std::int64_t>(&data); }
    const double* as_double() const { return std::get_if<double>(&data); }
    const std::string_view* as_string() const { return std::get_if<std::string_view>(&data); }
    const Array* as_array() const { return std::get_if<Array>(&data); }
    const Object* as_object() const { return std::get_if<Object>(&data); }
};

// A plain struct rather than std::pair: pair's conditionally explicit constructors make
// clang 14 + libstdc++ 12 recurse on the incomplete Value.
struct Member {
    std::string_view first;  // the key; points into the Document
    Value second;
};

struct Limits {
    std::size_t max_depth = 32;        // nesting of arrays and objects; the root object is 1
    std::size_t max_values = 100'000;  // every value, container or scalar, counts once
};

// A parsed document. Strings point into its own copy of the input, so it must outlive
// every string_view taken from it (it is move-only; moving keeps them valid).
class Document {
  public:
    const Value& root() const { return root_; }

  private:
    friend struct Parser;
    std::unique_ptr<char[]> buffer_;
    Value root_;
};

struct ParseResult {
    std::unique_ptr<Document> document;  // null on failure
    std::string error;                   // why, for the client: no input bytes echoed
};

// Strict RFC 8259: valid UTF-8 (also after \u escapes), no trailing content, no
// duplicate keys in any object, within the limits.
ParseResult parse(std::string_view text, const Limits& limits = {});

// The JSON type name for messages: "null", "boolean", "number", "string", "array", "object".
std::string_view type_name(const Value& value);

}  // namespace leads::adapters::http::json
