#include "adapters/http/api/api_handler.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "adapters/crypto/email_hash.hpp"
#include "adapters/http/api/cursor.hpp"
#include "adapters/http/api/decode.hpp"
#include "adapters/http/api/encode.hpp"
#include "adapters/http/api/preconditions.hpp"
#include "adapters/http/api/query.hpp"
#include "adapters/http/envelope.hpp"
#include "adapters/http/text.hpp"

namespace leads::adapters::http {
namespace {

enum class RouteId {
    Leads,
    Import,
    Lead,
    LeadActivity,
    Suppressions,
    Suppression,
    Events,
    Webhooks,
    Webhook,
    WebhookRotate,
    WebhookDeliveries
};

struct Route {
    RouteId id;
    std::string_view path_template;  // for metrics and logs
    std::string_view allow;          // the methods it answers
    std::size_t body_limit;          // for the methods it answers
    std::string resource_id;         // decoded {id}, for the id routes
};

constexpr std::string_view kLeadsPath = "/api/v1/tenant/leads";
constexpr std::string_view kSuppressionsPath = "/api/v1/tenant/suppressions";

// "import" is a fixed segment: /leads/import is the import route for every method, so
// GET /leads/import is 405, never a lookup of a lead called "import".
std::optional<Route> match_route(std::string_view path) {
    auto segments = split_path(path);
    if (!segments || segments->size() < 4) return std::nullopt;
    const auto& s = *segments;
    if (s[0] != "api" || s[1] != "v1" || s[2] != "tenant") return std::nullopt;
    if (s[3] == "suppressions") {
        if (s.size() == 4) return Route{RouteId::Suppressions, kSuppressionsPath, "GET, POST", kBodyLimit, {}};
        if (s.size() == 5 && !s[4].empty()) {
            return Route{RouteId::Suppression, "/api/v1/tenant/suppressions/{id}", "GET, DELETE", kBodyLimit, s[4]};
        }
        return std::nullopt;
    }
    if (s[3] == "webhooks") {
        if (s.size() == 4) return Route{RouteId::Webhooks, "/api/v1/tenant/webhooks", "GET, POST", kBodyLimit, {}};
        if (s[4].empty()) return std::nullopt;
        if (s.size() == 5) {
            return Route{RouteId::Webhook, "/api/v1/tenant/webhooks/{id}", "GET, PATCH, DELETE", kBodyLimit, s[4]};
        }
        if (s.size() == 6 && s[5] == "rotate-secret") {
            return Route{RouteId::WebhookRotate, "/api/v1/tenant/webhooks/{id}/rotate-secret", "POST", kBodyLimit,
                         s[4]};
        }
        if (s.size() == 6 && s[5] == "deliveries") {
            return Route{RouteId::WebhookDeliveries, "/api/v1/tenant/webhooks/{id}/deliveries", "GET", kBodyLimit,
                         s[4]};
        }
        return std::nullopt;
    }
    if (s[3] == "events") {
        if (s.size() == 4) return Route{RouteId::Events, "/api/v1/tenant/events", "GET", kBodyLimit, {}};
        return std::nullopt;
    }
    if (s[3] != "leads") return std::nullopt;
    if (s.size() == 4) return Route{RouteId::Leads, kLeadsPath, "GET, POST, PUT", kBodyLimit, {}};
    if (s[4].empty()) return std::nullopt;
    if (s.size() == 5) {
        if (s[4] == "import") {
            return Route{RouteId::Import, "/api/v1/tenant/leads/import", "POST", kImportBodyLimit, {}};
        }
        return Route{RouteId::Lead, "/api/v1/tenant/leads/{id}", "GET, PATCH, DELETE", kBodyLimit, s[4]};
    }
    if (s.size() == 6 && s[5] == "activity") {
        return Route{RouteId::LeadActivity, "/api/v1/tenant/leads/{id}/activity", "GET, POST", kBodyLimit, s[4]};
    }
    return std::nullopt;
}

bool allows(const Route& route, std::string_view method) {
    std::string_view allow = route.allow;
    while (!allow.empty()) {
        const std::size_t comma = allow.find(',');
        if (allow.substr(0, comma) == method) return true;
        if (comma == std::string_view::npos) break;
        allow.remove_prefix(comma + 2);  // ", "
    }
    return false;
}

Response validation_failed(std::vector<domain::FieldIssue> issues) {
    return error_response(400, "validation_failed", "The request is not valid.", issues);
}

Response invalid_json(std::string_view message) { return error_response(400, "invalid_json", message); }

// The one place a use case's error becomes a response; internal reasons go to the log only.
Response failure(const domain::Error& error) {
    Response response = error_response(error);
    if (error.kind == domain::ErrorKind::Internal || error.kind == domain::ErrorKind::Unavailable) {
        response.log_detail = error.message;
    }
    return response;
}

Response rate_limited(std::int64_t retry_after, std::string_view message) {
    Response response = error_response(429, "rate_limited", message);
    response.headers.push_back({"Retry-After", std::to_string(retry_after)});
    return response;
}

void add_budget_headers(Response& response, const FairUse::Budget& budget) {
    response.headers.push_back({"RateLimit-Limit", std::to_string(budget.limit)});
    response.headers.push_back({"RateLimit-Remaining", std::to_string(budget.remaining)});
    response.headers.push_back({"RateLimit-Reset", std::to_string(budget.reset)});
}

Response ok(int status, std::string body) {
    Response response;
    response.status = status;
    response.body = std::move(body);
    return response;
}

Response with_etag(Response response, const domain::Lead& lead) {
    response.headers.push_back({"ETag", etag(lead.version)});
    return response;
}

// Whether the request carried a bearer token (RFC 6750 §3.1: a 401 names the error only
// then, not for a missing header or another scheme).
bool tried_bearer(const Request& request) {
    const std::string_view authorization = request.header("authorization").value_or("");
    return iequals(authorization.substr(0, authorization.find(' ')), "bearer");
}

Response no_content() {
    Response response;
    response.status = 204;
    response.content_type.clear();
    return response;
}

// What an answer recorded under an Idempotency-Key keeps of a response (CONTRACT §6).
ports::IdempotentAnswer answer_of(const Response& response) {
    ports::IdempotentAnswer answer{.status = response.status, .body = response.body, .location = {}, .etag = {}};
    for (const auto& header : response.headers) {
        if (header.name == "Location") answer.location = header.value;
        if (header.name == "ETag") answer.etag = header.value;
    }
    return answer;
}

Response response_of(const ports::IdempotentAnswer& answer) {
    Response response = ok(answer.status, answer.body);
    if (!answer.location.empty()) response.headers.push_back({"Location", answer.location});
    if (!answer.etag.empty()) response.headers.push_back({"ETag", answer.etag});
    return response;
}

template <class T>
const T* pointer_to(const std::optional<T>& value) {
    return value ? &*value : nullptr;
}

// The context every handler gets: the caller's tenant and the matched route.
struct Call {
    ports::LeadUseCases& use_cases;
    ports::SuppressionUseCases& suppressions;
    const domain::TenantId& tenant;
    const Request& request;
    const Route& route;
    FairUse* fair_use;                           // null: no limits
    ports::EventUseCases* events = nullptr;      // null: no event feed
    ports::WebhookUseCases* webhooks = nullptr;  // null: no webhook routes
    // The request's Idempotency-Key claim (null: none), and where the answer recorded
    // with the write's effect is kept: the response then sent is that one.
    const ports::IdempotencyRecord* record = nullptr;
    std::optional<ports::IdempotentAnswer>* recorded = nullptr;

