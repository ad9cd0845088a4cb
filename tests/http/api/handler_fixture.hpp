#pragma once

// ApiHandler end to end without sockets: Request values in, Response values out, over
// LeadService and the in-memory repository. Every CONTRACT §2 row the handler produces,
// every endpoint, tenant isolation, and the JSON shape of each answer.
#include <atomic>
#include <catch2/catch.hpp>
#include <regex>
#include <stdexcept>
#include <string>

#include "adapters/http/api/api_handler.hpp"
#include "adapters/http/api/json.hpp"
#include "adapters/memory/in_memory_lead_repository.hpp"
#include "adapters/system/random_id_generator.hpp"
#include "adapters/webhooks/random_secrets.hpp"
#include "application/event_service.hpp"
#include "application/idempotency_service.hpp"
#include "application/lead_service.hpp"
#include "application/suppression_service.hpp"
#include "application/webhook_service.hpp"
#include "tests/support/random.hpp"

namespace http = leads::adapters::http;
namespace json = leads::adapters::http::json;
using http::Request;
using http::Response;

// What the handler tests share (one fixture for every file of tests/http/api/*_test.cpp).
namespace handler_tests {

// Moves one millisecond per reading, so creation order is also time order.
class SteppingClock final : public leads::ports::Clock {
  public:
    leads::domain::Timestamp now() override {
        return leads::domain::Timestamp(std::chrono::milliseconds(1'762'000'000'000 + ticks_++));
    }
    void advance(std::chrono::milliseconds by) { ticks_ += by.count(); }

