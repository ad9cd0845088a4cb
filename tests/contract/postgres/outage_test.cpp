// PostgreSQL goes away and comes back while a repository is open: calls fail fast with
// Unavailable, and succeed again after the restart without recreating anything.
// Needs LEADS_TEST_PG_CTL (scripts/with-postgres.sh), since it stops the server.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "adapters/postgres/postgres_repository.hpp"
#include "domain/event.hpp"
#include "tests/contract/postgres/postgres_server.hpp"
#include "tests/contract/support.hpp"
#include "tests/support/loopback.hpp"

namespace leads::tests::contract {

namespace {

using Clock = std::chrono::steady_clock;

const std::string& pg_ctl() {
    static const std::string command = [] {
        const char* value = std::getenv("LEADS_TEST_PG_CTL");
        if (value == nullptr || *value == '\0') {
            std::fputs("LEADS_TEST_PG_CTL is not set (run under scripts/with-postgres.sh): skipped\n", stderr);
            std::exit(77);
        }
        return std::string(value);
    }();
    return command;
}

[[maybe_unused]] const bool kConfigured = !postgres_url().empty() && !pg_ctl().empty();

void server(const std::string& action) {
    std::string command = "'" + pg_ctl() + "' " + action + " >/dev/null";
    REQUIRE(std::system(command.c_str()) == 0);
}

// Runs a call, checks it failed with Unavailable, and says how long it took.
template <class Call>
Clock::duration expect_unavailable(const char* what, Call&& call) {
    auto started = Clock::now();
    auto result = call();
    auto took = Clock::now() - started;
    INFO(what);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == domain::ErrorKind::Unavailable);
    return took;
}

// Relays connections to the test server, each on a thread of its own, and cuts one (both
// ways at once) when the client sends a message the rule picks: the server going away at
// that very moment.
class CuttingProxy {
  public:
    // Asked of each message a client sends after its startup packet: its type and whole text.
    using Rule = std::function<bool(char type, std::string_view message)>;

    // url: postgresql://user:password@host:port/database?options (scripts/with-postgres.sh)
    CuttingProxy(const std::string& url, Rule rule) : rule_(std::move(rule)) {
        const auto at = url.find('@');
        const auto slash = url.find('/', at);
        const auto colon = url.rfind(':', slash);
        REQUIRE((at != std::string::npos && slash != std::string::npos && colon > at));
        host_ = url.substr(at + 1, colon - at - 1);
        upstream_port_ = std::stoi(url.substr(colon + 1, slash - colon - 1));
        int port = 0;
        listener_ = listen_on_loopback(port, 16);
        url_ = url.substr(0, colon + 1) + std::to_string(port) + url.substr(slash);
        thread_ = std::thread([this] { serve(); });
    }
    CuttingProxy(const CuttingProxy&) = delete;
    CuttingProxy& operator=(const CuttingProxy&) = delete;
    ~CuttingProxy() {
        stop_ = true;
        thread_.join();
        ::close(listener_);
    }

    // The test server's URL, through the proxy.
    const std::string& url() const { return url_; }
    int cuts() const { return cuts_; }

  private:
    void serve() {
        std::vector<std::thread> relays;
        while (!stop_) {
            pollfd one{.fd = listener_, .events = POLLIN, .revents = 0};
            if (::poll(&one, 1, 50) <= 0) continue;
            int client = ::accept(listener_, nullptr, nullptr);
            if (client < 0) continue;
            relays.emplace_back([this, client] {
                int server = ::socket(AF_INET, SOCK_STREAM, 0);
                sockaddr_in address{};
                address.sin_family = AF_INET;
                address.sin_port = htons(static_cast<std::uint16_t>(upstream_port_));
                ::inet_pton(AF_INET, host_.c_str(), &address.sin_addr);
                if (::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
                    relay(client, server);
                }
                ::close(server);
                ::close(client);
            });
        }
        for (auto& relay : relays) relay.join();
    }

