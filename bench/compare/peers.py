#!/usr/bin/env python3
"""The peers of the side-by-side comparison (issue #8), single-threaded, same questions and the
same answer records as bench/compare/engine.rs:

  peers.py shapely --data DIR --sites FILE --kind points|small|large|lines --answers OUT
  peers.py postgis --dsn DSN --data DIR --sites FILE --kind ... --answers OUT
  peers.py postgis --dsn DSN --data DIR --kind indicators --spec ECOSPACE_INDICATORS.json --answers OUT
  peers.py postgis --dsn DSN --data DIR --kind tiles --tiles ECOSPACE_TILES.ndjson --answers OUT

Answer record per site: {"id", "hits": [[layer, feature id, measure, relation]]} where measure is
the geodesic overlap area (m², areal site vs zone layer), the geodesic length of the line feature
inside the site (m, areal site vs line layer) or of the line site inside the zone (m), else null.
Features are those in force in 2025 (valid_from <= 2025 < valid_to, absent = open).
Each summary line on stdout: {"engine","workload","n","ops_per_s","p50_us","p99_us",...}.
"""
import argparse
import json
import os
import sys
import time
import tomllib

import numpy as np
import shapely
from shapely.geometry import shape
from pyproj import Geod

YEAR = 2025
GEOD = Geod(ellps="WGS84")


def manifest(data):
    with open(os.path.join(data, "layers.toml"), "rb") as f:
        return tomllib.load(f)


def valid_in(props, year=YEAR):
    f, t = props.get("valid_from"), props.get("valid_to")
    return (f is None or int(f) <= year) and (t is None or year < int(t))


def load_sites(path):
    with open(path) as f:
        fc = json.load(f)
    return [(str(ft.get("id", i)), shape(ft["geometry"])) for i, ft in enumerate(fc["features"])]


def summary(engine, workload, ns, per_pass, **extra):
    """Throughput of the best pass (calls ÷ summed call times), as compare_engine does."""
    ns = np.asarray(ns, dtype=np.int64)
    per_pass = max(1, per_pass)
    best = min(float(ns[i:i + per_pass].sum()) for i in range(0, len(ns), per_pass)) if len(ns) else 0.0
    ns = np.sort(ns)
    total = float(ns.sum())
    pct = lambda p: float(ns[int(round((len(ns) - 1) * p))]) / 1000.0 if len(ns) else 0.0
    s = {"engine": engine, "workload": workload, "n": int(len(ns)),
         "ops_per_s": per_pass / (best / 1e9) if best else 0.0,
         "ops_per_s_all": len(ns) / (total / 1e9) if total else 0.0,
         "p50_us": pct(0.5), "p99_us": pct(0.99),
         "mean_us": total / len(ns) / 1000.0 if len(ns) else 0.0}
    s.update(extra)
    return s


def write_ndjson(path, rows):
    if path:
        with open(path, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


# ---------------------------------------------------------------- shapely 2 + pyproj

def geod_area(g):
    if g.is_empty:
        return 0.0
    if g.geom_type not in ("Polygon", "MultiPolygon"):
        parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
        if not parts:
            return 0.0
        g = shapely.multipolygons(parts) if len(parts) > 1 else parts[0]
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(g))[0])


def geod_length(g):
    if g.is_empty:
        return 0.0
    if g.geom_type in ("LineString", "MultiLineString"):
        return GEOD.geometry_length(g)
    return sum(GEOD.geometry_length(p) for p in shapely.get_parts(g)
               if p.geom_type in ("LineString", "MultiLineString"))


def run_shapely(a):
    man = manifest(a.data)
    geoms, layer_of, id_of, zone_of = [], [], [], []
    for l in man["layer"]:
        kind = l.get("kind", "zone")
        if a.kind == "points" and kind != "zone":
            continue  # zones_at answers zone layers only
        with open(os.path.join(a.data, l["file"])) as f:
            fc = json.load(f)
        for ft in fc["features"]:
            if not valid_in(ft.get("properties") or {}):
                continue
            geoms.append(shape(ft["geometry"]))
            layer_of.append(l["id"])
            id_of.append(str(ft.get("id")))
            zone_of.append(kind == "zone")
    geoms = np.array(geoms, dtype=object)
    shapely.prepare(geoms)
    zone_of = np.array(zone_of)
    tree = shapely.STRtree(geoms)
    sites = load_sites(a.sites)

    def one(site):
        shapely.prepare(site)
        idx = tree.query(site, predicate="intersects")
        if a.kind == "points":
            return [(int(i), None) for i in idx]
        areal = site.geom_type in ("Polygon", "MultiPolygon")
        if not areal:  # a line site: only its overlap with zones is measured
            zi = idx[zone_of[idx]]
            out = [(int(i), None) for i in idx[~zone_of[idx]]]
            if len(zi):
                inter = shapely.intersection(site, geoms[zi])
                out += [(int(i), geod_length(g)) for i, g in zip(zi, inter)]
            return out
        if not len(idx):
            return []
        inter = shapely.intersection(site, geoms[idx])
        return [(int(i), geod_area(g) if zone_of[i] else geod_length(g)) for i, g in zip(idx, inter)]

    answers = []
    for sid, g in sites:  # warm-up pass + answers
        hits = sorted(([layer_of[i], id_of[i], m, None] for i, m in one(g)), key=lambda h: (h[0], h[1]))
        answers.append({"id": sid, "hits": hits})
    write_ndjson(a.answers, answers)
    ns = []
    for _ in range(a.repeat):
        for _sid, g in sites:
            t = time.perf_counter_ns()
            one(g)
            ns.append(time.perf_counter_ns() - t)
    return summary("shapely", a.kind, ns, len(sites), sites=len(sites), hits=sum(len(x["hits"]) for x in answers),
                   repeat=a.repeat)


