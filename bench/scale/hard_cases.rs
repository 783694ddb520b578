//! The hard cases of issue #8: one zone of 10³…10⁶ vertices. For each size, prints one JSON
//! line with the load time (validation, edge index, subdivision), the time to locate a point
//! and to check a small site against it — through ecospace (edge index + subdivision) and,
//! as the linear baseline, through `geo` on the whole polygon — and checks that both give the
//! same answers (point inside or not; overlap area within 1e-6).
//!
//! `cargo run --release --example hard_cases -- [MAX_VERTICES]` (see `bench/scale.sh`).

use ecospace::synthetic::Rng;
use ecospace::{check, CheckOptions, Dataset};
use geo::{BooleanOps, Contains, Coord, Geometry, LineString, Point, Polygon};
use std::fmt::Write as _;
use std::time::Instant;

/// A wiggly star of `n` vertices, ~0.5° across (a county-sized red-line zone with a ragged
/// river-following edge), with four holes.
fn zone(n: usize) -> Polygon {
    let ring: Vec<(f64, f64)> = (0..n)
        .map(|k| {
            let t = k as f64 / n as f64 * std::f64::consts::TAU;
            let r = 0.25
                * (1.0
                    + 0.25 * (5.0 * t).sin()
                    + 0.04 * (97.0 * t).sin()
                    + 0.01 * (1013.0 * t).cos());
            (120.5 + r * t.cos(), 30.5 + r * t.sin())
        })
        .collect();
    let hole = |cx: f64, cy: f64| {
        LineString::from(vec![
            (cx, cy),
            (cx, cy + 0.02),
            (cx + 0.02, cy + 0.02),
            (cx + 0.02, cy),
            (cx, cy),
        ])
    };
    Polygon::new(
        LineString::from(ring),
        vec![
            hole(120.4, 30.4),
            hole(120.55, 30.4),
            hole(120.4, 30.55),
            hole(120.55, 30.55),
        ],
    )
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let max: usize = std::env::args()
        .nth(1)
        .map_or(1_000_000, |s| s.parse().expect("MAX_VERTICES"));
    let dir = std::env::temp_dir().join(format!("ecospace-hard-{}", std::process::id()));
    let mut n = 1000;
    while n <= max {
        let z = zone(n);
        // Written as a data folder and loaded the way a user's layer is.
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut text = String::from(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"z","properties":{"name":"zone"},"geometry":{"type":"Polygon","coordinates":["#,
        );
        for (i, r) in std::iter::once(z.exterior())
            .chain(z.interiors())
            .enumerate()
        {
            text.push_str(if i > 0 { ",[" } else { "[" });
            for (j, c) in r.0.iter().enumerate() {
                let _ = write!(text, "{}[{},{}]", if j > 0 { "," } else { "" }, c.x, c.y);
            }
            text.push(']');
        }
        text.push_str("]}}]}");
        std::fs::write(dir.join("zone.geojson"), text).expect("write");
        std::fs::write(
            dir.join("layers.toml"),
            "id = \"hard\"\ntitle_zh = \"大面\"\ntitle_en = \"Hard case\"\n[[layer]]\nid = \"zone\"\ntitle_zh = \"红线\"\ntitle_en = \"Zone\"\nfile = \"zone.geojson\"\nkind = \"zone\"\nconstraint = true\n",
        )
        .expect("write");
        let t = Instant::now();
        let ds = Dataset::from_dir(&dir).expect("load");
        let load_s = t.elapsed().as_secs_f64();
        let f = &ds.layers[0].features[0];
        let pieces = f.subdivision().map_or(0, ecospace::Subdivision::len);
        let poly = match &f.geometry {
            Geometry::Polygon(p) => p.clone(),
            g => panic!("expected a polygon, got {g:?}"),
        };
        let whole = Geometry::Polygon(poly.clone());

        let mut rng = Rng::new(n as u64);
        let (mut pip, mut pip_geo, mut chk, mut chk_geo) = (vec![], vec![], vec![], vec![]);
        let mut worst_rel = 0.0f64;
        let probes = 200;
        for _ in 0..probes {
            let c = Coord {
                x: 120.2 + 0.6 * rng.next(),
                y: 30.2 + 0.6 * rng.next(),
            };
            let t = Instant::now();
            let inside = !ecospace::zones_at(&ds, c.x, c.y, 2025)
                .expect("zones")
                .is_empty();
            pip.push(t.elapsed().as_secs_f64() * 1e6);
            let t = Instant::now();
            let inside_geo = whole.contains(&Point(c));
            pip_geo.push(t.elapsed().as_secs_f64() * 1e6);
            // A point exactly on the boundary would count for us and not for `contains`; random
            // points never land there.
            assert_eq!(inside, inside_geo, "point {c:?}");

            // A ~0.3 km² square site at the same place.
            let d = 0.003;
            let site = Polygon::new(
                LineString::from(vec![
                    (c.x, c.y),
                    (c.x + d, c.y),
                    (c.x + d, c.y + d),
                    (c.x, c.y + d),
                    (c.x, c.y),
                ]),
                vec![],
            );
            let t = Instant::now();
            let r = check(
                &ds,
                &Geometry::Polygon(site.clone()),
                &CheckOptions {
                    year: 2025,
                    ..CheckOptions::new()
                },
            )
            .expect("check");
            chk.push(t.elapsed().as_secs_f64() * 1e6);
            let ours = r
                .hits
                .first()
                .and_then(|h| h.overlap_area_m2)
                .unwrap_or(0.0);
            let t = Instant::now();
            let inter = site.intersection(&poly);
            let theirs = ecospace::geodesy::area_m2(&Geometry::MultiPolygon(inter));
            chk_geo.push(t.elapsed().as_secs_f64() * 1e6);
            // Relative to the site: both sides snap to an integer grid scaled to their inputs'
            // extent (the whole zone's is coarser); at 10⁶ vertices up to ~2e-6 of the site.
            let site_m2 = r.site.area_m2;
            let rel = (ours - theirs).abs() / site_m2;
            worst_rel = worst_rel.max(rel);
            assert!(
                rel < 1e-5,
                "site at {c:?}: {ours} vs {theirs} m² of {site_m2}"
            );
        }
        println!(
            "{{\"vertices\":{n},\"pieces\":{pieces},\"load_s\":{load_s:.4},\"pip_p50_us\":{:.2},\"pip_geo_p50_us\":{:.2},\"check_p50_us\":{:.1},\"check_p99_us\":{:.1},\"intersection_geo_p50_us\":{:.1},\"worst_area_diff_of_site\":{worst_rel:.2e}}}",
            percentile(&mut pip, 0.5),
            percentile(&mut pip_geo, 0.5),
            percentile(&mut chk, 0.5),
            percentile(&mut chk, 0.99),
            percentile(&mut chk_geo, 0.5),
        );
        n *= 10;
    }
    let _ = std::fs::remove_dir_all(&dir);
}
