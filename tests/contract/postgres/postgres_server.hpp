#pragma once

#include <string>

// The test PostgreSQL server, as scripts/with-postgres.sh describes it in the environment.
namespace leads::tests::contract {

// LEADS_TEST_POSTGRES_URL; exits with 77 (ctest: skipped) when it is not set.
const std::string& postgres_url();

// The same server and credentials, another database.
std::string with_database(const std::string& url, const std::string& database);

}  // namespace leads::tests::contract
