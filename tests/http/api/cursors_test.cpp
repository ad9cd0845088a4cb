// ApiHandler without sockets: cursors, sort and the §7 filters of GET /leads, and cursors
// of an activity history (CONTRACT §7).
#include <catch2/catch.hpp>
#include <set>

#include "tests/http/api/handler_fixture.hpp"

namespace handler_tests {
namespace {

constexpr const char* kLeads = "/api/v1/tenant/leads";

std::vector<std::string> emails_of(const Body& body) {
    std::vector<std::string> emails;
    for (const auto& item : arr(at(body.object(), "data"))) emails.push_back(str(at(obj(item), "email")));
    return emails;
}

const json::Object& pagination(const Body& body) { return obj(at(body.object(), "pagination")); }

std::optional<std::string> next_cursor(const Body& body) {
    const json::Value& next = at(pagination(body), "next_cursor");
    if (next.is_null()) return std::nullopt;
    return str(next);
}

// Five leads, l0 (oldest) .. l4, the clock stepping between them.
void add_five(Api& api) {
    for (int i = 0; i < 5; ++i) {
        api.create(R"({"workspace_slug":"acme","email":"l)" + std::to_string(i) +
                   R"(@example.com","attributes":{"tier":)" + std::to_string(i % 2) + "}}");
    }
}

TEST_CASE("GET /leads: next_cursor walks the list page by page; the last page has none", "[http][cursor]") {
    Api api;
    add_five(api);
    Response first = api.call("GET", std::string(kLeads) + "?workspace=acme&limit=2");
    REQUIRE(first.status == 200);
    auto body = Api::parse(first);
    CHECK(emails_of(body) == std::vector<std::string>{"l4@example.com", "l3@example.com"});
    CHECK(num(at(pagination(body), "offset")) == 0);
    auto cursor = next_cursor(body);
    REQUIRE(cursor);

    std::vector<std::string> walked = emails_of(body);
    for (int page = 0; cursor && page < 10; ++page) {
        Response r = api.call("GET", std::string(kLeads) + "?workspace=acme&limit=2&cursor=" + *cursor);
        REQUIRE(r.status == 200);
        body = Api::parse(r);
        const auto& p = pagination(body);
        CHECK(num(at(p, "total")) == 5);
        CHECK(at(p, "offset").is_null());
        CHECK(*at(p, "has_more").as_bool() == next_cursor(body).has_value());
        const auto items = emails_of(body);
        walked.insert(walked.end(), items.begin(), items.end());
        cursor = next_cursor(body);
    }
    CHECK(walked == std::vector<std::string>{"l4@example.com", "l3@example.com", "l2@example.com", "l1@example.com",
                                             "l0@example.com"});
    // The offset form gives the cursor too while has_more, and null on the last page.
    body = Api::parse(api.call("GET", std::string(kLeads) + "?workspace=acme&limit=2&offset=3"));
    CHECK_FALSE(next_cursor(body));
    CHECK_FALSE(*at(pagination(body), "has_more").as_bool());
}

TEST_CASE("GET /leads: a cursor is bound to its list; edited, foreign or mixed with offset is 400 cursor",
          "[http][cursor]") {
    Api api;
    add_five(api);
    const auto body = Api::parse(api.call("GET", std::string(kLeads) + "?workspace=acme&limit=2&attributes.tier=0"));
    const auto cursor = next_cursor(body);
    REQUIRE(cursor);
    const std::string base = std::string(kLeads) + "?workspace=acme&attributes.tier=0&cursor=";
    // The same filters (limit may change): fine.
    CHECK(api.call("GET", base + *cursor + "&limit=1").status == 200);

    const auto refused = [&](const std::string& target) {
        return has_detail(expect_error(api.call("GET", target), "validation_failed"), "cursor");
    };
    // Another filter, sort or workspace than the first page's.
    CHECK(refused(std::string(kLeads) + "?workspace=acme&attributes.tier=1&cursor=" + *cursor));
    CHECK(refused(std::string(kLeads) + "?workspace=acme&cursor=" + *cursor));
    CHECK(refused(base + *cursor + "&sort=created_at"));
    CHECK(refused(std::string(kLeads) + "?workspace=other&attributes.tier=0&cursor=" + *cursor));
    // Another tenant's list.
    CHECK(has_detail(expect_error(api.call("GET", base + *cursor, {}, {}, random_tenant()), "validation_failed"),
                     "cursor"));
    // Edited: a character of the position changed, the tag cut short, garbage.
    std::string edited = *cursor;
    edited[2] = edited[2] == 'A' ? 'B' : 'A';
    CHECK(refused(base + edited));
    CHECK(refused(base + cursor->substr(0, cursor->size() - 1)));
    CHECK(refused(base + "not-a-cursor"));
    // With offset.
    CHECK(refused(base + *cursor + "&offset=0"));
}

