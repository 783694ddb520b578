#!/usr/bin/env python3
"""Agreement check and results table of the side-by-side comparison (issue #8).

  agree.py --answers DIR        compare every engine's answers with ecospace's; exit 1 on a disagreement
  agree.py --table RESULTS.ndjson [--md OUT.md]   the Markdown table of the timings

Site answers (records {"id", "hits": [[layer, id, measure, relation]]}) agree when
  * the hit sets are equal, except hits whose overlap is < 1 m² / 1 m, or that ecospace reports as
    boundary-only (relation "touches"); those are listed, not counted as failures;
  * measures (overlap area m², length m) agree within 0.1 % relative or 1 m²/1 m absolute.
Indicators: every total, breakdown and per-county figure within 0.1 % (or 1 m²).
Tiles: per tile and layer, the number of features; reported, and a failure only when the
totals differ by more than 5 % (clipping, simplification and tiny-sliver dropping differ by design).
"""
import argparse
import json
import os
import sys

REL, ABS = 1e-3, 1.0
KINDS = ["points", "small", "large", "lines"]


def read_ndjson(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def close(a, b, abs_tol=ABS):
    return abs(a - b) <= max(abs_tol, REL * max(abs(a), abs(b)))


def compare_sites(ref, other, name, kind):
    ref = {r["id"]: {(h[0], h[1]): h for h in r["hits"]} for r in ref}
    bad, tolerated, n, nh, worst = [], [], 0, 0, (0.0, None)
    max_abs = 0.0
    for rec in other:
        sid = rec["id"]
        if sid not in ref:
            bad.append(f"{kind}/{sid}: not in ecospace's answers")
            continue
        n += 1
        mine = ref[sid]
        theirs = {(h[0], h[1]): h for h in rec["hits"]}
        for key in mine.keys() | theirs.keys():
            a, b = mine.get(key), theirs.get(key)
            if a is None or b is None:
                h = a or b
                m = h[2]
                who = "only ecospace" if b is None else f"only {name}"
                if (m is not None and m < 1.0) or (a is not None and a[3] == "touches"):
                    tolerated.append(f"{kind}/{sid} {key[0]}/{key[1]}: {who} (measure {m}, relation {h[3]})")
                else:
                    bad.append(f"{kind}/{sid} {key[0]}/{key[1]}: {who} (measure {m}, relation {h[3]})")
                continue
            nh += 1
            ma, mb = a[2], b[2]
            if ma is None and mb is None:
                continue
            if ma is None or mb is None:
                if (ma or 0.0) < 1.0 and (mb or 0.0) < 1.0:
                    continue
                bad.append(f"{kind}/{sid} {key[0]}/{key[1]}: measure ecospace {ma} vs {name} {mb}")
                continue
            rel = abs(ma - mb) / max(abs(ma), abs(mb), 1e-300)
            max_abs = max(max_abs, abs(ma - mb))
            if rel > worst[0] and abs(ma - mb) > ABS:
                worst = (rel, f"{sid} {key[1]}: {ma:.3f} vs {mb:.3f}")
            if not close(ma, mb):
                bad.append(f"{kind}/{sid} {key[0]}/{key[1]}: measure ecospace {ma:.6f} vs {name} {mb:.6f} "
                           f"(Δ {ma - mb:+.6f}, {rel * 100:.4f} %)")
    return n, nh, bad, tolerated, worst, max_abs


def compare_indicators(eco, pg):
    bad, lines = [], []
    for iid, v in eco["indicators"].items():
        p = pg["indicators"].get(iid)
        if p is None:
            bad.append(f"indicator {iid}: missing in PostGIS")
            continue
        pairs = [("numerator", v["numerator"], p["numerator"])]
        if v.get("denominator") is not None:
            pairs.append(("denominator", v["denominator"], p["denominator"]))
        for k, x in (v.get("by") or {}).items():
            pairs.append((f"by {k}", x, (p.get("by") or {}).get(k)))
        for what, a, b in pairs:
            ok = b is not None and close(a, b, 1e-6)
            lines.append(f"  {iid} {what}: ecospace {a:.6f} vs PostGIS {b if b is None else f'{b:.6f}'}"
                         f"{'' if ok else '  <-- DISAGREES'}")
            if not ok:
                bad.append(lines[-1].strip())
    nc = 0
    for county, ind in eco["by_county"].items():
        for iid, v in ind.items():
            b = pg["by_county"].get(county, {}).get(iid)
            nc += 1
            if b is None and v["numerator"] == 0:
                continue
            if b is None or not close(v["numerator"], b, 1e-6):
                bad.append(f"county {county} {iid}: ecospace {v['numerator']:.6f} vs PostGIS {b}")
    lines.append(f"  + {nc} per-county figures compared")
    return bad, lines


def compare_tiles(eco, pg):
    pg = {(t["z"], t["x"], t["y"]): t for t in pg}
    same = diff = 0
    tot_e = tot_p = 0
    examples = []
    for t in eco:
        p = pg.get((t["z"], t["x"], t["y"]), {"counts": {}})
        ce, cp = t["counts"], p["counts"]
        for l in set(ce) | set(cp):
            a, b = ce.get(l, 0), cp.get(l, 0)
            tot_e += a
            tot_p += b
            if a == b:
                same += 1
            else:
                diff += 1
                if len(examples) < 8:
                    examples.append(f"{t['z']}/{t['x']}/{t['y']} {l}: ecospace {a} vs PostGIS {b}")
    return same, diff, tot_e, tot_p, examples


def agree(d):
    failures = []
    print("| workload | engine vs ecospace | sites | common hits | one-side hits tolerated | disagreements | max abs Δ (m², m) | worst relative Δ (where abs Δ > 1) |")
    print("|---|---|---|---|---|---|---|---|")
    details = []
    for k in KINDS:
        ref_path = os.path.join(d, f"ecospace_{k}.ndjson")
        if not os.path.exists(ref_path):
            continue
        ref = read_ndjson(ref_path)
        for name in ["http", "shapely", "postgis"]:
            p = os.path.join(d, f"{name}_{k}.ndjson")
            if not os.path.exists(p):
                continue
            n, nh, bad, tol, worst, max_abs = compare_sites(ref, read_ndjson(p), name, k)
            print(f"| {k} | {name} | {n} | {nh} | {len(tol)} | {len(bad)} | {max_abs:.3g} | "
                  f"{worst[0] * 100:.5f} % {'(' + worst[1] + ')' if worst[1] else ''} |")
            details += [f"tolerated ({name}): {t}" for t in tol]
            failures += [f"{name}: {b}" for b in bad]
    for t in details:
        print(t)
    ie, ip = os.path.join(d, "ecospace_indicators.json"), os.path.join(d, "postgis_indicators.json")
    if os.path.exists(ie) and os.path.exists(ip):
        bad, lines = compare_indicators(json.load(open(ie)), json.load(open(ip)))
        print(f"\nindicators 2025, ecospace vs PostGIS (0.1 %): {'agree' if not bad else f'{len(bad)} DISAGREE'}")
        print("\n".join(lines))
        failures += bad
    te, tp = os.path.join(d, "ecospace_tiles.ndjson"), os.path.join(d, "postgis_tiles.ndjson")
    if os.path.exists(te) and os.path.exists(tp):
        same, diff, a, b, ex = compare_tiles(read_ndjson(te), read_ndjson(tp))
        print(f"\ntiles: per-tile per-layer feature counts equal in {same} of {same + diff} (tile, layer) pairs; "
              f"features in all tiles: ecospace {a}, PostGIS {b}")
        for e in ex:
            print("  differs: " + e)
        if max(a, b) and abs(a - b) > 0.05 * max(a, b):
            failures.append(f"tiles: total feature counts differ by more than 5 % ({a} vs {b})")
    if failures:
        print(f"\nDISAGREEMENT ({len(failures)}):")
        for f in failures[:200]:
            print("  " + f)
        sys.exit(1)
    print("\nall engines agree within the tolerances")


ENGINES = [("ecospace", "ecospace (in process, 1 thread)"),
           ("ecospace-http-c1", "ecospace HTTP, 1 connection"),
           ("ecospace-http-c16", "ecospace HTTP, 16 connections"),
           ("shapely", "shapely 2 + pyproj (1 thread)"),
           ("postgis", "PostGIS, 1 connection")]


def fmt(v):
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}" if v >= 1 else f"{v:.3f}"