    ports::LeadRef ref(const QueryParameters& query) const {
        return ports::LeadRef{tenant, route.resource_id, query.text("workspace")};
    }

    // The claim for a write whose success render(result) answers; nullopt without a key.
    template <class Result, class Render>
    std::optional<ports::Idempotency<Result>> idempotency(Render render) const {
        if (record == nullptr) return std::nullopt;
        return ports::Idempotency<Result>{*record, [render, slot = recorded](const Result& result) {
                                              ports::IdempotentAnswer answer = answer_of(render(result));
                                              *slot = answer;
                                              return answer;
                                          }};
    }

    // A write: run(the Idempotency-Key claim or null) calls the use case; render answers its
    // success, live and (under a key) as recorded with the effect.
    template <class Result, class Render, class Run>
    Response write(Render render, Run run) const {
        const auto claim = idempotency<Result>(render);
        auto result = run(pointer_to(claim));
        if (!result) return failure(result.error());
        return render(*result);
    }
};

// The (instant, id) position the request's cursor names in the scope's list; an issue
// (field cursor) when it names none. nullopt without a cursor too.
template <class Id>
std::optional<std::pair<domain::Timestamp, Id>> cursor_position(const std::string& scope, const QueryParameters& query,
                                                                std::vector<domain::FieldIssue>& issues,
                                                                std::string_view problem) {
    const auto raw = query.text("cursor");
    if (!raw) return std::nullopt;
    auto position = cursor::decode_position(scope, *raw);
    auto id = position ? Id::parse(position->second) : std::nullopt;
    if (!id) {
        issues.push_back({"cursor", std::string(problem)});
        return std::nullopt;
    }
    return std::pair{position->first, std::move(*id)};
}

// The parameters a leads cursor is bound to: all but limit, offset and cursor itself.
constexpr std::string_view kListFilters[] = {"workspace",     "status",         "search",
                                             "email",         "created_after",  "created_before",
                                             "updated_after", "updated_before", "do_not_contact"};

// What a cursor of this list is bound to (CONTRACT §7): the tenant, the sort and every
// filter as given, attributes.<key> in key order. Length-prefixed, so no two differ only
// in where one value ends.
std::string list_scope(const Call& call, const QueryParameters& query) {
    std::string scope = "leads\n";
    const auto add = [&](std::string_view name, std::string_view value) {
        scope.append(name).append("=").append(std::to_string(value.size())).append(":").append(value).append("\n");
    };
    add("tenant", call.tenant.value());
    const auto sort = query.text("sort");
    add("sort", sort && *sort != "-created_at" ? *sort : "");
    for (const std::string_view name : kListFilters) {
        if (const auto value = query.text(name)) add(name, *value);
    }
    auto attributes = query.family("attributes.");
    std::sort(attributes.begin(), attributes.end());
    for (const auto& [key, value] : attributes) add("attributes." + key, value);
    return scope;
}

Response list_leads(const Call& call) {
    auto query = QueryParameters::parse(
        call.request.query,
        {"workspace", "status", "search", "do_not_contact", "limit", "offset", "cursor", "sort", "email",
         "created_after", "created_before", "updated_after", "updated_before", "attributes."});
    ports::ListLeadsQuery command{.tenant = call.tenant,
                                  .workspace = query.text("workspace").value_or(""),
                                  .status = query.text("status"),
                                  .search = query.text("search"),
                                  .limit = query.integer("limit"),
                                  .offset = query.integer("offset"),
                                  .do_not_contact = query.text("do_not_contact"),
                                  .sort = query.text("sort"),
                                  .email = query.text("email"),
                                  .created_after = query.text("created_after"),
                                  .created_before = query.text("created_before"),
                                  .updated_after = query.text("updated_after"),
                                  .updated_before = query.text("updated_before"),
                                  .attributes = query.family("attributes."),
                                  .after = std::nullopt};
    auto issues = query.issues();
    if (!query.text("workspace")) issues.push_back({"workspace", "is required"});
    const std::string scope = list_scope(call, query);
    if (auto position = cursor_position<domain::LeadId>(scope, query, issues,
                                                        "is not a cursor of this list: repeat the first page's "
                                                        "workspace, sort and filters")) {
        command.after = ports::LeadPosition{position->first, std::move(position->second)};
    }
    if (!issues.empty()) return validation_failed(std::move(issues));
    // Searches are the expensive requests: a tenant runs only so many at once.
    const std::optional<FairUse::SearchSlot> slot =
        command.search && call.fair_use != nullptr ? call.fair_use->enter_search(call.tenant.value())
                                                   : std::optional<FairUse::SearchSlot>(std::in_place, nullptr, "");
    if (!slot) return rate_limited(1, "Too many searches are running for this tenant; retry later.");

    auto result = call.use_cases.list(command);
    if (!result) return failure(result.error());
    std::optional<std::string> next;
    if (result->next) next = cursor::encode_position(scope, result->next->at, result->next->id.value());
    return ok(200, encode::lead_list(*result, next));
}

// The create body of POST and PUT /leads into command, or the answer that refuses it.
std::optional<Response> decode_create(const Call& call, ports::CreateLeadCommand& command) {
    auto query = QueryParameters::parse(call.request.query, {});
    if (!query.issues().empty()) return validation_failed(query.issues());
    auto body = decode::parse_object(call.request.body, decode::body_limits());
    if (!body.object) return invalid_json(body.error);
    if (auto issues = decode::create_lead(*body.object, command); !issues.empty()) {
        return validation_failed(std::move(issues));
    }
    return std::nullopt;
}

Response create_lead(const Call& call) {
    ports::CreateLeadCommand command{call.tenant, {}, {}};
    if (auto refused = decode_create(call, command)) return std::move(*refused);

    const auto render = [](const ports::LeadDetails& details) {
        Response response = with_etag(ok(201, encode::lead_details(details)), details.lead);
        response.headers.push_back({"Location", std::string(kLeadsPath) + "/" + details.lead.id.value()});
        return response;
    };
    return call.write<ports::LeadDetails>(
        render, [&](const auto* idempotency) { return call.use_cases.create(command, idempotency); });
}

// PUT /leads: 201 + Location when the email was new in the workspace, else 200.
Response upsert_lead(const Call& call) {
    ports::CreateLeadCommand command{call.tenant, {}, {}};
    if (auto refused = decode_create(call, command)) return std::move(*refused);

    const auto render = [](const ports::UpsertedLead& upserted) {
        const domain::Lead& lead = upserted.details.lead;
        Response response = with_etag(ok(upserted.created ? 201 : 200, encode::lead_details(upserted.details)), lead);
        if (upserted.created) {
            response.headers.push_back({"Location", std::string(kLeadsPath) + "/" + lead.id.value()});
        }
        return response;
    };
    return call.write<ports::UpsertedLead>(
        render, [&](const auto* idempotency) { return call.use_cases.upsert(command, idempotency); });
}

Response get_lead(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {"workspace"});
    if (!query.issues().empty()) return validation_failed(query.issues());

