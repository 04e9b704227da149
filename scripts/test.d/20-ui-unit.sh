#!/usr/bin/env bash
# UI logic unit tests (number parsing, formatting, urgency grouping, form feedback, routing).
set -euo pipefail
cd "$(dirname "$0")/../../ui"
npx --no-install vitest run
