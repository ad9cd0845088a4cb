#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/result.hpp"

// The parts of a request that are not the body: path segments, the query string, the
// media type. Pure functions, so the fuzzer and the tests reach them directly.
namespace leads::adapters::http {

// Decodes %XX escapes (and '+' as a space when plus_as_space, as HTML forms do in query
// strings). nullopt for a malformed escape or a result that is not valid UTF-8.
std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space);

// Splits "/a/b%2Fc" into decoded segments {"a", "b/c"}; nullopt when a segment cannot be
// decoded. A trailing slash gives a trailing empty segment.
std::optional<std::vector<std::string>> split_path(std::string_view path);

// Decimal integer, optional leading '-', no spaces, no '+', within int64.
std::optional<std::int64_t> parse_int64(std::string_view text);

// The query parameters of one request, checked against the names a route accepts:
// every unknown name, duplicate name and undecodable part becomes an issue. An allowed name
// ending in "." admits every longer name it begins (a family, e.g. "attributes.").
class QueryParameters {
  public:
    static QueryParameters parse(std::string_view query, std::initializer_list<std::string_view> allowed);

    const std::vector<domain::FieldIssue>& issues() const { return issues_; }
    std::optional<std::string> text(std::string_view name) const;
    // The members of a family, in request order: (name without the prefix, value).
    std::vector<std::pair<std::string, std::string>> family(std::string_view prefix) const;
    // Absent: nullopt; present but not an integer: an issue naming the parameter.
    std::optional<std::int64_t> integer(std::string_view name);

  private:
    void report(std::string field, std::string issue);  // once per (field, issue)

    struct Parameter {
        std::string name;
        std::string value;
    };
    std::vector<Parameter> parameters_;
    std::vector<domain::FieldIssue> issues_;
};

// "application/json" with optional parameters (case-insensitive); a charset parameter
// must be utf-8. With merge_patch, "application/merge-patch+json" (RFC 7396) is also fine.
bool is_json_media_type(std::string_view content_type, bool merge_patch = false);

}  // namespace leads::adapters::http
