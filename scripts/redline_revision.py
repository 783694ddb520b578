#!/usr/bin/env python3
"""Writes data/jiaxing/samples/redline_revision.geojson: an illustrative revision of the bundled
red line for the project registry's walk-through (README, tests/registry_http_test.rs).

    .venv/bin/python scripts/redline_revision.py

Two edits, each around one of the plan's key projects (data/jiaxing/samples/key_projects.geojson),
so that after the update exactly two registered projects change:
- KP-17 (talent apartments, 嘉善) falls inside: a new zone RL-330421-90 covers its site with a
  60 m margin;
- KP-18 (South Lake east shore) is released: RL-330402-02 loses the part within 30 m of its site.
Geometry by shapely; coordinates rounded to 1e-7 degrees as the bundled layers are.
"""
import json
import os

from shapely.geometry import mapping, shape
from shapely import set_precision

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DATA = os.path.join(ROOT, "data", "jiaxing")
M_PER_DEG = 111_320.0  # at the equator; with cos(lat) for longitudes below


def margin_deg(m, lat):
    """A margin of about `m` metres, in degrees (the larger, longitude, one: the margin only grows)."""
    import math
    return m / (M_PER_DEG * math.cos(math.radians(lat)))


def main():
    red = json.load(open(os.path.join(DATA, "redline.geojson"), encoding="utf-8"))
    kp = json.load(open(os.path.join(DATA, "samples", "key_projects.geojson"), encoding="utf-8"))
    site = {f["id"]: shape(f["geometry"]) for f in kp["features"]}
    k17, k18 = site["KP-17"], site["KP-18"]
    for f in red["features"]:
        if f["id"] == "RL-330402-02":
            zone = shape(f["geometry"])
            cut = k18.buffer(margin_deg(30, k18.centroid.y))
            assert zone.intersects(k18), "KP-18 must overlap RL-330402-02 before the revision"
            new = set_precision(zone.difference(cut), 1e-7)
            assert not new.intersects(k18)
            f["geometry"] = mapping(new)
            f["properties"]["revision"] = "2026: released the South Lake east-shore regeneration site (KP-18)"
    add = set_precision(k17.buffer(margin_deg(60, k17.centroid.y)).envelope, 1e-7)
    red["features"].append({
        "type": "Feature",
        "id": "RL-330421-90",
        "properties": {
            "county": "330421",
            "name": "嘉善县城湿地生态保护红线（示意调整）",
            "revision": "2026: illustrative new zone over the talent-apartments site (KP-17)",
        },
        "geometry": mapping(add),
    })
    out = os.path.join(DATA, "samples", "redline_revision.geojson")
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(red, fh, ensure_ascii=False, separators=(",", ":"))
        fh.write("\n")
    print(out)


if __name__ == "__main__":
    main()
