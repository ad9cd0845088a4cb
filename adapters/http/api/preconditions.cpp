#include "adapters/http/api/preconditions.hpp"

#include <charconv>
#include <optional>
#include <vector>

#include "adapters/http/text.hpp"

namespace leads::adapters::http {
namespace {

bool is_etag_char(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte == 0x21 || (byte >= 0x23 && byte <= 0x7E) || byte >= 0x80;
}

struct EntityTag {
    bool weak = false;
    std::string_view opaque;  // between the quotes
};

// #entity-tag (RFC 9110 §8.8.3, list syntax of §5.6.1); nullopt when malformed.
std::optional<std::vector<EntityTag>> parse_entity_tags(std::string_view text) {
    std::vector<EntityTag> tags;
    std::size_t i = 0;
    while (true) {
        // Empty list elements (",,") are allowed by the list syntax.
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == ',')) ++i;
        if (i == text.size()) break;
        EntityTag tag;
        if (text.substr(i, 2) == "W/") {
            tag.weak = true;
            i += 2;
        }
        if (i >= text.size() || text[i] != '"') return std::nullopt;
        std::size_t end = i + 1;
        while (end < text.size() && text[end] != '"') {
            if (!is_etag_char(text[end])) return std::nullopt;
            ++end;
        }
        if (end == text.size()) return std::nullopt;
        tag.opaque = text.substr(i + 1, end - i - 1);
        tags.push_back(tag);
        i = end + 1;
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
        if (i < text.size() && text[i] != ',') return std::nullopt;
    }
    return tags;
}

// The version an opaque tag of ours names: canonical decimal digits only.
std::optional<std::int64_t> version_of(std::string_view opaque) {
    if (opaque.empty() || (opaque.size() > 1 && opaque.front() == '0')) return std::nullopt;
    std::int64_t version = 0;
    const auto [end, error] = std::from_chars(opaque.data(), opaque.data() + opaque.size(), version);
    if (error != std::errc{} || end != opaque.data() + opaque.size()) return std::nullopt;
    return version;
}

}  // namespace

std::string etag(std::int64_t version) {
    // Built in steps: GCC 12 reports a false -Wrestrict for "\"" + std::string + "\"".
    std::string tag(1, '"');
    tag += std::to_string(version);
    tag += '"';
    return tag;
}

ports::VersionCondition if_match_condition(std::string_view header) {
    ports::VersionCondition condition;
    const std::string_view value = trim_ows(header);
    if (value == "*") {
        condition.any = true;
        return condition;
    }
    const auto tags = parse_entity_tags(value);
    if (!tags) return condition;
    for (const EntityTag& tag : *tags) {
        if (tag.weak) continue;
        if (const auto version = version_of(tag.opaque)) condition.versions.push_back(*version);
    }
    return condition;
}

}  // namespace leads::adapters::http
