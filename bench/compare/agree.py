#!/usr/bin/env python3
"""Agreement check and results table of the side-by-side comparison (issue #8).

  agree.py --answers DIR        compare every engine's answers with ecospace's; exit 1 on a disagreement
  agree.py --table RESULTS.ndjson [--md OUT.md] [--uptime-start F] [--agreement F] [--versions F]
                                one Markdown table per section (in process, batch, HTTP vs nginx, tiles vs Martin)

Context layers (manifest `context = true`, read from --data): ecospace's check never screens
them and the peers skip them on the site workloads, so a context-layer hit there is a
disagreement. The point lookup (`zones_at`, `GET /zones`) answers every zone layer, context ones
included, and so do the peers' point queries: those hits are compared like any other (should
ecospace's point answers hold none, the peers' are set aside, and counted).

Site answers (records {"id", "hits": [[layer, id, measure, relation]]}) agree when
  * the hit sets are equal, except hits whose overlap is < 1 m² / 1 m, or that ecospace reports as
    boundary-only (relation "touches"); those are listed, not counted as failures;
  * measures (overlap area m², length m) agree within 0.1 % relative or 1 m²/1 m absolute.
Indicators: every total, breakdown and per-county figure within 0.1 % (or 1 m²).
Tiles: per tile and layer, the number of features; reported, and a failure only when the
totals differ by more than 5 % (clipping, simplification and tiny-sliver dropping differ by design).
The same for the served tiles (ecospace `serve` vs Martin, every tile of the cold-tile list), where
every (tile, layer) pair whose counts differ is listed.
The end-to-end batch: ecospace's answer (from `POST /check`) is the reference for shapely, PostGIS
and DuckDB, with the site rules above.
"""
import argparse
import json
import os
import sys
import tomllib

REL, ABS = 1e-3, 1.0
KINDS = ["points", "small", "large", "lines"]


