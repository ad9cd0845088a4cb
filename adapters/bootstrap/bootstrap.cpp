#include "adapters/bootstrap/bootstrap.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <sstream>

#include "adapters/bootstrap/storage_metrics.hpp"
#include "adapters/http/api/api_handler.hpp"
#include "adapters/http/server/server.hpp"
#include "adapters/logging/json_log.hpp"
#include "adapters/system/random_id_generator.hpp"
#include "adapters/system/system_clock.hpp"
#include "adapters/webhooks/random_secrets.hpp"
#include "adapters/webhooks/worker.hpp"
#include "application/event_service.hpp"
#include "application/idempotency_service.hpp"
#include "application/lead_service.hpp"
#include "application/suppression_service.hpp"
#include "application/webhook_service.hpp"

namespace leads::adapters::bootstrap {
namespace {

domain::Error invalid(std::string_view variable, std::string issue) {
    domain::Error error = domain::Error::validation(std::string(variable), std::move(issue));
    error.message = "invalid configuration";
    return error;
}

}  // namespace

Application::~Application() {
    if (server_) {
        server_->shutdown();
        server_->wait();
    }
}

std::uint16_t Application::port() const { return server_->port(); }
http::Server& Application::server() { return *server_; }
ports::LeadUseCases& Application::use_cases() { return *use_cases_; }
void Application::shutdown() { server_->shutdown(); }
void Application::wait() {
    server_->wait();
    // Attempts in flight finish and are recorded; claimed ones not started expire.
    if (worker_) worker_->stop();
}

StorageOptions storage_options(const Config& config) {
    StorageOptions options;
    options.database_url = config.database_url;
    options.pool_size = config.db_pool_size;
    return options;
}

domain::Result<std::shared_ptr<const http::Authenticator>> make_authenticator(const Config& config) {
    http::AuthSettings settings;
    settings.mode = config.auth_mode;
    if (config.auth_mode == http::AuthMode::Jwt) {
        settings.hs256_secret = config.jwt_secret;
        if (!config.jwt_public_key_file.empty()) {
            std::ifstream file(config.jwt_public_key_file, std::ios::binary);
            std::ostringstream contents;
            if (file) contents << file.rdbuf();
            if (!file || contents.str().empty()) {
                return invalid("LEADS_JWT_PUBLIC_KEY_FILE", "cannot read \"" + config.jwt_public_key_file + "\"");
            }
            settings.public_key_pem = contents.str();
        }
        settings.issuer = config.jwt_issuer;
        settings.audience = config.jwt_audience;
    }
    return http::Authenticator::create(std::move(settings));
}

namespace {

// Deliveries by outcome (this replica's worker), and the backlog every replica shares (read
// from storage at most every 5 s, whatever the scrape rate).
void register_webhook_metrics(http::Metrics& metrics, std::shared_ptr<ports::Repository> repository,
                              const webhooks::DeliveryWorker* worker) {
    if (worker != nullptr) {
        const auto stat = [worker](std::uint64_t webhooks::WorkerStats::*field) {
            return [worker, field] { return static_cast<double>(worker->stats().*field); };
        };
        metrics.add_counter("leads_webhook_attempts_total",
                            "Webhook delivery attempts made by this replica, by outcome (retried: the delivery "
                            "stays pending)",
                            "outcome",
                            {{"succeeded", stat(&webhooks::WorkerStats::succeeded)},
                             {"failed", stat(&webhooks::WorkerStats::failed)},
                             {"retried", stat(&webhooks::WorkerStats::retried)}});
    }
    struct Backlog {
        std::mutex mutex;
        std::chrono::steady_clock::time_point read_at{};
        ports::DeliveryBacklog value;
        bool ok = false;
    };
    auto backlog = std::make_shared<Backlog>();
    const auto current = [backlog, repository]() -> std::optional<ports::DeliveryBacklog> {
        std::lock_guard lock(backlog->mutex);
        const auto now = std::chrono::steady_clock::now();
        if (backlog->read_at == std::chrono::steady_clock::time_point{} ||
            now - backlog->read_at > std::chrono::seconds(5)) {
            auto read = repository->delivery_backlog();
            backlog->ok = read.ok();
            if (read) backlog->value = *read;
            backlog->read_at = now;
        }
        if (!backlog->ok) return std::nullopt;
        return backlog->value;
    };
    metrics.add_gauge("leads_webhook_deliveries_pending", "Webhook deliveries waiting for an attempt (all replicas)",
                      [current] {
                          const auto value = current();
                          return value ? static_cast<double>(value->pending) : std::nan("");
                      });
    metrics.add_gauge("leads_webhook_oldest_pending_age_seconds",
                      "Age of the oldest pending webhook delivery, 0 when none (all replicas)", [current] {
                          const auto value = current();
                          if (!value) return std::nan("");
                          if (!value->oldest_pending) return 0.0;
                          const auto age = std::chrono::system_clock::now() - *value->oldest_pending;
                          return std::max(0.0, std::chrono::duration<double>(age).count());
                      });
}

}  // namespace

domain::Result<std::unique_ptr<Application>> bootstrap(const Config& config, Overrides overrides) {
    std::unique_ptr<Application> application(new Application());
    auto& a = *application;

    auto opened = overrides.open_storage ? overrides.open_storage(storage_options(config))
                                         : open_storage(storage_options(config));
    if (!opened) return std::move(opened).error();
    a.repository_ = std::move(opened.value());
    a.clock_ = overrides.clock ? overrides.clock : std::make_shared<system::SystemClock>();
    a.ids_ = overrides.ids ? overrides.ids : std::make_shared<system::RandomIdGenerator>();
    // The services hold references: the Application owns what they refer to.
    a.use_cases_ = std::make_shared<app::LeadService>(*a.repository_, *a.clock_, *a.ids_);
    a.suppressions_ = std::make_shared<app::SuppressionService>(*a.repository_, *a.clock_, *a.ids_);
    a.idempotency_ =
        std::make_shared<app::IdempotencyService>(*a.repository_, *a.clock_, *a.ids_, config.idempotency_ttl);
    a.events_ = std::make_shared<app::EventService>(*a.repository_, *a.clock_, config.event_retention);
    a.secrets_ = std::make_shared<webhooks::RandomSecrets>();
    a.webhooks_ = std::make_shared<app::WebhookService>(*a.repository_, *a.clock_, *a.ids_, *a.secrets_);

    if (config.webhook_worker && a.repository_) {
        webhooks::WorkerOptions worker;
        worker.client = webhooks::ClientOptions{.timeout = config.webhook_timeout,
                                                .allow_http = config.webhook_allow_http,
                                                .allow_private = config.webhook_allow_private,
                                                .ca_file = config.webhook_ca_file};
        worker.schedule = config.webhook_retry_schedule;
        worker.concurrency = static_cast<std::size_t>(config.webhook_concurrency);
        worker.per_webhook = static_cast<std::size_t>(config.webhook_per_endpoint);
        worker.retention = config.event_retention;
        worker.on_error = [](std::string_view message) {
            spdlog::warn(logging::Fields("webhook delivery").add("error", std::string(message)).str());
        };
        a.worker_ = std::make_unique<webhooks::DeliveryWorker>(*a.repository_, *a.clock_, std::move(worker));
    }

    http::Endpoints endpoints;
    if (overrides.api) {
        endpoints.api = std::move(overrides.api);
    } else {
        if (overrides.authenticator) {
            a.authenticator_ = overrides.authenticator;
        } else {
            auto authenticator = make_authenticator(config);
            if (!authenticator) return std::move(authenticator).error();
            a.authenticator_ = std::move(authenticator.value());
        }
        auto fair_use = std::make_shared<http::FairUse>(http::FairUseOptions{
            .rate = config.tenant_rate, .burst = config.tenant_burst, .max_searches = config.tenant_max_searches});
        auto handler = std::make_shared<const http::ApiHandler>(*a.use_cases_, *a.suppressions_, a.authenticator_,
                                                                std::move(fair_use), a.idempotency_.get(),
                                                                a.events_.get(), a.webhooks_.get());
        a.api_ = handler;
        endpoints.api = [handler](const http::Request& request) { return handler->handle(request); };
    }
    endpoints.check_ready = [use_cases = a.use_cases_] { return use_cases->check_ready(); };
    endpoints.openapi_json = http::openapi_document();
    endpoints.docs_page = http::reference_page();
    endpoints.docs_script = http::reference_script();
    endpoints.body_limit = &http::ApiHandler::body_limit;
    endpoints.expensive = &http::ApiHandler::is_expensive;

    http::ServerOptions options;
    options.listen = config.listen;
    options.io_threads = config.threads;
    options.worker_threads = config.db_pool_size;
    // Searches get their own workers, as many as the per-tenant search cap's default: at
    // most half the database connections are ever held by searches.
    options.expensive_worker_threads = std::max(1, config.db_pool_size / 2);
    options.read_timeout = config.read_timeout;
    options.idle_timeout = config.idle_timeout;
    options.write_timeout = config.write_timeout;
    options.shutdown_grace = config.shutdown_grace;
    options.handle_signals = overrides.handle_signals;
    options.version = std::string(version());
    a.server_ = std::make_unique<http::Server>(std::move(options), std::move(endpoints));

    if (a.repository_) {
        if (overrides.register_metrics) {
            overrides.register_metrics(a.server_->metrics(), *a.repository_);
        } else {
            register_storage_metrics(a.server_->metrics(), *a.repository_);
        }
    }

    if (a.repository_) register_webhook_metrics(a.server_->metrics(), a.repository_, a.worker_.get());

    if (auto started = a.server_->start(); !started) return std::move(started).error();
    if (a.worker_) a.worker_->start();
    return application;
}

}  // namespace leads::adapters::bootstrap