    auto result = call.use_cases.get(call.ref(query));
    if (!result) return failure(result.error());
    return with_etag(ok(200, encode::lead_details(*result)), result->lead);
}

Response update_lead(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {"workspace"});
    if (!query.issues().empty()) return validation_failed(query.issues());
    auto body = decode::parse_object(call.request.body, decode::body_limits());
    if (!body.object) return invalid_json(body.error);
    ports::UpdateLeadCommand command{call.ref(query), std::nullopt, {}};
    if (auto if_match = call.request.header("if-match")) command.expected_version = if_match_condition(*if_match);
    if (auto issues = decode::update_lead(*body.object, command); !issues.empty()) {
        return validation_failed(std::move(issues));
    }

    const auto render = [](const ports::LeadDetails& details) {
        return with_etag(ok(200, encode::lead_details(details)), details.lead);
    };
    return call.write<ports::LeadDetails>(
        render, [&](const auto* idempotency) { return call.use_cases.update(command, idempotency); });
}

Response delete_lead(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {"workspace", "suppress"});
    if (!query.issues().empty()) return validation_failed(query.issues());

    auto result = call.use_cases.remove(ports::RemoveLeadCommand{call.ref(query), query.text("suppress")});
    if (!result) return failure(result.error());
    return no_content();
}

