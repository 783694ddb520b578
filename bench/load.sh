#!/usr/bin/env bash
# Bounded loopback load test (issue #6): 256 keep-alive clients mix /check, /zones and tiles for
# 60 s against a release build serving a copy of the bundled data, while a layer is updated
# (PUT, alternating two versions) or the data reloaded every second and malformed requests
# (1 in 20) are mixed in. Fails on any failed valid request, any 5xx, any malformed request
# not answered 4xx JSON. Prints throughput, p50/p90/p99 and the server's RSS over time.
# With UPDATE_EVERY=1 every second is a layer update (no reloads): the soak of issue #18,
# `bash bench/load.sh 600 256 1`, whose RSS lines show whether memory levels off.
# Usage: bash bench/load.sh [seconds] [clients] [update_every]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
clients=${2:-256}
every=${3:-2}
cargo build --release --features gdal --bin ecospace --example load
tmp=$(mktemp -d)
cp -r data/jiaxing "$tmp/data"
token="load-$RANDOM-$RANDOM"
port=$((20000 + RANDOM % 20000))
# Concurrency limit above the client count: shedding is tested in tests/limits_test.rs; here
# every valid request must be served.
ECOSPACE_ADMIN_TOKEN="$token" RUST_LOG=warn target/release/ecospace serve \
  --addr "127.0.0.1:$port" --data "$tmp/data" --max-concurrency $((clients * 2)) \
  2>"$tmp/server.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "load: $(nproc) cores, $(uname -r), server pid $server, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
target/release/examples/load --addr "127.0.0.1:$port" --clients "$clients" --seconds "$seconds" \
  --token "$token" --layer water_source --layer-file "$tmp/data/water_source.geojson" \
  --pid "$server" --update-every "$every" $([ "$every" = 1 ] && echo --no-reload) || status=$?
versions=$(ls "$tmp/data/.history/water_source" | grep -c '\.json$' || true)
echo "history of water_source after the run: $versions versions"
if grep -qi "panic" "$tmp/server.log"; then
  echo "the server log has a panic:"; grep -i -m5 panic "$tmp/server.log"; status=1
fi
exit $status
