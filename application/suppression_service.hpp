#pragma once

#include "ports/clock.hpp"
#include "ports/id_generator.hpp"
#include "ports/suppression_repository.hpp"
#include "ports/suppression_use_cases.hpp"

namespace leads::app {

// The suppression list's use cases (CONTRACT §9). Stateless apart from its ports.
class SuppressionService final : public ports::SuppressionUseCases {
  public:
    SuppressionService(ports::SuppressionRepository& repository, ports::Clock& clock, ports::IdGenerator& ids);

    domain::Result<ports::SuppressionAdded> add(
        const ports::AddSuppressionCommand& command,
        const ports::Idempotency<ports::SuppressionAdded>* idempotency = nullptr) override;
    domain::Result<domain::Suppression> find(const domain::TenantId& tenant, const std::string& email) override;
    domain::Result<domain::Suppression> get(const ports::SuppressionRef& ref) override;
    domain::Result<ports::SuppressionList> list(const ports::ListSuppressionsQuery& query) override;
    domain::Result<void> remove(const ports::SuppressionRef& ref) override;

  private:
    ports::SuppressionRepository& repository_;
    ports::Clock& clock_;
    ports::IdGenerator& ids_;
};

}  // namespace leads::app
