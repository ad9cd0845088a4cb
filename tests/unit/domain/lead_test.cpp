#include "domain/lead.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <limits>
#include <string>

#include "tests/support/text.hpp"

using namespace leads::domain;
using namespace std::chrono;

namespace {

using leads::tests::repeat;

Timestamp ms(std::int64_t value) { return Timestamp{milliseconds{value}}; }

const Timestamp kCreated = ms(1'700'000'000'000);
const Timestamp kLater = ms(1'700'000'100'000);

LeadDraft draft_of(LeadInput input) {
    auto draft = validate_lead(input);
    REQUIRE(draft.ok());
    return std::move(draft).value();
}

Lead sample_lead() {
    LeadInput input;
    input.email = " Jane@Example.com ";
    input.first_name = "Jane";
    input.last_name = "Smith";
    input.company = "Tech Corp";
    input.attributes = {{"title", std::string("CEO")}};
    return make_lead(draft_of(input), LeadId::generate(kCreated, Entropy{}), *TenantId::parse("t1"),
                     WorkspaceSlug::parse("workspace_slug", "acme").value(), kCreated);
}

LeadChanges changes_of(const LeadChangesInput& input) {
    auto changes = validate_changes(input);
    REQUIRE(changes.ok());
    return std::move(changes).value();
}

bool has_field(const Error& error, std::string_view field) {
    return std::any_of(error.details.begin(), error.details.end(),
                       [&](const FieldIssue& issue) { return issue.field == field; });
}

}  // namespace

TEST_CASE("validate_lead normalises a valid input") {
    LeadInput input;
    input.email = "  JANE@example.COM";
    input.first_name = "  Zoë ";
    input.last_name = "   ";
    input.company = repeat("公", 200);
    input.status = "replied";
    auto draft = validate_lead(input);
    REQUIRE(draft.ok());
    CHECK(draft->email.value() == "jane@example.com");
    CHECK(draft->first_name == std::optional<std::string>("Zoë"));
    CHECK_FALSE(draft->last_name.has_value());
    CHECK(draft->company == std::optional<std::string>(repeat("公", 200)));
    CHECK(draft->status == LeadStatus::Replied);

    LeadInput minimal;
    minimal.email = "a@b.co";
    auto bare = validate_lead(minimal);
    REQUIRE(bare.ok());
    CHECK_FALSE(bare->status.has_value());
    CHECK_FALSE(bare->first_name.has_value());
}

TEST_CASE("validate_lead reports every issue") {
    LeadInput input;
    input.email = "not-an-email";
    input.first_name = repeat("é", 101);
    input.last_name = "a\x01";
    input.company = repeat("x", 201);
    input.status = "lost";
    input.attributes = {{"1bad", true}};
    auto result = validate_lead(input);
    REQUIRE_FALSE(result.ok());
    const auto& error = result.error();
    CHECK(error.kind == ErrorKind::Validation);
    CHECK(error.message == "The request is not valid.");
    CHECK(error.details.size() == 6);
    for (auto field : {"email", "first_name", "last_name", "company", "status", "attributes.1bad"}) {
        INFO(field);
        CHECK(has_field(error, field));
    }
    CHECK(std::find(error.details.begin(), error.details.end(),
                    FieldIssue{"status", "must be one of new, contacted, replied, converted"}) != error.details.end());
    CHECK(std::find(error.details.begin(), error.details.end(),
                    FieldIssue{"company", "must be at most 200 characters"}) != error.details.end());
}

TEST_CASE("name and company lengths count code points") {
    for (auto [field, limit] : {std::pair{"first_name", kMaxNameLength}, std::pair{"last_name", kMaxNameLength},
                                std::pair{"company", kMaxCompanyLength}}) {
        INFO(field);
        auto with = [&](std::string value) {
            LeadInput input;
            input.email = "a@b.co";
            std::string_view name = field;
            if (name == "first_name") input.first_name = value;
            if (name == "last_name") input.last_name = value;
            if (name == "company") input.company = value;
            return validate_lead(input);
        };
        CHECK(with(repeat("ж", limit)).ok());
        CHECK(with(repeat("\xF0\x9F\x98\x80", limit)).ok());
        auto over = with(repeat("ж", limit + 1));
        REQUIRE_FALSE(over.ok());
        CHECK(has_field(over.error(), field));
    }
}

