#include "adapters/http/api/cursor.hpp"

#include <openssl/sha.h>

#include <array>
#include <chrono>
#include <string>

#include "adapters/http/api/query.hpp"
#include "adapters/http/text.hpp"

namespace leads::adapters::http::cursor {
namespace {

// Bytes of SHA-256 kept as the tag: enough that a random edit is caught.
constexpr std::size_t kTagBytes = 12;
constexpr std::string_view kVersion = "v1";

std::string tag(std::string_view scope, std::string_view position) {
    // Length-prefixed parts, so that no two (scope, position) pairs hash the same text.
    std::string text = "leads-cursor/";
    text.append(kVersion).append("\n").append(std::to_string(scope.size())).append(":").append(scope);
    text.append(std::to_string(position.size())).append(":").append(position);
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), kTagBytes));
}

constexpr std::string_view kSuppressionScope = "suppressions";

}  // namespace

std::string encode(std::string_view scope, std::string_view position) {
    return base64url_encode(position) + "." + tag(scope, position);
}

std::optional<std::string> decode(std::string_view scope, std::string_view cursor) {
    const std::size_t dot = cursor.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    auto position = base64url_decode(cursor.substr(0, dot));
    if (!position) return std::nullopt;
    // Both sides are public, so a plain comparison leaks nothing worth a constant-time one.
    if (cursor.substr(dot + 1) != tag(scope, *position)) return std::nullopt;
    return position;
}

std::string encode_position(std::string_view scope, domain::Timestamp at, std::string_view id) {
    std::string position = std::to_string(at.time_since_epoch().count());
    return encode(scope, position.append(" ").append(id));
}

std::optional<std::pair<domain::Timestamp, std::string>> decode_position(std::string_view scope,
                                                                         std::string_view cursor) {
    const auto position = decode(scope, cursor);
    if (!position) return std::nullopt;
    const std::size_t space = position->find(' ');
    if (space == std::string::npos) return std::nullopt;
    const auto millis = parse_int64(std::string_view(*position).substr(0, space));
    if (!millis) return std::nullopt;
    return std::pair{domain::Timestamp{std::chrono::milliseconds{*millis}}, position->substr(space + 1)};
}

std::string encode_suppression(const ports::SuppressionPosition& position) {
    return encode_position(kSuppressionScope, position.created_at, position.id.value());
}

std::optional<ports::SuppressionPosition> decode_suppression(std::string_view cursor) {
    auto position = decode_position(kSuppressionScope, cursor);
    if (!position) return std::nullopt;
    auto id = domain::SuppressionId::parse(position->second);
    if (!id) return std::nullopt;
    return ports::SuppressionPosition{position->first, std::move(*id)};
}

}  // namespace leads::adapters::http::cursor
