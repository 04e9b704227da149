#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: initdb + pg_ctl in a temp
# directory, listening on a free 127.0.0.1 port only, no systemd, nothing left behind.
#
#   eval "$(bash scripts/pg-test-cluster.sh start)"   # exports GLOVEBOX_TEST_PG_URL, GLOVEBOX_PG_DIR
#   trap 'bash scripts/pg-test-cluster.sh stop "$GLOVEBOX_PG_DIR"' EXIT
#
#   start [--durable]   makes and starts a cluster; prints `export` lines for the shell.
#                       Without --durable it runs with fsync off (a crash loses nothing a
#                       test needs: the cluster is thrown away); benchmarks pass --durable
#                       so commits cost what they cost in production.
#   stop DIR            stops the postmaster of DIR by its PID (fast shutdown, then KILL
#                       after 30 s) and removes DIR.
#
# The URL names a database `glovebox` owned by the password-authenticated role
# `glovebox`, which may create databases (the tests make one per test server).
# initdb refuses to run as root, so as root the cluster runs as the `postgres` system user
# that Debian's package creates (or `nobody` without it), through runuser.
set -euo pipefail

PG_BIN="${PG_BIN:-}"
if [ -z "$PG_BIN" ]; then
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && PG_BIN="$d"
  done
fi
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "pg-test-cluster: no PostgreSQL server binaries (install Debian's postgresql: bash scripts/deps.sh)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$OWNER" -- "$@"
  else
    "$@"
  fi
}

owner() {
  if [ "$(id -u)" -ne 0 ]; then
    id -un
  elif id postgres >/dev/null 2>&1; then
    echo postgres
  else
    echo nobody
  fi
}

port_is_free() {
  # Nothing answers a connect on 127.0.0.1:$1.
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  local durable=0
  [ "${1:-}" = "--durable" ] && durable=1
  OWNER="$(owner)"
  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/glovebox-pg.XXXXXX")"
  chmod 700 "$dir"
  [ "$(id -u)" -eq 0 ] && chown "$OWNER" "$dir"
  local password
  password="$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  as_owner sh -c "umask 077; printf '%s\n' '$password' > '$dir/pwfile'"
  if ! as_owner "$PG_BIN/initdb" -D "$dir/data" -U glovebox --pwfile="$dir/pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    exit 1
  fi
  local extra=""
  [ "$durable" -eq 0 ] && extra="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  # A free port: pick at random in the dynamic range, check nothing listens, and retry on
  # the race where something takes it between the check and the bind.
  local port="" tries
  for tries in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 30000))
    port_is_free "$port" || continue
    # max_connections: three server processes with pools of ~16 plus the tests' own.
    if as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 $extra" \
      >/dev/null 2>&1; then
      break
    fi
    port=""
  done
  if [ -z "$port" ]; then
    echo "pg-test-cluster: could not start PostgreSQL; log:" >&2
    cat "$dir/server.log" >&2 || true
    rm -rf "$dir"
    exit 1
  fi
  PGPASSWORD="$password" "$PG_BIN/psql" -q -h 127.0.0.1 -p "$port" -U glovebox -d postgres \
    -v ON_ERROR_STOP=1 -c "CREATE DATABASE glovebox OWNER glovebox" >/dev/null
  local url="postgres://glovebox:$password@127.0.0.1:$port/glovebox"
  (umask 077; echo "$url" >"$dir/url")
  echo "export GLOVEBOX_TEST_PG_URL='$url'"
  echo "export GLOVEBOX_PG_DIR='$dir'"
  echo "pg-test-cluster: PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$port in $dir (pid $(head -1 "$dir/data/postmaster.pid"))" >&2
}

stop() {
  local dir="${1:-}"
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "pg-test-cluster: stop needs the cluster's directory" >&2
    exit 1
  fi
  case "$dir" in
    "${TMPDIR:-/tmp}"/glovebox-pg.*) ;;
    *) echo "pg-test-cluster: refusing to remove $dir (not a glovebox-pg temp dir)" >&2; exit 1 ;;
  esac
  local pidfile="$dir/data/postmaster.pid"
  if [ -f "$pidfile" ]; then
    local pid
    pid="$(head -1 "$pidfile")"
    # SIGINT is PostgreSQL's fast shutdown: roll back open transactions, close, exit.
    if kill -INT "$pid" 2>/dev/null; then
      local i
      for i in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$pid" 2>/dev/null; then
        echo "pg-test-cluster: postmaster $pid did not stop in 30 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start [--durable] | stop DIR" >&2; exit 2 ;;
esac
