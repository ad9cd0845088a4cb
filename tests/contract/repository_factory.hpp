#pragma once

#include <memory>

#include "ports/repository.hpp"

namespace leads::tests {

// Supplied once per backend executable (tests/contract/<backend>/): a repository ready to
// use. It may share its storage with earlier calls, other tests and other processes: the
// suite never assumes the storage is empty and keeps each test in a fresh random tenant.
// A backend that cannot run here (no database configured) may std::exit(77) from it:
// ctest reports that as skipped.
std::shared_ptr<ports::Repository> make_repository();

// A repository over empty storage of its own, for the few tests whose operation reaches
// every tenant (the worker's sweep) and so cannot share storage with the others.
std::shared_ptr<ports::Repository> make_private_repository();

}  // namespace leads::tests
