#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/ids.hpp"
#include "domain/result.hpp"
#include "domain/suppression.hpp"
#include "ports/idempotency.hpp"
#include "ports/suppression_repository.hpp"

namespace leads::ports {

// The driving port of the suppression list (CONTRACT §9). Fields are as the client sent
// them and validated by the use case; the tenant is the caller's verified identity.

struct AddSuppressionCommand {
    domain::TenantId tenant;
    std::string email;
    std::optional<std::string> reason;  // default manual
};

struct SuppressionRef {
    domain::TenantId tenant;
    std::string id;
};

struct ListSuppressionsQuery {
    domain::TenantId tenant;
    std::optional<std::int64_t> limit;         // default 50, 1..200
    std::optional<SuppressionPosition> after;  // decoded from the client's cursor
};

struct SuppressionList {
    std::vector<domain::Suppression> items;
    std::int64_t total = 0;
    std::int64_t limit = 0;
    bool has_more = false;
    std::optional<SuppressionPosition> next;  // where the next page starts, when has_more
};

class SuppressionUseCases {
  public:
    virtual ~SuppressionUseCases() = default;

    virtual domain::Result<SuppressionAdded> add(const AddSuppressionCommand& command,
                                                 const Idempotency<SuppressionAdded>* idempotency = nullptr) = 0;
    // The entry for an email (NotFound when it is not listed).
    virtual domain::Result<domain::Suppression> find(const domain::TenantId& tenant, const std::string& email) = 0;
    virtual domain::Result<domain::Suppression> get(const SuppressionRef& ref) = 0;
    virtual domain::Result<SuppressionList> list(const ListSuppressionsQuery& query) = 0;
    virtual domain::Result<void> remove(const SuppressionRef& ref) = 0;
};

}  // namespace leads::ports
