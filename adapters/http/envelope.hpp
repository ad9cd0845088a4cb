#pragma once

#include <string_view>
#include <vector>

#include "adapters/http/message.hpp"
#include "domain/result.hpp"

// The error envelope of CONTRACT §2, and the one place a domain error kind becomes an
// HTTP status.
namespace leads::adapters::http {

// {"success": false, "error": {"code", "message", "details": [{"field", "issue"}...]}}
Response error_response(int status, std::string_view code, std::string_view message,
                        const std::vector<domain::FieldIssue>& details = {});

// 503 unavailable with Retry-After: 1 — storage down, draining or overloaded. The one
// place a 503 is built.
Response unavailable_response(std::string_view message);

// Validation → 400 validation_failed, NotFound → 404, Conflict → 409 duplicate_email
// (details[0].existing_id), PreconditionFailed → 412, Unavailable → 503 with Retry-After,
// Internal → 500 with a generic message (the internal one is never sent).
Response error_response(const domain::Error& error);

}  // namespace leads::adapters::http
