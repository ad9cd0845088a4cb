#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "domain/time.hpp"
#include "ports/suppression_repository.hpp"

// Page cursors (CONTRACT §7): opaque to clients, bound to the list and filter they were
// made for (the scope), and tamper-evident: a cursor that was edited, truncated or made
// for another scope does not decode. The check is an integrity tag (SHA-256 of scope and
// position), not a secret: a forged cursor can only name a position in a list the caller
// may read anyway, since every query is scoped to the caller's tenant.
namespace leads::adapters::http::cursor {

std::string encode(std::string_view scope, std::string_view position);
// The position, or nullopt for a cursor this scope did not make.
std::optional<std::string> decode(std::string_view scope, std::string_view cursor);

// A position in a list ordered by (instant, id): "<millis> <id>" under the scope. The id
// is returned as text for the caller to parse (nullopt when it does not).
std::string encode_position(std::string_view scope, domain::Timestamp at, std::string_view id);
std::optional<std::pair<domain::Timestamp, std::string>> decode_position(std::string_view scope,
                                                                         std::string_view cursor);

// The suppression list's cursor: where a newest-first walk stopped.
std::string encode_suppression(const ports::SuppressionPosition& position);
std::optional<ports::SuppressionPosition> decode_suppression(std::string_view cursor);

}  // namespace leads::adapters::http::cursor
