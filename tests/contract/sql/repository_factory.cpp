// The SQL backends' make_repository(): the shared database of their SqlBackend.
#include "tests/contract/repository_factory.hpp"

#include <stdexcept>
#include <string>
#include <utility>

#include "tests/contract/sql/sql_backend.hpp"

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

}  // namespace contract

std::shared_ptr<ports::Repository> make_repository() { return contract::sql_backend().repository(); }

std::shared_ptr<ports::Repository> make_private_repository() { return contract::fresh_repository(4).repository; }

}  // namespace leads::tests
