#!/usr/bin/env bash
# Replicas behind a load balancer (issue #18): N `ecospace serve` processes on loopback behind
# Debian's nginx (deploy/nginx/ecospace.conf, its ports changed), all on one data folder and one
# PostgreSQL registry (a throw-away cluster with registered projects). The load tool drives
# 256 clients through nginx mixing checks, zones and tiles while a layer is updated every 10 s
# through nginx (to the writer replica); every other replica must notice the new data version
# and swap, every answer must carry X-Data-Version and show that version's content (a probe
# inside the feature the updates rename). Run for 1, 2 and 3 replicas; prints throughput per
# replica count, the swap lag, RSS per replica, and checks that the registry holds exactly one
# re-screening per project and data version although every replica re-screens.
#
# usage: bash bench/replicas.sh [--seconds S] [--clients C] [--replicas "1 2 3"] [--update-every S]
#                               [--projects N] [--out FILE]
# env:   ECOSPACE_BIN, LOAD_BIN: use these binaries instead of building release ones (the test does)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60 clients=256 counts="1 2 3" every=10 projects=200 out=
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --replicas) counts=$2; shift 2 ;;
    --update-every) every=$2; shift 2 ;;
    --projects) projects=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "replicas.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
PG=/usr/lib/postgresql/15/bin
command -v nginx >/dev/null || { echo "replicas.sh: nginx is missing: apt-get install nginx-light (bash scripts/setup.sh installs it)" >&2; exit 1; }
[ -x "$PG/initdb" ] || { echo "replicas.sh: PostgreSQL 15 is missing (bash scripts/setup.sh installs it)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/ecospace-replicas.XXXXXX)
chmod 755 "$tmp"
pids=() pg_up=false
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
  $pg_up && runuser -u postgres -- "$PG/pg_ctl" -D "$tmp/pg/data" -m immediate stop >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

if [ -z "${ECOSPACE_BIN:-}" ]; then
  nice cargo build --release --features gdal --bin ecospace --example load >"$tmp/build.log" 2>&1 \
    || { tail -30 "$tmp/build.log" >&2; exit 1; }
  ECOSPACE_BIN=target/release/ecospace LOAD_BIN=target/release/examples/load
fi
cp "$ECOSPACE_BIN" "$tmp/ecospace"; cp "$LOAD_BIN" "$tmp/load" # a rebuild cannot swap them
bin=$tmp/ecospace load=$tmp/load

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # url, pid
  for _ in $(seq 600); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# One PostgreSQL for every replica (fsync off: a bench, not a durability test).
mkdir -p "$tmp/pg" && chown postgres: "$tmp/pg"
runuser -u postgres -- "$PG/initdb" -D "$tmp/pg/data" --auth=trust -U ecospace --no-locale -E UTF8 --no-sync >"$tmp/pg/initdb.log" 2>&1
pgport=$(free_port)
runuser -u postgres -- "$PG/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/server.log" -w -t 60 \
  -o "-k $tmp/pg -p $pgport -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
pg_up=true
runuser -u postgres -- "$PG/createdb" -h 127.0.0.1 -p "$pgport" -U ecospace ecospace
registry="postgres://ecospace@127.0.0.1:$pgport/ecospace"

cp -r data/jiaxing "$tmp/data"
python3 bench/registry/sites.py "$projects" "$tmp/sites.geojson" >/dev/null
"$bin" projects add "$tmp/sites.geojson" --data "$tmp/data" --registry "$registry" --as bench >/dev/null
token="replicas-$RANDOM-$RANDOM"

# nginx from the repository's config: its upstream ports and listen port replaced, inside a
# minimal main config of its own (temp prefix, no root privileges needed beyond the port).
nginx_conf() { # listen-port, replica ports...
  local listen=$1; shift
  local servers="" p
  for p in "$@"; do servers+="    server 127.0.0.1:$p max_fails=3 fail_timeout=5s;\n"; done
  mkdir -p "$tmp/nginx"
  sed -e "/^upstream ecospace {/,/^}/{/^    server 127.0.0.1:808[0-9]/d}" \
      -e "s|^    least_conn;|    least_conn;\n$servers|" \
      -e "/^upstream ecospace_writer {/,/^}/s|server 127.0.0.1:8081;|server 127.0.0.1:$1;|" \
      -e "s|listen 8080;|listen 127.0.0.1:$listen;|" -e "/listen \[::\]:8080;/d" \
      deploy/nginx/ecospace.conf >"$tmp/nginx/ecospace.conf"
  cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $tmp/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    keepalive_requests 1000000;
    include $tmp/nginx/ecospace.conf;
}
EOF
}

