#include "adapters/http/api/encode.hpp"

#include <string_view>

#include "adapters/wire/json_writer.hpp"

namespace leads::adapters::http::encode {
namespace {

using wire::activity_entry;
using wire::key;
using wire::lead_members;
using wire::optional_string;
using wire::string;
using wire::Writer;

void suppression_entry(Writer& w, const domain::Suppression& entry) {
    w.StartObject();
    key(w, "id");
    string(w, entry.id.value());
    key(w, "email_hash");
    string(w, entry.email_hash);
    key(w, "reason");
    string(w, domain::to_string(entry.reason));
    key(w, "created_at");
    string(w, domain::format_rfc3339(entry.created_at));
    w.EndObject();
}

// A page asked for by cursor has no offset: null.
void pagination(Writer& w, const ports::Page& page, const std::optional<std::string>& next_cursor) {
    key(w, "pagination");
    w.StartObject();
    key(w, "total");
    w.Int64(page.total);
    key(w, "limit");
    w.Int64(page.limit);
    key(w, "offset");
    if (page.by_cursor) {
        w.Null();
    } else {
        w.Int64(page.offset);
    }
    key(w, "has_more");
    w.Bool(page.has_more);
    key(w, "next_cursor");
    optional_string(w, next_cursor);
    w.EndObject();
}

// "pagination" of a list walked by cursor only: {["total",] "limit", "has_more", "next_cursor"}.
void cursor_pagination(Writer& w, std::optional<std::int64_t> total, std::int64_t limit, bool has_more,
                       const std::optional<std::string>& next_cursor) {
    key(w, "pagination");
    w.StartObject();
    if (total) {
        key(w, "total");
        w.Int64(*total);
    }
    key(w, "limit");
    w.Int64(limit);
    key(w, "has_more");
    w.Bool(has_more);
    key(w, "next_cursor");
    optional_string(w, next_cursor);
    w.EndObject();
}

// {"success": true, "data": <body(w)>, ...tail(w)}
template <class Data, class Tail>
std::string envelope(Data&& data, Tail&& tail) {
    // A lead with its entries fits without growing (RapidJSON's default is 256 bytes).
    rapidjson::StringBuffer buffer(nullptr, 4096);
    Writer w(buffer);
    w.StartObject();
    key(w, "success");
    w.Bool(true);
    key(w, "data");
    data(w);
    tail(w);
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

constexpr auto kNoTail = [](Writer&) {};

// {"success": true, "data": [item...], "pagination": {...}}
template <class Items, class WriteItem>
std::string page_envelope(const Items& items, const ports::Page& page, const std::optional<std::string>& next_cursor,
                          WriteItem&& write_item) {
    return envelope(
        [&](Writer& w) {
            w.StartArray();
            for (const auto& item : items) write_item(w, item);
            w.EndArray();
        },
        [&](Writer& w) { pagination(w, page, next_cursor); });
}

}  // namespace

std::string lead_details(const ports::LeadDetails& details) {
    return envelope(
        [&](Writer& w) {
            w.StartObject();
            lead_members(w, details.lead);
            key(w, "activity");
            w.StartArray();
            for (const auto& entry : details.activity) activity_entry(w, entry);
            w.EndArray();
            key(w, "activity_total");
            w.Int64(details.activity_total);
            w.EndObject();
        },
        kNoTail);
}

std::string lead_list(const ports::LeadList& list, const std::optional<std::string>& next_cursor) {
    return page_envelope(list.items, list.page, next_cursor, [](Writer& w, const domain::Lead& lead) {
        w.StartObject();
        lead_members(w, lead);
        w.EndObject();
    });
}

std::string activity(const domain::Activity& entry) {
    return envelope([&](Writer& w) { activity_entry(w, entry); }, kNoTail);
}

std::string activity_list(const ports::ActivityList& list, const std::optional<std::string>& next_cursor) {
    return page_envelope(list.items, list.page, next_cursor, activity_entry);
}

std::string import_summary(const ports::ImportSummary& summary) {
    return envelope(
        [&](Writer& w) {
            w.StartObject();
            key(w, "created");
            w.Int64(summary.created);
            key(w, "updated");
            w.Int64(summary.updated);
            key(w, "skipped");
            w.Int64(summary.skipped);
            key(w, "errors");
            w.StartArray();
            for (const auto& error : summary.errors) {
                w.StartObject();
                key(w, "index");
                w.Uint64(error.index);
                key(w, "field");
                string(w, error.field);
                key(w, "issue");
                string(w, error.issue);
                w.EndObject();
            }
            w.EndArray();
            w.EndObject();
        },
        kNoTail);
}

std::string suppression(const domain::Suppression& entry) {
    return envelope([&](Writer& w) { suppression_entry(w, entry); }, kNoTail);
}

std::string suppression_list(const ports::SuppressionList& list, const std::optional<std::string>& next_cursor) {
    return envelope(
        [&](Writer& w) {
            w.StartArray();
            for (const auto& entry : list.items) suppression_entry(w, entry);
            w.EndArray();
        },
        [&](Writer& w) { cursor_pagination(w, list.total, list.limit, list.has_more, next_cursor); });
}

std::string event_feed(const ports::EventFeed& feed) {
    return envelope(
        [&](Writer& w) {
            w.StartArray();
            for (const auto& event : feed.items) wire::event_object(w, event);
            w.EndArray();
        },
        [&](Writer& w) {
            key(w, "pagination");
            w.StartObject();
            key(w, "next_after");
            w.Int64(feed.next_after);
            key(w, "has_more");
            w.Bool(feed.has_more);
            w.EndObject();
        });
}

namespace {

void webhook_object(Writer& w, const ports::Webhook& webhook, bool with_secret) {
    w.StartObject();
    key(w, "id");
    string(w, webhook.id.value());
    key(w, "url");
    string(w, webhook.url);
    key(w, "event_types");
    w.StartArray();
    for (const auto type : webhook.event_types) string(w, domain::to_string(type));
    w.EndArray();
    key(w, "description");
    optional_string(w, webhook.description);
    key(w, "enabled");
    w.Bool(webhook.enabled);
    key(w, "created_at");
    string(w, domain::format_rfc3339(webhook.created_at));
    key(w, "updated_at");
    string(w, domain::format_rfc3339(webhook.updated_at));
    if (with_secret) {
        key(w, "secret");
        string(w, webhook.secret);
    }
    w.EndObject();
}

void delivery_object(Writer& w, const ports::WebhookDelivery& delivery) {
    w.StartObject();
    key(w, "event_id");
    string(w, delivery.event_id.value());
    key(w, "sequence");
    w.Int64(delivery.sequence);
    key(w, "state");
    string(w, domain::to_string(delivery.state));
    key(w, "attempts");
    w.Int(delivery.attempts);
    key(w, "last_status_code");
    if (delivery.last_status_code) {
        w.Int(*delivery.last_status_code);
    } else {
        w.Null();
    }
    key(w, "last_error");
    optional_string(w, delivery.last_error);
    key(w, "next_attempt_at");
    if (delivery.next_attempt_at) {
        string(w, domain::format_rfc3339(*delivery.next_attempt_at));
    } else {
        w.Null();
    }
    key(w, "created_at");
    string(w, domain::format_rfc3339(delivery.created_at));
    key(w, "updated_at");
    string(w, domain::format_rfc3339(delivery.updated_at));
    w.EndObject();
}

}  // namespace

std::string webhook(const ports::Webhook& webhook, bool with_secret) {
    return envelope([&](Writer& w) { webhook_object(w, webhook, with_secret); }, kNoTail);
}

std::string webhook_list(const std::vector<ports::Webhook>& webhooks) {
    return envelope(
        [&](Writer& w) {
            w.StartArray();
            for (const auto& webhook : webhooks) webhook_object(w, webhook, false);
            w.EndArray();
        },
        kNoTail);
}

std::string delivery_list(const ports::DeliveryList& list, const std::optional<std::string>& next_cursor) {
    return envelope(
        [&](Writer& w) {
            w.StartArray();
            for (const auto& delivery : list.items) delivery_object(w, delivery);
            w.EndArray();
        },
        [&](Writer& w) { cursor_pagination(w, std::nullopt, list.limit, list.has_more, next_cursor); });
}

}  // namespace leads::adapters::http::encode