Response activity_history(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {"workspace", "limit", "offset", "cursor"});
    ports::ActivityHistoryQuery command{call.ref(query), query.integer("limit"), query.integer("offset")};
    auto issues = query.issues();
    // Bound to the tenant, the lead and the workspace given (if any).
    const std::string scope = "activity\n" + call.tenant.value() + "\n" + call.route.resource_id + "\n" +
                              query.text("workspace").value_or("");
    if (auto position =
            cursor_position<domain::ActivityId>(scope, query, issues, "is not a cursor of this lead's activity")) {
        command.after = ports::ActivityPosition{position->first, std::move(position->second)};
    }
    if (!issues.empty()) return validation_failed(std::move(issues));

    auto result = call.use_cases.activity_history(command);
    if (!result) return failure(result.error());
    std::optional<std::string> next;
    if (result->next) next = cursor::encode_position(scope, result->next->at, result->next->id.value());
    return ok(200, encode::activity_list(*result, next));
}

Response record_activity(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {"workspace"});
    if (!query.issues().empty()) return validation_failed(query.issues());
    auto body = decode::parse_object(call.request.body, decode::body_limits());
    if (!body.object) return invalid_json(body.error);
    ports::RecordActivityCommand command{call.ref(query), {}, std::nullopt, std::nullopt, {}};
    if (auto issues = decode::record_activity(*body.object, command); !issues.empty()) {
        return validation_failed(std::move(issues));
    }

    const auto render = [](const domain::Activity& entry) { return ok(201, encode::activity(entry)); };
    return call.write<domain::Activity>(
        render, [&](const auto* idempotency) { return call.use_cases.record_activity(command, idempotency); });
}

