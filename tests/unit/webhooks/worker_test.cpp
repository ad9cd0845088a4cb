// The delivery worker against a fake WebhookRepository and a real receiver on this machine (a
// loopback socket): what is sent and signed, what each answer decides, the bounds on attempts
// in flight, and that the background threads stop promptly.
#include "adapters/webhooks/worker.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "adapters/webhooks/signature.hpp"
#include "adapters/wire/json_writer.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/random.hpp"

namespace webhooks = leads::adapters::webhooks;
namespace domain = leads::domain;
namespace ports = leads::ports;
using namespace std::chrono_literals;

namespace {

const domain::Timestamp kStart{std::chrono::milliseconds{1'761'991'200'000}};  // 2025-11-01T10:00Z

// A clock that stands still until a test moves it, or moves by step on every reading.
class FakeClock final : public ports::Clock {
  public:
    explicit FakeClock(std::chrono::milliseconds step = {}) : step_(step) {}
    domain::Timestamp now() override {
        std::lock_guard lock(mutex_);
        const auto at = now_;
        now_ += step_;
        return at;
    }
    void advance(std::chrono::milliseconds by) {
        std::lock_guard lock(mutex_);
        now_ += by;
    }

  private:
    std::mutex mutex_;
    domain::Timestamp now_ = kStart;
    std::chrono::milliseconds step_;
};

std::int64_t unix_seconds(domain::Timestamp at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

std::string new_secret() {
    std::array<std::uint8_t, webhooks::kKeyBytes> key{};
    for (std::size_t filled = 0; filled < key.size();) {
        for (const std::uint8_t byte : leads::tests::random_entropy()) {
            if (filled < key.size()) key[filled++] = byte;
        }
    }
    return webhooks::make_secret(key);
}

ports::Webhook make_webhook(const std::string& url) {
    return ports::Webhook{
        .id = domain::WebhookId::generate(kStart, leads::tests::random_entropy()),
        .tenant = leads::tests::random_tenant(),
        .url = url,
        .event_types = std::vector<domain::EventType>(std::begin(domain::kEventTypes), std::end(domain::kEventTypes)),
        .description = std::nullopt,
        .enabled = true,
        .created_at = kStart,
        .updated_at = kStart,
        .secret = new_secret()};
}

ports::StoredEvent make_event(std::int64_t sequence) {
    return ports::StoredEvent{.id = domain::EventId::generate(kStart, leads::tests::random_entropy()),
                              .sequence = sequence,
                              .type = domain::EventType::LeadUpdated,
                              .timestamp = kStart - 1s,
                              .workspace = domain::WorkspaceSlug::parse("workspace", "acme-corp").value(),
                              .lead_id = domain::LeadId::generate(kStart, leads::tests::random_entropy()),
                              .data = R"({"changed":["status"],"lead":{"name":"Ren\u00e9e \"R\""}})"};
}

// The worker's side of a WebhookRepository, in memory: pending deliveries due at a time,
// claims that hold until they expire, and every recorded outcome. Calls can be made to fail.
class FakeRepository final : public ports::WebhookRepository {
  public:
    struct Delivery {
        ports::StoredEvent event;
        std::string webhook;  // id
        domain::DeliveryState state = domain::DeliveryState::Pending;
        int attempts = 0;
        domain::Timestamp due = kStart;
        std::optional<domain::Timestamp> claimed_until = {};
    };

    void add_webhook(const ports::Webhook& webhook) {
        std::lock_guard lock(mutex_);
        webhooks_.insert_or_assign(webhook.id.value(), webhook);
    }
    void add_delivery(const ports::Webhook& webhook, const ports::StoredEvent& event) {
        std::lock_guard lock(mutex_);
        deliveries_.push_back({event, webhook.id.value()});
    }
    std::vector<ports::DeliveryOutcome> outcomes() const {
        std::lock_guard lock(mutex_);
        return outcomes_;
    }
    bool enabled(const ports::Webhook& webhook) const {
        std::lock_guard lock(mutex_);
        return webhooks_.at(webhook.id.value()).enabled;
    }
    int fan_outs() const { return fan_outs_; }
    std::atomic<std::int64_t> last_fan_out_limit{0};
    std::atomic<int> fail_fan_outs{0};  // throw from this many fan_out calls
    std::atomic<int> fail_claims{0};    // fail this many claim_deliveries calls
    std::atomic<int> fail_finishes{0};  // fail this many finish_delivery calls

    domain::Result<void> insert_webhook(const ports::Webhook&) override { return unused(); }
    domain::Result<ports::Webhook> find_webhook(const domain::TenantId&, const domain::WebhookId&) override {
        return unused();
    }
    domain::Result<std::vector<ports::Webhook>> list_webhooks(const domain::TenantId&) override { return unused(); }
    domain::Result<ports::Webhook> update_webhook(const domain::TenantId&, const domain::WebhookId&,
                                                  const ports::WebhookChange&) override {
        return unused();
    }
    domain::Result<void> remove_webhook(const domain::TenantId&, const domain::WebhookId&) override { return unused(); }
    domain::Result<ports::DeliveryPage> list_deliveries(const domain::TenantId&, const domain::WebhookId&, std::int64_t,
                                                        std::optional<std::int64_t>) override {
        return unused();
    }

