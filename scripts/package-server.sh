#!/usr/bin/env bash
# The sync server's Debian package, built and checked in one go:
#   target/<profile>/deb/glovebox-server_<version>_<arch>.deb
#
#   bash scripts/package-server.sh            # release build (what to install)
#   bash scripts/package-server.sh --dev      # from the debug build: the test step's quick check
#
# The package: /usr/bin/glovebox-server, a hardened systemd unit, /etc/glovebox/server.toml
# (a conffile, mode 0640 root:glovebox), data in /var/lib/glovebox, and the `glovebox`
# system user made by postinst. Sources: crates/server/packaging/.
#
# Checks after building, without installing anything on this machine: dpkg-deb --info and
# --contents against the expected files and modes, the maintainer scripts' syntax, the unit
# with `systemd-analyze verify` (when systemd-analyze is installed), and a smoke run of the
# packaged binary with the packaged config on a loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
case "${1:-}" in
  "") ;;
  --dev) profile=dev ;;
  *) echo "usage: $0 [--dev]" >&2; exit 2 ;;
esac
out_dir=target/$([ "$profile" = dev ] && echo debug || echo release)

echo "package-server: cargo build --profile $profile -p glovebox-server"
cargo build --quiet --profile "$profile" -p glovebox-server --bin glovebox-server
bin="$out_dir/glovebox-server"
version="$("$bin" --version | awk '{print $2}')"
arch="$(dpkg --print-architecture)"
deb="$out_dir/deb/glovebox-server_${version}_${arch}.deb"
src=crates/server/packaging

