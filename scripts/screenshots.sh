#!/usr/bin/env bash
# Screenshots of every main view in light and dark theme, at 1280x800 and 900x700, into
# docs/screenshots/, from the real app on demo data under a virtual X display.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
npm --prefix ui run build --silent
cargo build --quiet -p glovebox-desktop
export TAURI_DRIVER="${TAURI_DRIVER:-$(command -v tauri-driver || echo "$HOME/.cargo/bin/tauri-driver")}"
cd ui
timeout --signal=TERM --kill-after=20 600 \
  xvfb-run --auto-servernum --server-args="-screen 0 1280x800x24" node e2e/screenshots.mjs
