#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "domain/result.hpp"

namespace leads::domain {

// Integers and doubles are kept apart so that 12 round-trips as 12, not 12.0.
using AttributeValue = std::variant<std::string, std::int64_t, double, bool>;
using Attributes = std::map<std::string, AttributeValue, std::less<>>;
// JSON Merge Patch of a flat object: a key mapped to nullopt is removed.
using AttributePatch = std::map<std::string, std::optional<AttributeValue>, std::less<>>;

inline constexpr std::size_t kMaxAttributeKeys = 64;
inline constexpr std::size_t kMaxAttributeStringLength = 1024;

// Keys ^[A-Za-z_][A-Za-z0-9_]{0,63}$, at most 64 of them; string values valid UTF-8 of at
// most 1024 code points; numbers finite. Issues name "<field>.<key>".
Result<Attributes> validate_attributes(std::string_view field, Attributes attributes);

// A key as validate_attributes accepts it; the issue names "<field>.<key>".
Result<void> validate_attribute_key(std::string_view field, std::string_view key);

// Applies the patch, then validates the result as above.
Result<Attributes> merge_attributes(std::string_view field, const Attributes& current, const AttributePatch& patch);

// The value written as text, as the API's JSON writes it: a string as it is, true/false,
// an integer in decimal, a double in its shortest round-trip digits, positional ("12.0",
// "0.001") up to 21 integer digits and down to 1e-6, else "1.5e30" / "1e-7". Attribute
// list filters (CONTRACT §7) compare this text.
std::string attribute_text(const AttributeValue& value);

}  // namespace leads::domain
