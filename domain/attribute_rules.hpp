#pragma once

#include <string_view>
#include <vector>

#include "domain/attributes.hpp"
#include "domain/result.hpp"

// Private to domain/: the per-entry attribute rules, shared by validate_attributes and the
// validation of a merge patch (whose key count is only checked once merged).
namespace leads::domain::detail {

// Appends an issue and returns false when the key breaks ^[A-Za-z_][A-Za-z0-9_]{0,63}$.
bool check_attribute_key(std::string_view field, std::string_view key, std::vector<FieldIssue>& issues);

void check_attribute_value(std::string_view field, std::string_view key, const AttributeValue& value,
                           std::vector<FieldIssue>& issues);

}  // namespace leads::domain::detail
