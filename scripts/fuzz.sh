#!/usr/bin/env bash
# Fuzzes the site parser and the site check with cargo-fuzz (libFuzzer), one target after the
# other, each for a fixed time.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 600 s; site_parse check)
#
# Why: sites come from anyone who can POST to /check. The service validates them (body size,
# batch size, vertices, buffer, year) and then runs geometry code — boolean operations, geodesic
# measures — that unit and property tests only sample. A panic there is a 500 for the user and
# a bug for us, so the fuzz targets (fuzz/fuzz_targets/) apply the service's validation and then
# assert that parse and check neither panic nor return impossible numbers.
#
# Installs cargo-fuzz if missing (needs the nightly toolchain: `rustup toolchain install
# nightly`). Seeds in fuzz/seeds/<target>/ are copied into the working corpus
# fuzz/corpus/<target>/ (git-ignored), which grows across runs. One job, one worker, niced.
# Exits non-zero when a target finds a crash, timeout or leak, printing the artifact
# (fuzz/artifacts/<target>/...); reproduce with `cargo +nightly fuzz run <target> <artifact>`
# and minimise with `cargo +nightly fuzz tmin <target> <artifact>`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

secs="${1:-600}"
shift || true
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
    targets=(site_parse check)
fi
case "$secs" in
'' | *[!0-9]*)
    echo "usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
    ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked || cargo install cargo-fuzz
fi

status=0
for t in "${targets[@]}"; do
    if [ ! -f "fuzz/fuzz_targets/$t.rs" ]; then
        echo "no such fuzz target: $t (see fuzz/fuzz_targets/)" >&2
        exit 2
    fi
    corpus="fuzz/corpus/$t"
    artifacts="fuzz/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    if [ -d "fuzz/seeds/$t" ]; then
        cp -n fuzz/seeds/"$t"/* "$corpus"/ 2>/dev/null || true
    fi
    extra=()
    if [ -f "fuzz/$t.dict" ]; then
        extra+=("-dict=fuzz/$t.dict")
    fi
    case "$t" in
    check)
        # Structured input: up to 64 vertices take a few hundred bytes, and at ~100 exec/s
        # libFuzzer's slow length ramp would keep inputs under ~32 bytes for the whole run.
        extra+=(-max_len=1024 -len_control=0)
        ;;
    esac
    # Artifacts found before this run are not this run's findings.
    marker="$(mktemp)"
    log="fuzz/artifacts/$t.log"
    echo "== fuzzing $t for ${secs}s (log: $log)" >&2
    set +e
    nice -n 10 cargo +nightly fuzz run "$t" "$corpus" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 "${extra[@]}" 2>&1 | tee "$log"
    rc="${PIPESTATUS[0]}"
    set -e
    found="$(find "$artifacts" -type f -newer "$marker" | sort)"
    rm -f "$marker"
    if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
        status=1
        echo "!! $t: libFuzzer exited with $rc" >&2
        for a in $found; do
            echo "!! $t: artifact $a" >&2
        done
    else
        echo "== $t: no crash in ${secs}s" >&2
    fi
done
exit "$status"
