// ApiHandler without sockets: create, get, list, update and delete, and malformed bodies.
#include <catch2/catch.hpp>

#include "tests/http/api/handler_fixture.hpp"

TEST_CASE("create: 201, Location, ETag and the full lead", "[http][create]") {
    Api api;
    Response r = api.call("POST", "/api/v1/tenant/leads", kJane);
    INFO(r.body);
    REQUIRE(r.status == 201);
    CHECK(r.content_type == "application/json; charset=utf-8");
    CHECK(r.route == "/api/v1/tenant/leads");
    auto body = Api::parse(r);
    CHECK(*at(body.object(), "success").as_bool());
    const auto& lead = obj(at(body.object(), "data"));
    check_lead_shape(lead);
    const std::string id = str(at(lead, "id"));
    CHECK(header(r, "Location") == "/api/v1/tenant/leads/" + id);
    REQUIRE(header(r, "ETag"));
    CHECK(header(r, "ETag")->front() == '"');
    CHECK(str(at(lead, "email")) == "jane@example.com");
    CHECK(str(at(lead, "workspace_slug")) == "acme");
    CHECK(str(at(lead, "first_name")) == "Jane");
    CHECK(at(lead, "last_name").is_null());
    CHECK(str(at(lead, "status")) == "new");
    const auto& attributes = obj(at(lead, "attributes"));
    CHECK(str(at(attributes, "title")) == "CEO");
    CHECK(num(at(attributes, "employees")) == 250);
    CHECK(*at(attributes, "score").as_double() == 4.5);
    CHECK(*at(attributes, "vip").as_bool());
    const auto& activity = arr(at(lead, "activity"));
    REQUIRE(activity.size() == 1);
    check_activity_shape(obj(activity[0]));
    CHECK(str(at(obj(activity[0]), "type")) == "lead_created");
    CHECK(num(at(lead, "activity_total")) == 1);

    // Integers and doubles keep their JSON form: 12 stays 12, 12.0 stays 12.0.
    Response numbers = api.call("POST", "/api/v1/tenant/leads",
                                R"({"workspace_slug":"acme","email":"n@example.com","attributes":{"i":12,"f":12.0}})");
    REQUIRE(numbers.status == 201);
    CHECK(numbers.body.find(R"("f":12.0)") != std::string::npos);
    CHECK(numbers.body.find(R"("i":12})") != std::string::npos);  // keys are sorted: "f", then "i"

    // Without attributes, "attributes" is still an object.
    Response bare = api.call("POST", "/api/v1/tenant/leads", R"({"workspace_slug":"acme","email":"b@example.com"})");
    REQUIRE(bare.status == 201);
    CHECK(obj(at(obj(at(Api::parse(bare).object(), "data")), "attributes")).empty());
}

