#!/usr/bin/env bash
# Batch screening on Spark (local mode) against the single process, on the same seeded sites:
# `ecospace check --batch` (release binary) timed, then scripts/spark_screen.sh at local[1] and
# local[2] (and local[2] with 8 partitions, and with --geoparquet), each Spark run's rows checked
# against the single-process rows (by id, JSON value equality; exit 1 on any difference), and one
# partition's fixed cost (a 1-site batch). Writes bench/spark/results.md; the sites, outputs and
# raw runs go to target/spark-bench/ (not committed).
#
# usage: bash bench/spark.sh [SITES] [RUNS]     (default 50000 sites, 3 runs of each)
# Needs what scripts/spark_screen.sh needs (Java 17+; it installs PySpark into .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50000} runs=${2:-3}
out=target/spark-bench
py=.venv/bin/python3
mkdir -p "$out"
rm -f "$out/runs.ndjson"
uptime_start=$(uptime)
date=$(date -u '+%Y-%m-%d %H:%M UTC')
say() { echo "bench/spark.sh: $*" >&2; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# The release binary, copied so that a rebuild of src/ during the run cannot swap it.
say "building the release binary (nice cargo build --release --features gdal --bin ecospace)"
nice cargo build --release --features gdal --bin ecospace >"$out/build.log" 2>&1 || {
  tail -30 "$out/build.log" >&2
  exit 1
}
mkdir -p "$out/bin"
cp target/release/ecospace "$out/bin/ecospace"
bin=$PWD/$out/bin/ecospace
export ECOSPACE_BIN=$bin

sites=$out/sites.geojson
say "making $n seeded sites"
python3 bench/spark/make_sites.py "$n" "$sites" --seed 18 --invalid 5
args=(--year 2025 --type industrial)

# Prerequisites first (Java, PySpark in .venv), on one site, so no install lands in a timing.
# (The second site: the first is one of the bow-ties.)
{
  echo '{"type":"FeatureCollection","features":['
  sed -n '3s/,$//p' "$sites"
  echo ']}'
} >"$out/one.geojson"
bash scripts/spark_screen.sh "$out/one.geojson" "$out/warmup" "${args[@]}" >/dev/null

# One partition's fixed cost: process start + layers loaded, for a 1-site batch.
fixed() { # fixed [ARGS...]: median seconds of 11 runs of a 1-site batch on stdin
  for _ in $(seq 11); do
    t0=$(now)
    "$bin" check --batch - "${args[@]}" "$@" <"$out/one.geojson" >/dev/null
    secs "$t0" "$(now)"
    echo
  done | median
}
say "fixed cost of one partition (1-site batch)"
fixed_bundled=$(fixed)
fixed_data=$(fixed --data data/jiaxing)

record() { echo "$1" >>"$out/runs.ndjson"; }

say "single process: ecospace check --batch, $runs runs"
for r in $(seq "$runs"); do
  t0=$(now)
  "$bin" check --batch "$sites" "${args[@]}" >"$out/single.ndjson"
  t=$(secs "$t0" "$(now)")
  say "  run $r: $t s"
  record "{\"config\":\"single\",\"run\":$r,\"command_s\":$t}"
done

configs=(
  "local1|local[1], default partitions|--master local[1]"
  "local2|local[2], default partitions|--master local[2]"
  "local2p8|local[2], 8 partitions|--master local[2] --partitions 8"
  "local2gpq|local[2], default partitions, + \`--geoparquet\`|--master local[2] --geoparquet"
)
checked=0
for c in "${configs[@]}"; do
  IFS='|' read -r name label opts <<<"$c"
  read -r -a extra <<<"$opts"
  for r in $(seq "$runs"); do
    o=$out/$name
    rm -rf "$o"
    t0=$(now)
    bash scripts/spark_screen.sh "$sites" "$o" "${extra[@]}" "${args[@]}" >"$out/$name.log" 2>&1 || {
      cat "$out/$name.log" >&2
      say "FAILED: $label"
      exit 1
    }
    t=$(secs "$t0" "$(now)")
    # The rows first: a wrong answer is never timed.
    "$py" bench/spark/compare_rows.py "$out/single.ndjson" "$o" >"$out/$name.check" 2>&1 || {
      cat "$out/$name.check" >&2
      say "FAILED: the rows of $label differ from the single process's"
      exit 1
    }
    checked=$((checked + 1))
    rec=$("$py" - "$o/summary.json" "$name" "$r" "$t" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(json.dumps({"config": sys.argv[2], "run": int(sys.argv[3]), "command_s": float(sys.argv[4]),
                  "job_s": s["seconds"], "partitions": s["partitions"], "read_s": s["read_seconds"],
                  "session_s": s["session_start_seconds"], "ecospace_s": s["ecospace_seconds_total"]}))
PY
)
    record "$rec"
    say "  $label, run $r: command $t s; $(tail -1 "$out/$name.log")"
  done
done

uptime_end=$(uptime)
dirty=""
git diff --quiet HEAD -- src Cargo.toml Cargo.lock build.rs 2>/dev/null || dirty=" + uncommitted changes in src/"
cfg_json=$(printf '%s\n' "${configs[@]}" | "$py" -c '
import json, sys
print(json.dumps([{"name": l.split("|")[0], "label": l.split("|")[1]} for l in sys.stdin.read().splitlines()]))')
"$py" - "$out/meta.json" <<PY
import json, os, platform, sys
import pyarrow, pyspark, shapely
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
mem = next(l.split(":", 1)[1].strip() for l in open("/proc/meminfo") if l.startswith("MemTotal"))
json.dump({
    "sites": $n, "runs": $runs, "date": "$date", "checked": $checked,
    "uptime_start": """$uptime_start""".strip(), "uptime_end": """$uptime_end""".strip(),
    "ecospace": "$(git rev-parse --short HEAD)$dirty", "pyspark": pyspark.__version__,
    "java": """$(java -version 2>&1 | head -1)""".strip(), "python": platform.python_version(),
    "pyarrow": pyarrow.__version__, "shapely": shapely.__version__,
    "cpu": cpu, "cores": os.cpu_count(), "mem": f"{int(mem.split()[0]) / 2**20:.0f} GiB RAM",
    "input_mb": os.path.getsize("$sites") / 1e6,
    "fixed": {"bundled_s": $fixed_bundled, "data_dir_s": $fixed_data, "runs": 11},
    "configs": $cfg_json,
}, open(sys.argv[1], "w"), indent=1)
PY
"$py" bench/spark/report.py "$out/runs.ndjson" "$out/meta.json" bench/spark/results.md
