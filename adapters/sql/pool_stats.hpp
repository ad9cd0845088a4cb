#pragma once

#include <cstddef>
#include <functional>

#include "ports/lead_repository.hpp"

// Connection pool figures for /metrics. Free of SOCI: the composition root includes it.
namespace leads::adapters::sql {

struct PoolStats {
    std::size_t size = 0;            // sessions in the pool (LEADS_DB_POOL_SIZE)
    std::size_t in_use = 0;          // leased right now
    std::size_t connected = 0;       // holding an open connection (the rest open on demand)
    std::size_t queued_creates = 0;  // SQLite: creates waiting to be written in a group
};

// A thread-safe reader of the pool behind a repository opened by open_sqlite or
// open_postgres (it keeps that pool alive); an empty function for any other repository.
std::function<PoolStats()> pool_stats_reader(const ports::LeadRepository& repository);

}  // namespace leads::adapters::sql
