#include "domain/email.hpp"

#include "domain/text.hpp"
#include "domain/utf8.hpp"

namespace leads::domain {

namespace {

constexpr std::size_t kMaxEmailLength = 254;
constexpr std::size_t kMaxLocalLength = 64;
constexpr std::size_t kMaxLabelLength = 63;

bool is_space(char32_t c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool is_label_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

Error invalid(std::string issue) { return Error::validation("email", std::move(issue)); }

std::optional<std::string> check_domain(std::string_view domain) {
    if (domain.empty()) return "must have a domain after the @";
    if (domain.find('.') == std::string_view::npos) return "must have a domain with at least one dot";
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = domain.find('.', start);
        const std::string_view label = domain.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (label.empty()) return "must not have an empty label in the domain";
        if (label.size() > kMaxLabelLength) return "must not have a domain label longer than 63 characters";
        for (char c : label) {
            if (!is_label_char(c)) return "must have a domain of letters, digits, hyphens and dots";
        }
        if (label.front() == '-' || label.back() == '-')
            return "must not have a domain label starting or ending with a hyphen";
        if (dot == std::string_view::npos) return std::nullopt;
        start = dot + 1;
    }
}

}  // namespace

Result<Email> Email::parse(std::string_view raw) {
    const std::string_view trimmed = trim(raw);
    if (trimmed.empty()) return invalid("must not be empty");
    if (!is_valid_utf8(trimmed)) return invalid("must be valid UTF-8");
    std::string value(trimmed);
    for (char& c : value) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    for (std::size_t pos = 0; pos < value.size();) {
        const auto decoded = utf8::decode(value, pos);
        if (utf8::is_control(decoded->code_point)) return invalid("must not contain control characters");
        if (is_space(decoded->code_point)) return invalid("must not contain whitespace");
        pos += decoded->length;
    }
    if (code_point_count(value) > kMaxEmailLength) return invalid("must be at most 254 characters");
    const std::size_t at = value.find('@');
    if (at == std::string::npos) return invalid("must contain an @");
    if (value.find('@', at + 1) != std::string::npos) return invalid("must contain exactly one @");
    const std::string_view local = std::string_view(value).substr(0, at);
    if (local.empty()) return invalid("must have a local part before the @");
    if (code_point_count(local) > kMaxLocalLength) return invalid("must have a local part of at most 64 characters");
    if (auto issue = check_domain(std::string_view(value).substr(at + 1))) return invalid(std::move(*issue));
    return Email(std::move(value));
}

}  // namespace leads::domain
