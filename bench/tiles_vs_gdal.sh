#!/usr/bin/env bash
# Tile generation, ecospace vs a peer: GDAL's MVT driver (`ogr2ogr -f MVT`) on the same bundled
# layers (2025 state), the same zooms and the same tile windows as benches/tiles.rs (around the
# 海盐 coast: 2×2 tiles at z8, 4×4 at z11 and z14). Prints tiles/s for GDAL; ecospace's figures
# come from `cargo bench --bench tiles` (cold = no cache). Usage: bench/tiles_vs_gdal.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
if ! command -v ogr2ogr >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdal-bin >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One GeoPackage with the five layers, only the features in force in 2025 (what ecospace renders).
for l in redline nature_reserve water_source shoreline river_bank; do
  where=""
  if grep -q '"valid_' "data/jiaxing/$l.geojson"; then
    where="(valid_from IS NULL OR valid_from <= 2025) AND (valid_to IS NULL OR valid_to > 2025)"
  fi
  ogr2ogr -f GPKG -append -nln "$l" ${where:+-where "$where"} "$tmp/all.gpkg" "data/jiaxing/$l.geojson"
done
ogrinfo -so -q "$tmp/all.gpkg" | sed 's/^/  /'
window() { # z → lon/lat bbox of the same tile window as benches/tiles.rs
  python3 - "$1" <<'PY'
import math, sys
z = int(sys.argv[1]); n = 2 ** z
lon, lat = 120.95, 30.48
cx = int((lon + 180) / 360 * n)
cy = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * n)
r = 1 if z < 10 else 2
x0, x1, y0, y1 = cx - r, cx + r, cy - r, cy + r   # tiles x0..x1-1, y0..y1-1
tl = lambda x, y: (x / n * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n)))))
(w, nn), (e, s) = tl(x0, y0), tl(x1, y1)
# shrink by a hair so neighbouring tiles are not pulled in
dx, dy = (e - w) * 1e-3, (nn - s) * 1e-3
print(w + dx, s + dy, e - dx, nn - dy)
PY
}
# What a run costs with nothing to tile (process start, opening the GeoPackage): subtracted below,
# so the figure is GDAL's tiling work alone — the fairest comparison with an in-process renderer.
overhead=""
for _ in $(seq "$runs"); do
  rm -rf "$tmp/out"
  t0=$(date +%s.%N)
  ogr2ogr -f MVT "$tmp/out" "$tmp/all.gpkg" -spat 0 0 0.001 0.001 -dsco MINZOOM=8 -dsco MAXZOOM=8 -dsco FORMAT=DIRECTORY 2>/dev/null
  dt=$(echo "$(date +%s.%N) - $t0" | bc -l)
  if [ -z "$overhead" ] || (( $(echo "$dt < $overhead" | bc -l) )); then overhead=$dt; fi
done
printf 'gdal fixed cost per run (no tiles): %.3f s (subtracted)\n' "$overhead"
for z in 8 11 14; do
  read -r w s e n < <(window "$z")
  best=""
  for _ in $(seq "$runs"); do
    rm -rf "$tmp/out"
    t0=$(date +%s.%N)
    ogr2ogr -f MVT "$tmp/out" "$tmp/all.gpkg" -spat "$w" "$s" "$e" "$n" \
      -dsco MINZOOM="$z" -dsco MAXZOOM="$z" -dsco COMPRESS=NO -dsco FORMAT=DIRECTORY -dsco MAX_SIZE=10000000 2>/dev/null
    t1=$(date +%s.%N)
    dt=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || (( $(echo "$dt < $best" | bc -l) )); then best=$dt; fi
  done
  tiles=$(find "$tmp/out/$z" -name '*.pbf' | wc -l)
  work=$(echo "$best - $overhead" | bc -l)
  printf 'gdal ogr2ogr -f MVT  z%-2s  %2d tiles  best of %d: %.3f s, %.3f s of tiling  → %.0f tiles/s\n' \
    "$z" "$tiles" "$runs" "$best" "$work" "$(echo "$tiles / $work" | bc -l)"
done
