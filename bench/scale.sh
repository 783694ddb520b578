#!/usr/bin/env bash
# Scale curves (issue #8), one command:
#   bash bench/scale.sh [MAX_FEATURES] [VERTICES_PER_FEATURE]     (defaults 1000000 100)
# 1. `ecospace gen-scale` at 10³ … MAX parcels × V vertices; for each size, bench/scale/scale.rs
#    loads the folder (time, peak RSS from VmHWM) and runs 2 000 seeded small-site checks and
#    point lookups (p50/p99). The folder is deleted after each size (10⁶ × 100 is 2.7 GB).
# 2. bench/scale/hard_cases.rs: one zone of 10³ … 10⁶ vertices — point location and a small-site
#    check through ecospace vs `geo` on the whole polygon (the linear baseline), answers compared.
# Writes bench/scale/scale.ndjson, bench/scale/hard.ndjson and the chart docs/scale.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
max=${1:-1000000}
v=${2:-100}
work=${SCALE_DIR:-${TMPDIR:-/tmp}/ecospace-scale}
cargo build --release --quiet --bin ecospace --example scale --example hard_cases
: > bench/scale/scale.ndjson
for n in 1000 10000 100000 1000000; do
  [ "$n" -le "$max" ] || break
  rm -rf "$work/n$n"
  target/release/ecospace gen-scale --features "$n" --vertices-per-feature "$v" --seed 1 --out "$work/n$n"
  target/release/examples/scale "$work/n$n" 2000 | tee -a bench/scale/scale.ndjson
  rm -rf "$work/n$n"
done
target/release/examples/hard_cases "$max" | tee bench/scale/hard.ndjson
python3 bench/scale/chart.py bench/scale/scale.ndjson bench/scale/hard.ndjson > docs/scale.svg
echo "chart: docs/scale.svg (uptime: $(uptime))" >&2
