#include "adapters/webhooks/signature.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace leads::adapters::webhooks {

namespace {

// Keys shorter than this are weak; longer ones are still accepted from other systems'
// secrets up to 64 bytes (the spec recommends 24 to 64).
constexpr std::size_t kMinKeyBytes = 24;
constexpr std::size_t kMaxKeyBytes = 64;

}  // namespace

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

std::optional<std::string> unbase64(std::string_view text) {
    // EVP_DecodeBlock takes whole quanta only and counts the padding as zero bytes.
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
    for (std::size_t i = 0; i + padding < text.size(); ++i) {
        if (text[i] == '=') return std::nullopt;  // padding in the middle
    }
    std::string out(3 * text.size() / 4, '\0');
    const int written =
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                        reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (written < 0) return std::nullopt;
    out.resize(static_cast<std::size_t>(written) - padding);
    return out;
}

std::string make_secret(const std::array<std::uint8_t, kKeyBytes>& key) {
    return std::string(kSecretPrefix) + base64(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
}

std::optional<std::string> secret_key(std::string_view secret) {
    if (!secret.starts_with(kSecretPrefix)) return std::nullopt;
    auto key = unbase64(secret.substr(kSecretPrefix.size()));
    if (!key || key->size() < kMinKeyBytes || key->size() > kMaxKeyBytes) return std::nullopt;
    return key;
}

std::string sign(std::string_view key, std::string_view message_id, std::int64_t timestamp, std::string_view body) {
    std::string content;
    content.reserve(message_id.size() + body.size() + 24);
    content.append(message_id).append(".").append(std::to_string(timestamp)).append(".").append(body);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(content.data()),
         content.size(), digest, &length);
    return "v1," + base64(std::string_view(reinterpret_cast<const char*>(digest), length));
}

std::string signature_header(const std::vector<std::string>& keys, std::string_view message_id, std::int64_t timestamp,
                             std::string_view body) {
    std::string header;
    for (const auto& key : keys) {
        if (!header.empty()) header.push_back(' ');
        header += sign(key, message_id, timestamp, body);
    }
    return header;
}

}  // namespace leads::adapters::webhooks