    domain::Result<std::int64_t> fan_out(domain::Timestamp, std::int64_t limit) override {
        ++fan_outs_;
        last_fan_out_limit = limit;
        if (fail_fan_outs > 0) {
            --fail_fan_outs;
            throw std::runtime_error("the database went away");
        }
        return std::int64_t{0};
    }

    domain::Result<std::vector<ports::ClaimedDelivery>> claim_deliveries(const ports::ClaimRequest& request) override {
        const domain::Timestamp now = request.now;
        if (fail_claims > 0) {
            --fail_claims;
            return domain::Error::unavailable("the database is unavailable");
        }
        std::lock_guard lock(mutex_);
        std::vector<Delivery*> due;
        for (Delivery& delivery : deliveries_) {
            if (delivery.state != domain::DeliveryState::Pending || delivery.due > now) continue;
            if (delivery.claimed_until && *delivery.claimed_until > now) continue;
            if (!webhooks_.at(delivery.webhook).enabled) continue;
            if (std::any_of(request.skip.begin(), request.skip.end(),
                            [&](const domain::WebhookId& id) { return id.value() == delivery.webhook; })) {
                continue;
            }
            due.push_back(&delivery);
        }
        std::stable_sort(due.begin(), due.end(), [](const Delivery* a, const Delivery* b) { return a->due < b->due; });
        std::vector<ports::ClaimedDelivery> claimed;
        std::map<std::string, std::int64_t> per_webhook;
        for (Delivery* delivery : due) {
            if (static_cast<std::int64_t>(claimed.size()) == request.limit) break;
            if (request.per_webhook > 0 && per_webhook[delivery->webhook] >= request.per_webhook) continue;
            ++per_webhook[delivery->webhook];
            delivery->claimed_until = request.claim_until;
            claimed.push_back(
                {webhooks_.at(delivery->webhook), delivery->event, delivery->attempts, request.claim_until});
        }
        ++claims_;
        return claimed;
    }

    domain::Result<void> finish_delivery(const ports::DeliveryOutcome& outcome) override {
        if (fail_finishes > 0) {
            --fail_finishes;
            return domain::Error::unavailable("the database is unavailable");
        }
        std::lock_guard lock(mutex_);
        for (Delivery& delivery : deliveries_) {
            if (delivery.webhook != outcome.webhook_id.value() || delivery.event.sequence != outcome.sequence) continue;
            delivery.state = outcome.state;
            delivery.attempts = outcome.attempts;
            if (outcome.next_attempt_at) delivery.due = *outcome.next_attempt_at;
            delivery.claimed_until.reset();
        }
        if (outcome.disable_webhook) webhooks_.at(outcome.webhook_id.value()).enabled = false;
        outcomes_.push_back(outcome);
        return {};
    }

    domain::Result<ports::DeliveryBacklog> delivery_backlog() override { return unused(); }
    domain::Result<void> release_claim(const ports::ClaimedDelivery& claimed) override {
        std::lock_guard lock(mutex_);
        for (Delivery& delivery : deliveries_) {
            if (delivery.webhook == claimed.webhook.id.value() && delivery.event.sequence == claimed.event.sequence &&
                delivery.claimed_until == claimed.claimed_until) {
                delivery.claimed_until.reset();
                ++released_;
            }
        }
        return {};
    }
    int released() const { return released_; }
    domain::Result<ports::Swept> sweep(domain::Timestamp events_before, domain::Timestamp deliveries_before) override {
        std::lock_guard lock(mutex_);
        sweeps_.emplace_back(events_before, deliveries_before);
        return ports::Swept{.events = 2, .deliveries = 3};
    }
    std::vector<std::pair<domain::Timestamp, domain::Timestamp>> sweeps() const {
        std::lock_guard lock(mutex_);
        return sweeps_;
    }
    int claims() const { return claims_; }

    // The event as stored now: erase() rewrites it after it was claimed.
    domain::Result<std::optional<ports::StoredEvent>> delivery_event(const domain::TenantId&,
                                                                     std::int64_t sequence) override {
        std::lock_guard lock(mutex_);
        for (const Delivery& delivery : deliveries_) {
            if (delivery.event.sequence == sequence) {
                auto event = delivery.event;
                if (erased_.contains(sequence)) event.data = std::string(ports::kErasedEventData);
                return std::optional<ports::StoredEvent>{event};
            }
        }
        return std::optional<ports::StoredEvent>{};
    }
    void erase_after_claim(std::int64_t sequence) {
        std::lock_guard lock(mutex_);
        erased_.insert(sequence);
    }

