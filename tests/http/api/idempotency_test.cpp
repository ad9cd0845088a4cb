// ApiHandler without sockets: Idempotency-Key on every POST, PUT and PATCH (CONTRACT §6).
#include <catch2/catch.hpp>
#include <string>

#include "tests/http/api/handler_fixture.hpp"
#include "tests/support/switchable_repository.hpp"

namespace handler_tests {
namespace {

constexpr const char* kLeads = "/api/v1/tenant/leads";

std::vector<http::Header> keyed(const std::string& key) { return {{"idempotency-key", key}}; }

std::int64_t lead_count(Api& api, const std::string& workspace = "acme") {
    Response r = api.call("GET", std::string(kLeads) + "?workspace=" + workspace);
    REQUIRE(r.status == 200);
    return num(at(obj(at(Api::parse(r).object(), "pagination")), "total"));
}

std::int64_t activity_total(Api& api, const std::string& id) {
    Response r = api.call("GET", lead_path(id));
    REQUIRE(r.status == 200);
    return num(at(obj(at(Api::parse(r).object(), "data")), "activity_total"));
}

// The replay is the first answer byte for byte, with its Location and ETag, marked replayed.
void check_replay(const Response& first, const Response& replay) {
    CHECK(replay.status == first.status);
    CHECK(replay.body == first.body);
    CHECK(header(replay, "Location") == header(first, "Location"));
    CHECK(header(replay, "ETag") == header(first, "ETag"));
    CHECK(header(replay, "Idempotent-Replayed") == "true");
    CHECK_FALSE(header(first, "Idempotent-Replayed"));
}

TEST_CASE("POST /leads with a key: the repeat replays the answer and creates nothing", "[http][idempotency]") {
    Api api;
    const std::string body = R"({"workspace_slug":"acme","email":"jane@example.com"})";
    Response first = api.call("POST", kLeads, body, keyed("create-1"));
    REQUIRE(first.status == 201);
    Response again = api.call("POST", kLeads, body, keyed("create-1"));
    check_replay(first, again);
    CHECK(lead_count(api) == 1);
    // Even after the lead changed and was deleted, the answer replays as it was.
    const std::string id = str(at(obj(at(Api::parse(first).object(), "data")), "id"));
    REQUIRE(api.call("PATCH", lead_path(id), R"({"first_name":"Later"})").status == 200);
    REQUIRE(api.call("DELETE", lead_path(id)).status == 204);
    check_replay(first, api.call("POST", kLeads, body, keyed("create-1")));
    CHECK(lead_count(api) == 0);
}

TEST_CASE("a key used with another request is 422; another tenant's same key is its own", "[http][idempotency]") {
    Api api;
    REQUIRE(api.call("POST", kLeads, R"({"workspace_slug":"acme","email":"a@example.com"})", keyed("k")).status == 201);
    expect_error(api.call("POST", kLeads, R"({"workspace_slug":"acme","email":"b@example.com"})", keyed("k")),
                 "idempotency_key_reused");
    // Same body, other path or query: another request too.
    expect_error(api.call("PUT", kLeads, R"({"workspace_slug":"acme","email":"a@example.com"})", keyed("k")),
                 "idempotency_key_reused");
    CHECK(lead_count(api) == 1);
    Response other =
        api.call("POST", kLeads, R"({"workspace_slug":"acme","email":"a@example.com"})", keyed("k"), random_tenant());
    CHECK(other.status == 201);
    CHECK_FALSE(header(other, "Idempotent-Replayed"));
}

TEST_CASE("a malformed key is 400 naming Idempotency-Key and changes nothing", "[http][idempotency]") {
    Api api;
    for (const std::string& key : {std::string(256, 'k'), std::string("has space"), std::string("tab\tkey"),
                                   std::string("caf\xc3\xa9"), std::string()}) {
        CAPTURE(key);
        CHECK(has_detail(
            expect_error(api.call("POST", kLeads, R"({"workspace_slug":"acme","email":"a@example.com"})", keyed(key)),
                         "validation_failed"),
            "Idempotency-Key"));
    }
    CHECK(lead_count(api) == 0);
    CHECK(api.call("POST", kLeads, R"({"workspace_slug":"acme","email":"a@example.com"})", keyed(std::string(255, '~')))
              .status == 201);
}

TEST_CASE("final refusals (404, 409, 412) replay; answers that were not final run again", "[http][idempotency]") {
    Api api;
    const std::string id = api.create(R"({"workspace_slug":"acme","email":"taken@example.com"})");

    // 409 duplicate_email: replayed even once the email is free again.
    const std::string duplicate = R"({"workspace_slug":"acme","email":"taken@example.com"})";
    Response conflict = api.call("POST", kLeads, duplicate, keyed("dup"));
    REQUIRE(conflict.status == 409);
    REQUIRE(api.call("DELETE", lead_path(id)).status == 204);
    check_replay(conflict, api.call("POST", kLeads, duplicate, keyed("dup")));
    CHECK(lead_count(api) == 0);

    // 404 on an unknown lead's activity.
    const std::string missing = lead_path("lead_01JD7Z8Y9X0W1V2U3T4S5R6Q7P") + "/activity";
    Response not_found = api.call("POST", missing, R"({"type":"note"})", keyed("nf"));
    REQUIRE(not_found.status == 404);
    check_replay(not_found, api.call("POST", missing, R"({"type":"note"})", keyed("nf")));

    // 412 from If-Match. Headers are not part of what identifies the request: the repeat
    // without If-Match replays the 412.
    const std::string lead = api.create(R"({"workspace_slug":"acme","email":"m@example.com"})");
    Response stale =
        api.call("PATCH", lead_path(lead), R"({"company":"X"})", {{"idempotency-key", "pre"}, {"if-match", "\"999\""}});
    REQUIRE(stale.status == 412);
    check_replay(stale, api.call("PATCH", lead_path(lead), R"({"company":"X"})", keyed("pre")));

    // 400 is not final: the key stays free, and the corrected request (other body) runs.
    REQUIRE(api.call("POST", kLeads, R"({"workspace_slug":"acme","email":"nope"})", keyed("fix")).status == 400);
    Response fixed = api.call("POST", kLeads, R"({"workspace_slug":"acme","email":"ok@example.com"})", keyed("fix"));
    CHECK(fixed.status == 201);
    CHECK_FALSE(header(fixed, "Idempotent-Replayed"));
    // 415 as well.
    REQUIRE(api.call("POST", kLeads, "x", {{"idempotency-key", "media"}, {"content-type", "text/plain"}}).status ==
            415);
    CHECK(api.call("POST", kLeads, R"({"workspace_slug":"acme","email":"m2@example.com"})", keyed("media")).status ==
          201);
}

TEST_CASE("every write replays without a second effect: PATCH, activity, import, upsert, suppression",
          "[http][idempotency]") {
    Api api;
    const std::string id = api.create(R"({"workspace_slug":"acme","email":"w@example.com"})");

    Response patched = api.call("PATCH", lead_path(id), R"({"status":"contacted"})", keyed("p"));
    REQUIRE(patched.status == 200);
    const auto history_after_patch = activity_total(api, id);
    REQUIRE(api.call("PATCH", lead_path(id), R"({"status":"replied"})").status == 200);  // a later change
    check_replay(patched, api.call("PATCH", lead_path(id), R"({"status":"contacted"})", keyed("p")));
    CHECK(activity_total(api, id) == history_after_patch + 1);  // only the later change's entry

    Response noted = api.call("POST", lead_path(id) + "/activity", R"({"type":"note"})", keyed("a"));
    REQUIRE(noted.status == 201);
    const auto history = activity_total(api, id);
    check_replay(noted, api.call("POST", lead_path(id) + "/activity", R"({"type":"note"})", keyed("a")));
    CHECK(activity_total(api, id) == history);

    const std::string import =
        R"({"workspace_slug":"bulk","leads":[{"email":"i1@example.com"},{"email":"bad"},{"email":"i2@example.com"}]})";
    Response imported = api.call("POST", std::string(kLeads) + "/import", import, keyed("i"));
    REQUIRE(imported.status == 200);
    check_replay(imported, api.call("POST", std::string(kLeads) + "/import", import, keyed("i")));
    CHECK(lead_count(api, "bulk") == 2);

    const std::string upsert = R"({"workspace_slug":"acme","email":"u@example.com","company":"A"})";
    Response upserted = api.call("PUT", kLeads, upsert, keyed("u"));
    REQUIRE(upserted.status == 201);
    check_replay(upserted, api.call("PUT", kLeads, upsert, keyed("u")));

    const std::string entry = R"({"email":"s@example.com"})";
    Response suppressed = api.call("POST", "/api/v1/tenant/suppressions", entry, keyed("s"));
    REQUIRE(suppressed.status == 201);
    check_replay(suppressed, api.call("POST", "/api/v1/tenant/suppressions", entry, keyed("s")));
}

TEST_CASE("an upsert refused as suppressed is recorded and replayed, though nothing was written",
          "[http][idempotency]") {
    Api api;
    REQUIRE(api.call("POST", "/api/v1/tenant/suppressions", R"({"email":"gone@example.com"})").status == 201);
    const std::string body = R"({"workspace_slug":"acme","email":"gone@example.com"})";
    Response refused = api.call("PUT", kLeads, body, keyed("up"));
    REQUIRE(refused.status == 409);
    CHECK(refused.body.find("suppressed") != std::string::npos);
    // Even once the address is no longer listed, the key answers as it did.
    const std::string entry = str(
        at(obj(at(Api::parse(api.call("GET", "/api/v1/tenant/suppressions?email=gone@example.com")).object(), "data")),
           "id"));
    REQUIRE(api.call("DELETE", "/api/v1/tenant/suppressions/" + entry).status == 204);
    check_replay(refused, api.call("PUT", kLeads, body, keyed("up")));
    CHECK(lead_count(api) == 0);
}

TEST_CASE("a 5xx is not recorded: the same request with the key runs again once storage is back",
          "[http][idempotency]") {
    // The keys live in a store that stays up; the leads' storage goes down.
    leads::adapters::memory::InMemoryLeadRepository memory;
    leads::tests::SwitchableRepository leads_storage(memory);
    SteppingClock clock;
    leads::adapters::system::RandomIdGenerator ids;
    leads::app::LeadService service{leads_storage, clock, ids};
    leads::app::SuppressionService suppressions{leads_storage, clock, ids};
    leads::app::IdempotencyService idempotency{memory, clock, ids, std::chrono::hours(24)};
    http::ApiHandler handler{service, suppressions, gateway(), nullptr, &idempotency};
    const auto post = [&] {
        Request request;
        request.method = "POST";
        request.path = kLeads;
        request.body = R"({"workspace_slug":"acme","email":"retry@example.com"})";
        request.headers = {{"x-tenant-id", "t-5xx"}, {"content-type", "application/json"}, {"idempotency-key", "k"}};
        return handler.handle(request);
    };
    leads_storage.down = true;
    CHECK(post().status == 503);
    leads_storage.down = false;
    Response ran = post();
    CHECK(ran.status == 201);
    CHECK_FALSE(header(ran, "Idempotent-Replayed"));
    CHECK(header(post(), "Idempotent-Replayed") == "true");
}

TEST_CASE("a key is forgotten after LEADS_IDEMPOTENCY_TTL_H: the same request then runs again", "[http][idempotency]") {
    Api api;
    const std::string body = R"({"workspace_slug":"acme","email":"ttl@example.com"})";
    REQUIRE(api.call("POST", kLeads, body, keyed("ttl")).status == 201);
    api.clock.advance(std::chrono::hours(23));
    CHECK(header(api.call("POST", kLeads, body, keyed("ttl")), "Idempotent-Replayed") == "true");
    api.clock.advance(std::chrono::hours(2));
    // Runs again: the email is taken now, so this time the answer is 409.
    Response again = api.call("POST", kLeads, body, keyed("ttl"));
    CHECK(again.status == 409);
    CHECK_FALSE(header(again, "Idempotent-Replayed"));
}

}  // namespace
}  // namespace handler_tests