Response import_leads(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {});
    if (!query.issues().empty()) return validation_failed(query.issues());
    // Up to 10,000 rows, parsed twice over (the document, the command): freed once the
    // response is written (Response::keep_until_sent).
    struct Parsed {
        decode::ObjectBody body;
        ports::ImportCommand command;
    };
    auto parsed = std::make_shared<Parsed>(Parsed{decode::parse_object(call.request.body, decode::import_limits()),
                                                  ports::ImportCommand{call.tenant, {}, std::nullopt, {}}});
    if (!parsed->body.object) return invalid_json(parsed->body.error);
    ports::ImportCommand& command = parsed->command;
    if (auto issues = decode::import_leads(*parsed->body.object, command); !issues.empty()) {
        return validation_failed(std::move(issues));
    }

    const auto render = [](const ports::ImportSummary& summary) { return ok(200, encode::import_summary(summary)); };
    Response response = call.write<ports::ImportSummary>(
        render, [&](const auto* idempotency) { return call.use_cases.import_leads(command, idempotency); });
    response.keep_until_sent = std::move(parsed);
    return response;
}

// POST /suppressions: 201 with the new entry, or 200 with the one already listed.
Response add_suppression(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {});
    if (!query.issues().empty()) return validation_failed(query.issues());
    auto body = decode::parse_object(call.request.body, decode::body_limits());
    if (!body.object) return invalid_json(body.error);
    ports::AddSuppressionCommand command{call.tenant, {}, std::nullopt};
    if (auto issues = decode::add_suppression(*body.object, command); !issues.empty()) {
        return validation_failed(std::move(issues));
    }

    const auto render = [](const ports::SuppressionAdded& added) {
        return ok(added.created ? 201 : 200, encode::suppression(added.entry));
    };
    return call.write<ports::SuppressionAdded>(
        render, [&](const auto* idempotency) { return call.suppressions.add(command, idempotency); });
}

// GET /suppressions: one entry by ?email=, or a newest-first page (limit, cursor).
Response list_suppressions(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {"email", "limit", "cursor"});
    const auto limit = query.integer("limit");
    auto issues = query.issues();
    if (const auto email = query.text("email")) {
        if (query.text("limit") || query.text("cursor")) {
            issues.push_back({"email", "cannot be combined with limit or cursor"});
        }
        if (!issues.empty()) return validation_failed(std::move(issues));
        auto result = call.suppressions.find(call.tenant, *email);
        if (!result) return failure(result.error());
        return ok(200, encode::suppression(*result));
    }
    ports::ListSuppressionsQuery command{call.tenant, limit, std::nullopt};
    if (const auto raw = query.text("cursor")) {
        command.after = cursor::decode_suppression(*raw);
        if (!command.after) issues.push_back({"cursor", "is not a cursor of this list"});
    }
    if (!issues.empty()) return validation_failed(std::move(issues));

    auto result = call.suppressions.list(command);
    if (!result) return failure(result.error());
    std::optional<std::string> next;
    if (result->next) next = cursor::encode_suppression(*result->next);
    return ok(200, encode::suppression_list(*result, next));
}

