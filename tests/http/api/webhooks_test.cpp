// ApiHandler without sockets: webhook endpoints (CONTRACT §8) over the use cases and the
// in-memory repository.
#include <catch2/catch.hpp>
#include <string>

#include "adapters/webhooks/signature.hpp"
#include "tests/http/api/handler_fixture.hpp"

namespace handler_tests {
namespace {

constexpr const char* kWebhooks = "/api/v1/tenant/webhooks";

std::string webhook_path(const std::string& id) { return std::string(kWebhooks) + "/" + id; }

Body created(Api& api, const std::string& body) {
    Response r = api.call("POST", kWebhooks, body);
    INFO(r.body);
    REQUIRE(r.status == 201);
    return Api::parse(r);
}

const json::Object& data_of(const Body& body) { return obj(at(body.object(), "data")); }

}  // namespace

TEST_CASE("POST /webhooks: 201 with the endpoint and a whsec_ secret shown only there", "[http][webhooks]") {
    Api api;
    Response r = api.call("POST", kWebhooks, R"({"url":"https://hooks.example.com/leads","description":"CRM"})");
    REQUIRE(r.status == 201);
    const Body body = Api::parse(r);
    const auto& webhook = data_of(body);
    const std::string id = str(at(webhook, "id"));
    CHECK(id.starts_with("whk_"));
    CHECK(header(r, "Location") == webhook_path(id));
    CHECK(str(at(webhook, "url")) == "https://hooks.example.com/leads");
    CHECK(str(at(webhook, "description")) == "CRM");
    CHECK(*at(webhook, "enabled").as_bool());
    CHECK(is_rfc3339_millis(str(at(webhook, "created_at"))));
    const auto& types = arr(at(webhook, "event_types"));
    REQUIRE(types.size() == 5);  // all of them by default
    CHECK(str(types[0]) == "lead.created");
    const std::string secret = str(at(webhook, "secret"));
    REQUIRE(secret.starts_with("whsec_"));
    const auto key = leads::adapters::webhooks::secret_key(secret);
    REQUIRE(key);
    CHECK(key->size() == 32);

    // Never again: not by GET, nor in the list, nor after a PATCH.
    for (const auto& answer : {api.call("GET", webhook_path(id)), api.call("GET", kWebhooks),
                               api.call("PATCH", webhook_path(id), R"({"enabled":false})")}) {
        CHECK(answer.status == 200);
        CHECK(answer.body.find("secret") == std::string::npos);
        CHECK(answer.body.find(secret) == std::string::npos);
    }
    // Two endpoints never share a secret.
    CHECK(str(at(data_of(created(api, R"({"url":"https://hooks.example.com/b"})")), "secret")) != secret);
}

TEST_CASE("POST /webhooks refuses a bad url, unknown event types and unknown fields with 400", "[http][webhooks]") {
    Api api;
    for (const auto& [body, field] : std::vector<std::pair<std::string, std::string>>{
             {R"({"url":"ftp://example.com"})", "url"},
             {R"({"url":"https://user:pw@example.com/"})", "url"},
             {R"({"url":"https://example.com/)" + std::string(2100, 'a') + R"("})", "url"},
             {R"({})", "url"},
             {R"({"url":7})", "url"},
             {R"({"url":"https://example.com","event_types":["lead.created","lead.exploded"]})", "event_types"},
             {R"({"url":"https://example.com","event_types":[]})", "event_types"},
             {R"({"url":"https://example.com","event_types":"lead.created"})", "event_types"},
             {R"({"url":"https://example.com","secret":"whsec_mine"})", "secret"},
             {R"({"url":"https://example.com","description":")" + std::string(501, 'd') + R"("})", "description"}}) {
        INFO(body);
        Response r = api.call("POST", kWebhooks, body);
        CHECK(r.status == 400);
        CHECK(r.body.find("\"field\":\"" + field + "\"") != std::string::npos);
    }
    CHECK(arr(at(Api::parse(api.call("GET", kWebhooks)).object(), "data")).empty());
}

TEST_CASE("PATCH /webhooks/{id} changes url, types, description and enabled; another tenant gets 404",
          "[http][webhooks]") {
    Api api;
    const std::string id = str(at(data_of(created(api, R"({"url":"https://a.example.com","description":"x"})")), "id"));
    Response r = api.call("PATCH", webhook_path(id),
                          R"({"url":"https://b.example.com/hook","event_types":["lead.deleted","lead.created"],)"
                          R"("description":null,"enabled":false})");
    REQUIRE(r.status == 200);
    const Body body = Api::parse(r);
    const auto& webhook = data_of(body);
    CHECK(str(at(webhook, "url")) == "https://b.example.com/hook");
    const auto& types = arr(at(webhook, "event_types"));
    REQUIRE(types.size() == 2);
    CHECK(str(types[0]) == "lead.created");  // contract order
    CHECK(str(types[1]) == "lead.deleted");
    CHECK(at(webhook, "description").is_null());
    CHECK_FALSE(*at(webhook, "enabled").as_bool());
    CHECK(api.call("PATCH", webhook_path(id), R"({"enabled":"yes"})").status == 400);
    CHECK(api.call("PATCH", webhook_path(id), R"({"url":"gopher://x"})").status == 400);

    const std::string other = random_tenant();
    CHECK(api.call("GET", webhook_path(id), {}, {}, other).status == 404);
    CHECK(api.call("PATCH", webhook_path(id), R"({"enabled":true})", {}, other).status == 404);
    CHECK(api.call("DELETE", webhook_path(id), {}, {}, other).status == 404);
    CHECK(api.call("POST", webhook_path(id) + "/rotate-secret", "{}", {}, other).status == 404);
    CHECK(api.call("GET", webhook_path(id) + "/deliveries", {}, {}, other).status == 404);
    CHECK(arr(at(Api::parse(api.call("GET", kWebhooks, {}, {}, other)).object(), "data")).empty());
    CHECK(api.call("GET", webhook_path("whk_nope")).status == 404);

    CHECK(api.call("DELETE", webhook_path(id)).status == 204);
    CHECK(api.call("GET", webhook_path(id)).status == 404);
}

TEST_CASE("POST /webhooks/{id}/rotate-secret: a new secret, the previous one still signing for 24 hours",
          "[http][webhooks]") {
    Api api;
    const Body first = created(api, R"({"url":"https://a.example.com"})");
    const std::string id = str(at(data_of(first), "id"));
    const std::string old_secret = str(at(data_of(first), "secret"));
    Response r = api.call("POST", webhook_path(id) + "/rotate-secret", "{}");
    REQUIRE(r.status == 200);
    const std::string new_secret = str(at(data_of(Api::parse(r)), "secret"));
    CHECK(new_secret.starts_with("whsec_"));
    CHECK(new_secret != old_secret);

    const auto id_parsed = leads::domain::WebhookId::parse(id).value();
    const auto stored = api.repository.find_webhook(leads::domain::TenantId::parse(api.tenant).value(), id_parsed);
    REQUIRE(stored.ok());
    CHECK(stored->secret == new_secret);
    const auto now = api.clock.now();
    CHECK(leads::ports::signing_secrets(*stored, now) == std::vector<std::string>{new_secret, old_secret});
    CHECK(leads::ports::signing_secrets(*stored, now + std::chrono::hours(25)) == std::vector<std::string>{new_secret});
}

TEST_CASE("GET /webhooks/{id}/deliveries lists deliveries newest first, a page at a time", "[http][webhooks]") {
    Api api;
    const std::string id =
        str(at(data_of(created(api, R"({"url":"https://a.example.com","event_types":["lead.created"]})")), "id"));
    for (int i = 0; i < 3; ++i)
        api.create(R"({"workspace_slug":"acme","email":"l)" + std::to_string(i) + R"(@x.com"})");
    REQUIRE(api.repository.fan_out(api.clock.now(), 1000).ok());

    Response r = api.call("GET", webhook_path(id) + "/deliveries?limit=2");
    REQUIRE(r.status == 200);
    const Body page = Api::parse(r);
    const auto& items = arr(at(page.object(), "data"));
    REQUIRE(items.size() == 2);
    CHECK(num(at(obj(items[0]), "sequence")) == 3);
    CHECK(str(at(obj(items[0]), "state")) == "pending");
    CHECK(num(at(obj(items[0]), "attempts")) == 0);
    CHECK(at(obj(items[0]), "last_status_code").is_null());
    CHECK(str(at(obj(items[0]), "event_id")).starts_with("evt_"));
    const auto& pagination = obj(at(page.object(), "pagination"));
    CHECK(*at(pagination, "has_more").as_bool());
    const std::string cursor = str(at(pagination, "next_cursor"));
    Response rest = api.call("GET", webhook_path(id) + "/deliveries?limit=2&cursor=" + cursor);
    REQUIRE(rest.status == 200);
    const Body second = Api::parse(rest);
    REQUIRE(arr(at(second.object(), "data")).size() == 1);
    CHECK(num(at(obj(arr(at(second.object(), "data"))[0]), "sequence")) == 1);
    CHECK(api.call("GET", webhook_path(id) + "/deliveries?cursor=bogus").status == 400);
    CHECK(api.call("GET", webhook_path(id) + "/deliveries?limit=0").status == 400);
}

}  // namespace handler_tests
