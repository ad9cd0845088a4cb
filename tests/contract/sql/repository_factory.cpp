// The SQL backends' make_repository(): the shared database of their SqlBackend.
#include "tests/contract/repository_factory.hpp"

#include "tests/contract/sql/sql_backend.hpp"

namespace leads::tests {

std::shared_ptr<ports::Repository> make_repository() { return contract::sql_backend().repository(); }

}  // namespace leads::tests
