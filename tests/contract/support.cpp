#include "tests/contract/support.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <variant>

#include "domain/text.hpp"
#include "tests/support/random.hpp"

namespace leads::tests::contract {

domain::WorkspaceSlug slug(std::string_view text) { return domain::WorkspaceSlug::parse("workspace", text).value(); }

domain::Email email(std::string_view text) { return domain::Email::parse(text).value(); }

domain::Timestamp at(std::int64_t millis_after_base) {
    // 2025-11-01T10:00:00.000Z
    return domain::Timestamp{std::chrono::milliseconds{1'761'991'200'000 + millis_after_base}};
}

domain::LeadId lead_id(domain::Timestamp time) { return domain::LeadId::generate(time, random_entropy()); }

domain::ActivityId activity_id(domain::Timestamp time) { return domain::ActivityId::generate(time, random_entropy()); }

domain::Lead new_lead(const domain::TenantId& tenant, std::string_view workspace, std::string_view address,
                      domain::Timestamp created_at) {
    return domain::Lead{.id = lead_id(created_at),
                        .tenant = tenant,
                        .workspace = slug(workspace),
                        .email = email(address),
                        .first_name = std::nullopt,
                        .last_name = std::nullopt,
                        .company = std::nullopt,
                        .status = domain::LeadStatus::New,
                        .attributes = {},
                        .created_at = created_at,
                        .updated_at = created_at,
                        .version = 1};
}

domain::Activity created_entry(const domain::Lead& lead) {
    return entry(lead, domain::ActivityType::LeadCreated, lead.created_at);
}

domain::Activity entry(const domain::Lead& lead, domain::ActivityType type, domain::Timestamp time,
                       domain::Attributes data, std::optional<std::string> campaign_id) {
    return domain::Activity{.id = activity_id(time),
                            .lead_id = lead.id,
                            .type = type,
                            .timestamp = time,
                            .campaign_id = std::move(campaign_id),
                            .data = std::move(data)};
}

domain::Timestamp now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

ports::IdempotencyRequest claim_request(const domain::TenantId& tenant, const std::string& key,
                                        const std::string& token, domain::Timestamp when,
                                        const std::string& fingerprint) {
    return ports::IdempotencyRequest{.tenant = tenant,
                                     .key = key,
                                     .fingerprint = fingerprint,
                                     .token = token,
                                     .now = when,
                                     .expires_at = when + std::chrono::hours(24),
                                     .stale_before = when - std::chrono::seconds(60)};
}

ports::EventQuery feed_of(const domain::TenantId& tenant, std::optional<std::int64_t> after, std::int64_t limit) {
    return ports::EventQuery{.tenant = tenant,
                             .after = after,
                             .limit = limit,
                             .types = {},
                             .workspace = std::nullopt,
                             .drop_before = at(-86'400'000)};
}

domain::Lead make_lead(const domain::TenantId& tenant, const domain::WorkspaceSlug& workspace, const LeadSpec& spec) {
    domain::LeadInput input;
    input.email = spec.email;
    input.first_name = spec.first_name;
    input.last_name = spec.last_name;
    input.company = spec.company;
    input.status = spec.status;
    input.attributes = spec.attributes;
    auto draft = domain::validate_lead(input);
    REQUIRE(draft.ok());
    const domain::Timestamp created = now();
    return domain::make_lead(std::move(draft).value(), lead_id(created), tenant, workspace, created);
}

domain::Lead add_lead(ports::LeadRepository& repository, const domain::TenantId& tenant,
                      const domain::WorkspaceSlug& workspace, const LeadSpec& spec) {
    auto lead = make_lead(tenant, workspace, spec);
    auto inserted = repository.insert(lead, created_entry(lead));
    INFO((inserted.ok() ? std::string() : describe(inserted.error())));
    REQUIRE(inserted.ok());
    return lead;
}

std::vector<std::string> emails(const ports::LeadPage& page) {
    std::vector<std::string> result;
    for (const auto& lead : page.items) result.push_back(lead.email.value());
    return result;
}

std::set<std::string> email_set(const ports::LeadPage& page) {
    auto list = emails(page);
    return {list.begin(), list.end()};
}

ports::LeadFilter filter_for(const domain::TenantId& tenant, const domain::WorkspaceSlug& workspace) {
    return ports::LeadFilter{tenant, workspace, std::nullopt, std::nullopt, 200, 0};
}

ports::LeadPage search(ports::LeadRepository& repository, const domain::TenantId& tenant,
                       const domain::WorkspaceSlug& workspace, std::string_view term) {
    auto filter = filter_for(tenant, workspace);
    filter.search = domain::fold_case(term);
    auto page = repository.list(filter);
    REQUIRE(page.ok());
    return std::move(page).value();
}

ports::LeadKey key_of(const domain::Lead& lead) { return ports::LeadKey{lead.tenant, lead.id, std::nullopt}; }

ports::LeadKey key_in(const domain::Lead& lead, std::string_view workspace) {
    return ports::LeadKey{lead.tenant, lead.id, slug(workspace)};
}

ports::LeadKey key_for(const domain::TenantId& tenant, const domain::Lead& lead) {
    return ports::LeadKey{tenant, lead.id, std::nullopt};
}

std::string describe(const domain::Attributes& attributes) {
    std::ostringstream out;
    out.precision(17);
    out << "{";
    const char* separator = "";
    for (const auto& [key, value] : attributes) {
        out << separator << key << ": ";
        separator = ", ";
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::string>) {
                    out << "string \"" << v << "\"";
                } else if constexpr (std::is_same_v<T, std::int64_t>) {
                    out << "int " << v;
                } else if constexpr (std::is_same_v<T, double>) {
                    out << "double " << v;
                } else {
                    out << "bool " << (v ? "true" : "false");
                }
            },
            value);
    }
    out << "}";
    return out.str();
}