# ---------------------------------------------------------------- PostGIS

def qi(name):
    return '"' + name.replace('"', '""') + '"'


VALID = f"(t.valid_from IS NULL OR t.valid_from::numeric <= {YEAR}) AND (t.valid_to IS NULL OR t.valid_to::numeric > {YEAR})"


def site_sql(man, kind):
    parts = []
    for l in man["layer"]:
        lk = l.get("kind", "zone")
        if kind == "points":
            if lk != "zone":
                continue
            m = "NULL::float8"
        elif kind == "lines":
            m = "ST_Length(ST_Intersection(%(g)s, t.geom)::geography)" if lk == "zone" else "NULL::float8"
        else:
            m = ("ST_Area(ST_Intersection(%(g)s, t.geom)::geography)" if lk == "zone"
                 else "ST_Length(ST_Intersection(%(g)s, t.geom)::geography)")
        parts.append(f"SELECT {lit(l['id'])}::text AS layer, coalesce(t.id::text, t.fid::text), {m} FROM {qi(l['id'])} t "
                     f"WHERE ST_Intersects(t.geom, %(g)s) AND {VALID}")
    sql = "\nUNION ALL\n".join(parts)
    # one site parameter ($1), WKB, used in every branch
    return sql.replace("%(g)s", "ST_GeomFromWKB(%(wkb)s, 4326)")


def lit(s):
    return "'" + s.replace("'", "''") + "'"


def connect(dsn):
    import psycopg
    return psycopg.connect(dsn, autocommit=True)


def run_postgis_sites(a):
    man = manifest(a.data)
    sql = site_sql(man, a.kind)
    sites = load_sites(a.sites)
    wkbs = [(sid, shapely.to_wkb(g)) for sid, g in sites]
    with connect(a.dsn) as conn, conn.cursor() as cur:
        answers = []
        for sid, w in wkbs:  # warm-up pass + answers
            cur.execute(sql, {"wkb": w}, prepare=True)
            hits = sorted(([r[0], r[1], r[2], None] for r in cur.fetchall()), key=lambda h: (h[0], h[1]))
            answers.append({"id": sid, "hits": hits})
        write_ndjson(a.answers, answers)
        ns = []
        for _ in range(a.repeat):
            for _sid, w in wkbs:
                t = time.perf_counter_ns()
                cur.execute(sql, {"wkb": w}, prepare=True)
                cur.fetchall()
                ns.append(time.perf_counter_ns() - t)
    return summary("postgis", a.kind, ns, len(sites), sites=len(sites), hits=sum(len(x["hits"]) for x in answers),
                   repeat=a.repeat, note="one prepared query per site, one connection")


def prop_filter(numerator):
    conds = []
    for k, v in numerator.items():
        c = "t." + qi(k)
        if isinstance(v, bool):
            vals = "'true', 't', '1'" if v else "'false', 'f', '0'"
            conds.append(f"lower({c}::text) IN ({vals})")
        elif isinstance(v, (int, float)):
            conds.append(f"{c}::numeric = {v}")
        else:
            conds.append(f"{c}::text = {lit(str(v))}")
    return " AND ".join(conds) or "TRUE"


def key_of(v):
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return "null" if v is None else str(v)