Response suppression_entry(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {});
    if (!query.issues().empty()) return validation_failed(query.issues());
    const ports::SuppressionRef ref{call.tenant, call.route.resource_id};
    if (call.request.method == "DELETE") {
        auto removed = call.suppressions.remove(ref);
        if (!removed) return failure(removed.error());
        return no_content();
    }
    auto result = call.suppressions.get(ref);
    if (!result) return failure(result.error());
    return ok(200, encode::suppression(*result));
}

// GET /events: the tenant's change events after a sequence (CONTRACT §8).
Response event_feed(const Call& call) {
    if (call.events == nullptr) return error_response(404, "not_found", "No such route.");
    auto query = QueryParameters::parse(call.request.query, {"after", "limit", "types", "workspace"});
    ports::EventFeedQuery command{.tenant = call.tenant,
                                  .after = query.integer("after"),
                                  .limit = query.integer("limit"),
                                  .types = query.text("types"),
                                  .workspace = query.text("workspace")};
    if (!query.issues().empty()) return validation_failed(query.issues());
    auto result = call.events->feed(command);
    if (!result) return failure(result.error());
    return ok(200, encode::event_feed(*result));
}

// The scope of a webhook's deliveries cursor: the tenant and the endpoint.
std::string deliveries_scope(const Call& call) {
    return "deliveries\n" + call.tenant.value() + "\n" + call.route.resource_id;
}

// POST /webhooks: 201 with the endpoint and its secret (shown this once).
Response create_webhook(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {});
    if (!query.issues().empty()) return validation_failed(query.issues());
    auto body = decode::parse_object(call.request.body, decode::body_limits());
    if (!body.object) return invalid_json(body.error);
    ports::CreateWebhookCommand command{call.tenant, {}, std::nullopt, std::nullopt};
    if (auto issues = decode::create_webhook(*body.object, command); !issues.empty()) {
        return validation_failed(std::move(issues));
    }
    auto created = call.webhooks->create(command);
    if (!created) return failure(created.error());
    Response response = ok(201, encode::webhook(*created, true));
    response.headers.push_back({"Location", "/api/v1/tenant/webhooks/" + created->id.value()});
    return response;
}

Response list_webhooks(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {});
    if (!query.issues().empty()) return validation_failed(query.issues());
    auto listed = call.webhooks->list(call.tenant);
    if (!listed) return failure(listed.error());
    return ok(200, encode::webhook_list(*listed));
}

// GET, PATCH, DELETE /webhooks/{id}; no answer but a rotation's carries the secret.
Response webhook_entry(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {});
    if (!query.issues().empty()) return validation_failed(query.issues());
    const ports::WebhookRef ref{call.tenant, call.route.resource_id};
    const std::string_view method = call.request.method;
    if (method == "DELETE") {
        auto removed = call.webhooks->remove(ref);
        if (!removed) return failure(removed.error());
        return no_content();
    }
    if (method == "GET") {
        auto found = call.webhooks->get(ref);
        if (!found) return failure(found.error());
        return ok(200, encode::webhook(*found, false));
    }
    auto body = decode::parse_object(call.request.body, decode::body_limits());
    if (!body.object) return invalid_json(body.error);
    ports::UpdateWebhookCommand command{ref, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
    if (auto issues = decode::update_webhook(*body.object, command); !issues.empty()) {
        return validation_failed(std::move(issues));
    }
    auto updated = call.webhooks->update(command);
    if (!updated) return failure(updated.error());
    return ok(200, encode::webhook(*updated, false));
}

Response rotate_webhook_secret(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {});
    if (!query.issues().empty()) return validation_failed(query.issues());
    auto rotated = call.webhooks->rotate_secret(ports::WebhookRef{call.tenant, call.route.resource_id});
    if (!rotated) return failure(rotated.error());
    return ok(200, encode::webhook(*rotated, true));
}

Response webhook_deliveries(const Call& call) {
    auto query = QueryParameters::parse(call.request.query, {"limit", "cursor"});
    ports::ListDeliveriesQuery command{ports::WebhookRef{call.tenant, call.route.resource_id}, query.integer("limit"),
                                       std::nullopt};
    auto issues = query.issues();
    if (const auto raw = query.text("cursor")) {
        const auto position = cursor::decode(deliveries_scope(call), *raw);
        const auto sequence = position ? parse_int64(*position) : std::nullopt;
        if (sequence) {
            command.before_sequence = *sequence;
        } else {
            issues.push_back({"cursor", "is not a cursor of this list"});
        }
    }
    if (!issues.empty()) return validation_failed(std::move(issues));
    auto listed = call.webhooks->deliveries(command);
    if (!listed) return failure(listed.error());
    std::optional<std::string> next;
    if (listed->next) next = cursor::encode(deliveries_scope(call), std::to_string(*listed->next));
    return ok(200, encode::delivery_list(*listed, next));
}

