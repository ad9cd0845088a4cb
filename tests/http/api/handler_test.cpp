// ApiHandler end to end without sockets: Request values in, Response values out, over
// LeadService and the in-memory repository. Every CONTRACT §2 row the handler produces,
// every endpoint, tenant isolation, and the JSON shape of each answer.
#include <atomic>
#include <catch2/catch.hpp>
#include <random>
#include <regex>
#include <stdexcept>
#include <string>

#include "adapters/http/api/api_handler.hpp"
#include "adapters/http/api/json.hpp"
#include "adapters/memory/in_memory_lead_repository.hpp"
#include "adapters/system/random_id_generator.hpp"
#include "application/lead_service.hpp"

namespace http = leads::adapters::http;
namespace json = leads::adapters::http::json;
using http::Request;
using http::Response;

namespace {

// Moves one millisecond per reading, so creation order is also time order.
class SteppingClock final : public leads::ports::Clock {
  public:
    leads::domain::Timestamp now() override {
        return leads::domain::Timestamp(std::chrono::milliseconds(1'762'000'000'000 + ticks_++));
    }

  private:
    std::atomic<std::int64_t> ticks_{0};
};

std::string random_tenant() {
    static std::mt19937_64 rng{std::random_device{}()};
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    return "t-" + std::to_string(rng());
}

std::shared_ptr<const http::Authenticator> gateway() {
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

const json::Value* find(const json::Object& object, std::string_view name) {
    for (const auto& [key, value] : object) {
        if (key == name) return &value;
    }
    return nullptr;
}

const json::Value& at(const json::Object& object, std::string_view name) {
    const json::Value* value = find(object, name);
    INFO("member " << name);
    REQUIRE(value != nullptr);
    return *value;
}

const json::Object& obj(const json::Value& value) {
    REQUIRE(value.as_object());
    return *value.as_object();
}

const json::Array& arr(const json::Value& value) {
    REQUIRE(value.as_array());
    return *value.as_array();
}

std::string str(const json::Value& value) {
    REQUIRE(value.as_string());
    return std::string(*value.as_string());
}

std::int64_t num(const json::Value& value) {
    REQUIRE(value.as_int());
    return *value.as_int();
}

std::optional<std::string> header(const Response& response, std::string_view name) {
    for (const auto& h : response.headers) {
        if (h.name == name) return h.value;
    }
    return std::nullopt;
}

bool is_rfc3339_millis(const std::string& text) {
    static const std::regex pattern(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
    return std::regex_match(text, pattern);
}

// The whole API over fresh storage, called as one tenant by default.
struct Api {
    leads::adapters::memory::InMemoryLeadRepository repository;
    SteppingClock clock;
    leads::adapters::system::RandomIdGenerator ids;
    leads::app::LeadService service{repository, clock, ids};
    http::ApiHandler handler{service, gateway()};
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

std::string lead_path(const std::string& id) { return "/api/v1/tenant/leads/" + id; }

struct Detail {
    std::string field;
    std::string issue;
    std::string existing_id;
};

// Checks the error envelope and returns its details (copied: the parsed body goes away).
std::vector<Detail> expect_error(const Response& response, std::string_view code) {
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

bool has_detail(const std::vector<Detail>& details, std::string_view field, std::string_view issue = {}) {
    for (const auto& d : details) {
        if (d.field == field && (issue.empty() || d.issue == issue)) return true;
    }
    return false;
}

void check_lead_shape(const json::Object& lead) {
    for (const char* field : {"id", "workspace_slug", "email", "first_name", "last_name", "company", "status",
                              "attributes", "created_at", "updated_at"}) {
        INFO(field);
        CHECK(find(lead, field) != nullptr);
    }
    CHECK(str(at(lead, "id")).rfind("lead_", 0) == 0);
    CHECK(at(lead, "attributes").as_object());
    CHECK(is_rfc3339_millis(str(at(lead, "created_at"))));
    CHECK(is_rfc3339_millis(str(at(lead, "updated_at"))));
}

void check_activity_shape(const json::Object& entry) {
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

}  // namespace

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

TEST_CASE("identity: 401 without a valid tenant, before anything else", "[http][auth]") {
    Api api;
    for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/api/v1/tenant/leads?workspace=acme"},
             {"POST", "/api/v1/tenant/leads"},
             {"POST", "/api/v1/tenant/leads/import"},
             {"GET", "/api/v1/tenant/leads/lead_x"},
             {"DELETE", "/api/v1/tenant/leads/lead_x"},
             {"GET", "/api/v1/tenant/leads/lead_x/activity"},
             {"PUT", "/api/v1/tenant/leads"},  // even a wrong method: identity comes first
         }) {
        CAPTURE(method, target);
        Response missing = api.call(method, target, "{}", {}, std::string());
        CHECK(missing.status == 401);
        expect_error(missing, "unauthorized");
        CHECK_FALSE(header(missing, "WWW-Authenticate"));  // gateway mode
        Response bad = api.call(method, target, "{}", {}, std::string("bad tenant"));
        CHECK(bad.status == 401);
    }
    // An unknown route is 404 whoever asks.
    CHECK(api.call("GET", "/api/v1/tenant/nothing", {}, {}, std::string()).status == 404);

    // jwt mode: 401 carries WWW-Authenticate: Bearer.
    http::AuthSettings settings;
    settings.mode = http::AuthMode::Jwt;
    settings.hs256_secret = std::string(40, 's');
    auto jwt = http::Authenticator::create(settings);
    REQUIRE(jwt.ok());
    http::ApiHandler handler(api.service, *jwt);
    Request request;
    request.method = "GET";
    request.path = "/api/v1/tenant/leads";
    request.query = "workspace=acme";
    Response none = handler.handle(request);
    CHECK(none.status == 401);
    CHECK(header(none, "WWW-Authenticate") == "Bearer");
    request.headers.push_back({"authorization", "Bearer not.a.token"});
    Response invalid = handler.handle(request);
    CHECK(invalid.status == 401);
    REQUIRE(header(invalid, "WWW-Authenticate"));
    CHECK(header(invalid, "WWW-Authenticate") == "Bearer error=\"invalid_token\"");
    // RFC 6750 §3.1: no error code when the client did not try a bearer token at all.
    request.headers = {{"authorization", "Basic dXNlcjpwYXNz"}};
    Response other_scheme = handler.handle(request);
    CHECK(other_scheme.status == 401);
    CHECK(header(other_scheme, "WWW-Authenticate") == "Bearer");
    request.headers = {{"authorization", "bearer not.a.token"}};
    CHECK(header(handler.handle(request), "WWW-Authenticate") == "Bearer error=\"invalid_token\"");
    request.headers = {{"x-tenant-id", "tenant-a"}};
    CHECK(handler.handle(request).status == 401);
}

TEST_CASE("routing: 404 for unknown paths, 405 with Allow for wrong methods", "[http][routing]") {
    Api api;
    for (const char* path :
         {"/", "/api", "/api/v1/tenant", "/api/v1/tenant/lead", "/api/v1/tenant/leads/",
          "/api/v1/tenant/leads/x/activity/y", "/api/v1/tenant/leads/x/notes", "/api/v1/tenant/leads//activity",
          "/api/v2/tenant/leads", "/API/v1/tenant/leads", "/api/v1/tenant/leads/%zz", "/healthz"}) {
        CAPTURE(path);
        Response r = api.call("GET", path);
        CHECK(r.status == 404);
        CHECK(r.route == "unmatched");
        expect_error(r, "not_found");
    }
    const auto expect_405 = [&](const std::string& method, const std::string& path, std::string_view allow,
                                std::string_view route) {
        CAPTURE(method, path);
        Response r = api.call(method, path, "{}");
        CHECK(r.status == 405);
        CHECK(header(r, "Allow") == std::string(allow));
        CHECK(r.route == route);
        expect_error(r, "method_not_allowed");
    };
    expect_405("DELETE", "/api/v1/tenant/leads", "GET, POST", "/api/v1/tenant/leads");
    expect_405("PUT", "/api/v1/tenant/leads", "GET, POST", "/api/v1/tenant/leads");
    expect_405("GET", "/api/v1/tenant/leads/import", "POST", "/api/v1/tenant/leads/import");
    expect_405("PATCH", "/api/v1/tenant/leads/import", "POST", "/api/v1/tenant/leads/import");
    expect_405("POST", "/api/v1/tenant/leads/lead_x", "GET, PATCH, DELETE", "/api/v1/tenant/leads/{id}");
    expect_405("PUT", "/api/v1/tenant/leads/lead_x", "GET, PATCH, DELETE", "/api/v1/tenant/leads/{id}");
    expect_405("DELETE", "/api/v1/tenant/leads/lead_x/activity", "GET, POST", "/api/v1/tenant/leads/{id}/activity");
    expect_405("HEAD", "/api/v1/tenant/leads/lead_x/activity", "GET, POST", "/api/v1/tenant/leads/{id}/activity");

    // Segments are percent-decoded before matching.
    CHECK(api.call("GET", "/api/v1/tenant/le%61ds?workspace=acme").status == 200);
}

TEST_CASE("tenant isolation through the API", "[http][isolation]") {
    Api api;
    const std::string a = api.tenant;
    const std::string b = random_tenant();
    const std::string id = api.create(kJane, a);
    // The same workspace slug and email in another tenant are unrelated.
    const std::string id_b = api.create(kJane, b);
    CHECK(id_b != id);

    auto listed_b = Api::parse(api.call("GET", "/api/v1/tenant/leads?workspace=acme", {}, {}, b));
    const auto& items = arr(at(listed_b.object(), "data"));
    REQUIRE(items.size() == 1);
    CHECK(str(at(obj(items[0]), "id")) == id_b);

    CHECK(api.call("GET", lead_path(id), {}, {}, b).status == 404);
    CHECK(api.call("PATCH", lead_path(id), R"({"first_name":"Mallory"})", {}, b).status == 404);
    CHECK(api.call("POST", lead_path(id) + "/activity", R"({"type":"email_sent"})", {}, b).status == 404);
    CHECK(api.call("GET", lead_path(id) + "/activity", {}, {}, b).status == 404);
    CHECK(api.call("DELETE", lead_path(id), {}, {}, b).status == 404);
    auto import_b = api.call(
        "POST", "/api/v1/tenant/leads/import",
        R"({"workspace_slug":"acme","on_duplicate":"update","leads":[{"email":"jane@example.com","first_name":"Mallory"}]})",
        {}, b);
    REQUIRE(import_b.status == 200);

    auto mine = Api::parse(api.call("GET", lead_path(id), {}, {}, a));
    const auto& lead = obj(at(mine.object(), "data"));
    CHECK(str(at(lead, "first_name")) == "Jane");
    CHECK(str(at(lead, "status")) == "new");
    CHECK(num(at(lead, "activity_total")) == 1);
}

namespace {

// A use case layer that fails in the ways storage and bugs do.
class FailingUseCases final : public leads::ports::LeadUseCases {
  public:
    enum class Mode { Throw, ThrowOther, Internal, Unavailable };
    explicit FailingUseCases(Mode mode) : mode_(mode) {}

    template <class T>
    leads::domain::Result<T> fail() {
        switch (mode_) {
            case Mode::Throw:
                throw std::runtime_error("SELECT * FROM leads exploded");
            case Mode::ThrowOther:
                throw 42;
            case Mode::Internal:
                return leads::domain::Error::internal("repository invariant broken: table leads");
            case Mode::Unavailable:
                break;
        }
        return leads::domain::Error::unavailable("pool exhausted");
    }

    leads::domain::Result<leads::ports::LeadList> list(const leads::ports::ListLeadsQuery&) override {
        return fail<leads::ports::LeadList>();
    }
    leads::domain::Result<leads::ports::LeadDetails> create(const leads::ports::CreateLeadCommand&) override {
        return fail<leads::ports::LeadDetails>();
    }
    leads::domain::Result<leads::ports::LeadDetails> get(const leads::ports::LeadRef&) override {
        return fail<leads::ports::LeadDetails>();
    }
    leads::domain::Result<leads::ports::LeadDetails> update(const leads::ports::UpdateLeadCommand&) override {
        return fail<leads::ports::LeadDetails>();
    }
    leads::domain::Result<void> remove(const leads::ports::LeadRef&) override {
        auto r = fail<int>();
        return std::move(r).error();
    }
    leads::domain::Result<leads::domain::Activity> record_activity(
        const leads::ports::RecordActivityCommand&) override {
        return fail<leads::domain::Activity>();
    }
    leads::domain::Result<leads::ports::ActivityList> activity_history(
        const leads::ports::ActivityHistoryQuery&) override {
        return fail<leads::ports::ActivityList>();
    }
    leads::domain::Result<leads::ports::ImportSummary> import_leads(const leads::ports::ImportCommand&) override {
        return fail<leads::ports::ImportSummary>();
    }
    leads::domain::Result<void> check_ready() override { return {}; }

  private:
    Mode mode_;
};

}  // namespace

TEST_CASE("failures below the handler: 500 without internals, 503 with Retry-After", "[http][errors]") {
    const std::vector<std::pair<std::string, std::string>> calls{
        {"GET", "/api/v1/tenant/leads?workspace=acme"},  {"POST", "/api/v1/tenant/leads"},
        {"POST", "/api/v1/tenant/leads/import"},         {"GET", "/api/v1/tenant/leads/lead_x"},
        {"PATCH", "/api/v1/tenant/leads/lead_x"},        {"DELETE", "/api/v1/tenant/leads/lead_x"},
        {"GET", "/api/v1/tenant/leads/lead_x/activity"}, {"POST", "/api/v1/tenant/leads/lead_x/activity"},
    };
    const std::map<std::string, std::string> bodies{
        {"/api/v1/tenant/leads", R"({"workspace_slug":"acme","email":"a@b.co"})"},
        {"/api/v1/tenant/leads/import", R"({"workspace_slug":"acme","leads":[]})"},
        {"/api/v1/tenant/leads/lead_x", "{}"},
        {"/api/v1/tenant/leads/lead_x/activity", R"({"type":"note"})"},
    };
    for (auto mode : {FailingUseCases::Mode::Throw, FailingUseCases::Mode::ThrowOther, FailingUseCases::Mode::Internal,
                      FailingUseCases::Mode::Unavailable}) {
        FailingUseCases failing(mode);
        http::ApiHandler handler(failing, gateway());
        for (const auto& [method, target] : calls) {
            CAPTURE(static_cast<int>(mode), method, target);
            Request request;
            request.method = method;
            const auto q = target.find('?');
            request.path = target.substr(0, q);
            if (q != std::string::npos) request.query = target.substr(q + 1);
            request.headers = {{"x-tenant-id", "tenant-a"}, {"content-type", "application/json"}};
            if (method == "POST" || method == "PATCH") request.body = bodies.at(request.path);
            Response r = handler.handle(request);
            CHECK(r.route != "unmatched");
            if (mode == FailingUseCases::Mode::Unavailable) {
                CHECK(r.status == 503);
                CHECK(header(r, "Retry-After"));
                expect_error(r, "unavailable");
                continue;
            }
            CHECK(r.status == 500);
            expect_error(r, "internal_error");
            CHECK(r.body.find("SELECT") == std::string::npos);
            CHECK(r.body.find("leads exploded") == std::string::npos);
            CHECK(r.body.find("table") == std::string::npos);
            CHECK_FALSE(r.log_detail.empty());
        }
    }
}

TEST_CASE("the OpenAPI document is built in and covers every path", "[http][openapi]") {
    auto parsed = json::parse(http::openapi_document(), json::Limits{64, 1'000'000});
    REQUIRE(parsed.document);
    const auto& root = *parsed.document->root().as_object();
    CHECK(str(at(root, "openapi")) == "3.1.0");
    const auto& paths = obj(at(root, "paths"));
    for (const char* path :
         {"/api/v1/tenant/leads", "/api/v1/tenant/leads/import", "/api/v1/tenant/leads/{id}",
          "/api/v1/tenant/leads/{id}/activity", "/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"}) {
        INFO(path);
        CHECK(find(paths, path) != nullptr);
    }
    const auto& schemes = obj(at(obj(at(root, "components")), "securitySchemes"));
    CHECK(find(schemes, "bearerAuth") != nullptr);
    CHECK(find(schemes, "tenantHeader") != nullptr);
}

TEST_CASE("body limits: the import route's 16 MiB for POST, by the decoded path; 1 MiB elsewhere", "[http][limits]") {
    CHECK(http::ApiHandler::body_limit("POST", "/api/v1/tenant/leads") == 1024 * 1024);
    CHECK(http::ApiHandler::body_limit("POST", "/api/v1/tenant/leads/import") == 16 * 1024 * 1024);
    CHECK(http::ApiHandler::body_limit("POST", "/api/v1/tenant/leads/%69mport") == 16 * 1024 * 1024);
    CHECK(http::ApiHandler::body_limit("PATCH", "/api/v1/tenant/leads/import") == 1024 * 1024);
    CHECK(http::ApiHandler::body_limit("POST", "/healthz") == 1024 * 1024);
}