TEST_CASE("make_lead starts a lead at version 1") {
    const Lead lead = sample_lead();
    CHECK(lead.version == 1);
    CHECK(lead.created_at == kCreated);
    CHECK(lead.updated_at == kCreated);
    CHECK(lead.status == LeadStatus::New);
    CHECK(lead.email.value() == "jane@example.com");
    CHECK(lead.tenant.value() == "t1");
    CHECK(lead.workspace.value() == "acme");
    CHECK(lead.version == 1);

    LeadInput input;
    input.email = "b@c.de";
    input.status = "converted";
    const Lead converted = make_lead(draft_of(input), LeadId::generate(kCreated, Entropy{}), *TenantId::parse("t"),
                                     WorkspaceSlug::parse("w", "w").value(), kCreated);
    CHECK(converted.status == LeadStatus::Converted);
}

TEST_CASE("validate_changes") {
    SECTION("absent, null and values are told apart") {
        LeadChangesInput input;
        input.first_name = std::optional<std::string>{};  // null: clear
        input.last_name = std::optional<std::string>{"  Doe "};
        input.company = std::optional<std::string>{"  "};  // empty: clear
        auto changes = validate_changes(input);
        REQUIRE(changes.ok());
        CHECK(changes->first_name == std::optional<std::optional<std::string>>(std::optional<std::string>{}));
        CHECK(changes->last_name == std::optional<std::optional<std::string>>(std::optional<std::string>{"Doe"}));
        CHECK(changes->company == std::optional<std::optional<std::string>>(std::optional<std::string>{}));
        CHECK_FALSE(changes->email.has_value());
        CHECK_FALSE(changes->status.has_value());
        CHECK_FALSE(changes->attributes.has_value());
    }
    SECTION("every issue is reported") {
        LeadChangesInput input;
        input.email = "bad@";
        input.first_name = std::optional<std::string>{repeat("a", 101)};
        input.last_name = std::optional<std::string>{"\xC0\xAF"};
        input.company = std::optional<std::string>{"a\nb"};
        input.status = "Converted";
        input.attributes = AttributePatch{{"bad key", std::nullopt}, {"v", AttributeValue{std::nan("")}}};
        auto result = validate_changes(input);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().details.size() == 7);
        for (auto field :
             {"email", "first_name", "last_name", "company", "status", "attributes.bad key", "attributes.v"}) {
            INFO(field);
            CHECK(has_field(result.error(), field));
        }
    }
    SECTION("a patch may name more than 64 keys; the count is checked after merging") {
        LeadChangesInput input;
        AttributePatch patch;
        for (int i = 0; i < 100; ++i) patch.emplace("k" + std::to_string(i), std::nullopt);
        input.attributes = patch;
        CHECK(validate_changes(input).ok());
    }
}

