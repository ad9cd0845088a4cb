// Use-case tests of LeadService: listing: validation, paging, filters, tenancy.
#include <catch2/catch.hpp>

#include "tests/unit/application/service_fixture.hpp"

namespace leads::service_tests {

TEST_CASE("list validates every query field and reports all issues at once", "[list]") {
    Fixture f;
    const auto list = [&](ports::ListLeadsQuery query) { return f.service.list(query); };

    SECTION("workspace is required and must be a slug") {
        require_validation(error_of(list({f.tenant, "", {}, {}, {}, {}})), {"workspace"});
        require_validation(error_of(list({f.tenant, "Acme", {}, {}, {}, {}})), {"workspace"});
        require_validation(error_of(list({f.tenant, "-acme", {}, {}, {}, {}})), {"workspace"});
    }
    SECTION("status must be one of the four") {
        const Error error = error_of(list({f.tenant, "acme", "lost", {}, {}, {}}));
        require_validation(error, {"status"});
        CHECK(issue_of(error, "status") == "must be one of new, contacted, replied, converted");
        require_validation(error_of(list({f.tenant, "acme", "NEW", {}, {}, {}})), {"status"});
    }
    SECTION("search is 1..200 characters of valid UTF-8 without control characters") {
        require_validation(error_of(list({f.tenant, "acme", {}, "", {}, {}})), {"search"});
        require_validation(error_of(list({f.tenant, "acme", {}, std::string(201, 'a'), {}, {}})), {"search"});
        require_validation(error_of(list({f.tenant, "acme", {}, "ab\xff", {}, {}})), {"search"});
        require_validation(error_of(list({f.tenant,
                                          "acme",
                                          {},
                                          "a\x01"
                                          "b",
                                          {},
                                          {}})),
                           {"search"});
        require_validation(error_of(list({f.tenant, "acme", {}, "a\nb", {}, {}})), {"search"});
        // 200 two-byte characters are 200 characters, not 400.
        std::string long_term;
        for (int i = 0; i < 200; ++i) long_term += "\xc3\xa9";
        CHECK(list({f.tenant, "acme", {}, long_term, {}, {}}).ok());
        CHECK(list({f.tenant, "acme", {}, std::string(200, 'a'), {}, {}}).ok());
    }
    SECTION("limit is 1..200 and offset at least 0") {
        require_validation(error_of(list({f.tenant, "acme", {}, {}, 0, {}})), {"limit"});
        require_validation(error_of(list({f.tenant, "acme", {}, {}, 201, {}})), {"limit"});
        require_validation(error_of(list({f.tenant, "acme", {}, {}, -1, {}})), {"limit"});
        require_validation(error_of(list({f.tenant, "acme", {}, {}, {}, -1})), {"offset"});
        CHECK(list({f.tenant, "acme", {}, {}, 1, 0}).ok());
        CHECK(list({f.tenant, "acme", {}, {}, 200, 1'000'000}).ok());
    }
    SECTION("every issue is in one error") {
        const Error error = error_of(list({f.tenant, "BAD", "lost", "", 0, -5}));
        require_validation(error, {"workspace", "status", "search", "limit", "offset"});
        CHECK(error.details.size() == 5);
    }
}

TEST_CASE("list pages newest first with totals", "[list]") {
    Fixture f;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(f.create("lead" + std::to_string(i) + "@example.com").lead.id.value());
        f.clock.advance(1s);
    }
    std::reverse(ids.begin(), ids.end());

    SECTION("defaults") {
        auto page = f.service.list({f.tenant, "acme", {}, {}, {}, {}});
        REQUIRE(page.ok());
        CHECK(page->page.limit == 50);
        CHECK(page->page.offset == 0);
        CHECK(page->page.total == 5);
        CHECK_FALSE(page->page.has_more);
        REQUIRE(page->items.size() == 5);
        for (std::size_t i = 0; i < 5; ++i) CHECK(page->items[i].id.value() == ids[i]);
    }
    SECTION("a middle page has more") {
        auto page = f.service.list({f.tenant, "acme", {}, {}, 2, 2});
        REQUIRE(page.ok());
        REQUIRE(page->items.size() == 2);
        CHECK(page->items[0].id.value() == ids[2]);
        CHECK(page->items[1].id.value() == ids[3]);
        CHECK(page->page.total == 5);
        CHECK(page->page.limit == 2);
        CHECK(page->page.offset == 2);
        CHECK(page->page.has_more);
    }
    SECTION("the last page has no more") {
        auto page = f.service.list({f.tenant, "acme", {}, {}, 2, 4});
        REQUIRE(page.ok());
        CHECK(page->items.size() == 1);
        CHECK_FALSE(page->page.has_more);
    }
    SECTION("an offset past the end is an empty page") {
        auto page = f.service.list({f.tenant, "acme", {}, {}, 10, 50});
        REQUIRE(page.ok());
        CHECK(page->items.empty());
        CHECK(page->page.total == 5);
        CHECK_FALSE(page->page.has_more);
    }
}

TEST_CASE("list filters by status and folded search", "[list]") {
    Fixture f;
    domain::LeadInput jane;
    jane.first_name = "Jane";
    jane.last_name = "Smith";
    f.create("jane@example.com", "acme", jane);
    domain::LeadInput eva;
    eva.first_name = "\xc3\x89va";  // Éva
    eva.status = "contacted";
    f.create("eva@example.org", "acme", eva);

    auto search = [&](std::string term) {
        auto page = f.service.list({f.tenant, "acme", {}, std::move(term), {}, {}});
        REQUIRE(page.ok());
        return *page;
    };
    CHECK(search("JANE SMITH").page.total == 1);
    CHECK(search("Example.COM").page.total == 1);
    CHECK(search("\xc3\xa9VA").items.size() == 1);  // éVA finds Éva
    CHECK(search("example").page.total == 2);
    CHECK(search("nobody").page.total == 0);

    auto contacted = f.service.list({f.tenant, "acme", "contacted", {}, {}, {}});
    REQUIRE(contacted.ok());
    REQUIRE(contacted->items.size() == 1);
    CHECK(contacted->items[0].email.value() == "eva@example.org");
    auto both = f.service.list({f.tenant, "acme", "new", "eva", {}, {}});
    REQUIRE(both.ok());
    CHECK(both->page.total == 0);
}

TEST_CASE("list sees only the caller's tenant and the named workspace", "[list][tenancy]") {
    Fixture f;
    f.create("mine@example.com", "acme");
    f.create("other-ws@example.com", "globex");
    f.create_for(f.other_tenant, "theirs@example.com", "acme");

    auto mine = f.service.list({f.tenant, "acme", {}, {}, {}, {}});
    REQUIRE(mine.ok());
    REQUIRE(mine->items.size() == 1);
    CHECK(mine->items[0].email.value() == "mine@example.com");
    auto theirs = f.service.list({f.other_tenant, "acme", {}, {}, {}, {}});
    REQUIRE(theirs.ok());
    REQUIRE(theirs->items.size() == 1);
    CHECK(theirs->items[0].email.value() == "theirs@example.com");
    auto nobody = f.service.list({tests::random_tenant(), "acme", {}, {}, {}, {}});
    REQUIRE(nobody.ok());
    CHECK(nobody->page.total == 0);
}

}  // namespace leads::service_tests