TEST_CASE("create: validation, duplicates and media type", "[http][create]") {
    Api api;
    api.create(kJane);

    Response dup = api.call("POST", "/api/v1/tenant/leads", R"({"workspace_slug":"acme","email":"JANE@example.com"})");
    REQUIRE(dup.status == 409);
    const auto details = expect_error(dup, "duplicate_email");
    REQUIRE_FALSE(details.empty());
    CHECK(details[0].existing_id.rfind("lead_", 0) == 0);

    Response unknown =
        api.call("POST", "/api/v1/tenant/leads", R"({"workspace_slug":"acme","email":"x@y.co","nick":1})");
    REQUIRE(unknown.status == 400);
    CHECK(has_detail(expect_error(unknown, "validation_failed"), "nick", "unknown field"));

    Response missing = api.call("POST", "/api/v1/tenant/leads", R"({"first_name":5})");
    REQUIRE(missing.status == 400);
    const auto missing_details = expect_error(missing, "validation_failed");
    CHECK(has_detail(missing_details, "email", "is required"));
    CHECK(has_detail(missing_details, "workspace_slug", "is required"));
    CHECK(has_detail(missing_details, "first_name", "must be a string or null"));

    Response bad_values =
        api.call("POST", "/api/v1/tenant/leads", R"({"workspace_slug":"Not A Slug","email":"nope","status":"won"})");
    REQUIRE(bad_values.status == 400);
    const auto value_details = expect_error(bad_values, "validation_failed");
    CHECK(has_detail(value_details, "workspace_slug"));
    CHECK(has_detail(value_details, "email"));
    CHECK(has_detail(value_details, "status"));

    Response nested = api.call("POST", "/api/v1/tenant/leads",
                               R"({"workspace_slug":"acme","email":"n@y.co","attributes":{"o":{"a":1}}})");
    REQUIRE(nested.status == 400);
    CHECK(has_detail(expect_error(nested, "validation_failed"), "attributes.o"));

    for (const char* type :
         {"", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"}) {
        CAPTURE(type);
        Response r = api.call("POST", "/api/v1/tenant/leads", R"({"workspace_slug":"acme","email":"m@y.co"})",
                              {{"content-type", type}});
        CHECK(r.status == 415);
        expect_error(r, "unsupported_media_type");
    }
    Response charset = api.call("POST", "/api/v1/tenant/leads", R"({"workspace_slug":"acme","email":"m@y.co"})",
                                {{"content-type", "Application/JSON; Charset=UTF-8"}});
    CHECK(charset.status == 201);
}

TEST_CASE("malformed bodies are 400 invalid_json and change nothing", "[http][json]") {
    Api api;
    const std::string deep = R"({"workspace_slug":"acme","email":"d@y.co","attributes":)" + std::string(40, '[') +
                             std::string(40, ']') + "}";
    for (const std::string& body : {
             std::string("{"),
             std::string("not json"),
             std::string("[]"),
             std::string("\"text\""),
             std::string("null"),
             std::string("42"),
             std::string("{\"workspace_slug\":\"acme\",\"email\":\"\xFF@y.co\"}"),
             std::string(R"({"workspace_slug":"acme","email":"a@y.co","first_name":"\udc00"})"),
             std::string(R"({"workspace_slug":"acme","email":"a@y.co","email":"b@y.co"})"),
             deep,
             std::string(R"({"workspace_slug":"acme","email":"a@y.co"} trailing)"),
             std::string("{\"workspace_slug\":\"acme\",\"email\":\"a@y.co\"}\0", 43),
             std::string(" "),
         }) {
        CAPTURE(body);
        Response r = api.call("POST", "/api/v1/tenant/leads", body, {{"content-type", "application/json"}});
        CHECK(r.status == 400);
        expect_error(r, "invalid_json");
    }
    Response list = api.call("GET", "/api/v1/tenant/leads?workspace=acme");
    CHECK(num(at(obj(at(Api::parse(list).object(), "pagination")), "total")) == 0);
}

TEST_CASE("get: 200 with ETag and recent activity; other tenants and workspaces see 404", "[http][get]") {
    Api api;
    const std::string id = api.create(kJane);

    Response r = api.call("GET", lead_path(id));
    REQUIRE(r.status == 200);
    CHECK(r.route == "/api/v1/tenant/leads/{id}");
    REQUIRE(header(r, "ETag"));
    auto body = Api::parse(r);
    const auto& lead = obj(at(body.object(), "data"));
    check_lead_shape(lead);
    CHECK(str(at(lead, "id")) == id);
    CHECK(num(at(lead, "activity_total")) == 1);

    CHECK(api.call("GET", lead_path(id) + "?workspace=acme").status == 200);
    Response other_ws = api.call("GET", lead_path(id) + "?workspace=other");
    CHECK(other_ws.status == 404);
    expect_error(other_ws, "not_found");

    Response other_tenant = api.call("GET", lead_path(id), {}, {}, random_tenant());
    CHECK(other_tenant.status == 404);
    // Exactly like an id that does not exist.
    Response missing = api.call("GET", lead_path("lead_01JD7X5R8Q3V9KZ2M4N6P8T0WB"));
    CHECK(missing.status == 404);
    CHECK(missing.body == other_tenant.body);
    CHECK(api.call("GET", lead_path("not-an-id")).status == 404);
    CHECK(api.call("GET", lead_path("import%2Fx")).status == 404);

    Response bad_query = api.call("GET", lead_path(id) + "?verbose=1");
    CHECK(bad_query.status == 400);
    CHECK(has_detail(expect_error(bad_query, "validation_failed"), "verbose", "unknown query parameter"));
}

TEST_CASE("list: filters, pagination, order and query errors", "[http][list]") {
    Api api;
    for (int i = 0; i < 5; ++i) {
        api.create(R"({"workspace_slug":"acme","email":"p)" + std::to_string(i) +
                   R"(@example.com","first_name":"Pat","last_name":"Number)" + std::to_string(i) + R"("})");
    }
    api.create(R"({"workspace_slug":"acme","email":"z@example.com","first_name":"Zoe","status":"converted"})");
    api.create(R"({"workspace_slug":"other","email":"q@example.com"})");

    Response r = api.call("GET", "/api/v1/tenant/leads?workspace=acme&limit=2&offset=1");
    REQUIRE(r.status == 200);
    CHECK(r.route == "/api/v1/tenant/leads");
    auto body = Api::parse(r);
    const auto& items = arr(at(body.object(), "data"));
    REQUIRE(items.size() == 2);
    for (const auto& item : items) check_lead_shape(obj(item));
    // Newest first: offset 1 skips Zoe (created last), then p4, p3.
    CHECK(str(at(obj(items[0]), "email")) == "p4@example.com");
    CHECK(str(at(obj(items[1]), "email")) == "p3@example.com");
    const auto& page = obj(at(body.object(), "pagination"));
    CHECK(num(at(page, "total")) == 6);
    CHECK(num(at(page, "limit")) == 2);
    CHECK(num(at(page, "offset")) == 1);
    CHECK(*at(page, "has_more").as_bool());

    auto converted = Api::parse(api.call("GET", "/api/v1/tenant/leads?workspace=acme&status=converted"));
    REQUIRE(arr(at(converted.object(), "data")).size() == 1);
    CHECK(str(at(obj(arr(at(converted.object(), "data"))[0]), "first_name")) == "Zoe");

    auto search = Api::parse(api.call("GET", "/api/v1/tenant/leads?workspace=acme&search=pat+number3"));
    REQUIRE(arr(at(search.object(), "data")).size() == 1);
    CHECK(str(at(obj(arr(at(search.object(), "data"))[0]), "email")) == "p3@example.com");
    auto encoded = Api::parse(api.call("GET", "/api/v1/tenant/leads?workspace=acme&search=%50AT%20NUMBER2"));
    CHECK(arr(at(encoded.object(), "data")).size() == 1);

    auto past_end = Api::parse(api.call("GET", "/api/v1/tenant/leads?workspace=acme&offset=100"));
    CHECK(arr(at(past_end.object(), "data")).empty());
    CHECK_FALSE(*at(obj(at(past_end.object(), "pagination")), "has_more").as_bool());

    const auto expect_400 = [&](const std::string& query, std::string_view field) {
        CAPTURE(query);
        Response bad = api.call("GET", "/api/v1/tenant/leads" + query);
        CHECK(bad.status == 400);
        CHECK(has_detail(expect_error(bad, "validation_failed"), field));
    };
    expect_400("", "workspace");
    expect_400("?workspace=acme&limit=abc", "limit");
    expect_400("?workspace=acme&offset=1.5", "offset");
    expect_400("?workspace=acme&limit=0", "limit");
    expect_400("?workspace=acme&limit=201", "limit");
    expect_400("?workspace=acme&offset=-1", "offset");
    expect_400("?workspace=acme&status=won", "status");
    expect_400("?workspace=acme&page=2", "page");
    expect_400("?workspace=acme&workspace=other", "workspace");
    expect_400("?workspace=Bad%20Slug", "workspace");
    expect_400("?workspace=acme&search=%zz", "search");
}

