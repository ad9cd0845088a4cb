#include "adapters/http/text.hpp"

#include <algorithm>
#include <cstdint>

namespace leads::adapters::http {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_ows(char c) { return c == ' ' || c == '\t'; }

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string ascii_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

std::string_view trim_ows(std::string_view text) {
    while (!text.empty() && is_ows(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_ows(text.back())) text.remove_suffix(1);
    return text;
}

std::string echo_name(std::string_view name) {
    constexpr std::size_t kMax = 64;
    if (name.size() <= kMax) return std::string(name);
    std::size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;  // code point boundary
    return std::string(name.substr(0, cut)) + "...";
}

std::string_view origin_form(std::string_view target) {
    std::size_t authority = 0;
    if (iequals(target.substr(0, 7), "http://")) {
        authority = 7;
    } else if (iequals(target.substr(0, 8), "https://")) {
        authority = 8;
    } else {
        return target;
    }
    const std::size_t path = target.find_first_of("/?", authority);
    return path == std::string_view::npos ? std::string_view("/") : target.substr(path);
}

namespace {

int base64url_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (char c : text) {
        const int v = base64url_value(c);
        if (v < 0) return std::nullopt;
        bits = (bits << 6) | static_cast<std::uint32_t>(v);
        bit_count += 6;
        if (bit_count >= 8) {
            bit_count -= 8;
            out.push_back(static_cast<char>((bits >> bit_count) & 0xFFu));
        }
    }
    if ((bits & ((1u << bit_count) - 1u)) != 0) return std::nullopt;
    return out;
}

bool is_base64url_char(char c) { return base64url_value(c) >= 0; }

std::string base64url_encode(std::string_view bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (const char c : bytes) {
        bits = (bits << 8) | static_cast<unsigned char>(c);
        bit_count += 8;
        while (bit_count >= 6) {
            bit_count -= 6;
            out.push_back(kAlphabet[(bits >> bit_count) & 0x3Fu]);
        }
    }
    if (bit_count > 0) out.push_back(kAlphabet[(bits << (6 - bit_count)) & 0x3Fu]);
    return out;
}

}  // namespace leads::adapters::http
