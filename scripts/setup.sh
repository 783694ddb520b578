#!/usr/bin/env bash
# Installs what the browser parts of ecospace need, on a fresh Debian 12, as root.
# Idempotent and quiet: it prints nothing unless something fails (then the failing
# step's output). Steps that are already done are skipped:
#   - apt: GDAL/PROJ for the `gdal` cargo feature (libgdal-dev, libproj-dev, clang/libclang-dev for
#     proj-sys' bindgen, pkg-config, gdal-bin for ogr2ogr/ogrinfo in tests), only if missing
#   - apt: chromium and fonts-noto-cjk, only if /usr/bin/chromium or the CJK font is missing
#   - npm: `npm ci`, only if node_modules is missing or older than package-lock.json
#   - pip: the independent readers the tests check our output with, each only if missing:
#     mapbox-vector-tile (MVT), pmtiles (PMTiles archives), pyarrow + shapely (GeoParquet, WKB)
# `setup.sh --serve` does only what running the service needs (npm: the MapLibre assets).
set -euo pipefail
serve_only=false
[ "${1:-}" = "--serve" ] && serve_only=true
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() { # run a step quietly; on failure show its output and stop
  if ! "$@" >"$log" 2>&1; then
    echo "setup.sh: failed: $*" >&2
    cat "$log" >&2
    exit 1
  fi
}

have_font() {
  [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] ||
    { command -v fc-list >/dev/null 2>&1 && fc-list ':lang=zh' family | grep -qi 'Noto Sans CJK'; }
}

pkgs=()
# Building with `--features gdal` needs these in both modes.
pkg-config --exists gdal 2>/dev/null || pkgs+=(libgdal-dev)
pkg-config --exists proj 2>/dev/null || pkgs+=(libproj-dev)
[ -e /usr/lib/llvm-14/lib/libclang.so ] || ls /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1 || pkgs+=(clang libclang-dev)
command -v pkg-config >/dev/null || pkgs+=(pkg-config)
command -v ogr2ogr >/dev/null || pkgs+=(gdal-bin)
if ! $serve_only; then
  [ -x /usr/bin/chromium ] || pkgs+=(chromium)
  have_font || pkgs+=(fonts-noto-cjk)
fi
if [ "${#pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: need root to apt-get install ${pkgs[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  run apt-get update
  run apt-get install -y --no-install-recommends "${pkgs[@]}"
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "setup.sh: npm not found (node >= 18 with npm is needed)" >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  run npm ci --no-audit --no-fund --loglevel=error
  touch node_modules # npm ci may keep an old mtime; mark it as fresh
fi

if ! $serve_only; then
  py=()
  python3 -c "import mapbox_vector_tile" >/dev/null 2>&1 || py+=("mapbox-vector-tile==2.2.0")
  python3 -c "import pmtiles" >/dev/null 2>&1 || py+=("pmtiles==3.8.1")
  python3 -c "import pyarrow" >/dev/null 2>&1 || py+=("pyarrow==26.0.1")
  python3 -c "import shapely" >/dev/null 2>&1 || py+=("shapely==2.2.0")
  if [ "${#py[@]}" -gt 0 ]; then
    run python3 -m pip install --quiet --disable-pip-version-check "${py[@]}"
  fi
fi
