//! The ecospace side of the side-by-side comparison (issue #8) under criterion: the same workload
//! files as `bench/compare.sh` (points → `zones_at`, small/large/lines → `check`, year 2025, no
//! buffer, all layers), one benchmark per workload, each iteration the whole set.
//!
//! ```text
//! cargo bench --bench compare
//! COMPARE_DATA=DIR COMPARE_WORK=DIR cargo bench --bench compare   # other data / workloads
//! ```
//!
//! Workloads are read from `$COMPARE_WORK` (default `bench/compare/out/work`, written by
//! `bench/compare.sh`); when absent they are generated there with the same seeded generator
//! (`python3 bench/compare/make_workloads.py --data $COMPARE_DATA`).
#![allow(missing_docs)] // `criterion_group!` writes an undocumented `pub fn`

#[path = "../bench/compare/sites.rs"]
mod sites;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ecospace::{check, zones_at, CheckOptions, Dataset};
use std::path::PathBuf;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = std::env::var_os("COMPARE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("data/jiaxing"));
    let work = std::env::var_os("COMPARE_WORK")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("bench/compare/out/work"));
    if !work.join("points.geojson").exists() {
        let ok = std::process::Command::new("python3")
            .arg(root.join("bench/compare/make_workloads.py"))
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(&work)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "could not generate the workloads (python3 with shapely and pyproj needed)"
        );
    }
    let ds = Dataset::from_dir(&data).expect("data");
    let opts = CheckOptions {
        year: 2025,
        buffer_m: 0.0,
        layers: None,
    };
    let mut g = c.benchmark_group("compare");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    for kind in ["points", "small", "large", "lines"] {
        let set = sites::load(&work.join(format!("{kind}.geojson"))).expect("workload");
        g.throughput(Throughput::Elements(set.len() as u64));
        if kind == "points" {
            let pts: Vec<(f64, f64)> = set
                .iter()
                .filter_map(|s| match s.geom {
                    geo::Geometry::Point(p) => Some((p.x(), p.y())),
                    _ => None,
                })
                .collect();
            g.bench_with_input(BenchmarkId::new("zones_at", kind), &pts, |b, pts| {
                b.iter(|| {
                    pts.iter()
                        .map(|&(x, y)| zones_at(&ds, x, y, 2025).map(|z| z.len()).unwrap_or(0))
                        .sum::<usize>()
                });
            });
        } else {
            g.bench_with_input(BenchmarkId::new("check", kind), &set, |b, set| {
                b.iter(|| {
                    set.iter()
                        .map(|s| {
                            check(&ds, &s.geom, &opts)
                                .map(|r| r.hits.len())
                                .unwrap_or(0)
                        })
                        .sum::<usize>()
                });
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
