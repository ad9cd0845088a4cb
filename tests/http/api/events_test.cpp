// ApiHandler without sockets: GET /api/v1/tenant/events (CONTRACT §8) over the use cases
// and the in-memory repository.
#include <catch2/catch.hpp>
#include <string>

#include "tests/http/api/handler_fixture.hpp"

namespace handler_tests {
namespace {

constexpr const char* kLeads = "/api/v1/tenant/leads";
constexpr const char* kEvents = "/api/v1/tenant/events";

struct Feed {
    Body body;
    std::vector<std::string> types;
    std::vector<std::int64_t> sequences;
};

Feed feed(Api& api, const std::string& query = {}, std::optional<std::string> as_tenant = std::nullopt) {
    Response r = api.call("GET", std::string(kEvents) + query, {}, {}, as_tenant);
    INFO(r.body);
    REQUIRE(r.status == 200);
    Feed feed{Api::parse(r), {}, {}};
    for (const auto& event : arr(at(feed.body.object(), "data"))) {
        feed.types.push_back(str(at(obj(event), "type")));
        feed.sequences.push_back(num(at(obj(event), "sequence")));
    }
    return feed;
}

}  // namespace

TEST_CASE("GET /events lists each change's events in order, as the contract shapes them", "[http][events]") {
    Api api;
    const std::string id = api.create(R"({"workspace_slug":"acme","email":"jane@example.com"})");
    REQUIRE(api.call("PATCH", lead_path(id), R"({"company":"Acme","status":"contacted"})").status == 200);
    REQUIRE(api.call("POST", lead_path(id) + "/activity", R"({"type":"email_replied"})").status == 201);
    REQUIRE(api.call("DELETE", lead_path(id)).status == 204);

    Feed all = feed(api);
    CHECK(all.types == std::vector<std::string>{"lead.created", "lead.updated", "lead.status_changed",
                                                "activity.recorded", "lead.updated", "lead.status_changed",
                                                "lead.deleted"});
    CHECK(all.sequences == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7});
    const auto& events = arr(at(all.body.object(), "data"));
    const auto& first = obj(events[0]);
    CHECK(str(at(first, "id")).starts_with("evt_"));
    CHECK(is_rfc3339_millis(str(at(first, "timestamp"))));
    CHECK(str(at(first, "workspace_slug")) == "acme");
    CHECK(str(at(first, "lead_id")) == id);
    // The lead is deleted: every event about it is erased, ids and order kept.
    for (std::size_t i = 0; i + 1 < events.size(); ++i) {
        CHECK(*at(obj(at(obj(events[i]), "data")), "erased").as_bool());
    }
    CHECK(obj(at(obj(events.back()), "data")).empty());  // lead.deleted carries no lead
    const auto& pagination = obj(at(all.body.object(), "pagination"));
    CHECK(num(at(pagination, "next_after")) == 7);
    CHECK_FALSE(*at(pagination, "has_more").as_bool());
}

TEST_CASE("GET /events: data carries the changed fields, the move and the lead as right after the change",
          "[http][events]") {
    Api api;
    const std::string id = api.create(R"({"workspace_slug":"acme","email":"jane@example.com"})");
    REQUIRE(api.call("PATCH", lead_path(id), R"({"status":"replied","attributes":{"score":3}})").status == 200);
    Feed page = feed(api, "?after=1&types=lead.updated,lead.status_changed");
    const auto& events = arr(at(page.body.object(), "data"));
    REQUIRE(events.size() == 2);
    const auto& updated = obj(at(obj(events[0]), "data"));
    const auto& changed = arr(at(updated, "changed"));
    REQUIRE(changed.size() == 2);
    CHECK(str(changed[0]) == "status");
    CHECK(str(changed[1]) == "attributes");
    CHECK(str(at(obj(at(updated, "lead")), "status")) == "replied");
    CHECK(num(at(obj(at(obj(at(updated, "lead")), "attributes")), "score")) == 3);
    const auto& moved = obj(at(obj(events[1]), "data"));
    CHECK(str(at(moved, "from")) == "new");
    CHECK(str(at(moved, "to")) == "replied");
}

