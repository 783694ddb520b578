#!/usr/bin/env python3
"""Batch screening on Apache Spark: ecospace itself screens each partition, as one
`ecospace check --batch -` subprocess fed the partition's sites on stdin.

    python spark/screen.py SITES OUT --binary PATH [--master URL] [--year Y] [--type T]
                           [--partitions N] [--data DIR] [--geoparquet] [-- CHECK_ARGS...]

SITES is a GeoJSON FeatureCollection, a CSV (as `check --batch` takes it: a `wkt` column or
`lon`,`lat`) or a GeoParquet file (WKB, lon/lat). The driver reads it, gives each site its
position in the file, computes a spatial key (the site's bbox centre on a grid of --cell degrees,
ordered along a Hilbert curve) and cuts the sites, sorted by (key, position), into N runs of equal
size: one Spark partition each, covering a compact area. Each partition is screened by one
ecospace process (the binary and the data folder are shipped once per executor with
SparkContext.addFile / addArchive); its rows come back exactly as ecospace printed them but for
`index`, rewritten from the position in the partition to the position in the input.

Writes OUT/ndjson/part-NNNNN.ndjson (one file per partition, rows sorted by index), with
--geoparquet OUT/geoparquet/county=C/decision=D/part-NNNNN.parquet (GeoParquet 1.1, Hive-style
partitions) and OUT/summary.json. OUT may be a local path (shared by every executor on a cluster)
or a URI pyarrow.fs can write (s3://, hdfs://, gs://). See spark/README.md.
"""

import argparse
import atexit
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse

# Arguments of `ecospace check` that this job sets itself.
OWN_CHECK_ARGS = ("--batch", "--format", "--out", "--progress", "--data", "--year", "--type")

# The columns ecospace's CSV reader takes the geometry from (src/query/batch.rs, read_csv).
WKT_COLUMNS = ("wkt", "geometry", "geom")
LON_COLUMNS = ("lon", "lng", "longitude", "x")
LAT_COLUMNS = ("lat", "latitude", "y")

# Spark's JVM logs at WARN and above, without its banner; the one warning silenced is the
# "task of very large size": the sites are read on the driver and travel inside the tasks, by
# design (each site once, to the executor that screens it).
LOG4J2 = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
logger.tsm.name = org.apache.spark.scheduler.TaskSetManager
logger.tsm.level = error
logger.nativecode.name = org.apache.hadoop.util.NativeCodeLoader
logger.nativecode.level = error
"""
# In local mode a failed task's traceback would be logged by the executor, then again by the
# driver: the driver's one line (with ecospace's stderr) is enough there.
LOG4J2_LOCAL = """\
logger.executor.name = org.apache.spark.executor.Executor
logger.executor.level = fatal
"""


class JobError(Exception):
    """A failure to report in one line (bad input, bad options), not as a traceback."""


# ---------------------------------------------------------------------------------------------
# Spatial key: bbox centre → cell of a grid over the sites' extent → position along a Hilbert
# curve. The grid is anchored to the extent and has 2^order cells a side, so the curve's
# quadrants split the extent itself: equal-count runs of the curve are compact areas.


def hilbert_d(order, x, y):
    """Distance along the Hilbert curve of a 2^order × 2^order grid of cell (x, y)."""
    d = 0
    s = 1 << (order - 1)
    while s > 0:
        rx = 1 if x & s else 0
        ry = 1 if y & s else 0
        d += s * s * ((3 * rx) ^ ry)
        if ry == 0:  # rotate the sub-square so the curve's pieces join up
            if rx == 1:
                x = s - 1 - (x & (s - 1))
                y = s - 1 - (y & (s - 1))
            x, y = y, x
        x &= s - 1
        y &= s - 1
        s >>= 1
    return d


def assign_keys(sites, cell):
    """(index, bbox, payload) → (index, key, payload). The key is the Hilbert distance of the
    cell of the bbox centre, on a grid over the centres' extent whose cells are at most `cell`
    degrees a side; -1 for a site without a bbox (e.g. geometry that cannot be read: such sites
    go with the first partition, ecospace reports them). Returns the sites and the grid."""
    centres = [None if b is None else ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0) for _, b, _ in sites]
    xs = [c[0] for c in centres if c is not None]
    ys = [c[1] for c in centres if c is not None]
    if not xs:
        return [(i, -1, p) for i, _, p in sites], None
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    order = 1
    while max(x1 - x0, y1 - y0) / (1 << order) > cell and order < 24:
        order += 1
    n = 1 << order
    sx = n / (x1 - x0) if x1 > x0 else 0.0
    sy = n / (y1 - y0) if y1 > y0 else 0.0
    out = []
    for (i, _, p), c in zip(sites, centres):
        if c is None:
            out.append((i, -1, p))
            continue
        gx = min(n - 1, int((c[0] - x0) * sx))
        gy = min(n - 1, int((c[1] - y0) * sy))
        out.append((i, hilbert_d(order, gx, gy), p))
    grid = {"extent": [x0, y0, x1, y1], "order": order, "cell_degrees": [(x1 - x0) / n, (y1 - y0) / n]}
    return out, grid


def coords_bbox(geometry):
    """[minx, miny, maxx, maxy] of a GeoJSON geometry's coordinates, or None."""
    b = [float("inf"), float("inf"), float("-inf"), float("-inf")]

    def walk(c):
        if isinstance(c, (list, tuple)):
            if len(c) >= 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in c[:2]):
                x, y = float(c[0]), float(c[1])
                b[0], b[1], b[2], b[3] = min(b[0], x), min(b[1], y), max(b[2], x), max(b[3], y)
            else:
                for e in c:
                    walk(e)

    def geom(g):
        if not isinstance(g, dict):
            return
        if g.get("type") == "GeometryCollection":
            for e in g.get("geometries") or []:
                geom(e)
        else:
            walk(g.get("coordinates"))

    geom(geometry)
    return b if b[0] <= b[2] else None