Response dispatch_webhooks(const Call& call) {
    if (call.webhooks == nullptr) return error_response(404, "not_found", "No such route.");
    switch (call.route.id) {
        case RouteId::Webhooks:
            return call.request.method == "GET" ? list_webhooks(call) : create_webhook(call);
        case RouteId::Webhook:
            return webhook_entry(call);
        case RouteId::WebhookRotate:
            return rotate_webhook_secret(call);
        default:
            return webhook_deliveries(call);
    }
}

bool is_webhook_route(RouteId id) {
    return id == RouteId::Webhooks || id == RouteId::Webhook || id == RouteId::WebhookRotate ||
           id == RouteId::WebhookDeliveries;
}

// Answers that are final (CONTRACT §6) and came without an effect: recorded after the fact.
bool is_final_refusal(int status) { return status == 404 || status == 409 || status == 412; }

Response dispatch(const Call& call) {
    const std::string_view method = call.request.method;
    switch (call.route.id) {
        case RouteId::Leads:
            if (method == "PUT") return upsert_lead(call);
            return method == "GET" ? list_leads(call) : create_lead(call);
        case RouteId::Suppressions:
            return method == "GET" ? list_suppressions(call) : add_suppression(call);
        case RouteId::Suppression:
            return suppression_entry(call);
        case RouteId::Import:
            return import_leads(call);
        case RouteId::Lead:
            if (method == "GET") return get_lead(call);
            return method == "PATCH" ? update_lead(call) : delete_lead(call);
        case RouteId::LeadActivity:
            return method == "GET" ? activity_history(call) : record_activity(call);
        case RouteId::Events:
            return event_feed(call);
        case RouteId::Webhooks:
        case RouteId::Webhook:
        case RouteId::WebhookRotate:
        case RouteId::WebhookDeliveries:
            return dispatch_webhooks(call);
    }
    return error_response(500, "internal_error", "An internal error occurred.");
}

// A write under an Idempotency-Key (CONTRACT §6): claim the key, then run the write (which
// records a success with its effect), record a final refusal, or give the key back.
Response dispatch_once(Call call, ports::IdempotencyUseCases& idempotency, const std::string& key) {
    const Request& request = call.request;
    std::string described = request.method;
    described.append("\n").append(request.path).append("\n").append(request.query).append("\n");
    const std::string fingerprint = crypto::sha256_hex(described.append(request.body));
    auto claim = idempotency.begin(call.tenant, key, fingerprint);
    if (!claim) return failure(claim.error());
    switch (claim->state) {
        case ports::ClaimState::Reused:
            return error_response(422, "idempotency_key_reused",
                                  "This Idempotency-Key was used with a different request.");
        case ports::ClaimState::InProgress: {
            Response busy = error_response(409, "idempotency_in_progress",
                                           "A request with this Idempotency-Key is still running; retry later.");
            busy.headers.push_back({"Retry-After", "1"});
            return busy;
        }
        case ports::ClaimState::Replay: {
            Response replay = response_of(claim->answer.value_or(ports::IdempotentAnswer{}));
            replay.headers.push_back({"Idempotent-Replayed", "true"});
            return replay;
        }
        case ports::ClaimState::Claimed:
            break;
    }
    std::optional<ports::IdempotentAnswer> recorded;
    call.record = &claim->record;
    call.recorded = &recorded;
    Response response;
    try {
        response = dispatch(call);
    } catch (...) {
        (void)idempotency.release(claim->record);
        throw;
    }
    const bool success = response.status >= 200 && response.status < 300;
    if (success && recorded) {
        // The answer committed with the effect is the one a replay will send: send it now.
        Response answer = response_of(*recorded);
        answer.keep_until_sent = std::move(response.keep_until_sent);
        return answer;
    }
    // A success that recorded nothing (no write has one; were one added without a
    // completion) is still kept rather than released, so a retry cannot run it twice.
    if (success || is_final_refusal(response.status)) {
        if (auto finished = idempotency.finish(claim->record, answer_of(response)); !finished) {
            return failure(finished.error());
        }
    } else {
        (void)idempotency.release(claim->record);
    }
    return response;
}

}  // namespace