echo "replicas: $(nproc) cores, loadavg $(cut -d' ' -f1-3 /proc/loadavg), $(nginx -v 2>&1 | sed 's/.*: //'), $("$PG/postgres" --version)"
summary=()
status=0
cp "$tmp/data/water_source.geojson" "$tmp/water_source.start"
for n in $counts; do
  # Every round starts from the same layer content (the previous round's updates changed it).
  cp "$tmp/water_source.start" "$tmp/data/water_source.geojson"
  ports=() replicas=() rpids=()
  for i in $(seq "$n"); do ports+=("$(free_port)"); done
  for p in "${ports[@]}"; do
    ECOSPACE_ADMIN_TOKEN="$token" RUST_LOG=warn "$bin" serve --addr "127.0.0.1:$p" --data "$tmp/data" \
      --registry "$registry" --watch-s 0.25 --max-concurrency $((clients * 2)) 2>"$tmp/replica-$p.log" &
    pids+=($!) rpids+=($!) replicas+=(--replica "127.0.0.1:$p" --pid $!)
  done
  for i in "${!ports[@]}"; do
    wait_up "http://127.0.0.1:${ports[$i]}/health" "${rpids[$i]}" \
      || { echo "replica ${ports[$i]} did not start:"; cat "$tmp/replica-${ports[$i]}.log"; exit 1; }
  done
  lb=$(free_port)
  nginx_conf "$lb" "${ports[@]}"
  nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -t >"$tmp/nginx/test.log" 2>&1 \
    || { cat "$tmp/nginx/test.log"; exit 1; }
  nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf"
  wait_up "http://127.0.0.1:$lb/health" "$$"
  echo "== $n replica(s) behind nginx on 127.0.0.1:$lb: $clients clients for $seconds s, a layer update every $every s"
  set +e
  "$load" --addr "127.0.0.1:$lb" --clients "$clients" --seconds "$seconds" --token "$token" \
    --layer water_source --layer-file "$tmp/data/water_source.geojson" --update-every "$every" \
    --no-reload --behind-proxy "${replicas[@]}" | tee "$tmp/load-$n.txt"
  rc=${PIPESTATUS[0]}
  set -e
  [ "$rc" -eq 0 ] || status=1
  rps=$(awk '$1 == "all" {print $3}' "$tmp/load-$n.txt")
  lag=$(grep -o 'p50 [0-9]* ms, max [0-9]* ms' "$tmp/load-$n.txt" || echo "-")
  summary+=("| $n | $rps | $lag | $([ "$rc" -eq 0 ] && echo pass || echo FAIL) |")
  kill "$(cat "$tmp/nginx.pid")"; rm -f "$tmp/nginx.pid"
  for p in "${rpids[@]}"; do kill "$p"; wait "$p" 2>/dev/null || true; done
  for p in "${ports[@]}"; do
    if grep -qi panic "$tmp/replica-$p.log"; then echo "replica $p panicked:"; grep -i -m5 panic "$tmp/replica-$p.log"; status=1; fi
  done
  # Let the last re-screenings finish before the next round starts new replicas.
  sleep 1
done

# Every replica re-screened after every swap; the registry must still hold one screening per
# project and swap: none repeating the project's previous one on the same data version (the
# first replica to commit wins; the others' are dropped). A version served again later (the
# updates alternate two contents) is screened again: that is a new swap, not a repeat.
dups=$(runuser -u postgres -- "$PG/psql" -h 127.0.0.1 -p "$pgport" -U ecospace -d ecospace -At -c \
  "SELECT COUNT(*) FROM screening s JOIN screening p ON p.project_id = s.project_id AND p.n = s.n - 1 WHERE p.data_version = s.data_version")
screened=$(runuser -u postgres -- "$PG/psql" -h 127.0.0.1 -p "$pgport" -U ecospace -d ecospace -At -c "SELECT COUNT(*) FROM screening")
versions=$(runuser -u postgres -- "$PG/psql" -h 127.0.0.1 -p "$pgport" -U ecospace -d ecospace -At -c \
  "SELECT COUNT(DISTINCT data_version) FROM screening")
behind=$(runuser -u postgres -- "$PG/psql" -h 127.0.0.1 -p "$pgport" -U ecospace -d ecospace -At -c \
  "SELECT COUNT(*) FROM project WHERE status <> 'rejected' AND last_version IS DISTINCT FROM (SELECT version FROM data_version ORDER BY activation DESC LIMIT 1)")
echo "registry: $projects projects, $screened screenings on $versions data versions, $dups screenings repeating the one before them on the same version, $behind projects not screened on the last version"
[ "$dups" -eq 0 ] || status=1

report=$(printf '%s\n' "| replicas | req/s through nginx | update → all replicas serving it | result |" "|---|---|---|---|" "${summary[@]}")
echo "$report"
if [ -n "$out" ]; then
  { echo "# Replicas behind nginx (bash bench/replicas.sh --seconds $seconds --clients $clients --update-every $every)"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, loadavg at end $(cut -d' ' -f1-3 /proc/loadavg); replicas, nginx, PostgreSQL and the $clients clients share the machine."
    echo
    echo "$report"
    echo
    echo "Registry: $projects projects, $screened screenings; $dups repeating the one before them on the same data version; $behind projects behind the last version."
    for n in $counts; do echo; echo "## $n replica(s)"; echo; echo '```'; cat "$tmp/load-$n.txt"; echo '```'; done
  } >"$out"
fi
exit $status
