#include "adapters/http/api/json.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "domain/text.hpp"

namespace leads::adapters::http::json {
namespace {

enum class Failure { None, TooDeep, TooManyValues, DuplicateKey, BadUnicode };

// Builds our tree from RapidJSON's events, enforcing the limits as it goes so a hostile
// body costs at most max_values nodes before parsing stops.
class Builder {
  public:
    explicit Builder(const Limits& limits) : limits_(limits) {}

    bool Null() { return add(Value{nullptr}); }
    bool Bool(bool b) { return add(Value{b}); }
    bool Int(int i) { return add(Value{std::int64_t{i}}); }
    bool Uint(unsigned u) { return add(Value{std::int64_t{u}}); }
    bool Int64(std::int64_t i) { return add(Value{i}); }
    bool Uint64(std::uint64_t u) {
        if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return add(Value{static_cast<std::int64_t>(u)});
        }
        return add(Value{static_cast<double>(u)});
    }
    bool Double(double d) { return add(Value{d}); }
    bool RawNumber(const char*, rapidjson::SizeType, bool) { return false; }  // not enabled
    bool String(const char* text, rapidjson::SizeType length, bool /*copy*/) {
        std::string_view s(text, length);
        if (!domain::is_valid_utf8(s)) return fail(Failure::BadUnicode);
        return add(Value{s});
    }
    bool Key(const char* text, rapidjson::SizeType length, bool /*copy*/) {
        std::string_view key(text, length);
        if (!domain::is_valid_utf8(key)) return fail(Failure::BadUnicode);
        stack_.back().key = key;
        return true;
    }
    bool StartObject() { return open(Value{Object{}}); }
    bool EndObject(rapidjson::SizeType) {
        Value done = close();
        if (has_duplicate_key(std::get<Object>(done.data))) return fail(Failure::DuplicateKey);
        return add(std::move(done));
    }
    bool StartArray() { return open(Value{Array{}}); }
    bool EndArray(rapidjson::SizeType) { return add(close()); }

    Failure failure() const { return failure_; }
    Value take_root() { return std::move(root_); }

  private:
    struct Frame {
        Value container;
        std::string_view key;  // the pending key while inside an object
    };

    bool fail(Failure f) {
        failure_ = f;
        return false;
    }

    bool count() {
        if (++values_ > limits_.max_values) return fail(Failure::TooManyValues);
        return true;
    }

    bool open(Value container) {
        if (stack_.size() >= limits_.max_depth) return fail(Failure::TooDeep);
        if (!count()) return false;
        stack_.push_back(Frame{std::move(container), {}});
        return true;
    }

    Value close() {
        Value done = std::move(stack_.back().container);
        stack_.pop_back();
        return done;
    }

    // Containers were counted when opened; scalars are counted here.
    bool add(Value value) {
        const bool container = value.as_array() != nullptr || value.as_object() != nullptr;
        if (!container && !count()) return false;
        if (stack_.empty()) {
            root_ = std::move(value);
            return true;
        }
        Frame& top = stack_.back();
        if (auto* array = std::get_if<Array>(&top.container.data)) {
            array->push_back(std::move(value));
        } else {
            std::get<Object>(top.container.data).push_back(Member{top.key, std::move(value)});
        }
        return true;
    }

    static bool has_duplicate_key(const Object& object) {
        if (object.size() < 2) return false;
        std::vector<std::string_view> keys;
        keys.reserve(object.size());
        for (const auto& member : object) keys.push_back(member.first);
        std::sort(keys.begin(), keys.end());
        return std::adjacent_find(keys.begin(), keys.end()) != keys.end();
    }

    const Limits& limits_;
    std::vector<Frame> stack_;
    Value root_;
    std::size_t values_ = 0;
    Failure failure_ = Failure::None;
};

bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

struct Parser {
    static ParseResult run(std::string_view text, const Limits& limits) {
        auto document = std::make_unique<Document>();
        // In-situ parsing decodes strings in place, so every string_view in the tree
        // points into this buffer. It ends in NULs: one because RapidJSON's stream stops
        // there, three more because RapidJSON 1.1's UTF-8 validation reads a multi-byte
        // sequence's continuation bytes without checking for the end (a body ending in a
        // lead byte read past the buffer; found by the fuzzer).
        constexpr std::size_t kPadding = 4;
        document->buffer_ = std::make_unique<char[]>(text.size() + kPadding);
        char* buffer = document->buffer_.get();
        if (!text.empty()) std::memcpy(buffer, text.data(), text.size());
        std::memset(buffer + text.size(), 0, kPadding);

        Builder builder(limits);
        rapidjson::InsituStringStream stream(buffer);
        rapidjson::Reader reader;
        constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseValidateEncodingFlag |
                                    rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag |
                                    rapidjson::kParseFullPrecisionFlag;
        const rapidjson::ParseResult result = reader.Parse<kFlags>(stream, builder);
        if (result.IsError()) {
            switch (builder.failure()) {
                case Failure::TooDeep:
                    return {nullptr,
                            "The JSON body is nested more than " + std::to_string(limits.max_depth) + " levels deep."};
                case Failure::TooManyValues:
                    return {nullptr, "The JSON body has more than " + std::to_string(limits.max_values) + " values."};
                case Failure::DuplicateKey:
                    return {nullptr, "The JSON body has an object with a duplicate key."};
                case Failure::BadUnicode:
                    return {nullptr, "The JSON body has a string that is not valid Unicode."};
                case Failure::None:
                    break;
            }
            return {nullptr, "The body is not valid JSON (at byte " + std::to_string(result.Offset()) +
                                 "): " + rapidjson::GetParseError_En(result.Code())};
        }
        // Stop-when-done leaves the rest to us: only whitespace may follow the value. The
        // original length counts, so a NUL byte (the stream's end marker) is caught too.
        for (std::size_t i = stream.Tell(); i < text.size(); ++i) {
            if (!is_json_whitespace(text[i])) {
                return {nullptr, "The body is not valid JSON (at byte " + std::to_string(i) +
                                     "): unexpected content after the value."};
            }
        }
        document->root_ = builder.take_root();
        return {std::move(document), {}};
    }
};

ParseResult parse(std::string_view text, const Limits& limits) { return Parser::run(text, limits); }

std::string_view type_name(const Value& value) {
    switch (value.data.index()) {
        case 0:
            return "null";
        case 1:
            return "boolean";
        case 2:
        case 3:
            return "number";
        case 4:
            return "string";
        case 5:
            return "array";
        default:
            return "object";
    }
}

}  // namespace leads::adapters::http::json
