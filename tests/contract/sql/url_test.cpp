// LEADS_DATABASE_URL as the SQL adapters read it; no database needed.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>

#include "adapters/postgres/postgres_repository.hpp"
#include "adapters/sqlite/sqlite_repository.hpp"

namespace leads::tests::contract {

namespace {

bool names_the_variable(const domain::Error& error) {
    return error.kind == domain::ErrorKind::Validation && !error.details.empty() &&
           error.details[0].field == "LEADS_DATABASE_URL";
}

}  // namespace

TEST_CASE("sqlite: URLs name a file") {
    using adapters::sqlite::parse_sqlite_url;
    CHECK(parse_sqlite_url("sqlite:leads.db").value() == "leads.db");
    CHECK(parse_sqlite_url("sqlite:/var/lib/leads/leads.db").value() == "/var/lib/leads/leads.db");
    CHECK(parse_sqlite_url("sqlite:///var/lib/leads.db").value() == "/var/lib/leads.db");
    CHECK(parse_sqlite_url("sqlite:dir with spaces/a=b.db").value() == "dir with spaces/a=b.db");
    for (const char* bad : {"sqlite:", "sqlite://", "sqlite::memory:", "leads.db", "mysql://x", "sqlite:a\"b"}) {
        INFO(bad);
        auto parsed = parse_sqlite_url(bad);
        REQUIRE_FALSE(parsed.ok());
        CHECK(names_the_variable(parsed.error()));
    }
}

TEST_CASE("sqlite: a path with spaces and '=' opens") {
    auto directory = std::filesystem::temp_directory_path() / ("leads url test " + std::to_string(::getpid()));
    std::filesystem::create_directories(directory);
    auto path = (directory / "a=b c.db").string();
    auto opened = adapters::sqlite::open_sqlite({.path = path});
    INFO((opened.ok() ? std::string() : opened.error().message));
    CHECK(opened.ok());
    CHECK(std::filesystem::exists(path));
    opened = domain::Error::internal("closed");
    std::filesystem::remove_all(directory);
}

TEST_CASE("sqlite: a file that cannot be created is Unavailable") {
    auto opened = adapters::sqlite::open_sqlite({.path = "/nonexistent-directory/leads.db"});
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().kind == domain::ErrorKind::Unavailable);
}

TEST_CASE("postgresql: URLs become libpq connection strings with defaults") {
    using adapters::postgres::parse_postgres_url;
    auto parsed = parse_postgres_url("postgresql://app:s3cr%27t@db.internal:6543/leads?sslmode=require");
    REQUIRE(parsed.ok());
    CHECK_THAT(*parsed, Catch::Contains("host='db.internal'"));
    CHECK_THAT(*parsed, Catch::Contains("port='6543'"));
    CHECK_THAT(*parsed, Catch::Contains("dbname='leads'"));
    CHECK_THAT(*parsed, Catch::Contains("user='app'"));
    CHECK_THAT(*parsed, Catch::Contains("password='s3cr\\'t'"));
    CHECK_THAT(*parsed, Catch::Contains("sslmode='require'"));
    CHECK_THAT(*parsed, Catch::Contains("connect_timeout='5'"));
    CHECK_THAT(*parsed, Catch::Contains("statement_timeout=30000"));

    // What the URL says wins over the defaults.
    auto own = parse_postgres_url("postgres://localhost/leads?connect_timeout=2&options=-c%20search_path%3Dleads");
    REQUIRE(own.ok());
    CHECK_THAT(*own, Catch::Contains("connect_timeout='2'"));
    CHECK_THAT(*own, !Catch::Contains("connect_timeout='5'"));
    CHECK_THAT(*own, Catch::Contains("options='-c search_path=leads'"));
}

TEST_CASE("postgresql: a bad URL is a Validation error that does not repeat it") {
    using adapters::postgres::parse_postgres_url;
    for (const char* bad : {"postgresql://user:hunter2@host:port/db", "postgresql://u:hunter2@h/db?nonsense=1",
                            "postgresql://u:hunter2@h/db?sslmode", "http://u:hunter2@h/db", "postgresql:/h/db"}) {
        INFO(bad);
        auto parsed = parse_postgres_url(bad);
        REQUIRE_FALSE(parsed.ok());
        CHECK(names_the_variable(parsed.error()));
        CHECK_THAT(parsed.error().message + parsed.error().details[0].issue, !Catch::Contains("hunter2"));
    }
    auto opened = adapters::postgres::open_postgres({.url = "postgresql://u@h/db?nonsense=1"});
    REQUIRE_FALSE(opened.ok());
    CHECK(names_the_variable(opened.error()));
}

TEST_CASE("postgresql: an unreachable server is Unavailable, quickly") {
    // Port 1 on the loopback: nothing listens, the connection is refused at once.
    auto started = std::chrono::steady_clock::now();
    auto opened = adapters::postgres::open_postgres({.url = "postgresql://leads@127.0.0.1:1/leads"});
    auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(opened.ok());
    CHECK(opened.error().kind == domain::ErrorKind::Unavailable);
    CHECK(took < std::chrono::seconds(3));
}

}  // namespace leads::tests::contract
