#include "adapters/webhooks/worker.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include "adapters/webhooks/signature.hpp"
#include "adapters/wire/json_writer.hpp"
#include "domain/webhook.hpp"

namespace leads::adapters::webhooks {

namespace {

using std::chrono::milliseconds;

constexpr std::string_view kUserAgent = "leads-webhooks/1";
// Room after an attempt's deadline for recording its outcome before the claim expires.
constexpr milliseconds kRecordMargin{15'000};
// Deliveries of one endpoint a claim of the started worker takes at most (or per_webhook,
// when larger): few enough that a slow endpoint holds little, enough that one claim feeds
// several attempts.
constexpr std::size_t kClaimPerEndpoint = 8;
// finish_delivery is tried this many times, a short pause between tries, before the
// outcome is given up (the claim then expires and the delivery is attempted again).
constexpr int kRecordTries = 3;
constexpr milliseconds kRecordPause{100};

// The jobs of one round that are not finished yet, and the attempts it made.
struct Round {
    std::size_t unfinished = 0;
    std::size_t attempts = 0;
};

struct Job {
    ports::ClaimedDelivery delivery;
    // The latest start whose attempt (and its recording) ends before the claim expires: a
    // job not started by then is left to the claim's expiry, so that no two replicas ever
    // attempt one delivery at once.
    domain::Timestamp start_by;
    std::shared_ptr<Round> round;  // run_once's; none for the started worker's jobs
};

void finished(const Job& job, bool attempted) {
    if (!job.round) return;
    if (attempted) ++job.round->attempts;
    --job.round->unfinished;
}

double random_jitter() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(-1.0, 1.0)(engine);
}

std::int64_t unix_seconds(domain::Timestamp at) {
    return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

std::string error_text(const domain::Error& error) {
    return error.message.empty() ? std::string("no message") : error.message;
}

// The outcome's last_error: why there was no answer, or which non-2xx status came back.
std::optional<std::string> attempt_error(const AttemptResult& result) {
    if (!result.status) return result.error.empty() ? std::string("no answer") : result.error;
    if (*result.status >= 200 && *result.status <= 299) return std::nullopt;
    return "the receiver answered " + std::to_string(*result.status);
}

}  // namespace

struct DeliveryWorker::State {
    State(ports::WebhookRepository& repository_in, ports::Clock& clock_in, WorkerOptions options_in)
        : repository(repository_in), clock(clock_in), options(std::move(options_in)) {
        options.concurrency = std::max<std::size_t>(options.concurrency, 1);
        options.per_webhook = std::max<std::size_t>(options.per_webhook, 1);
        options.batch = std::max<std::int64_t>(options.batch, 1);
        options.fan_out_limit = std::max<std::int64_t>(options.fan_out_limit, 1);
        lease = options.client.timeout * 2 + std::chrono::seconds(30);
        hold = std::max<std::size_t>(options.per_webhook, kClaimPerEndpoint);
        room = std::max(2 * options.concurrency, 8 * hold);
        start_window = std::max(lease - options.client.timeout - kRecordMargin, milliseconds(0));
    }

    std::size_t round();
    std::size_t feed();
    std::int64_t fan_out(domain::Timestamp now);
    std::vector<ports::ClaimedDelivery> claim(const ports::ClaimRequest& request);
    void sweep();
    void release(const ports::ClaimedDelivery& delivery);
    void serve(const std::shared_ptr<Round>& until);
    std::optional<Job> take_runnable();
    void attempt(const ports::ClaimedDelivery& claimed);
    void record(const ports::DeliveryOutcome& outcome);
    void report(const std::string& message);

    ports::WebhookRepository& repository;
    ports::Clock& clock;
    WorkerOptions options;  // read-only after construction
    milliseconds lease{};
    milliseconds start_window{};
    // The started worker claims up to hold deliveries of an endpoint at a time, none of one
    // that holds that many here already (in flight or queued), and keeps at most room
    // deliveries in all: a slow endpoint holds fewer than 2 * hold of them.
    std::size_t hold = 0;
    std::size_t room = 0;

