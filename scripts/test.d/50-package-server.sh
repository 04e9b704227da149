#!/usr/bin/env bash
# The server's Debian package, built from the debug binary (the release build is what
# `bash scripts/package-server.sh` makes for installing) and checked: contents and modes,
# maintainer scripts, the systemd unit (systemd-analyze verify), a smoke run on loopback.
set -euo pipefail
cd "$(dirname "$0")/../.."
timeout --signal=TERM --kill-after=20 900 bash scripts/package-server.sh --dev
