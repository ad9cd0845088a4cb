#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"
#include "ports/repository.hpp"

// Opens the storage named by LEADS_DATABASE_URL. The persistence adapters plug in here.
namespace leads::adapters::bootstrap {

// The backends LEADS_DATABASE_URL can name, by its scheme: the one place that knows them.
enum class Backend { Memory, Sqlite, Postgres };

// "memory:", "sqlite:PATH" (a non-empty path), "postgresql://…" or "postgres://…";
// nullopt for anything else.
std::optional<Backend> backend_of(std::string_view url);

// The message for a URL backend_of does not know (the URL itself is never repeated: it
// may carry a password).
inline constexpr std::string_view kDatabaseUrlForms = "must be sqlite:PATH, postgresql://... or memory:";

// "memory", "sqlite" or "postgresql", for logs.
std::string_view backend_name(Backend backend);

struct StorageOptions {
    std::string database_url = "sqlite:leads.db";  // "sqlite:PATH", "postgresql://...", "memory:"
    int pool_size = 8;
    std::chrono::milliseconds acquire_timeout{2000};
};

// Validation (naming LEADS_DATABASE_URL) for a URL no backend understands; Unavailable
// when the database cannot be reached. Applies pending migrations.
domain::Result<std::shared_ptr<ports::Repository>> open_storage(const StorageOptions& options);

// Applies pending migrations and returns (the `migrate` sub-command).
domain::Result<void> migrate_storage(const StorageOptions& options);

}  // namespace leads::adapters::bootstrap
