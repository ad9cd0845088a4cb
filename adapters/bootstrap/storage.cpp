#include "adapters/bootstrap/storage.hpp"

#include "adapters/bootstrap/storage_metrics.hpp"
#include "adapters/memory/in_memory_lead_repository.hpp"

namespace leads::adapters::bootstrap {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

domain::Error unsupported() {
    domain::Error error = domain::Error::validation(
        "LEADS_DATABASE_URL", "SQLite and PostgreSQL storage are not supported in this build yet; use memory:");
    error.message = "invalid configuration";
    return error;
}

domain::Error unknown() {
    domain::Error error =
        domain::Error::validation("LEADS_DATABASE_URL", "must be sqlite:PATH, postgresql://... or memory:");
    error.message = "invalid configuration";
    return error;
}

}  // namespace

domain::Result<std::shared_ptr<ports::LeadRepository>> open_storage(const StorageOptions& options) {
    if (options.database_url == "memory:") {
        return std::shared_ptr<ports::LeadRepository>(std::make_shared<memory::InMemoryLeadRepository>());
    }
    if (starts_with(options.database_url, "sqlite:") || starts_with(options.database_url, "postgresql://") ||
        starts_with(options.database_url, "postgres://")) {
        return unsupported();
    }
    return unknown();
}

domain::Result<void> migrate_storage(const StorageOptions& options) {
    if (options.database_url == "memory:") return {};  // nothing persists, nothing to migrate
    if (starts_with(options.database_url, "sqlite:") || starts_with(options.database_url, "postgresql://") ||
        starts_with(options.database_url, "postgres://")) {
        return unsupported();
    }
    return unknown();
}

void register_storage_metrics(http::Metrics&, ports::LeadRepository&) {
    // The memory repository has no pool. A pooled backend registers its gauges here, e.g.
    // metrics.add_gauge("leads_db_pool_connections_in_use", "...", [pool] { return ...; }).
}

}  // namespace leads::adapters::bootstrap