# ---------------------------------------------------------------------------------------------
# Reading the sites on the driver: (index, key, payload) per site. The payload is what goes on
# ecospace's stdin for that site: a Feature's JSON text, or a CSV record's text as it was in the
# file.


def sniff_format(path):
    with open(path, "rb") as f:
        head = f.read(4096)
    if head[:4] == b"PAR1":
        return "geoparquet"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    return "geojson" if text[:1] == b"{" else "csv"


def dumps(value):
    # Python's float repr round-trips, and ecospace parses JSON with serde_json's
    # float_roundtrip: a coordinate reaches ecospace as the same f64 as from the file.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def read_geojson(path):
    with open(path, encoding="utf-8-sig") as f:
        doc = json.load(f)
    if not isinstance(doc, dict):
        raise JobError(f"{path}: not a GeoJSON object")
    if doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise JobError(f"{path}: expected a GeoJSON FeatureCollection (or one Feature)")
    features = doc.pop("features")
    # Every other member (a `crs`, say) is kept on each partition's collection.
    envelope = dumps(doc)[:-1] + (',"features":[' if len(doc) else '"features":[')
    sites = []
    for i, f in enumerate(features):
        g = f.get("geometry") if isinstance(f, dict) else None
        sites.append((i, coords_bbox(g), dumps(f)))
    return {"format": "geojson", "envelope": envelope}, sites


def csv_columns(header):
    names = [h.strip().lower() for h in header]

    def col(options):
        return next((i for i, h in enumerate(names) if h in options), None)

    return col(WKT_COLUMNS), col(LON_COLUMNS), col(LAT_COLUMNS)


def csv_geometry(cells, cols):
    """The shapely geometry of a CSV record (as ecospace reads it), or None."""
    import shapely

    wkt, lon, lat = cols
    try:
        if wkt is not None:
            return shapely.from_wkt(cells[wkt].strip())
        return shapely.Point(float(cells[lon].strip()), float(cells[lat].strip()))
    except Exception:  # noqa: BLE001 - any unreadable cell: ecospace reports it in the row
        return None


