#!/usr/bin/env python3
"""Writes bench/spark/results.md from the runs bench/spark.sh recorded (runs.ndjson: one JSON
object per timed run) and its facts (meta.json). Medians over the runs of each configuration.

usage: report.py RUNS.ndjson META.json RESULTS.md"""
import json
import statistics
import sys


def main():
    runs_path, meta_path, out_path = sys.argv[1:4]
    runs = [json.loads(line) for line in open(runs_path, encoding="utf-8") if line.strip()]
    meta = json.load(open(meta_path, encoding="utf-8"))
    n = meta["sites"]
    by = {}
    for r in runs:
        by.setdefault(r["config"], []).append(r)
    single = statistics.median(r["command_s"] for r in by["single"])
    single_rate = n / single

    def med(rs, k):
        vals = [r[k] for r in rs if r.get(k) is not None]
        return statistics.median(vals) if vals else None

    lines = [
        "# Spark batch screening: measured",
        "",
        f"`bash bench/spark.sh {meta['sites']} {meta['runs']}`, {meta['date']}. Machine: {meta['cpu']}, "
        f"{meta['cores']} cores, {meta['mem']}. Versions: ecospace {meta['ecospace']}, PySpark {meta['pyspark']}, "
        f"{meta['java']}, Python {meta['python']}, pyarrow {meta['pyarrow']}, shapely {meta['shapely']}.",
        "",
        f"- `uptime` at the start: `{meta['uptime_start']}`",
        f"- `uptime` at the end: `{meta['uptime_end']}`",
        "",
        f"{n:,} seeded sites (`bench/spark/make_sites.py {n} --seed 18 --invalid 5`: rectangles 100–2,000 m, "
        "small polygons, points, 5 bow-ties) over the Jiaxing extent, one GeoJSON FeatureCollection "
        f"({meta['input_mb']:.1f} MB), `--year 2025 --type industrial`, the release binary "
        "(`--features gdal`). Medians of "
        f"{meta['runs']} run(s) each. Every Spark run's rows were checked against the single-process rows "
        "(matched by id, equal as JSON values, index included) before its time was kept: "
        f"{meta['checked']} runs, all equal.",
        "",
        "- **job**: the job's own wall clock from OUT/summary.json (`seconds`: reading the sites on the "
        "driver, partitioning, screening, writing), without the JVM and SparkSession start;",
        "- **command**: the whole `scripts/spark_screen.sh` (Python and JVM start, SparkSession, the job, "
        "stop), as a user waits for it;",
        "- **× single**: sites/s ÷ the single process's sites/s (above 1 is faster).",
        "",
        "| run | partitions | job s | job sites/s | × single | command s | command sites/s | × single | of the job: driver read s | ecospace s (sum over partitions) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| `ecospace check --batch` (one process, one thread) | – | {single:.2f} | {single_rate:,.0f} | 1.00 | "
        f"{single:.2f} | {single_rate:,.0f} | 1.00 | – | {single:.2f} |",
    ]
    for cfg in meta["configs"]:
        rs = by.get(cfg["name"], [])
        if not rs:
            continue
        job = med(rs, "job_s")
        cmd = med(rs, "command_s")
        lines.append(
            f"| {cfg['label']} | {rs[0]['partitions']} | {job:.2f} | {n / job:,.0f} | {n / job / single_rate:.2f} | "
            f"{cmd:.2f} | {n / cmd:,.0f} | {n / cmd / single_rate:.2f} | {med(rs, 'read_s'):.2f} | "
            f"{med(rs, 'ecospace_s'):.2f} |"
        )
    fixed = meta["fixed"]
    per_site_ms = (single - fixed["bundled_s"]) / n * 1000
    lines += [
        "",
        "## One partition's fixed cost",
        "",
        "What every partition pays once, whatever its size: starting `ecospace` and loading the layers, "
        f"measured as a 1-site `check --batch -` (median of {fixed['runs']} runs):",
        "",
        f"- bundled layers (compiled into the binary): **{fixed['bundled_s'] * 1000:.0f} ms**",
        f"- `--data data/jiaxing` (the same layers read from their GeoJSON files, as a shipped data archive is): "
        f"**{fixed['data_dir_s'] * 1000:.0f} ms**",
        f"- for comparison, screening one site in the single-process run: "
        f"({single:.2f} s − {fixed['bundled_s']:.2f} s) ÷ {n:,} = **{per_site_ms:.3f} ms**, so one partition's "
        f"start costs as much as screening about {fixed['bundled_s'] / (per_site_ms / 1000):,.0f} sites.",
        "",
        "Raw runs: `target/spark-bench/runs.ndjson` (not committed).",
        "",
    ]
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
