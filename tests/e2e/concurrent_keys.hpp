#pragma once

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/http/server/raw_client.hpp"

// CONTRACT §6 through the real binary: many identical requests sent at once with one
// Idempotency-Key make exactly one effect, and many requests with keys of their own each
// make theirs and replay their own answer, whatever storage the service runs on (SQLite
// writes creates that arrive together in one transaction).
namespace leads::tests::e2e {

// Sends `count` identical creates with one key from as many threads, spread over the given
// service processes (replicas of one database); every answer must be the create (201,
// first or replayed) or 409 idempotency_in_progress, and the workspace must hold exactly
// one lead afterwards.
inline void check_one_effect_for_concurrent_keys(const std::vector<std::uint16_t>& ports, const std::string& tenant,
                                                 int count = 20) {
    REQUIRE_FALSE(ports.empty());
    const std::uint16_t port = ports.front();
    using leads::testing::http_request;
    const std::string body = R"({"workspace_slug":"race","email":"once@example.com"})";
    std::vector<std::optional<leads::testing::HttpResponse>> answers(static_cast<std::size_t>(count));
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < count; ++i) {
            threads.emplace_back([&, i] {
                answers[static_cast<std::size_t>(i)] = http_request(
                    ports[static_cast<std::size_t>(i) % ports.size()], "POST", "/api/v1/tenant/leads", body,
                    {{"X-Tenant-Id", tenant}, {"Content-Type", "application/json"}, {"Idempotency-Key", "same-key"}});
            });
        }
        for (auto& thread : threads) thread.join();
    }
    int created = 0, replayed = 0, busy = 0;
    std::set<std::string> locations;
    for (const auto& answer : answers) {
        REQUIRE(answer);
        if (answer->status == 201) {
            (answer->header("idempotent-replayed") == "true" ? replayed : created) += 1;
            locations.insert(answer->header("location").value_or(""));
        } else {
            CHECK(answer->status == 409);
            CHECK(answer->body.find("idempotency_in_progress") != std::string::npos);
            CHECK(answer->header("retry-after") == "1");
            ++busy;
        }
    }
    CHECK(created == 1);
    CHECK(created + replayed + busy == count);
    CHECK(locations.size() == 1);  // every 201 names the same lead
    auto listed = http_request(port, "GET", "/api/v1/tenant/leads?workspace=race", {}, {{"X-Tenant-Id", tenant}});
    REQUIRE(listed);
    CHECK(listed->body.find(R"("total":1)") != std::string::npos);
    // Once the first is done, the key replays.
    auto late =
        http_request(port, "POST", "/api/v1/tenant/leads", body,
                     {{"X-Tenant-Id", tenant}, {"Content-Type", "application/json"}, {"Idempotency-Key", "same-key"}});
    REQUIRE(late);
    CHECK(late->status == 201);
    CHECK(late->header("idempotent-replayed") == "true");
}

// Sends `count` creates at once, each with an email and a key of its own, spread over the
// service processes: each must be created (201, not replayed) as its own lead, and each key
// must then replay its own answer byte for byte.
inline void check_each_key_answers_its_own_create(const std::vector<std::uint16_t>& ports, const std::string& tenant,
                                                  int count = 24) {
    REQUIRE_FALSE(ports.empty());
    using leads::testing::http_request;
    const auto send = [&](int i) {
        return http_request(ports[static_cast<std::size_t>(i) % ports.size()], "POST", "/api/v1/tenant/leads",
                            R"({"workspace_slug":"many","email":"own)" + std::to_string(i) + R"(@example.com"})",
                            {{"X-Tenant-Id", tenant},
                             {"Content-Type", "application/json"},
                             {"Idempotency-Key", "own-key-" + std::to_string(i)}});
    };
    std::vector<std::optional<leads::testing::HttpResponse>> answers(static_cast<std::size_t>(count));
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < count; ++i)
            threads.emplace_back([&, i] { answers[static_cast<std::size_t>(i)] = send(i); });
        for (auto& thread : threads) thread.join();
    }
    std::set<std::string> locations;
    for (int i = 0; i < count; ++i) {
        INFO("create " << i);
        const auto& answer = answers[static_cast<std::size_t>(i)];
        REQUIRE(answer);
        REQUIRE(answer->status == 201);
        CHECK_FALSE(answer->header("idempotent-replayed"));
        CHECK(answer->body.find("own" + std::to_string(i) + "@example.com") != std::string::npos);
        locations.insert(answer->header("location").value_or(""));
        const auto again = send(i);
        REQUIRE(again);
        CHECK(again->status == 201);
        CHECK(again->header("idempotent-replayed") == "true");
        CHECK(again->body == answer->body);
        CHECK(again->header("location") == answer->header("location"));
    }
    CHECK(locations.size() == static_cast<std::size_t>(count));
    auto listed =
        http_request(ports.front(), "GET", "/api/v1/tenant/leads?workspace=many", {}, {{"X-Tenant-Id", tenant}});
    REQUIRE(listed);
    CHECK(listed->body.find(R"("total":)" + std::to_string(count)) != std::string::npos);
}

}  // namespace leads::tests::e2e
