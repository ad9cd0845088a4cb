#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Standard Webhooks 1.0 (https://www.standardwebhooks.com): an endpoint's secret is
// "whsec_" + base64 of its key; a delivery is signed "v1," + base64 of HMAC-SHA256 over
// "{webhook-id}.{webhook-timestamp}.{body}" keyed with the decoded key.
namespace leads::adapters::webhooks {

inline constexpr std::string_view kSecretPrefix = "whsec_";
inline constexpr std::size_t kKeyBytes = 32;

// A new secret from kKeyBytes random bytes (the caller's entropy source).
std::string make_secret(const std::array<std::uint8_t, kKeyBytes>& key);

// The key of a secret, or nullopt when it is not "whsec_" + valid base64 of 24–64 bytes.
std::optional<std::string> secret_key(std::string_view secret);

// "v1,<base64 signature>" for one key.
std::string sign(std::string_view key, std::string_view message_id, std::int64_t timestamp, std::string_view body);

// The webhook-signature header: one "v1,…" per key, space-separated (after a rotation the
// previous secret still signs, so receivers holding either verify).
std::string signature_header(const std::vector<std::string>& keys, std::string_view message_id, std::int64_t timestamp,
                             std::string_view body);

// Base64 (RFC 4648 §4, with padding), the encoding the spec uses for keys and signatures.
std::string base64(std::string_view bytes);
std::optional<std::string> unbase64(std::string_view text);

}  // namespace leads::adapters::webhooks
