#!/usr/bin/env bash
# Side-by-side performance comparison (issue #8, and "peers in the harness, in one run"):
# ecospace (in process, and over HTTP) against shapely 2 + pyproj, PostGIS 3.3 and DuckDB's spatial
# extension on the same seeded workloads and the same questions; an end-to-end batch of 3,000
# sites against each of them; ecospace's HTTP layer against nginx; its vector tiles against Martin.
# The answers are compared before any timing is shown: while it runs it prints progress only; the
# timings go to the results file and are tabled after the agreement check has passed.
#
#   bash bench/compare.sh [--data DIR] [--quick] [--out DIR]
#
# Installs what is missing (apt: postgresql-15-postgis-3, gdal-bin, nginx, wrk; PyPI into the
# project's .venv/: shapely, pyproj, psycopg[binary], mapbox-vector-tile, pyarrow, duckdb +
# duckdb-ext-spatial; cargo: Martin 1.14 into target/martin, built once), builds the release binary
# and examples, writes the workloads (bench/compare/make_workloads.py), runs every engine, checks
# agreement (bench/compare/agree.py; exits non-zero on a disagreement) and prints one Markdown table
# per section, also written to bench/compare/results.md (results.ndjson + answers under --out,
# default bench/compare/out). PostGIS runs in a throwaway cluster in a temp dir (user postgres,
# loopback, a free port), nginx and Martin on free loopback ports; all are stopped at exit.
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
  counts=(--points 500 --small 200 --large 20 --lines 60 --batch 500); rep=1; prep=1; secs=3
  bruns=3; wsecs=2; tcap=60
else
  counts=(--points 2000 --small 1000 --large 100 --lines 300 --batch 3000); rep=5; prep=5; secs=10
  bruns=7; wsecs=5; tcap=200
fi
say() { printf '\n== %s\n' "$*" >&2; }
rm -rf "$out"; mkdir -p "$out/work" "$out/answers" "$out/bin"
results="$out/results.ndjson"; : > "$results"
uptime | sed 's/^ *//' > "$out/uptime_start.txt"
say "start: $(cat "$out/uptime_start.txt")"
py=.venv/bin/python3

