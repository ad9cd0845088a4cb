#pragma once

#include <soci/soci.h>

#include <vector>

namespace leads::tests::contract {

// The versions in schema_migrations, read with a plain session of the backend's own.
inline std::vector<long long> read_migrations(soci::session& session) {
    std::vector<long long> versions;
    long long version = 0;
    soci::statement st =
        (session.prepare << "SELECT version FROM schema_migrations ORDER BY version", soci::into(version));
    st.execute();
    while (st.fetch()) versions.push_back(version);
    return versions;
}

}  // namespace leads::tests::contract
