"""N project sites over the Jiaxing extent for bench/registry.sh: lon/lat rectangles with sides
uniform in 100–1,500 m, a third of them around the red line's vertices (so re-screening after a
red-line revision has real overlaps to compute), the rest uniform over the county outline's box.
Types cycle through the rules file's; seeded, so every run registers the same projects.

Usage: python3 bench/registry/sites.py N OUT.geojson [DATA_DIR]
"""
import json
import math
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
data = sys.argv[3] if len(sys.argv) > 3 else "data/jiaxing"
rnd = random.Random(16)
types = [line.split('"')[1] for line in open(f"{data}/rules.toml", encoding="utf-8")
         if line.startswith("id = ")]
verts = []


def walk(c):
    if isinstance(c[0], (int, float)):
        verts.append(c)
    else:
        for x in c:
            walk(x)


for f in json.load(open(f"{data}/redline.geojson", encoding="utf-8"))["features"]:
    walk(f["geometry"]["coordinates"])
x0, y0, x1, y1 = 120.29, 30.27, 121.33, 31.03
m_lat = 111_320.0
with open(out, "w", encoding="utf-8") as fh:
    fh.write('{"type":"FeatureCollection","features":[\n')
    for i in range(n):
        if i % 3 == 0:
            cx, cy = rnd.choice(verts)
        else:
            cx, cy = rnd.uniform(x0, x1), rnd.uniform(y0, y1)
        w, h = rnd.uniform(100, 1500), rnd.uniform(100, 1500)
        dx = w / 2 / (m_lat * math.cos(math.radians(cy)))
        dy = h / 2 / m_lat
        ring = [[round(cx - dx, 6), round(cy - dy, 6)], [round(cx + dx, 6), round(cy - dy, 6)],
                [round(cx + dx, 6), round(cy + dy, 6)], [round(cx - dx, 6), round(cy + dy, 6)]]
        ring.append(ring[0])
        f = {"type": "Feature", "id": f"B-{i:06d}",
             "properties": {"name": f"bench project {i}", "type": types[i % len(types)],
                            "status": "approved", "year": 2025},
             "geometry": {"type": "Polygon", "coordinates": [ring]}}
        fh.write(("," if i else "") + json.dumps(f, separators=(",", ":")) + "\n")
    fh.write("]}\n")
