#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/memory/in_memory_lead_repository.hpp"
#include "application/lead_service.hpp"
#include "application/suppression_service.hpp"
#include "tests/support/switchable_repository.hpp"
#include "tests/unit/application/fakes.hpp"

// What the use-case tests share: LeadService over the in-memory repository (behind a
// switch that can fail every call), a settable clock, predictable ids, and checks.
namespace leads::service_tests {

using domain::Activity;
using domain::ActivityType;
using domain::Attributes;
using domain::Error;
using domain::ErrorKind;
using domain::Lead;
using domain::LeadStatus;
using domain::Result;
using domain::TenantId;
using namespace std::chrono_literals;

using tests::SwitchableRepository;

struct Fixture {
    adapters::memory::InMemoryLeadRepository memory;
    SwitchableRepository repository{memory};
    tests::FakeClock clock;
    tests::SequentialIds ids;
    app::LeadService service{repository, clock, ids};
    app::SuppressionService suppressions{repository, clock, ids};
    TenantId tenant = tests::random_tenant();
    TenantId other_tenant = tests::random_tenant();

    ports::LeadDetails create(const std::string& email, const std::string& workspace = "acme",
                              domain::LeadInput input = {}) {
        return create_for(tenant, email, workspace, std::move(input));
    }

    ports::LeadDetails create_for(const TenantId& owner, const std::string& email, const std::string& workspace,
                                  domain::LeadInput input = {}) {
        input.email = email;
        auto created = service.create({owner, workspace, std::move(input)});
        if (!created) FAIL("create failed: " << created.error().message);
        return std::move(created).value();
    }

    ports::LeadRef ref(const Lead& lead, std::optional<std::string> workspace = std::nullopt) const {
        return ports::LeadRef{tenant, lead.id.value(), std::move(workspace)};
    }

    Lead stored(const Lead& lead) {
        auto found = memory.find(ports::LeadKey{lead.tenant, lead.id, std::nullopt});
        if (!found) FAIL("lead is gone");
        return std::move(found).value();
    }

    std::vector<Activity> history(const Lead& lead) {
        auto page = memory.activities(ports::LeadKey{lead.tenant, lead.id, std::nullopt}, 1000, 0, std::nullopt);
        if (!page) FAIL("activities failed");
        return std::move(page->items);
    }

    ports::UpdateLeadCommand update_of(const Lead& lead, domain::LeadChangesInput changes,
                                       std::optional<ports::VersionCondition> expected = std::nullopt) const {
        return ports::UpdateLeadCommand{ref(lead), std::move(expected), std::move(changes)};
    }

    ports::RecordActivityCommand activity_of(const Lead& lead, std::string type) const {
        ports::RecordActivityCommand command{ref(lead), std::move(type), std::nullopt, std::nullopt, {}};
        return command;
    }
};

template <class T>
inline Error error_of(const Result<T>& result) {
    REQUIRE_FALSE(result.ok());
    return result.error();
}

inline bool names_field(const Error& error, const std::string& field) {
    return std::any_of(error.details.begin(), error.details.end(), [&](const domain::FieldIssue& issue) {
        return issue.field == field || issue.field.rfind(field + ".", 0) == 0;
    });
}

inline std::string issue_of(const Error& error, const std::string& field) {
    for (const auto& issue : error.details) {
        if (issue.field == field) return issue.issue;
    }
    return {};
}

inline void require_validation(const Error& error, std::initializer_list<std::string> fields) {
    INFO("message: " << error.message);
    REQUIRE(error.kind == ErrorKind::Validation);
    for (const auto& field : fields) {
        INFO("field " << field);
        CHECK(names_field(error, field));
    }
}

inline domain::LeadInput email_only(std::string email) {
    domain::LeadInput input;
    input.email = std::move(email);
    return input;
}

inline domain::LeadInput named(std::string first_name) {
    domain::LeadInput input;
    input.first_name = std::move(first_name);
    return input;
}

inline domain::Timestamp at(const char* text) { return *domain::parse_rfc3339(text); }

inline Attributes many_attributes(std::size_t count) {
    Attributes attributes;
    for (std::size_t i = 0; i < count; ++i) attributes.emplace("k" + std::to_string(i), std::int64_t{1});
    return attributes;
}

}  // namespace leads::service_tests
