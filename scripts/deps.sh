#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test Glovebox.
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # Tauri v2 on Linux
  libwebkit2gtk-4.1-dev libsoup-3.0-dev libayatana-appindicator3-dev librsvg2-dev
  libxdo-dev libssl-dev build-essential pkg-config
  # GUI tests and screenshots: a virtual display, the WebKit WebDriver, ImageMagick
  xvfb xauth webkit2gtk-driver imagemagick
  # sqlite3: GUI tests write a database as an older Glovebox left it, and
  # scripts/bench/sqlite-floor.sh measures SQLite's own cost per row (with bc, time)
  sqlite3 bc time
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  apt_install "${missing[@]}"
fi

# PostgreSQL for the server's second storage backend: the tests start a throwaway cluster
# of their own (scripts/pg-test-cluster.sh), so Debian's default cluster is not wanted.
# postgresql-common first, told not to create it, then the server.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  echo "deps: installing postgresql (without a default cluster)"
  apt_install postgresql-common
  echo "create_main_cluster = false" | $SUDO tee -a /etc/postgresql-common/createcluster.conf >/dev/null
  apt_install postgresql
fi

if ! command -v cargo >/dev/null; then
  echo "deps: Rust is missing; install it with rustup (https://rustup.rs) and re-run" >&2
  exit 1
fi

# tauri-driver: pinned to v2 (crates.io's newest is a 3.0 alpha).
if [ -d src-tauri ] && ! command -v tauri-driver >/dev/null; then
  echo "deps: installing tauri-driver"
  cargo install tauri-driver --version '^2' --locked --quiet
fi

# Front-end packages.
if [ -f ui/package.json ]; then
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    # `npm install`, not `npm ci`: with omit-lockfile-registry-resolved (set in this
    # machine image's npmrc) npm writes lockfiles without other platforms' optional
    # packages, and `npm ci` then refuses them as out of sync. `npm install` still
    # installs the versions the lockfile pins.
    echo "deps: npm install (ui/)"
    (cd ui && npm install --no-audit --no-fund --loglevel=error)
  fi
fi
