#pragma once

#include <vector>

#include "ports/clock.hpp"
#include "ports/id_generator.hpp"
#include "ports/lead_repository.hpp"
#include "ports/lead_use_cases.hpp"

namespace leads::app {

// The use cases of the contract, written against the driven ports only. Validates what
// the client sent, applies the domain rules and leaves transactions to the repository.
// Stateless apart from its ports, so it is as thread-safe as they are.
class LeadService final : public ports::LeadUseCases {
  public:
    LeadService(ports::LeadRepository& repository, ports::Clock& clock, ports::IdGenerator& ids);

    domain::Result<ports::LeadList> list(const ports::ListLeadsQuery& query) override;
    domain::Result<ports::LeadDetails> create(
        const ports::CreateLeadCommand& command,
        const ports::Idempotency<ports::LeadDetails>* idempotency = nullptr) override;
    domain::Result<ports::LeadDetails> get(const ports::LeadRef& ref) override;
    domain::Result<ports::LeadDetails> update(
        const ports::UpdateLeadCommand& command,
        const ports::Idempotency<ports::LeadDetails>* idempotency = nullptr) override;
    domain::Result<ports::UpsertedLead> upsert(
        const ports::CreateLeadCommand& command,
        const ports::Idempotency<ports::UpsertedLead>* idempotency = nullptr) override;
    domain::Result<void> remove(const ports::RemoveLeadCommand& command) override;
    domain::Result<domain::Activity> record_activity(
        const ports::RecordActivityCommand& command,
        const ports::Idempotency<domain::Activity>* idempotency = nullptr) override;
    domain::Result<ports::ActivityList> activity_history(const ports::ActivityHistoryQuery& query) override;
    domain::Result<ports::ImportSummary> import_leads(
        const ports::ImportCommand& command,
        const ports::Idempotency<ports::ImportSummary>* idempotency = nullptr) override;
    domain::Result<void> check_ready() override;

  private:
    // The rows of an import that passed validation, as repository items, and the request
    // index of each; rows that failed are already in the summary's errors.
    struct PreparedImport {
        std::vector<ports::ImportItem> items;
        std::vector<std::size_t> rows;
    };
    PreparedImport prepare_import(const ports::ImportCommand& command, const domain::WorkspaceSlug& workspace,
                                  bool update_duplicates, ports::ImportSummary& summary);
    // Counts the repository's outcomes into the summary; a failed row is reported at its index.
    static void tally(const std::vector<ports::ImportOutcome>& outcomes, const std::vector<std::size_t>& rows,
                      ports::ImportSummary& summary);

    domain::Result<ports::LeadDetails> details(const ports::LeadKey& key, domain::Lead lead);
    // The same inside a write's transaction (an idempotent answer).
    static domain::Result<ports::LeadDetails> details(const ports::LeadKey& key, domain::Lead lead,
                                                      ports::TransactionReader& reads);
    // A service-made entry (no campaign) with a fresh id.
    domain::Activity entry(const domain::LeadId& lead_id, domain::ActivityType type, domain::Timestamp at,
                           domain::Attributes data = {});
    domain::Activity status_changed_entry(const domain::LeadId& lead_id, domain::StatusChange change,
                                          domain::Timestamp at);
    // Applies validated changes (PATCH, import with on_duplicate=update); the entries to
    // append are the status_changed one when the status moved.
    domain::Result<std::vector<domain::Activity>> apply_changes(domain::Lead& lead, const domain::LeadChanges& changes,
                                                                domain::Timestamp now);

    ports::LeadRepository& repository_;
    ports::Clock& clock_;
    ports::IdGenerator& ids_;
};

}  // namespace leads::app
