#!/usr/bin/env bash
# Side-by-side performance comparison (issue #8): ecospace (in process, and over HTTP) against
# shapely 2 + pyproj and PostGIS 3.3, on the same seeded workloads and the same questions, with
# the answers compared before any timing is shown.
#
#   bash bench/compare.sh [--data DIR] [--quick] [--out DIR]
#
# Installs what is missing (apt: postgresql-15-postgis-3; PyPI: psycopg[binary], mapbox-vector-tile),
# builds the release binary and examples, writes the workloads (bench/compare/make_workloads.py),
# runs every engine single-threaded (HTTP also at concurrency 16), checks agreement
# (bench/compare/agree.py; exits non-zero on a disagreement) and prints the Markdown table, also
# written to bench/compare/results.md (results.ndjson + answers under --out, default
# bench/compare/out). PostGIS runs in a throwaway cluster in a temp dir (user postgres, loopback,
# a free port), deleted at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
data=data/jiaxing
quick=0
out=bench/compare/out
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: bash bench/compare.sh [--data DIR] [--quick] [--out DIR]" >&2; exit 2 ;;
  esac
done
if [ "$quick" = 1 ]; then
  counts=(--points 500 --small 200 --large 20 --lines 60); rep=1; prep=1; secs=3
else
  counts=(--points 2000 --small 1000 --large 100 --lines 300); rep=5; prep=5; secs=10
fi
say() { printf '\n== %s\n' "$*" >&2; }
rm -rf "$out"; mkdir -p "$out/work" "$out/answers"
results="$out/results.ndjson"; : > "$results"

say "peers: installing what is missing"
if [ ! -f /usr/share/postgresql/15/extension/postgis.control ] || [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 postgresql-15-postgis-3 >/dev/null
fi
command -v ogr2ogr >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gdal-bin >/dev/null
python3 -c 'import shapely, pyproj; assert shapely.__version__ >= "2"' 2>/dev/null || pip install -q 'shapely>=2.1' pyproj
python3 -c 'import psycopg' 2>/dev/null || pip install -q 'psycopg[binary]'
python3 -c 'import mapbox_vector_tile' 2>/dev/null || pip install -q mapbox-vector-tile
python3 -c 'import shapely, pyproj, psycopg; print("shapely", shapely.__version__, "GEOS", shapely.geos_version_string, "pyproj", pyproj.__version__, "psycopg", psycopg.__version__)' >&2

say "building ecospace (release binary + examples)"
cargo build --release --quiet --bin ecospace --example compare_engine --example http_bench
bin=target/release

say "workloads ($data)"
python3 bench/compare/make_workloads.py --data "$data" --out "$out/work" "${counts[@]}"

say "ecospace in process"
for k in points small large lines; do
  "$bin/examples/compare_engine" --data "$data" --sites "$out/work/$k.geojson" --kind "$k" \
    --repeat "$rep" --answers "$out/answers/ecospace_$k.ndjson" | tee -a "$results"
done
"$bin/examples/compare_engine" --data "$data" --kind indicators --repeat "$rep" \
  --answers "$out/answers/ecospace_indicators.json" | tee -a "$results" || echo "(no indicators for $data)" >&2
"$bin/examples/compare_engine" --data "$data" --kind tiles --zooms 10-12 --repeat "$rep" \
  --answers "$out/answers/ecospace_tiles.ndjson" | tee -a "$results"

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pgdir=""; server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [ -n "$pgdir" ] && [ -d "$pgdir" ]; then
    runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pgdir/db" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
  fi
}
trap cleanup EXIT INT TERM

say "ecospace over HTTP (loopback)"
port=$(freeport)
"$bin/ecospace" serve --data "$data" --addr "127.0.0.1:$port" >"$out/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
for k in points small large lines; do
  for c in 16 1; do
    "$bin/examples/http_bench" --addr "127.0.0.1:$port" --sites "$out/work/$k.geojson" --kind "$k" \
      --concurrency "$c" --seconds "$secs" --sample 200 --answers "$out/answers/http_$k.ndjson" | tee -a "$results"
  done
done
kill "$server"; wait "$server" 2>/dev/null || true; server=""