say "peers: installing what is missing"
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
apt_missing=()
for p in postgresql-15 postgresql-15-postgis-3 gdal-bin nginx wrk curl; do installed "$p" || apt_missing+=("$p"); done
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || installed python3-venv || apt_missing+=(python3-venv)
if [ ${#apt_missing[@]} -gt 0 ]; then
  echo "apt: ${apt_missing[*]}" >&2
  had_nginx_pid=0; [ -e /run/nginx.pid ] && had_nginx_pid=1
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
  }
  # Debian's nginx package starts its own service where the init system lets it (port 80): the
  # harness runs its own instance, so a service this install started is stopped again.
  if [ "$had_nginx_pid" = 0 ] && [ -s /run/nginx.pid ]; then service nginx stop >/dev/null 2>&1 || true; fi
fi
[ -x "$py" ] || python3 -m venv .venv
pip_missing=()
"$py" -c 'import shapely; assert int(shapely.__version__.split(".")[0]) >= 2' 2>/dev/null || pip_missing+=('shapely>=2.1')
"$py" -c 'import pyproj' 2>/dev/null || pip_missing+=(pyproj)
"$py" -c 'import psycopg' 2>/dev/null || pip_missing+=('psycopg[binary]')
"$py" -c 'import mapbox_vector_tile' 2>/dev/null || pip_missing+=(mapbox-vector-tile)
"$py" -c 'import pyarrow' 2>/dev/null || pip_missing+=(pyarrow)
# DuckDB and its spatial extension must be the same version (the extension is loaded from the
# wheel, offline): the pair as measured, unless a matching pair is already there.
"$py" -c 'import sys; sys.path.insert(0, "bench/compare"); import peers; peers.duckdb_spatial_path()' >/dev/null 2>&1 \
  || pip_missing+=(duckdb==1.4.4 duckdb-ext-spatial==1.4.4.20260205)
if [ ${#pip_missing[@]} -gt 0 ]; then
  echo "pip (.venv): ${pip_missing[*]}" >&2
  "$py" -m pip install -q "${pip_missing[@]}"
fi
"$py" -c 'import shapely, pyproj, psycopg, duckdb, mapbox_vector_tile; print("shapely", shapely.__version__, "GEOS", shapely.geos_version_string, "pyproj", pyproj.__version__, "PROJ", pyproj.proj_version_str, "psycopg", psycopg.__version__, "duckdb", duckdb.__version__)' >&2

# Martin (the peer tile server), built once and cached: 1.14.0 is the newest that builds with this
# rustc (1.16 needs a newer one); no default features (they clone MapLibre Native and run npm).
martin=target/martin/bin/martin
if [ ! -x "$martin" ]; then
  say "building Martin 1.14.0 once (cargo install, nice; cached in target/martin)"
  t0=$(date +%s)
  mkdir -p target/martin
  if nice cargo install martin@1.14.0 --locked --no-default-features --features postgres --root target/martin \
       >target/martin/build.log 2>&1; then
    echo "built $(date -u +%FT%TZ) in $(( $(date +%s) - t0 )) s: cargo install martin@1.14.0 --locked --no-default-features --features postgres (nice, $(nproc) cores, $(rustc --version))" \
      > target/martin/BUILD_INFO
  else
    echo "Martin build FAILED after $(( $(date +%s) - t0 )) s (target/martin/build.log): the tile comparison is skipped" >&2
    tail -20 target/martin/build.log >&2
    martin=""
  fi
fi
[ -z "$martin" ] || echo "martin: $("$martin" --version) ($(cat target/martin/BUILD_INFO 2>/dev/null || echo 'build time not recorded'))" >&2

say "building ecospace (release binary + examples)"
nice cargo build --release --quiet --bin ecospace --example compare_engine --example http_bench
# src/ may be rebuilt by others while this runs: every step uses this copy of the binaries.
cp target/release/ecospace target/release/examples/compare_engine target/release/examples/http_bench "$out/bin/"
bin=$out/bin

say "workloads ($data)"
"$py" bench/compare/make_workloads.py --data "$data" --out "$out/work" "${counts[@]}"
"$py" bench/compare/servers.py tile-list --data "$data" --zooms 8-14 --cap "$tcap" --out "$out/work/tiles.txt"

say "ecospace in process"
for k in points small large lines; do
  "$bin/compare_engine" --data "$data" --sites "$out/work/$k.geojson" --kind "$k" \
    --repeat "$rep" --answers "$out/answers/ecospace_$k.ndjson" >> "$results"
done
"$bin/compare_engine" --data "$data" --kind indicators --repeat "$rep" \
  --answers "$out/answers/ecospace_indicators.json" >> "$results" || echo "(no indicators for $data)" >&2
"$bin/compare_engine" --data "$data" --kind tiles --zooms 10-12 --repeat "$rep" \
  --answers "$out/answers/ecospace_tiles.ndjson" >> "$results"

freeport() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pgdir=""; server=""; ngdir=""; nginx_pid=""; martin_pid=""
stop() { # stop one process this script started, by its pid
  if [ -n "${1:-}" ]; then kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; fi
}
cleanup() {
  stop "$server"; server=""
  stop "$martin_pid"; martin_pid=""
  if [ -n "$nginx_pid" ]; then kill -QUIT "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""; fi
  if [ -n "$ngdir" ] && [ -d "$ngdir" ]; then rm -rf "$ngdir"; ngdir=""; fi
  if [ -n "$pgdir" ] && [ -d "$pgdir" ]; then
    runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pgdir/db" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"; pgdir=""
  fi
}
trap cleanup EXIT INT TERM
wait_http() { # URL: until it answers 2xx (10 s)
  for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1" >&2; return 1
}
# ecospace serve with the given extra flags, default settings otherwise; sets $server and $eport
serve() {
  local log=$1; shift
  eport=$(freeport)
  "$bin/ecospace" serve --data "$data" --addr "127.0.0.1:$eport" "$@" >"$log" 2>&1 &
  server=$!
  wait_http "http://127.0.0.1:$eport/health"
}
# wrk -t2 -c16 for $wsecs s, one JSON row into the results (wrk's own output into $out/wrk/):
#   wrkrow SECTION SERVER LABEL URL PATH-SHOWN EXTRA-JSON [wrk args]
wrkrow() {
  local section=$1 who=$2 label=$3 url=$4 shown=$5 extra=$6; shift 6
  mkdir -p "$out/wrk"
  echo "wrk: $who $label ($url)" >&2
  wrk -t2 -c16 -d"${wsecs}s" --latency "$@" "$url" > "$out/wrk/$section-$who-$label.txt" 2>&1
  "$py" bench/compare/servers.py wrk --section "$section" --server "$who" --label "$label" --path "$shown" --extra "$extra" \
    < "$out/wrk/$section-$who-$label.txt" >> "$results"
}

say "ecospace over HTTP (loopback)"
serve "$out/server.log"
port=$eport
for k in points small large lines; do
  for c in 16 1; do
    "$bin/http_bench" --addr "127.0.0.1:$port" --sites "$out/work/$k.geojson" --kind "$k" \
      --concurrency "$c" --seconds "$secs" --sample 200 --answers "$out/answers/http_$k.ndjson" >> "$results"
  done
done
stop "$server"; server=""
# The batch's server logs every request (the access log is at debug) for the server-side time.
RUST_LOG=info,ecospace::access=debug serve "$out/server.log"
port=$eport
say "batch: ecospace, ONE POST /check with $(grep -o '"Feature"' "$out/work/batch.geojson" | wc -l) sites, $bruns runs"
"$py" bench/compare/peers.py ecospace-http --addr "127.0.0.1:$port" --sites "$out/work/batch.geojson" --kind batch \
  --runs "$bruns" --server-log "$out/server.log" --answers "$out/answers/ecospace_batch.ndjson" >> "$results"
stop "$server"; server=""

say "the HTTP layer: nginx and ecospace, wrk -t2 -c16 -d${wsecs}s each"
ngdir=$(mktemp -d /tmp/ecospace-nginx.XXXXXX)
ngport=$(freeport)
"$py" bench/compare/servers.py nginx-conf --prefix "$ngdir" --port "$ngport" --body-bytes 130 --out "$ngdir/nginx.conf"
nginx -p "$ngdir" -c "$ngdir/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
wait_http "http://127.0.0.1:$ngport/"
[ "$(curl -s "http://127.0.0.1:$ngport/" | wc -c)" = 130 ] || { echo "nginx body is not 130 bytes" >&2; exit 1; }
wrkrow http nginx static "http://127.0.0.1:$ngport/" "/ (130-byte JSON)" '{}'
kill -QUIT "$nginx_pid"; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""
serve "$out/server-wrk.log"
htile="/tiles/redline/10/857/420.mvt"
hst=$(curl -s -o "$out/work/http-tile.mvt" -w '%{http_code}' "http://127.0.0.1:$eport$htile")  # the warm request
[ "$hst" = 200 ] && [ -s "$out/work/http-tile.mvt" ] || { echo "$htile: HTTP $hst or empty: not a tile with content" >&2; exit 1; }
wrkrow http ecospace health "http://127.0.0.1:$eport/health" "/health" '{}'
zq="/zones?lon=120.84193&lat=30.57686&year=2025"
wrkrow http ecospace zones "http://127.0.0.1:$eport$zq" "$zq" '{}'
wrkrow http ecospace tile-cached "http://127.0.0.1:$eport$htile" "$htile (cached, $(stat -c %s "$out/work/http-tile.mvt") bytes)" '{}'
stop "$server"; server=""

say "shapely $("$py" -c 'import shapely; print(shapely.__version__)') + pyproj, in process"
for k in points small large lines; do
  "$py" bench/compare/peers.py shapely --data "$data" --sites "$out/work/$k.geojson" --kind "$k" \
    --repeat "$prep" --answers "$out/answers/shapely_$k.ndjson" >> "$results"
done
"$py" bench/compare/peers.py shapely --data "$data" --sites "$out/work/batch.geojson" --kind batch --runs "$bruns" \
  --answers "$out/answers/shapely_batch.ndjson" >> "$results"

say "DuckDB $("$py" -c 'import duckdb; print(duckdb.__version__)') + spatial (offline extension), in process"
for k in points small large lines; do
  "$py" bench/compare/peers.py duckdb --data "$data" --sites "$out/work/$k.geojson" --kind "$k" \
    --repeat "$prep" --answers "$out/answers/duckdb_$k.ndjson" >> "$results"
done
"$py" bench/compare/peers.py duckdb --data "$data" --sites "$out/work/batch.geojson" --kind batch --runs "$bruns" \
  --answers "$out/answers/duckdb_batch.ndjson" >> "$results"

say "PostGIS: throwaway cluster"
pgdir=$(mktemp -d /tmp/ecospace-pg.XXXXXX)
chown postgres "$pgdir"; chmod 700 "$pgdir"
pgport=$(freeport)
runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$pgdir/db" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$pgdir/db" -l "$pgdir/log" -w \
  -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c fsync=off -c jit=off" start >/dev/null
dsn="host=127.0.0.1 port=$pgport dbname=eco user=postgres"
pg() { psql -X -v ON_ERROR_STOP=1 -q -h 127.0.0.1 -p "$pgport" -U postgres "$@"; }
pg -c "CREATE DATABASE eco" >/dev/null
pg -d eco -c "CREATE EXTENSION postgis" >/dev/null
pg -tA -d eco -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ', PostGIS ' || postgis_lib_version() || ', GEOS ' || postgis_geos_version()" | tee "$out/work/postgis_version.txt" >&2
"$py" - "$data" <<'PY' > "$pgdir/layers.txt"
import os, sys, tomllib
d = sys.argv[1]
for l in tomllib.load(open(os.path.join(d, "layers.toml"), "rb"))["layer"]:
    print(l["id"], os.path.join(d, l["file"]))
PY
# Every layer is loaded, context ones included (`context = true`: county outlines, land and sea):
# the site queries skip them (peers.py, as ecospace's check does), the tiles draw them (as ecospace
# does) and an indicator's denominator may be one (land_sea, class = land).
# Martin's tables: one per layer, named as the layer, SRID 4326, only the features in force in 2025
# (Martin has no year parameter), id + the same properties as ecospace's tiles, in a schema of their own
pg -d eco -c "CREATE SCHEMA martin" >/dev/null
while read -r lid file; do
  ogr2ogr -f PostgreSQL "PG:$dsn" "$file" -nln "$lid" -lco GEOMETRY_NAME=geom -lco FID=fid \
    -lco SPATIAL_INDEX=GIST -lco PRECISION=NO -nlt PROMOTE_TO_MULTI -a_srs EPSG:4326
  pg -d eco >/dev/null <<SQL
SET client_min_messages = warning;
ALTER TABLE "$lid" ADD COLUMN IF NOT EXISTS valid_from integer, ADD COLUMN IF NOT EXISTS valid_to integer,
  ADD COLUMN IF NOT EXISTS county text, ADD COLUMN IF NOT EXISTS id text;
ALTER TABLE "$lid" ADD COLUMN g3857 geometry;
UPDATE "$lid" SET g3857 = ST_Transform(geom, 3857);
CREATE INDEX ON "$lid" USING gist (g3857);
VACUUM ANALYZE "$lid";
CREATE TABLE martin."$lid" AS SELECT * FROM public."$lid" t
  WHERE (t.valid_from IS NULL OR t.valid_from::numeric <= 2025) AND (t.valid_to IS NULL OR t.valid_to::numeric > 2025);
UPDATE martin."$lid" SET id = coalesce(id::text, fid::text);
ALTER TABLE martin."$lid" DROP COLUMN g3857, DROP COLUMN fid;
CREATE INDEX ON martin."$lid" USING gist (geom);
VACUUM ANALYZE martin."$lid";
SQL
done < "$pgdir/layers.txt"
pg -tA -d eco -c \
  "SELECT string_agg(table_schema || '.' || table_name || ' ' || (xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM ' || quote_ident(table_schema) || '.' || quote_ident(table_name), false, true, '')))[1]::text, ', ' ORDER BY table_schema, table_name) FROM information_schema.tables WHERE table_schema IN ('public', 'martin') AND table_name NOT IN ('spatial_ref_sys', 'geography_columns', 'geometry_columns')" | sed 's/^/loaded: /' >&2

say "PostGIS $(pg -tA -d eco -c 'SELECT postgis_lib_version()'), one connection"
for k in points small large lines; do
  "$py" bench/compare/peers.py postgis --dsn "$dsn" --data "$data" --sites "$out/work/$k.geojson" --kind "$k" \
    --repeat "$prep" --answers "$out/answers/postgis_$k.ndjson" >> "$results"
done
if [ -f "$out/answers/ecospace_indicators.json" ]; then
  "$py" bench/compare/peers.py postgis --dsn "$dsn" --data "$data" --kind indicators --repeat "$rep" \
    --spec "$out/answers/ecospace_indicators.json" --answers "$out/answers/postgis_indicators.json" >> "$results"
fi
"$py" bench/compare/peers.py postgis --dsn "$dsn" --data "$data" --kind tiles --repeat "$prep" \
  --tiles "$out/answers/ecospace_tiles.ndjson" --answers "$out/answers/postgis_tiles.ndjson" >> "$results"
"$py" bench/compare/peers.py postgis --dsn "$dsn" --data "$data" --sites "$out/work/batch.geojson" --kind batch --runs "$bruns" \
  --answers "$out/answers/postgis_batch.ndjson" >> "$results"

if [ -n "$martin" ]; then
  say "tiles over HTTP: ecospace vs Martin $("$martin" --version | awk '{print $2}'), $(wc -l < "$out/work/tiles.txt") tiles z8-z14"
  # every layer, context ones included, on both servers (ecospace serves their tiles too)
  layers=$("$py" -c 'import sys, tomllib; print(",".join(l["id"] for l in tomllib.load(open(sys.argv[1] + "/layers.toml", "rb"))["layer"]))' "$data")
  cat > "$out/work/martin.yaml" <<YAML
# generated by bench/compare.sh: the martin schema's tables, auto-published (source id = table name)
postgres:
  connection_string: "postgresql://postgres@127.0.0.1:$pgport/eco"
  auto_publish:
    tables:
      from_schemas: martin
YAML
  # start Martin with extra flags; sets $martin_pid and $mport
  martin_up() {
    local log=$1; shift
    mport=$(freeport)
    "$martin" --config "$out/work/martin.yaml" --listen-addresses "127.0.0.1:$mport" "$@" >"$log" 2>&1 &
    martin_pid=$!
    wait_http "http://127.0.0.1:$mport/health"
    curl -sf "http://127.0.0.1:$mport/catalog" > "$out/work/martin_catalog.json"
    "$py" - "$out/work/martin_catalog.json" "$layers" <<'PY'
import json, sys
have = set(json.load(open(sys.argv[1])).get("tiles", {}))
want = set(sys.argv[2].split(","))
if not want <= have:
    sys.exit(f"Martin publishes {sorted(have)}, not every layer of {sorted(want)}")
PY
  }
  "$py" bench/compare/servers.py lua --url-path "/$layers/{z}/{x}/{y}" --tiles "$out/work/tiles.txt" --out "$out/work/martin_tiles.lua"
  "$py" bench/compare/servers.py lua --url-path "/tiles/$layers/{z}/{x}/{y}.mvt?year=2025" --tiles "$out/work/tiles.txt" --out "$out/work/ecospace_tiles.lua"

  # cold: no tile cache on either side
  martin_up "$out/martin-cold.log" --cache-size 0
  serve "$out/server-tiles-cold.log" --tile-cache-bytes 0
  "$py" bench/compare/servers.py tile-counts --server Martin --url "http://127.0.0.1:$mport/$layers/{z}/{x}/{y}" \
    --tiles "$out/work/tiles.txt" --answers "$out/answers/martin_tiles.ndjson"
  "$py" bench/compare/servers.py tile-counts --server ecospace --url "http://127.0.0.1:$eport/tiles/$layers/{z}/{x}/{y}.mvt?year=2025" \
    --tiles "$out/work/tiles.txt" --answers "$out/answers/ecoserve_tiles.ndjson"
  ntiles=$(wc -l < "$out/work/tiles.txt")
  wrkrow tiles-martin ecospace cold "http://127.0.0.1:$eport" "cycle" \
    "{\"desc\": \"$ntiles tiles z8-z14 cycled, all $(echo "$layers" | tr ',' '\n' | wc -l) layers\", \"settings\": \"--tile-cache-bytes 0\"}" \
    -s "$out/work/ecospace_tiles.lua"
  wrkrow tiles-martin martin cold "http://127.0.0.1:$mport" "cycle" \
    "{\"desc\": \"$ntiles tiles z8-z14 cycled, all layers\", \"settings\": \"--cache-size 0\"}" \
    -s "$out/work/martin_tiles.lua"
  stop "$server"; server=""; stop "$martin_pid"; martin_pid=""

  # cached: one tile repeated, default caches (the z12 tile of the list with most features)
  ct=$("$py" - "$out/answers/ecoserve_tiles.ndjson" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
z12 = [r for r in rows if r["z"] == 12] or rows
r = max(z12, key=lambda r: (sum(r["counts"].values()), -r["x"], -r["y"]))
print(f"{r['z']}/{r['x']}/{r['y']}")
PY
)
  martin_up "$out/martin-cached.log"
  serve "$out/server-tiles-cached.log"
  curl -sf -o /dev/null "http://127.0.0.1:$mport/$layers/$ct"
  curl -sf -o /dev/null "http://127.0.0.1:$eport/tiles/$layers/$ct.mvt?year=2025"
  wrkrow tiles-martin ecospace cached "http://127.0.0.1:$eport/tiles/$layers/$ct.mvt?year=2025" "/tiles/…/$ct.mvt" \
    "{\"desc\": \"$ct repeated, all layers\", \"settings\": \"default tile cache\"}"
  wrkrow tiles-martin martin cached "http://127.0.0.1:$mport/$layers/$ct" "/…/$ct" \
    "{\"desc\": \"$ct repeated, all layers\", \"settings\": \"default cache\"}"
  stop "$server"; server=""; stop "$martin_pid"; martin_pid=""
fi
cleanup

say "versions"
{
  echo "ecospace: $("$bin/ecospace" --version 2>/dev/null | paste -sd ";" - | sed "s/;/; /g"), git $(git rev-parse --short HEAD)$( [ -n "$(git status --porcelain -- src 2>/dev/null)" ] && echo ' + uncommitted changes in src/'), binary sha256 $(sha256sum "$bin/ecospace" | cut -c1-12), $(rustc --version)"
  "$py" - <<'PY'
import sys, importlib.metadata as m
import shapely, pyproj, psycopg, numpy
sys.path.insert(0, "bench/compare")
import peers
print(f"Python {sys.version.split()[0]}; shapely {shapely.__version__} (GEOS {shapely.geos_version_string}); "
      f"pyproj {pyproj.__version__} (PROJ {pyproj.proj_version_str}); numpy {numpy.__version__}; psycopg {psycopg.__version__}; "
      f"mapbox-vector-tile {m.version('mapbox-vector-tile')}; pyarrow {m.version('pyarrow')}")
v, e, t = peers.duckdb_info(peers.duckdb_connect())
print(f"DuckDB {v} (pip duckdb {m.version('duckdb')}), spatial extension {e} (pip duckdb-ext-spatial "
      f"{m.version('duckdb-ext-spatial')}, loaded offline from the wheel), threads {t}")
PY
  echo "$(cat "$out/work/postgis_version.txt") (throwaway cluster: fsync=off, shared_buffers=256MB, jit=off)"
  echo "$(nginx -v 2>&1 | sed 's/^nginx version: //') (worker_processes auto, access log on, keepalive_requests 1000000)"
  echo "$(wrk -v 2>&1 | head -1 | sed 's/ Copyright.*//')"
  if [ -n "$martin" ]; then echo "$("$martin" --version) (features: postgres; $(cat target/martin/BUILD_INFO 2>/dev/null || echo 'build time not recorded'))"; else echo "Martin: not available (build failed, see target/martin/build.log)"; fi
} > "$out/versions.txt"
cat "$out/versions.txt" >&2

say "agreement"
"$py" bench/compare/agree.py --answers "$out/answers" --data "$data" | tee "$out/agreement.txt"
say "results ($(uptime | sed 's/^ *//'))"
"$py" bench/compare/agree.py --table "$results" --md "$out/results.md" --data "$data" --quick "$quick" \
  --uptime-start "$out/uptime_start.txt" --agreement "$out/agreement.txt" --versions "$out/versions.txt"
cp "$out/results.md" bench/compare/results.md
cp "$results" bench/compare/results.ndjson
