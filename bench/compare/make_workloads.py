#!/usr/bin/env python3
"""Deterministic (seeded) workloads for the side-by-side comparison (issue #8).

Reads a data folder (layers.toml + the GeoJSON files it names), takes the extent of the layers a
check screens (all but the context layers, manifest `context = true`: county outlines and the
land/sea layer, whose sea reaches far beyond the plan's layers), and writes four GeoJSON FeatureCollections with string ids into --out:

  points.geojson  point lookups                         (default 2000)
  small.geojson   irregular polygons, 0.05-0.95 km²     (default 1000)
  large.geojson   irregular polygons, >= 50 km²         (default 100)
  lines.geojson   polylines 5-30 km, non-self-crossing  (default 300)
  batch.geojson   lon/lat rectangles, each side uniform in 200-3000 m (default 3000), for the
                  end-to-end batch (one request / one query for all of them); its own seeded
                  generator, so the other four files do not change with --batch

Half of each set is centred uniformly over the extent, half near a random vertex of a random
screened layer feature (so that sites actually meet zones and the agreement check has areas to compare).
Polygons are star-shaped around their centre with increasing angles, hence simple; every one is
checked with shapely (is_valid / is_simple) and the geodesic areas are checked against the bounds.
Coordinates are rounded to 7 decimals, so every engine reads exactly the same numbers.
"""
import argparse
import json
import math
import os
import random
import sys
import tomllib

import shapely
from shapely.geometry import LineString, Point, Polygon, shape
from pyproj import Geod

GEOD = Geod(ellps="WGS84")
M_PER_DEG = 111_320.0


def layer_files(data):
    with open(os.path.join(data, "layers.toml"), "rb") as f:
        man = tomllib.load(f)
    return [(l["id"], l.get("kind", "zone"), os.path.join(data, l["file"])) for l in man["layer"]
            if not l.get("context", False)]


def extent_and_vertices(data):
    xs0, ys0, xs1, ys1 = [], [], [], []
    verts = []
    for _lid, _kind, path in layer_files(data):
        with open(path) as f:
            fc = json.load(f)
        for feat in fc["features"]:
            g = shape(feat["geometry"])
            b = g.bounds
            xs0.append(b[0]); ys0.append(b[1]); xs1.append(b[2]); ys1.append(b[3])
            coords = shapely.get_coordinates(g)
            # a few vertices per feature are enough to aim at
            step = max(1, len(coords) // 8)
            verts.extend(map(tuple, coords[::step]))
    return (min(xs0), min(ys0), max(xs1), max(ys1)), verts


def centre(rng, ext, verts, k):
    if k % 2 == 0 or not verts:
        return rng.uniform(ext[0], ext[2]), rng.uniform(ext[1], ext[3])
    x, y = rng.choice(verts)
    return x + rng.uniform(-0.01, 0.01), y + rng.uniform(-0.01, 0.01)


def r7(v):
    return round(v, 7)


def star(rng, cx, cy, r_m, nv, jitter):
    dlon = 1.0 / (M_PER_DEG * math.cos(math.radians(cy)))
    dlat = 1.0 / M_PER_DEG
    base = sorted(rng.uniform(0, 2 * math.pi) for _ in range(nv))
    ring = []
    for a in base:
        r = r_m * rng.uniform(1 - jitter, 1.0)
        ring.append((r7(cx + r * math.cos(a) * dlon), r7(cy + r * math.sin(a) * dlat)))
    ring.append(ring[0])
    return Polygon(ring)


def area_m2(p):
    return abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(p))[0])


def polygons(rng, ext, verts, n, r_lo, r_hi, nv_lo, nv_hi, a_lo, a_hi):
    out = []
    k = 0
    while len(out) < n:
        cx, cy = centre(rng, ext, verts, k)
        p = star(rng, cx, cy, rng.uniform(r_lo, r_hi), rng.randint(nv_lo, nv_hi), 0.45)
        k += 1
        if not p.is_valid or len(set(p.exterior.coords)) < len(p.exterior.coords) - 1:
            continue
        a = area_m2(p)
        if a_lo <= a <= a_hi:
            out.append(p)
    return out


