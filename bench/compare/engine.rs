//! ecospace, in process and single-threaded, on one workload of the side-by-side comparison
//! (issue #8; driven by `bench/compare.sh`).
//!
//! ```text
//! cargo run --release --example compare_engine -- --data DIR --sites FILE \
//!     --kind points|small|large|lines --repeat R --answers OUT.ndjson
//! cargo run --release --example compare_engine -- --data DIR --kind indicators --repeat R --answers OUT.json
//! cargo run --release --example compare_engine -- --data DIR --kind tiles --zooms 10-12 --repeat R --answers OUT.ndjson
//! ```
//!
//! One untimed warm-up pass, then `repeat` timed passes; every call is timed on its own
//! (`zones_at` for points, `check` with year 2025, no buffer, all layers for sites;
//! `indicator::compute` on a freshly loaded dataset — i.e. cold, no cache — for indicators;
//! `tiles::render` of all layers, context layers included, for tiles). `check` skips the context
//! layers (county outlines, land and sea) itself; `zones_at` answers every zone layer, context
//! ones included, and so do the peers' point queries (bench/compare/peers.py). Prints one JSON
//! summary line on stdout: `{"engine","workload","n","ops_per_s","p50_us","p99_us",...}` and
//! writes the answers.

#[path = "sites.rs"]
mod sites;

use ecospace::{check, zones_at, CheckOptions, Dataset};
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

const YEAR: i32 = 2025;

/// The allocator the `ecospace` binary ships with, so "in process" measures the engine as served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    data: PathBuf,
    sites: Option<PathBuf>,
    kind: String,
    repeat: usize,
    answers: Option<PathBuf>,
    zooms: (u32, u32),
    label: Option<String>,
    slowest: usize,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        data: "data/jiaxing".into(),
        sites: None,
        kind: String::new(),
        repeat: 3,
        answers: None,
        zooms: (10, 12),
        label: None,
        slowest: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or(format!("{k} needs a value"));
        match k.as_str() {
            "--data" => a.data = v()?.into(),
            "--sites" => a.sites = Some(v()?.into()),
            "--kind" => a.kind = v()?,
            "--repeat" => a.repeat = v()?.parse().map_err(|e| format!("--repeat: {e}"))?,
            "--answers" => a.answers = Some(v()?.into()),
            "--label" => a.label = Some(v()?),
            "--slowest" => a.slowest = v()?.parse().map_err(|e| format!("--slowest: {e}"))?,
            "--zooms" => {
                let s = v()?;
                let (lo, hi) = s.split_once('-').unwrap_or((&s, &s));
                a.zooms = (
                    lo.parse().map_err(|e| format!("--zooms: {e}"))?,
                    hi.parse().map_err(|e| format!("--zooms: {e}"))?,
                );
            }
            _ => return Err(format!("unknown argument {k}")),
        }
    }
    if a.kind.is_empty() {
        return Err("--kind is required".into());
    }
    Ok(a)
}

/// `ns` holds the per-call times of all timed passes in order, `per_pass` calls each. Throughput
/// is that of the best pass (calls ÷ the pass's summed call times): on a shared, noisy machine the
/// fastest pass is the least disturbed; `ops_per_s_all` is over all passes.
fn summary(a: &Args, mut ns: Vec<u64>, per_pass: usize, extra: Value) -> Value {
    let best = ns
        .chunks(per_pass.max(1))
        .map(|c| c.iter().sum::<u64>())
        .min()
        .unwrap_or(0);
    ns.sort_unstable();
    let total: u64 = ns.iter().sum();
    let mut s = json!({
        "engine": "ecospace",
        "workload": a.label.clone().unwrap_or_else(|| a.kind.clone()),
        "n": ns.len(),
        "ops_per_s": if best > 0 { per_pass.max(1) as f64 / (best as f64 / 1e9) } else { 0.0 },
        "ops_per_s_all": if total > 0 { ns.len() as f64 / (total as f64 / 1e9) } else { 0.0 },
        "p50_us": sites::pct_us(&ns, 0.5),
        "p99_us": sites::pct_us(&ns, 0.99),
        "mean_us": if ns.is_empty() { 0.0 } else { total as f64 / ns.len() as f64 / 1000.0 },
        "repeat": a.repeat,
    });
    if let (Some(m), Value::Object(e)) = (s.as_object_mut(), extra) {
        m.extend(e);
    }
    s
}

