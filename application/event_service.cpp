#include "application/event_service.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

#include "application/issues.hpp"

namespace leads::app {

namespace {

// "a,b": every name a known type, none repeated; empty parts are refused.
std::vector<domain::EventType> check_types(const std::string& raw, Issues& issues) {
    std::vector<domain::EventType> types;
    std::string_view rest = raw;
    while (true) {
        const std::size_t comma = rest.find(',');
        const std::string_view name = rest.substr(0, comma);
        const auto type = domain::parse_event_type(name);
        if (!type) {
            issues.add("types",
                       "must be a comma-separated list of lead.created, activity.recorded, lead.updated, "
                       "lead.status_changed, lead.deleted");
            return {};
        }
        if (std::find(types.begin(), types.end(), *type) == types.end()) types.push_back(*type);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return types;
}

}  // namespace

EventService::EventService(ports::EventRepository& repository, ports::Clock& clock, std::chrono::hours retention)
    : repository_(repository), clock_(clock), retention_(retention) {}

domain::Result<ports::EventFeed> EventService::feed(const ports::EventFeedQuery& query) {
    Issues issues;
    if (query.after && *query.after < 0) issues.add("after", "must be at least 0");
    std::int64_t limit = ports::kDefaultEventLimit;
    if (query.limit) {
        limit = *query.limit;
        if (limit < 1 || limit > ports::kMaxEventLimit) issues.add("limit", "must be between 1 and 1000");
    }
    std::vector<domain::EventType> types;
    if (query.types) types = check_types(*query.types, issues);
    std::optional<domain::WorkspaceSlug> workspace;
    if (query.workspace) workspace = issues.take(domain::WorkspaceSlug::parse("workspace", *query.workspace));
    if (!issues.empty()) return std::move(issues).error();

    auto page = repository_.events(ports::EventQuery{.tenant = query.tenant,
                                                     .after = query.after,
                                                     .limit = limit,
                                                     .types = std::move(types),
                                                     .workspace = std::move(workspace),
                                                     .drop_before = clock_.now() - retention_});
    if (!page) return std::move(page).error();
    if (page->expired) return domain::Error::events_expired();
    ports::EventFeed feed{
        .items = std::move(page->items), .next_after = query.after.value_or(0), .has_more = page->more};
    if (!feed.items.empty()) feed.next_after = feed.items.back().sequence;
    return feed;
}

}  // namespace leads::app
