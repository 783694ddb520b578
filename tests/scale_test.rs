//! Issue #8's machinery against independent answers: a very large zone (subdivided, edge-indexed)
//! answers checks and point lookups as `geo` does on the whole polygon, and `gen-scale` writes
//! the parcels it says it writes.

use ecospace::{check, zones_at, CheckOptions, Dataset};
use geo::{
    BooleanOps, Contains, Coord, GeodesicArea, Geometry, LineString, Point, Polygon, Relate,
};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ecospace-scale-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

/// A ragged star of `n` vertices, ~0.5° across, with two square holes.
fn big_zone(n: usize) -> Polygon {
    let ring: Vec<(f64, f64)> = (0..n)
        .map(|k| {
            let t = k as f64 / n as f64 * std::f64::consts::TAU;
            let r = 0.25 * (1.0 + 0.25 * (5.0 * t).sin() + 0.03 * (97.0 * t).sin());
            (120.5 + r * t.cos(), 30.5 + r * t.sin())
        })
        .collect();
    let hole = |x: f64, y: f64| {
        LineString::from(vec![
            (x, y),
            (x, y + 0.03),
            (x + 0.03, y + 0.03),
            (x + 0.03, y),
            (x, y),
        ])
    };
    Polygon::new(
        LineString::from(ring),
        vec![hole(120.40, 30.40), hole(120.55, 30.55)],
    )
}

