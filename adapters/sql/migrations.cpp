#include "adapters/sql/migrations.hpp"

#include <soci/soci.h>

#include <chrono>
#include <set>

namespace leads::adapters::sql {

std::vector<long long> apply_migrations(soci::session& session, const MigrationPlan& plan) {
    std::vector<long long> applied;
    try {
        for (const auto& statement : plan.lock) session << statement;
        session << "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
                   "applied_at BIGINT NOT NULL)";
        std::set<long long> done;
        {
            long long version = 0;
            soci::statement st = (session.prepare << "SELECT version FROM schema_migrations", soci::into(version));
            st.execute();
            while (st.fetch()) done.insert(version);
        }
        for (const auto& migration : plan.migrations) {
            if (done.contains(migration.version)) continue;
            for (auto statement : migration.statements) session << std::string(statement);
            long long version = migration.version;
            std::string name(migration.name);
            long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
            session << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:version, :name, :at)",
                soci::use(version, "version"), soci::use(name, "name"), soci::use(now, "at");
            applied.push_back(version);
        }
        session << "COMMIT";
    } catch (...) {
        try {
            session << "ROLLBACK";
        } catch (...) {
            // The connection is gone; so is the transaction.
        }
        throw;
    }
    return applied;
}

}  // namespace leads::adapters::sql
