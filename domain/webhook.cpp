#include "domain/webhook.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace leads::domain {

namespace {

constexpr std::string_view kEventTypeNames[] = {"lead.created", "activity.recorded", "lead.updated",
                                                "lead.status_changed", "lead.deleted"};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (lower(text[i]) != prefix[i]) return false;
    }
    return true;
}

}  // namespace

std::string_view to_string(EventType type) { return kEventTypeNames[static_cast<std::size_t>(type)]; }

std::vector<std::string_view> changed_fields(const Lead& before, const Lead& after) {
    std::vector<std::string_view> changed;
    if (before.email.value() != after.email.value()) changed.emplace_back("email");
    if (before.first_name != after.first_name) changed.emplace_back("first_name");
    if (before.last_name != after.last_name) changed.emplace_back("last_name");
    if (before.company != after.company) changed.emplace_back("company");
    if (before.status != after.status) changed.emplace_back("status");
    if (before.attributes != after.attributes) changed.emplace_back("attributes");
    return changed;
}

std::optional<EventType> parse_event_type(std::string_view text) {
    for (std::size_t i = 0; i < std::size(kEventTypeNames); ++i) {
        if (kEventTypeNames[i] == text) return static_cast<EventType>(i);
    }
    return std::nullopt;
}

Result<WebhookUrl> WebhookUrl::parse(std::string_view field, std::string_view text) {
    const auto invalid = [&](std::string issue) { return Error::validation(std::string(field), std::move(issue)); };
    if (text.empty()) return invalid("must be an http or https URL");
    if (text.size() > kMaxWebhookUrlLength) return invalid("must be at most 2048 characters");
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7F) return invalid("must not contain spaces or control characters");
    }
    WebhookUrl url;
    std::size_t rest = 0;
    if (iequals_prefix(text, "https://")) {
        rest = 8;
    } else if (iequals_prefix(text, "http://")) {
        url.https_ = false;
        url.port_ = 80;
        rest = 7;
    } else {
        return invalid("must be an http or https URL");
    }
    const std::string_view after = text.substr(rest);
    const std::string_view authority = after.substr(0, after.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos) return invalid("must not contain user info");
    std::string_view host = authority;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return invalid("has an unterminated IPv6 address");
        host = authority.substr(0, close + 1);
        const std::string_view tail = authority.substr(close + 1);
        if (!tail.empty()) {
            if (tail.front() != ':') return invalid("has text after its IPv6 address");
            port = tail.substr(1);
        }
    } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    }
    if (host.empty() || host == "[]") return invalid("must name a host");
    if (host.front() != '[' && host.find(':') != std::string_view::npos) {
        return invalid("must write an IPv6 address in brackets");
    }
    if (!port.empty() || authority.ends_with(':')) {
        unsigned value = 0;
        const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (error != std::errc{} || end != port.data() + port.size() || value < 1 || value > 65535) {
            return invalid("has a port that is not a number from 1 to 65535");
        }
        url.port_ = value;
    }
    url.host_.reserve(host.size());
    for (const char c : host) url.host_.push_back(lower(c));
    url.value_ = std::string(url.https_ ? "https://" : "http://") + std::string(after);
    return url;
}

std::optional<std::vector<std::chrono::seconds>> parse_retry_schedule(std::string_view text) {
    std::vector<std::chrono::seconds> delays;
    while (true) {
        const std::size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.size() < 2) return std::nullopt;
        long long amount = 0;
        const auto [end, error] = std::from_chars(item.data(), item.data() + item.size() - 1, amount);
        if (error != std::errc{} || end != item.data() + item.size() - 1 || amount <= 0) return std::nullopt;
        const char unit = item.back();
        const long long scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
        if (scale == 0 || amount > 7 * 24 * 3600 / scale) return std::nullopt;  // a week at most
        delays.emplace_back(amount * scale);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return delays;
}

std::chrono::milliseconds retry_delay(std::chrono::seconds scheduled, double jitter,
                                      std::optional<std::chrono::seconds> retry_after) {
    const double fraction = std::isfinite(jitter) ? std::clamp(jitter, -1.0, 1.0) : 0.0;
    const auto moved = std::chrono::milliseconds(
        std::llround(static_cast<double>(scheduled.count()) * 1000.0 * (1.0 + 0.1 * fraction)));
    if (!retry_after) return moved;
    return std::max(moved, std::chrono::duration_cast<std::chrono::milliseconds>(*retry_after));
}

std::string_view to_string(DeliveryState state) {
    switch (state) {
        case DeliveryState::Pending:
            return "pending";
        case DeliveryState::Succeeded:
            return "succeeded";
        case DeliveryState::Failed:
            break;
    }
    return "failed";
}

DeliveryStep next_delivery_step(std::optional<int> status, std::optional<std::chrono::seconds> retry_after,
                                int attempts, const std::vector<std::chrono::seconds>& schedule, double jitter) {
    if (status && *status >= 200 && *status <= 299) return {DeliveryState::Succeeded, false, std::nullopt};
    if (status && *status == 410) return {DeliveryState::Failed, true, std::nullopt};
    // After the first attempt comes schedule[0]; after the last delay's attempt, failure.
    if (attempts < 1 || static_cast<std::size_t>(attempts) > schedule.size()) {
        return {DeliveryState::Failed, false, std::nullopt};
    }
    return {DeliveryState::Pending, false,
            retry_delay(schedule[static_cast<std::size_t>(attempts) - 1], jitter, retry_after)};
}

}  // namespace leads::domain