TEST_CASE("apply_changes") {
    Lead lead = sample_lead();
    const Lead before = lead;

    SECTION("no changes leave the lead untouched") {
        auto outcome = apply_changes(lead, changes_of({}), kLater);
        REQUIRE(outcome.ok());
        CHECK_FALSE(outcome->changed);
        CHECK_FALSE(outcome->status_change.has_value());
        CHECK(lead.version == 1);
        CHECK(lead.updated_at == kCreated);
        CHECK(lead.version == before.version);
    }
    SECTION("changes to the same values are not changes") {
        LeadChangesInput input;
        input.email = "JANE@example.com";
        input.first_name = std::optional<std::string>{" Jane"};
        input.company = std::optional<std::string>{"Tech Corp"};
        input.status = "new";
        input.attributes = AttributePatch{{"title", AttributeValue{std::string("CEO")}}, {"gone", std::nullopt}};
        auto outcome = apply_changes(lead, changes_of(input), kLater);
        REQUIRE(outcome.ok());
        CHECK_FALSE(outcome->changed);
        CHECK(lead.version == 1);
        CHECK(lead.version == 1);
    }
    SECTION("a real change bumps the version and updated_at") {
        LeadChangesInput input;
        input.last_name = std::optional<std::string>{};
        auto outcome = apply_changes(lead, changes_of(input), kLater);
        REQUIRE(outcome.ok());
        CHECK(outcome->changed);
        CHECK_FALSE(outcome->status_change.has_value());
        CHECK_FALSE(lead.last_name.has_value());
        CHECK(lead.first_name == before.first_name);
        CHECK(lead.version == 2);
        CHECK(lead.updated_at == kLater);
        CHECK(lead.created_at == kCreated);
        CHECK(lead.version == 2);
        CHECK(lead.version != before.version);
    }
    SECTION("each field counts as a change") {
        std::vector<LeadChangesInput> inputs(6);
        inputs[0].email = "new@example.com";
        inputs[1].first_name = std::optional<std::string>{"Janet"};
        inputs[2].last_name = std::optional<std::string>{"Smyth"};
        inputs[3].company = std::optional<std::string>{};
        inputs[4].status = "contacted";
        inputs[5].attributes = AttributePatch{{"title", std::nullopt}};
        for (const auto& input : inputs) {
            Lead copy = before;
            auto outcome = apply_changes(copy, changes_of(input), kLater);
            REQUIRE(outcome.ok());
            CHECK(outcome->changed);
            CHECK(copy.version == 2);
        }
    }
    SECTION("a status change is reported") {
        LeadChangesInput input;
        input.status = "converted";
        auto outcome = apply_changes(lead, changes_of(input), kLater);
        REQUIRE(outcome.ok());
        REQUIRE(outcome->status_change.has_value());
        CHECK(outcome->status_change->from == LeadStatus::New);
        CHECK(outcome->status_change->to == LeadStatus::Converted);
        CHECK(lead.status == LeadStatus::Converted);
    }
    SECTION("attributes merge key by key") {
        LeadChangesInput input;
        input.attributes = AttributePatch{{"city", AttributeValue{std::string("Paris")}}};
        REQUIRE(apply_changes(lead, changes_of(input), kLater).ok());
        CHECK(lead.attributes == Attributes{{"title", std::string("CEO")}, {"city", std::string("Paris")}});
    }
    SECTION("a merge over the key limit fails and changes nothing") {
        AttributePatch patch;
        for (int i = 0; i < 64; ++i) patch.emplace("n" + std::to_string(i), AttributeValue{std::int64_t{i}});
        LeadChangesInput input;
        input.first_name = std::optional<std::string>{"Other"};
        input.attributes = patch;
        auto outcome = apply_changes(lead, changes_of(input), kLater);
        REQUIRE_FALSE(outcome.ok());
        CHECK(outcome.error().details == std::vector<FieldIssue>{{"attributes", "must have at most 64 keys"}});
        CHECK(lead.first_name == before.first_name);
        CHECK(lead.attributes == before.attributes);
        CHECK(lead.version == 1);
    }
}

TEST_CASE("move_status bumps the version") {
    Lead lead = sample_lead();
    const auto change = move_status(lead, LeadStatus::Contacted, kLater);
    CHECK(change.from == LeadStatus::New);
    CHECK(change.to == LeadStatus::Contacted);
    CHECK(lead.status == LeadStatus::Contacted);
    CHECK(lead.version == 2);
    CHECK(lead.updated_at == kLater);
    CHECK(lead.version == 2);
}

TEST_CASE("changes_from_draft replaces given fields and merges attributes") {
    Lead lead = sample_lead();
    LeadInput input;
    input.email = "JANE@example.com";
    input.first_name = "Janet";
    input.status = "contacted";
    input.attributes = {{"city", std::string("Paris")}, {"title", std::string("CTO")}};
    const auto changes = changes_from_draft(draft_of(input));
    CHECK_FALSE(changes.email.has_value());
    CHECK_FALSE(changes.last_name.has_value());
    CHECK_FALSE(changes.company.has_value());
    auto outcome = apply_changes(lead, changes, kLater);
    REQUIRE(outcome.ok());
    CHECK(outcome->changed);
    CHECK(lead.first_name == std::optional<std::string>("Janet"));
    CHECK(lead.last_name == std::optional<std::string>("Smith"));
    CHECK(lead.company == std::optional<std::string>("Tech Corp"));
    CHECK(lead.status == LeadStatus::Contacted);
    CHECK(lead.attributes == Attributes{{"city", std::string("Paris")}, {"title", std::string("CTO")}});

    LeadInput same;
    same.email = "jane@example.com";
    auto unchanged = apply_changes(lead, changes_from_draft(draft_of(same)), kLater + seconds{1});
    REQUIRE(unchanged.ok());
    CHECK_FALSE(unchanged->changed);
    CHECK(lead.updated_at == kLater);
}

TEST_CASE("search_text") {
    Lead lead = sample_lead();
    lead.first_name = "ZOË";
    lead.last_name = "Ünal";
    CHECK(search_text(lead) == "jane@example.com\nzoë ünal");
    lead.first_name.reset();
    CHECK(search_text(lead) == "jane@example.com\nünal");
    lead.last_name.reset();
    CHECK(search_text(lead) == "jane@example.com\n");
    lead.first_name = "ΑΝΝΑ";
    CHECK(search_text(lead) == "jane@example.com\nαννα");
}
