#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "adapters/bootstrap/config.hpp"
#include "adapters/bootstrap/storage.hpp"
#include "adapters/http/api/auth.hpp"
#include "adapters/http/message.hpp"
#include "adapters/http/server/metrics.hpp"
#include "domain/result.hpp"
#include "ports/clock.hpp"
#include "ports/events.hpp"
#include "ports/id_generator.hpp"
#include "ports/lead_use_cases.hpp"
#include "ports/repository.hpp"
#include "ports/suppression_use_cases.hpp"
#include "ports/webhook_use_cases.hpp"

namespace leads::adapters::http {
class Server;
}

// The composition root: builds every adapter from the configuration, once, and wires
// them. Each piece can be overridden (tests start the whole service in-process with a
// fake repository, a fixed clock or a stub API this way).
namespace leads::adapters::webhooks {
class DeliveryWorker;
}  // namespace leads::adapters::webhooks

namespace leads::adapters::bootstrap {

struct Overrides {
    std::function<domain::Result<std::shared_ptr<ports::Repository>>(const StorageOptions&)> open_storage;
    std::shared_ptr<ports::Clock> clock;
    std::shared_ptr<ports::IdGenerator> ids;
    std::shared_ptr<const http::Authenticator> authenticator;
    // Replaces the ApiHandler (everything under /api/v1/tenant/).
    std::function<http::Response(const http::Request&)> api;
    // Replaces register_storage_metrics (the database pool gauges): called once before start.
    std::function<void(http::Metrics&, ports::LeadRepository&)> register_metrics;
    // SIGINT/SIGTERM start a graceful shutdown (the executable sets this).
    bool handle_signals = false;
};

class Application;

// Opens storage, builds the use cases, the API and the server, and starts listening.
// Validation errors (configuration) name the variable; Unavailable: storage or the
// address could not be reached/bound.
domain::Result<std::unique_ptr<Application>> bootstrap(const Config& config, Overrides overrides = {});

// The running service. Destroying it stops the server.
class Application {
  public:
    ~Application();
    Application(const Application&) = delete;
    Application& operator=(const Application&) = delete;

    std::uint16_t port() const;
    http::Server& server();
    ports::LeadUseCases& use_cases();

    void shutdown();  // graceful, returns at once
    void wait();      // until stopped

  private:
    friend domain::Result<std::unique_ptr<Application>> bootstrap(const Config&, Overrides);
    Application() = default;

    std::shared_ptr<ports::Repository> repository_;
    std::shared_ptr<ports::Clock> clock_;
    std::shared_ptr<ports::IdGenerator> ids_;
    std::shared_ptr<ports::LeadUseCases> use_cases_;
    std::shared_ptr<ports::SuppressionUseCases> suppressions_;
    std::shared_ptr<ports::IdempotencyUseCases> idempotency_;
    std::shared_ptr<ports::EventUseCases> events_;
    std::shared_ptr<ports::SecretGenerator> secrets_;
    std::shared_ptr<ports::WebhookUseCases> webhooks_;
    std::shared_ptr<const http::Authenticator> authenticator_;
    std::shared_ptr<const void> api_;  // the ApiHandler, kept alive for the server
    std::unique_ptr<http::Server> server_;
    // After the repository and clock it uses: destroyed (stopped) before them.
    std::unique_ptr<webhooks::DeliveryWorker> worker_;
};

// Builds the authentication settings (reading LEADS_JWT_PUBLIC_KEY_FILE) and the
// authenticator. Validation errors name the variable.
domain::Result<std::shared_ptr<const http::Authenticator>> make_authenticator(const Config& config);

StorageOptions storage_options(const Config& config);

}  // namespace leads::adapters::bootstrap
