// The SQL backends' make_repository(): the shared database of their SqlBackend.
#include "tests/contract/repository_factory.hpp"

#include <stdexcept>
#include <string>
#include <utility>

#include "tests/contract/sql/sql_backend.hpp"
#include "tests/contract/support.hpp"

namespace leads::tests {

namespace contract {

FreshRepository fresh_repository(std::size_t pool_size) {
    auto& backend = sql_backend();
    std::string database = backend.fresh_database();
    if (auto migrated = backend.migrate(database); !migrated) throw std::runtime_error(migrated.error().message);
    auto opened = backend.open(database, pool_size);
    if (!opened) throw std::runtime_error(opened.error().message);
    return FreshRepository{std::move(database), std::move(opened).value()};
}

JaneAndJohn jane_and_john() {
    auto fresh = fresh_repository(2);
    const auto tenant = random_tenant();
    auto jane = add_lead(*fresh.repository, tenant, slug("acme"), {.email = "jane@example.com"});
    auto john = add_lead(*fresh.repository, tenant, slug("acme"), {.email = "john@example.com"});
    return JaneAndJohn{std::move(fresh), tenant, std::move(jane), std::move(john)};
}

}  // namespace contract

std::shared_ptr<ports::Repository> make_repository() { return contract::sql_backend().repository(); }

std::shared_ptr<ports::Repository> make_private_repository() { return contract::fresh_repository(4).repository; }

}  // namespace leads::tests
