//! Throughput of `check` and `zones_at` on the bundled Jiaxing data, with deterministic
//! (seeded) sites spread over the city's extent.
#![allow(missing_docs)] // `criterion_group!` writes an undocumented `pub fn`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ecospace::synthetic::Rng;
use ecospace::{check, zones_at, CheckOptions, Dataset};
use geo::{Geometry, LineString, Point, Polygon};

/// Jiaxing's extent (a little wider than the data, so some sites are clear).
const EXTENT: [f64; 4] = [120.30, 30.30, 121.35, 31.03];

fn points(n: usize, rng: &mut Rng) -> Vec<(f64, f64)> {
    (0..n)
        .map(|_| {
            (
                rng.range(EXTENT[0], EXTENT[2]),
                rng.range(EXTENT[1], EXTENT[3]),
            )
        })
        .collect()
}

/// Irregular 12-gons of radius `r_deg` around random centres.
fn sites(n: usize, r_deg: f64, rng: &mut Rng) -> Vec<Geometry> {
    points(n, rng)
        .into_iter()
        .map(|(x, y)| {
            let mut ring: Vec<(f64, f64)> = (0..12)
                .map(|k| {
                    let a = f64::from(k) / 12.0 * std::f64::consts::TAU;
                    let r = r_deg * (0.7 + 0.3 * rng.next());
                    (x + r * a.cos(), y + r * a.sin() * 0.86)
                })
                .collect();
            ring.push(ring[0]);
            Geometry::Polygon(Polygon::new(LineString::from(ring), vec![]))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let ds = Dataset::bundled().expect("bundled data");
    let mut rng = Rng::new(2025);
    let opts = CheckOptions {
        year: 2025,
        buffer_m: 0.0,
        layers: None,
    };
    let near = CheckOptions {
        buffer_m: 1000.0,
        ..opts.clone()
    };

    let pts = points(1000, &mut rng);
    let mut g = c.benchmark_group("zones_at");
    g.throughput(Throughput::Elements(pts.len() as u64));
    g.bench_function("1000 points", |b| {
        b.iter(|| {
            pts.iter()
                .map(|&(x, y)| zones_at(&ds, x, y, 2025).map(|z| z.len()).unwrap_or(0))
                .sum::<usize>()
        });
    });
    g.finish();

    let mut g = c.benchmark_group("check");
    let point_sites: Vec<Geometry> = points(200, &mut rng)
        .into_iter()
        .map(|(x, y)| Geometry::Point(Point::new(x, y)))
        .collect();
    // ~0.005° radius ≈ 0.2 km² sites; ~0.05° ≈ 20 km² sites.
    let small = sites(200, 0.005, &mut rng);
    let large = sites(20, 0.05, &mut rng);
    for (name, set, o) in [
        ("point", &point_sites, &opts),
        ("small site", &small, &opts),
        ("small site, 1 km buffer", &small, &near),
        ("large site", &large, &opts),
    ] {
        g.throughput(Throughput::Elements(set.len() as u64));
        g.bench_with_input(BenchmarkId::new(name, set.len()), set, |b, set| {
            b.iter(|| {
                set.iter()
                    .map(|s| check(&ds, s, o).map(|r| r.hits.len()).unwrap_or(0))
                    .sum::<usize>()
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
