#!/usr/bin/env bash
# Every benchmark once at a tiny size, so none rots (the measurements themselves are in
# docs/BENCHMARKS.md with their commands): the reports bench in criterion's test mode on
# the demo dataset, the initial sync of a few hundred records, the import bench on a few
# thousand rows, the callgrind drivers for cold reports and the write path, and SQLite's
# own floor per schema variant.
set -euo pipefail
cd "$(dirname "$0")/../.."

GLOVEBOX_BENCH_SIZE=demo cargo test --quiet -p glovebox-core --bench reports
cargo test --quiet -p glovebox-tests --bench sync -- initial 300
cargo run --quiet -p glovebox-cli --bin import-bench -- 2000

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cargo run --quiet -p glovebox-cli --bin glovebox -- generate --size demo --db "$tmp/demo.db" >/dev/null
for report in dashboard fuel overview; do
  cargo run --quiet -p glovebox-core --example profile_reports -- "$tmp/demo.db" "$report" 3
done
cargo run --quiet -p glovebox-core --example profile_write -- "$tmp/write" 500
bash scripts/bench/sqlite-floor.sh 2000 >/dev/null
echo "bench smoke: ok"