def lines(rng, ext, verts, n):
    out = []
    k = 0
    while len(out) < n:
        cx, cy = centre(rng, ext, verts, k)
        k += 1
        total = rng.uniform(5_000, 30_000)
        heading = rng.uniform(0, 2 * math.pi)
        pts = [(r7(cx), r7(cy))]
        x, y, walked = cx, cy, 0.0
        while walked < total:
            step = min(rng.uniform(300, 1500), total - walked)
            heading += rng.uniform(-0.7, 0.7)
            x += step * math.cos(heading) / (M_PER_DEG * math.cos(math.radians(y)))
            y += step * math.sin(heading) / M_PER_DEG
            walked += step
            pts.append((r7(x), r7(y)))
        ls = LineString(pts)
        length = GEOD.geometry_length(ls)
        if ls.is_simple and 4_900 <= length <= 30_100:
            out.append(ls)
    return out


def rectangles(rng, ext, verts, n):
    """Axis-aligned lon/lat rectangles whose sides in metres are uniform in [200, 3000]."""
    out = []
    for k in range(n):
        cx, cy = centre(rng, ext, verts, k)
        w, h = rng.uniform(200, 3000), rng.uniform(200, 3000)
        # half-sides along the ellipsoid from the centre (east, north), so the sides are metres
        dx = GEOD.fwd(cx, cy, 90.0, w / 2)[0] - cx
        dy = GEOD.fwd(cx, cy, 0.0, h / 2)[1] - cy
        x0, y0, x1, y1 = r7(cx - dx), r7(cy - dy), r7(cx + dx), r7(cy + dy)
        out.append(Polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]))
    return out


def write(path, prefix, geoms):
    feats = [
        {"type": "Feature", "id": f"{prefix}{i:05d}", "properties": {}, "geometry": shapely.geometry.mapping(g)}
        for i, g in enumerate(geoms)
    ]
    with open(path, "w") as f:
        json.dump({"type": "FeatureCollection", "features": feats}, f, separators=(",", ":"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data/jiaxing")
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--points", type=int, default=2000)
    ap.add_argument("--small", type=int, default=1000)
    ap.add_argument("--large", type=int, default=100)
    ap.add_argument("--lines", type=int, default=300)
    ap.add_argument("--batch", type=int, default=3000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    ext, verts = extent_and_vertices(a.data)
    rng = random.Random(a.seed)
    pts = [Point(r7(rng.uniform(ext[0], ext[2])), r7(rng.uniform(ext[1], ext[3]))) if k % 2 == 0
           else Point(*(r7(v) for v in centre(rng, ext, verts, 1))) for k in range(a.points)]
    write(os.path.join(a.out, "points.geojson"), "p", pts)
    write(os.path.join(a.out, "small.geojson"), "s",
          polygons(rng, ext, verts, a.small, 150, 560, 8, 16, 0.0, 1.0e6))
    write(os.path.join(a.out, "large.geojson"), "L",
          polygons(rng, ext, verts, a.large, 5_500, 9_000, 24, 48, 50.0e6, 1e12))
    write(os.path.join(a.out, "lines.geojson"), "l", lines(rng, ext, verts, a.lines))
    write(os.path.join(a.out, "batch.geojson"), "b", rectangles(random.Random(a.seed + 1), ext, verts, a.batch))
    json.dump({"extent": ext, "seed": a.seed, "data": a.data}, open(os.path.join(a.out, "meta.json"), "w"))
    print(f"workloads in {a.out}: extent {[round(v, 4) for v in ext]}, "
          f"{a.points} points, {a.small} small, {a.large} large, {a.lines} lines, {a.batch} batch rectangles", file=sys.stderr)


if __name__ == "__main__":
    main()
