#include "adapters/wire/json_writer.hpp"

#include <type_traits>
#include <variant>

namespace leads::adapters::wire {

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

std::string event_data(const domain::ChangeEvent& event) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    w.StartObject();
    if (event.activity) {
        key(w, "activity");
        activity_entry(w, *event.activity);
    }
    if (event.type == domain::EventType::LeadUpdated) {
        key(w, "changed");
        w.StartArray();
        for (const std::string_view field : event.changed) string(w, field);
        w.EndArray();
    }
    if (event.from && event.to) {
        key(w, "from");
        string(w, domain::to_string(*event.from));
        key(w, "to");
        string(w, domain::to_string(*event.to));
    }
    if (event.lead) {
        key(w, "lead");
        w.StartObject();
        lead_members(w, *event.lead);
        w.EndObject();
    }
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

void event_object(Writer& w, const ports::StoredEvent& event) {
    w.StartObject();
    key(w, "id");
    string(w, event.id.value());
    key(w, "sequence");
    w.Int64(event.sequence);
    key(w, "type");
    string(w, domain::to_string(event.type));
    key(w, "timestamp");
    string(w, domain::format_rfc3339(event.timestamp));
    key(w, "workspace_slug");
    string(w, event.workspace.value());
    key(w, "lead_id");
    string(w, event.lead_id.value());
    key(w, "data");
    w.RawValue(event.data.data(), event.data.size(), rapidjson::kObjectType);
    w.EndObject();
}

std::string event_json(const ports::StoredEvent& event) {
    rapidjson::StringBuffer buffer;
    Writer w(buffer);
    event_object(w, event);
    return {buffer.GetString(), buffer.GetSize()};
}

std::vector<ports::StoredEvent> rendered_events(const std::vector<domain::ChangeEvent>& events) {
    // The zero id and time until stamp_events.
    static const domain::EventId unstamped = domain::EventId::generate(domain::Timestamp{}, domain::Entropy{});
    std::vector<ports::StoredEvent> rendered;
    rendered.reserve(events.size());
    for (const domain::ChangeEvent& event : events) {
        rendered.push_back(ports::StoredEvent{.id = unstamped,
                                              .sequence = 0,
                                              .type = event.type,
                                              .timestamp = domain::Timestamp{},
                                              .workspace = event.workspace,
                                              .lead_id = event.lead_id,
                                              .data = event_data(event)});
    }
    return rendered;
}

void stamp_events(std::vector<ports::StoredEvent>& events, domain::Timestamp at, ports::IdGenerator& ids) {
    for (ports::StoredEvent& event : events) {
        event.id = ids.new_event_id();
        event.timestamp = at;
    }
}

std::vector<ports::StoredEvent> stored_events(const std::vector<domain::ChangeEvent>& events, domain::Timestamp at,
                                              ports::IdGenerator& ids) {
    auto stored = rendered_events(events);
    stamp_events(stored, at, ids);
    return stored;
}

}  // namespace leads::adapters::wire
