#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "adapters/webhooks/client.hpp"
#include "ports/clock.hpp"
#include "ports/webhooks.hpp"

// The webhook delivery worker (CONTRACT §8): in rounds, makes the deliveries of new events
// (fan_out), claims the due ones, attempts each (signed, Standard Webhooks 1.0) and records
// what the attempt decided. Delivery state lives in the repository, so a replica that dies
// loses nothing: its claims expire and another replica takes the deliveries again (at least
// once). Secrets are never logged nor put into an error.
namespace leads::adapters::webhooks {

struct WorkerOptions {
    ClientOptions client;  // timeout, allow_http, allow_private, ca_file
    // LEADS_WEBHOOK_RETRY_SCHEDULE: the delay after the first attempt, the second, …; the
    // delivery fails after the attempt that follows the last.
    std::vector<std::chrono::seconds> schedule{
        std::chrono::seconds{5}, std::chrono::minutes{5}, std::chrono::minutes{30},
        std::chrono::hours{2},   std::chrono::hours{5},   std::chrono::hours{10},
        std::chrono::hours{14},  std::chrono::hours{20},  std::chrono::hours{24}};
    std::size_t concurrency = 8;               // attempts in flight in this replica (threads)
    std::size_t per_webhook = 2;               // attempts in flight per endpoint
    std::chrono::milliseconds idle_wait{250};  // between rounds when there was nothing to do
    std::int64_t batch = 64;                   // deliveries claimed per round
    std::int64_t fan_out_limit = 1000;         // events per endpoint made into deliveries per round
    // Retention (LEADS_EVENT_RETENTION_H): every sweep_every the worker drops events older
    // than this, of tenants that never read their feed too, and finished deliveries last
    // updated longer ago (WebhookRepository::sweep).
    std::chrono::milliseconds retention = std::chrono::hours{168};
    std::chrono::milliseconds sweep_every = std::chrono::minutes{1};
    // Told about each failed repository call (the worker carries on), for the log. The text
    // holds no secret. Called from the worker's threads; may be empty.
    std::function<void(std::string_view message)> on_error = {};
};

// Attempts by outcome since the worker was made (for metrics), and the failures reported to
// on_error (repository calls, mostly).
struct WorkerStats {
    std::uint64_t succeeded = 0;
    std::uint64_t failed = 0;
    std::uint64_t retried = 0;  // the delivery stays pending, for a later attempt
    std::uint64_t errors = 0;
    std::uint64_t swept_events = 0;      // dropped by the worker's sweeps
    std::uint64_t swept_deliveries = 0;  // finished deliveries removed by them
};

class DeliveryWorker {
  public:
    // repository and clock must outlive the worker.
    DeliveryWorker(ports::WebhookRepository& repository, ports::Clock& clock, WorkerOptions options);
    ~DeliveryWorker();  // stops
    DeliveryWorker(const DeliveryWorker&) = delete;
    DeliveryWorker& operator=(const DeliveryWorker&) = delete;

    // Starts the background threads: concurrency attempt threads, and one that keeps them
    // fed — it claims again as attempts end (a few deliveries of each endpoint at a time,
    // none of an endpoint that holds that many here already), so a slow endpoint holds up
    // only its own deliveries — and sweeps. At most once: later calls do nothing.
    void start();
    // Returns once no attempt is in flight any more and the claimed deliveries not yet
    // attempted are given back (release_claim). A stopped worker makes no more attempts.
    void stop();
    // One synchronous round: fan_out, claim, attempt every claimed delivery (the bounds of
    // concurrency and per_webhook hold across rounds), record each outcome. Returns once
    // every attempt of the round is finished and recorded: the number of attempts made.
    std::size_t run_once();
    // One sweep (WebhookRepository::sweep with retention), as the started worker makes
    // every sweep_every.
    void sweep_once();
    WorkerStats stats() const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace leads::adapters::webhooks