  private:
    static domain::Error unused() { return domain::Error::internal("not used by the worker"); }

    mutable std::mutex mutex_;
    std::map<std::string, ports::Webhook> webhooks_;
    std::vector<Delivery> deliveries_;
    std::vector<ports::DeliveryOutcome> outcomes_;
    std::set<std::int64_t> erased_;  // erased after the claim was taken
    std::atomic<int> fan_outs_{0};
    std::atomic<int> claims_{0};
    std::atomic<int> released_{0};
    std::vector<std::pair<domain::Timestamp, domain::Timestamp>> sweeps_;
};

// A request as the receiver read it: the request line, headers by lower-case name, the body.
struct Request {
    std::string line;
    std::map<std::string, std::string> headers;
    std::string body;
};

Request parse_request(const std::string& raw) {
    Request request;
    const auto head_end = raw.find("\r\n\r\n");
    if (head_end == std::string::npos) return request;
    request.body = raw.substr(head_end + 4);
    std::size_t at = raw.find("\r\n");
    request.line = raw.substr(0, at);
    while (at < head_end) {
        const std::size_t next = raw.find("\r\n", at + 2);
        const std::string field = raw.substr(at + 2, next - at - 2);
        const auto colon = field.find(':');
        std::string name = field.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        request.headers[name] = field.substr(field.find_first_not_of(' ', colon + 1));
        at = next;
    }
    return request;
}

// Accepts connections on 127.0.0.1 until destroyed, each on its own thread: reads the
// request, holds it for `hold`, answers `answer`. Counts the requests it holds at once.
class Receiver {
  public:
    explicit Receiver(std::string answer, std::chrono::milliseconds hold = {})
        : answer_(std::move(answer)), hold_(hold) {
        fd_ = leads::tests::listen_on_loopback(port_, 64);
        thread_ = std::thread([this] { accept_all(); });
    }
    ~Receiver() {
        stop_ = true;
        thread_.join();
        for (std::thread& handler : handlers_) handler.join();
        ::close(fd_);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
    std::vector<Request> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    int most_at_once() const { return most_at_once_; }

  private:
    void accept_all() {
        while (!stop_) {
            pollfd ready{fd_, POLLIN, 0};
            if (::poll(&ready, 1, 20) <= 0) continue;
            const int client = ::accept(fd_, nullptr, nullptr);
            if (client >= 0) handlers_.emplace_back([this, client] { handle(client); });
        }
    }

    void handle(int client) {
        std::string received;
        char buffer[4096];
        for (;;) {
            const auto head_end = received.find("\r\n\r\n");
            if (head_end != std::string::npos) {
                const Request request = parse_request(received);
                const auto length = request.headers.find("content-length");
                const std::size_t body = length == request.headers.end() ? 0 : std::stoul(length->second);
                if (received.size() >= head_end + 4 + body) break;
            }
            pollfd readable{client, POLLIN, 0};
            if (::poll(&readable, 1, 2000) <= 0) break;
            const ssize_t n = ::read(client, buffer, sizeof buffer);
            if (n <= 0) break;
            received.append(buffer, static_cast<std::size_t>(n));
        }
        const int open = ++open_;
        for (int most = most_at_once_; open > most && !most_at_once_.compare_exchange_weak(most, open);) {
        }
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(parse_request(received));
        }
        std::this_thread::sleep_for(hold_);
        --open_;
        [[maybe_unused]] const ssize_t written = ::write(client, answer_.data(), answer_.size());
        ::close(client);
    }

    std::string answer_;
    std::chrono::milliseconds hold_;
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
    std::vector<std::thread> handlers_;  // only the accepting thread adds, only the destructor joins
    std::atomic<bool> stop_{false};
    std::atomic<int> open_{0};
    std::atomic<int> most_at_once_{0};
    mutable std::mutex mutex_;
    std::vector<Request> requests_;
};

std::string answer(int status, std::string_view headers = "") {
    return "HTTP/1.1 " + std::to_string(status) + " Whatever\r\n" + std::string(headers) +
           "Content-Length: 0\r\nConnection: close\r\n\r\n";
}

webhooks::WorkerOptions test_options() {
    webhooks::WorkerOptions options;
    options.client.allow_http = true;
    options.client.allow_private = true;
    options.client.timeout = 3s;
    options.schedule = {10s, 20s};
    return options;
}

// The Standard Webhooks signature computed here with OpenSSL, independently of signature.cpp.
std::string expected_signature(const std::string& secret, const std::string& id, std::int64_t timestamp,
                               const std::string& body) {
    const std::string key = webhooks::unbase64(secret.substr(webhooks::kSecretPrefix.size())).value();
    const std::string message = id + "." + std::to_string(timestamp) + "." + body;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    REQUIRE(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length) != nullptr);
    return "v1," + webhooks::base64(std::string(reinterpret_cast<const char*>(mac), length));
}

