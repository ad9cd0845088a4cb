#include "adapters/http/text.hpp"

#include <algorithm>

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

}  // namespace leads::adapters::http