work="$(mktemp -d)"
smoke_pid=""
cleanup() {
  if [ -n "$smoke_pid" ]; then kill "$smoke_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

root="$work/root"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/glovebox" \
  "$root/usr/share/doc/glovebox-server"
install -m 0755 "$bin" "$root/usr/bin/glovebox-server"
strip --strip-unneeded "$root/usr/bin/glovebox-server"
install -m 0644 "$src/glovebox-server.service" "$root/lib/systemd/system/"
install -m 0644 "$src/server.toml" "$root/etc/glovebox/server.toml"
install -m 0644 docs/SYNC.md "$root/usr/share/doc/glovebox-server/SYNC.md"
cat >"$root/usr/share/doc/glovebox-server/copyright" <<'EOF'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: glovebox
License: MIT

Files: *
License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this
 software and associated documentation files (the "Software"), to deal in the Software
 without restriction, including without limitation the rights to use, copy, modify,
 merge, publish, distribute, sublicense, and/or sell copies of the Software, and to
 permit persons to whom the Software is furnished to do so, subject to the following
 conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies
 or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
 INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
 PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
 FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
 OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
 DEALINGS IN THE SOFTWARE.
EOF
for s in postinst prerm postrm; do
  sh -n "$src/$s"
  install -m 0755 "$src/$s" "$root/DEBIAN/$s"
done
echo /etc/glovebox/server.toml >"$root/DEBIAN/conffiles"

# Shared-library dependencies of the binary, as Debian computes them (dpkg-shlibdeps wants
# a debian/control beside it).
mkdir -p "$work/shlibs/debian"
printf 'Source: glovebox-server\n\nPackage: glovebox-server\nArchitecture: any\n' \
  >"$work/shlibs/debian/control"
shlibs="$(cd "$work/shlibs" && dpkg-shlibdeps -O -e "$root/usr/bin/glovebox-server" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')"
[ -n "$shlibs" ] || { echo "package-server: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

cat >"$root/DEBIAN/control" <<EOF
Package: glovebox-server
Version: $version
Architecture: $arch
Maintainer: Glovebox developers <glovebox@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: adduser, init-system-helpers (>= 1.54~), $shlibs
Suggests: postgresql, nginx | caddy
Section: net
Priority: optional
Description: Glovebox sync server
 Keeps several Glovebox installations (vehicle fuel, service, odometer and reminder
 records) in step: devices push and pull their changes, conflicts resolve row by row by
 hybrid logical clock. Stores its data in SQLite, or in PostgreSQL for several server
 processes. Runs as the systemd service glovebox-server under its own user.
EOF

mkdir -p "$(dirname "$deb")"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "package-server: built $deb"

# ---- checks -------------------------------------------------------------------------
fail() { echo "package-server: CHECK FAILED: $*" >&2; exit 1; }

dpkg-deb --info "$deb" >"$work/info"
for field in "Package: glovebox-server" "Version: $version" "Depends: adduser"; do
  grep -q "^ $field" "$work/info" || fail "control lacks '$field'"
done
for s in postinst prerm postrm conffiles; do
  grep -qE "lines( +\*)? +$s( |\$)" "$work/info" || fail "no $s in the control archive"
done

dpkg-deb --contents "$deb" >"$work/contents"
expect() { # mode owner path
  grep -qE "^$1 $2 .* \./$3\$" "$work/contents" || fail "expected $1 $2 ./$3 in the package"
}
expect -rwxr-xr-x root/root usr/bin/glovebox-server
expect -rw-r--r-- root/root lib/systemd/system/glovebox-server.service
expect -rw-r--r-- root/root etc/glovebox/server.toml
expect -rw-r--r-- root/root usr/share/doc/glovebox-server/copyright
if grep -q "var/lib" "$work/contents"; then
  fail "the package must not ship /var/lib/glovebox (postinst and StateDirectory= make it)"
fi

ex="$work/extracted"
dpkg-deb -x "$deb" "$ex"
if command -v systemd-analyze >/dev/null; then
  # The unit as packaged, but with ExecStart= at the extracted binary, so verify can check
  # that it exists and runs without anything being installed.
  mkdir -p "$work/unit"
  sed "s|/usr/bin/glovebox-server|$ex/usr/bin/glovebox-server|" \
    "$ex/lib/systemd/system/glovebox-server.service" >"$work/unit/glovebox-server.service"
  systemd-analyze verify --man=no "$work/unit/glovebox-server.service" >"$work/verify" 2>&1 || {
    cat "$work/verify" >&2
    fail "systemd-analyze verify"
  }
  if [ -s "$work/verify" ]; then cat "$work/verify" >&2; fail "systemd-analyze verify warned"; fi
  exposure="$(systemd-analyze security --offline=yes "$work/unit/glovebox-server.service" \
    2>/dev/null | tail -1 || true)"
  echo "package-server: unit verified; systemd-analyze security: ${exposure:-n/a}"
else
  echo "package-server: systemd-analyze is not installed; the unit was not verified"
fi

# Smoke run: the packaged binary with the packaged config (only the database and listen
# address overridden), an account made, status answered on loopback, SIGINT stops it.
db="$work/smoke.db"
export GLOVEBOX_DATABASE="$db" GLOVEBOX_LISTEN=127.0.0.1:0
echo "smoke password" | "$ex/usr/bin/glovebox-server" --config "$ex/etc/glovebox/server.toml" \
  user add smoke >/dev/null || fail "user add with the packaged config"
"$ex/usr/bin/glovebox-server" --config "$ex/etc/glovebox/server.toml" serve 2>"$work/serve.log" &
smoke_pid=$!
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/^glovebox-server listening on \(http:[^ ]*\).*/\1/p' "$work/serve.log" | head -1)"
  [ -n "$url" ] && break
  kill -0 "$smoke_pid" 2>/dev/null || { cat "$work/serve.log" >&2; fail "the server exited"; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.log" >&2; fail "the server did not say where it listens"; }
curl -fsS --max-time 5 "$url/v1/status" >"$work/status" || fail "GET $url/v1/status"
grep -q '"max_protocol"' "$work/status" || fail "unexpected status body: $(cat "$work/status")"
kill -INT "$smoke_pid"
wait "$smoke_pid" || fail "the server did not exit cleanly on SIGINT"
smoke_pid=""
echo "package-server: smoke run ok ($url/v1/status)"
echo "package-server: all checks passed: $deb ($(du -h "$deb" | cut -f1))"
