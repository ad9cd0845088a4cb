#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "ports/idempotency.hpp"
#include "ports/repository.hpp"

namespace leads::tests {

// Passes every call through, or fails every call with Unavailable while `down` is set.
class SwitchableRepository final : public ports::Repository {
  public:
    explicit SwitchableRepository(ports::Repository& inner) : inner_(inner) {}
    std::atomic<bool> down{false};

    domain::Result<void> insert(const domain::Lead& lead, const domain::Activity& created,
                                const ports::Completion<domain::Lead>* completion) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.insert(lead, created, completion);
    }
    domain::Result<domain::Lead> find(const ports::LeadKey& key) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.find(key);
    }
    domain::Result<ports::LeadWithActivity> find_with_activity(const ports::LeadKey& key, std::int64_t limit) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.find_with_activity(key, limit);
    }
    domain::Result<domain::Lead> update(const ports::LeadKey& key, const ports::LeadMutation& mutate,
                                        const ports::Completion<domain::Lead>* completion) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.update(key, mutate, completion);
    }
    domain::Result<void> remove(const ports::LeadKey& key,
                                const std::optional<domain::SuppressionDraft>& suppress) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.remove(key, suppress);
    }
    domain::Result<ports::LeadPage> list(const ports::LeadFilter& filter) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.list(filter);
    }
    domain::Result<ports::ActivityPage> activities(const ports::LeadKey& key, std::int64_t limit, std::int64_t offset,
                                                   const std::optional<ports::ActivityPosition>& after) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.activities(key, limit, offset, after);
    }
    domain::Result<std::vector<ports::ImportOutcome>> import(
        const domain::TenantId& tenant, const domain::WorkspaceSlug& workspace,
        const std::vector<ports::ImportItem>& items,
        const ports::Completion<std::vector<ports::ImportOutcome>>* completion) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.import(tenant, workspace, items, completion);
    }
    domain::Result<void> ping() override {
        if (down) return domain::Error::unavailable("down");
        return inner_.ping();
    }
    domain::Result<ports::EventPage> events(const ports::EventQuery& query) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.events(query);
    }
    domain::Result<void> insert_webhook(const ports::Webhook& webhook) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.insert_webhook(webhook);
    }
    domain::Result<ports::Webhook> find_webhook(const domain::TenantId& tenant, const domain::WebhookId& id) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.find_webhook(tenant, id);
    }
    domain::Result<std::vector<ports::Webhook>> list_webhooks(const domain::TenantId& tenant) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.list_webhooks(tenant);
    }
    domain::Result<ports::Webhook> update_webhook(const domain::TenantId& tenant, const domain::WebhookId& id,
                                                  const ports::WebhookChange& change) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.update_webhook(tenant, id, change);
    }
    domain::Result<void> remove_webhook(const domain::TenantId& tenant, const domain::WebhookId& id) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.remove_webhook(tenant, id);
    }
    domain::Result<ports::DeliveryPage> list_deliveries(const domain::TenantId& tenant, const domain::WebhookId& id,
                                                        std::int64_t limit,
                                                        std::optional<std::int64_t> before_sequence) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.list_deliveries(tenant, id, limit, before_sequence);
    }
    domain::Result<std::int64_t> fan_out(domain::Timestamp now, std::int64_t limit) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.fan_out(now, limit);
    }
    domain::Result<std::vector<ports::ClaimedDelivery>> claim_deliveries(const ports::ClaimRequest& request) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.claim_deliveries(request);
    }
    domain::Result<void> release_claim(const ports::ClaimedDelivery& claimed) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.release_claim(claimed);
    }
    domain::Result<ports::Swept> sweep(domain::Timestamp events_before, domain::Timestamp deliveries_before) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.sweep(events_before, deliveries_before);
    }
    domain::Result<std::optional<ports::StoredEvent>> delivery_event(const domain::TenantId& tenant,
                                                                     std::int64_t sequence) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.delivery_event(tenant, sequence);
    }
    domain::Result<void> finish_delivery(const ports::DeliveryOutcome& outcome) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.finish_delivery(outcome);
    }
    domain::Result<ports::DeliveryBacklog> delivery_backlog() override {
        if (down) return domain::Error::unavailable("down");
        return inner_.delivery_backlog();
    }
    domain::Result<ports::SuppressionAdded> add_suppression(
        const domain::TenantId& tenant, const domain::Email& email, const domain::SuppressionDraft& draft,
        const ports::Completion<ports::SuppressionAdded>* completion) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.add_suppression(tenant, email, draft, completion);
    }
    domain::Result<domain::Suppression> find_suppression(const domain::TenantId& tenant,
                                                         const domain::Email& email) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.find_suppression(tenant, email);
    }
    domain::Result<domain::Suppression> find_suppression(const domain::TenantId& tenant,
                                                         const domain::SuppressionId& id) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.find_suppression(tenant, id);
    }
    domain::Result<ports::SuppressionPage> list_suppressions(
        const domain::TenantId& tenant, std::int64_t limit,
        const std::optional<ports::SuppressionPosition>& after) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.list_suppressions(tenant, limit, after);
    }
    domain::Result<void> remove_suppression(const domain::TenantId& tenant, const domain::SuppressionId& id) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.remove_suppression(tenant, id);
    }

    domain::Result<ports::ClaimOutcome> claim_idempotency(const ports::IdempotencyRequest& request) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.claim_idempotency(request);
    }
    domain::Result<void> finish_idempotency(const ports::IdempotencyRecord& record,
                                            const ports::IdempotentAnswer& answer) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.finish_idempotency(record, answer);
    }
    domain::Result<void> release_idempotency(const ports::IdempotencyRecord& record) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.release_idempotency(record);
    }
    domain::Result<std::int64_t> purge_idempotency(const domain::TenantId& tenant, domain::Timestamp now,
                                                   std::int64_t limit) override {
        if (down) return domain::Error::unavailable("down");
        return inner_.purge_idempotency(tenant, now, limit);
    }

  private:
    ports::Repository& inner_;
};

}  // namespace leads::tests