def read_csv(path):
    import shapely

    lines = []

    def source():
        with open(path, encoding="utf-8-sig", newline="") as f:
            for line in f:
                lines.append(line)
                yield line

    # csv.reader pulls exactly the lines of one record (more than one when a quoted cell holds
    # a newline) and reads no further: `lines` is that record's text, byte for byte.
    reader = csv.reader(source())
    try:
        header = next(reader)
    except StopIteration:
        raise JobError(f"{path}: empty CSV") from None
    header_text = "".join(lines)
    del lines[:]
    if not header_text.endswith("\n"):
        header_text += "\n"
    cols = csv_columns(header)
    if cols[0] is None and (cols[1] is None or cols[2] is None):
        raise JobError(f"{path}: the CSV header needs a `wkt` column or `lon` and `lat` columns")
    sites = []
    for cells in reader:
        text = "".join(lines)
        del lines[:]
        if not cells:  # a blank line, which ecospace's reader skips too
            continue
        if len(cells) != len(header):
            # ecospace refuses such a file whole (a CSV record of another length).
            raise JobError(
                f"{path}: CSV record {len(sites) + 1} has {len(cells)} fields, the header {len(header)}"
            )
        if not text.endswith("\n"):
            text += "\n"
        g = csv_geometry(cells, cols)
        bbox = None
        if g is not None and not g.is_empty:
            bbox = [float(v) for v in shapely.bounds(g)]
        sites.append((len(sites), bbox, text))
    return {"format": "csv", "header": header_text}, sites


def plain(v):
    """A Parquet value as a JSON value (a property of the site's Feature)."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return str(v)


def read_geoparquet(path):
    import pyarrow.parquet as pq
    import shapely
    from shapely.geometry import mapping

    pf = pq.ParquetFile(path)
    meta = pf.schema_arrow.metadata or {}
    if b"geo" not in meta:
        raise JobError(f"{path}: a Parquet file without GeoParquet `geo` metadata")
    geo = json.loads(meta[b"geo"])
    primary = geo.get("primary_column")
    column = (geo.get("columns") or {}).get(primary) or {}
    if column.get("encoding", "WKB").upper() != "WKB":
        raise JobError(f"{path}: geometry column {primary!r} is {column.get('encoding')}, not WKB")
    crs = column.get("crs")
    if crs is not None:
        ids = crs.get("id", {}) if isinstance(crs, dict) else {}
        if (ids.get("authority"), str(ids.get("code"))) not in (("OGC", "CRS84"), ("EPSG", "4326")):
            raise JobError(f"{path}: geometry in another CRS than lon/lat (OGC:CRS84); convert it first")
    table = pf.read()
    geoms = shapely.from_wkb(table.column(primary).to_numpy(zero_copy_only=False), on_invalid="ignore")
    skip = set(geo.get("columns") or {}) | {primary}
    props = [n for n in table.column_names if n not in skip and n != "id"]
    ids = table.column("id").to_pylist() if "id" in table.column_names else [None] * table.num_rows
    values = {n: table.column(n).to_pylist() for n in props}
    sites = []
    for i in range(table.num_rows):
        g = geoms[i]
        f = {"type": "Feature"}
        if ids[i] is not None:
            f["id"] = plain(ids[i])
        # A null cell is an absent property, not a JSON null.
        f["properties"] = {n: plain(values[n][i]) for n in props if values[n][i] is not None}
        f["geometry"] = None if g is None or g.is_empty else mapping(g)
        bbox = None if f["geometry"] is None else list(shapely.bounds(g))
        sites.append((i, bbox, dumps(f)))
    return {"format": "geojson", "envelope": '{"type":"FeatureCollection","features":['}, sites


# ---------------------------------------------------------------------------------------------
# Output files: a local path or a pyarrow.fs URI.


def output_fs(out):
    import pyarrow.fs as pafs

    if "://" in out and not out.startswith("file://"):
        return pafs.FileSystem.from_uri(out)
    if out.startswith("file://"):
        out = urllib.parse.urlparse(out).path
    return pafs.LocalFileSystem(), os.path.abspath(out)


def write_atomic(fs, path, data, attempt):
    """Writes `data` to a temporary name beside `path`, then renames it: a retried or speculative
    task attempt never leaves a half-written part."""
    tmp = f"{path}.attempt-{attempt}.tmp"
    with fs.open_output_stream(tmp) as f:
        f.write(data)
    fs.move(tmp, path)


# ---------------------------------------------------------------------------------------------
# On the executors: one ecospace process per partition.


def executable(path):
    """The shipped binary, made executable (copied to a private place when its own file cannot
    be chmod-ed)."""
    if os.access(path, os.X_OK):
        return path
    try:
        os.chmod(path, 0o755)
        return path
    except OSError:
        d = tempfile.mkdtemp(prefix="ecospace-bin-")
        p = os.path.join(d, os.path.basename(path))
        shutil.copy(path, p)
        os.chmod(p, 0o755)
        return p


def data_dir(root):
    """The unpacked data archive's folder holding layers.toml (its root, or its one subfolder)."""
    if os.path.isfile(os.path.join(root, "layers.toml")):
        return root
    for e in sorted(os.listdir(root)):
        if os.path.isfile(os.path.join(root, e, "layers.toml")):
            return os.path.join(root, e)
    raise RuntimeError(f"no layers.toml in the shipped data archive ({root})")


