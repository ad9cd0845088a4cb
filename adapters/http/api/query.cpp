#include "adapters/http/api/query.hpp"

#include <algorithm>
#include <charconv>

#include "adapters/http/text.hpp"
#include "domain/text.hpp"

namespace leads::adapters::http {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int high = hex_value(text[i + 1]);
            const int low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out.push_back(static_cast<char>(high * 16 + low));
            i += 2;
        } else if (c == '+' && plus_as_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    if (!domain::is_valid_utf8(out)) return std::nullopt;
    return out;
}

std::optional<std::vector<std::string>> split_path(std::string_view path) {
    std::vector<std::string> segments;
    if (path.empty() || path.front() != '/') return std::nullopt;
    path.remove_prefix(1);
    while (true) {
        const std::size_t slash = path.find('/');
        auto segment = percent_decode(path.substr(0, slash), false);
        if (!segment) return std::nullopt;
        segments.push_back(std::move(*segment));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return segments;
}

std::optional<std::int64_t> parse_int64(std::string_view text) {
    if (text.empty() || text.front() == '+') return std::nullopt;
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

QueryParameters QueryParameters::parse(std::string_view query, std::initializer_list<std::string_view> allowed) {
    QueryParameters result;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view part = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (part.empty()) continue;  // "a=1&&b=2" and a trailing "&" are harmless

        const std::size_t eq = part.find('=');
        auto name = percent_decode(part.substr(0, eq), true);
        if (!name) {
            result.report("query", "a parameter name is not valid percent-encoded UTF-8");
            continue;
        }
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1), true);
        // An allowed name ending in "." admits a family: "attributes." admits "attributes.title".
        const auto admits = [&](std::string_view pattern) {
            if (!pattern.ends_with('.')) return pattern == *name;
            return name->size() > pattern.size() && std::string_view(*name).starts_with(pattern);
        };
        if (std::none_of(allowed.begin(), allowed.end(), admits)) {
            result.report(echo_name(*name), "unknown query parameter");
            continue;
        }
        if (!value) {
            result.report(*name, "is not valid percent-encoded UTF-8");
            continue;
        }
        const bool duplicate = std::any_of(result.parameters_.begin(), result.parameters_.end(),
                                           [&](const Parameter& p) { return p.name == *name; });
        if (duplicate) {
            // Which one would win is a guess; refusing is the only unsurprising answer.
            result.report(*name, "must not be given more than once");
            continue;
        }
        result.parameters_.push_back({std::move(*name), std::move(*value)});
    }
    return result;
}

void QueryParameters::report(std::string field, std::string issue) {
    domain::FieldIssue entry{std::move(field), std::move(issue)};
    if (std::find(issues_.begin(), issues_.end(), entry) == issues_.end()) issues_.push_back(std::move(entry));
}

std::optional<std::string> QueryParameters::text(std::string_view name) const {
    for (const auto& p : parameters_) {
        if (p.name == name) return p.value;
    }
    return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> QueryParameters::family(std::string_view prefix) const {
    std::vector<std::pair<std::string, std::string>> members;
    for (const auto& p : parameters_) {
        if (p.name.size() > prefix.size() && p.name.starts_with(prefix)) {
            members.emplace_back(p.name.substr(prefix.size()), p.value);
        }
    }
    return members;
}

std::optional<std::int64_t> QueryParameters::integer(std::string_view name) {
    auto raw = text(name);
    if (!raw) return std::nullopt;
    auto value = parse_int64(*raw);
    if (!value) report(std::string(name), "must be an integer");
    return value;
}

bool is_json_media_type(std::string_view content_type, bool merge_patch) {
    const std::size_t semicolon = content_type.find(';');
    const std::string_view type = trim_ows(content_type.substr(0, semicolon));
    if (!iequals(type, "application/json") && !(merge_patch && iequals(type, "application/merge-patch+json"))) {
        return false;
    }
    std::string_view rest =
        semicolon == std::string_view::npos ? std::string_view{} : content_type.substr(semicolon + 1);
    while (!rest.empty()) {
        const std::size_t next = rest.find(';');
        const std::string_view parameter = trim_ows(rest.substr(0, next));
        rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 1);
        const std::size_t eq = parameter.find('=');
        if (eq == std::string_view::npos) {
            if (parameter.empty()) continue;
            return false;
        }
        if (iequals(trim_ows(parameter.substr(0, eq)), "charset")) {
            std::string_view charset = trim_ows(parameter.substr(eq + 1));
            if (charset.size() >= 2 && charset.front() == '"' && charset.back() == '"') {
                charset = charset.substr(1, charset.size() - 2);
            }
            // JSON is UTF-8 (RFC 8259 §8.1); a body declared otherwise is not ours to guess.
            if (!iequals(charset, "utf-8") && !iequals(charset, "utf8")) return false;
        }
    }
    return true;
}

}  // namespace leads::adapters::http