fn write_zone_folder(dir: &Path, p: &Polygon) {
    let mut t = String::from(
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"big","properties":{"name":"big zone"},"geometry":{"type":"Polygon","coordinates":["#,
    );
    for (i, r) in std::iter::once(p.exterior())
        .chain(p.interiors())
        .enumerate()
    {
        t.push_str(if i > 0 { ",[" } else { "[" });
        for (j, c) in r.0.iter().enumerate() {
            let _ = write!(t, "{}[{},{}]", if j > 0 { "," } else { "" }, c.x, c.y);
        }
        t.push(']');
    }
    t.push_str("]}}]}");
    std::fs::write(dir.join("zone.geojson"), t).expect("write");
    std::fs::write(
        dir.join("layers.toml"),
        "id = \"t\"\ntitle_zh = \"测\"\ntitle_en = \"t\"\n[[layer]]\nid = \"zone\"\ntitle_zh = \"区\"\ntitle_en = \"Zone\"\nfile = \"zone.geojson\"\nkind = \"zone\"\nconstraint = true\n",
    )
    .expect("write");
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
    Polygon::new(
        LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
        vec![],
    )
}

/// What `geo`'s DE-9IM says, in ecospace's names.
fn geo_relation(site: &Geometry, zone: &Geometry) -> Option<&'static str> {
    let m = site.relate(zone);
    if !m.is_intersects() {
        None
    } else if m.is_within() {
        Some("within")
    } else if m.is_contains() {
        Some("contains")
    } else if m.is_touches() {
        Some("touches")
    } else if m.is_crosses() {
        Some("crosses")
    } else {
        Some("overlaps")
    }
}

#[test]
fn a_subdivided_zone_answers_as_the_whole_polygon_does() {
    let dir = temp_dir("big");
    let zone = big_zone(30_000);
    write_zone_folder(&dir, &zone);
    let ds = Dataset::from_dir(&dir).expect("loads");
    let f = &ds.layers[0].features[0];
    let pieces = f
        .subdivision()
        .expect("a 30 000-vertex zone is subdivided")
        .len();
    assert!(pieces >= 30_000 / 512, "{pieces} pieces");
    let whole = Geometry::Polygon(zone.clone());
    let opts = CheckOptions {
        year: 2025,
        ..CheckOptions::new()
    };
    let mut sites: Vec<Polygon> = Vec::new();
    // A grid of small squares over the zone (inside, across the ragged edge, in and across the
    // holes, outside), plus sites that span many pieces and one that holds the whole zone.
    for i in 0..12 {
        for j in 0..12 {
            let (x, y) = (120.17 + f64::from(i) * 0.055, 30.17 + f64::from(j) * 0.055);
            sites.push(rect(x, y, x + 0.004, y + 0.003));
        }
    }
    sites.push(rect(120.3, 30.3, 120.7, 30.45));
    sites.push(rect(120.39, 30.39, 120.44, 30.44)); // the first hole and around it
    sites.push(rect(120.41, 30.41, 120.42, 30.42)); // inside the first hole
    sites.push(rect(120.0, 30.0, 121.0, 31.0)); // holds the whole zone
    let mut seen = std::collections::BTreeMap::new();
    for site in &sites {
        let r = check(&ds, &Geometry::Polygon(site.clone()), &opts).expect("check");
        let want = geo_relation(&Geometry::Polygon(site.clone()), &whole);
        let got = r.hits.first().map(|h| {
            serde_json::to_value(h.relation)
                .expect("relation")
                .as_str()
                .expect("a name")
                .to_string()
        });
        assert_eq!(got.as_deref(), want, "relation of {site:?}");
        *seen.entry(want.unwrap_or("none")).or_insert(0) += 1;
        let area_geo = site.intersection(&zone).geodesic_area_unsigned();
        let area = r
            .hits
            .first()
            .and_then(|h| h.overlap_area_m2)
            .unwrap_or(0.0);
        // Within 1e-6 of the site: the boolean operations snap to a grid scaled to their
        // inputs (the whole zone's is coarser than a piece's).
        let site_m2 = r.site.area_m2;
        assert!(
            (area - area_geo).abs() <= 1e-6 * site_m2,
            "overlap of {site:?}: {area} vs {area_geo} m² of {site_m2}"
        );
    }
    for kind in ["within", "overlaps", "contains", "none"] {
        assert!(seen.contains_key(kind), "no site came out {kind}: {seen:?}");
    }
    // Point location through the edge index agrees with `geo` on the whole polygon.
    for i in 0..40 {
        for j in 0..40 {
            let c = Coord {
                x: 120.2 + f64::from(i) * 0.0153,
                y: 30.2 + f64::from(j) * 0.0149,
            };
            let ours = !zones_at(&ds, c.x, c.y, 2025).expect("zones").is_empty();
            assert_eq!(ours, zone.contains(&Point(c)), "{c:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gen_scale_writes_valid_non_overlapping_parcels_deterministically() {
    let run = |seed: &str, out: &Path| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_ecospace"))
            .args([
                "gen-scale",
                "--features",
                "300",
                "--vertices-per-feature",
                "40",
            ])
            .args(["--seed", seed, "--out"])
            .arg(out)
            .output()
            .expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(out.join("parcels.geojson")).expect("written")
    };
    let (a, b, c) = (temp_dir("gen-a"), temp_dir("gen-b"), temp_dir("gen-c"));
    let (ta, tb, tc) = (run("5", &a), run("5", &b), run("6", &c));
    assert_eq!(ta, tb, "same seed, same bytes");
    assert_ne!(ta, tc, "another seed, other parcels");
    // The folder loads through the ordinary (validating) loader.
    let ds = Dataset::from_dir(&a).expect("loads");
    let fs = &ds.layers[0].features;
    assert_eq!(fs.len(), 300);
    // Counted from the raw JSON, not through the loader: 40 distinct positions per parcel.
    let raw: serde_json::Value = serde_json::from_slice(&ta).expect("JSON");
    let mut holes = 0;
    for f in raw["features"].as_array().expect("features") {
        let rings = f["geometry"]["coordinates"].as_array().expect("rings");
        holes += usize::from(rings.len() > 1);
        let distinct: usize = rings
            .iter()
            .map(|r| r.as_array().expect("ring").len() - 1)
            .sum();
        assert_eq!(distinct, 40, "{}", f["id"]);
    }
    assert!(
        (90..=210).contains(&holes),
        "{holes} of 300 parcels have a hole"
    );
    // No parcel meets any other (checked pairwise with geo, whose predicate is independent).
    for (i, p) in fs.iter().enumerate() {
        for q in &fs[i + 1..] {
            assert!(
                !geo::Intersects::intersects(&p.geometry, &q.geometry),
                "{} meets {}",
                p.id,
                q.id
            );
        }
    }
    for d in [a, b, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}
