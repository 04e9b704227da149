#!/usr/bin/env bash
# Release build of the desktop app and its Debian package:
#   target/release/bundle/deb/Glovebox_<version>_amd64.deb
# `tauri build` alone cannot be used: with tauri.conf.json at the workspace root the CLI
# takes the root package (glovebox-tests) for the app. So: build the UI and the release
# binary ourselves, then let the CLI only bundle (it picks up mainBinaryName).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
npm --prefix ui run build --silent
cargo build --release -p glovebox-desktop
npx --prefix ui tauri bundle --bundles deb
ls -1 target/release/bundle/deb/*.deb
