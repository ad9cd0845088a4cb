#include "domain/attributes.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <type_traits>

#include "domain/attribute_rules.hpp"
#include "domain/text.hpp"
#include "domain/utf8.hpp"

namespace leads::domain {

namespace detail {

namespace {

constexpr std::size_t kMaxKeyLength = 64;
// An invalid key is echoed in the issue's field only when it is printable and short.
constexpr std::size_t kMaxEchoedKeyLength = 100;

bool is_key_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_key_char(char c) { return is_key_start(c) || (c >= '0' && c <= '9'); }

std::string entry_field(std::string_view field, std::string_view key) {
    return std::string(field) + "." + std::string(key);
}

// Attribute values are free text (notes, addresses), so tab, line feed and carriage
// return are allowed; every other C0 control, DEL and the C1 controls are rejected.
bool has_forbidden_control(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        const auto decoded = utf8::decode(text, pos);
        const char32_t c = decoded->code_point;
        if (utf8::is_control(c) && c != '\t' && c != '\n' && c != '\r') return true;
        pos += decoded->length;
    }
    return false;
}

}  // namespace

bool check_attribute_key(std::string_view field, std::string_view key, std::vector<FieldIssue>& issues) {
    bool valid = !key.empty() && key.size() <= kMaxKeyLength && is_key_start(key.front());
    for (std::size_t i = 1; valid && i < key.size(); ++i) valid = is_key_char(key[i]);
    if (valid) return true;
    const bool echo =
        !key.empty() && key.size() <= kMaxEchoedKeyLength && is_valid_utf8(key) && !has_control_characters(key);
    issues.push_back({echo ? entry_field(field, key) : std::string(field),
                      "keys must be 1 to 64 letters, digits or underscores, not starting with a digit"});
    return false;
}

void check_attribute_value(std::string_view field, std::string_view key, const AttributeValue& value,
                           std::vector<FieldIssue>& issues) {
    if (const auto* text = std::get_if<std::string>(&value)) {
        if (!is_valid_utf8(*text)) {
            issues.push_back({entry_field(field, key), "must be valid UTF-8"});
        } else if (has_forbidden_control(*text)) {
            issues.push_back({entry_field(field, key), "must not contain control characters"});
        } else if (code_point_count(*text) > kMaxAttributeStringLength) {
            issues.push_back({entry_field(field, key), "must be at most 1024 characters"});
        }
    } else if (const auto* number = std::get_if<double>(&value)) {
        if (!std::isfinite(*number)) issues.push_back({entry_field(field, key), "must be a finite number"});
    }
}

}  // namespace detail

namespace {

// digits d1d2...dn and decimal exponent k: the number is 0.d1d2...dn × 10^k.
std::string place_digits(bool negative, std::string_view digits, int k) {
    std::string text = negative ? "-" : "";
    const auto length = static_cast<int>(digits.size());
    if (k >= length && k <= 21) {  // 1234000.0
        text.append(digits).append(static_cast<std::size_t>(k - length), '0').append(".0");
    } else if (k > 0 && k <= 21) {  // 12.34
        text.append(digits.substr(0, static_cast<std::size_t>(k)))
            .append(".")
            .append(digits.substr(static_cast<std::size_t>(k)));
    } else if (k > -6 && k <= 0) {  // 0.001234
        text.append("0.").append(static_cast<std::size_t>(-k), '0').append(digits);
    } else {  // 1.234e30, 1e-7
        text.append(digits.substr(0, 1));
        if (length > 1) text.append(".").append(digits.substr(1));
        text.append("e").append(std::to_string(k - 1));
    }
    return text;
}

std::string double_text(double number) {
    if (number == 0) return std::signbit(number) ? "-0.0" : "0.0";
    // Shortest round-trip digits in scientific form: "d.ddde±x".
    char buffer[64];
    const auto [end, error] =
        std::to_chars(buffer, buffer + sizeof buffer, std::fabs(number), std::chars_format::scientific);
    if (error != std::errc{}) return {};
    const std::string_view scientific(buffer, static_cast<std::size_t>(end - buffer));
    const std::size_t e = scientific.find('e');
    std::string digits(scientific.substr(0, 1));
    if (e > 2) digits.append(scientific.substr(2, e - 2));
    const int exponent = std::atoi(std::string(scientific.substr(e + 1)).c_str());
    return place_digits(std::signbit(number), digits, exponent + 1);
}

}  // namespace

std::string attribute_text(const AttributeValue& value) {
    return std::visit(
        [](const auto& v) -> std::string {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string>) {
                return v;
            } else if constexpr (std::is_same_v<T, bool>) {
                return v ? "true" : "false";
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                return std::to_string(v);
            } else {
                return double_text(v);
            }
        },
        value);
}

Result<Attributes> validate_attributes(std::string_view field, Attributes attributes) {
    std::vector<FieldIssue> issues;
    if (attributes.size() > kMaxAttributeKeys) issues.push_back({std::string(field), "must have at most 64 keys"});
    for (const auto& [key, value] : attributes) {
        if (detail::check_attribute_key(field, key, issues)) detail::check_attribute_value(field, key, value, issues);
    }
    if (!issues.empty()) return Error::validation(std::move(issues));
    return attributes;
}

Result<void> validate_attribute_key(std::string_view field, std::string_view key) {
    std::vector<FieldIssue> issues;
    if (!detail::check_attribute_key(field, key, issues)) return Error::validation(std::move(issues));
    return {};
}

Result<Attributes> merge_attributes(std::string_view field, const Attributes& current, const AttributePatch& patch) {
    Attributes merged = current;
    for (const auto& [key, value] : patch) {
        if (value) {
            merged.insert_or_assign(key, *value);
        } else {
            merged.erase(key);
        }
    }
    return validate_attributes(field, std::move(merged));
}

}  // namespace leads::domain
