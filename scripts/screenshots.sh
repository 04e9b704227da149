#!/usr/bin/env bash
# Screenshots of every view in light and dark theme, at 1280x800 and 900x700, into
# docs/screenshots/: the demo garage's views, Settings → Sync in each state (against a
# real glovebox-server on loopback), Backup, the import wizard, and a 1,000-vehicle fleet,
# from the real app under a virtual X display.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
npm --prefix ui run build --silent
cargo build --quiet -p glovebox-desktop -p glovebox-cli -p glovebox-server
export TAURI_DRIVER="${TAURI_DRIVER:-$(command -v tauri-driver || echo "$HOME/.cargo/bin/tauri-driver")}"
cd ui
timeout --signal=TERM --kill-after=20 900 \
  xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" node e2e/screenshots.mjs
