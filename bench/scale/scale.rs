//! One point of the scale curve: loads a data folder (e.g. from `ecospace gen-scale`), then runs
//! seeded site checks over its extent, and prints one JSON line: load time, peak RSS, raw
//! coordinate bytes, and check latency percentiles.
//!
//! `cargo run --release --example scale -- DIR [CHECKS]` (see `bench/scale.sh`).

use ecospace::synthetic::Rng;
use ecospace::{check, zones_at, CheckOptions, Dataset};
use geo::{Coord, Geometry, LineString, Polygon};
use std::time::Instant;

/// Peak resident set (VmHWM), bytes; 0 where /proc is missing.
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).expect("usage: scale DIR [CHECKS]"));
    let checks: usize = args.get(2).map_or(2000, |s| s.parse().expect("CHECKS"));
    let t = Instant::now();
    let ds = Dataset::from_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let load_s = t.elapsed().as_secs_f64();
    let rss_after_load = peak_rss();
    let features = ds.feature_count();
    let positions: usize = ds
        .layers
        .iter()
        .flat_map(|l| &l.features)
        .map(|f| geo::CoordsIter::coords_count(&f.geometry))
        .sum();
    let bbox = ds
        .layers
        .iter()
        .filter_map(|l| l.bbox)
        .reduce(|a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        })
        .expect("an empty dataset");
    let mut rng = Rng::new(42);
    let opts = CheckOptions {
        year: 2025,
        ..CheckOptions::new()
    };
    // Small sites: irregular 8-gons of radius ≈ 300 m (≈ 0.25 km²) anywhere in the extent.
    let mut site_us = Vec::with_capacity(checks);
    let mut point_us = Vec::with_capacity(checks);
    let mut hits = 0usize;
    for k in 0..checks + checks / 10 {
        let c = Coord {
            x: bbox[0] + rng.next() * (bbox[2] - bbox[0]),
            y: bbox[1] + rng.next() * (bbox[3] - bbox[1]),
        };
        let ring: Vec<Coord> = (0..8)
            .map(|i| {
                let a = f64::from(i) / 8.0 * std::f64::consts::TAU;
                let r = 0.003 * (0.7 + 0.6 * rng.next());
                Coord {
                    x: c.x + r * a.cos(),
                    y: c.y + r * a.sin(),
                }
            })
            .collect();
        let site = Geometry::Polygon(Polygon::new(LineString::new(ring), vec![]));
        let t = Instant::now();
        let r = check(&ds, &site, &opts).expect("check");
        let site_t = t.elapsed().as_secs_f64() * 1e6;
        if std::env::var_os("SCALE_SLOW").is_some() && site_t > 1000.0 {
            eprintln!(
                "slow check {k}: {site_t:.0} µs, {} hits, site {site:?}",
                r.hits.len()
            );
        }
        let t = Instant::now();
        let z = zones_at(&ds, c.x, c.y, 2025).expect("zones_at");
        let point_t = t.elapsed().as_secs_f64() * 1e6;
        // The first tenth warms caches and is not counted.
        if k >= checks / 10 {
            site_us.push(site_t);
            point_us.push(point_t);
            hits += r.hits.len() + z.len();
        }
    }
    site_us.sort_by(f64::total_cmp);
    point_us.sort_by(f64::total_cmp);
    println!(
        "{{\"features\":{features},\"positions\":{positions},\"raw_coordinate_bytes\":{},\"load_s\":{load_s:.3},\"peak_rss_bytes\":{rss_after_load},\"checks\":{checks},\"check_p50_us\":{:.1},\"check_p99_us\":{:.1},\"point_p50_us\":{:.1},\"point_p99_us\":{:.1},\"hits\":{hits}}}",
        positions * 16,
        percentile(&site_us, 0.5),
        percentile(&site_us, 0.99),
        percentile(&point_us, 0.5),
        percentile(&point_us, 0.99),
    );
}