say "shapely $(python3 -c 'import shapely; print(shapely.__version__)') + pyproj, in process"
for k in points small large lines; do
  python3 bench/compare/peers.py shapely --data "$data" --sites "$out/work/$k.geojson" --kind "$k" \
    --repeat "$prep" --answers "$out/answers/shapely_$k.ndjson" | tee -a "$results"
done

say "PostGIS: throwaway cluster"
pgdir=$(mktemp -d /tmp/ecospace-pg.XXXXXX)
chown postgres "$pgdir"; chmod 700 "$pgdir"
pgport=$(freeport)
runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$pgdir/db" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pgdir/db" -l "$pgdir/log" -w \
  -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c fsync=off -c jit=off" start >/dev/null
dsn="host=127.0.0.1 port=$pgport dbname=eco user=postgres"
psql -q -h 127.0.0.1 -p "$pgport" -U postgres -c "CREATE DATABASE eco" >/dev/null
psql -q -h 127.0.0.1 -p "$pgport" -U postgres -d eco -c "CREATE EXTENSION postgis" >/dev/null
psql -qtA -h 127.0.0.1 -p "$pgport" -U postgres -d eco -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ', PostGIS ' || postgis_lib_version() || ', GEOS ' || postgis_geos_version()" >&2
python3 - "$data" <<'PY' > "$pgdir/layers.txt"
import os, sys, tomllib
d = sys.argv[1]
for l in tomllib.load(open(os.path.join(d, "layers.toml"), "rb"))["layer"]:
    print(l["id"], os.path.join(d, l["file"]))
PY
while read -r lid file; do
  ogr2ogr -f PostgreSQL "PG:$dsn" "$file" -nln "$lid" -lco GEOMETRY_NAME=geom -lco FID=fid \
    -lco SPATIAL_INDEX=GIST -lco PRECISION=NO -nlt PROMOTE_TO_MULTI -a_srs EPSG:4326
  psql -q -h 127.0.0.1 -p "$pgport" -U postgres -d eco >/dev/null <<SQL
SET client_min_messages = warning;
ALTER TABLE "$lid" ADD COLUMN IF NOT EXISTS valid_from integer, ADD COLUMN IF NOT EXISTS valid_to integer,
  ADD COLUMN IF NOT EXISTS county text, ADD COLUMN IF NOT EXISTS id text;
ALTER TABLE "$lid" ADD COLUMN g3857 geometry;
UPDATE "$lid" SET g3857 = ST_Transform(geom, 3857);
CREATE INDEX ON "$lid" USING gist (g3857);
VACUUM ANALYZE "$lid";
SQL
done < "$pgdir/layers.txt"
psql -qtA -h 127.0.0.1 -p "$pgport" -U postgres -d eco -c \
  "SELECT string_agg(table_name || ' ' || (xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM ' || quote_ident(table_name), false, true, '')))[1]::text, ', ') FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT IN ('spatial_ref_sys')" | sed 's/^/loaded: /' >&2

say "PostGIS $(psql -qtA -h 127.0.0.1 -p "$pgport" -U postgres -d eco -c 'SELECT postgis_lib_version()'), one connection"
for k in points small large lines; do
  python3 bench/compare/peers.py postgis --dsn "$dsn" --data "$data" --sites "$out/work/$k.geojson" --kind "$k" \
    --repeat "$prep" --answers "$out/answers/postgis_$k.ndjson" | tee -a "$results"
done
if [ -f "$out/answers/ecospace_indicators.json" ]; then
  python3 bench/compare/peers.py postgis --dsn "$dsn" --data "$data" --kind indicators --repeat "$rep" \
    --spec "$out/answers/ecospace_indicators.json" --answers "$out/answers/postgis_indicators.json" | tee -a "$results"
fi
python3 bench/compare/peers.py postgis --dsn "$dsn" --data "$data" --kind tiles --repeat "$prep" \
  --tiles "$out/answers/ecospace_tiles.ndjson" --answers "$out/answers/postgis_tiles.ndjson" | tee -a "$results"
cleanup; pgdir=""

say "agreement"
python3 bench/compare/agree.py --answers "$out/answers"
say "results ($(uptime | sed 's/^ *//'))"
python3 bench/compare/agree.py --table "$results" --md "$out/results.md" --data "$data" --quick "$quick"
cp "$out/results.md" bench/compare/results.md