def run_ecospace(cmd, body, env):
    """Runs ecospace with `body` on stdin; returns (rc, stdout bytes, stderr text). stdin is
    written from a thread while stdout is read, so neither pipe can fill and block the other."""
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=env)
        failed = []

        def feed():
            try:
                p.stdin.write(body)
            except BrokenPipeError:  # ecospace stopped reading: its exit status says why
                pass
            except Exception as e:  # noqa: BLE001
                failed.append(e)
            finally:
                try:
                    p.stdin.close()
                except BrokenPipeError:
                    pass

        t = threading.Thread(target=feed, daemon=True)
        t.start()
        out = p.stdout.read()
        rc = p.wait()
        t.join()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        if failed:
            raise failed[0]
        return rc, out, stderr


INDEX = re.compile(rb'^\{"index":(\d+),')
BBOX = re.compile(rb'"bbox":\[([^\]]*)\]')

TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LineString",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def site_geometries(job, payloads):
    """The input geometry of each site (shapely), None where it cannot be read as one."""
    import shapely
    from shapely.geometry import shape

    out = []
    if job["format"] == "csv":
        header = next(csv.reader(io.StringIO(job["header"])))
        cols = csv_columns(header)
        for text in payloads:
            cells = next(csv.reader(io.StringIO(text)), [])
            out.append(csv_geometry(cells, cols))
    else:
        for text in payloads:
            g = json.loads(text).get("geometry")
            try:
                out.append(shape(g) if g else None)
            except Exception:  # noqa: BLE001 - unreadable: ecospace's row says why
                out.append(None)
    return [None if g is None or g.is_empty else g for g in out]


def partition_keys(row):
    """(county, decision) of a row: the largest-share county's code (or `none`), and the site's
    decision for the project type, else its verdict, else `error`."""
    r = row.get("result")
    if r is None:
        return "none", "error"
    counties = r.get("counties") or []
    county = counties[0].get("county") if counties else None
    decision = r.get("decision") or r.get("verdict") or "error"
    return (str(county) if county not in (None, "") else "none"), str(decision)


def hive_value(v):
    return urllib.parse.quote(v, safe="")


