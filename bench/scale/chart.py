"""Draws the scale curves as one SVG (no plotting library needed): three log-log panels.

usage: python3 bench/scale/chart.py scale.ndjson hard.ndjson > docs/scale.svg
"""
import json
import math
import sys


def rows(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def panel(x0, y0, w, h, title, xlabel, ylabel, series):
    """series: [(label, colour, [(x, y)])] on log-log axes."""
    xs = [p[0] for _, _, pts in series for p in pts]
    ys = [p[1] for _, _, pts in series for p in pts if p[1] > 0]
    lx0, lx1 = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    ly0, ly1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    if ly1 == ly0:
        ly1 += 1
    X = lambda v: x0 + (math.log10(v) - lx0) / (lx1 - lx0) * w
    Y = lambda v: y0 + h - (math.log10(max(v, 10 ** ly0)) - ly0) / (ly1 - ly0) * h
    out = [f'<text x="{x0 + w / 2}" y="{y0 - 12}" text-anchor="middle" font-weight="bold">{title}</text>',
           f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#999"/>']
    for e in range(lx0, lx1 + 1):
        out.append(f'<line x1="{X(10**e)}" y1="{y0}" x2="{X(10**e)}" y2="{y0 + h}" stroke="#eee"/>')
        out.append(f'<text x="{X(10**e)}" y="{y0 + h + 16}" text-anchor="middle" font-size="11">10<tspan dy="-5" font-size="9">{e}</tspan></text>')
    for e in range(ly0, ly1 + 1):
        out.append(f'<line x1="{x0}" y1="{Y(10**e)}" x2="{x0 + w}" y2="{Y(10**e)}" stroke="#eee"/>')
        out.append(f'<text x="{x0 - 6}" y="{Y(10**e) + 4}" text-anchor="end" font-size="11">10<tspan dy="-5" font-size="9">{e}</tspan></text>')
    out.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 34}" text-anchor="middle" font-size="12">{xlabel}</text>')
    out.append(f'<text x="{x0 - 40}" y="{y0 + h / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 {x0 - 40} {y0 + h / 2})">{ylabel}</text>')
    for i, (label, colour, pts) in enumerate(series):
        pts = [p for p in pts if p[1] > 0]
        d = " ".join(f"{'M' if j == 0 else 'L'}{X(x):.1f},{Y(y):.1f}" for j, (x, y) in enumerate(pts))
        out.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in pts:
            out.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="3" fill="{colour}"><title>{label}: {y:.3g} at {x:.3g}</title></circle>')
        out.append(f'<line x1="{x0 + 10}" y1="{y0 + 14 + i * 16}" x2="{x0 + 30}" y2="{y0 + 14 + i * 16}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{x0 + 34}" y="{y0 + 18 + i * 16}" font-size="11">{label}</text>')
    return out


def main():
    scale, hard = rows(sys.argv[1]), rows(sys.argv[2])
    n = [r["features"] for r in scale]
    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="1140" height="400" font-family="sans-serif">',
           '<rect width="100%" height="100%" fill="white"/>']
    svg += panel(70, 40, 280, 280, "Load (gen-scale, 100 vertices/parcel)", "parcels", "", [
        ("load time, s", "#1e88e5", list(zip(n, [r["load_s"] for r in scale]))),
        ("peak RSS, GB", "#e53935", list(zip(n, [r["peak_rss_bytes"] / 1e9 for r in scale]))),
        ("raw coordinates, GB", "#9e9e9e", list(zip(n, [r["raw_coordinate_bytes"] / 1e9 for r in scale]))),
    ])
    svg += panel(440, 40, 280, 280, "Check latency vs layer size", "parcels", "µs", [
        ("small-site check p99", "#e53935", list(zip(n, [r["check_p99_us"] for r in scale]))),
        ("small-site check p50", "#1e88e5", list(zip(n, [r["check_p50_us"] for r in scale]))),
        ("point lookup p50", "#43a047", list(zip(n, [r["point_p50_us"] for r in scale]))),
    ])
    v = [r["vertices"] for r in hard]
    svg += panel(810, 40, 280, 280, "One zone of N vertices", "vertices in the zone", "µs", [
        ("check, ecospace p50", "#1e88e5", list(zip(v, [r["check_p50_us"] for r in hard]))),
        ("intersection, geo whole p50", "#9e9e9e", list(zip(v, [r["intersection_geo_p50_us"] for r in hard]))),
        ("point, ecospace p50", "#43a047", list(zip(v, [r["pip_p50_us"] for r in hard]))),
        ("point, geo contains p50", "#fb8c00", list(zip(v, [r["pip_geo_p50_us"] for r in hard]))),
    ])
    svg.append("</svg>")
    print("\n".join(svg))


main()