// Waits (10 s at most) until done() holds; whether it does.
template <class Done>
bool eventually(Done done) {
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!done() && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(5ms);
    return done();
}

// Waits (10 s at most) until the repository holds count outcomes.
bool wait_for_outcomes(const FakeRepository& repository, std::size_t count) {
    return eventually([&] { return repository.outcomes().size() >= count; });
}

}  // namespace

TEST_CASE("a 2xx answer: the event is POSTed as the feed lists it, signed, and the delivery succeeds",
          "[webhooks][worker]") {
    Receiver receiver(answer(204));
    FakeRepository repository;
    FakeClock clock;
    const ports::Webhook webhook = make_webhook(receiver.url());
    const ports::StoredEvent event = make_event(42);
    repository.add_webhook(webhook);
    repository.add_delivery(webhook, event);
    webhooks::DeliveryWorker worker(repository, clock, test_options());

    CHECK(worker.run_once() == 1);
    CHECK(repository.fan_outs() == 1);
    CHECK(repository.last_fan_out_limit == 1000);

    const auto requests = receiver.requests();
    REQUIRE(requests.size() == 1);
    const Request& request = requests[0];
    CHECK(request.line == "POST /hook HTTP/1.1");
    const std::string body = leads::adapters::wire::event_json(event);
    CHECK(request.body == body);
    CHECK(request.headers.at("content-type") == "application/json");
    CHECK(request.headers.at("user-agent") == "leads-webhooks/1");
    CHECK(request.headers.at("webhook-id") == event.id.value());
    const std::int64_t timestamp = std::stoll(request.headers.at("webhook-timestamp"));
    CHECK(std::abs(timestamp - unix_seconds(kStart)) <= 1);
    const std::string key = webhooks::secret_key(webhook.secret).value();
    CHECK(request.headers.at("webhook-signature") == webhooks::sign(key, event.id.value(), timestamp, body));
    CHECK(request.headers.at("webhook-signature") ==
          expected_signature(webhook.secret, event.id.value(), timestamp, body));

    const auto outcomes = repository.outcomes();
    REQUIRE(outcomes.size() == 1);
    const ports::DeliveryOutcome& outcome = outcomes[0];
    CHECK(outcome.tenant == webhook.tenant);
    CHECK(outcome.webhook_id == webhook.id);
    CHECK(outcome.sequence == 42);
    CHECK(outcome.state == domain::DeliveryState::Succeeded);
    CHECK(outcome.attempts == 1);
    CHECK(outcome.status_code == 204);
    CHECK_FALSE(outcome.error);
    CHECK_FALSE(outcome.next_attempt_at);
    CHECK_FALSE(outcome.disable_webhook);
    CHECK(outcome.at == kStart);
    CHECK(worker.stats().succeeded == 1);

    // Done: nothing is due any more.
    CHECK(worker.run_once() == 0);
    CHECK(receiver.requests().size() == 1);
}

TEST_CASE("a lead erased after the claim is sent erased: the event is read again just before the attempt",
          "[webhooks][worker]") {
    Receiver receiver(answer(204));
    FakeRepository repository;
    FakeClock clock;
    const ports::Webhook webhook = make_webhook(receiver.url());
    const ports::StoredEvent event = make_event(7);
    repository.add_webhook(webhook);
    repository.add_delivery(webhook, event);
    repository.erase_after_claim(7);  // the claim still carries the lead; storage no longer does
    webhooks::DeliveryWorker worker(repository, clock, test_options());
    CHECK(worker.run_once() == 1);
    const auto requests = receiver.requests();
    REQUIRE(requests.size() == 1);
    ports::StoredEvent erased = event;
    erased.data = std::string(ports::kErasedEventData);
    CHECK(requests[0].body == leads::adapters::wire::event_json(erased));
    CHECK(requests[0].body.find(R"("data":{"erased":true})") != std::string::npos);
}

