// ApiHandler without sockets: identity, routing, tenant isolation, failures below the handler, the OpenAPI document.
#include <catch2/catch.hpp>

#include "tests/http/api/handler_fixture.hpp"

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
    http::ApiHandler handler(api.service, api.suppressions, *jwt);
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
          "/api/v2/tenant/leads", "/API/v1/tenant/leads", "/api/v1/tenant/leads/%zz", "/healthz",
          "/api/v1/tenant/suppressions/", "/api/v1/tenant/suppressions/sup_x/y"}) {
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
    expect_405("DELETE", "/api/v1/tenant/leads", "GET, POST, PUT", "/api/v1/tenant/leads");
    expect_405("PATCH", "/api/v1/tenant/leads", "GET, POST, PUT", "/api/v1/tenant/leads");
    expect_405("GET", "/api/v1/tenant/leads/import", "POST", "/api/v1/tenant/leads/import");
    expect_405("PATCH", "/api/v1/tenant/leads/import", "POST", "/api/v1/tenant/leads/import");
    expect_405("POST", "/api/v1/tenant/leads/lead_x", "GET, PATCH, DELETE", "/api/v1/tenant/leads/{id}");
    expect_405("PUT", "/api/v1/tenant/leads/lead_x", "GET, PATCH, DELETE", "/api/v1/tenant/leads/{id}");
    expect_405("DELETE", "/api/v1/tenant/leads/lead_x/activity", "GET, POST", "/api/v1/tenant/leads/{id}/activity");
    expect_405("HEAD", "/api/v1/tenant/leads/lead_x/activity", "GET, POST", "/api/v1/tenant/leads/{id}/activity");
    expect_405("DELETE", "/api/v1/tenant/suppressions", "GET, POST", "/api/v1/tenant/suppressions");
    expect_405("PATCH", "/api/v1/tenant/suppressions/sup_x", "GET, DELETE", "/api/v1/tenant/suppressions/{id}");

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
    leads::domain::Result<leads::ports::LeadDetails> create(
        const leads::ports::CreateLeadCommand&, const leads::ports::Idempotency<leads::ports::LeadDetails>*) override {
        return fail<leads::ports::LeadDetails>();
    }
    leads::domain::Result<leads::ports::LeadDetails> get(const leads::ports::LeadRef&) override {
        return fail<leads::ports::LeadDetails>();
    }
    leads::domain::Result<leads::ports::LeadDetails> update(
        const leads::ports::UpdateLeadCommand&, const leads::ports::Idempotency<leads::ports::LeadDetails>*) override {
        return fail<leads::ports::LeadDetails>();
    }
    leads::domain::Result<leads::ports::UpsertedLead> upsert(
        const leads::ports::CreateLeadCommand&, const leads::ports::Idempotency<leads::ports::UpsertedLead>*) override {
        return fail<leads::ports::UpsertedLead>();
    }
    leads::domain::Result<void> remove(const leads::ports::RemoveLeadCommand&) override {
        auto r = fail<int>();
        return std::move(r).error();
    }
    leads::domain::Result<leads::domain::Activity> record_activity(
        const leads::ports::RecordActivityCommand&,
        const leads::ports::Idempotency<leads::domain::Activity>*) override {
        return fail<leads::domain::Activity>();
    }
    leads::domain::Result<leads::ports::ActivityList> activity_history(
        const leads::ports::ActivityHistoryQuery&) override {
        return fail<leads::ports::ActivityList>();
    }
    leads::domain::Result<leads::ports::ImportSummary> import_leads(
        const leads::ports::ImportCommand&, const leads::ports::Idempotency<leads::ports::ImportSummary>*) override {
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
        Api spare;  // its suppression list: the failing use cases are the leads'
        http::ApiHandler handler(failing, spare.suppressions, gateway());
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

TEST_CASE("routing: only a list with a search is expensive (its own worker pool)", "[http][routing]") {
    const auto request = [](std::string method, std::string path, std::string query) {
        Request r;
        r.method = std::move(method);
        r.path = std::move(path);
        r.query = std::move(query);
        return r;
    };
    CHECK(http::ApiHandler::is_expensive(request("GET", "/api/v1/tenant/leads", "workspace=a&search=sm")));
    CHECK(http::ApiHandler::is_expensive(request("GET", "/api/v1/tenant/le%61ds", "search=s&workspace=a")));
    CHECK_FALSE(http::ApiHandler::is_expensive(request("GET", "/api/v1/tenant/leads", "workspace=a")));
    CHECK_FALSE(http::ApiHandler::is_expensive(request("GET", "/api/v1/tenant/leads", "workspace=a&searchx=1")));
    CHECK_FALSE(http::ApiHandler::is_expensive(request("POST", "/api/v1/tenant/leads", "search=a")));
    CHECK_FALSE(http::ApiHandler::is_expensive(request("GET", "/api/v1/tenant/leads/lead_x", "search=a")));
    CHECK_FALSE(http::ApiHandler::is_expensive(request("GET", "/api/v1/tenant/suppressions", "search=a")));
}

TEST_CASE("fair use: over its budget a tenant gets 429 rate_limited with Retry-After; answers carry RateLimit-*",
          "[http][fair-use]") {
    leads::adapters::memory::InMemoryLeadRepository repository;
    SteppingClock clock;
    leads::adapters::system::RandomIdGenerator ids;
    leads::app::LeadService service(repository, clock, ids);
    leads::app::SuppressionService suppressions(repository, clock, ids);
    http::ApiHandler api(
        service, suppressions, gateway(),
        std::make_shared<http::FairUse>(http::FairUseOptions{.rate = 1, .burst = 2, .max_searches = 1}));
    const std::string tenant = random_tenant();
    const auto list = [&](const std::string& who) {
        Request request;
        request.method = "GET";
        request.path = "/api/v1/tenant/leads";
        request.query = "workspace=acme";
        request.headers = {{"x-tenant-id", who}};
        return api.handle(request);
    };
    const Response first = list(tenant);
    CHECK(first.status == 200);
    CHECK(header(first, "RateLimit-Limit") == "2");
    CHECK(header(first, "RateLimit-Remaining") == "1");
    CHECK(list(tenant).status == 200);
    const Response refused = list(tenant);
    CHECK(refused.status == 429);
    expect_error(refused, "rate_limited");
    CHECK(header(refused, "Retry-After") == "1");
    CHECK(header(refused, "RateLimit-Remaining") == "0");
    CHECK(list(random_tenant()).status == 200);  // another tenant has its own budget
}