def write_geoparquet(fs, base, pid, attempt, rows, geoms):
    """One GeoParquet file per (county, decision) of this partition's rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    schema = pa.schema(
        [
            pa.field("index", pa.int64(), nullable=False),
            ("id", pa.string()),
            ("name", pa.string()),
            ("type", pa.string()),
            ("geometry", pa.binary()),
            ("verdict", pa.string()),
            ("site_area_m2", pa.float64()),
            ("hit_count", pa.int32()),
            ("constraint_hits", pa.int32()),
            ("hits", pa.string()),
            ("error", pa.string()),
            ("error_message", pa.string()),
        ]
    )
    groups = {}
    for row, g in zip(rows, geoms):
        groups.setdefault(partition_keys(row), []).append((row, g))
    files = []
    for (county, decision), members in sorted(groups.items()):
        cols = {f.name: [] for f in schema}
        present = [g for _, g in members if g is not None]
        for row, g in members:
            r = row.get("result")
            e = row.get("error")
            cols["index"].append(row["index"])
            cols["id"].append(row.get("id"))
            cols["name"].append(row.get("name"))
            cols["type"].append(row.get("type"))
            cols["geometry"].append(None if g is None else shapely.to_wkb(g, output_dimension=2, byte_order=1))
            cols["verdict"].append(r.get("verdict") if r else None)
            cols["site_area_m2"].append(r["site"]["area_m2"] if r else None)
            cols["hit_count"].append(len(r["hits"]) if r else None)
            cols["constraint_hits"].append(
                sum(s.get("conflicts", 0) for s in r.get("summary", {}).values()) if r else None
            )
            cols["hits"].append(dumps(r["hits"]) if r else None)
            cols["error"].append(e.get("error") if e else None)
            cols["error_message"].append(e.get("message") if e else None)
        column_meta = {
            "encoding": "WKB",
            "geometry_types": sorted({TYPE_NAMES[int(t)] for t in shapely.get_type_id(present)}) if present else [],
        }
        if present:
            b = shapely.total_bounds(present)
            if all(map(lambda v: v == v and abs(v) != float("inf"), b)):
                column_meta["bbox"] = [float(v) for v in b]
        # No `crs`: GeoParquet's default, OGC:CRS84 (lon/lat on WGS84), as in ecospace's own file.
        geo = {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column_meta}}
        table = pa.table(cols, schema=schema.with_metadata({"geo": json.dumps(geo)}))
        d = f"{base}/geoparquet/county={hive_value(county)}/decision={hive_value(decision)}"
        fs.create_dir(d, recursive=True)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="snappy")
        path = f"{d}/part-{pid:05d}.parquet"
        write_atomic(fs, path, sink.getvalue().to_pybytes(), attempt)
        files.append(path)
    return files


def screen_partition(job):
    """The function each Spark partition runs (mapPartitionsWithIndex)."""

    def run(pid, records):
        from pyspark import SparkFiles, TaskContext

        t0 = time.time()
        sites = sorted(s for run in records for s in run)  # (index, key, payload), in input order
        if not sites:
            return
        ctx = TaskContext.get()
        attempt = ctx.attemptNumber() if ctx else 0
        binary = executable(SparkFiles.get(job["binary"]))
        cmd = [binary, "check", "--batch", "-", "--format", "ndjson", "--year", str(job["year"])]
        if job.get("type"):
            cmd += ["--type", job["type"]]
        if job.get("data_archive"):
            cmd += ["--data", data_dir(SparkFiles.get(job["data_archive"]))]
        cmd += job.get("check_args", [])
        if job["format"] == "csv":
            body = job["header"] + "".join(p for _, _, p in sites)
        else:
            body = job["envelope"] + ",\n".join(p for _, _, p in sites) + "]}"
        env = dict(os.environ)
        env["RAYON_NUM_THREADS"] = str(ctx.cpus() if ctx else 1)
        t1 = time.time()
        rc, out, stderr = run_ecospace(cmd, body.encode("utf-8"), env)
        t2 = time.time()
        if rc != 0:
            raise RuntimeError(
                f"ecospace failed on partition {pid} ({len(sites)} sites, exit {rc}): {stderr.strip()}"
            )
        lines = out.splitlines()
        if len(lines) != len(sites):
            raise RuntimeError(
                f"ecospace printed {len(lines)} rows for the {len(sites)} sites of partition {pid}: {stderr.strip()}"
            )
        rewritten = []
        for k, line in enumerate(lines):
            m = INDEX.match(line)
            if m is None or int(m.group(1)) != k:
                raise RuntimeError(f"partition {pid}: row {k} does not start with index {k}: {line[:80]!r}")
            rewritten.append(b'{"index":%d,' % sites[k][0] + line[m.end():])
        fs, base = output_fs(job["out"])
        fs.create_dir(f"{base}/ndjson", recursive=True)
        write_atomic(fs, f"{base}/ndjson/part-{pid:05d}.ndjson", b"\n".join(rewritten) + b"\n", attempt)
        # A row's strings are JSON-escaped (no bare `"` inside them), so these byte patterns
        # match only the row's own structure: an error row has no `"result":{`, and the first
        # `"bbox":[` of a screened row is its site's box (result.site.bbox).
        errors = sum(1 for line in rewritten if b'"result":{' not in line)
        bbox = None
        for line in rewritten:
            m = BBOX.search(line)
            if m:
                b = [float(v) for v in m.group(1).split(b",")]
                bbox = b if bbox is None else [min(bbox[0], b[0]), min(bbox[1], b[1]), max(bbox[2], b[2]), max(bbox[3], b[3])]
        files = []
        if job["geoparquet"]:
            rows = [json.loads(line) for line in rewritten]
            geoms = site_geometries(job, [p for _, _, p in sites])
            files = write_geoparquet(fs, base, pid, attempt, rows, geoms)
        yield {
            "partition": pid,
            "sites": len(sites),
            "errors": errors,
            "first_index": sites[0][0],
            "bbox": bbox,
            "keys": [sites[0][1], max(s[1] for s in sites)],
            "ecospace_seconds": round(t2 - t1, 3),
            "task_seconds": round(time.time() - t0, 3),
            "geoparquet_files": len(files),
            "host": os.uname().nodename,
        }

    return run


# ---------------------------------------------------------------------------------------------
# The driver.


def parse_args(argv):
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1 :]
    else:
        extra = []
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("sites", help="GeoJSON FeatureCollection, CSV or GeoParquet file")
    p.add_argument("out", help="output folder (or URI)")
    p.add_argument("--binary", required=True, help="the ecospace binary (shipped with addFile)")
    p.add_argument("--master", help="Spark master (default: spark-submit's, else local[2])")
    p.add_argument("--year", type=int, help="year of the layers (default: this year, fixed on the driver)")
    p.add_argument("--type", help="project type (adds decisions)")
    p.add_argument("--partitions", type=int, help="number of partitions (default: see README)")
    p.add_argument("--data", help="a data folder (layers.toml + GeoJSON), shipped as one archive")
    p.add_argument("--geoparquet", action="store_true", help="also write OUT/geoparquet/")
    p.add_argument("--input-format", choices=["auto", "geojson", "csv", "geoparquet"], default="auto")
    p.add_argument("--cell", type=float, default=0.05, help="grid cell of the spatial key, degrees")
    a = p.parse_args(argv)
    for x in extra:
        if x.split("=")[0] in OWN_CHECK_ARGS:
            p.error(f"{x} is set by the job itself; use this script's own option")
    a.check_args = extra
    if a.partitions is not None and a.partitions < 1:
        p.error("--partitions must be at least 1")
    if not 0.0001 <= a.cell <= 10:
        p.error("--cell must be between 0.0001 and 10 degrees")
    return a


def default_partitions(n_sites, parallelism):
    """One partition per core, more when there are over 200,000 sites a core: each partition
    pays one ecospace start and data load (98 ms for the bundled layers, release build: about
    3,400 sites' worth of screening, bench/spark/results.md), so partitions are kept large."""
    return max(1, min(n_sites, max(parallelism, -(-n_sites // 200000))))


def main(argv):
    t_start = time.time()
    a = parse_args(argv)
    if not os.path.isfile(a.sites):
        raise JobError(f"no such file: {a.sites}")
    fmt = sniff_format(a.sites) if a.input_format == "auto" else a.input_format
    year = a.year if a.year is not None else time.localtime().tm_year

    from pyspark.sql import SparkSession

    work = tempfile.mkdtemp(prefix="ecospace-spark-")  # the log config and the data archive
    atexit.register(shutil.rmtree, work, True)
    log4j = os.path.join(work, "log4j2.properties")
    master = a.master or (None if "PYSPARK_GATEWAY_PORT" in os.environ else "local[2]")
    with open(log4j, "w") as f:
        f.write(LOG4J2 + (LOG4J2_LOCAL if (master or "").startswith("local") else ""))
    b = SparkSession.builder.appName("ecospace-screen")
    # Under spark-submit the JVM is up and its --master holds; run as a plain script, local[2].
    if master:
        b = b.master(master)
    if (master or "").startswith("local"):
        b = b.config("spark.ui.enabled", "false")
    b = (
        b.config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
        .config("spark.executor.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
    )
    spark = b.getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    t_session = time.time()

    reader = {"geojson": read_geojson, "csv": read_csv, "geoparquet": read_geoparquet}[fmt]
    job, sites = reader(a.sites)
    if not sites:
        raise JobError(f"{a.sites}: no sites")
    sites, grid = assign_keys(sites, a.cell)
    t_read = time.time()

    # Ship the binary and the data once per executor.
    binary = os.path.abspath(a.binary)
    listed = {os.path.basename(urllib.parse.urlparse(u).path) for u in sc.listFiles}
    if os.path.basename(binary) not in listed:
        if not os.path.isfile(binary):
            raise JobError(f"no ecospace binary at {a.binary}")
        sc.addFile(binary)
    job["binary"] = os.path.basename(binary)
    if a.data:
        if not os.path.isfile(os.path.join(a.data, "layers.toml")):
            raise JobError(f"--data {a.data}: no layers.toml in that folder")
        archive = os.path.join(work, "ecospace-data.tar.gz")
        with tarfile.open(archive, "w:gz") as t:
            for e in sorted(os.listdir(a.data)):
                t.add(os.path.join(a.data, e), arcname=e)
        sc.addArchive(archive)
        job["data_archive"] = os.path.basename(archive)
    job.update(
        year=year,
        type=a.type,
        check_args=a.check_args,
        geoparquet=a.geoparquet,
    )

    fs, base = output_fs(a.out)
    job["out"] = a.out if "://" in a.out else base
    import pyarrow.fs as pafs

    for sub in ("ndjson", "geoparquet"):  # our own outputs of an earlier run, nothing else
        if fs.get_file_info(f"{base}/{sub}").type == pafs.FileType.Directory:
            fs.delete_dir(f"{base}/{sub}")
    fs.create_dir(base, recursive=True)

    # Range partitioning on (key, index), computed exactly: the driver holds every key, so it
    # sorts and cuts N runs of equal size (what repartitionByRange does by sampling, without the
    # sampling job and the shuffle). Each run is one element of an N-element RDD in N slices:
    # partition k is run k, whole.
    n = a.partitions or default_partitions(len(sites), sc.defaultParallelism)
    n = min(n, len(sites))
    sites.sort(key=lambda s: (s[1], s[0]))
    runs = [sites[k * len(sites) // n : (k + 1) * len(sites) // n] for k in range(n)]
    rdd = sc.parallelize(runs, n)
    try:
        parts = rdd.mapPartitionsWithIndex(screen_partition(job)).collect()
    except Exception as e:  # noqa: BLE001 - a failed task: its message carries ecospace's stderr
        msg = str(e)
        i = msg.find("RuntimeError: ecospace ")
        if i < 0:
            raise
        text = msg[i + len("RuntimeError: ") :]
        for end in ("\n SQLSTATE:", "\n\tat ", "\n\n"):
            text = text.split(end)[0]
        raise JobError(text.strip()) from e
    t_done = time.time()
    parts.sort(key=lambda p: p["partition"])
    screened = sum(p["sites"] for p in parts)
    if screened != len(sites):
        raise JobError(f"{screened} rows for {len(sites)} sites")
    seconds = t_done - t_session
    summary = {
        "sites": len(sites),
        "errors": sum(p["errors"] for p in parts),
        "partitions": len(parts),
        "master": sc.master,
        "default_parallelism": sc.defaultParallelism,
        "input": os.path.abspath(a.sites),
        "input_format": fmt,
        "year": year,
        "type": a.type,
        "geoparquet": a.geoparquet,
        "grid": grid,
        "seconds": round(seconds, 3),
        "sites_per_s": round(len(sites) / seconds, 1) if seconds > 0 else None,
        "session_start_seconds": round(t_session - t_start, 3),
        "read_seconds": round(t_read - t_session, 3),
        "spark_job_seconds": round(t_done - t_read, 3),
        "ecospace_seconds_total": round(sum(p["ecospace_seconds"] for p in parts), 3),
        "parts": parts,
    }
    with fs.open_output_stream(f"{base}/summary.json") as f:
        f.write((json.dumps(summary, indent=1) + "\n").encode())
    spark.stop()
    print(
        f"screened {len(sites)} sites ({summary['errors']} error rows) in {len(parts)} partitions, "
        f"{seconds:.1f} s ({summary['sites_per_s']} sites/s) → {a.out}"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except JobError as e:
        print(f"screen.py: {e}", file=sys.stderr)
        sys.exit(1)