TEST_CASE("after a rotation both secrets sign until the previous one expires", "[webhooks][worker]") {
    Receiver receiver(answer(200));
    FakeRepository repository;
    FakeClock clock;
    ports::Webhook rotated = make_webhook(receiver.url());
    rotated.previous_secret = new_secret();
    rotated.previous_until = kStart + 1h;
    ports::Webhook expired = make_webhook(receiver.url());
    expired.previous_secret = new_secret();
    expired.previous_until = kStart;  // expired at the attempt
    ports::Webhook broken = make_webhook(receiver.url());
    broken.previous_secret = "whsec_not base64!";  // undecodable: skipped
    broken.previous_until = kStart + 1h;
    const ports::StoredEvent first = make_event(1);
    const ports::StoredEvent second = make_event(2);
    const ports::StoredEvent third = make_event(3);
    for (const auto* webhook : {&rotated, &expired, &broken}) repository.add_webhook(*webhook);
    repository.add_delivery(rotated, first);
    repository.add_delivery(expired, second);
    repository.add_delivery(broken, third);
    webhooks::DeliveryWorker worker(repository, clock, test_options());
    REQUIRE(worker.run_once() == 3);

    std::map<std::string, Request> by_event;
    for (const Request& request : receiver.requests()) by_event[request.headers.at("webhook-id")] = request;
    REQUIRE(by_event.size() == 3);
    const std::int64_t ts = unix_seconds(kStart);
    const Request& both = by_event.at(first.id.value());
    CHECK(both.headers.at("webhook-timestamp") == std::to_string(ts));
    CHECK(both.headers.at("webhook-signature") ==
          expected_signature(rotated.secret, first.id.value(), ts, both.body) + " " +
              expected_signature(*rotated.previous_secret, first.id.value(), ts, both.body));
    const Request& one = by_event.at(second.id.value());
    CHECK(one.headers.at("webhook-signature") == expected_signature(expired.secret, second.id.value(), ts, one.body));
    const Request& skipped = by_event.at(third.id.value());
    CHECK(skipped.headers.at("webhook-signature") ==
          expected_signature(broken.secret, third.id.value(), ts, skipped.body));
}

TEST_CASE("a webhook without a usable secret is not called; the attempt says why, without the secret",
          "[webhooks][worker]") {
    Receiver receiver(answer(200));
    FakeRepository repository;
    FakeClock clock;
    ports::Webhook webhook = make_webhook(receiver.url());
    webhook.secret = "whsec_%%%secret-text%%%";
    repository.add_webhook(webhook);
    repository.add_delivery(webhook, make_event(1));
    webhooks::DeliveryWorker worker(repository, clock, test_options());
    CHECK(worker.run_once() == 1);
    CHECK(receiver.requests().empty());
    const auto outcomes = repository.outcomes();
    REQUIRE(outcomes.size() == 1);
    CHECK(outcomes[0].state == domain::DeliveryState::Pending);
    CHECK_FALSE(outcomes[0].status_code);
    REQUIRE(outcomes[0].error);
    CHECK(outcomes[0].error->find("secret-text") == std::string::npos);
    CHECK(outcomes[0].error->find("whsec_") == std::string::npos);
}

TEST_CASE("a 500 is retried after the schedule's delays, then the delivery fails", "[webhooks][worker]") {
    Receiver receiver(answer(500));
    FakeRepository repository;
    FakeClock clock;
    const ports::Webhook webhook = make_webhook(receiver.url());
    repository.add_webhook(webhook);
    repository.add_delivery(webhook, make_event(7));
    webhooks::DeliveryWorker worker(repository, clock, test_options());  // schedule 10s, 20s

    REQUIRE(worker.run_once() == 1);
    auto outcome = repository.outcomes().back();
    CHECK(outcome.state == domain::DeliveryState::Pending);
    CHECK(outcome.attempts == 1);
    CHECK(outcome.status_code == 500);
    CHECK(outcome.error == "the receiver answered 500");
    REQUIRE(outcome.next_attempt_at);
    CHECK(*outcome.next_attempt_at >= kStart + 9s);
    CHECK(*outcome.next_attempt_at <= kStart + 11s);

    // Not due yet: nothing is attempted.
    clock.advance(8s);
    CHECK(worker.run_once() == 0);
    clock.advance(3s);  // kStart + 11s
    REQUIRE(worker.run_once() == 1);
    outcome = repository.outcomes().back();
    CHECK(outcome.state == domain::DeliveryState::Pending);
    CHECK(outcome.attempts == 2);
    REQUIRE(outcome.next_attempt_at);
    CHECK(*outcome.next_attempt_at >= kStart + 11s + 18s);
    CHECK(*outcome.next_attempt_at <= kStart + 11s + 22s);

    clock.advance(22s);
    REQUIRE(worker.run_once() == 1);
    outcome = repository.outcomes().back();
    CHECK(outcome.state == domain::DeliveryState::Failed);
    CHECK(outcome.attempts == 3);
    CHECK(outcome.status_code == 500);
    CHECK_FALSE(outcome.next_attempt_at);
    CHECK_FALSE(outcome.disable_webhook);
    CHECK(receiver.requests().size() == 3);

    const webhooks::WorkerStats stats = worker.stats();
    CHECK(stats.retried == 2);
    CHECK(stats.failed == 1);
    CHECK(stats.succeeded == 0);
    CHECK(stats.errors == 0);
}

TEST_CASE("a 410 fails the delivery and disables the webhook", "[webhooks][worker]") {
    Receiver receiver(answer(410));
    FakeRepository repository;
    FakeClock clock;
    const ports::Webhook webhook = make_webhook(receiver.url());
    repository.add_webhook(webhook);
    repository.add_delivery(webhook, make_event(1));
    repository.add_delivery(webhook, make_event(2));
    webhooks::WorkerOptions options = test_options();
    options.per_webhook = 1;
    options.batch = 1;
    webhooks::DeliveryWorker worker(repository, clock, options);
    REQUIRE(worker.run_once() == 1);
    const auto outcome = repository.outcomes().at(0);
    CHECK(outcome.state == domain::DeliveryState::Failed);
    CHECK(outcome.disable_webhook);
    CHECK(outcome.status_code == 410);
    CHECK(outcome.error == "the receiver answered 410");
    CHECK_FALSE(repository.enabled(webhook));
    // The disabled endpoint's other delivery is not claimed.
    CHECK(worker.run_once() == 0);
}