def table(results, md, meta):
    rows = read_ndjson(results)
    by = {(r["workload"], r["engine"]): r for r in rows}
    out = ["| workload | engine | n | ops/s | p50 µs | p99 µs | ecospace ÷ peer (ops/s) |",
           "|---|---|---|---|---|---|---|"]
    targets = []
    for w in KINDS + ["indicators", "tiles"]:
        eco = by.get((w, "ecospace"))
        for e, label in ENGINES:
            r = by.get((w, e))
            if r is None:
                if e == "shapely" and w in ("indicators", "tiles"):
                    out.append(f"| {w} | {label} | n/a | n/a | n/a | n/a | n/a |")
                continue
            ratio = ""
            if e in ("shapely", "postgis") and eco and r["ops_per_s"]:
                x = eco["ops_per_s"] / r["ops_per_s"]
                ratio = f"{x:.1f}×"
                if w in KINDS:
                    need = 5 if e == "postgis" else 3
                    targets.append(f"- {w}: ecospace {x:.1f}× {e} (target ≥ {need}×): "
                                   f"{'met' if x >= need else 'NOT met'}")
            elif e.startswith("ecospace-http-c1") and e == "ecospace-http-c1":
                pg = by.get((w, "postgis"))
                if pg and pg["ops_per_s"]:
                    ratio = f"({r['ops_per_s'] / pg['ops_per_s']:.1f}× PostGIS, both over a socket)"
            out.append(f"| {w} | {label} | {r['n']} | {fmt(r['ops_per_s'])} | {fmt(r['p50_us'])} | "
                       f"{fmt(r['p99_us'])} | {ratio} |")
    text = "\n".join(out) + "\n\nTargets of issue #8 (single-threaded, in process vs peer):\n" + "\n".join(targets) + "\n"
    print(text)
    if md:
        with open(md, "w") as f:
            f.write("# ecospace vs shapely vs PostGIS (bench/compare.sh)\n\n")
            f.write(meta + "\n\n" + text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers")
    ap.add_argument("--table")
    ap.add_argument("--md")
    ap.add_argument("--data", default="data/jiaxing")
    ap.add_argument("--quick", default="0")
    a = ap.parse_args()
    if a.answers:
        agree(a.answers)
    if a.table:
        import platform, subprocess
        up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        meta = (f"Data `{a.data}`{' (--quick)' if a.quick == '1' else ''}; year 2025; {os.cpu_count()} cores; "
                f"`uptime` at the end: {up}. ops/s = calls of the best timed pass ÷ that pass's summed per-call times (5 passes in the full run; HTTP: requests ÷ wall time); "
                f"p50/p99 per call. The machine was shared with other builds: treat the figures as noisy.")
        table(a.table, a.md, meta)


if __name__ == "__main__":
    main()