def read_ndjson(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def context_layers(data):
    """Ids of the manifest's context layers (none without a manifest)."""
    path = os.path.join(data, "layers.toml") if data else ""
    if not path or not os.path.exists(path):
        return set()
    with open(path, "rb") as f:
        return {l["id"] for l in tomllib.load(f).get("layer", []) if l.get("context", False)}


def drop_context(records, ctx):
    """The records without their hits on context layers, and how many hits were dropped."""
    out, n = [], 0
    for r in records:
        keep = [h for h in r["hits"] if h[0] not in ctx]
        n += len(r["hits"]) - len(keep)
        out.append({**r, "hits": keep})
    return out, n


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
            # ecospace's YearIndicators.by_county: {county: {indicator: value}} (older builds and the
            # fallback: {indicator: {"numerator": value}})
            v = v["numerator"] if isinstance(v, dict) else v
            b = pg["by_county"].get(county, {}).get(iid)
            nc += 1
            if b is None and v == 0:
                continue
            if b is None or not close(v, b, 1e-6):
                bad.append(f"county {county} {iid}: ecospace {v:.6f} vs PostGIS {b}")
    lines.append(f"  + {nc} per-county figures compared")
    return bad, lines


def compare_tiles(eco, pg, peer="PostGIS", limit=8):
    pg = {(t["z"], t["x"], t["y"]): t for t in pg}
    same = diff = 0
    tot_e = tot_p = 0
    examples = []
    for t in eco:
        p = pg.get((t["z"], t["x"], t["y"]), {"counts": {}})
        ce, cp = t["counts"], p["counts"]
        for l in sorted(set(ce) | set(cp)):
            a, b = ce.get(l, 0), cp.get(l, 0)
            tot_e += a
            tot_p += b
            if a == b:
                same += 1
            else:
                diff += 1
                if limit is None or len(examples) < limit:
                    examples.append(f"{t['z']}/{t['x']}/{t['y']} {l}: ecospace {a} vs {peer} {b}")
    return same, diff, tot_e, tot_p, examples


PEERS = ["http", "shapely", "postgis", "duckdb"]


def agree(d, data=None):
    failures = []
    ctx = context_layers(data)
    ctx_notes = []

    names = ", ".join(sorted(ctx))

    def answers(path, who, k, ref_has_context=True):
        recs = read_ndjson(path)
        if not ctx:
            return recs, 0
        kept, n = drop_context(recs, ctx)
        if k == "points":
            if ref_has_context or not n:
                return recs, n
            ctx_notes.append(f"points/{who}: {n} hits on context layers ({names}) set aside: ecospace's point "
                             f"lookup answered none")
            return kept, n
        if n:
            failures.append(f"{who}: {k}: {n} hits on context layers ({names}), which a check does not screen")
        return kept, n

    print("| workload | engine vs ecospace | sites | common hits | one-side hits tolerated | disagreements | max abs Δ (m², m) | worst relative Δ (where abs Δ > 1) |")
    print("|---|---|---|---|---|---|---|---|")
    details = []
    for k in KINDS + ["batch"]:
        ref_path = os.path.join(d, f"ecospace_{k}.ndjson")
        if not os.path.exists(ref_path):
            continue
        ref, nctx = answers(ref_path, "ecospace", k)
        if k == "points" and nctx:
            ctx_notes.append(f"points: ecospace's point lookup answers the context layers too ({names}): "
                             f"{nctx} of its hits, compared like the others")
        for name in PEERS:
            p = os.path.join(d, f"{name}_{k}.ndjson")
            if not os.path.exists(p):
                continue
            n, nh, bad, tol, worst, max_abs = compare_sites(ref, answers(p, name, k, nctx > 0)[0], name, k)
            label = "ecospace HTTP (POST /check, whole FeatureCollection) is the reference" if k == "batch" else ""
            print(f"| {k} | {name} | {n} | {nh} | {len(tol)} | {len(bad)} | {max_abs:.3g} | "
                  f"{worst[0] * 100:.5f} % {'(' + worst[1] + ')' if worst[1] else ''} |")
            details += [f"tolerated ({name}): {t}" for t in tol]
            failures += [f"{name}: {b}" for b in bad]
    for t in details:
        print(t)
    for t in ctx_notes:
        print(t)
    geo = []
    for k in KINDS + ["batch"]:
        a, b = (os.path.join(d, f"{n}_{k}.ndjson") for n in ("shapely", "duckdb"))
        if not (os.path.exists(a) and os.path.exists(b)):
            continue
        ref = {r["id"]: {(h[0], h[1]): h[2] for h in r["hits"]} for r in read_ndjson(a)}
        n, mabs, mrel = 0, 0.0, 0.0
        for r in read_ndjson(b):
            for h in r["hits"]:
                x = ref.get(r["id"], {}).get((h[0], h[1]))
                if x is None or h[2] is None or not max(abs(x), abs(h[2])):
                    continue
                n += 1
                mabs = max(mabs, abs(x - h[2]))
                mrel = max(mrel, abs(x - h[2]) / max(abs(x), abs(h[2])))
        geo.append(f"{k}: {n} measures, max abs Δ {mabs:.3g}, max relative Δ {mrel:.2g}")
    if geo:
        print("\nDuckDB's ST_Area_Spheroid/ST_Length_Spheroid (of ST_FlipCoordinates) vs pyproj's Geod (Karney), "
              "both on GEOS-style overlaps, per workload: " + "; ".join(geo))
    ie, ip = os.path.join(d, "ecospace_indicators.json"), os.path.join(d, "postgis_indicators.json")
    if os.path.exists(ie) and os.path.exists(ip):
        bad, lines = compare_indicators(json.load(open(ie)), json.load(open(ip)))
        print(f"\nindicators 2025, ecospace vs PostGIS (0.1 %): {'agree' if not bad else f'{len(bad)} DISAGREE'}")
        print("\n".join(lines))
        failures += bad
    for ef, pf, peer, limit in [("ecospace_tiles.ndjson", "postgis_tiles.ndjson", "PostGIS", 8),
                                ("ecoserve_tiles.ndjson", "martin_tiles.ndjson", "Martin", None)]:
        te, tp = os.path.join(d, ef), os.path.join(d, pf)
        if not (os.path.exists(te) and os.path.exists(tp)):
            continue
        eco, other = read_ndjson(te), read_ndjson(tp)
        same, diff, a, b, ex = compare_tiles(eco, other, peer, limit)
        what = "tiles (in process, z10-z12)" if peer == "PostGIS" else f"served tiles ({len(eco)} tiles z8-z14, composite of every layer)"
        print(f"\n{what}: per-tile per-layer feature counts equal in {same} of {same + diff} (tile, layer) pairs; "
              f"features in all tiles: ecospace {a}, {peer} {b}")
        for e in ex:
            print("  differs: " + e)
        if peer == "Martin":
            st = {}
            for t in eco:
                st.setdefault("ecospace", {}).setdefault(t.get("status"), 0)
                st["ecospace"][t.get("status")] += 1
            for t in other:
                st.setdefault("Martin", {}).setdefault(t.get("status"), 0)
                st["Martin"][t.get("status")] += 1
            print(f"  HTTP statuses: {st}")
        if max(a, b) and abs(a - b) > 0.05 * max(a, b):
            failures.append(f"{peer} tiles: total feature counts differ by more than 5 % ({a} vs {b})")
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
           ("postgis", "PostGIS, 1 connection"),
           ("duckdb", "DuckDB + spatial (one join per pass")]


