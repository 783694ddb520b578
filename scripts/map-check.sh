#!/usr/bin/env bash
# Runs the headless-browser check of the map page against a freshly started ecospace server on
# loopback:  scripts/map-check.sh [OUT.png] [extra `serve` flags, e.g. --data DIR]
# Installs what is missing first (scripts/setup.sh), builds with cargo, serves on 127.0.0.1 on a
# free port, runs tests/browser/map_check.mjs, stops the server. Exit code is the check's.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/map-check.png}
[ $# -gt 0 ] && shift
mkdir -p "$(dirname "$out")"

bash scripts/setup.sh
cargo build --release --quiet

port=${ECOSPACE_CHECK_PORT:-$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}
base="http://127.0.0.1:$port"
log=$(mktemp)
# cargo run replaces itself with the server, so $! is the server's pid.
cargo run --release --quiet -- serve --addr "127.0.0.1:$port" "$@" >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

# Wait for the port to open (the server listens once its data is loaded); give up if it exits.
for _ in $(seq 1 600); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "map-check.sh: the server exited; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.2
done
node tests/browser/map_check.mjs "$base" "$out"
