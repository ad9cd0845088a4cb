#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "domain/result.hpp"
#include "ports/lead_repository.hpp"

// Opens the storage named by LEADS_DATABASE_URL. The persistence adapters plug in here.
namespace leads::adapters::bootstrap {

struct StorageOptions {
    std::string database_url = "sqlite:leads.db";  // "sqlite:PATH", "postgresql://...", "memory:"
    int pool_size = 8;
    std::chrono::milliseconds acquire_timeout{2000};
};

// Validation (naming LEADS_DATABASE_URL) for a URL no backend understands; Unavailable
// when the database cannot be reached. Applies pending migrations.
domain::Result<std::shared_ptr<ports::LeadRepository>> open_storage(const StorageOptions& options);

// Applies pending migrations and returns (the `migrate` sub-command).
domain::Result<void> migrate_storage(const StorageOptions& options);

}  // namespace leads::adapters::bootstrap
