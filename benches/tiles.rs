//! Tile generation on the bundled Jiaxing data at z8, z11 and z14 over the densest area (the
//! 海盐/平湖 coast, where red line, reserves, shoreline and banks meet): every tile of a window,
//! all five layers, rendered cold (no cache) and through the cache.
#![allow(missing_docs)] // `criterion_group!` writes an undocumented `pub fn`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ecospace::tiles::cache::{Key, TileCache};
use ecospace::tiles::{render, TileId};
use ecospace::Dataset;

fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let lat_r = lat.to_radians();
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let y = ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * n)
        .floor() as u32;
    (x, y)
}

/// A window of tiles (up to 4×4) around the 海盐 coast at zoom z.
fn window(z: u32) -> Vec<TileId> {
    let (cx, cy) = tile_of(120.95, 30.48, z);
    let r = if z < 10 { 1 } else { 2 };
    let mut out = Vec::new();
    for x in cx.saturating_sub(r)..cx + r {
        for y in cy.saturating_sub(r)..cy + r {
            if let Ok(t) = TileId::new(z, x, y) {
                out.push(t);
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let ds = Dataset::bundled().expect("bundled data");
    let layers: Vec<_> = ds.layers.iter().collect();
    let mut g = c.benchmark_group("tiles");
    g.sample_size(20);
    for z in [8u32, 11, 14] {
        let tiles = window(z);
        g.throughput(Throughput::Elements(tiles.len() as u64));
        g.bench_with_input(BenchmarkId::new("cold", z), &tiles, |b, tiles| {
            b.iter(|| {
                tiles
                    .iter()
                    .filter_map(|t| render(&layers, *t, 2025))
                    .map(|v| v.len())
                    .sum::<usize>()
            });
        });
        let cache = TileCache::new(256 << 20);
        let key = |t: &TileId| Key {
            version: ds.version.clone(),
            layers: "all".into(),
            z: t.z,
            x: t.x,
            y: t.y,
            year: 2025,
            offset: None,
        };
        g.bench_with_input(BenchmarkId::new("cached", z), &tiles, |b, tiles| {
            b.iter(|| {
                tiles
                    .iter()
                    .map(|t| {
                        cache
                            .get_or_render(key(t), || render(&layers, *t, 2025))
                            .etag
                            .len()
                    })
                    .sum::<usize>()
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