TEST_CASE("GET /events: replays, refusals, no-ops and suppressions record no event", "[http][events]") {
    Api api;
    const std::string body = R"({"workspace_slug":"acme","email":"jane@example.com"})";
    Response created = api.call("POST", kLeads, body, {{"idempotency-key", "k1"}});
    REQUIRE(created.status == 201);
    const std::string id = str(at(obj(at(Api::parse(created).object(), "data")), "id"));
    REQUIRE(api.call("POST", kLeads, body, {{"idempotency-key", "k1"}}).status == 201);  // replay
    REQUIRE(api.call("POST", kLeads, body).status == 409);                               // duplicate
    REQUIRE(api.call("POST", kLeads, R"({"workspace_slug":"acme","email":"bad"})").status == 400);
    REQUIRE(api.call("PATCH", lead_path(id), R"({"status":"new"})").status == 200);  // no change
    REQUIRE(api.call("PATCH", lead_path(id), R"({"company":"Acme"})", {{"if-match", "\"99\""}}).status == 412);
    REQUIRE(api.call("POST", "/api/v1/tenant/suppressions", R"({"email":"jane@example.com"})").status == 201);
    CHECK(feed(api).types == std::vector<std::string>{"lead.created"});
}

TEST_CASE("GET /events pages with after and limit; another tenant sees none of it", "[http][events]") {
    Api api;
    for (int i = 0; i < 5; ++i) {
        api.create(R"({"workspace_slug":"acme","email":"lead)" + std::to_string(i) + R"(@example.com"})");
    }
    Feed first = feed(api, "?limit=2");
    CHECK(first.sequences == std::vector<std::int64_t>{1, 2});
    CHECK(*at(obj(at(first.body.object(), "pagination")), "has_more").as_bool());
    Feed rest = feed(api, "?after=2&limit=10");
    CHECK(rest.sequences == std::vector<std::int64_t>{3, 4, 5});
    Feed beyond = feed(api, "?after=9");
    CHECK(beyond.sequences.empty());
    CHECK(num(at(obj(at(beyond.body.object(), "pagination")), "next_after")) == 9);
    CHECK(feed(api, {}, random_tenant()).sequences.empty());
    CHECK(feed(api, "?workspace=other").sequences.empty());
}

TEST_CASE("GET /events refuses bad parameters with 400 naming them", "[http][events]") {
    Api api;
    for (const auto& [query, field] :
         std::vector<std::pair<std::string, std::string>>{{"?after=-1", "after"},
                                                          {"?after=abc", "after"},
                                                          {"?limit=0", "limit"},
                                                          {"?limit=1001", "limit"},
                                                          {"?types=lead.created,lead.nope", "types"},
                                                          {"?types=", "types"},
                                                          {"?workspace=Not%20A%20Slug", "workspace"},
                                                          {"?sort=sequence", "sort"}}) {
        INFO(query);
        Response r = api.call("GET", std::string(kEvents) + query);
        CHECK(r.status == 400);
        CHECK(r.body.find("\"" + field + "\"") != std::string::npos);
    }
    CHECK(api.call("POST", kEvents, "{}").status == 405);
}

TEST_CASE("GET /events: an after older than the oldest kept event is 410 events_expired", "[http][events]") {
    Api api;
    api.create(R"({"workspace_slug":"acme","email":"jane@example.com"})");
    api.create(R"({"workspace_slug":"acme","email":"john@example.com"})");
    CHECK(feed(api, "?after=0").sequences.size() == 2);
    // Both events fall out of the 168-hour window (the events carry the wall clock's time,
    // the service reads the test's: move it well past both).
    api.clock.advance(std::chrono::hours(24 * 365 * 5));
    expect_error(api.call("GET", std::string(kEvents) + "?after=0"), "events_expired");
    expect_error(api.call("GET", std::string(kEvents) + "?after=1"), "events_expired");
    CHECK(feed(api, "?after=2").sequences.empty());  // nothing missed
    CHECK(feed(api).sequences.empty());              // without after: from the oldest kept
}

}  // namespace handler_tests