    // Server to client as it comes; client to server message by message, each one put to
    // the rule once the startup packet went through.
    void relay(int client, int server) {
        std::string pending;
        bool started = false;  // after the startup packet, messages carry a type byte
        char buffer[8192];
        while (!stop_) {
            pollfd both[2] = {{.fd = client, .events = POLLIN, .revents = 0},
                              {.fd = server, .events = POLLIN, .revents = 0}};
            if (::poll(both, 2, 50) <= 0) continue;
            if (both[1].revents != 0) {
                auto got = ::read(server, buffer, sizeof buffer);
                if (got <= 0 || ::write(client, buffer, static_cast<std::size_t>(got)) != got) return;
            }
            if (both[0].revents == 0) continue;
            auto got = ::read(client, buffer, sizeof buffer);
            if (got <= 0) return;
            pending.append(buffer, static_cast<std::size_t>(got));
            while (true) {
                const std::size_t header = started ? 5 : 4;
                if (pending.size() < header) break;
                std::uint32_t length = 0;
                for (std::size_t i = header - 4; i < header; ++i) {
                    length = length << 8 | static_cast<unsigned char>(pending[i]);
                }
                const std::size_t size = header - 4 + length;
                if (pending.size() < size) break;
                if (started && rule_(pending[0], std::string_view(pending).substr(0, size))) {
                    ++cuts_;
                    return;
                }
                if (!started && length >= 8) {  // protocol 3.0, not an SSL or GSS request
                    started = static_cast<unsigned char>(pending[4]) == 0 && pending[5] == 3;
                }
                if (::write(server, pending.data(), size) != static_cast<ssize_t>(size)) return;
                pending.erase(0, size);
            }
        }
    }

    Rule rule_;
    std::string host_;
    int upstream_port_ = 0;
    std::string url_;
    int listener_ = -1;
    std::atomic<bool> stop_{false};
    std::atomic<int> cuts_{0};
    std::thread thread_;
};

}  // namespace

TEST_CASE(
    "A connection the server drops between its login and its first statement answers Unavailable and leaks nothing") {
    CuttingProxy proxy(postgres_url(), [](char type, std::string_view) { return type == 'Q' || type == 'P'; });
    // On a thread of its own, so that nothing left on this thread's stack keeps a lost
    // connection reachable for the leak check.
    std::optional<domain::ErrorKind> refused;
    std::thread([&] {
        auto opened = adapters::postgres::open_postgres({.url = proxy.url(), .pool_size = 2});
        if (!opened.ok()) refused = opened.error().kind;
    }).join();
    CHECK(refused == std::optional(domain::ErrorKind::Unavailable));
    CHECK(proxy.cuts() >= 1);
#if defined(__SANITIZE_ADDRESS__)
    CHECK(__lsan_do_recoverable_leak_check() == 0);
#endif
}

TEST_CASE(
    "An import whose connection drops after its leads went in is run again whole: each lead once, with its own "
    "lead.created") {
    // Up to 1,000 events ride on the workspace's version bump; more go in statements of
    // their own, pipelined: the connection is cut as either is sent, once.
    const std::size_t rows = GENERATE(std::size_t{20}, std::size_t{1200});
    std::atomic<bool> armed{false};
    std::atomic<bool> done{false};
    CuttingProxy proxy(postgres_url(), [&](char, std::string_view message) {
        return armed && message.find("INSERT INTO events") != std::string_view::npos && !done.exchange(true);
    });
    auto repository = value_of(adapters::postgres::open_postgres({.url = proxy.url(), .pool_size = 2}));
    const auto tenant = random_tenant();
    const auto workspace = slug("retried");
    std::vector<ports::ImportItem> items;
    for (std::size_t i = 0; i < rows; ++i) {
        auto lead = make_lead(tenant, workspace, {.email = "row" + std::to_string(i) + "@example.com"});
        items.push_back({lead, created_entry(lead), {}});
    }

    armed = true;
    const auto outcomes = value_of(repository->import(tenant, workspace, items));
    armed = false;
    INFO(rows << " rows");
    CHECK(proxy.cuts() == 1);  // the first attempt was cut, the second went through
    CHECK(std::all_of(outcomes.begin(), outcomes.end(),
                      [](const auto& outcome) { return outcome.kind == ports::ImportOutcomeKind::Created; }));
    CHECK(value_of(repository->list(filter_for(tenant, workspace))).total == static_cast<std::int64_t>(rows));

    // The second attempt rendered the events again (the first had taken them): one
    // lead.created per lead, carrying that lead's email, in request order.
    const auto page = value_of(repository->events(feed_of(tenant, std::nullopt, 5000)));
    REQUIRE(page.items.size() == rows);
    for (std::size_t i = 0; i < rows; ++i) {
        INFO("event " << i);
        CHECK(page.items[i].type == domain::EventType::LeadCreated);
        CHECK(page.items[i].lead_id == items[i].lead.id);
        CHECK(page.items[i].data.find('"' + items[i].lead.email.value() + '"') != std::string::npos);
    }
}