TEST_CASE("a Retry-After longer than the scheduled delay is waited", "[webhooks][worker]") {
    Receiver receiver(answer(503, "Retry-After: 120\r\n"));
    FakeRepository repository;
    FakeClock clock;
    const ports::Webhook webhook = make_webhook(receiver.url());
    repository.add_webhook(webhook);
    repository.add_delivery(webhook, make_event(1));
    webhooks::WorkerOptions options = test_options();
    options.schedule = {5s};
    webhooks::DeliveryWorker worker(repository, clock, options);
    REQUIRE(worker.run_once() == 1);
    const auto outcome = repository.outcomes().at(0);
    CHECK(outcome.state == domain::DeliveryState::Pending);
    CHECK(outcome.status_code == 503);
    REQUIRE(outcome.next_attempt_at);
    CHECK(*outcome.next_attempt_at >= kStart + 120s);
}

TEST_CASE("no answer (connection refused) is retried, with the client's error and no status", "[webhooks][worker]") {
    // A port that nothing listens on: bound to find a free one, then closed.
    int port = 0;
    ::close(leads::tests::listen_on_loopback(port, 0));
    FakeRepository repository;
    FakeClock clock;
    const ports::Webhook webhook = make_webhook("http://127.0.0.1:" + std::to_string(port) + "/hook");
    repository.add_webhook(webhook);
    repository.add_delivery(webhook, make_event(1));
    webhooks::DeliveryWorker worker(repository, clock, test_options());
    REQUIRE(worker.run_once() == 1);
    const auto outcome = repository.outcomes().at(0);
    CHECK(outcome.state == domain::DeliveryState::Pending);
    CHECK_FALSE(outcome.status_code);
    REQUIRE(outcome.error);
    INFO(*outcome.error);
    CHECK_FALSE(outcome.error->empty());
    CHECK(outcome.error->find("answered") == std::string::npos);
    CHECK(outcome.next_attempt_at);
}

TEST_CASE("at most per_webhook attempts are in flight for one endpoint, more across endpoints",
          "[webhooks][worker][concurrency]") {
    webhooks::WorkerOptions options = test_options();
    options.concurrency = 8;
    options.per_webhook = 2;

    SECTION("six deliveries for one webhook: two at a time") {
        Receiver receiver(answer(200), 200ms);
        FakeRepository repository;
        FakeClock clock;
        const ports::Webhook webhook = make_webhook(receiver.url());
        repository.add_webhook(webhook);
        for (int i = 1; i <= 6; ++i) repository.add_delivery(webhook, make_event(i));
        webhooks::DeliveryWorker worker(repository, clock, options);
        CHECK(worker.run_once() == 6);
        CHECK(repository.outcomes().size() == 6);
        CHECK(receiver.requests().size() == 6);
        CHECK(receiver.most_at_once() == 2);
    }
    SECTION("three webhooks with three deliveries each: more than two at a time") {
        Receiver receiver(answer(200), 200ms);
        FakeRepository repository;
        FakeClock clock;
        for (int w = 0; w < 3; ++w) {
            const ports::Webhook webhook = make_webhook(receiver.url());
            repository.add_webhook(webhook);
            for (int i = 1; i <= 3; ++i) repository.add_delivery(webhook, make_event(i));
        }
        webhooks::DeliveryWorker worker(repository, clock, options);
        CHECK(worker.run_once() == 9);
        CHECK(repository.outcomes().size() == 9);
        CHECK(receiver.most_at_once() > 2);
        CHECK(receiver.most_at_once() <= 6);
    }
    SECTION("the bound on all attempts holds too") {
        Receiver receiver(answer(200), 200ms);
        FakeRepository repository;
        FakeClock clock;
        for (int w = 0; w < 3; ++w) {
            const ports::Webhook webhook = make_webhook(receiver.url());
            repository.add_webhook(webhook);
            for (int i = 1; i <= 3; ++i) repository.add_delivery(webhook, make_event(i));
        }
        options.concurrency = 3;
        webhooks::DeliveryWorker worker(repository, clock, options);
        CHECK(worker.run_once() == 9);
        CHECK(receiver.most_at_once() <= 3);
    }
    SECTION("the started worker's pool keeps the same bound") {
        Receiver receiver(answer(200), 200ms);
        FakeRepository repository;
        FakeClock clock;
        const ports::Webhook webhook = make_webhook(receiver.url());
        repository.add_webhook(webhook);
        for (int i = 1; i <= 6; ++i) repository.add_delivery(webhook, make_event(i));
        options.idle_wait = 20ms;
        webhooks::DeliveryWorker worker(repository, clock, options);
        worker.start();
        CHECK(wait_for_outcomes(repository, 6));
        worker.stop();
        CHECK(repository.outcomes().size() == 6);
        CHECK(receiver.most_at_once() == 2);
        CHECK(worker.stats().succeeded == 6);
    }
}

