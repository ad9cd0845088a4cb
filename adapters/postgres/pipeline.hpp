#pragma once

#include <string>
#include <vector>

#include "adapters/sql/sql_lead_repository.hpp"

namespace leads::adapters::postgres {

// Dialect::pipelined on a PostgreSQL session: sql (SOCI's :name placeholders, names in the
// order of each parameter list) prepared once per connection, then run once per list
// next() gives, the next run sent while the previous one executes (libpq's pipeline mode,
// two in flight), so the server goes from one to the next without waiting for the client.
// Runs inside the session's open transaction. A failed run stops the sending: the error is
// thrown as SOCI would throw it (postgresql_soci_error with its SQLSTATE), with the session
// back out of pipeline mode and its transaction aborted.
void run_pipelined(sql::SessionPool::Lease& lease, const std::string& sql, const std::vector<std::string>& names,
                   const sql::PipelineNext& next, const sql::PipelineDone& done);

// sql with each ":name" of names (not followed by a name character) as $1, $2, … in
// their order.
std::string positional(std::string sql, const std::vector<std::string>& names);

}  // namespace leads::adapters::postgres