TEST_CASE("update: fields, null, merge patch, ETag and If-Match", "[http][update]") {
    Api api;
    const std::string id = api.create(kJane);
    const std::string etag1 = *header(api.call("GET", lead_path(id)), "ETag");

    Response r = api.call(
        "PATCH", lead_path(id),
        R"({"first_name":null,"last_name":"Smith","attributes":{"title":null,"phone":"+1555"},"status":"contacted"})");
    INFO(r.body);
    REQUIRE(r.status == 200);
    const std::string etag2 = *header(r, "ETag");
    CHECK(etag2 != etag1);
    auto body = Api::parse(r);
    const auto& lead = obj(at(body.object(), "data"));
    check_lead_shape(lead);
    CHECK(at(lead, "first_name").is_null());
    CHECK(str(at(lead, "last_name")) == "Smith");
    CHECK(str(at(lead, "company")) == "Tech Corp");  // not given: kept
    CHECK(str(at(lead, "status")) == "contacted");
    const auto& attributes = obj(at(lead, "attributes"));
    CHECK(find(attributes, "title") == nullptr);
    CHECK(str(at(attributes, "phone")) == "+1555");
    CHECK(num(at(attributes, "employees")) == 250);
    const auto& activity = arr(at(lead, "activity"));
    REQUIRE(activity.size() == 2);
    const auto& changed = obj(activity[0]);  // newest first
    CHECK(str(at(changed, "type")) == "status_changed");
    CHECK(str(at(obj(at(changed, "data")), "from")) == "new");
    CHECK(str(at(obj(at(changed, "data")), "to")) == "contacted");

    // {} is a no-op: 200, same ETag.
    Response noop = api.call("PATCH", lead_path(id), "{}");
    REQUIRE(noop.status == 200);
    CHECK(header(noop, "ETag") == etag2);

    // If-Match: the old tag fails, the current one passes.
    Response stale = api.call("PATCH", lead_path(id), R"({"company":"X"})", {{"if-match", etag1}});
    CHECK(stale.status == 412);
    expect_error(stale, "precondition_failed");
    CHECK(str(at(obj(at(Api::parse(api.call("GET", lead_path(id))).object(), "data")), "company")) == "Tech Corp");
    Response fresh = api.call("PATCH", lead_path(id), R"({"company":"X"})", {{"if-match", etag2}});
    CHECK(fresh.status == 200);

    // Merge-patch media type is accepted for PATCH.
    CHECK(api.call("PATCH", lead_path(id), R"({"company":"Y"})", {{"content-type", "application/merge-patch+json"}})
              .status == 200);

    Response nulls = api.call("PATCH", lead_path(id), R"({"email":null,"status":null,"colour":"red"})");
    REQUIRE(nulls.status == 400);
    const auto details = expect_error(nulls, "validation_failed");
    CHECK(has_detail(details, "email"));
    CHECK(has_detail(details, "status"));
    CHECK(has_detail(details, "colour", "unknown field"));

    api.create(R"({"workspace_slug":"acme","email":"taken@example.com"})");
    Response taken = api.call("PATCH", lead_path(id), R"({"email":"TAKEN@example.com"})");
    CHECK(taken.status == 409);
    CHECK(expect_error(taken, "duplicate_email").at(0).existing_id.rfind("lead_", 0) == 0);

    CHECK(api.call("PATCH", lead_path(id), R"({"company":"Z"})", {}, random_tenant()).status == 404);
    CHECK(api.call("PATCH", lead_path(id) + "?workspace=other", R"({"company":"Z"})").status == 404);
    CHECK(api.call("PATCH", lead_path(id), R"({"company":"Z"})", {{"content-type", "text/plain"}}).status == 415);
    CHECK(api.call("PATCH", lead_path(id), "[1]").status == 400);
}

TEST_CASE("delete: 204 without body; the email is free again", "[http][delete]") {
    Api api;
    const std::string id = api.create(kJane);
    CHECK(api.call("DELETE", lead_path(id), {}, {}, random_tenant()).status == 404);
    CHECK(api.call("DELETE", lead_path(id) + "?workspace=other").status == 404);

    Response r = api.call("DELETE", lead_path(id));
    CHECK(r.status == 204);
    CHECK(r.content_type.empty());
    CHECK(r.body.empty());
    CHECK(r.route == "/api/v1/tenant/leads/{id}");
    CHECK(api.call("GET", lead_path(id)).status == 404);
    CHECK(api.call("GET", lead_path(id) + "/activity").status == 404);
    CHECK(api.call("DELETE", lead_path(id)).status == 404);
    api.create(kJane);
}
