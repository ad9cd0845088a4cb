#pragma once

#include "ports/clock.hpp"
#include "ports/id_generator.hpp"
#include "ports/webhook_use_cases.hpp"
#include "ports/webhooks.hpp"

namespace leads::app {

// Webhook endpoints (CONTRACT §8). Stateless apart from its ports.
class WebhookService final : public ports::WebhookUseCases {
  public:
    WebhookService(ports::WebhookRepository& repository, ports::Clock& clock, ports::IdGenerator& ids,
                   ports::SecretGenerator& secrets);

    domain::Result<ports::Webhook> create(const ports::CreateWebhookCommand& command) override;
    domain::Result<ports::Webhook> get(const ports::WebhookRef& ref) override;
    domain::Result<std::vector<ports::Webhook>> list(const domain::TenantId& tenant) override;
    domain::Result<ports::Webhook> update(const ports::UpdateWebhookCommand& command) override;
    domain::Result<void> remove(const ports::WebhookRef& ref) override;
    domain::Result<ports::Webhook> rotate_secret(const ports::WebhookRef& ref) override;
    domain::Result<ports::DeliveryList> deliveries(const ports::ListDeliveriesQuery& query) override;

  private:
    ports::WebhookRepository& repository_;
    ports::Clock& clock_;
    ports::IdGenerator& ids_;
    ports::SecretGenerator& secrets_;
};

}  // namespace leads::app
