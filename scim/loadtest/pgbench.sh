#!/bin/sh
# pgbench.sh measures what the PostgreSQL server under the SCIM load test can
# do at most, so that the load test's figures can be read as a share of it:
# single-row inserts into an indexed table (what a SCIM create costs the
# database, at best) and indexed primary-key selects (what a GET costs), with
# 16 clients as the load test has.
#
#	PGHOST=127.0.0.1 PGUSER=postgres scim/loadtest/pgbench.sh
#
# It creates the database bench_scim (or $BENCH_DB), and drops it at the end
# unless KEEP=1. DURATION (seconds, default 20), CLIENTS (16) and THREADS (2)
# can be set.
set -eu
db=${BENCH_DB:-bench_scim}
duration=${DURATION:-20}
clients=${CLIENTS:-16}
threads=${THREADS:-2}
script=$(mktemp)
trap 'rm -f "$script"; [ "${KEEP:-}" = 1 ] || dropdb --if-exists "$db"' EXIT

createdb "$db"
pgbench -i -q -s 10 "$db"
psql -q -d "$db" -c 'CREATE TABLE bench_insert (id bigserial PRIMARY KEY, k int NOT NULL, v text NOT NULL)' \
	-c 'CREATE INDEX ON bench_insert (k)'
cat >"$script" <<'SQL'
\set k random(1, 1000000)
INSERT INTO bench_insert (k, v) VALUES (:k, 'user ' || :k);
SQL

echo "== single-row inserts, $clients clients, $threads threads, ${duration}s"
pgbench -n -c "$clients" -j "$threads" -T "$duration" -f "$script" "$db" | grep -E '^(tps|latency)'
echo "== indexed selects (-S), $clients clients, $threads threads, ${duration}s"
pgbench -n -S -c "$clients" -j "$threads" -T "$duration" "$db" | grep -E '^(tps|latency)'