TEST_CASE("a delivery whose claim would expire before its attempt ends is left to the claim's expiry",
          "[webhooks][worker]") {
    Receiver receiver(answer(200));
    FakeRepository repository;
    // Every reading is 20 s later: by the time the attempt could start, the claim (3 s
    // timeout: 36 s) no longer covers an attempt and its recording.
    FakeClock clock(20s);
    const ports::Webhook webhook = make_webhook(receiver.url());
    repository.add_webhook(webhook);
    repository.add_delivery(webhook, make_event(1));
    webhooks::DeliveryWorker worker(repository, clock, test_options());
    CHECK(worker.run_once() == 0);
    CHECK(receiver.requests().empty());
    CHECK(repository.outcomes().empty());
}

TEST_CASE("failed repository calls are reported and the worker carries on", "[webhooks][worker]") {
    Receiver receiver(answer(200));
    FakeRepository repository;
    FakeClock clock;
    ports::Webhook webhook = make_webhook(receiver.url());
    repository.add_webhook(webhook);
    repository.add_delivery(webhook, make_event(1));
    std::mutex mutex;
    std::vector<std::string> reported;
    webhooks::WorkerOptions options = test_options();
    options.idle_wait = 10ms;
    options.on_error = [&](std::string_view message) {
        std::lock_guard lock(mutex);
        reported.emplace_back(message);
    };

    SECTION("run_once") {
        webhooks::DeliveryWorker worker(repository, clock, options);
        repository.fail_fan_outs = 1;
        repository.fail_claims = 1;
        CHECK(worker.run_once() == 0);
        // A failed finish_delivery is tried again.
        repository.fail_finishes = 1;
        CHECK(worker.run_once() == 1);
        CHECK(repository.outcomes().size() == 1);
        CHECK(worker.stats().errors == 2);
        // One that keeps failing is given up: reported, the claim left to expire.
        repository.add_delivery(webhook, make_event(2));
        repository.fail_finishes = 100;
        CHECK(worker.run_once() == 1);
        repository.fail_finishes = 0;
        CHECK(worker.stats().errors == 3);
        CHECK(worker.run_once() == 0);  // still claimed
    }
    SECTION("the background threads") {
        repository.fail_fan_outs = 3;
        repository.fail_claims = 3;
        webhooks::DeliveryWorker worker(repository, clock, options);
        worker.start();
        CHECK(wait_for_outcomes(repository, 1));
        worker.stop();
        CHECK(repository.outcomes().at(0).state == domain::DeliveryState::Succeeded);
        CHECK(worker.stats().errors >= 6);
    }
    std::lock_guard lock(mutex);
    REQUIRE_FALSE(reported.empty());
    for (const std::string& message : reported) {
        INFO(message);
        CHECK(message.find("whsec_") == std::string::npos);
        CHECK((message.find("fan-out") != std::string::npos || message.find("claiming") != std::string::npos ||
               message.find("recording") != std::string::npos));
    }
}

TEST_CASE("stop returns promptly while the worker is idle, and a stopped worker attempts nothing",
          "[webhooks][worker]") {
    Receiver receiver(answer(200));
    FakeRepository repository;
    FakeClock clock;
    webhooks::WorkerOptions options = test_options();
    options.idle_wait = 10s;
    webhooks::DeliveryWorker worker(repository, clock, options);
    worker.start();
    worker.start();  // at most once: nothing more
    std::this_thread::sleep_for(100ms);
    const auto stopping = std::chrono::steady_clock::now();
    worker.stop();
    CHECK(std::chrono::steady_clock::now() - stopping < 1s);
    CHECK(repository.fan_outs() >= 1);

    const ports::Webhook webhook = make_webhook(receiver.url());
    repository.add_webhook(webhook);
    repository.add_delivery(webhook, make_event(1));
    CHECK(worker.run_once() == 0);
    worker.stop();  // twice is fine
    CHECK(receiver.requests().empty());
}

TEST_CASE("the destructor stops a running worker", "[webhooks][worker]") {
    FakeRepository repository;
    FakeClock clock;
    webhooks::WorkerOptions options = test_options();
    options.idle_wait = 10s;
    const auto started = std::chrono::steady_clock::now();
    {
        webhooks::DeliveryWorker worker(repository, clock, options);
        worker.start();
        std::this_thread::sleep_for(50ms);
    }
    CHECK(std::chrono::steady_clock::now() - started < 1s);
}