def fmt(v):
    if v is None:
        return "n/a"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}" if v >= 1 else f"{v:.3f}"


def inprocess_table(rows):
    by = {(r["workload"], r["engine"]): r for r in rows if r.get("section", "inprocess") == "inprocess"}
    out = ["| workload | engine | n | ops/s | p50 µs | p99 µs | ecospace ÷ peer (ops/s) |",
           "|---|---|---|---|---|---|---|"]
    targets = []
    for w in KINDS + ["indicators", "tiles"]:
        eco = by.get((w, "ecospace"))
        for e, label in ENGINES:
            r = by.get((w, e))
            if r is None:
                if e in ("shapely", "duckdb") and w in ("indicators", "tiles"):
                    out.append(f"| {w} | {label}{')' if e == 'duckdb' else ''} | n/a | n/a | n/a | n/a | n/a |")
                continue
            ratio = ""
            if e in ("shapely", "postgis", "duckdb") and eco and r["ops_per_s"]:
                x = eco["ops_per_s"] / r["ops_per_s"]
                ratio = f"{x:.1f}×"
                if w in KINDS and e != "duckdb":
                    need = 5 if e == "postgis" else 3
                    targets.append(f"- {w}: ecospace {x:.1f}× {e} (target ≥ {need}×): "
                                   f"{'met' if x >= need else 'NOT met'}")
            elif e == "ecospace-http-c1":
                pg = by.get((w, "postgis"))
                if pg and pg["ops_per_s"]:
                    ratio = f"({r['ops_per_s'] / pg['ops_per_s']:.1f}× PostGIS, both over a socket)"
            if e == "duckdb":
                label += f", {r.get('threads', '?')} threads)"
            out.append(f"| {w} | {label} | {r['n']} | {fmt(r['ops_per_s'])} | {fmt(r['p50_us'])} | "
                       f"{fmt(r['p99_us'])} | {ratio} |")
    return ("\n".join(out) + "\n\nDuckDB answers each workload with one set-based query per pass (the sites loaded as a "
            "table from their WKB, then an `ST_Intersects` spatial join), so it has no per-call p50/p99; its ops/s = "
            "sites ÷ the best pass's wall time, with DuckDB's default threads (all cores) against ecospace's one.\n"
            "\nTargets of issues #8 and #14 (single-threaded, in process vs peer):\n" + "\n".join(targets) + "\n")


BATCH = [("ecospace-http", "ecospace `serve`: one `POST /check?year=2025&layers=…` (whole FeatureCollection)"),
         ("shapely", "shapely 2 + pyproj, in process, 1 thread (STRtree loop)"),
         ("postgis", "PostGIS: one set-based statement (bytea[] of WKB, GiST join)"),
         ("duckdb", "DuckDB + spatial: sites table from WKB + one spatial join")]


