#!/usr/bin/env bash
# Runs the Glovebox desktop app: installs what a fresh Debian 12 machine lacks, builds the
# UI, then builds and starts the app (data in the OS app-data directory, or in
# $GLOVEBOX_DATA_DIR when set). Extra arguments go to the app.
#
# A release build and a .deb bundle: bash scripts/package.sh (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
npm --prefix ui run build --silent
exec cargo run --quiet -p glovebox-desktop -- "$@"
