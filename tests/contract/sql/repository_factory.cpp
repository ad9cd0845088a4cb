// The SQL backends' make_repository(): the shared database of their SqlBackend.
#include "tests/contract/repository_factory.hpp"

#include <stdexcept>
#include <string>
#include <utility>

#include "tests/contract/sql/sql_backend.hpp"

namespace leads::tests {

std::shared_ptr<ports::Repository> make_repository() { return contract::sql_backend().repository(); }

std::shared_ptr<ports::Repository> make_private_repository() {
    auto& backend = contract::sql_backend();
    const std::string database = backend.fresh_database();
    if (auto migrated = backend.migrate(database); !migrated) throw std::runtime_error(migrated.error().message);
    auto opened = backend.open(database, 4);
    if (!opened) throw std::runtime_error(opened.error().message);
    return std::move(opened).value();
}

}  // namespace leads::tests
