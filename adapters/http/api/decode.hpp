#pragma once

#include <string_view>
#include <variant>
#include <vector>

#include "adapters/http/api/json.hpp"
#include "domain/result.hpp"
#include "ports/lead_use_cases.hpp"
#include "ports/suppression_use_cases.hpp"
#include "ports/webhook_use_cases.hpp"

// Request bodies → commands. Only shape is checked here (JSON types, known fields,
// required fields); the values themselves are validated by the use cases. Issues name
// the field, in body order, all of them at once.
namespace leads::adapters::http::decode {

// Limits of the body parser: a request of 1 MiB, an import of 16 MiB (10,000 rows).
json::Limits body_limits();
json::Limits import_limits();

// The body as a JSON object, or 400 invalid_json's message.
struct ObjectBody {
    std::unique_ptr<json::Document> document;
    const json::Object* object = nullptr;
    std::string error;  // set when object is null
};
ObjectBody parse_object(std::string_view body, const json::Limits& limits);

// Each fills the command's body fields (not the tenant or the lead reference) and returns
// the issues found; empty means the command is ready.
std::vector<domain::FieldIssue> create_lead(const json::Object& body, ports::CreateLeadCommand& command);
std::vector<domain::FieldIssue> update_lead(const json::Object& body, ports::UpdateLeadCommand& command);
std::vector<domain::FieldIssue> record_activity(const json::Object& body, ports::RecordActivityCommand& command);
std::vector<domain::FieldIssue> add_suppression(const json::Object& body, ports::AddSuppressionCommand& command);
std::vector<domain::FieldIssue> create_webhook(const json::Object& body, ports::CreateWebhookCommand& command);
std::vector<domain::FieldIssue> update_webhook(const json::Object& body, ports::UpdateWebhookCommand& command);
// Request-level issues only; a row's own issues go into its ImportRow::decode_issues.
std::vector<domain::FieldIssue> import_leads(const json::Object& body, ports::ImportCommand& command);

}  // namespace leads::adapters::http::decode
