// ApiHandler without sockets: the suppression list (CONTRACT §9), do_not_contact on leads,
// erase-and-suppress, and upsert (PUT /leads).
#include <catch2/catch.hpp>

#include "tests/http/api/handler_fixture.hpp"

namespace handler_tests {
namespace {

constexpr const char* kSuppressions = "/api/v1/tenant/suppressions";
constexpr const char* kLeads = "/api/v1/tenant/leads";

std::string lead_body(const std::string& email, const std::string& rest = {}) {
    return R"({"workspace_slug":"acme","email":")" + email + "\"" + rest + "}";
}

bool do_not_contact(Api& api, const std::string& id) {
    Response r = api.call("GET", lead_path(id));
    REQUIRE(r.status == 200);
    return *at(obj(at(Api::parse(r).object(), "data")), "do_not_contact").as_bool();
}

TEST_CASE("POST /suppressions: 201 with the entry (a hash, never the email), then 200 with the same entry",
          "[http][suppression]") {
    Api api;
    Response created = api.call("POST", kSuppressions, R"({"email":" Jane@Example.com ","reason":"unsubscribed"})");
    REQUIRE(created.status == 201);
    CHECK(header(created, "Cache-Control") == "no-store");
    CHECK(created.body.find("jane@") == std::string::npos);
    const auto body = Api::parse(created);
    const auto& entry = obj(at(body.object(), "data"));
    CHECK(entry.size() == 4);
    CHECK(str(at(entry, "id")).rfind("sup_", 0) == 0);
    // SHA-256 of "jane@example.com" (sha256sum).
    CHECK(str(at(entry, "email_hash")) == "8c87b489ce35cf2e2f39f80e282cb2e804932a56a213983eeeb428407d43b52d");
    CHECK(str(at(entry, "reason")) == "unsubscribed");
    CHECK(is_rfc3339_millis(str(at(entry, "created_at"))));

    Response again = api.call("POST", kSuppressions, R"({"email":"jane@example.com"})");
    REQUIRE(again.status == 200);
    CHECK(str(at(obj(at(Api::parse(again).object(), "data")), "id")) == str(at(entry, "id")));
}

TEST_CASE("POST /suppressions: bad bodies are 400 naming the field, and change nothing", "[http][suppression]") {
    Api api;
    CHECK(has_detail(expect_error(api.call("POST", kSuppressions, "{}"), "validation_failed"), "email", "is required"));
    CHECK(has_detail(
        expect_error(api.call("POST", kSuppressions, R"({"email":"x@example.com","why":1})"), "validation_failed"),
        "why", "unknown field"));
    CHECK(
        has_detail(expect_error(api.call("POST", kSuppressions, R"({"email":"nope"})"), "validation_failed"), "email"));
    CHECK(has_detail(expect_error(api.call("POST", kSuppressions, R"({"email":"x@example.com","reason":"spam"})"),
                                  "validation_failed"),
                     "reason"));
    CHECK(has_detail(expect_error(api.call("POST", kSuppressions, R"({"email":7})"), "validation_failed"), "email"));
    expect_error(api.call("POST", kSuppressions, "[1]"), "invalid_json");
    expect_error(api.call("POST", kSuppressions, R"({"email":"x@example.com"})", {{"content-type", "text/plain"}}),
                 "unsupported_media_type");
    Response listed = api.call("GET", kSuppressions);
    REQUIRE(listed.status == 200);
    CHECK(num(at(obj(at(Api::parse(listed).object(), "pagination")), "total")) == 0);
}

TEST_CASE("GET /suppressions?email= finds the entry however the email is written; 404 when not listed",
          "[http][suppression]") {
    Api api;
    REQUIRE(api.call("POST", kSuppressions, R"({"email":"jane@example.com"})").status == 201);
    CHECK(api.call("GET", std::string(kSuppressions) + "?email=JANE%40example.com").status == 200);
    expect_error(api.call("GET", std::string(kSuppressions) + "?email=john%40example.com"), "not_found");
    CHECK(has_detail(expect_error(api.call("GET", std::string(kSuppressions) + "?email=nope"), "validation_failed"),
                     "email"));
    CHECK(has_detail(expect_error(api.call("GET", std::string(kSuppressions) + "?email=jane%40example.com&limit=2"),
                                  "validation_failed"),
                     "email"));
    // Another tenant does not see it.
    expect_error(api.call("GET", std::string(kSuppressions) + "?email=jane%40example.com", {}, {}, random_tenant()),
                 "not_found");
}

TEST_CASE("GET /suppressions walks the list newest first by cursor; an edited cursor is 400", "[http][suppression]") {
    Api api;
    std::vector<std::string> created;
    for (int i = 0; i < 5; ++i) {
        Response r = api.call("POST", kSuppressions,
                              R"({"email":"p)" + std::to_string(i) + R"(@example.com","reason":"bounced"})");
        REQUIRE(r.status == 201);
        created.insert(created.begin(), str(at(obj(at(Api::parse(r).object(), "data")), "id")));
    }
    std::vector<std::string> walked;
    std::string target = std::string(kSuppressions) + "?limit=2";
    std::string last_cursor;
    for (int page = 0; page < 5; ++page) {
        Response r = api.call("GET", target);
        REQUIRE(r.status == 200);
        const auto body = Api::parse(r);
        for (const auto& entry : arr(at(body.object(), "data"))) walked.push_back(str(at(obj(entry), "id")));
        const auto& pagination = obj(at(body.object(), "pagination"));
        CHECK(num(at(pagination, "total")) == 5);
        CHECK(num(at(pagination, "limit")) == 2);
        const auto& next = at(pagination, "next_cursor");
        if (next.is_null()) {
            CHECK_FALSE(*at(pagination, "has_more").as_bool());
            break;
        }
        CHECK(*at(pagination, "has_more").as_bool());
        last_cursor = str(next);
        target = std::string(kSuppressions) + "?limit=2&cursor=" + last_cursor;
    }
    CHECK(walked == created);

    REQUIRE(last_cursor.size() > 4);
    std::string edited = last_cursor;
    edited[1] = edited[1] == 'A' ? 'B' : 'A';
    for (const std::string& bad : {edited, last_cursor.substr(0, last_cursor.size() - 1), std::string("abc"),
                                   last_cursor + "x", std::string(".")}) {
        CAPTURE(bad);
        CHECK(has_detail(
            expect_error(api.call("GET", std::string(kSuppressions) + "?cursor=" + bad), "validation_failed"),
            "cursor"));
    }
    CHECK(has_detail(expect_error(api.call("GET", std::string(kSuppressions) + "?limit=0"), "validation_failed"),
                     "limit"));
    CHECK(has_detail(expect_error(api.call("GET", std::string(kSuppressions) + "?offset=1"), "validation_failed"),
                     "offset"));
}

TEST_CASE("GET and DELETE /suppressions/{id}: the tenant's own entries only", "[http][suppression]") {
    Api api;
    Response r = api.call("POST", kSuppressions, R"({"email":"jane@example.com"})");
    const std::string path = std::string(kSuppressions) + "/" + str(at(obj(at(Api::parse(r).object(), "data")), "id"));
    CHECK(api.call("GET", path).status == 200);
    expect_error(api.call("GET", path, {}, {}, random_tenant()), "not_found");
    expect_error(api.call("DELETE", path, {}, {}, random_tenant()), "not_found");
    Response removed = api.call("DELETE", path);
    CHECK(removed.status == 204);
    CHECK(removed.body.empty());
    expect_error(api.call("DELETE", path), "not_found");
    expect_error(api.call("GET", std::string(kSuppressions) + "/garbage"), "not_found");
}

TEST_CASE("a suppressed email is 409 suppressed on create, upsert, email change; an import row error",
          "[http][suppression]") {
    Api api;
    const std::string john = api.create(lead_body("john@example.com"));
    REQUIRE(api.call("POST", kSuppressions, R"({"email":"jane@example.com"})").status == 201);

    CHECK(has_detail(expect_error(api.call("POST", kLeads, lead_body("Jane@example.com")), "suppressed"), "email",
                     "suppressed"));
    CHECK(api.call("POST", kLeads, lead_body("Jane@example.com")).status == 409);
    expect_error(api.call("PUT", kLeads, lead_body("jane@example.com")), "suppressed");
    expect_error(api.call("PATCH", lead_path(john), R"({"email":"jane@example.com"})"), "suppressed");
    Response imported =
        api.call("POST", "/api/v1/tenant/leads/import",
                 R"({"workspace_slug":"acme","leads":[{"email":"jane@example.com"},{"email":"ok@example.com"}]})");
    REQUIRE(imported.status == 200);
    const auto summary = Api::parse(imported);
    const auto& data = obj(at(summary.object(), "data"));
    CHECK(num(at(data, "created")) == 1);
    const auto& errors = arr(at(data, "errors"));
    REQUIRE(errors.size() == 1);
    CHECK(num(at(obj(errors[0]), "index")) == 0);
    CHECK(str(at(obj(errors[0]), "field")) == "email");
    CHECK(str(at(obj(errors[0]), "issue")) == "suppressed");

    // Another tenant may use the email.
    CHECK(api.call("POST", kLeads, lead_body("jane@example.com"), {}, random_tenant()).status == 201);
}

TEST_CASE("do_not_contact follows the list, on get and list, and filters with an exact total", "[http][suppression]") {
    Api api;
    const std::string jane = api.create(lead_body("jane@example.com"));
    api.create(lead_body("john@example.com"));
    CHECK_FALSE(do_not_contact(api, jane));
    Response etag_before = api.call("GET", lead_path(jane));
    Response added = api.call("POST", kSuppressions, R"({"email":"jane@example.com"})");
    CHECK(do_not_contact(api, jane));
    // Suppressing is not a change of the lead: same ETag.
    CHECK(header(api.call("GET", lead_path(jane)), "ETag") == header(etag_before, "ETag"));

    Response listed = api.call("GET", std::string(kLeads) + "?workspace=acme&do_not_contact=true");
    REQUIRE(listed.status == 200);
    auto body = Api::parse(listed);
    CHECK(num(at(obj(at(body.object(), "pagination")), "total")) == 1);
    REQUIRE(arr(at(body.object(), "data")).size() == 1);
    CHECK(str(at(obj(arr(at(body.object(), "data"))[0]), "id")) == jane);
    listed = api.call("GET", std::string(kLeads) + "?workspace=acme&do_not_contact=false");
    body = Api::parse(listed);
    CHECK(num(at(obj(at(body.object(), "pagination")), "total")) == 1);
    CHECK(has_detail(
        expect_error(api.call("GET", std::string(kLeads) + "?workspace=acme&do_not_contact=1"), "validation_failed"),
        "do_not_contact"));

    const std::string id = str(at(obj(at(Api::parse(added).object(), "data")), "id"));
    REQUIRE(api.call("DELETE", std::string(kSuppressions) + "/" + id).status == 204);
    CHECK_FALSE(do_not_contact(api, jane));
}

TEST_CASE("DELETE /leads/{id}?suppress=true erases the lead and suppresses its email", "[http][suppression]") {
    Api api;
    const std::string jane = api.create(lead_body("jane@example.com"));
    CHECK(has_detail(expect_error(api.call("DELETE", lead_path(jane) + "?suppress=yes"), "validation_failed"),
                     "suppress"));
    CHECK(api.call("GET", lead_path(jane)).status == 200);
    CHECK(api.call("DELETE", lead_path(jane) + "?suppress=true").status == 204);
    CHECK(api.call("GET", lead_path(jane)).status == 404);
    Response found = api.call("GET", std::string(kSuppressions) + "?email=jane%40example.com");
    REQUIRE(found.status == 200);
    CHECK(str(at(obj(at(Api::parse(found).object(), "data")), "reason")) == "erased");
    expect_error(api.call("POST", kLeads, lead_body("jane@example.com")), "suppressed");
}

TEST_CASE("PUT /leads: 201 with Location for a new email, 200 with the updated lead and ETag after", "[http][upsert]") {
    Api api;
    Response created = api.call("PUT", kLeads, lead_body("jane@example.com", R"(,"first_name":"Jane")"));
    REQUIRE(created.status == 201);
    const auto created_body = Api::parse(created);
    const auto& lead = obj(at(created_body.object(), "data"));
    check_lead_shape(lead);
    const std::string id = str(at(lead, "id"));
    CHECK(header(created, "Location") == lead_path(id));
    CHECK(header(created, "ETag") == "\"1\"");

    Response updated = api.call("PUT", kLeads, lead_body("jane@example.com", R"(,"status":"replied")"));
    REQUIRE(updated.status == 200);
    CHECK_FALSE(header(updated, "Location"));
    CHECK(header(updated, "ETag") == "\"2\"");
    const auto updated_body = Api::parse(updated);
    const auto& after = obj(at(updated_body.object(), "data"));
    CHECK(str(at(after, "id")) == id);
    CHECK(str(at(after, "first_name")) == "Jane");
    CHECK(str(at(after, "status")) == "replied");
    CHECK(num(at(after, "activity_total")) == 2);

    CHECK(has_detail(expect_error(api.call("PUT", kLeads, R"({"workspace_slug":"acme"})"), "validation_failed"),
                     "email"));
    expect_error(api.call("PUT", kLeads, lead_body("x@example.com"), {{"content-type", "text/plain"}}),
                 "unsupported_media_type");
    expect_error(api.call("PUT", kLeads, "{"), "invalid_json");
}

}  // namespace
}  // namespace handler_tests
