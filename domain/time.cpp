#include "domain/time.hpp"

#include <cstdint>
#include <cstdio>

namespace leads::domain {

namespace {

using std::chrono::days;
using std::chrono::milliseconds;

// Reads exactly `count` ASCII digits at text[pos].
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t count) {
    if (text.size() < pos + count) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

bool expect(std::string_view text, std::size_t pos, char c) { return pos < text.size() && text[pos] == c; }

// 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z.
constexpr Timestamp kFirstInstant{std::chrono::sys_days{std::chrono::year{1} / 1 / 1}};
constexpr Timestamp kLastInstant{std::chrono::sys_days{std::chrono::year{10000} / 1 / 1} - milliseconds{1}};

}  // namespace

std::string format_rfc3339(Timestamp instant) {
    const auto day = std::chrono::floor<days>(instant);
    const std::chrono::year_month_day date{day};
    const std::chrono::hh_mm_ss<milliseconds> time{instant - day};
    const int year = static_cast<int>(date.year());
    if (year < 0 || year > 9999) {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", year,
                      static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                      static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                      static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()));
        return buffer;
    }
    // Digits written in place: every response and log line formats instants, and snprintf
    // (its format string parsed each time) was ~7% of a list's CPU.
    std::string out = "0000-00-00T00:00:00.000Z";
    const auto put = [&out](std::size_t at, long long value, int width) {
        for (int i = width - 1; i >= 0; --i, value /= 10) {
            out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
        }
    };
    put(0, year, 4);
    put(5, static_cast<unsigned>(date.month()), 2);
    put(8, static_cast<unsigned>(date.day()), 2);
    put(11, time.hours().count(), 2);
    put(14, time.minutes().count(), 2);
    put(17, time.seconds().count(), 2);
    put(20, time.subseconds().count(), 3);
    return out;
}

std::optional<Timestamp> parse_rfc3339(std::string_view text) {
    // YYYY-MM-DDTHH:MM:SS
    const auto year = digits(text, 0, 4);
    const auto month = digits(text, 5, 2);
    const auto day = digits(text, 8, 2);
    const auto hour = digits(text, 11, 2);
    const auto minute = digits(text, 14, 2);
    const auto second = digits(text, 17, 2);
    if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
    if (!expect(text, 4, '-') || !expect(text, 7, '-') || !(expect(text, 10, 'T') || expect(text, 10, 't')) ||
        !expect(text, 13, ':') || !expect(text, 16, ':')) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                                           std::chrono::day{static_cast<unsigned>(*day)}};
    // ok() checks month range and days in month, including leap years. A leap second
    // (:60) is rejected: the stored instants have no way to represent it.
    if (*year < 1 || !date.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;

    std::size_t pos = 19;
    std::int64_t millis = 0;
    if (expect(text, pos, '.')) {
        ++pos;
        const std::size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            if (pos - start < 3) millis = millis * 10 + (text[pos] - '0');
            ++pos;
        }
        if (pos == start) return std::nullopt;
        for (std::size_t n = pos - start; n < 3; ++n) millis *= 10;  // ".5" is 500 ms
    }

    std::int64_t offset_minutes = 0;
    if (expect(text, pos, 'Z') || expect(text, pos, 'z')) {
        ++pos;
    } else if (expect(text, pos, '+') || expect(text, pos, '-')) {
        const int sign = text[pos] == '-' ? -1 : 1;
        const auto offset_hour = digits(text, pos + 1, 2);
        const auto offset_minute = digits(text, pos + 4, 2);
        if (!offset_hour || !offset_minute || !expect(text, pos + 3, ':') || *offset_hour > 23 || *offset_minute > 59) {
            return std::nullopt;
        }
        offset_minutes = sign * (*offset_hour * 60 + *offset_minute);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) return std::nullopt;

    const auto local = std::chrono::sys_days{date} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
                       std::chrono::seconds{*second} + milliseconds{millis};
    const Timestamp instant{local - std::chrono::minutes{offset_minutes}};
    // An offset may carry the instant out of the four-digit years format_rfc3339 writes.
    if (instant < kFirstInstant || instant > kLastInstant) return std::nullopt;
    return instant;
}

}  // namespace leads::domain
