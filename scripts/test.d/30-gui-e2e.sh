#!/usr/bin/env bash
# End-to-end tests in the real app window: the debug app under tauri-driver +
# WebKitWebDriver on a virtual X display. Each test file starts its own tauri-driver on a
# temp GLOVEBOX_DATA_DIR and stops it with SIGTERM; the whole run is bounded by `timeout`.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The same cargo command as everywhere else, so nothing is rebuilt needlessly; ui/dist was
# built by scripts/test.sh and is embedded at compile time.
[ -f ui/dist/index.html ] || npm --prefix ui run build --silent
# The CLI and the server too: the tests run them as a second device and the sync server.
cargo build --quiet -p glovebox-desktop -p glovebox-cli -p glovebox-server

command -v xvfb-run >/dev/null || { echo "xvfb-run missing: run scripts/deps.sh" >&2; exit 1; }
export TAURI_DRIVER="${TAURI_DRIVER:-$(command -v tauri-driver || echo "$HOME/.cargo/bin/tauri-driver")}"
export GLOVEBOX_LOG=info
cd ui
# --test-concurrency=1: one app window at a time (they would fight over the CPU and port).
timeout --signal=TERM --kill-after=20 900 \
  xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" \
  node --test --test-concurrency=1 --test-reporter=spec e2e/*.e2e.mjs