TEST_CASE("PostgreSQL outage: Unavailable while down, recovery after restart without a new repository") {
    auto opened = adapters::postgres::open_postgres({.url = postgres_url(), .pool_size = 4});
    REQUIRE(opened.ok());
    auto repository = opened.value();
    auto tenant = random_tenant();
    auto workspace = slug("outage");
    auto lead = add_lead(*repository, tenant, workspace, {.email = "before@example.com"});

    // Open every pooled connection, so that each of them goes stale in the outage.
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i) {
            threads.emplace_back([&] {
                for (int j = 0; j < 5; ++j) CHECK(repository->find(key_of(lead)).ok());
            });
        }
        for (auto& thread : threads) thread.join();
    }

    server("stop");
    const auto bound = std::chrono::seconds(6);  // connect_timeout is 5 s; a refused port is instant
    for (int round = 0; round < 2; ++round) {    // first on stale connections, then on reconnects
        CHECK(expect_unavailable("ping", [&] { return repository->ping(); }) < bound);
        CHECK(expect_unavailable("find", [&] { return repository->find(key_of(lead)); }) < bound);
        CHECK(expect_unavailable("list", [&] {
                  return repository->list(ports::LeadFilter{tenant, workspace, std::nullopt, std::nullopt, 10, 0});
              }) < bound);
        auto fresh = make_lead(tenant, workspace, {.email = "during@example.com"});
        CHECK(expect_unavailable("insert", [&] { return repository->insert(fresh, created_entry(fresh)); }) < bound);
        CHECK(expect_unavailable("update", [&] {
                  return repository->update(key_of(lead),
                                            [](domain::Lead& l) -> domain::Result<std::vector<domain::Activity>> {
                                                l.company = "during";
                                                l.version += 1;
                                                return std::vector<domain::Activity>{};
                                            });
              }) < bound);
    }

    server("start");
    auto deadline = Clock::now() + std::chrono::seconds(30);
    bool ready = false;
    while (!ready && Clock::now() < deadline) {
        ready = repository->ping().ok();
        if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(ready);

    // Every pooled connection works again: several calls at once need several of them.
    {
        std::vector<std::thread> threads;
        for (int i = 0; i < 4; ++i) {
            threads.emplace_back([&] {
                for (int j = 0; j < 5; ++j) {
                    auto found = repository->find(key_of(lead));
                    CHECK(found.ok());
                }
            });
        }
        for (auto& thread : threads) thread.join();
    }
    auto after = make_lead(tenant, workspace, {.email = "after@example.com"});
    REQUIRE(repository->insert(after, created_entry(after)).ok());
    auto page = repository->list(ports::LeadFilter{tenant, workspace, std::nullopt, std::nullopt, 10, 0});
    REQUIRE(page.ok());
    CHECK(page->total == 2);  // nothing written during the outage
    CHECK(emails(*page) == std::vector<std::string>{"after@example.com", "before@example.com"});
}

}  // namespace leads::tests::contract
