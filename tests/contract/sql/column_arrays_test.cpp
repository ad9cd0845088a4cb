// The binary arrays an import's statements send PostgreSQL (array_recv's format), byte for
// byte, and the unnest they are read by. The round trip through a server is
// tests/contract/postgres/pipeline_test.cpp.
#include "adapters/sql/column_arrays.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

namespace leads::tests::contract {
namespace {

using adapters::sql::ArrayColumn;
using adapters::sql::BinaryArray;

// The four big-endian bytes of a 32-bit value.
std::string be32(std::uint32_t value) {
    std::string bytes;
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((value >> shift) & 0xFFU));
    return bytes;
}

std::string header(std::uint32_t has_null, std::uint32_t oid, std::uint32_t count) {
    return be32(1) + be32(has_null) + be32(oid) + be32(count) + be32(1);
}

TEST_CASE("a text array is its header, then each value's length and bytes, NULL as length -1", "[unit][arrays]") {
    BinaryArray array(BinaryArray::Element::Text, 3);
    array.add(std::string_view("Zo\xc3\xab"));
    array.add(std::string_view(""));
    array.add_null();
    const std::string expected = header(1, 25, 3) + be32(4) + "Zo\xc3\xab" + be32(0) + be32(0xFFFFFFFFU);
    CHECK(std::move(array).take() == expected);
}

TEST_CASE("a bigint array holds each value as 8 big-endian bytes, negatives in two's complement", "[unit][arrays]") {
    BinaryArray array(BinaryArray::Element::Int8, 2);
    array.add(1'796'578'336'226LL);
    array.add(-2LL);
    const std::string expected = header(0, 20, 2) + be32(8) + be32(0x000001A2U) + be32(0x4C69DDE2U) + be32(8) +
                                 be32(0xFFFFFFFFU) + be32(0xFFFFFFFEU);
    CHECK(std::move(array).take() == expected);
}

TEST_CASE("the columns are unnested by name and type, with each row's position as n", "[unit][arrays]") {
    constexpr ArrayColumn columns[] = {{"id", BinaryArray::Element::Text}, {"ts", BinaryArray::Element::Int8}};
    CHECK(adapters::sql::unnest_columns(columns) ==
          "unnest(CAST(:id AS TEXT[]), CAST(:ts AS BIGINT[])) WITH ORDINALITY AS r(id, ts, n)");
    CHECK(adapters::sql::column_names(columns) == std::vector<std::string>{"id", "ts"});
    CHECK(adapters::sql::column_names(columns, {"tenant"}) == std::vector<std::string>{"id", "ts", "tenant"});
}

}  // namespace
}  // namespace leads::tests::contract