std::string describe(const domain::Error& error) {
    std::ostringstream out;
    out << "kind " << static_cast<int>(error.kind) << ": " << error.message;
    for (const auto& issue : error.details) out << " [" << issue.field << ": " << issue.issue << "]";
    if (!error.existing_id.empty()) out << " existing " << error.existing_id;
    return out.str();
}

void check_same_lead(const domain::Lead& actual, const domain::Lead& expected) {
    INFO("lead " << expected.id.value());
    CHECK(actual.id.value() == expected.id.value());
    CHECK(actual.tenant.value() == expected.tenant.value());
    CHECK(actual.workspace.value() == expected.workspace.value());
    CHECK(actual.email.value() == expected.email.value());
    CHECK(actual.first_name == expected.first_name);
    CHECK(actual.last_name == expected.last_name);
    CHECK(actual.company == expected.company);
    CHECK(actual.status == expected.status);
    CHECK(describe(actual.attributes) == describe(expected.attributes));
    CHECK(actual.attributes == expected.attributes);
    CHECK(actual.created_at == expected.created_at);
    CHECK(actual.updated_at == expected.updated_at);
    CHECK(actual.version == expected.version);
}

void check_same_activity(const domain::Activity& actual, const domain::Activity& expected) {
    INFO("activity " << expected.id.value());
    CHECK(actual.id.value() == expected.id.value());
    CHECK(actual.lead_id.value() == expected.lead_id.value());
    CHECK(actual.type == expected.type);
    CHECK(actual.timestamp == expected.timestamp);
    CHECK(actual.campaign_id == expected.campaign_id);
    CHECK(describe(actual.data) == describe(expected.data));
    CHECK(actual.data == expected.data);
}

std::vector<std::string> ids_of(const std::vector<domain::Lead>& leads) {
    std::vector<std::string> ids;
    for (const auto& lead : leads) ids.push_back(lead.id.value());
    return ids;
}

std::vector<std::string> ids_of(const std::vector<domain::Activity>& activities) {
    std::vector<std::string> ids;
    for (const auto& activity : activities) ids.push_back(activity.id.value());
    return ids;
}

domain::Result<std::vector<domain::Activity>> no_change(domain::Lead&) { return std::vector<domain::Activity>{}; }

}  // namespace leads::tests::contract
