#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/sql/rows.hpp"
#include "ports/events.hpp"

namespace leads::adapters::sql {

// One column of a statement's rows as a PostgreSQL array in the binary format array_recv
// reads (one dimension, lower bound 1), for a parameter sent in binary and unnested:
// `unnest(CAST($1 AS TEXT[]), CAST($2 AS BIGINT[]), ...)`. The server takes each value
// by its length, with nothing to unescape: a 1,000-row import statement's JSON cost the
// server ~4 ms to lex and look up, key by key, before a row was inserted.
class BinaryArray {
  public:
    enum class Element : unsigned { Text = 25, Int8 = 20 };  // the element type's OID

    BinaryArray(Element element, std::size_t count);

    void add(std::string_view text);  // Text
    void add(long long number);       // Int8
    void add_null();
    // The array, once its count of values was added.
    std::string take() &&;

  private:
    void put32(std::uint32_t value);

    std::string bytes_;
    bool has_null_ = false;
};

struct ArrayColumn {
    const char* name;  // also the parameter's name
    BinaryArray::Element element;
};

// An import statement's columns: the new leads' (but tenant and workspace, bound once) and
// their lead_created entries' (activity_id, type, ts, campaign_id, data).
inline constexpr ArrayColumn kImportArrayColumns[] = {
    {"id", BinaryArray::Element::Text},          {"email", BinaryArray::Element::Text},
    {"first_name", BinaryArray::Element::Text},  {"last_name", BinaryArray::Element::Text},
    {"company", BinaryArray::Element::Text},     {"status", BinaryArray::Element::Text},
    {"attributes", BinaryArray::Element::Text},  {"search_text", BinaryArray::Element::Text},
    {"email_hash", BinaryArray::Element::Text},  {"created_at", BinaryArray::Element::Int8},
    {"updated_at", BinaryArray::Element::Int8},  {"version", BinaryArray::Element::Int8},
    {"activity_id", BinaryArray::Element::Text}, {"type", BinaryArray::Element::Text},
    {"ts", BinaryArray::Element::Int8},          {"campaign_id", BinaryArray::Element::Text},
    {"data", BinaryArray::Element::Text}};

// The rows as one array per column of kImportArrayColumns, in order.
std::vector<std::string> import_columns(std::span<const std::pair<const LeadRow*, const ActivityRow*>> rows);

// A change's events (but the tenant, bound once): id, type, ts, workspace, lead_id and data
// (the event's data, as text).
inline constexpr ArrayColumn kEventArrayColumns[] = {
    {"id", BinaryArray::Element::Text},      {"type", BinaryArray::Element::Text},
    {"ts", BinaryArray::Element::Int8},      {"workspace", BinaryArray::Element::Text},
    {"lead_id", BinaryArray::Element::Text}, {"data", BinaryArray::Element::Text}};

// The events as one array per column of kEventArrayColumns, in order.
std::vector<std::string> event_columns(std::span<const ports::StoredEvent> events);

// `unnest(CAST(:id AS TEXT[]), ...) WITH ORDINALITY AS r(id, ..., n)`: the columns as a
// table, n the row's position; the parameters named as the columns.
std::string unnest_columns(std::span<const ArrayColumn> columns);

// The parameters' names, in order, for Dialect::pipelined: the columns', then those of
// the values bound once beside them.
std::vector<std::string> column_names(std::span<const ArrayColumn> columns,
                                      std::initializer_list<const char*> then = {});

}  // namespace leads::adapters::sql
