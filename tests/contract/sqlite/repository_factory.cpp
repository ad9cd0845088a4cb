// The contract suite's SQLite repository: one database file in a temporary directory of
// this executable (SQLite's :memory: is one database per connection), removed at exit.
#include "tests/contract/repository_factory.hpp"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>

#include "adapters/sqlite/sqlite_repository.hpp"

namespace leads::tests {

namespace {

class TemporaryDirectory {
  public:
    TemporaryDirectory() {
        std::string pattern = (std::filesystem::temp_directory_path() / "leads-contract-XXXXXX").string();
        if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    }
    ~TemporaryDirectory() {
        std::error_code ignored;
        if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

}  // namespace

std::shared_ptr<ports::LeadRepository> make_repository() {
    static TemporaryDirectory directory;
    static std::mutex mutex;
    static std::shared_ptr<ports::LeadRepository> repository;
    std::lock_guard lock(mutex);
    if (!repository) {
        auto opened = adapters::sqlite::open_sqlite(
            {.path = (directory.path() / "contract.db").string(), .acquire_timeout = std::chrono::seconds(10)});
        if (!opened) {
            std::fprintf(stderr, "cannot open the SQLite database: %s\n", opened.error().message.c_str());
            std::abort();
        }
        repository = opened.value();
    }
    return repository;
}

}  // namespace leads::tests
