#include "application/suppression_service.hpp"

#include <optional>
#include <utility>

#include "application/completion.hpp"
#include "application/issues.hpp"
#include "domain/email.hpp"

namespace leads::app {

using domain::Error;
using domain::Result;

namespace {

// A malformed id names no entry: NotFound, like any unknown id.
std::optional<domain::SuppressionId> id_of(const ports::SuppressionRef& ref) {
    return domain::SuppressionId::parse(ref.id);
}

}  // namespace

SuppressionService::SuppressionService(ports::SuppressionRepository& repository, ports::Clock& clock,
                                       ports::IdGenerator& ids)
    : repository_(repository), clock_(clock), ids_(ids) {}

Result<ports::SuppressionAdded> SuppressionService::add(
    const ports::AddSuppressionCommand& command, const ports::Idempotency<ports::SuppressionAdded>* idempotency) {
    Issues issues;
    auto email = issues.take(domain::Email::parse(command.email));
    domain::SuppressionReason reason = domain::SuppressionReason::Manual;
    if (command.reason) {
        if (auto parsed = domain::parse_suppression_reason(*command.reason)) {
            reason = *parsed;
        } else {
            issues.add("reason", "must be one of unsubscribed, bounced, complained, erased, manual");
        }
    }
    if (!issues.empty()) return std::move(issues).error();
    const auto completion = completion_for<ports::SuppressionAdded>(
        idempotency, [](const ports::SuppressionAdded& added, ports::TransactionReader&) {
            return Result<std::optional<ports::SuppressionAdded>>(added);
        });
    return repository_.add_suppression(
        command.tenant, *email,
        domain::SuppressionDraft{.id = ids_.new_suppression_id(), .reason = reason, .created_at = clock_.now()},
        pointer_to(completion));
}

Result<domain::Suppression> SuppressionService::find(const domain::TenantId& tenant, const std::string& email) {
    Issues issues;
    auto parsed = issues.take(domain::Email::parse(email));
    if (!issues.empty()) return std::move(issues).error();
    return repository_.find_suppression(tenant, *parsed);
}

Result<domain::Suppression> SuppressionService::get(const ports::SuppressionRef& ref) {
    const auto id = id_of(ref);
    if (!id) return domain::no_such_suppression();
    return repository_.find_suppression(ref.tenant, *id);
}

Result<ports::SuppressionList> SuppressionService::list(const ports::ListSuppressionsQuery& query) {
    Issues issues;
    const std::int64_t limit = check_limit(query.limit, issues);
    if (!issues.empty()) return std::move(issues).error();
    auto page = repository_.list_suppressions(query.tenant, limit, query.after);
    if (!page) return std::move(page).error();
    ports::SuppressionList list{
        .items = std::move(page->items), .total = page->total, .limit = limit, .has_more = page->more, .next = {}};
    if (list.has_more && !list.items.empty()) {
        list.next = ports::SuppressionPosition{list.items.back().created_at, list.items.back().id};
    }
    return list;
}

Result<void> SuppressionService::remove(const ports::SuppressionRef& ref) {
    const auto id = id_of(ref);
    if (!id) return domain::no_such_suppression();
    return repository_.remove_suppression(ref.tenant, *id);
}

}  // namespace leads::app
