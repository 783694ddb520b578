//! Indicator computation on the bundled Jiaxing data: one full year (cold: unions computed) and
//! the 2018–2025 series; and the cached path a repeated request takes.
#![allow(missing_docs)] // `criterion_group!` writes an undocumented `pub fn`

use criterion::{criterion_group, criterion_main, Criterion};
use ecospace::indicator;
use ecospace::Dataset;

fn bench(c: &mut Criterion) {
    let text_ds = || Dataset::bundled().expect("bundled data");
    let mut g = c.benchmark_group("indicators");
    g.sample_size(20);
    g.bench_function("one year, cold", |b| {
        b.iter_batched(
            text_ds,
            |ds| indicator::compute(&ds, 2025).map(|y| y.indicators.len()),
            criterion::BatchSize::LargeInput,
        );
    });
    g.bench_function("series 2018-2025, cold", |b| {
        b.iter_batched(
            text_ds,
            |ds| {
                indicator::Cache::default()
                    .series(&ds, 2018, 2025)
                    .map(|s| s.series.len())
            },
            criterion::BatchSize::LargeInput,
        );
    });
    let warm = text_ds();
    let cache = indicator::Cache::default();
    let _ = cache.year(&warm, 2025);
    g.bench_function("one year, cached", |b| {
        b.iter(|| cache.year(&warm, 2025).map(|y| y.year));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
