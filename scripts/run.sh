#!/usr/bin/env bash
# Runs Glovebox. Until the desktop app exists this fills a demo garage and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cargo run --quiet -p glovebox-cli -- demo "$@"
