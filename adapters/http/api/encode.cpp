#include "adapters/http/api/encode.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string_view>
#include <type_traits>

namespace leads::adapters::http::encode {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void string(Writer& w, std::string_view text) { w.String(text.data(), static_cast<rapidjson::SizeType>(text.size())); }

void key(Writer& w, std::string_view name) { w.Key(name.data(), static_cast<rapidjson::SizeType>(name.size())); }

void optional_string(Writer& w, const std::optional<std::string>& text) {
    if (text) {
        string(w, *text);
    } else {
        w.Null();
    }
}

void attributes(Writer& w, const domain::Attributes& values) {
    w.StartObject();
    for (const auto& [name, value] : values) {
        key(w, name);
        std::visit(
            [&w](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::string>) {
                    string(w, v);
                } else if constexpr (std::is_same_v<T, bool>) {
                    w.Bool(v);
                } else if constexpr (std::is_same_v<T, std::int64_t>) {
                    w.Int64(v);
                } else {
                    // The text attributes.<key> filters compare (shortest round-trip digits).
                    const std::string text = domain::attribute_text(domain::AttributeValue{v});
                    w.RawValue(text.data(), text.size(), rapidjson::kNumberType);
                }
            },
            value);
    }
    w.EndObject();
}

// The members of a lead (CONTRACT §3), inside an object the caller opened.
void lead_members(Writer& w, const domain::Lead& lead) {
    key(w, "id");
    string(w, lead.id.value());
    key(w, "workspace_slug");
    string(w, lead.workspace.value());
    key(w, "email");
    string(w, lead.email.value());
    key(w, "first_name");
    optional_string(w, lead.first_name);
    key(w, "last_name");
    optional_string(w, lead.last_name);
    key(w, "company");
    optional_string(w, lead.company);
    key(w, "status");
    string(w, domain::to_string(lead.status));
    key(w, "attributes");
    attributes(w, lead.attributes);
    key(w, "do_not_contact");
    w.Bool(lead.do_not_contact);
    key(w, "created_at");
    string(w, domain::format_rfc3339(lead.created_at));
    key(w, "updated_at");
    string(w, domain::format_rfc3339(lead.updated_at));
}

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

void activity_entry(Writer& w, const domain::Activity& entry) {
    w.StartObject();
    key(w, "id");
    string(w, entry.id.value());
    key(w, "type");
    string(w, domain::to_string(entry.type));
    key(w, "timestamp");
    string(w, domain::format_rfc3339(entry.timestamp));
    key(w, "campaign_id");
    optional_string(w, entry.campaign_id);
    key(w, "data");
    attributes(w, entry.data);
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

// {"success": true, "data": <body(w)>, ...tail(w)}
template <class Data, class Tail>
std::string envelope(Data&& data, Tail&& tail) {
    rapidjson::StringBuffer buffer;
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
        [&](Writer& w) {
            key(w, "pagination");
            w.StartObject();
            key(w, "total");
            w.Int64(list.total);
            key(w, "limit");
            w.Int64(list.limit);
            key(w, "has_more");
            w.Bool(list.has_more);
            key(w, "next_cursor");
            optional_string(w, next_cursor);
            w.EndObject();
        });
}

}  // namespace leads::adapters::http::encode
