#include "tests/persistence/support.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <random>

namespace leads::tests::persistence {

namespace {

std::mutex random_mutex;
std::mt19937_64 random_engine{std::random_device{}()};

domain::Entropy entropy() {
    std::lock_guard lock(random_mutex);
    domain::Entropy bytes{};
    for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random_engine());
    return bytes;
}

}  // namespace

void reseed_random() {
    std::lock_guard lock(random_mutex);
    random_engine.seed(std::random_device{}());
}

domain::TenantId random_tenant() {
    static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string text = "t-";
    std::lock_guard lock(random_mutex);
    for (int i = 0; i < 16; ++i) text += kChars[random_engine() % (sizeof(kChars) - 1)];
    return *domain::TenantId::parse(text);
}

domain::WorkspaceSlug slug(const std::string& text) { return domain::WorkspaceSlug::parse("workspace", text).value(); }

domain::Timestamp now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

domain::LeadId new_lead_id() { return domain::LeadId::generate(now(), entropy()); }

domain::ActivityId new_activity_id() { return domain::ActivityId::generate(now(), entropy()); }

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
    return domain::make_lead(std::move(draft).value(), new_lead_id(), tenant, workspace, now());
}

domain::Activity created_entry(const domain::Lead& lead) {
    return domain::Activity{
        .id = new_activity_id(),
        .lead_id = lead.id,
        .type = domain::ActivityType::LeadCreated,
        .timestamp = lead.created_at,
        .campaign_id = std::nullopt,
        .data = {},
    };
}

domain::Lead add_lead(ports::LeadRepository& repository, const domain::TenantId& tenant,
                      const domain::WorkspaceSlug& workspace, const LeadSpec& spec) {
    auto lead = make_lead(tenant, workspace, spec);
    auto inserted = repository.insert(lead, created_entry(lead));
    INFO((inserted.ok() ? std::string() : inserted.error().message));
    REQUIRE(inserted.ok());
    return lead;
}

ports::LeadKey key_of(const domain::Lead& lead) { return ports::LeadKey{lead.tenant, lead.id, std::nullopt}; }

std::vector<std::string> emails(const ports::LeadPage& page) {
    std::vector<std::string> result;
    for (const auto& lead : page.items) result.push_back(lead.email.value());
    return result;
}

}  // namespace leads::tests::persistence