fn write_lines(path: &Option<PathBuf>, lines: &[Value]) -> Result<(), String> {
    let Some(p) = path else { return Ok(()) };
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?,
    );
    for l in lines {
        writeln!(f, "{l}").map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn run_sites(a: &Args, ds: &Dataset) -> Result<Value, String> {
    let path = a.sites.as_ref().ok_or("--sites is required")?;
    let sites = sites::load(path)?;
    let opts = CheckOptions {
        year: YEAR,
        buffer_m: 0.0,
        layers: None,
    };
    let points = a.kind == "points";
    let pt = |s: &sites::Site| match &s.geom {
        geo::Geometry::Point(p) => Ok((p.x(), p.y())),
        _ => Err(format!("site {} is not a point", s.id)),
    };
    // Warm-up pass, which also gives the answers.
    let mut answers = Vec::with_capacity(sites.len());
    let mut hits = 0usize;
    for s in &sites {
        let ans = if points {
            let (x, y) = pt(s)?;
            let z = zones_at(ds, x, y, YEAR).map_err(|e| format!("{}: {e}", s.id))?;
            sites::zones_answer(&s.id, &z)
        } else {
            let r = check(ds, &s.geom, &opts).map_err(|e| format!("{}: {e}", s.id))?;
            sites::check_answer(&s.id, &r)
        };
        hits += ans["hits"].as_array().map_or(0, Vec::len);
        answers.push(ans);
    }
    write_lines(&a.answers, &answers)?;
    let mut ns = Vec::with_capacity(sites.len() * a.repeat);
    let mut sink = 0usize;
    let wall = Instant::now();
    for _ in 0..a.repeat {
        for s in &sites {
            let t = Instant::now();
            if points {
                let (x, y) = pt(s)?;
                sink += zones_at(ds, x, y, YEAR).map(|z| z.len()).unwrap_or(0);
            } else {
                sink += check(ds, &s.geom, &opts).map(|r| r.hits.len()).unwrap_or(0);
            }
            ns.push(t.elapsed().as_nanos() as u64);
        }
    }
    let wall = wall.elapsed().as_secs_f64();
    if a.slowest > 0 && !sites.is_empty() {
        // Per site, the fastest of its timed calls (noise-resistant), slowest sites first.
        let mut best: Vec<(u64, usize)> = (0..sites.len())
            .map(|i| {
                let t = (0..a.repeat)
                    .map(|r| ns[r * sites.len() + i])
                    .min()
                    .unwrap_or(0);
                (t, i)
            })
            .collect();
        best.sort_unstable_by(|x, y| y.cmp(x));
        for &(t, i) in best.iter().take(a.slowest) {
            eprintln!(
                "slow: {} {:.1} µs, {} hits {}",
                sites[i].id,
                t as f64 / 1000.0,
                answers[i]["hits"].as_array().map_or(0, Vec::len),
                answers[i]["hits"]
            );
        }
    }
    Ok(summary(
        a,
        ns,
        sites.len(),
        json!({"sites": sites.len(), "hits": hits, "wall_s": wall, "sink": sink}),
    ))
}

fn indicator_answer(ds: &Dataset, yi: &ecospace::indicator::YearIndicators) -> Value {
    let specs: serde_json::Map<String, Value> = ds
        .indicators
        .iter()
        .map(|s| (s.id.clone(), serde_json::to_value(s).unwrap_or(Value::Null)))
        .collect();
    json!({
        "year": YEAR,
        "specs": specs,
        "indicators": serde_json::to_value(&yi.indicators).unwrap_or(Value::Null),
        // per county, the numerator (km², km) the PostGIS side computes; `by_county` itself holds
        // only each county's value (a share in % for length indicators)
        "by_county": serde_json::to_value(&yi.by_county_detail).unwrap_or(Value::Null),
    })
}

/// Without an `indicators.toml` (e.g. generated data): what the indicators would measure, done
/// with the same library function — the geodesic area of the union of each zone layer's features
/// in force (in total and per county) and the total length of each line layer; context layers
/// (county outlines, land and sea) are not plan layers and are left out.
fn fallback_indicators(ds: &Dataset) -> Value {
    use ecospace::LayerKind;
    let mut specs = serde_json::Map::new();
    let mut ind = serde_json::Map::new();
    let mut by_county: std::collections::BTreeMap<String, serde_json::Map<String, Value>> =
        Default::default();
    for l in ds.layers.iter().filter(|l| !l.spec.context) {
        let live: Vec<&ecospace::Feature> = l.features_in(YEAR).collect();
        let mut groups: std::collections::BTreeMap<String, Vec<&ecospace::Feature>> =
            Default::default();
        for f in &live {
            groups
                .entry(f.county.clone().unwrap_or_else(|| "unknown".into()))
                .or_default()
                .push(f);
        }
        let (id, total, measure, per): (String, f64, &str, Vec<(String, f64)>) = match l.kind() {
            LayerKind::Zone => (
                format!("{}_area_km2", l.id()),
                ecospace::indicator::union_area_m2(&live) / 1e6,
                "union_area",
                groups
                    .iter()
                    .map(|(c, g)| (c.clone(), ecospace::indicator::union_area_m2(g) / 1e6))
                    .collect(),
            ),
            LayerKind::Line => (
                format!("{}_length_km", l.id()),
                live.iter().map(|f| f.length_m()).sum::<f64>() / 1e3,
                "length_share",
                groups
                    .iter()
                    .map(|(c, g)| (c.clone(), g.iter().map(|f| f.length_m()).sum::<f64>() / 1e3))
                    .collect(),
            ),
        };
        specs.insert(
            id.clone(),
            json!({"layer": l.id(), "measure": measure, "numerator": {}}),
        );
        let denominator = (measure == "length_share").then_some(total);
        ind.insert(
            id.clone(),
            json!({"numerator": total, "denominator": denominator, "by": null}),
        );
        for (c, v) in per {
            by_county
                .entry(c)
                .or_default()
                .insert(id.clone(), json!({"numerator": v}));
        }
    }
    json!({"year": YEAR, "specs": specs, "indicators": ind, "by_county": by_county, "fallback": true})
}

fn run_indicators(a: &Args) -> Result<Value, String> {
    let load = || Dataset::from_dir(&a.data).map_err(|e| format!("{}: {e}", a.data.display()));
    let ds = load()?;
    let fallback = ds.indicators.is_empty();
    let ans = if fallback {
        fallback_indicators(&ds)
    } else {
        let yi = ecospace::indicator::compute(&ds, YEAR).map_err(|e| e.to_string())?;
        indicator_answer(&ds, &yi)
    };
    if let Some(p) = &a.answers {
        std::fs::write(p, serde_json::to_string_pretty(&ans).unwrap_or_default())
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let mut ns = Vec::new();
    for _ in 0..a.repeat.max(1) {
        let ds = load()?; // a fresh dataset: the per-year cache is empty (cold)
        let t = Instant::now();
        if fallback {
            std::hint::black_box(fallback_indicators(&ds));
        } else {
            let yi = ecospace::indicator::compute(&ds, YEAR).map_err(|e| e.to_string())?;
            std::hint::black_box(yi);
        }
        ns.push(t.elapsed().as_nanos() as u64);
    }
    let note = if fallback {
        "no indicators.toml: union area of each zone layer and length of each line layer (total and per county), cold"
    } else {
        "indicator::compute, cold (fresh dataset, no cache)"
    };
    Ok(summary(
        a,
        ns,
        1,
        json!({"indicators": ans["specs"].as_object().map_or(0, serde_json::Map::len), "note": note}),
    ))
}

/// All XYZ tiles of zooms lo..=hi that cover the data's extent.
pub fn tiles_over(ds: &Dataset, lo: u32, hi: u32) -> Vec<(u32, u32, u32)> {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for l in &ds.layers {
        if let Some(lb) = l.bbox {
            b = [
                b[0].min(lb[0]),
                b[1].min(lb[1]),
                b[2].max(lb[2]),
                b[3].max(lb[3]),
            ];
        }
    }
    let tile = |lon: f64, lat: f64, z: u32| {
        let n = f64::from(1u32 << z);
        let x = ((lon + 180.0) / 360.0 * n).floor();
        let r = lat.to_radians();
        let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
        (x as u32, y as u32)
    };
    let mut out = Vec::new();
    for z in lo..=hi {
        let (x0, y0) = tile(b[0], b[3], z);
        let (x1, y1) = tile(b[2], b[1], z);
        for x in x0..=x1 {
            for y in y0..=y1 {
                out.push((z, x, y));
            }
        }
    }
    out
}

fn run_tiles(a: &Args, ds: &Dataset) -> Result<Value, String> {
    use geozero::mvt::{Message, Tile};
    // every layer, context ones included (they are drawn): the PostGIS and Martin sides tile all
    // the manifest's layers too
    let layers: Vec<&ecospace::Layer> = ds.layers.iter().collect();
    let list = tiles_over(ds, a.zooms.0, a.zooms.1);
    let mut answers = Vec::new();
    for &(z, x, y) in &list {
        let id = ecospace::tiles::TileId::new(z, x, y).map_err(|e| e.to_string())?;
        let body = ecospace::tiles::render(&layers, id, YEAR);
        let mut counts = serde_json::Map::new();
        if let Some(b) = &body {
            let t = Tile::decode(&b[..]).map_err(|e| format!("{z}/{x}/{y}: {e}"))?;
            for l in &t.layers {
                counts.insert(l.name.clone(), json!(l.features.len()));
            }
        }
        answers.push(json!({"z": z, "x": x, "y": y, "bytes": body.as_ref().map_or(0, Vec::len), "counts": counts}));
    }
    write_lines(&a.answers, &answers)?;
    let mut ns = Vec::new();
    for _ in 0..a.repeat {
        for &(z, x, y) in &list {
            let id = ecospace::tiles::TileId::new(z, x, y).map_err(|e| e.to_string())?;
            let t = Instant::now();
            let body = ecospace::tiles::render(&layers, id, YEAR);
            ns.push(t.elapsed().as_nanos() as u64);
            std::hint::black_box(body);
        }
    }
    Ok(summary(
        a,
        ns,
        list.len(),
        json!({"tiles": list.len(), "zooms": format!("{}-{}", a.zooms.0, a.zooms.1)}),
    ))
}

fn main() -> std::process::ExitCode {
    let run = || -> Result<Value, String> {
        let a = args()?;
        match a.kind.as_str() {
            "indicators" => run_indicators(&a),
            k => {
                let ds =
                    Dataset::from_dir(&a.data).map_err(|e| format!("{}: {e}", a.data.display()))?;
                match k {
                    "tiles" => run_tiles(&a, &ds),
                    "points" | "small" | "large" | "lines" => run_sites(&a, &ds),
                    _ => Err(format!("unknown --kind {k}")),
                }
            }
        }
    };
    match run() {
        Ok(s) => {
            println!("{s}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
