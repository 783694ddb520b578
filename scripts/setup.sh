#!/usr/bin/env bash
# Installs what building, running and testing ecospace needs on Debian 12, as root.
# Idempotent and quiet: it prints nothing unless something fails (then the failing step's output).
#
# What is missing is asked of the package system, never guessed from file names: a Debian package
# counts as present only when `dpkg-query` says "install ok installed" (a glob such as
# libclang*.so* also matches libclang-cpp, which bindgen cannot use).
#   apt, both modes: libgdal-dev libproj-dev clang libclang-dev pkg-config (the `gdal` feature;
#                    proj-sys runs bindgen, which needs libclang), libfreetype-dev (the glyph ranges'
#                    rasteriser, linked through pkg-config), libsqlite3-dev (the registry's database,
#                    the same SQLite GDAL links), libcurl4-openssl-dev (the Tianditu proxy's
#                    fetch; the libcurl GDAL links), gdal-bin (ogr2ogr/ogrinfo), curl,
#                    fonts-noto-cjk (the font the glyph ranges are drawn from; the headless map test)
#   apt, tests only: chromium (headless map test), poppler-utils (pdftotext: which page each
#                    heading of the printed report lands on), procps (`kill` in the signal tests),
#                    python3-qgis (QGIS 3.22 as an OGC API client, headless; works without
#                    recommends),
#                    openjdk-17-jre-headless (Java for PySpark's local-mode test, tests/spark_test.rs),
#                    nginx-light (the load balancer of the replica test, bench/replicas.sh; installed
#                    with services kept from starting, so no nginx of Debian's own takes port 80),
#                    python3-venv when Python has no working `venv`, postgresql-15 (the PostgreSQL
#                    registry's tests start a throw-away server of their own from its programs;
#                    installed with create_main_cluster off, so Debian makes and starts no
#                    cluster of its own, and the file is put back afterwards)
#   npm:  `npm ci` when node_modules is missing or older than package-lock.json (MapLibre GL JS, which
#         the build embeds; the style validator and playwright-core for the tests)
#   pip, tests only: the independent readers the tests check our output with, and schemathesis (which
#         fuzzes the served OpenAPI document against the server), in the project's own
#         virtualenv `.venv/` (Debian's Python refuses system-wide installs, PEP 668)
#
# usage: setup.sh           everything the test suite needs
#        setup.sh --serve   only what building and running the service needs
#        setup.sh --plan    print what would be installed (one `apt|npm|pip: …` line each), change nothing
set -euo pipefail
serve_only=false plan=false
for a in "$@"; do
  case $a in
    --serve) serve_only=true ;;
    --plan) plan=true ;;
    *) echo "setup.sh: unknown option $a (use --serve or --plan)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."

# The readers the tests use, pinned: these are what the suite was measured against. hypothesis
# is schemathesis's engine, pinned too: schemathesis 3.x (through hypothesis-jsonschema 0.23)
# fails on every operation with hypothesis >= 6.170, which pip would pick unpinned.
pip_pkgs=(hypothesis==6.131.0 mapbox-vector-tile==2.2.0 pmtiles==3.8.1 pyarrow==26.0.1 pygeofilter==0.4.0 pyproj==3.7.1 pyspark==4.3.0 schemathesis==3.39.16 shapely==2.2.0)
venv=.venv

installed() { # is Debian package $1 installed? (dpkg's own answer)
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

apt_pkgs=() pg_needed=false
want() { for p in "$@"; do installed "$p" || apt_pkgs+=("$p"); done; }
want libgdal-dev libproj-dev clang libclang-dev pkg-config libfreetype-dev libsqlite3-dev libcurl4-openssl-dev gdal-bin curl fonts-noto-cjk
if ! $serve_only; then
  want chromium nginx-light openjdk-17-jre-headless poppler-utils procps python3-qgis
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || want python3-venv
  installed postgresql-15 || { want postgresql-common; pg_needed=true; }
fi

npm_needed=false
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then npm_needed=true; fi

pip_missing=()
if ! $serve_only; then
  if [ -x "$venv/bin/python3" ]; then
    for spec in "${pip_pkgs[@]}"; do
      # `pip` names are not module names; ask the venv's own metadata for the exact version.
      "$venv/bin/python3" - "$spec" >/dev/null 2>&1 <<'PY' || pip_missing+=("$spec")
import sys
from importlib.metadata import version
name, want = sys.argv[1].split("==")
sys.exit(version(name) != want)
PY
    done
  else
    pip_missing=("${pip_pkgs[@]}")
  fi
fi

if $plan; then
  [ ${#apt_pkgs[@]} -eq 0 ] || echo "apt: ${apt_pkgs[*]}"
  ! $pg_needed || echo "apt: postgresql-15"
  ! $npm_needed || echo "npm: ci"
  [ ${#pip_missing[@]} -eq 0 ] || echo "pip: ${pip_missing[*]}"
  exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() { # run a step quietly; on failure show its output and stop
  if ! "$@" >"$log" 2>&1; then
    echo "setup.sh: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}

if [ ${#apt_pkgs[@]} -gt 0 ] || $pg_needed; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: need root to apt-get install ${apt_pkgs[*]}$($pg_needed && echo ' postgresql-15')" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  run apt-get update
  # Debian starts a service its package installs (nginx on port 80) unless policy-rc.d says no:
  # say no for this install when nothing says so yet, and remove the file afterwards.
  policy=/usr/sbin/policy-rc.d own_policy=false
  if [[ " ${apt_pkgs[*]} " == *" nginx-light "* ]] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=true
  fi
  apt_ok=true
  [ ${#apt_pkgs[@]} -eq 0 ] || apt-get install -y --no-install-recommends "${apt_pkgs[@]}" >"$log" 2>&1 || apt_ok=false
  ! $own_policy || rm -f "$policy"
  if ! $apt_ok; then
    echo "setup.sh: failed: apt-get install -y --no-install-recommends ${apt_pkgs[*]}" >&2
    cat "$log" >&2
    exit 1
  fi
fi

if $pg_needed; then
  # postgresql-15's postinst makes a `main` cluster and starts it unless createcluster.conf
  # (postgresql-common's, installed above) says no: say no for this install, then put the
  # file back as it was, byte for byte, whether the install worked or not.
  conf=/etc/postgresql-common/createcluster.conf saved=$(mktemp)
  cp -p "$conf" "$saved"
  run pg_conftool "$conf" set create_main_cluster false
  pg_ok=true
  apt-get install -y --no-install-recommends postgresql-15 >"$log" 2>&1 || pg_ok=false
  cat "$saved" >"$conf" && rm -f "$saved"
  if ! $pg_ok; then
    echo "setup.sh: failed: apt-get install -y --no-install-recommends postgresql-15" >&2
    cat "$log" >&2
    exit 1
  fi
fi

if $npm_needed; then
  command -v npm >/dev/null 2>&1 || { echo "setup.sh: npm not found (Node.js >= 18 with npm is needed)" >&2; exit 1; }
  run npm ci --no-audit --no-fund --loglevel=error
  touch node_modules # npm ci may keep an old mtime; mark it as fresh
fi

if [ ${#pip_missing[@]} -gt 0 ]; then
  [ -x "$venv/bin/python3" ] || run python3 -m venv "$venv"
  run "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check "${pip_missing[@]}"
fi
