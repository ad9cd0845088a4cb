#include "application/webhook_service.hpp"

#include <algorithm>
#include <chrono>
#include <utility>

#include "application/issues.hpp"
#include "domain/text.hpp"

namespace leads::app {

using domain::Error;
using domain::Result;

namespace {

constexpr std::size_t kMaxDescriptionLength = 500;
// After a rotation the previous secret still signs for this long (CONTRACT §8).
constexpr auto kPreviousSecretValidity = std::chrono::hours(24);

Error no_such_webhook() { return Error::not_found("No such webhook."); }

// A malformed id names no endpoint: NotFound, like any unknown id.
std::optional<domain::WebhookId> id_of(const ports::WebhookRef& ref) { return domain::WebhookId::parse(ref.id); }

std::vector<domain::EventType> check_event_types(const std::vector<std::string>& names, Issues& issues) {
    std::vector<domain::EventType> types;
    if (names.empty()) issues.add("event_types", "must name at least one event type");
    for (const auto& name : names) {
        const auto type = domain::parse_event_type(name);
        if (!type) {
            issues.add("event_types",
                       "must name only lead.created, activity.recorded, lead.updated, lead.status_changed, "
                       "lead.deleted");
            return {};
        }
        if (std::find(types.begin(), types.end(), *type) == types.end()) types.push_back(*type);
    }
    // Stored in the contract's order, whatever order the client gave.
    std::sort(types.begin(), types.end());
    return types;
}

std::optional<std::string> check_url(const std::string& url, Issues& issues) {
    auto parsed = issues.take(domain::WebhookUrl::parse("url", url));
    if (!parsed) return std::nullopt;
    return parsed->value();
}

std::optional<std::string> check_description(const std::string& raw, Issues& issues) {
    auto parsed = issues.take(domain::parse_optional_text("description", raw, kMaxDescriptionLength));
    return parsed ? *parsed : std::nullopt;
}

}  // namespace

WebhookService::WebhookService(ports::WebhookRepository& repository, ports::Clock& clock, ports::IdGenerator& ids,
                               ports::SecretGenerator& secrets)
    : repository_(repository), clock_(clock), ids_(ids), secrets_(secrets) {}

Result<ports::Webhook> WebhookService::create(const ports::CreateWebhookCommand& command) {
    Issues issues;
    auto url = check_url(command.url, issues);
    std::vector<domain::EventType> types(std::begin(domain::kEventTypes), std::end(domain::kEventTypes));
    if (command.event_types) types = check_event_types(*command.event_types, issues);
    std::optional<std::string> description;
    if (command.description) description = check_description(*command.description, issues);
    if (!issues.empty()) return std::move(issues).error();

    const domain::Timestamp now = clock_.now();
    ports::Webhook webhook{.id = ids_.new_webhook_id(),
                           .tenant = command.tenant,
                           .url = std::move(*url),
                           .event_types = std::move(types),
                           .description = std::move(description),
                           .enabled = true,
                           .created_at = now,
                           .updated_at = now,
                           .secret = secrets_.new_webhook_secret()};
    if (auto stored = repository_.insert_webhook(webhook); !stored) return stored.error();
    return webhook;
}

Result<ports::Webhook> WebhookService::get(const ports::WebhookRef& ref) {
    const auto id = id_of(ref);
    if (!id) return no_such_webhook();
    return repository_.find_webhook(ref.tenant, *id);
}

Result<std::vector<ports::Webhook>> WebhookService::list(const domain::TenantId& tenant) {
    return repository_.list_webhooks(tenant);
}

Result<ports::Webhook> WebhookService::update(const ports::UpdateWebhookCommand& command) {
    Issues issues;
    std::optional<std::string> url;
    if (command.url) url = check_url(*command.url, issues);
    std::optional<std::vector<domain::EventType>> types;
    if (command.event_types) types = check_event_types(*command.event_types, issues);
    std::optional<std::optional<std::string>> description;
    if (command.description) {
        description = *command.description ? check_description(**command.description, issues) : std::nullopt;
    }
    if (!issues.empty()) return std::move(issues).error();
    const auto id = id_of(command.ref);
    if (!id) return no_such_webhook();
    const domain::Timestamp now = clock_.now();
    return repository_.update_webhook(command.ref.tenant, *id, [&](ports::Webhook& webhook) -> Result<void> {
        if (url) webhook.url = *url;
        if (types) webhook.event_types = *types;
        if (description) webhook.description = *description;
        if (command.enabled) webhook.enabled = *command.enabled;
        webhook.updated_at = now;
        return {};
    });
}

Result<void> WebhookService::remove(const ports::WebhookRef& ref) {
    const auto id = id_of(ref);
    if (!id) return no_such_webhook();
    return repository_.remove_webhook(ref.tenant, *id);
}

Result<ports::Webhook> WebhookService::rotate_secret(const ports::WebhookRef& ref) {
    const auto id = id_of(ref);
    if (!id) return no_such_webhook();
    const domain::Timestamp now = clock_.now();
    std::string secret = secrets_.new_webhook_secret();
    return repository_.update_webhook(ref.tenant, *id, [&](ports::Webhook& webhook) -> Result<void> {
        webhook.previous_secret = std::move(webhook.secret);
        webhook.previous_until = now + kPreviousSecretValidity;
        webhook.secret = secret;
        webhook.updated_at = now;
        return {};
    });
}

Result<ports::DeliveryList> WebhookService::deliveries(const ports::ListDeliveriesQuery& query) {
    Issues issues;
    const std::int64_t limit = check_limit(query.limit, issues);
    if (!issues.empty()) return std::move(issues).error();
    const auto id = id_of(query.ref);
    if (!id) return no_such_webhook();
    auto page = repository_.list_deliveries(query.ref.tenant, *id, limit, query.before_sequence);
    if (!page) return std::move(page).error();
    ports::DeliveryList list{.items = std::move(page->items), .limit = limit, .has_more = page->more, .next = {}};
    if (list.has_more && !list.items.empty()) list.next = list.items.back().sequence;
    return list;
}

}  // namespace leads::app
