#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 server:
#   scripts/with-postgres.sh <command...>
# Starts a private cluster in a temporary directory on a free loopback port, creates the
# database leads_test, exports LEADS_TEST_POSTGRES_URL (and PG* variables for psql),
# runs the command, then always stops the server and deletes the directory. Exits with
# the command's exit code.
#
# The outage test stops and restarts the server through LEADS_TEST_PG_CTL, a small
# wrapper ("$LEADS_TEST_PG_CTL stop|start|status") that runs pg_ctl as the right user.
set -euo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 <command...>" >&2
    exit 2
fi

pg_bin="${LEADS_PG_BIN:-/usr/lib/postgresql/15/bin}"
for tool in initdb pg_ctl; do
    if [[ ! -x "$pg_bin/$tool" ]]; then
        echo "$0: $pg_bin/$tool not found (apt-get install postgresql; or set LEADS_PG_BIN)" >&2
        exit 2
    fi
done

tmp="$(mktemp -d "${TMPDIR:-/tmp}/leads-pg.XXXXXX")"
data="$tmp/data"
log="$tmp/server.log"
started=0

# PostgreSQL refuses to run as root: use the postgres account and give it the directory.
as_pg=()
if [[ "$(id -u)" -eq 0 ]]; then
    pg_user="${LEADS_PG_OS_USER:-postgres}"
    chown "$pg_user" "$tmp"
    as_pg=(runuser -u "$pg_user" --)
fi

cleanup() {
    local rc=$?
    if [[ $started -eq 1 ]]; then
        "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$password" >"$tmp/pwfile"
[[ ${#as_pg[@]} -gt 0 ]] && chown "$pg_user" "$tmp/pwfile"

"${as_pg[@]}" "$pg_bin/initdb" -D "$data" -U leads --pwfile="$tmp/pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$tmp/initdb.log" 2>&1 || {
    cat "$tmp/initdb.log" >&2
    exit 1
}
rm -f "$tmp/pwfile"

# A port nobody listens on; retried with another one if the server cannot bind it.
port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=""
for _ in $(seq 1 20); do
    candidate=$((20000 + RANDOM % 40000))
    port_is_free "$candidate" || continue
    opts="-c listen_addresses=127.0.0.1 -p $candidate -c unix_socket_directories=$tmp"
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    # Every statement the service runs is recorded, for the test that checks each one
    # names its tenant (contract_postgres_statements).
    opts+=" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=10000"
    # Further server settings for a benchmark, e.g. LEADS_PG_SERVER_OPTIONS="-c shared_buffers=1GB".
    opts+=" ${LEADS_PG_SERVER_OPTIONS:-}"
    if "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" -o "$opts" -l "$log" -w -t 60 start >/dev/null 2>&1; then
        port="$candidate"
        started=1
        break
    fi
done
if [[ -z "$port" ]]; then
    echo "$0: could not start PostgreSQL" >&2
    cat "$log" >&2 || true
    exit 1
fi

# pg_ctl remembers the options it was started with (postmaster.opts), so "start" after
# "stop" comes back on the same port.
ctl="$tmp/pg_ctl.sh"
{
    echo '#!/usr/bin/env bash'
    echo 'set -euo pipefail'
    printf 'action="${1:?usage: %s stop|start|status}"\n' "$ctl"
    printf 'case "$action" in\n'
    printf '  stop) exec %s %q -D %q -m fast -w stop ;;\n' "${as_pg[*]}" "$pg_bin/pg_ctl" "$data"
    printf '  start) exec %s %q -D %q -o %q -l %q -w -t 60 start ;;\n' "${as_pg[*]}" "$pg_bin/pg_ctl" "$data" "$opts" "$log"
    printf '  status) exec %s %q -D %q status ;;\n' "${as_pg[*]}" "$pg_bin/pg_ctl" "$data"
    printf '  *) echo "unknown action $action" >&2; exit 2 ;;\n'
    printf 'esac\n'
} >"$ctl"
chmod 755 "$ctl"

export PGHOST=127.0.0.1 PGPORT="$port" PGUSER=leads PGPASSWORD="$password" PGDATABASE=leads_test
"$pg_bin/createdb" leads_test 2>"$tmp/createdb.log" || {
    cat "$tmp/createdb.log" >&2
    exit 1
}

export LEADS_TEST_POSTGRES_URL="postgresql://leads:${password}@127.0.0.1:${port}/leads_test?sslmode=disable"
export LEADS_TEST_PG_CTL="$ctl"
export LEADS_TEST_PGDATA="$data"

set +e
"$@"
rc=$?
set -e
exit $rc
