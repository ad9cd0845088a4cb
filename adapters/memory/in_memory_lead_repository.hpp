#pragma once

#include <memory>
#include <shared_mutex>

#include "ports/idempotency.hpp"
#include "ports/repository.hpp"

namespace leads::adapters::memory {

// ports::LeadRepository and ports::SuppressionRepository kept in process memory: nothing
// survives a restart. Thread-safe:
// reads share a lock, writes (including a whole update with its mutation, and a whole
// import) hold it exclusively, which serialises them. Mutations run under that lock and
// must not call back into the repository.
class InMemoryLeadRepository final : public ports::Repository {
  public:
    InMemoryLeadRepository();
    ~InMemoryLeadRepository() override;
    InMemoryLeadRepository(const InMemoryLeadRepository&) = delete;
    InMemoryLeadRepository& operator=(const InMemoryLeadRepository&) = delete;

    domain::Result<void> insert(const domain::Lead& lead, const domain::Activity& created,
                                const ports::Completion<domain::Lead>* completion) override;
    domain::Result<domain::Lead> find(const ports::LeadKey& key) override;
    domain::Result<ports::LeadWithActivity> find_with_activity(const ports::LeadKey& key, std::int64_t limit) override;
    domain::Result<domain::Lead> update(const ports::LeadKey& key, const ports::LeadMutation& mutate,
                                        const ports::Completion<domain::Lead>* completion) override;
    domain::Result<void> remove(const ports::LeadKey& key,
                                const std::optional<domain::SuppressionDraft>& suppress) override;
    domain::Result<ports::LeadPage> list(const ports::LeadFilter& filter) override;
    domain::Result<ports::ActivityPage> activities(const ports::LeadKey& key, std::int64_t limit, std::int64_t offset,
                                                   const std::optional<ports::ActivityPosition>& after) override;
    domain::Result<std::vector<ports::ImportOutcome>> import(
        const domain::TenantId& tenant, const domain::WorkspaceSlug& workspace,
        const std::vector<ports::ImportItem>& items,
        const ports::Completion<std::vector<ports::ImportOutcome>>* completion) override;
    domain::Result<void> ping() override;

    domain::Result<ports::EventPage> events(const ports::EventQuery& query) override;

    domain::Result<void> insert_webhook(const ports::Webhook& webhook) override;
    domain::Result<ports::Webhook> find_webhook(const domain::TenantId& tenant, const domain::WebhookId& id) override;
    domain::Result<std::vector<ports::Webhook>> list_webhooks(const domain::TenantId& tenant) override;
    domain::Result<ports::Webhook> update_webhook(const domain::TenantId& tenant, const domain::WebhookId& id,
                                                  const ports::WebhookChange& change) override;
    domain::Result<void> remove_webhook(const domain::TenantId& tenant, const domain::WebhookId& id) override;
    domain::Result<ports::DeliveryPage> list_deliveries(const domain::TenantId& tenant, const domain::WebhookId& id,
                                                        std::int64_t limit,
                                                        std::optional<std::int64_t> before_sequence) override;
    domain::Result<std::int64_t> fan_out(domain::Timestamp now, std::int64_t limit) override;
    domain::Result<std::vector<ports::ClaimedDelivery>> claim_deliveries(const ports::ClaimRequest& request) override;
    domain::Result<std::optional<ports::StoredEvent>> delivery_event(const domain::TenantId& tenant,
                                                                     std::int64_t sequence) override;
    domain::Result<void> finish_delivery(const ports::DeliveryOutcome& outcome) override;
    domain::Result<void> release_claim(const ports::ClaimedDelivery& claimed) override;
    domain::Result<ports::DeliveryBacklog> delivery_backlog() override;
    domain::Result<ports::Swept> sweep(domain::Timestamp events_before, domain::Timestamp deliveries_before) override;

    domain::Result<ports::SuppressionAdded> add_suppression(
        const domain::TenantId& tenant, const domain::Email& email, const domain::SuppressionDraft& draft,
        const ports::Completion<ports::SuppressionAdded>* completion) override;
    domain::Result<domain::Suppression> find_suppression(const domain::TenantId& tenant,
                                                         const domain::Email& email) override;
    domain::Result<domain::Suppression> find_suppression(const domain::TenantId& tenant,
                                                         const domain::SuppressionId& id) override;
    domain::Result<ports::SuppressionPage> list_suppressions(
        const domain::TenantId& tenant, std::int64_t limit,
        const std::optional<ports::SuppressionPosition>& after) override;
    domain::Result<void> remove_suppression(const domain::TenantId& tenant, const domain::SuppressionId& id) override;

    domain::Result<ports::ClaimOutcome> claim_idempotency(const ports::IdempotencyRequest& request) override;
    domain::Result<void> finish_idempotency(const ports::IdempotencyRecord& record,
                                            const ports::IdempotentAnswer& answer) override;
    domain::Result<void> release_idempotency(const ports::IdempotencyRecord& record) override;
    domain::Result<std::int64_t> purge_idempotency(const domain::TenantId& tenant, domain::Timestamp now,
                                                   std::int64_t limit) override;

  private:
    struct State;

    mutable std::shared_mutex mutex_;
    std::unique_ptr<State> state_;
};

}  // namespace leads::adapters::memory