def batch_table(rows):
    by = {r["engine"]: r for r in rows if r.get("workload") == "batch"}
    eco = by.get("ecospace-http")
    if not by:
        return ""
    out = ["| engine | sites | hits | runs | median ms | min ms | engine ms ÷ ecospace ms (JSON parsed) "
           "| engine ms ÷ ecospace ms (answer received) | notes |",
           "|---|---|---|---|---|---|---|---|---|"]
    targets = []
    need = {"shapely": 3, "postgis": 5, "duckdb": 2}
    for e, label in BATCH:
        r = by.get(e)
        if r is None:
            out.append(f"| {label} | – | – | – | not run | | | | |")
            continue
        bytes_ms = eco.get("bytes_ms_median") if eco else None
        if e == "ecospace-http":
            ratio, ratio_b = "1 (reference)", "1 (reference)"
        else:
            ratio = f"{r['ms_median'] / eco['ms_median']:.2f}×" if eco else ""
            ratio_b = f"{r['ms_median'] / bytes_ms:.2f}×" if bytes_ms else ""
            if eco:
                x = r["ms_median"] / eco["ms_median"]
                xb = r["ms_median"] / bytes_ms if bytes_ms else x
                targets.append(f"- batch: ecospace {x:.2f}× {e} with the answer parsed by the client, {xb:.2f}× to "
                               f"the answer received (target ≥ {need[e]}×): "
                               f"{'met' if x >= need[e] else ('met to the answer received' if xb >= need[e] else 'NOT met')}")
        note = ""
        if e == "ecospace-http":
            note = (f"answer {r['answer_bytes']:,} bytes of JSON (request {r['request_bytes']:,}); "
                    f"received after {bytes_ms:.0f} ms (median), then the client's `json.loads` "
                    f"{r['parse_ms_median']:.0f} ms" if bytes_ms else
                    f"answer {r['answer_bytes']:,} bytes; `json.loads` {r['parse_ms_median']:.0f} ms")
            if r.get("server_ms_median") is not None:
                note += f"; server-side (its access log) median {r['server_ms_median']:.0f} ms"
        elif e == "duckdb":
            note = f"{r.get('threads')} threads; plan has SPATIAL_JOIN: {r.get('spatial_join')}"
        elif e == "postgis":
            note = f"GiST index used: {r.get('gist_used')}"
        out.append(f"| {label} | {r['sites']} | {r['hits']} | {r['runs']} | {r['ms_median']:,.1f} | {r['ms_min']:,.1f} "
                   f"| {ratio} | {ratio_b} | {note} |")
    return "\n".join(out) + "\n" + ("\nTargets of issue #14 (end-to-end batch):\n" + "\n".join(targets) + "\n" if targets else "")


def http_table(rows):
    rs = [r for r in rows if r.get("section") == "http"]
    if not rs:
        return ""
    ng = next((r for r in rs if r["engine"] == "nginx"), None)
    out = ["| server | path | requests | requests/s | mean latency ms | p99 ms | % of nginx | load avg (1 min) at the end |",
           "|---|---|---|---|---|---|---|---|"]
    targets = []
    for r in rs:
        pct = f"{100 * r['rps'] / ng['rps']:.1f} %" if ng and ng["rps"] else ""
        who = {"nginx": "nginx (static 130-byte JSON, `return 200`, access log on)",
               "ecospace": "ecospace `serve`, default settings (`RUST_LOG=info`: the access log is at debug)"}[r["engine"]]
        out.append(f"| {who} | `{r['path']}` | {r['requests']:,} | {r['rps']:,.0f} | {fmt(r['lat_avg_ms'])} | "
                   f"{fmt(r['p99_ms'])} | {pct} | {r['loadavg'][0]} |")
        if ng and ng["rps"] and r["engine"] == "ecospace":
            x = 100 * r["rps"] / ng["rps"]
            targets.append(f"- `{r['path']}`: {x:.0f} % of nginx (target ≥ 80 %): {'met' if x >= 80 else 'NOT met'}")
    return "\n".join(out) + "\n" + ("\nTargets of issue #14 (HTTP layer):\n" + "\n".join(targets) + "\n" if targets else "")