std::size_t ApiHandler::body_limit(std::string_view method, std::string_view path) {
    const auto route = match_route(path);
    return route && allows(*route, method) ? route->body_limit : kBodyLimit;
}

bool ApiHandler::is_expensive(const Request& request) {
    if (request.method != "GET") return false;
    const auto route = match_route(request.path);
    if (!route || route->id != RouteId::Leads) return false;
    // Only the name matters here; the handler validates the query again.
    return QueryParameters::parse(request.query, {"search"}).text("search").has_value();
}

ApiHandler::ApiHandler(ports::LeadUseCases& use_cases, ports::SuppressionUseCases& suppressions,
                       std::shared_ptr<const Authenticator> authenticator, std::shared_ptr<FairUse> fair_use,
                       ports::IdempotencyUseCases* idempotency, ports::EventUseCases* events,
                       ports::WebhookUseCases* webhooks)
    : use_cases_(use_cases),
      suppressions_(suppressions),
      authenticator_(std::move(authenticator)),
      fair_use_(std::move(fair_use)),
      idempotency_(idempotency),
      events_(events),
      webhooks_(webhooks) {}

Response ApiHandler::handle(const Request& request) const {
    const auto route = match_route(request.path);
    if (!route) return error_response(404, "not_found", "No such route.");

    Response response;
    std::optional<FairUse::Budget> budget;  // the tenant's request budget, when one is set
    try {
        // Order: identity, then the tenant's budget, then method, then media type, then query
        // and body, then the use case.
        auto tenant = authenticator_->authenticate(request);
        if (tenant && fair_use_ && fair_use_->has_budget()) budget = fair_use_->take(tenant->value());
        if (!tenant) {
            response = error_response(401, "unauthorized", "Missing or invalid credentials.");
            if (authenticator_->mode() == AuthMode::Jwt) {
                response.headers.push_back(
                    {"WWW-Authenticate", tried_bearer(request) ? "Bearer error=\"invalid_token\"" : "Bearer"});
            }
        } else if (budget && !budget->allowed) {
            response = rate_limited(budget->retry_after, "This tenant is over its request budget; retry later.");
        } else if (!allows(*route, request.method)) {
            response = error_response(405, "method_not_allowed", "This method is not allowed on this path.");
            response.headers.push_back({"Allow", std::string(route->allow)});
        } else if ((request.method == "POST" || request.method == "PUT" || request.method == "PATCH") &&
                   !is_json_media_type(request.header("content-type").value_or(""), request.method == "PATCH")) {
            response = error_response(415, "unsupported_media_type", "The body must be application/json.");
        } else if (const auto key = request.header("idempotency-key");
                   key && idempotency_ != nullptr && request.method != "GET" && request.method != "DELETE" &&
                   !is_webhook_route(route->id)) {
            // Webhook writes are not replayed: a recorded answer would keep the secret.
            response = dispatch_once(
                Call{use_cases_, suppressions_, *tenant, request, *route, fair_use_.get(), events_, webhooks_},
                *idempotency_, std::string(*key));
        } else {
            response = dispatch(
                Call{use_cases_, suppressions_, *tenant, request, *route, fair_use_.get(), events_, webhooks_});
        }
    } catch (const std::exception& e) {
        response = error_response(500, "internal_error", "An internal error occurred.");
        response.log_detail = std::string("exception: ") + e.what();
    } catch (...) {
        response = error_response(500, "internal_error", "An internal error occurred.");
        response.log_detail = "exception of unknown type";
    }
    if (budget) add_budget_headers(response, *budget);
    response.route = std::string(route->path_template);
    // Answers about leads and the suppression list carry personal data: no cache may keep them.
    response.headers.push_back({"Cache-Control", "no-store"});
    return response;
}

}  // namespace leads::adapters::http
