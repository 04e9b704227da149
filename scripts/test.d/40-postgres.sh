#!/usr/bin/env bash
# The server on its second storage backend: starts a throwaway PostgreSQL cluster (temp
# dir, free 127.0.0.1 port, no systemd), runs the server's storage suite and the end-to-end
# sync tests in tests/ against it with GLOVEBOX_TEST_PG_URL set, and stops the cluster by
# its PID on any exit. scripts/test.sh has already run the same tests on SQLite.
# When the variable is set, nothing falls back to SQLite: a server without its PostgreSQL
# backend fails these tests by name.
set -euo pipefail
cd "$(dirname "$0")/../.."

eval "$(bash scripts/pg-test-cluster.sh start)"
trap 'bash scripts/pg-test-cluster.sh stop "$GLOVEBOX_PG_DIR"' EXIT

run() {
  echo "-- GLOVEBOX_TEST_PG_URL=… cargo test $*"
  timeout --signal=TERM --kill-after=20 1200 cargo test --quiet "$@"
}
# The harness itself (a database per test server, dropped with it).
run -p glovebox-tests --lib -- --include-ignored
# The storage suite, against PostgreSQL.
run -p glovebox-server
# Convergence, faults, auth and isolation, and the chaos property test.
run -p glovebox-tests --test 'sync_*'
# The server's own end-to-end tests: hostile rows, restores, login limits, HTTP limits,
# three processes over one database, and migrate-storage onto PostgreSQL.
run -p glovebox-tests --test 'server_*'
