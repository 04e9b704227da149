#!/usr/bin/env bash
# The whole test suite: installs what is missing, checks formatting and lints, runs every
# Rust test in the workspace, then each step in scripts/test.d/ (UI unit tests, GUI tests
# in the real window). Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

# A fresh clone gains nothing from incremental compilation, whose dirs only add to the
# target on disk. The CI machine's disk is shared, and one run ran out of space: a fresh
# clone's whole run (clone, node_modules, target) peaked at 6.2 GB.
if [ "${CI:-}" = true ]; then
  export CARGO_INCREMENTAL=0
fi
avail_kib=$(df --output=avail -k . | tail -1)
echo "== disk: $((avail_kib / 1024 / 1024)) GiB free here; a fresh run peaks near 6 GiB"
if [ "$avail_kib" -lt $((8 * 1024 * 1024)) ]; then
  echo "warning: less than 8 GiB free; the build may fail with 'No space left on device'" >&2
fi

# src-tauri embeds ui/dist at compile time (generate_context!), so clippy and the tests
# need the built UI first.
echo "== build ui/"
npm --prefix ui run build --silent

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --workspace --all-targets"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test --workspace"
cargo test --workspace --quiet
for step in scripts/test.d/*.sh; do
  [ -e "$step" ] || continue
  echo "== $step"
  bash "$step"
done
echo "== all tests passed"
