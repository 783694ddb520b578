#!/usr/bin/env bash
# Builds the ecospace Debian package with `cargo deb` (target/debian/ecospace_<version>_amd64.deb),
# and with --check proves it on this machine, as root, as a fresh Debian 12 would take it:
#   1. `apt-get install ./ecospace_….deb` resolves its dependencies (GDAL, PROJ) from Debian;
#   2. `systemd-analyze verify` accepts the unit (systemd is installed for that, not running);
#   3. the unit's ExecStart, run as the unit's User in its WorkingDirectory, answers /health with
#      the bundled data's version (the one `ecospace --version` reports);
#   4. `dpkg -r ecospace` removes the binary and the unit and keeps the config and the data folder;
#      `dpkg --purge` then removes those too.
# Run it in a fresh root: bash ../shared/tools/fresh-machine.sh . -- "bash scripts/setup.sh --serve" \
#   "bash scripts/deb.sh --check"  (a chroot: no systemd runs there, so the unit is not started).
# Needs what `scripts/setup.sh --serve` installs; installs cargo-deb (crates.io, into target/tools)
# and dpkg-dev itself.
set -euo pipefail
check=false
for a in "$@"; do
  case $a in
    --check) check=true ;;
    *) echo "deb.sh: unknown option $a (use --check)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
cargo_deb_version=3.8.0

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
apt_install() {
  local missing=()
  for p in "$@"; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" -eq 0 ] || { echo "deb.sh: need root to apt-get install ${missing[*]}" >&2; exit 1; }
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
    >/tmp/ecospace-deb-apt.log 2>&1 || { cat /tmp/ecospace-deb-apt.log >&2; exit 1; }
}

# dpkg-shlibdeps (dpkg-dev) turns the binary's shared libraries into `Depends:` ($auto).
apt_install dpkg-dev
# cargo-deb goes into target/tools (CARGO_HOME/bin may be read-only, as in fresh-machine roots).
tools=$PWD/target/tools
if ! "$tools/bin/cargo-deb" --version 2>/dev/null | grep -q "$cargo_deb_version"; then
  echo "deb.sh: cargo install cargo-deb@$cargo_deb_version (into target/tools)" >&2
  cargo install --quiet --locked --root "$tools" "cargo-deb@$cargo_deb_version"
fi
"$tools/bin/cargo-deb" --quiet --strip
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
deb=target/debian/ecospace_${version}-1_amd64.deb
[ -f "$deb" ] || deb=$(ls -t target/debian/ecospace_*.deb | head -n 1)
echo "deb.sh: built $deb ($(du -h "$deb" | cut -f1))"
$check || exit 0

fail() { echo "deb.sh: FAILED: $*" >&2; exit 1; }
say() { echo "deb.sh: $*"; }
[ "$(id -u)" -eq 0 ] || fail "--check needs root (it installs the package)"
apt_install curl
unit=/usr/lib/systemd/system/ecospace.service

say "1. apt-get install ./$deb"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "./$deb" >/tmp/ecospace-deb-install.log 2>&1 ||
  { cat /tmp/ecospace-deb-install.log >&2; fail "apt-get install"; }
dpkg-query -W -f='${Status} ${Version}\n' ecospace
dpkg-deb -f "$deb" Depends
[ -x /usr/bin/ecospace ] && [ -f "$unit" ] && [ -f /etc/ecospace/ecospace.toml ] || fail "files missing"
getent passwd ecospace >/dev/null || fail "no service user"
[ "$(stat -c %U /var/lib/ecospace/data/layers.toml)" = ecospace ] || fail "data folder not the service user's"

say "2. systemd-analyze verify $unit"
apt_install systemd
systemd-analyze verify "$unit" || fail "systemd-analyze verify"

say "3. the unit's ExecStart as its User, in its WorkingDirectory"
prop() { sed -n "s/^$1=//p" "$unit" | head -n 1; }
exec_start=$(prop ExecStart) user=$(prop User) workdir=$(prop WorkingDirectory)
[ -n "$exec_start" ] && [ -n "$user" ] && [ -n "$workdir" ] || fail "unit lacks ExecStart/User/WorkingDirectory"
log=/tmp/ecospace-deb-serve.log
(cd "$workdir" && exec runuser -u "$user" -- env NO_COLOR=1 $exec_start) >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
addr=$(sed -n 's/^addr = "\(.*\)"/\1/p' /etc/ecospace/ecospace.toml)
health=''
for _ in $(seq 1 100); do
  health=$(curl -sf "http://$addr/health" 2>/dev/null) && break
  kill -0 $pid 2>/dev/null || { cat "$log" >&2; fail "the service exited"; }
  sleep 0.2
done
[ -n "$health" ] || { cat "$log" >&2; fail "no /health answer on $addr"; }
say "/health: $health"
bundled=$(/usr/bin/ecospace --version | sed -n 's/^bundled data: [^ ]* \([0-9a-f]*\).*/\1/p')
case $health in *"\"version\":\"$bundled\""*) ;; *) fail "/health does not report the bundled data $bundled" ;; esac
owner='' # the user of the ecospace process (runuser is its parent); /proc, as procps may be absent
for p in /proc/[0-9]*; do
  case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in "/usr/bin/ecospace serve "*) owner=$(stat -c %U "$p") ;; esac
done
[ "$owner" = "$user" ] || fail "the service runs as '$owner', not $user"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$addr/map")
[ "$code" = 200 ] || fail "/map answered $code"
curl -sf -o /dev/null "http://$addr/assets/maplibre-gl/maplibre-gl.js" || fail "MapLibre not served"
kill $pid && wait $pid 2>/dev/null || true
trap - EXIT

say "4. dpkg -r ecospace, then dpkg --purge ecospace"
dpkg -r ecospace >/dev/null
[ ! -e /usr/bin/ecospace ] && [ ! -e "$unit" ] || fail "dpkg -r left the binary or the unit"
[ -f /etc/ecospace/ecospace.toml ] && [ -d /var/lib/ecospace/data ] || fail "dpkg -r removed config or data"
dpkg --purge ecospace >/dev/null
[ ! -e /etc/ecospace/ecospace.toml ] && [ ! -e /var/lib/ecospace ] || fail "purge left config or data"
! dpkg-query -W ecospace >/dev/null 2>&1 || [ -z "$(dpkg-query -W -f='${Status}' ecospace | grep installed)" ] ||
  fail "still listed as installed"
say "ok: installs, verifies, serves as $user, removes cleanly"
