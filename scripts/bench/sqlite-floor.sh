#!/usr/bin/env bash
# What SQLite itself costs per fill-up, below any Rust: 1,000,000 rows into the fuel table
# (schema 6: text ids and HLCs, the three secondary indexes) in one transaction, by the
# sqlite3 shell, in variants — page size, indexes kept or dropped and rebuilt, ids and
# HLCs as text or as short BLOBs (the binary schema issue 10 considers). Prints CPU
# seconds (user + sys) per variant; docs/BENCHMARKS.md ("Import") has a run.
#
#     bash scripts/bench/sqlite-floor.sh [ROWS]
#
# Needs the sqlite3 shell (Debian: sqlite3). Not part of the test suite.
set -euo pipefail
rows="${1:-1000000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

table() { # $1 = id/vehicle/hlc column type
  cat <<SQL
CREATE TABLE fuel_records (
    id $1 PRIMARY KEY NOT NULL, vehicle_id $1 NOT NULL, occurred_at INTEGER NOT NULL,
    odometer REAL NOT NULL, quantity REAL NOT NULL, total_cost INTEGER NOT NULL,
    is_full INTEGER NOT NULL, missed_previous INTEGER NOT NULL DEFAULT 0,
    station TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '', hlc $1 NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
    dirty INTEGER NOT NULL DEFAULT 1, updated_at INTEGER NOT NULL) STRICT;
SQL
}
indexes="CREATE INDEX fuel_dirty ON fuel_records (hlc) WHERE dirty = 1;
CREATE INDEX fuel_economy_by_vehicle ON fuel_records (vehicle_id, odometer, occurred_at,
    is_full, quantity, total_cost, missed_previous, id) WHERE deleted = 0;
CREATE INDEX fuel_by_vehicle_date ON fuel_records (vehicle_id, occurred_at, id, odometer)
    WHERE deleted = 0;"
insert() { # $1 id expr, $2 vehicle expr, $3 hlc expr
  cat <<SQL
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < $rows - 1)
INSERT INTO fuel_records (id, vehicle_id, occurred_at, odometer, quantity, total_cost,
    is_full, missed_previous, station, notes, tags, hlc, deleted, dirty, updated_at)
SELECT $1, $2, 788918400 + 900 * i, 10000 + 9 * i, 0.6, 105, 1, 0, '', '', '', $3, 0, 1,
    1700000000000 FROM c;
SQL
}
text_id="printf('0190%04x-%04x-7%03x-8%03x-%012x', i / 65536, i % 65536, i % 4096, i % 4096, i * 7919)"
text_vehicle="'0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee'"
text_hlc="printf('%015d-%08x-%s', 1700000000000 + i, 0, 'f3a9c2d1e4b5a6978877665544332211')"
# 16-byte id and vehicle, 28-byte HLC (millis, counter, node), in the same order as the text.
blob_id="CAST(printf('%016d', i) AS BLOB)"
blob_vehicle="CAST('0190aaaabbbb7ccc' AS BLOB)"
blob_hlc="CAST(printf('%016d%012d', 1700000000000 + i, 0) AS BLOB)"

run() { # $1 label, $2 page size, $3 column type, $4 kept|deferred, $5..7 exprs
  local db="$tmp/floor.db"
  rm -f "$db" "$db-wal" "$db-shm"
  {
    echo "PRAGMA page_size = $2; PRAGMA journal_mode = WAL;"
    table "$3"
    if [ "$4" = kept ]; then echo "$indexes"; fi
  } | sqlite3 "$db" >/dev/null
  {
    echo "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768; BEGIN;"
    insert "$5" "$6" "$7"
    if [ "$4" = deferred ]; then echo "$indexes"; fi
    echo "COMMIT;"
  } >"$tmp/run.sql"
  local t
  t=$( { /usr/bin/time -f "%U %S %e" sqlite3 "$db" <"$tmp/run.sql" >/dev/null; } 2>&1 | tail -1)
  read -r user sys wall <<<"$t"
  local stored
  stored=$(sqlite3 "$db" "SELECT count(*) FROM fuel_records")
  if [ "$stored" != "$rows" ]; then
    echo "$1: $stored rows stored, expected $rows" >&2
    exit 1
  fi
  local cpu rate="-"
  cpu=$(echo "$user + $sys" | bc)
  if [ "$(echo "$cpu > 0" | bc)" = 1 ]; then
    rate=$(printf '%.0f' "$(echo "$rows / $cpu" | bc -l)")
  fi
  printf '%-58s cpu %5.2f s (user %s + sys %s), wall %s s, %s rows per CPU-s\n' \
    "$1" "$cpu" "$user" "$sys" "$wall" "$rate"
}

echo "$rows rows, one transaction, sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
run "text ids, 4 KiB pages, indexes kept (schema 6 as before)" 4096 TEXT kept "$text_id" "$text_vehicle" "$text_hlc"
run "text ids, 4 KiB pages, indexes dropped + rebuilt" 4096 TEXT deferred "$text_id" "$text_vehicle" "$text_hlc"
run "text ids, 16 KiB pages, indexes kept" 16384 TEXT kept "$text_id" "$text_vehicle" "$text_hlc"
run "text ids, 16 KiB pages, indexes dropped + rebuilt" 16384 TEXT deferred "$text_id" "$text_vehicle" "$text_hlc"
run "BLOB ids and HLCs, 16 KiB pages, indexes kept" 16384 BLOB kept "$blob_id" "$blob_vehicle" "$blob_hlc"