    mutable std::mutex mutex;
    // Signalled whenever a job is queued, started, finished or dropped, and on stop.
    std::condition_variable changed;
    std::deque<Job> queue;                         // claimed, not started yet, in claim order
    std::vector<ports::ClaimedDelivery> expired;   // dropped past their start, to give back
    std::map<std::string, std::size_t> in_flight;  // attempts running, per webhook id
    std::size_t busy = 0;                          // attempts running in all
    domain::Timestamp last_sweep{};                // by the started worker
    std::uint64_t attempts_finished = 0;           // ever: wakes the started worker to claim
    std::uint64_t seen_finished = 0;               // attempts_finished at its last claim
    // The started worker's last fan-out (rounds thread only).
    std::chrono::steady_clock::time_point last_fan_out{};
    std::int64_t fanned_out = 0;
    bool started = false;
    bool stopping = false;
    WorkerStats stats;
    std::vector<std::thread> pool;
    std::thread rounds;
};

DeliveryWorker::DeliveryWorker(ports::WebhookRepository& repository, ports::Clock& clock, WorkerOptions options)
    : state_(std::make_unique<State>(repository, clock, std::move(options))) {}

DeliveryWorker::~DeliveryWorker() { stop(); }

void DeliveryWorker::start() {
    State& s = *state_;
    std::lock_guard lock(s.mutex);
    if (s.started || s.stopping) return;
    s.started = true;
    // The threads wait for the lock until start returns. Should creating one fail, the
    // exception leaves start and the destructor stops the threads already made.
    for (std::size_t i = 0; i < s.options.concurrency; ++i) s.pool.emplace_back([&s] { s.serve(nullptr); });
    s.rounds = std::thread([&s] {
        for (;;) {
            std::size_t claimed = 0;
            try {
                claimed = s.feed();
                if (s.clock.now() - s.last_sweep >= s.options.sweep_every) {
                    s.last_sweep = s.clock.now();
                    s.sweep();
                }
            } catch (...) {
                // feed() and sweep() report what they can; an allocation failure is waited
                // out like idleness.
            }
            std::unique_lock wait(s.mutex);
            if (claimed == 0) {
                // Nothing due, or no room: again once attempts have ended and the queue runs
                // short, else after a pause.
                s.changed.wait_for(wait, s.options.idle_wait, [&s] {
                    return s.stopping ||
                           (s.attempts_finished != s.seen_finished && s.queue.size() < s.options.concurrency);
                });
            } else {
                // Claims again once attempts have taken jobs off the queue, or an attempt
                // ended, or after a pause: a slow endpoint's queued jobs must not keep the
                // others' deliveries from being claimed.
                s.changed.wait_for(wait, s.options.idle_wait, [&s] {
                    return s.stopping || s.queue.size() < s.options.concurrency ||
                           s.attempts_finished != s.seen_finished;
                });
            }
            if (s.stopping) return;
        }
    });
}

void DeliveryWorker::stop() {
    State& s = *state_;
    std::vector<std::thread> pool;
    std::thread rounds;
    std::deque<Job> unstarted;
    {
        std::lock_guard lock(s.mutex);
        s.stopping = true;
        for (const Job& job : s.queue) finished(job, false);
        unstarted.swap(s.queue);
        pool.swap(s.pool);
        rounds.swap(s.rounds);
        s.changed.notify_all();
    }
    if (rounds.joinable()) rounds.join();
    for (std::thread& thread : pool) thread.join();
    // Attempts of a run_once on another thread finish too.
    {
        std::unique_lock lock(s.mutex);
        s.changed.wait(lock, [&s] { return s.busy == 0; });
    }
    // Claimed deliveries not started (queued, or dropped past their start) are given back,
    // for another replica (or this one, started again) to take at once instead of after
    // their lease.
    std::vector<ports::ClaimedDelivery> give_back;
    {
        std::lock_guard lock(s.mutex);
        give_back.swap(s.expired);
    }
    for (Job& job : unstarted) give_back.push_back(std::move(job.delivery));
    for (const auto& delivery : give_back) s.release(delivery);
}

std::size_t DeliveryWorker::run_once() { return state_->round(); }

void DeliveryWorker::sweep_once() { state_->sweep(); }

WorkerStats DeliveryWorker::stats() const {
    std::lock_guard lock(state_->mutex);
    return state_->stats;
}

std::size_t DeliveryWorker::State::round() {
    {
        std::lock_guard lock(mutex);
        if (stopping) return 0;
    }
    const domain::Timestamp now = clock.now();
    fan_out(now);
    std::vector<ports::ClaimedDelivery> claimed =
        claim(ports::ClaimRequest{.now = now, .claim_until = now + lease, .limit = options.batch});
    if (claimed.empty()) return 0;

    auto round = std::make_shared<Round>();
    bool pooled = false;
    {
        std::lock_guard lock(mutex);
        if (stopping) return 0;  // the claims expire
        round->unfinished = claimed.size();
        for (auto& delivery : claimed) queue.push_back(Job{std::move(delivery), now + start_window, round});
        pooled = !pool.empty();
        changed.notify_all();
    }
    if (pooled) {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&round] { return round->unfinished == 0; });
    } else {
        // No pool (not started): helpers for this round, the calling thread one of them.
        std::vector<std::thread> helpers;
        const std::size_t wanted = std::min(options.concurrency, claimed.size());
        try {
            for (std::size_t i = 1; i < wanted; ++i) helpers.emplace_back([this, round] { serve(round); });
        } catch (const std::exception& e) {
            report(std::string("starting a delivery thread failed: ") + e.what());
        }
        serve(round);
        for (std::thread& helper : helpers) helper.join();
    }
    std::lock_guard lock(mutex);
    return round->attempts;
}

