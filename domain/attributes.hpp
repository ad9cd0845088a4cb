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

// Applies the patch, then validates the result as above.
Result<Attributes> merge_attributes(std::string_view field, const Attributes& current, const AttributePatch& patch);

}  // namespace leads::domain