TEST_CASE("the started worker claims as attempts end: a slow endpoint holds up only its own deliveries",
          "[webhooks][worker][concurrency]") {
    Receiver slow(answer(200), 600ms);
    Receiver fast(answer(200));
    FakeRepository repository;
    FakeClock clock;
    const ports::Webhook slow_hook = make_webhook(slow.url());
    const ports::Webhook fast_hook = make_webhook(fast.url());
    repository.add_webhook(slow_hook);
    repository.add_webhook(fast_hook);
    for (int i = 1; i <= 4; ++i) repository.add_delivery(slow_hook, make_event(i));
    webhooks::WorkerOptions options = test_options();
    options.concurrency = 4;
    options.per_webhook = 1;
    options.idle_wait = 20ms;
    webhooks::DeliveryWorker worker(repository, clock, options);
    worker.start();
    REQUIRE(eventually([&] { return !slow.requests().empty(); }));

    // The fast endpoint's deliveries come while the slow one's first attempt is under way.
    for (int i = 5; i <= 14; ++i) repository.add_delivery(fast_hook, make_event(i));
    const auto outcomes_of = [&repository](const ports::Webhook& webhook) {
        const auto outcomes = repository.outcomes();
        return std::count_if(outcomes.begin(), outcomes.end(),
                             [&](const ports::DeliveryOutcome& outcome) { return outcome.webhook_id == webhook.id; });
    };
    eventually([&] { return outcomes_of(fast_hook) >= 10; });
    // All ten went out while the slow endpoint was still on its first two (four 600 ms
    // attempts, one at a time): nothing waited for it.
    CHECK(outcomes_of(fast_hook) == 10);
    CHECK(outcomes_of(slow_hook) <= 2);
    worker.stop();
    CHECK(slow.most_at_once() == 1);
    CHECK(fast.most_at_once() == 1);
}

TEST_CASE("the started worker sweeps with its retention, every sweep_every", "[webhooks][worker]") {
    FakeRepository repository;
    FakeClock clock;
    webhooks::WorkerOptions options = test_options();
    options.idle_wait = 10ms;
    options.retention = 48h;
    options.sweep_every = 1h;
    webhooks::DeliveryWorker worker(repository, clock, options);
    worker.start();
    const auto wait_for_sweeps = [&repository](std::size_t count) {
        eventually([&] { return repository.sweeps().size() >= count; });
        return repository.sweeps().size();
    };
    REQUIRE(wait_for_sweeps(1) == 1);
    CHECK(repository.sweeps()[0].first == kStart - 48h);   // events recorded before this go
    CHECK(repository.sweeps()[0].second == kStart - 48h);  // and deliveries finished before it
    std::this_thread::sleep_for(100ms);                    // many rounds, within the hour
    CHECK(repository.sweeps().size() == 1);
    clock.advance(1h);
    REQUIRE(wait_for_sweeps(2) == 2);
    CHECK(repository.sweeps()[1].first == kStart + 1h - 48h);
    worker.stop();
    CHECK(worker.stats().swept_events == 4);
    CHECK(worker.stats().swept_deliveries == 6);
}

TEST_CASE("stop gives back the claimed deliveries it did not start", "[webhooks][worker]") {
    Receiver slow(answer(200), 300ms);
    FakeRepository repository;
    FakeClock clock;
    const ports::Webhook webhook = make_webhook(slow.url());
    repository.add_webhook(webhook);
    for (int i = 1; i <= 4; ++i) repository.add_delivery(webhook, make_event(i));
    webhooks::WorkerOptions options = test_options();
    options.per_webhook = 1;
    options.idle_wait = 10ms;
    webhooks::DeliveryWorker worker(repository, clock, options);
    worker.start();
    REQUIRE(eventually([&] { return !slow.requests().empty(); }));
    worker.stop();
    // One attempt was under way (and finished); the other three were claimed, not started.
    CHECK(repository.outcomes().size() == 1);
    CHECK(repository.released() == 3);
    CHECK(slow.requests().size() == 1);
}

TEST_CASE("the started worker gives back a queued delivery whose claim no longer covers an attempt",
          "[webhooks][worker]") {
    Receiver receiver(answer(200));
    FakeRepository repository;
    // Every reading is 20 s later: a claimed delivery's start window (18 s with a 3 s
    // timeout) has passed by the time a thread could start it.
    FakeClock clock(20s);
    const ports::Webhook webhook = make_webhook(receiver.url());
    repository.add_webhook(webhook);
    repository.add_delivery(webhook, make_event(1));
    webhooks::WorkerOptions options = test_options();
    options.idle_wait = 10ms;
    webhooks::DeliveryWorker worker(repository, clock, options);
    worker.start();
    eventually([&] { return repository.released() > 0; });
    worker.stop();
    CHECK(repository.released() >= 1);  // given back, not left to its lease
    CHECK(repository.outcomes().empty());
    CHECK(receiver.requests().empty());
}
