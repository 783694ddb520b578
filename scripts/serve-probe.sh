#!/usr/bin/env bash
# Runs the README's run command in the background, waits until it answers, probes /health, /map,
# MapLibre, a tile and a check, then stops it. For fresh roots:
#   bash ../shared/tools/fresh-machine.sh . -- "bash scripts/serve-probe.sh"
set -u
if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
  echo "serve-probe: something already listens on 127.0.0.1:8080; stop it first" >&2
  exit 1
fi
(bash scripts/setup.sh --serve && cargo run --release --features gdal -- serve) >/tmp/serve.log 2>&1 &
ok=''
for i in $(seq 1200); do
  h=$(curl -sf localhost:8080/health 2>/dev/null) && { ok=1; break; }
  kill -0 $! 2>/dev/null || break # the command stopped
  sleep 1
done
[ -n "$ok" ] || { tail -30 /tmp/serve.log; exit 1; }
echo "health after ${i}s: $h"
curl -s -o /dev/null -w "map %{http_code} %{content_type}\n" localhost:8080/map
curl -s -o /dev/null -w "maplibre-gl.js %{http_code} %{size_download} bytes\n" localhost:8080/assets/maplibre-gl/maplibre-gl.js
curl -s -o /dev/null -w "tile %{http_code} %{size_download} bytes\n" localhost:8080/tiles/redline/10/857/420.mvt
curl -s -X POST "localhost:8080/check?year=2025&type=industrial&rings=default" --data-binary @data/jiaxing/samples/site_qianmudang.geojson | python3 -c 'import json,sys; r=json.load(sys.stdin); print("check:", r["verdict"], r["decision"], len(r["rings"]), "rings")'
for p in /proc/[0-9]*; do case $(tr '\0' ' ' 2>/dev/null <"$p/cmdline") in *target/release/ecospace*) kill ${p#/proc/} ;; esac; done
sleep 1
