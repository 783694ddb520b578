#!/usr/bin/env bash
# The registry at scale (issue #16): N projects (default 100,000) registered through
# `ecospace projects add` into a fresh SQLite state folder, the service started on them, the
# illustrative red-line revision PUT, and every project re-screened in the background while a
# client keeps asking /zones. Reports registration time, re-screening time and rate, /zones
# p50/p99 idle and during re-screening (and their ratio), the server's peak RSS and the
# database's size; writes bench/registry/results.md.
# Usage: bash bench/registry.sh [N] [IDLE_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
idle=${2:-10}
nice cargo build --release --features gdal --bin ecospace
bin=$(mktemp -d)/ecospace
cp target/release/ecospace "$bin" # a rebuild during the run cannot swap it
tmp=$(mktemp -d)
cp -r data/jiaxing "$tmp/data"
token="bench-$RANDOM-$RANDOM"
port=$((20000 + RANDOM % 20000))
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp" "$(dirname "$bin")"' EXIT
load0=$(cut -d' ' -f1-3 /proc/loadavg)
python3 bench/registry/sites.py "$n" "$tmp/sites.geojson"
t0=$(date +%s.%N)
"$bin" projects add "$tmp/sites.geojson" --data "$tmp/data" --state "$tmp/state" --as bench >/dev/null
t1=$(date +%s.%N)
reg_s=$(echo "$t1 - $t0" | bc)
db_reg=$(du -cb "$tmp/state"/registry.sqlite* | tail -1 | cut -f1)
ECOSPACE_ADMIN_TOKEN="$token" RUST_LOG=warn "$bin" serve --addr "127.0.0.1:$port" \
  --data "$tmp/data" --state "$tmp/state" 2>"$tmp/server.log" &
server=$!
for _ in $(seq 300); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
# The pass at start finds nothing to do (every project was screened against this version).
out=$(python3 bench/registry/watch.py "$port" "$token" data/jiaxing/samples/redline_revision.geojson "$server" "$idle")
kill $server; wait $server 2>/dev/null || true
server=
db_after=$(du -cb "$tmp/state"/registry.sqlite* | tail -1 | cut -f1)
load1=$(cut -d' ' -f1-3 /proc/loadavg)
screenings=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from screening').fetchone()[0])" "$tmp/state/registry.sqlite")
python3 - "$n" "$reg_s" "$db_reg" "$db_after" "$screenings" "$load0" "$load1" "$out" <<'PY'
import json, sys
n, reg_s, db_reg, db_after, screenings, load0, load1, out = sys.argv[1:]
n, reg_s, db_reg, db_after, screenings = int(n), float(reg_s), int(db_reg), int(db_after), int(screenings)
w = json.loads(out)
i, d = w["zones_idle"], w["zones_during"]
lines = [
    f"# Registry bench: {n:,} projects (bash bench/registry.sh {n})",
    "",
    f"Machine: 2 cores (`nproc`), loadavg at start {load0}, at end {load1}. SQLite, WAL, synchronous=FULL, one state folder on the root disk.",
    "",
    "| what | figure |",
    "|---|---|",
    f"| register {n:,} projects (`ecospace projects add`, one transaction + fsync each, screened at once) | {reg_s:.1f} s ({n / reg_s:,.0f} projects/s) |",
    f"| PUT of the red-line revision (validate, install, swap) | {w['put_s']:.2f} s |",
    f"| re-screen every project against the new version (background, {w['screened']:,} screened, {w['errors']} errors) | {w['rescreen_s']:.1f} s ({w['screened'] / w['rescreen_s']:,.0f} projects/s) |",
    f"| `/zones` idle: p50 / p99 / max ({i['n']:,} requests) | {i['p50_ms']:.2f} / {i['p99_ms']:.2f} / {i['max_ms']:.1f} ms |",
    f"| `/zones` during re-screening: p50 / p99 / max ({d['n']:,} requests) | {d['p50_ms']:.2f} / {d['p99_ms']:.2f} / {d['max_ms']:.1f} ms |",
    f"| p99 during ÷ p99 idle | {d['p99_ms'] / i['p99_ms']:.2f} |",
    f"| requests not answered 200 | {w['non_200']} |",
    f"| server peak RSS during the pass | {w['rss_peak_mib']} MiB |",
    f"| database after registration / after re-screening ({screenings:,} screenings) | {db_reg / 2**20:,.0f} MiB / {db_after / 2**20:,.0f} MiB |",
]
text = "\n".join(lines) + "\n"
print(text)
open("bench/registry/results.md", "w").write(text)
if w["non_200"] or w["screened"] != n:
    sys.exit(f"failed: {w['non_200']} non-200 answers, {w['screened']} of {n} re-screened")
PY