// The started worker's claims: as many as there is room for in the queue, at most
// per_webhook of an endpoint, none of an endpoint whose bound is reached here. Queued,
// not waited for. How many were claimed.
std::size_t DeliveryWorker::State::feed() {
    const domain::Timestamp now = clock.now();
    // Fan-out every idle_wait, or at once while it makes as many deliveries as it may (a
    // backlog of events): feed runs every few attempts when deliveries flow.
    const auto since = std::chrono::steady_clock::now() - last_fan_out;
    if (fanned_out >= options.fan_out_limit || since >= options.idle_wait) {
        last_fan_out = std::chrono::steady_clock::now();
        fanned_out = fan_out(now);
    }
    ports::ClaimRequest request{
        .now = now, .claim_until = now + lease, .limit = 0, .per_webhook = static_cast<std::int64_t>(hold)};
    {
        std::lock_guard lock(mutex);
        seen_finished = attempts_finished;
        if (stopping) return 0;
        const std::size_t held = queue.size() + busy;
        if (held >= room) return 0;
        request.limit = std::min<std::int64_t>(options.batch, static_cast<std::int64_t>(room - held));
        std::map<std::string, std::size_t> held_by = in_flight;
        for (const Job& job : queue) ++held_by[job.delivery.webhook.id.value()];
        for (const auto& [id, count] : held_by) {
            if (count < hold) continue;
            if (auto webhook = domain::WebhookId::parse(id)) request.skip.push_back(std::move(*webhook));
        }
    }
    std::vector<ports::ClaimedDelivery> claimed = claim(request);
    std::vector<ports::ClaimedDelivery> give_back;
    {
        std::lock_guard lock(mutex);
        if (stopping) {
            give_back = std::move(claimed);
            claimed.clear();
        } else {
            for (auto& delivery : claimed) queue.push_back(Job{std::move(delivery), now + start_window, nullptr});
            // Jobs that waited past their start (a slow endpoint's) go back now, not at
            // their lease's end.
            give_back = std::move(expired);
            expired.clear();
            changed.notify_all();
        }
    }
    for (const auto& delivery : give_back) release(delivery);
    return claimed.size();
}

