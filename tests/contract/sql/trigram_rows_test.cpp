// The SQL adapters' table of rows per trigram: read whole by one request per period, a
// complete table knows that a trigram it lacks is in no row, a partial one does not.
#include "adapters/sql/trigram_rows.hpp"

#include <catch2/catch.hpp>

namespace leads::adapters::sql {
namespace {

using namespace std::chrono_literals;
using Clock = TrigramRows::Clock;

}  // namespace

TEST_CASE("one request at a time reloads the table, once per period", "[unit][trigram_rows]") {
    TrigramRows rows(100, 10min);
    const auto t0 = Clock::now();
    CHECK(rows.claim_reload(t0));
    CHECK_FALSE(rows.claim_reload(t0));  // another request while the first one reads
    rows.load({{"abc", 3}}, true, t0);
    CHECK_FALSE(rows.claim_reload(t0 + 9min));
    CHECK(rows.claim_reload(t0 + 11min));
    rows.abandon_reload();  // that read failed: the next request tries again
    CHECK(rows.claim_reload(t0 + 11min));
}

TEST_CASE("a complete table counts an absent trigram as in no row, a partial one leaves it unknown",
          "[unit][trigram_rows]") {
    TrigramRows rows(100, 10min);
    CHECK_FALSE(rows.find("abc"));  // nothing read yet
    rows.load({{"abc", 3}}, true, Clock::now());
    CHECK(rows.find("abc") == 3);
    CHECK(rows.find("zzz") == 0);
    rows.load({{"abc", 3}}, false, Clock::now());
    CHECK_FALSE(rows.find("zzz"));
    rows.store("zzz", 7);  // looked up alone
    CHECK(rows.find("zzz") == 7);
}

TEST_CASE("trigrams looked up alone are kept within bounds", "[unit][trigram_rows]") {
    TrigramRows rows(4, 10min);
    for (int i = 0; i < 20; ++i) rows.store("t" + std::to_string(i), i);
    int known = 0;
    for (int i = 0; i < 20; ++i) known += rows.find("t" + std::to_string(i)) ? 1 : 0;
    CHECK(known == 5);  // capacity + a quarter
}

}  // namespace leads::adapters::sql