def martin_table(rows):
    rs = [r for r in rows if r.get("section") == "tiles-martin"]
    if not rs:
        return ""
    by = {(r["workload"], r["engine"]): r for r in rs}
    out = ["| tiles | server | requests | requests/s | mean latency ms | p99 ms | ecospace ÷ Martin (req/s) |",
           "|---|---|---|---|---|---|---|"]
    targets = []
    for w in ["cold", "cached"]:
        e, m = by.get((w, "ecospace")), by.get((w, "martin"))
        for r in (e, m):
            if r is None:
                continue
            ratio = f"{e['rps'] / m['rps']:.2f}×" if (r is e and e and m and m["rps"]) else ""
            if ratio:
                x = e["rps"] / m["rps"]
                targets.append(f"- {w} tiles: ecospace {x:.2f}× Martin (target ≥ 1×): {'met' if x >= 1 else 'NOT met'}")
            desc = r.get("desc", "")
            out.append(f"| {w}: {desc} | {r['engine']} ({r.get('settings', '')}) | {r['requests']:,} | {r['rps']:,.0f} | "
                       f"{fmt(r['lat_avg_ms'])} | {fmt(r['p99_ms'])} | {ratio} |")
    return "\n".join(out) + "\n" + ("\nTargets of issue #14 (tiles):\n" + "\n".join(targets) + "\n" if targets else "")


def table(results, md, meta, extras):
    rows = read_ndjson(results)
    parts = [("In process, per workload", inprocess_table(rows)),
             ("End-to-end batch (answers compared first)", batch_table(rows)),
             ("The HTTP layer: ecospace against nginx (wrk -t2 -c16)", http_table(rows)),
             ("Vector tiles over HTTP: ecospace against Martin (wrk -t2 -c16)", martin_table(rows))]
    text = "\n".join(f"## {h}\n\n{t}" for h, t in parts if t)
    print(text)
    if md:
        with open(md, "w") as f:
            f.write("# ecospace vs shapely vs PostGIS vs DuckDB, nginx, Martin (bench/compare.sh)\n\n")
            f.write(meta + "\n\n" + text + extras)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers")
    ap.add_argument("--table")
    ap.add_argument("--md")
    ap.add_argument("--data", default="data/jiaxing")
    ap.add_argument("--quick", default="0")
    ap.add_argument("--uptime-start")
    ap.add_argument("--agreement")
    ap.add_argument("--versions")
    a = ap.parse_args()
    if a.answers:
        agree(a.answers, a.data)
    if a.table:
        import subprocess
        up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        start = open(a.uptime_start).read().strip() if a.uptime_start and os.path.exists(a.uptime_start) else "?"
        meta = (f"Data `{a.data}`{' (--quick)' if a.quick == '1' else ''}; year 2025; {os.cpu_count()} cores; "
                f"`uptime` at the start: {start}; at the end: {up}. "
                f"ops/s = calls of the best timed pass ÷ that pass's summed per-call times (5 passes in the full run; HTTP: requests ÷ wall time); "
                f"p50/p99 per call. The machine was shared with other builds: treat the figures as noisy, read the ratios.")
        extras = ""
        if a.agreement and os.path.exists(a.agreement):
            lines = open(a.agreement).read().strip().splitlines()
            tab = [l for l in lines if l.startswith("|")]
            rest = [l for l in lines if not l.startswith("|")]
            extras += ("\n## Agreement (checked before the timings above were tabled)\n\n" + "\n".join(tab)
                       + "\n\n```text\n" + "\n".join(rest).strip() + "\n```\n")
        if a.versions and os.path.exists(a.versions):
            extras += "\n## Versions\n\n" + "".join(f"- {l}" for l in open(a.versions) if l.strip()) + "\n"
        table(a.table, a.md, meta, extras)


if __name__ == "__main__":
    main()