void DeliveryWorker::State::release(const ports::ClaimedDelivery& delivery) {
    try {
        if (auto released = repository.release_claim(delivery); !released) {
            report("giving back a claimed webhook delivery failed: " + error_text(released.error()));
        }
    } catch (...) {
        report("giving back a claimed webhook delivery failed");  // its claim expires
    }
}

// How many deliveries it made (0 when it failed: reported).
std::int64_t DeliveryWorker::State::fan_out(domain::Timestamp now) {
    try {
        auto made = repository.fan_out(now, options.fan_out_limit);
        if (made) return *made;
        report("webhook fan-out failed: " + error_text(made.error()));
    } catch (const std::exception& e) {
        report(std::string("webhook fan-out failed: ") + e.what());
    } catch (...) {
        report("webhook fan-out failed");
    }
    return 0;
}

// The claimed deliveries; none when the claim failed (reported).
std::vector<ports::ClaimedDelivery> DeliveryWorker::State::claim(const ports::ClaimRequest& request) {
    try {
        auto result = repository.claim_deliveries(request);
        if (result) return std::move(result).value();
        report("claiming webhook deliveries failed: " + error_text(result.error()));
    } catch (const std::exception& e) {
        report(std::string("claiming webhook deliveries failed: ") + e.what());
    } catch (...) {
        report("claiming webhook deliveries failed");
    }
    return {};
}

void DeliveryWorker::State::sweep() {
    const domain::Timestamp before = clock.now() - options.retention;
    try {
        auto swept = repository.sweep(before, before);
        if (!swept) {
            report("sweeping expired events failed: " + error_text(swept.error()));
            return;
        }
        std::lock_guard lock(mutex);
        stats.swept_events += static_cast<std::uint64_t>(swept->events);
        stats.swept_deliveries += static_cast<std::uint64_t>(swept->deliveries);
    } catch (const std::exception& e) {
        report(std::string("sweeping expired events failed: ") + e.what());
    } catch (...) {
        report("sweeping expired events failed");
    }
}

// Runs jobs until stopping (the pool), or until the round until is finished (run_once).
void DeliveryWorker::State::serve(const std::shared_ptr<Round>& until) {
    const auto done = [&] { return until ? until->unfinished == 0 : stopping; };
    std::unique_lock lock(mutex);
    for (;;) {
        if (done()) return;
        std::optional<Job> job = take_runnable();
        if (!job) {
            if (!done()) changed.wait(lock);  // take_runnable may have dropped the last job
            continue;
        }
        const std::string webhook = job->delivery.webhook.id.value();
        ++in_flight[webhook];
        ++busy;
        lock.unlock();
        attempt(job->delivery);
        lock.lock();
        if (--in_flight[webhook] == 0) in_flight.erase(webhook);
        --busy;
        ++attempts_finished;
        finished(*job, true);
        changed.notify_all();
    }
}

// The first queued job whose endpoint has room, within the bound on all attempts; drops
// the jobs whose claims no longer cover an attempt. Called with the mutex held.
std::optional<Job> DeliveryWorker::State::take_runnable() {
    if (queue.empty() || busy >= options.concurrency) return std::nullopt;
    const domain::Timestamp now = clock.now();
    bool dropped = false;
    std::optional<Job> taken;
    for (auto it = queue.begin(); it != queue.end();) {
        if (now > it->start_by) {
            finished(*it, false);
            if (!it->round) expired.push_back(std::move(it->delivery));  // the feeding thread gives it back
            it = queue.erase(it);
            dropped = true;
            continue;
        }
        const auto running = in_flight.find(it->delivery.webhook.id.value());
        if (running == in_flight.end() || running->second < options.per_webhook) {
            taken.emplace(std::move(*it));
            queue.erase(it);
            break;
        }
        ++it;
    }
    if (dropped) changed.notify_all();
    return taken;
}