TEST_CASE("GET /leads: sort, email, instant ranges and attribute filters; bad values are 400 naming them",
          "[http][filters]") {
    Api api;
    add_five(api);
    auto body = Api::parse(api.call("GET", std::string(kLeads) + "?workspace=acme&sort=created_at&limit=3"));
    CHECK(emails_of(body) == std::vector<std::string>{"l0@example.com", "l1@example.com", "l2@example.com"});
    body = Api::parse(api.call("GET", std::string(kLeads) + "?workspace=acme&email=%20L3@Example.COM"));
    CHECK(emails_of(body) == std::vector<std::string>{"l3@example.com"});
    body = Api::parse(api.call("GET", std::string(kLeads) + "?workspace=acme&attributes.tier=1"));
    CHECK(emails_of(body) == std::vector<std::string>{"l3@example.com", "l1@example.com"});
    CHECK(num(at(pagination(body), "total")) == 2);
    body = Api::parse(api.call("GET", std::string(kLeads) + "?workspace=acme&created_before=2000-01-01T00:00:00Z"));
    CHECK(emails_of(body).empty());
    body = Api::parse(api.call("GET", std::string(kLeads) + "?workspace=acme&updated_after=2000-01-01T00:00:00Z"));
    CHECK(num(at(pagination(body), "total")) == 5);

    const auto refused = [&](const std::string& query, std::string_view field) {
        return has_detail(
            expect_error(api.call("GET", std::string(kLeads) + "?workspace=acme&" + query), "validation_failed"),
            field);
    };
    CHECK(refused("sort=name", "sort"));
    CHECK(refused("email=nope", "email"));
    CHECK(refused("created_after=yesterday", "created_after"));
    CHECK(refused("updated_before=2025-13-01T00:00:00Z", "updated_before"));
    CHECK(refused("attributes.1bad=x", "attributes.1bad"));
    CHECK(refused("attributes.a=1&attributes.b=1&attributes.c=1&attributes.d=1&attributes.e=1&attributes.f=1",
                  "attributes"));
    CHECK(refused("attributes.=x", "attributes."));  // not a member of the family: unknown
    CHECK(refused("attributes.a=1&attributes.a=2", "attributes.a"));
}

TEST_CASE("GET /leads/{id}/activity: next_cursor walks the history; it is bound to the lead", "[http][cursor]") {
    Api api;
    const std::string id = api.create(R"({"workspace_slug":"acme","email":"h@example.com"})");
    for (int i = 0; i < 4; ++i) {
        REQUIRE(api.call("POST", lead_path(id) + "/activity", R"({"type":"note"})").status == 201);
    }
    const std::string other = api.create(R"({"workspace_slug":"acme","email":"o@example.com"})");

    auto body = Api::parse(api.call("GET", lead_path(id) + "/activity?limit=2"));
    std::vector<std::string> seen;
    for (const auto& item : arr(at(body.object(), "data"))) seen.push_back(str(at(obj(item), "id")));
    auto cursor = next_cursor(body);
    REQUIRE(cursor);
    CHECK(
        has_detail(expect_error(api.call("GET", lead_path(other) + "/activity?cursor=" + *cursor), "validation_failed"),
                   "cursor"));
    while (cursor) {
        Response r = api.call("GET", lead_path(id) + "/activity?limit=2&cursor=" + *cursor);
        REQUIRE(r.status == 200);
        body = Api::parse(r);
        for (const auto& item : arr(at(body.object(), "data"))) seen.push_back(str(at(obj(item), "id")));
        cursor = next_cursor(body);
    }
    CHECK(seen.size() == 5);  // lead_created and four notes
    CHECK(std::set<std::string>(seen.begin(), seen.end()).size() == 5);
}

}  // namespace
}  // namespace handler_tests
