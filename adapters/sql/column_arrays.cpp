#include "adapters/sql/column_arrays.hpp"

#include <cstdint>

namespace leads::adapters::sql {

namespace {

constexpr std::size_t kFlagsAt = 4;  // after the dimension count

std::vector<std::string> take_all(std::vector<BinaryArray>& columns) {
    std::vector<std::string> arrays;
    arrays.reserve(columns.size());
    for (auto& column : columns) arrays.push_back(std::move(column).take());
    return arrays;
}

}  // namespace

BinaryArray::BinaryArray(Element element, std::size_t count) {
    bytes_.reserve(20 + count * (element == Element::Int8 ? 12 : 40));
    put32(1);  // dimensions
    put32(0);  // has nulls: set by take()
    put32(static_cast<std::uint32_t>(element));
    put32(static_cast<std::uint32_t>(count));
    put32(1);  // lower bound
}

void BinaryArray::put32(std::uint32_t value) {
    // Network order, as every integer of PostgreSQL's binary formats.
    for (int shift = 24; shift >= 0; shift -= 8) bytes_.push_back(static_cast<char>((value >> shift) & 0xFFU));
}

void BinaryArray::add(std::string_view text) {
    put32(static_cast<std::uint32_t>(text.size()));
    bytes_.append(text);
}

void BinaryArray::add(long long number) {
    put32(8);
    const auto value = static_cast<std::uint64_t>(number);
    put32(static_cast<std::uint32_t>(value >> 32U));
    put32(static_cast<std::uint32_t>(value & 0xFFFFFFFFU));
}

void BinaryArray::add_null() {
    put32(0xFFFFFFFFU);  // length -1
    has_null_ = true;
}

std::string BinaryArray::take() && {
    if (has_null_) bytes_[kFlagsAt + 3] = 1;
    return std::move(bytes_);
}

std::vector<std::string> import_columns(std::span<const std::pair<const LeadRow*, const ActivityRow*>> rows) {
    std::vector<BinaryArray> columns;
    columns.reserve(std::size(kImportArrayColumns));
    for (const ArrayColumn& column : kImportArrayColumns) columns.emplace_back(column.element, rows.size());
    const auto optional = [](BinaryArray& column, const std::string& value, soci::indicator indicator) {
        if (indicator == soci::i_ok) {
            column.add(value);
        } else {
            column.add_null();
        }
    };
    for (const auto& [lead, created] : rows) {
        auto column = columns.begin();  // in kImportArrayColumns' order
        (column++)->add(lead->id);
        (column++)->add(lead->email);
        optional(*column++, lead->first_name, lead->first_name_ind);
        optional(*column++, lead->last_name, lead->last_name_ind);
        optional(*column++, lead->company, lead->company_ind);
        (column++)->add(lead->status);
        (column++)->add(lead->attributes);
        (column++)->add(lead->search_text);
        (column++)->add(lead->email_hash);
        (column++)->add(lead->created_at);
        (column++)->add(lead->updated_at);
        (column++)->add(lead->version);
        (column++)->add(created->id);
        (column++)->add(created->type);
        (column++)->add(created->ts);
        optional(*column++, created->campaign_id, created->campaign_id_ind);
        (column++)->add(created->data);
    }
    return take_all(columns);
}

std::vector<std::string> event_columns(std::span<const ports::StoredEvent> events) {
    std::vector<BinaryArray> columns;
    columns.reserve(std::size(kEventArrayColumns));
    for (const ArrayColumn& column : kEventArrayColumns) columns.emplace_back(column.element, events.size());
    for (const ports::StoredEvent& event : events) {
        auto column = columns.begin();  // in kEventArrayColumns' order
        (column++)->add(event.id.value());
        (column++)->add(domain::to_string(event.type));
        (column++)->add(millis(event.timestamp));
        (column++)->add(event.workspace.value());
        (column++)->add(event.lead_id.value());
        (column++)->add(event.data);
    }
    return take_all(columns);
}

std::string unnest_columns(std::span<const ArrayColumn> columns) {
    std::string casts;
    std::string names;
    for (const ArrayColumn& column : columns) {
        if (!casts.empty()) {
            casts += ", ";
            names += ", ";
        }
        casts += "CAST(:";
        casts += column.name;
        casts += column.element == BinaryArray::Element::Int8 ? " AS BIGINT[])" : " AS TEXT[])";
        names += column.name;
    }
    return "unnest(" + casts + ") WITH ORDINALITY AS r(" + names + ", n)";
}

std::vector<std::string> column_names(std::span<const ArrayColumn> columns, std::initializer_list<const char*> then) {
    std::vector<std::string> names;
    names.reserve(columns.size() + then.size());
    for (const ArrayColumn& column : columns) names.emplace_back(column.name);
    names.insert(names.end(), then.begin(), then.end());
    return names;
}

}  // namespace leads::adapters::sql