def indicator_queries(cur, specs):
    """All indicators of the year, per indicator and per county: {id: {...}}, {county: {id: numerator}}."""
    out, by_county = {}, {}
    for iid, s in specs.items():
        t = qi(s["layer"])
        if s["measure"] == "union_area":
            cur.execute(f"SELECT ST_Area(ST_Union(t.geom)::geography) / 1e6 FROM {t} t WHERE {VALID}")
            total = cur.fetchone()[0] or 0.0
            by = None
            if s.get("by"):
                cur.execute(f"SELECT t.{qi(s['by'])}, ST_Area(ST_Union(t.geom)::geography) / 1e6 "
                            f"FROM {t} t WHERE {VALID} GROUP BY 1")
                by = {key_of(k): v for k, v in cur.fetchall()}
            cur.execute(f"SELECT coalesce(t.county::text, 'unknown'), ST_Area(ST_Union(t.geom)::geography) / 1e6 "
                        f"FROM {t} t WHERE {VALID} GROUP BY 1")
            for c, v in cur.fetchall():
                by_county.setdefault(c, {})[iid] = v
            out[iid] = {"numerator": total, "denominator": None, "by": by}
        else:
            num = prop_filter(s.get("numerator") or {})
            cur.execute(f"SELECT coalesce(t.county::text, 'unknown'), "
                        f"sum(ST_Length(t.geom::geography)) FILTER (WHERE {num}) / 1e3, "
                        f"sum(ST_Length(t.geom::geography)) / 1e3 FROM {t} t WHERE {VALID} GROUP BY 1")
            part = whole = 0.0
            for c, p, w in cur.fetchall():
                by_county.setdefault(c, {})[iid] = p or 0.0
                part += p or 0.0
                whole += w or 0.0
            out[iid] = {"numerator": part, "denominator": whole, "by": None}
    return out, by_county


def run_postgis_indicators(a):
    with open(a.spec) as f:
        eco = json.load(f)
    specs = eco["specs"]
    with connect(a.dsn) as conn, conn.cursor() as cur:
        res, by_county = indicator_queries(cur, specs)
        with open(a.answers, "w") as f:
            json.dump({"indicators": res, "by_county": by_county}, f, indent=1)
        ns = []
        for _ in range(a.repeat):
            t = time.perf_counter_ns()
            indicator_queries(cur, specs)
            ns.append(time.perf_counter_ns() - t)
    return summary("postgis", "indicators", ns, 1, repeat=a.repeat,
                   note="all indicators of the year: SQL aggregates, one statement per indicator and breakdown")


def tile_sql(man):
    parts = []
    for l in man["layer"]:
        parts.append(
            f"coalesce((SELECT ST_AsMVT(q, {lit(l['id'])}, 4096, 'geom') FROM ("
            f"SELECT coalesce(t.id::text, t.fid::text) AS id, ST_AsMVTGeom(t.g3857, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true) AS geom "
            f"FROM {qi(l['id'])} t WHERE t.g3857 && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096) AND {VALID}"
            f") q WHERE q.geom IS NOT NULL), ''::bytea)")
    return "SELECT " + " || ".join(parts)


def run_postgis_tiles(a):
    import mapbox_vector_tile
    man = manifest(a.data)
    sql = tile_sql(man)
    tiles = []
    with open(a.tiles) as f:
        for line in f:
            r = json.loads(line)
            tiles.append((r["z"], r["x"], r["y"]))
    with connect(a.dsn) as conn, conn.cursor() as cur:
        answers = []
        for z, x, y in tiles:
            cur.execute(sql, {"z": z, "x": x, "y": y}, prepare=True)
            body = bytes(cur.fetchone()[0])
            counts = {}
            if body:
                for name, layer in mapbox_vector_tile.decode(body).items():
                    counts[name] = len(layer["features"])
            answers.append({"z": z, "x": x, "y": y, "bytes": len(body), "counts": counts})
        write_ndjson(a.answers, answers)
        ns = []
        for _ in range(a.repeat):
            for z, x, y in tiles:
                t = time.perf_counter_ns()
                cur.execute(sql, {"z": z, "x": x, "y": y}, prepare=True)
                cur.fetchone()
                ns.append(time.perf_counter_ns() - t)
    return summary("postgis", "tiles", ns, len(tiles), tiles=len(tiles), repeat=a.repeat,
                   note="ST_AsMVT/ST_AsMVTGeom per layer, one statement per tile, geometry pre-transformed to 3857")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["shapely", "postgis"])
    ap.add_argument("--data", default="data/jiaxing")
    ap.add_argument("--sites")
    ap.add_argument("--kind", required=True)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--answers")
    ap.add_argument("--dsn")
    ap.add_argument("--spec")
    ap.add_argument("--tiles")
    a = ap.parse_args()
    if a.engine == "shapely":
        s = run_shapely(a)
    elif a.kind == "indicators":
        s = run_postgis_indicators(a)
    elif a.kind == "tiles":
        s = run_postgis_tiles(a)
    else:
        s = run_postgis_sites(a)
    print(json.dumps(s))


if __name__ == "__main__":
    main()
