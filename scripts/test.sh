#!/usr/bin/env bash
# The whole test suite: installs what is missing, checks formatting and lints, runs every
# Rust test in the workspace, then each step in scripts/test.d/ (UI unit tests, GUI tests
# in the real window). Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh

# src-tauri embeds ui/dist at compile time (generate_context!), so clippy and the tests
# need the built UI first.
echo "== build ui/"
npm --prefix ui run build --silent

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --workspace --all-targets"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo test --workspace"
cargo test --workspace --quiet 2>&1 | tee /tmp/glovebox-cargo-test.log
for step in scripts/test.d/*.sh; do
  [ -e "$step" ] || continue
  echo "== $step"
  bash "$step"
done
echo "== all tests passed"
