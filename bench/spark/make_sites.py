#!/usr/bin/env python3
"""Seeded sites over the Jiaxing extent (lon 120.30–121.30, lat 30.35–31.05), the same mix as
tests/spark_test.rs generates: rectangles (sides 100–2,000 m), small convex polygons, points,
every tenth site with its own project type (`road`), and a few invalid bow-tie polygons spread
over the extent. Deterministic for a seed.

usage: make_sites.py N OUT.geojson [--seed S] [--invalid K] [--csv OUT.csv]"""
import argparse
import json
import math
import random

LON0, LON1, LAT0, LAT1 = 120.30, 121.30, 30.35, 31.05
M_PER_DEG_LAT = 110_900.0


def sites(n, seed, invalid):
    rnd = random.Random(seed)
    bad = {round(k * (n - 1) / max(1, invalid - 1)) for k in range(invalid)} if invalid else set()
    for i in range(n):
        x = LON0 + rnd.random() * (LON1 - LON0)
        y = LAT0 + rnd.random() * (LAT1 - LAT0)
        m_per_deg_lon = M_PER_DEG_LAT * math.cos(math.radians(y))
        kind = rnd.random()
        if i in bad:
            d = 0.004
            ring = [[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]
            geom = {"type": "Polygon", "coordinates": [ring]}
        elif kind < 0.70:
            w = (100 + rnd.random() * 1900) / m_per_deg_lon
            h = (100 + rnd.random() * 1900) / M_PER_DEG_LAT
            ring = [[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]
            geom = {"type": "Polygon", "coordinates": [ring]}
        elif kind < 0.85:
            r = (80 + rnd.random() * 700) / M_PER_DEG_LAT
            k = 5 + rnd.randrange(4)
            ring = [
                [x + r * math.cos(2 * math.pi * j / k) / math.cos(math.radians(y)), y + r * math.sin(2 * math.pi * j / k)]
                for j in range(k)
            ]
            ring.append(ring[0])
            geom = {"type": "Polygon", "coordinates": [ring]}
        else:
            geom = {"type": "Point", "coordinates": [x, y]}
        props = {"name": f"site {i}"}
        if i % 10 == 3:
            props["type"] = "road"
        yield {"type": "Feature", "id": f"S-{i:06d}", "properties": props, "geometry": geom}


def wkt(g):
    if g["type"] == "Point":
        return "POINT ({!r} {!r})".format(*g["coordinates"])
    return "POLYGON ((" + ", ".join(f"{x!r} {y!r}" for x, y in g["coordinates"][0]) + "))"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int)
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=18)
    p.add_argument("--invalid", type=int, default=5)
    p.add_argument("--csv")
    a = p.parse_args()
    feats = list(sites(a.n, a.seed, a.invalid))
    with open(a.out, "w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection","features":[\n')
        f.write(",\n".join(json.dumps(x, ensure_ascii=False, separators=(",", ":")) for x in feats))
        f.write("\n]}\n")
    if a.csv:
        with open(a.csv, "w", encoding="utf-8") as f:
            f.write("id,name,type,wkt\n")
            for x in feats:
                f.write(f'{x["id"]},{x["properties"]["name"]},{x["properties"].get("type", "")},"{wkt(x["geometry"])}"\n')


if __name__ == "__main__":
    main()
