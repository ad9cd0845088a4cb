#include "domain/time.hpp"

#include <catch2/catch.hpp>

using namespace leads::domain;
using namespace std::chrono;

namespace {

Timestamp at(int y, unsigned m, unsigned d, int hh = 0, int mm = 0, int ss = 0, int ms = 0) {
    return Timestamp{sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss} + milliseconds{ms}};
}

}  // namespace

TEST_CASE("format_rfc3339 writes UTC with milliseconds") {
    CHECK(format_rfc3339(at(2025, 11, 1, 10, 0, 0)) == "2025-11-01T10:00:00.000Z");
    CHECK(format_rfc3339(at(1970, 1, 1)) == "1970-01-01T00:00:00.000Z");
    CHECK(format_rfc3339(at(2024, 2, 29, 23, 59, 59, 999)) == "2024-02-29T23:59:59.999Z");
    CHECK(format_rfc3339(at(1, 1, 1)) == "0001-01-01T00:00:00.000Z");
    CHECK(format_rfc3339(at(9999, 12, 31, 23, 59, 59, 7)) == "9999-12-31T23:59:59.007Z");
    CHECK(format_rfc3339(at(1969, 12, 31, 23, 59, 59, 500)) == "1969-12-31T23:59:59.500Z");
}

TEST_CASE("parse_rfc3339 round-trips what format writes") {
    for (auto instant : {at(2025, 11, 1, 10), at(1970, 1, 1), at(2024, 2, 29, 23, 59, 59, 999), at(1, 1, 1),
                         at(9999, 12, 31, 23, 59, 59, 999), at(2000, 2, 29, 12, 30, 15, 42)}) {
        const auto text = format_rfc3339(instant);
        INFO(text);
        const auto parsed = parse_rfc3339(text);
        REQUIRE(parsed.has_value());
        CHECK(*parsed == instant);
    }
}

TEST_CASE("parse_rfc3339 accepts the RFC 3339 variants") {
    CHECK(parse_rfc3339("2025-11-01T10:00:00Z") == at(2025, 11, 1, 10));
    CHECK(parse_rfc3339("2025-11-01t10:00:00z") == at(2025, 11, 1, 10));
    CHECK(parse_rfc3339("2025-11-01T10:00:00.5Z") == at(2025, 11, 1, 10, 0, 0, 500));
    CHECK(parse_rfc3339("2025-11-01T10:00:00.12Z") == at(2025, 11, 1, 10, 0, 0, 120));
    CHECK(parse_rfc3339("2025-11-01T10:00:00.123456789Z") == at(2025, 11, 1, 10, 0, 0, 123));
    CHECK(parse_rfc3339("2025-11-01T10:00:00.999999Z") == at(2025, 11, 1, 10, 0, 0, 999));
    CHECK(parse_rfc3339("2025-11-01T12:30:00+02:30") == at(2025, 11, 1, 10));
    CHECK(parse_rfc3339("2025-11-01T05:00:00-05:00") == at(2025, 11, 1, 10));
    CHECK(parse_rfc3339("2025-11-01T10:00:00+00:00") == at(2025, 11, 1, 10));
    CHECK(parse_rfc3339("2025-11-01T10:00:00-00:00") == at(2025, 11, 1, 10));
    CHECK(parse_rfc3339("2025-01-01T01:00:00+02:00") == at(2024, 12, 31, 23));  // crosses a year
    CHECK(parse_rfc3339("2024-02-29T00:00:00Z") == at(2024, 2, 29));
    CHECK(parse_rfc3339("2000-02-29T00:00:00Z") == at(2000, 2, 29));
}

TEST_CASE("parse_rfc3339 rejects anything else") {
    for (std::string_view text : {
             "",
             "2025-11-01",
             "2025-11-01T10:00:00",        // no offset
             "2025-11-01 10:00:00Z",       // space separator
             "2025-11-01T10:00Z",          // no seconds
             "2025-11-01T10:00:00.Z",      // empty fraction
             "2025-11-01T10:00:00,5Z",     // comma fraction
             "2025-11-01T10:00:00+0200",   // offset without colon
             "2025-11-01T10:00:00+02",     // short offset
             "2025-11-01T10:00:00+24:00",  // offset hour out of range
             "2025-11-01T10:00:00+02:60",  // offset minute out of range
             "2025-11-01T10:00:00ZZ",      // trailing text
             "2025-11-01T10:00:00Z ",      // trailing space
             " 2025-11-01T10:00:00Z",      // leading space
             "2025-13-01T10:00:00Z",       // month 13
             "2025-00-01T10:00:00Z",       // month 0
             "2025-11-00T10:00:00Z",       // day 0
             "2025-11-31T10:00:00Z",       // November has 30 days
             "2025-02-29T10:00:00Z",       // not a leap year
             "1900-02-29T10:00:00Z",       // century, not a leap year
             "2025-11-01T24:00:00Z",       // hour 24
             "2025-11-01T10:60:00Z",       // minute 60
             "2025-11-01T10:00:60Z",       // leap second: not representable, rejected
             "0000-01-01T00:00:00Z",       // year 0
             "20250-11-01T10:00:00Z",      // five-digit year
             "2025-1-01T10:00:00Z",        // one-digit month
             "2025-11-01T10:00:00.-1Z",
             "2025/11/01T10:00:00Z",
             "+2025-11-01T10:00:00Z",
             "2025-11-01T1a:00:00Z",
         }) {
        INFO(text);
        CHECK_FALSE(parse_rfc3339(text).has_value());
    }
}

TEST_CASE("parse_rfc3339 keeps the UTC instant within the years 0001 to 9999") {
    // An offset can carry a valid local time out of the four-digit years, which
    // format_rfc3339 could then not write back as RFC 3339 ("10000-01-01T...").
    CHECK_FALSE(parse_rfc3339("9999-12-31T23:59:59-00:01").has_value());
    CHECK_FALSE(parse_rfc3339("9999-12-31T23:30:00-23:59").has_value());
    CHECK_FALSE(parse_rfc3339("0001-01-01T00:00:00+00:01").has_value());
    CHECK_FALSE(parse_rfc3339("0001-01-01T23:58:00+23:59").has_value());
    CHECK(parse_rfc3339("9999-12-31T23:59:59.999+00:00") == at(9999, 12, 31, 23, 59, 59, 999));
    CHECK(parse_rfc3339("9999-12-31T23:59:59+01:00") == at(9999, 12, 31, 22, 59, 59));
    CHECK(parse_rfc3339("0001-01-01T00:30:00+00:30") == at(1, 1, 1));
    CHECK(parse_rfc3339("0001-01-01T00:00:00-01:00") == at(1, 1, 1, 1));
}
