#pragma once

#include <string>
#include <string_view>

#include "domain/ids.hpp"

// Randomness for tests: every test works in names no other test (in any process sharing
// the storage) uses, so tests run in parallel and need no clean-up. Thread-safe.
namespace leads::tests {

// prefix followed by 20 random hex digits (80 bits).
std::string unique_name(std::string_view prefix);

// A tenant no other test uses: "t-" + 20 random hex digits.
domain::TenantId random_tenant();

// Random bytes for ids (domain::LeadId::generate and friends).
domain::Entropy random_entropy();

// A forked child starts with its parent's generator: it must reseed before making names.
void reseed_random();

}  // namespace leads::tests