// One attempt of a claimed delivery, its outcome decided and recorded. Never throws.
void DeliveryWorker::State::attempt(const ports::ClaimedDelivery& claimed) {
    try {
        const ports::Webhook& webhook = claimed.webhook;
        ports::StoredEvent event = claimed.event;
        const domain::Timestamp sent_at = clock.now();
        AttemptResult result;
        try {
            // As stored now: a lead deleted since the claim goes out erased (CONTRACT §8).
            auto current = repository.delivery_event(webhook.tenant, event.sequence);
            if (current && *current) event = std::move(**current);
            std::string body = wire::event_json(event);
            std::vector<std::string> keys;
            for (const std::string& secret : ports::signing_secrets(webhook, sent_at)) {
                if (auto key = secret_key(secret)) keys.push_back(std::move(*key));
            }
            if (keys.empty()) {
                result.error = "the webhook has no usable signing secret";
            } else {
                const std::int64_t timestamp = unix_seconds(sent_at);
                const std::string& id = event.id.value();
                std::string signature = signature_header(keys, id, timestamp, body);
                result = attempt_delivery({.url = webhook.url,
                                           .body = std::move(body),
                                           .headers = {{"webhook-id", id},
                                                       {"webhook-timestamp", std::to_string(timestamp)},
                                                       {"webhook-signature", std::move(signature)},
                                                       {"User-Agent", std::string(kUserAgent)}}},
                                          options.client);
            }
        } catch (const std::exception& e) {
            result = AttemptResult{};
            result.error = std::string("the attempt could not be made: ") + e.what();
        } catch (...) {
            result = AttemptResult{};
            result.error = "the attempt could not be made";
        }

        const domain::Timestamp finished_at = clock.now();
        const int attempts = claimed.attempts + 1;
        const domain::DeliveryStep step =
            domain::next_delivery_step(result.status, result.retry_after, attempts, options.schedule, random_jitter());
        ports::DeliveryOutcome outcome{.tenant = webhook.tenant,
                                       .webhook_id = webhook.id,
                                       .sequence = event.sequence,
                                       .state = step.state,
                                       .attempts = attempts,
                                       .status_code = result.status,
                                       .error = attempt_error(result),
                                       .next_attempt_at = std::nullopt,
                                       .disable_webhook = step.disable_endpoint,
                                       .at = finished_at,
                                       .claimed_until = claimed.claimed_until};
        if (step.state == domain::DeliveryState::Pending) {
            outcome.next_attempt_at = finished_at + step.retry_in.value_or(milliseconds(0));
        }
        {
            std::lock_guard lock(mutex);
            switch (step.state) {
                case domain::DeliveryState::Succeeded:
                    ++stats.succeeded;
                    break;
                case domain::DeliveryState::Failed:
                    ++stats.failed;
                    break;
                case domain::DeliveryState::Pending:
                    ++stats.retried;
                    break;
            }
        }
        record(outcome);
    } catch (...) {
        // Only an allocation can fail here; the claim expires and the delivery is tried again.
        report("a webhook delivery attempt failed unexpectedly");
    }
}

// finish_delivery, tried a few times. An outcome that cannot be recorded is lost: the
// claim expires and the delivery is attempted again (at least once).
void DeliveryWorker::State::record(const ports::DeliveryOutcome& outcome) {
    std::string why;
    for (int tried = 1; tried <= kRecordTries; ++tried) {
        try {
            auto recorded = repository.finish_delivery(outcome);
            if (recorded) return;
            why = error_text(recorded.error());
        } catch (const std::exception& e) {
            why = e.what();
        } catch (...) {
            why = "an exception";
        }
        if (tried < kRecordTries) std::this_thread::sleep_for(kRecordPause * tried);
    }
    report("recording the attempt of event " + std::to_string(outcome.sequence) + " to webhook " +
           outcome.webhook_id.value() + " failed: " + why);
}

void DeliveryWorker::State::report(const std::string& message) {
    {
        std::lock_guard lock(mutex);
        ++stats.errors;
    }
    if (!options.on_error) return;
    try {
        options.on_error(message);
    } catch (...) {
        // A failing log must not take the worker down.
    }
}

}  // namespace leads::adapters::webhooks