  private:
    std::atomic<std::int64_t> ticks_{0};
};

inline std::string random_tenant() { return leads::tests::random_tenant().value(); }

inline std::shared_ptr<const http::Authenticator> gateway() {
    auto created = http::Authenticator::create(http::AuthSettings{});
    REQUIRE(created.ok());
    return *created;
}

// A parsed response body; keeps the document alive for the values taken from it.
struct Body {
    std::unique_ptr<json::Document> document;
    const json::Object& object() const {
        REQUIRE(document);
        REQUIRE(document->root().as_object());
        return *document->root().as_object();
    }
};

inline const json::Value* find(const json::Object& object, std::string_view name) {
    for (const auto& [key, value] : object) {
        if (key == name) return &value;
    }
    return nullptr;
}

inline const json::Value& at(const json::Object& object, std::string_view name) {
    const json::Value* value = find(object, name);
    INFO("member " << name);
    REQUIRE(value != nullptr);
    return *value;
}

inline const json::Object& obj(const json::Value& value) {
    REQUIRE(value.as_object());
    return *value.as_object();
}

inline const json::Array& arr(const json::Value& value) {
    REQUIRE(value.as_array());
    return *value.as_array();
}

inline std::string str(const json::Value& value) {
    REQUIRE(value.as_string());
    return std::string(*value.as_string());
}

inline std::int64_t num(const json::Value& value) {
    REQUIRE(value.as_int());
    return *value.as_int();
}

inline std::optional<std::string> header(const Response& response, std::string_view name) {
    for (const auto& h : response.headers) {
        if (h.name == name) return h.value;
    }
    return std::nullopt;
}

inline bool is_rfc3339_millis(const std::string& text) {
    static const std::regex pattern(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
    return std::regex_match(text, pattern);
}

// The whole API over fresh storage, called as one tenant by default.
struct Api {
    leads::adapters::memory::InMemoryLeadRepository repository;
    SteppingClock clock;
    leads::adapters::system::RandomIdGenerator ids;
    leads::app::LeadService service{repository, clock, ids};
    leads::app::SuppressionService suppressions{repository, clock, ids};
    leads::app::IdempotencyService idempotency{repository, clock, ids, std::chrono::hours(24)};
    leads::app::EventService events{repository, clock, std::chrono::hours(168)};
    leads::adapters::webhooks::RandomSecrets secrets;
    leads::app::WebhookService webhooks{repository, clock, ids, secrets};
    http::ApiHandler handler{service, suppressions, gateway(), nullptr, &idempotency, &events, &webhooks};
    std::string tenant = random_tenant();

    Response call(std::string method, std::string target, std::string body = {}, std::vector<http::Header> headers = {},
                  std::optional<std::string> as_tenant = std::nullopt) {
        Request request;
        request.method = std::move(method);
        const auto q = target.find('?');
        request.path = target.substr(0, q);
        if (q != std::string::npos) request.query = target.substr(q + 1);
        request.body = std::move(body);
        const std::string who = as_tenant.value_or(tenant);
        if (!who.empty()) request.headers.push_back({"x-tenant-id", who});
        const bool has_type =
            std::any_of(headers.begin(), headers.end(), [](auto& h) { return h.name == "content-type"; });
        if (!request.body.empty() && !has_type) request.headers.push_back({"content-type", "application/json"});
        for (auto& h : headers) request.headers.push_back(std::move(h));
        return handler.handle(request);
    }

    // Creates a lead and returns its id.
    std::string create(const std::string& body, std::optional<std::string> as_tenant = std::nullopt) {
        Response r = call("POST", "/api/v1/tenant/leads", body, {}, as_tenant);
        INFO(r.body);
        REQUIRE(r.status == 201);
        return str(at(obj(at(parse(r).object(), "data")), "id"));
    }

    static Body parse(const Response& response) {
        INFO("body: " << response.body);
        auto parsed = json::parse(response.body);
        REQUIRE(parsed.document);
        return Body{std::move(parsed.document)};
    }
};

inline std::string lead_path(const std::string& id) { return "/api/v1/tenant/leads/" + id; }

struct Detail {
    std::string field;
    std::string issue;
    std::string existing_id;
};

// Checks the error envelope and returns its details (copied: the parsed body goes away).
inline std::vector<Detail> expect_error(const Response& response, std::string_view code) {
    auto body = Api::parse(response);
    const auto& root = body.object();
    REQUIRE(at(root, "success").as_bool());
    CHECK_FALSE(*at(root, "success").as_bool());
    const auto& error = obj(at(root, "error"));
    CHECK(str(at(error, "code")) == code);
    CHECK_FALSE(str(at(error, "message")).empty());
    std::vector<Detail> details;
    for (const auto& d : arr(at(error, "details"))) {
        const auto& o = obj(d);
        const json::Value* existing = find(o, "existing_id");
        details.push_back({str(at(o, "field")), str(at(o, "issue")), existing ? str(*existing) : std::string()});
    }
    return details;
}

inline bool has_detail(const std::vector<Detail>& details, std::string_view field, std::string_view issue = {}) {
    for (const auto& d : details) {
        if (d.field == field && (issue.empty() || d.issue == issue)) return true;
    }
    return false;
}

inline void check_lead_shape(const json::Object& lead) {
    for (const char* field : {"id", "workspace_slug", "email", "first_name", "last_name", "company", "status",
                              "attributes", "do_not_contact", "created_at", "updated_at"}) {
        INFO(field);
        CHECK(find(lead, field) != nullptr);
    }
    CHECK(str(at(lead, "id")).rfind("lead_", 0) == 0);
    CHECK(at(lead, "attributes").as_object());
    CHECK(at(lead, "do_not_contact").as_bool());
    CHECK(is_rfc3339_millis(str(at(lead, "created_at"))));
    CHECK(is_rfc3339_millis(str(at(lead, "updated_at"))));
}

inline void check_activity_shape(const json::Object& entry) {
    CHECK(obj(json::Value{json::Object{}}).empty());
    CHECK(str(at(entry, "id")).rfind("act_", 0) == 0);
    CHECK_FALSE(str(at(entry, "type")).empty());
    CHECK(is_rfc3339_millis(str(at(entry, "timestamp"))));
    const auto& campaign = at(entry, "campaign_id");
    CHECK((campaign.is_null() || campaign.as_string()));
    CHECK(at(entry, "data").as_object());
    CHECK(entry.size() == 5);
}

const std::string kJane =
    R"({"workspace_slug":"acme","email":"  Jane@Example.COM ","first_name":"Jane","company":"Tech Corp",)"
    R"("attributes":{"title":"CEO","employees":250,"score":4.5,"vip":true}})";

}  // namespace handler_tests

using namespace handler_tests;
