#pragma once

#include <string>
#include <string_view>

#include "domain/attributes.hpp"
#include "domain/result.hpp"

// The JSON text the SQL adapters store attributes and activity data as. RapidJSON stays
// inside json_codec.cpp.
namespace leads::adapters::sql {

// A flat JSON object; integers stay integers and doubles keep a fraction or exponent, so
// the two round-trip apart. Internal for a non-finite number (the domain never has one).
domain::Result<std::string> encode_attributes(const domain::Attributes& attributes);

// The inverse of encode_attributes. Internal for anything that is not a flat object of
// strings, numbers and booleans (the database was edited by hand, or is corrupt).
domain::Result<domain::Attributes> decode_attributes(std::string_view json);

}  // namespace leads::adapters::sql
