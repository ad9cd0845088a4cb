#pragma once

#include "adapters/http/server/metrics.hpp"
#include "ports/lead_repository.hpp"

namespace leads::adapters::bootstrap {

// Adds the storage's own gauges (e.g. leads_db_pool_connections_in_use) to the metrics,
// for a repository opened by open_storage. Called once, before the server starts; the
// gauge functions must be thread-safe. Defined in storage.cpp beside open_storage.
void register_storage_metrics(http::Metrics& metrics, ports::LeadRepository& repository);

}  // namespace leads::adapters::bootstrap
