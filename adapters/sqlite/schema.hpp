#pragma once

#include <span>

#include "adapters/sql/migrations.hpp"

namespace leads::adapters::sqlite {

// The SQLite schema, version by version. Never edit a released migration: add one.
std::span<const sql::Migration> migrations();

}  // namespace leads::adapters::sqlite
