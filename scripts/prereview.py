#!/usr/bin/env python3
"""Turns `ecospace check --batch SITES` NDJSON (stdin) into the three-lines pre-review table
(三线用地预审) of README.md, as Markdown on stdout: per site its type and class, the counties it lies
in, the strictest ruling on the red line and on permanent basic farmland with the share (areal
sites) or length (lines) of the site on them, the share outside the urban development boundary
with its ruling, and the site's decision.

    ecospace check --batch data/jiaxing/samples/key_projects.geojson --year 2025 | python3 scripts/prereview.py
"""
import json
import sys

ORDER = ["allowed", "restricted", "prohibited"]


def on(res, layer):
    met = [h for h in res["hits"] if h["layer"] == layer and h["relation"] not in ("near", "touches")]
    ruled = [h["decision"] for h in met if h.get("decision")]
    if not ruled:
        return "–"
    if res["site"]["area_m2"] > 0:
        size = f"{sum(h.get('overlap_ratio') or 0 for h in met) * 100:.0f} %"
    else:
        size = f"{sum(h.get('overlap_length_m') or 0 for h in met):.0f} m"
    return f"{max(ruled, key=ORDER.index)} ({size})"


def main():
    print("| site | project | type · class | county | red line | farmland | outside the urban boundary | decision |")
    print("|---|---|---|---|---|---|---|---|")
    for line in sys.stdin:
        row = json.loads(line)
        res = row.get("result")
        if res is None:
            print(f"| {row.get('id')} | {row.get('name', '')} | | | | | | error: {row['error']['message']} |")
            continue
        cs = res.get("counties", [])
        county = ", ".join(c["name"] + (f" {c['share'] * 100:.0f} %" if len(cs) > 1 else "") for c in cs)
        outside = next(
            (f"{o['ratio'] * 100:.0f} % → {o.get('decision', '–')}" for o in res.get("outside", [])
             if o["layer"] == "urban_boundary"),
            "–",
        )
        name = row.get("name") or ""
        name = name if len(name) <= 22 else name[:21] + "…"
        print(f"| {row.get('id')} | {name} | {row.get('type', '')} · {res.get('class', '')} | {county or '(offshore)'} "
              f"| {on(res, 'redline')} | {on(res, 'farmland')} | {outside} | **{res.get('decision', '–')}** |")


if __name__ == "__main__":
    main()
