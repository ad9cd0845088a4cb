#include "adapters/http/api/decode.hpp"

#include <string>

#include "adapters/http/text.hpp"

namespace leads::adapters::http::decode {
namespace {

using domain::FieldIssue;
using Issues = std::vector<FieldIssue>;

constexpr std::string_view kRequired = "is required";
constexpr std::string_view kString = "must be a string";
constexpr std::string_view kStringOrNull = "must be a string or null";
constexpr std::string_view kObject = "must be an object";
constexpr std::string_view kUnknown = "unknown field";

std::string joined(std::string_view prefix, std::string_view key) { return std::string(prefix) + "." + echo_name(key); }

void add(Issues& issues, std::string field, std::string_view issue) {
    issues.push_back({std::move(field), std::string(issue)});
}

// A required string.
void read_string(const json::Value& value, std::string_view field, std::string& out, Issues& issues) {
    if (const auto* s = value.as_string()) {
        out.assign(*s);
    } else {
        add(issues, std::string(field), kString);
    }
}

// An optional string in a POST body: null is the same as leaving the field out.
void read_optional_string(const json::Value& value, std::string_view field, std::optional<std::string>& out,
                          Issues& issues) {
    if (const auto* s = value.as_string()) {
        out = std::string(*s);
    } else if (!value.is_null()) {
        add(issues, std::string(field), kStringOrNull);
    }
}

std::optional<domain::AttributeValue> attribute_value(const json::Value& value) {
    if (const auto* s = value.as_string()) return domain::AttributeValue{std::string(*s)};
    if (const auto* i = value.as_int()) return domain::AttributeValue{*i};
    if (const auto* d = value.as_double()) return domain::AttributeValue{*d};
    if (const auto* b = value.as_bool()) return domain::AttributeValue{*b};
    return std::nullopt;
}

// A flat object of strings, numbers and booleans (attributes, activity data). Null in a
// POST body means {}. Over the key limit it is refused whole, so a hostile object costs one
// issue, not one per entry.
void read_attributes(const json::Value& value, std::string_view field, domain::Attributes& out, Issues& issues) {
    if (value.is_null()) return;
    const auto* object = value.as_object();
    if (object == nullptr) {
        add(issues, std::string(field), kObject);
        return;
    }
    if (object->size() > domain::kMaxAttributeKeys) {
        add(issues, std::string(field), "must have at most " + std::to_string(domain::kMaxAttributeKeys) + " keys");
        return;
    }
    for (const auto& [key, item] : *object) {
        if (auto converted = attribute_value(item)) {
            out.insert_or_assign(std::string(key), std::move(*converted));
        } else {
            add(issues, joined(field, key), "must be a string, number or boolean");
        }
    }
}

// PATCH attributes: a JSON Merge Patch of the flat object, null removing a key.
void read_attribute_patch(const json::Value& value, std::string_view field, std::optional<domain::AttributePatch>& out,
                          Issues& issues) {
    const auto* object = value.as_object();
    if (object == nullptr) {
        add(issues, std::string(field), kObject);
        return;
    }
    domain::AttributePatch patch;
    for (const auto& [key, item] : *object) {
        if (item.is_null()) {
            patch.insert_or_assign(std::string(key), std::nullopt);
        } else if (auto converted = attribute_value(item)) {
            patch.insert_or_assign(std::string(key), std::move(*converted));
        } else {
            add(issues, joined(field, key), "must be a string, number, boolean or null");
        }
    }
    out = std::move(patch);
}

// The lead fields of a create body (and of an import row); false when the name is not one.
bool read_lead_field(std::string_view key, const json::Value& value, domain::LeadInput& lead, bool& has_email,
                     Issues& issues) {
    if (key == "email") {
        has_email = true;
        read_string(value, key, lead.email, issues);
    } else if (key == "first_name") {
        read_optional_string(value, key, lead.first_name, issues);
    } else if (key == "last_name") {
        read_optional_string(value, key, lead.last_name, issues);
    } else if (key == "company") {
        read_optional_string(value, key, lead.company, issues);
    } else if (key == "status") {
        read_optional_string(value, key, lead.status, issues);
    } else if (key == "attributes") {
        read_attributes(value, key, lead.attributes, issues);
    } else {
        return false;
    }
    return true;
}

void decode_row(const json::Value& value, ports::ImportRow& row) {
    const auto* object = value.as_object();
    if (object == nullptr) {
        add(row.decode_issues, "", kObject);
        return;
    }
    // The summary lists a row's first kMaxRowErrors problems only, so reading stops once
    // they are found: a row of a million unknown fields never holds a million issues.
    const auto full = [&] { return row.decode_issues.size() >= ports::kMaxRowErrors; };
    bool has_email = false;
    for (const auto& [key, item] : *object) {
        if (full()) break;
        if (!read_lead_field(key, item, row.lead, has_email, row.decode_issues)) {
            add(row.decode_issues, echo_name(key), kUnknown);
        }
    }
    if (!has_email && !full()) add(row.decode_issues, "email", kRequired);
    if (full()) row.decode_issues.resize(ports::kMaxRowErrors);
}

// A name or company in PATCH: a string sets it, null clears it.
void read_nullable(const json::Value& value, std::string_view field, std::optional<std::optional<std::string>>& out,
                   Issues& issues) {
    if (const auto* s = value.as_string()) {
        out = std::optional<std::string>(std::string(*s));
    } else if (value.is_null()) {
        out = std::optional<std::string>();
    } else {
        add(issues, std::string(field), kStringOrNull);
    }
}

// email and status in PATCH: a string; null cannot clear them.
void read_patch_string(const json::Value& value, std::string_view field, std::optional<std::string>& out,
                       Issues& issues) {
    if (const auto* s = value.as_string()) {
        out = std::string(*s);
    } else {
        add(issues, std::string(field), value.is_null() ? "must be a string (it cannot be cleared)" : kString);
    }
}

}  // namespace

json::Limits body_limits() { return json::Limits{32, 100'000}; }

json::Limits import_limits() {
    // 10,000 rows of a few fields and up to 64 attributes each stay well below this.
    return json::Limits{32, 2'000'000};
}

ObjectBody parse_object(std::string_view body, const json::Limits& limits) {
    json::ParseResult parsed = json::parse(body, limits);
    ObjectBody result;
    if (!parsed.document) {
        result.error = std::move(parsed.error);
        return result;
    }
    result.object = parsed.document->root().as_object();
    if (result.object == nullptr) {
        result.error = "The request body must be a JSON object, not " +
                       std::string(json::type_name(parsed.document->root())) + ".";
    }
    result.document = std::move(parsed.document);
    return result;
}

Issues create_lead(const json::Object& body, ports::CreateLeadCommand& command) {
    Issues issues;
    bool has_workspace = false;
    bool has_email = false;
    for (const auto& [key, value] : body) {
        if (key == "workspace_slug") {
            has_workspace = true;
            read_string(value, key, command.workspace_slug, issues);
        } else if (!read_lead_field(key, value, command.lead, has_email, issues)) {
            add(issues, echo_name(key), kUnknown);
        }
    }
    if (!has_workspace) add(issues, "workspace_slug", kRequired);
    if (!has_email) add(issues, "email", kRequired);
    return issues;
}

Issues add_suppression(const json::Object& body, ports::AddSuppressionCommand& command) {
    Issues issues;
    bool has_email = false;
    for (const auto& [key, value] : body) {
        if (key == "email") {
            has_email = true;
            read_string(value, key, command.email, issues);
        } else if (key == "reason") {
            read_optional_string(value, key, command.reason, issues);
        } else {
            add(issues, echo_name(key), kUnknown);
        }
    }
    if (!has_email) add(issues, "email", kRequired);
    return issues;
}

namespace {

// An array of strings (event_types).
void read_string_list(const json::Value& value, std::string_view field, std::optional<std::vector<std::string>>& out,
                      Issues& issues) {
    const auto* array = value.as_array();
    if (array == nullptr) {
        add(issues, std::string(field), "must be an array of strings");
        return;
    }
    std::vector<std::string> items;
    for (const auto& item : *array) {
        const auto* text = item.as_string();
        if (text == nullptr) {
            add(issues, std::string(field), "must be an array of strings");
            return;
        }
        items.emplace_back(*text);
    }
    out = std::move(items);
}

}  // namespace

Issues create_webhook(const json::Object& body, ports::CreateWebhookCommand& command) {
    Issues issues;
    bool has_url = false;
    for (const auto& [key, value] : body) {
        if (key == "url") {
            has_url = true;
            read_string(value, key, command.url, issues);
        } else if (key == "event_types") {
            if (!value.is_null()) read_string_list(value, key, command.event_types, issues);
        } else if (key == "description") {
            read_optional_string(value, key, command.description, issues);
        } else {
            add(issues, echo_name(key), kUnknown);
        }
    }
    if (!has_url) add(issues, "url", kRequired);
    return issues;
}

Issues update_webhook(const json::Object& body, ports::UpdateWebhookCommand& command) {
    Issues issues;
    for (const auto& [key, value] : body) {
        if (key == "url") {
            read_patch_string(value, key, command.url, issues);
        } else if (key == "event_types") {
            read_string_list(value, key, command.event_types, issues);
        } else if (key == "description") {
            read_nullable(value, key, command.description, issues);
        } else if (key == "enabled") {
            if (const auto* flag = value.as_bool()) {
                command.enabled = *flag;
            } else {
                add(issues, "enabled", "must be true or false");
            }
        } else {
            add(issues, echo_name(key), kUnknown);
        }
    }
    return issues;
}

Issues update_lead(const json::Object& body, ports::UpdateLeadCommand& command) {
    Issues issues;
    domain::LeadChangesInput& changes = command.changes;
    for (const auto& [key, value] : body) {
        if (key == "email") {
            read_patch_string(value, key, changes.email, issues);
        } else if (key == "first_name") {
            read_nullable(value, key, changes.first_name, issues);
        } else if (key == "last_name") {
            read_nullable(value, key, changes.last_name, issues);
        } else if (key == "company") {
            read_nullable(value, key, changes.company, issues);
        } else if (key == "status") {
            read_patch_string(value, key, changes.status, issues);
        } else if (key == "attributes") {
            read_attribute_patch(value, key, changes.attributes, issues);
        } else {
            add(issues, echo_name(key), kUnknown);
        }
    }
    return issues;
}

Issues record_activity(const json::Object& body, ports::RecordActivityCommand& command) {
    Issues issues;
    bool has_type = false;
    for (const auto& [key, value] : body) {
        if (key == "type") {
            has_type = true;
            read_string(value, key, command.type, issues);
        } else if (key == "campaign_id") {
            read_optional_string(value, key, command.campaign_id, issues);
        } else if (key == "timestamp") {
            read_optional_string(value, key, command.timestamp, issues);
        } else if (key == "data") {
            read_attributes(value, key, command.data, issues);
        } else {
            add(issues, echo_name(key), kUnknown);
        }
    }
    if (!has_type) add(issues, "type", kRequired);
    return issues;
}

Issues import_leads(const json::Object& body, ports::ImportCommand& command) {
    Issues issues;
    bool has_workspace = false;
    const json::Array* leads = nullptr;
    bool has_leads = false;
    for (const auto& [key, value] : body) {
        if (key == "workspace_slug") {
            has_workspace = true;
            read_string(value, key, command.workspace_slug, issues);
        } else if (key == "on_duplicate") {
            read_optional_string(value, key, command.on_duplicate, issues);
        } else if (key == "leads") {
            has_leads = true;
            leads = value.as_array();
            // The row cap is the use case's rule (LeadService); the body limit bounds the work here.
            if (leads == nullptr) add(issues, "leads", "must be an array");
        } else {
            add(issues, echo_name(key), kUnknown);
        }
    }
    if (!has_workspace) add(issues, "workspace_slug", kRequired);
    if (!has_leads) add(issues, "leads", kRequired);
    if (!issues.empty() || leads == nullptr) return issues;

    command.rows.resize(leads->size());
    for (std::size_t i = 0; i < leads->size(); ++i) decode_row((*leads)[i], command.rows[i]);
    return issues;
}

}  // namespace leads::adapters::http::decode
