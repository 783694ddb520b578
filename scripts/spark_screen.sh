#!/usr/bin/env bash
# Batch screening on Apache Spark: spark/screen.py, with the ecospace binary screening each
# partition on the executors (see spark/README.md).
#
# usage: scripts/spark_screen.sh SITES OUT [--master URL] [--year Y] [--type T] [--partitions N]
#                                [--data DIR] [--geoparquet] [-- CHECK_ARGS...]
#   SITES  a GeoJSON FeatureCollection, a CSV (`wkt` or `lon`,`lat` columns) or a GeoParquet file
#   OUT    output folder: OUT/ndjson/part-NNNNN.ndjson, OUT/geoparquet/ (with --geoparquet),
#          OUT/summary.json
#   --master      Spark master URL (default local[2])
#   --partitions  number of partitions (default: two per core, at most 25,000 sites each)
#   --data        a data folder (layers.toml + GeoJSON) instead of the bundled Jiaxing layers
#   after `--`    more `ecospace check` options, e.g. `-- --buffer-m 500 --layers redline`
#
# What it needs, and does when missing: PySpark 4.3.0, pyarrow and shapely in the project's
# virtualenv `.venv/` (installed with pip; PySpark is a ~450 MB download, once); Java 17+ (not
# installed: it says how); the ecospace binary: $ECOSPACE_BIN, else target/release/ecospace,
# else `cargo build --release --features gdal --bin ecospace`.
set -euo pipefail

die() { echo "spark_screen.sh: $*" >&2; exit 1; }
usage() {
  sed -n '5,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

root=$(cd "$(dirname "$0")/.." && pwd)
case ${1:-} in -h|--help) usage 0 ;; esac
[ $# -ge 2 ] || usage
sites=$1 out=$2
shift 2
case $sites in -*) usage ;; esac
case $out in -*) usage ;; esac
[ -f "$sites" ] || die "no such file: $sites"

master='local[2]' args=()
while [ $# -gt 0 ]; do
  case $1 in
    --master)
      [ $# -ge 2 ] || die "--master needs a value"
      master=$2; shift 2 ;;
    --year|--type|--partitions|--data)
      [ $# -ge 2 ] || die "$1 needs a value"
      args+=("$1" "$2"); shift 2 ;;
    --geoparquet) args+=(--geoparquet); shift ;;
    --) args+=("$@"); break ;;
    -h|--help) usage 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

# Java: Spark 4 runs on Java 17 or newer.
java=
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then java=$JAVA_HOME/bin/java; fi
[ -n "$java" ] || java=$(command -v java || true)
if [ -z "$java" ] || ! jv=$("$java" -version 2>&1); then
  die "Spark needs Java 17 or newer, and no working \`java\` was found.
  On Debian 12: apt-get install -y --no-install-recommends openjdk-17-jre-headless
  (or \`bash scripts/setup.sh\`, which installs it), or set JAVA_HOME to a JDK/JRE 17+."
fi
major=$(printf '%s\n' "$jv" | sed -n 's/.*version "\([0-9][0-9]*\)[."].*/\1/p' | head -1)
if [ -n "$major" ] && [ "$major" -lt 17 ]; then
  die "Spark 4 needs Java 17 or newer; $java is Java $major.
  On Debian 12: apt-get install -y --no-install-recommends openjdk-17-jre-headless, and set JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64"
fi

# PySpark, pyarrow, shapely in the project's virtualenv (the pins of scripts/setup.sh).
venv=$root/.venv py=$root/.venv/bin/python3
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -x "$py" ]; then
  python3 -m venv "$venv" >"$log" 2>&1 || {
    cat "$log" >&2
    die "could not create $venv (on Debian: apt-get install python3-venv)"
  }
fi
has() { # has NAME [VERSION]: is that distribution installed in the venv (at that version)?
  "$py" - "$@" >/dev/null 2>&1 <<'PY'
import sys
from importlib.metadata import version
v = version(sys.argv[1])
sys.exit(len(sys.argv) > 2 and v != sys.argv[2])
PY
}
need=()
has pyspark 4.3.0 || need+=(pyspark==4.3.0)
has pyarrow || need+=(pyarrow==26.0.1)
has shapely || need+=(shapely==2.2.0)
if [ ${#need[@]} -gt 0 ]; then
  echo "spark_screen.sh: installing ${need[*]} into .venv (PySpark is a ~450 MB download; once)" >&2
  "$py" -m pip install --quiet --disable-pip-version-check "${need[@]}" >"$log" 2>&1 || {
    cat "$log" >&2
    die "pip install ${need[*]} failed"
  }
fi

# The binary every executor runs.
if [ -n "${ECOSPACE_BIN:-}" ]; then
  bin=$ECOSPACE_BIN
  [ -x "$bin" ] || die "ECOSPACE_BIN=$bin is not an executable file"
elif [ -x "$root/target/release/ecospace" ]; then
  bin=$root/target/release/ecospace
else
  echo "spark_screen.sh: building the release binary (cargo build --release --features gdal --bin ecospace)" >&2
  (cd "$root" && cargo build --release --features gdal --bin ecospace) >"$log" 2>&1 || {
    tail -40 "$log" >&2
    die "cargo build failed"
  }
  bin=$root/target/release/ecospace
fi

export PYSPARK_PYTHON=$py PYSPARK_DRIVER_PYTHON=$py
# Local mode binds to loopback (no "hostname resolves to a loopback address" warning).
case $master in local*) export SPARK_LOCAL_IP=${SPARK_LOCAL_IP:-127.0.0.1} ;; esac
# The JVM's one-line notice about the vector incubator module is not a Spark log line: dropped.
set +e
{
  "$py" "$root/spark/screen.py" "$sites" "$out" --binary "$bin" --master "$master" "${args[@]}" 2>&1 1>&3 3>&- |
    grep -v --line-buffered '^WARNING: Using incubator modules' >&2
  status=${PIPESTATUS[0]}
} 3>&1
set -e
[ "$status" -eq 0 ] || die "the Spark job failed (exit $status; its message is above)"
