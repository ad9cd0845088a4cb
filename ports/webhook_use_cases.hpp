#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/ids.hpp"
#include "domain/result.hpp"
#include "ports/webhooks.hpp"

// The driving port of webhook endpoints (CONTRACT §8). Fields are as the client sent them
// and validated by the use case; the tenant is the caller's verified identity.
namespace leads::ports {

struct CreateWebhookCommand {
    domain::TenantId tenant;
    std::string url;
    std::optional<std::vector<std::string>> event_types;  // absent: every type
    std::optional<std::string> description;
};

struct WebhookRef {
    domain::TenantId tenant;
    std::string id;
};

// PATCH: absent fields stay; description null clears it.
struct UpdateWebhookCommand {
    WebhookRef ref;
    std::optional<std::string> url;
    std::optional<std::vector<std::string>> event_types;
    std::optional<std::optional<std::string>> description;
    std::optional<bool> enabled;
};

struct ListDeliveriesQuery {
    WebhookRef ref;
    std::optional<std::int64_t> limit;            // 1..200, default 50
    std::optional<std::int64_t> before_sequence;  // decoded from the client's cursor
};

struct DeliveryList {
    std::vector<WebhookDelivery> items;
    std::int64_t limit = 0;
    bool has_more = false;
    std::optional<std::int64_t> next;  // the cursor's position when has_more
};

class WebhookUseCases {
  public:
    virtual ~WebhookUseCases() = default;
    // The new endpoint, its secret included (shown this once).
    virtual domain::Result<Webhook> create(const CreateWebhookCommand& command) = 0;
    virtual domain::Result<Webhook> get(const WebhookRef& ref) = 0;
    virtual domain::Result<std::vector<Webhook>> list(const domain::TenantId& tenant) = 0;
    virtual domain::Result<Webhook> update(const UpdateWebhookCommand& command) = 0;
    virtual domain::Result<void> remove(const WebhookRef& ref) = 0;
    // A new secret (returned, shown this once); the previous one also signs for 24 hours.
    virtual domain::Result<Webhook> rotate_secret(const WebhookRef& ref) = 0;
    virtual domain::Result<DeliveryList> deliveries(const ListDeliveriesQuery& query) = 0;
};

// Webhook secrets: "whsec_" + base64 of 32 random bytes (Standard Webhooks).
class SecretGenerator {
  public:
    virtual ~SecretGenerator() = default;
    virtual std::string new_webhook_secret() = 0;  // thread-safe
};

}  // namespace leads::ports
