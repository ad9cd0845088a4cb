// ApiHandler without sockets: recording activity, its history, and bulk import.
#include <catch2/catch.hpp>

#include "tests/http/api/handler_fixture.hpp"

TEST_CASE("record activity and its history", "[http][activity]") {
    Api api;
    const std::string id = api.create(kJane);
    const std::string path = lead_path(id) + "/activity";

    Response r = api.call(
        "POST", path,
        R"({"type":"email_sent","campaign_id":"cmp_123","timestamp":"2025-11-02T12:00:00+02:00","data":{"subject":"Hi"}})");
    INFO(r.body);
    REQUIRE(r.status == 201);
    CHECK(r.route == "/api/v1/tenant/leads/{id}/activity");
    auto body = Api::parse(r);
    const auto& entry = obj(at(body.object(), "data"));
    check_activity_shape(entry);
    CHECK(str(at(entry, "type")) == "email_sent");
    CHECK(str(at(entry, "campaign_id")) == "cmp_123");
    CHECK(str(at(entry, "timestamp")) == "2025-11-02T10:00:00.000Z");
    CHECK(str(at(obj(at(entry, "data")), "subject")) == "Hi");

    // email_sent moved new → contacted, with its own status_changed entry.
    auto lead = Api::parse(api.call("GET", lead_path(id)));
    CHECK(str(at(obj(at(lead.object(), "data")), "status")) == "contacted");
    CHECK(num(at(obj(at(lead.object(), "data")), "activity_total")) == 3);

    Response note = api.call("POST", path, R"({"type":"note","campaign_id":null})");
    REQUIRE(note.status == 201);
    CHECK(at(obj(at(Api::parse(note).object(), "data")), "campaign_id").is_null());

    Response history = api.call("GET", path + "?limit=2&offset=0");
    REQUIRE(history.status == 200);
    auto page = Api::parse(history);
    const auto& items = arr(at(page.object(), "data"));
    REQUIRE(items.size() == 2);
    for (const auto& item : items) check_activity_shape(obj(item));
    const auto& pagination = obj(at(page.object(), "pagination"));
    CHECK(num(at(pagination, "total")) == 4);
    CHECK(*at(pagination, "has_more").as_bool());

    const auto expect_400 = [&](const std::string& payload, std::string_view field) {
        CAPTURE(payload);
        Response bad = api.call("POST", path, payload);
        CHECK(bad.status == 400);
        CHECK(has_detail(expect_error(bad, "validation_failed"), field));
    };
    expect_400("{}", "type");
    expect_400(R"({"type":"lead_created"})", "type");
    expect_400(R"({"type":"party"})", "type");
    expect_400(R"({"type":"note","timestamp":"yesterday"})", "timestamp");
    expect_400(R"({"type":"note","data":{"x":[1]}})", "data.x");
    expect_400(R"({"type":"note","lead":"x"})", "lead");
    CHECK(api.call("GET", path + "?limit=x").status == 400);
    CHECK(api.call("GET", path + "?sort=asc").status == 400);

    CHECK(api.call("POST", path, R"({"type":"note"})", {}, random_tenant()).status == 404);
    CHECK(api.call("GET", path, {}, {}, random_tenant()).status == 404);
    CHECK(api.call("POST", path, R"({"type":"note"})", {{"content-type", "text/plain"}}).status == 415);
    CHECK(api.call("GET", path).status == 200);
    CHECK(num(at(obj(at(Api::parse(api.call("GET", path)).object(), "pagination")), "total")) == 4);
}

TEST_CASE("import: per-row errors, duplicates, on_duplicate and the row limit", "[http][import]") {
    Api api;
    api.create(R"({"workspace_slug":"acme","email":"old@example.com","first_name":"Old"})");
    Response r = api.call("POST", "/api/v1/tenant/leads/import", R"({"workspace_slug":"acme","leads":[
        {"email":"a@example.com","first_name":"A"},
        {"email":"not-an-email"},
        "oops",
        {"email":"b@example.com","workspace_slug":"x"},
        {"email":"A@example.com"},
        {"email":"old@example.com","first_name":"New"}]})");
    INFO(r.body);
    REQUIRE(r.status == 200);
    CHECK(r.route == "/api/v1/tenant/leads/import");
    auto body = Api::parse(r);
    const auto& result = obj(at(body.object(), "data"));
    CHECK(num(at(result, "created")) == 1);
    CHECK(num(at(result, "updated")) == 0);
    CHECK(num(at(result, "skipped")) == 2);  // the in-request duplicate and the existing email
    const auto& errors = arr(at(result, "errors"));
    REQUIRE(errors.size() == 3);
    CHECK(num(at(obj(errors[0]), "index")) == 1);
    CHECK(str(at(obj(errors[0]), "field")) == "email");
    CHECK(num(at(obj(errors[1]), "index")) == 2);
    CHECK(num(at(obj(errors[2]), "index")) == 3);
    CHECK(str(at(obj(errors[2]), "field")) == "workspace_slug");
    CHECK(str(at(obj(errors[2]), "issue")) == "unknown field");

    Response update = api.call(
        "POST", "/api/v1/tenant/leads/import",
        R"({"workspace_slug":"acme","on_duplicate":"update","leads":[{"email":"old@example.com","first_name":"New"}]})");
    REQUIRE(update.status == 200);
    CHECK(num(at(obj(at(Api::parse(update).object(), "data")), "updated")) == 1);
    auto listed = Api::parse(api.call("GET", "/api/v1/tenant/leads?workspace=acme&search=old"));
    CHECK(str(at(obj(arr(at(listed.object(), "data"))[0]), "first_name")) == "New");

    std::string many = R"({"workspace_slug":"acme","leads":[)";
    for (int i = 0; i < 10'001; ++i) many += (i ? R"(,{"email":"x@y.co"})" : R"({"email":"x@y.co"})");
    many += "]}";
    Response too_many = api.call("POST", "/api/v1/tenant/leads/import", many);
    CHECK(too_many.status == 400);
    CHECK(has_detail(expect_error(too_many, "validation_failed"), "leads", "must contain at most 10000 leads"));

    Response bad = api.call("POST", "/api/v1/tenant/leads/import",
                            R"({"workspace_slug":"acme","on_duplicate":"merge","leads":{}})");
    CHECK(bad.status == 400);
    CHECK(has_detail(expect_error(bad, "validation_failed"), "leads", "must be an array"));
    CHECK(api.call("POST", "/api/v1/tenant/leads/import",
                   R"({"workspace_slug":"acme","on_duplicate":"merge","leads":[]})")
              .status == 400);
    CHECK(api.call("POST", "/api/v1/tenant/leads/import", "[]").status == 400);
    CHECK(api.call("POST", "/api/v1/tenant/leads/import?dry_run=1", R"({"workspace_slug":"acme","leads":[]})").status ==
          400);
    CHECK(api.call("POST", "/api/v1/tenant/leads/import", R"({"workspace_slug":"acme","leads":[]})",
                   {{"content-type", "text/csv"}})
              .status == 415);
    CHECK(api.call("POST", "/api/v1/tenant/leads/import", R"({"workspace_slug":"acme","leads":[]})").status == 200);
}
