#include "tests/contract/repository_factory.hpp"

#include "adapters/memory/in_memory_lead_repository.hpp"

namespace leads::tests {

// One repository for the whole run, like the SQL backends' shared database: the suite
// must not depend on starting empty.
std::shared_ptr<ports::Repository> make_repository() {
    static const auto shared = std::make_shared<adapters::memory::InMemoryLeadRepository>();
    return shared;
}

std::shared_ptr<ports::Repository> make_private_repository() {
    return std::make_shared<adapters::memory::InMemoryLeadRepository>();
}

}  // namespace leads::tests
