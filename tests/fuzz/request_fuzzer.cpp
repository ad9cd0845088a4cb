// libFuzzer entry: arbitrary bytes through ApiHandler over LeadService and the in-memory
// repository. The first byte picks what the rest is (a body for one of the write routes,
// a query string, a path, a bearer token; a write with bit 0x40 set carries one of a few
// Idempotency-Keys, so replays and reused keys happen too); the rest is fed as is. Beyond the sanitizers'
// findings, two properties are checked: no input is a 500 (the handler has no bugs to
// report), and every JSON response is well-formed JSON.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "adapters/http/api/api_handler.hpp"
#include "adapters/http/api/json.hpp"
#include "adapters/memory/in_memory_lead_repository.hpp"
#include "adapters/system/random_id_generator.hpp"
#include "adapters/system/system_clock.hpp"
#include "application/idempotency_service.hpp"
#include "application/lead_service.hpp"
#include "application/suppression_service.hpp"

namespace {

namespace http = leads::adapters::http;

constexpr const char* kTenant = "fuzz-tenant";
constexpr const char* kLeads = "/api/v1/tenant/leads";

struct World {
    leads::adapters::memory::InMemoryLeadRepository repository;
    leads::adapters::system::SystemClock clock;
    leads::adapters::system::RandomIdGenerator ids;
    leads::app::LeadService service{repository, clock, ids};
    leads::app::SuppressionService suppressions{repository, clock, ids};
    leads::app::IdempotencyService idempotency{repository, clock, ids, std::chrono::hours(24)};
    http::ApiHandler gateway_api{service, suppressions, *http::Authenticator::create(http::AuthSettings{}), nullptr,
                                 &idempotency};
    http::ApiHandler jwt_api{service, suppressions,
                             *http::Authenticator::create(http::AuthSettings{http::AuthMode::Jwt, std::string(32, 'k'),
                                                                             "", "issuer", "audience"})};
    std::string lead_id;

    World() {
        http::Request request;
        request.method = "POST";
        request.path = kLeads;
        request.headers = {{"x-tenant-id", kTenant}, {"content-type", "application/json"}};
        request.body = R"({"workspace_slug":"acme","email":"seed@example.com","first_name":"Seed"})";
        const http::Response response = gateway_api.handle(request);
        const auto start = response.body.find("\"id\":\"");
        if (response.status != 201 || start == std::string::npos) __builtin_trap();
        lead_id = response.body.substr(start + 6, response.body.find('"', start + 6) - start - 6);
    }
};

// Created leads accumulate: start over now and then so memory stays flat.
World& world() {
    static std::unique_ptr<World> instance;
    static unsigned runs = 0;
    if (!instance || ++runs % 2000 == 0) {
        instance.reset();
        instance = std::make_unique<World>();
    }
    return *instance;
}

void split_target(const std::string& target, http::Request& request) {
    const auto q = target.find('?');
    request.path = target.substr(0, q);
    request.query = q == std::string::npos ? std::string() : target.substr(q + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    World& w = world();
    const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    const std::string lead = std::string(kLeads) + "/" + w.lead_id;

    http::Request request;
    request.headers = {{"x-tenant-id", kTenant}, {"content-type", "application/json"}};
    const http::ApiHandler* api = &w.gateway_api;
    switch (data[0] % 8) {
        case 0:
            request.method = "POST";
            request.path = kLeads;
            request.body = rest;
            break;
        case 1:
            request.method = "PATCH";
            request.path = lead;
            request.body = rest;
            break;
        case 2:
            request.method = "POST";
            request.path = lead + "/activity";
            request.body = rest;
            break;
        case 3:
            request.method = "POST";
            request.path = std::string(kLeads) + "/import";
            request.body = rest;
            break;
        case 4:
            request.method = "GET";
            request.path = kLeads;
            request.query = rest;
            break;
        case 5:
            request.method = (data[0] & 0x80) ? "DELETE" : "GET";
            request.path = lead + "/activity";
            request.query = rest;
            break;
        case 6:
            request.method = (data[0] & 0x80) ? "GET" : "PATCH";
            split_target(rest, request);
            request.body = "{}";
            break;
        default:
            request.method = "GET";
            request.path = kLeads;
            request.query = "workspace=acme";
            request.headers = {{"authorization", "Bearer " + rest}};
            api = &w.jwt_api;
            break;
    }

    if ((data[0] & 0x40) != 0 && (request.method == "POST" || request.method == "PATCH")) {
        request.headers.push_back({"idempotency-key", "fuzz-" + std::to_string(data[0] % 4)});
    }
    const http::Response response = api->handle(request);
    if (response.status == 500 || response.status < 200 || response.status > 599) {
        std::fprintf(stderr, "status %d: %s\n", response.status, response.log_detail.c_str());
        __builtin_trap();
    }
    if (!response.content_type.empty() &&
        !leads::adapters::http::json::parse(response.body, {64, 10'000'000}).document) {
        std::fprintf(stderr, "response is not JSON: %s\n", response.body.c_str());
        __builtin_trap();
    }
    return 0;
}
