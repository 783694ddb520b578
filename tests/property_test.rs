//! Property tests of the geometry core: random valid zones and sites around Jiaxing, checked
//! through the public pipeline (GeoJSON → validated geometry → `check` / `zones_at`).
//!
//! Zones and sites are star-shaped polygons about a centre (angles spread around the circle, each
//! gap under π, random radii), so they are simple and contain their centre in their kernel:
//! shrinking one about its centre keeps it inside. Sites are also points and two-point lines.
//! Runs are reproducible: a fixed RNG seed and no failure persistence files.

mod common;

use ecospace::{CheckOptions, CheckResult, Hit, Relation, Verdict};

use ecospace::Layer;
use ecospace::{check, zones_at, Dataset};
use geo::{Coord, Geometry, Point, Relate};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::f64::consts::TAU;
use std::path::PathBuf;

const YEAR: i32 = 2025;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x_ec05_9ace),
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Generators

/// An open ring (first vertex not repeated), lon/lat.
type Ring = Vec<[f64; 2]>;

/// A centre in Jiaxing.
fn centre() -> impl Strategy<Value = [f64; 2]> {
    (120.3f64..121.3, 30.3f64..31.0).prop_map(|(x, y)| [x, y])
}

/// A star-shaped polygon about `c`: n ≥ 4 vertices at angles (i + jitter)/n·2π with jitter < 0.8
/// (so every gap is under 1.8/n·2π ≤ 0.9π), radii r·[0.3, 1] with r in 0.001°–0.05°.
fn star(c: [f64; 2]) -> impl Strategy<Value = Ring> {
    (4usize..=12, 0.001f64..0.05).prop_flat_map(move |(n, r)| {
        proptest::collection::vec((0.0f64..0.8, 0.3f64..1.0), n).prop_map(move |v| {
            let k = c[1].to_radians().cos();
            v.iter()
                .enumerate()
                .map(|(i, (jit, f))| {
                    let a = (i as f64 + jit) / n as f64 * TAU;
                    [c[0] + r * f * a.cos() / k, c[1] + r * f * a.sin()]
                })
                .collect()
        })
    })
}

/// A star polygon whose centre is within ±`spread`° of `c`; returns (its centre, its ring).
fn star_near(c: [f64; 2], spread: f64) -> impl Strategy<Value = ([f64; 2], Ring)> {
    (-spread..spread, -spread..spread).prop_flat_map(move |(dx, dy)| {
        let cc = [c[0] + dx, c[1] + dy];
        star(cc).prop_map(move |r| (cc, r))
    })
}

#[derive(Debug, Clone)]
enum SiteShape {
    Poly(Ring),
    Point([f64; 2]),
    Line([f64; 2], [f64; 2]),
}

fn site_shape(c: [f64; 2]) -> impl Strategy<Value = SiteShape> {
    let off = || (-0.05f64..0.05, -0.05f64..0.05);
    prop_oneof![
        2 => star(c).prop_map(SiteShape::Poly),
        1 => off().prop_map(move |(dx, dy)| SiteShape::Point([c[0] + dx, c[1] + dy])),
        1 => (off(), off()).prop_map(move |((a, b), (d, e))| {
            SiteShape::Line([c[0] + a, c[1] + b], [c[0] + d, c[1] + e])
        }),
    ]
}

/// A site near a cluster of 1–4 zones (zone ids "z0", "z1", …).
fn scene() -> impl Strategy<Value = (SiteShape, Vec<Ring>)> {
    centre().prop_flat_map(|c| {
        (
            site_shape(c),
            proptest::collection::vec(star_near(c, 0.06).prop_map(|(_, r)| r), 1..=4),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Building data and sites through the public pipeline

fn closed(ring: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut v = ring.to_vec();
    v.push(ring[0]);
    v
}

fn shift_ring(ring: &[[f64; 2]], dlon: f64) -> Ring {
    ring.iter().map(|p| [p[0] + dlon, p[1]]).collect()
}

fn shift_site(s: &SiteShape, dlon: f64) -> SiteShape {
    match s {
        SiteShape::Poly(r) => SiteShape::Poly(shift_ring(r, dlon)),
        SiteShape::Point(p) => SiteShape::Point([p[0] + dlon, p[1]]),
        SiteShape::Line(a, b) => SiteShape::Line([a[0] + dlon, a[1]], [b[0] + dlon, b[1]]),
    }
}

fn mini_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini")
}

/// The mini fixture's manifest with its one zone layer (a constraint layer) replaced by `zones`
/// (ids `z0`, `z1`, … unless given) and no other layers.
fn dataset(zones: &[(String, Ring)]) -> Dataset {
    let mut ds = Dataset::from_dir(&mini_dir()).expect("mini fixture loads");
    let spec = ds.manifest.layer("zone").expect("zone layer").clone();
    assert!(
        spec.constraint,
        "the fixture's zone layer is a constraint layer"
    );
    let features: Vec<Value> = zones
        .iter()
        .map(|(id, ring)| {
            json!({"type": "Feature", "id": id, "properties": {"name": id},
                   "geometry": {"type": "Polygon", "coordinates": [closed(ring)]}})
        })
        .collect();
    let layer = Layer::from_features(spec, features, "t.geojson").expect("valid zones");
    ds.layers = vec![layer];
    ds
}

fn named(rings: &[Ring]) -> Vec<(String, Ring)> {
    rings
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("z{i}"), r.clone()))
        .collect()
}

fn site_json(s: &SiteShape) -> Value {
    match s {
        SiteShape::Poly(r) => json!({"type": "Polygon", "coordinates": [closed(r)]}),
        SiteShape::Point(p) => json!({"type": "Point", "coordinates": p}),
        SiteShape::Line(a, b) => json!({"type": "LineString", "coordinates": [a, b]}),
    }
}

/// Validates the site as a posted one is (`ecospace::from_geojson`: checks, ring orientation).
///
/// From a JSON value rather than text: serde_json (without `float_roundtrip`) may read a
/// coordinate one ulp off, which would move a site that shares a zone's vertex off it (the zones
/// are built from values too).
fn site_geom(s: &SiteShape) -> Geometry {
    let g: geojson::Geometry = serde_json::from_value(site_json(s)).expect("GeoJSON geometry");
    ecospace::from_geojson(&g).expect("generated site is valid")
}

fn run(ds: &Dataset, s: &SiteShape, buffer_m: f64) -> CheckResult {
    let opts = CheckOptions {
        year: YEAR,
        buffer_m,
        layers: None,
    };
    check(ds, &site_geom(s), &opts).expect("check succeeds")
}

fn zone_area(ds: &Dataset, id: &str) -> f64 {
    ds.layers[0]
        .features
        .iter()
        .find(|f| f.id == id)
        .expect("hit names a zone")
        .area_m2()
}

/// |a - b| ≤ rel·max(|a|, |b|), with a 1e-6 m² floor for areas that are (near) zero.
fn rel_close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()) + 1e-6
}

fn opt_close(a: Option<f64>, b: Option<f64>, rel: f64) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => rel_close(a, b, rel),
        (None, None) => true,
        _ => false,
    }
}

fn key(h: &Hit) -> (String, Relation) {
    (h.id.clone(), h.relation)
}

/// Asserts two hit lists agree: same ids and relations in order, measures to `rel`.
fn same_hits(a: &[Hit], b: &[Hit], rel: f64) -> Result<(), TestCaseError> {
    let ka: Vec<_> = a.iter().map(key).collect();
    let kb: Vec<_> = b.iter().map(key).collect();
    prop_assert_eq!(&ka, &kb);
    for (x, y) in a.iter().zip(b) {
        prop_assert!(
            opt_close(x.overlap_area_m2, y.overlap_area_m2, rel),
            "area of {}: {:?} vs {:?}",
            x.id,
            x.overlap_area_m2,
            y.overlap_area_m2
        );
        prop_assert!(
            opt_close(x.overlap_ratio, y.overlap_ratio, rel),
            "ratio of {}: {:?} vs {:?}",
            x.id,
            x.overlap_ratio,
            y.overlap_ratio
        );
        prop_assert!(
            opt_close(x.overlap_length_m, y.overlap_length_m, rel),
            "length of {}: {:?} vs {:?}",
            x.id,
            x.overlap_length_m,
            y.overlap_length_m
        );
        prop_assert!(
            rel_close(x.distance_m, y.distance_m, rel),
            "distance to {}: {} vs {}",
            x.id,
            x.distance_m,
            y.distance_m
        );
    }
    Ok(())
}

/// Area of a ring (m², unsigned) by the independent equal-area shoelace of `tests/common`.
fn equal_area_m2(ring: &[[f64; 2]]) -> f64 {
    common::equal_area_ring_m2(&closed(ring))
}

/// How far the geodesic area can differ from `equal_area_m2`: a geodesic leaves the straight
/// line of the equal-area projection by at most its sagitta against the parallel, L²·tan φ/(8R)
/// for an edge of length L, enclosing at most ⅔·L·sagitta; twice the sum over the edges.
fn chord_area_bound_m2(ring: &[[f64; 2]]) -> f64 {
    const R: f64 = 6_371_000.0;
    closed(ring)
        .windows(2)
        .map(|w| {
            let lat = (w[0][1] + w[1][1]) / 2.0;
            let dx = (w[1][0] - w[0][0]).to_radians() * R * lat.to_radians().cos();
            let dy = (w[1][1] - w[0][1]).to_radians() * R;
            let l = dx.hypot(dy);
            2.0 * l.powi(3) * lat.to_radians().tan().abs() / (12.0 * R)
        })
        .sum()
}

// ---------------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config(256))]

    /// 1. Every hit's measures are in range and consistent with its relation.
    #[test]
    fn hit_measures_are_bounded_and_consistent((s, zones) in scene(), buffer_m in 0.0f64..3000.0) {
        let ds = dataset(&named(&zones));
        let r = run(&ds, &s, buffer_m);
        let site_area = r.site.area_m2;
        // Overlaps are cut with planar boolean ops on lon/lat and then measured geodesically:
        // each cut edge may move its piece's area by up to the chord bound (see the report on
        // `tiling_zones_partition_a_site`).
        let site_chords = match &s {
            SiteShape::Poly(ring) => chord_area_bound_m2(ring),
            _ => 0.0,
        };
        let zone_chords = |id: &str| chord_area_bound_m2(&zones[id[1..].parse::<usize>().expect("z<i>")]);
        let is_poly = matches!(s, SiteShape::Poly(_));
        if is_poly {
            prop_assert!(site_area > 0.0);
        } else {
            prop_assert_eq!(site_area, 0.0);
        }
        for h in &r.hits {
            prop_assert!(h.constraint, "zone layer is a constraint layer");
            let allowed: &[Relation] = match s {
                SiteShape::Point(_) => &[Relation::Within, Relation::Touches, Relation::Near],
                SiteShape::Line(..) => &[Relation::Within, Relation::Crosses, Relation::Touches, Relation::Near],
                SiteShape::Poly(_) => &[Relation::Within, Relation::Contains, Relation::Overlaps, Relation::Touches, Relation::Near],
            };
            prop_assert!(allowed.contains(&h.relation), "{:?} for {:?}", h.relation, s);
            prop_assert!(h.distance_m >= 0.0 && h.distance_m.is_finite(), "distance {}", h.distance_m);
            prop_assert_eq!(h.distance_m == 0.0, h.relation != Relation::Near,
                "distance {} with relation {:?}", h.distance_m, h.relation);
            if h.relation == Relation::Near {
                prop_assert!(h.distance_m <= buffer_m, "near at {} > buffer {}", h.distance_m, buffer_m);
            }
            let za = zone_area(&ds, &h.id);
            match s {
                SiteShape::Poly(_) => {
                    let a = h.overlap_area_m2.expect("areal site has an overlap area");
                    let q = h.overlap_ratio.expect("areal site has an overlap ratio");
                    let cap = site_area.min(za * (1.0 + 1e-6) + 2.0 * (site_chords + zone_chords(&h.id)));
                    prop_assert!((0.0..=cap).contains(&a), "overlap {} vs site {} zone {}", a, site_area, za);
                    prop_assert!((0.0..=1.0).contains(&q), "ratio {}", q);
                    prop_assert!(rel_close(q * site_area, a, 1e-9), "ratio {} · site {} ≠ overlap {}", q, site_area, a);
                    // Interiors meet exactly when the overlap has area.
                    let interiors_meet = matches!(h.relation, Relation::Within | Relation::Contains | Relation::Overlaps);
                    prop_assert_eq!(a > 0.0, interiors_meet, "overlap {} with relation {:?}", a, h.relation);
                    if h.relation == Relation::Within {
                        prop_assert!(rel_close(a, site_area, 1e-6), "within: overlap {} vs site {}", a, site_area);
                    }
                    if h.relation == Relation::Contains {
                        prop_assert!(rel_close(a, za, 1e-6), "contains: overlap {} vs zone {}", a, za);
                    }
                    prop_assert!(h.overlap_length_m.is_none());
                }
                SiteShape::Point(_) => {
                    prop_assert_eq!(h.overlap_area_m2, Some(0.0));
                    prop_assert!(h.overlap_ratio.is_none() && h.overlap_length_m.is_none());
                }
                SiteShape::Line(..) => {
                    prop_assert!(h.overlap_area_m2.is_none() && h.overlap_ratio.is_none());
                    let l = h.overlap_length_m.expect("linear site has an overlap length");
                    prop_assert!(l >= 0.0 && l <= r.site.length_m * (1.0 + 1e-6), "inside {} of {}", l, r.site.length_m);
                    prop_assert_eq!(l > 0.0, matches!(h.relation, Relation::Within | Relation::Crosses),
                        "length inside {} with relation {:?}", l, h.relation);
                    if h.relation == Relation::Within {
                        prop_assert!(rel_close(l, r.site.length_m, 1e-6), "within: {} vs {}", l, r.site.length_m);
                    }
                }
            }
        }
        // The layer total counts overlapping zones once: no less than any one hit, no more than
        // the site or the sum of the hits.
        let sum = r.summary.get("zone").expect("zone layer summarised");
        prop_assert_eq!(sum.hits, r.hits.len());
        if is_poly {
            let per_hit: Vec<f64> = r.hits.iter().filter_map(|h| h.overlap_area_m2).collect();
            let max = per_hit.iter().cloned().fold(0.0, f64::max);
            let total: f64 = per_hit.iter().sum();
            let zones_hit: f64 = r.hits.iter().map(|h| zone_chords(&h.id)).sum();
            let slack = (r.hits.len() + 1) as f64 * site_chords + 2.0 * zones_hit;
            prop_assert!(sum.overlap_area_m2 >= max * (1.0 - 1e-6) - slack, "layer {} < hit {} (slack {})", sum.overlap_area_m2, max, slack);
            prop_assert!(sum.overlap_area_m2 <= total * (1.0 + 1e-6) + slack, "layer {} > sum {} (slack {})", sum.overlap_area_m2, total, slack);
            prop_assert!(sum.overlap_area_m2 <= site_area);
        }
        let met = r.hits.iter().any(|h| h.relation != Relation::Near);
        let want = if met { Verdict::Conflict } else if r.hits.is_empty() { Verdict::Clear } else { Verdict::Near };
        prop_assert_eq!(r.verdict, want);
    }

    /// 2. A zone far away (1° east of everything) changes nothing.
    #[test]
    fn a_far_zone_changes_nothing(
        (s, zones) in scene(),
        far in star([0.0, 30.65]),
        buffer_m in 0.0f64..5000.0,
    ) {
        let max_lon = zones.iter().flatten().map(|p| p[0]).fold(f64::MIN, f64::max);
        // Far ring around lon 0 moved to 1° east of the easternmost zone vertex and the site.
        let site_east = match &s {
            SiteShape::Poly(r) => r.iter().map(|p| p[0]).fold(f64::MIN, f64::max),
            SiteShape::Point(p) => p[0],
            SiteShape::Line(a, b) => a[0].max(b[0]),
        };
        let west = far.iter().map(|p| p[0]).fold(f64::MAX, f64::min);
        let far = shift_ring(&far, max_lon.max(site_east) + 1.0 - west);
        let base = named(&zones);
        let mut more = base.clone();
        more.insert(0, ("far".to_string(), far));
        let a = run(&dataset(&base), &s, buffer_m);
        let b = run(&dataset(&more), &s, buffer_m);
        prop_assert!(b.hits.iter().all(|h| h.id != "far"));
        same_hits(&a.hits, &b.hits, 1e-9)?;
        prop_assert_eq!(a.verdict, b.verdict);
        prop_assert!(rel_close(a.summary["zone"].overlap_area_m2, b.summary["zone"].overlap_area_m2, 1e-9));
    }

    /// 3. Moving site and zones together east or west leaves the answer unchanged.
    #[test]
    fn longitude_shifts_change_nothing((s, zones) in scene(), dlon in -0.5f64..0.5, buffer_m in 0.0f64..3000.0) {
        let a = run(&dataset(&named(&zones)), &s, buffer_m);
        let moved: Vec<Ring> = zones.iter().map(|z| shift_ring(z, dlon)).collect();
        let b = run(&dataset(&named(&moved)), &shift_site(&s, dlon), buffer_m);
        prop_assert!(rel_close(a.site.area_m2, b.site.area_m2, 1e-6), "{} vs {}", a.site.area_m2, b.site.area_m2);
        prop_assert!(rel_close(a.site.length_m, b.site.length_m, 1e-6));
        same_hits(&a.hits, &b.hits, 1e-6)?;
        prop_assert_eq!(a.verdict, b.verdict);
    }

    /// 4. A site equal to a zone (any start vertex, either orientation) lies within it, ratio 1.
    #[test]
    fn a_site_equal_to_a_zone_is_within_it(
        (zone, others) in centre().prop_flat_map(|c| (star(c), proptest::collection::vec(star_near(c, 0.06).prop_map(|(_, r)| r), 0..3))),
        start in 0usize..12,
        reverse in any::<bool>(),
    ) {
        let mut zones = vec![zone.clone()];
        zones.extend(others);
        let ds = dataset(&named(&zones));
        let mut ring = zone.clone();
        ring.rotate_left(start % zone.len());
        if reverse {
            ring.reverse();
        }
        let r = run(&ds, &SiteShape::Poly(ring), 0.0);
        let h = r.hits.iter().find(|h| h.id == "z0").expect("the equal zone is hit");
        prop_assert_eq!(h.relation, Relation::Within);
        let q = h.overlap_ratio.expect("areal site");
        prop_assert!((q - 1.0).abs() <= 1e-6, "ratio {}", q);
        // Another start vertex sums the same area in another order: ~1e-8 relative on small rings.
        prop_assert!(rel_close(r.site.area_m2, zone_area(&ds, "z0"), 1e-6), "{} vs {}", r.site.area_m2, zone_area(&ds, "z0"));
        prop_assert_eq!(r.verdict, Verdict::Conflict);
    }

    /// 5. A site's area (and perimeter) do not depend on ring orientation or starting vertex, nor
    /// do its overlaps; the area agrees with an independent equal-area computation.
    #[test]
    fn site_area_ignores_orientation_and_start((s, zones) in centre().prop_flat_map(|c| (star(c), proptest::collection::vec(star_near(c, 0.06).prop_map(|(_, r)| r), 1..=3))),
        start in 0usize..12,
    ) {
        let ds = dataset(&named(&zones));
        let a = run(&ds, &SiteShape::Poly(s.clone()), 0.0);
        let mut turned = s.clone();
        turned.rotate_left(start % s.len());
        let mut reversed = s.clone();
        reversed.reverse();
        let mut both = turned.clone();
        both.reverse();
        let independent = equal_area_m2(&s);
        let tol = chord_area_bound_m2(&s) + 1e-6 * independent;
        prop_assert!((a.site.area_m2 - independent).abs() <= tol,
            "geodesic {} vs equal-area {} (tolerance {})", a.site.area_m2, independent, tol);
        for ring in [turned, reversed, both] {
            let b = run(&ds, &SiteShape::Poly(ring), 0.0);
            prop_assert!(rel_close(a.site.area_m2, b.site.area_m2, 1e-6), "{} vs {}", a.site.area_m2, b.site.area_m2);
            prop_assert!(rel_close(a.site.length_m, b.site.length_m, 1e-6), "{} vs {}", a.site.length_m, b.site.length_m);
            same_hits(&a.hits, &b.hits, 1e-6)?;
        }
    }

    /// 6. A zone shrunk about its centre is a site within it: a conflict on a constraint layer.
    #[test]
    fn a_shrunk_zone_is_within_it(
        (c, zone) in centre().prop_flat_map(|c| star(c).prop_map(move |r| (c, r))),
        factor in 0.2f64..0.8,
    ) {
        let site: Ring = zone
            .iter()
            .map(|p| [c[0] + (p[0] - c[0]) * factor, c[1] + (p[1] - c[1]) * factor])
            .collect();
        let ds = dataset(&named(&[zone]));
        let r = run(&ds, &SiteShape::Poly(site), 0.0);
        prop_assert_eq!(r.hits.len(), 1);
        let h = &r.hits[0];
        prop_assert_eq!(h.relation, Relation::Within);
        prop_assert!(h.constraint);
        prop_assert_eq!(r.verdict, Verdict::Conflict);
        let q = h.overlap_ratio.expect("areal site");
        prop_assert!((q - 1.0).abs() <= 1e-6, "ratio {}", q);
        // Areas scale with the square of the factor (to the curvature of a few km).
        let za = zone_area(&ds, "z0");
        prop_assert!(rel_close(r.site.area_m2, za * factor * factor, 1e-3), "{} vs {}·{}²", r.site.area_m2, za, factor);
    }

    /// 7. A larger buffer keeps every hit of a smaller one (same relation and measures) and adds
    /// only near hits between the two buffers.
    #[test]
    fn buffers_are_monotone((s, zones) in scene(), b1 in 0.0f64..4000.0, extra in 0.0f64..4000.0) {
        let b2 = b1 + extra;
        let ds = dataset(&named(&zones));
        let small = run(&ds, &s, b1);
        let large = run(&ds, &s, b2);
        let by_id: BTreeMap<&str, &Hit> = large.hits.iter().map(|h| (h.id.as_str(), h)).collect();
        for h in &small.hits {
            let g = by_id.get(h.id.as_str());
            prop_assert!(g.is_some(), "{} hit with buffer {} but not {}", h.id, b1, b2);
            same_hits(std::slice::from_ref(h), std::slice::from_ref(g.unwrap()), 1e-9)?;
            if h.relation == Relation::Near {
                prop_assert!(h.distance_m <= b1, "near at {} beyond buffer {}", h.distance_m, b1);
            }
        }
        for h in &large.hits {
            if h.relation == Relation::Near {
                prop_assert!(h.distance_m <= b2, "near at {} beyond buffer {}", h.distance_m, b2);
            }
            if !small.hits.iter().any(|k| k.id == h.id) {
                prop_assert_eq!(h.relation, Relation::Near);
                prop_assert!(h.distance_m > b1, "{} at {} m missed with buffer {}", h.id, h.distance_m, b1);
            }
        }
    }
}

/// Cuts a convex ring by the line through `p` with direction `d`, keeping the left side
/// (Sutherland–Hodgman against one half-plane). The cut points are computed once per edge, so the
/// two sides share them exactly.
fn left_of(ring: &[[f64; 2]], p: [f64; 2], d: [f64; 2]) -> Ring {
    let side = |q: [f64; 2]| d[0] * (q[1] - p[1]) - d[1] * (q[0] - p[0]);
    let mut out = Vec::new();
    for i in 0..ring.len() {
        let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
        let (sa, sb) = (side(a), side(b));
        if sa >= 0.0 {
            out.push(a);
        }
        if (sa > 0.0 && sb < 0.0) || (sa < 0.0 && sb > 0.0) {
            // Computed from the lower-indexed vertex so both sides get the same point.
            let (u, v, su, sv) = if i < (i + 1) % ring.len() {
                (a, b, sa, sb)
            } else {
                (b, a, sb, sa)
            };
            let t = su / (su - sv);
            out.push([u[0] + t * (v[0] - u[0]), u[1] + t * (v[1] - u[1])]);
        }
    }
    out
}

proptest! {
    #![proptest_config(config(128))]

    /// Two zones that tile the ground around a site (a box cut by a straight line through the
    /// site) share the site out between them: overlaps sum to the site area, ratios to 1, and the
    /// layer total is the whole site — to the edge-splitting slack of planar cuts measured
    /// geodesically (`chord_area_bound_m2`; see `tiling_zones_partition_a_site_exactly`).
    #[test]
    fn tiling_zones_partition_a_site(
        (c, site) in centre().prop_flat_map(|c| star(c).prop_map(move |r| (c, r))),
        angle in 0.0f64..TAU,
        off in -0.01f64..0.01,
    ) {
        let h = 0.2;
        let boxed = vec![[c[0] - h, c[1] - h], [c[0] + h, c[1] - h], [c[0] + h, c[1] + h], [c[0] - h, c[1] + h]];
        let d = [angle.cos(), angle.sin()];
        let p = [c[0] - d[1] * off, c[1] + d[0] * off];
        let west = left_of(&boxed, p, d);
        let east = left_of(&boxed, p, [-d[0], -d[1]]);
        let ds = dataset(&[("a".to_string(), west), ("b".to_string(), east)]);
        let r = run(&ds, &SiteShape::Poly(site.clone()), 0.0);
        let site_area = r.site.area_m2;
        let slack = 2.0 * chord_area_bound_m2(&site) + 1e-6 * site_area;
        let sum: f64 = r.hits.iter().map(|h| h.overlap_area_m2.expect("areal site")).sum();
        let ratios: f64 = r.hits.iter().map(|h| h.overlap_ratio.expect("areal site")).sum();
        prop_assert!((sum - site_area).abs() <= slack, "overlaps {} vs site {} (slack {})", sum, site_area, slack);
        prop_assert!((ratios - 1.0).abs() <= slack / site_area, "ratios sum to {}", ratios);
        let total = r.summary["zone"].overlap_area_m2;
        prop_assert!((total - site_area).abs() <= slack, "layer total {} vs site {}", total, site_area);
        prop_assert!(!r.hits.is_empty() && r.hits.len() <= 2);
    }
}

/// Found while bounding the layer totals: overlaps are cut by planar boolean ops on lon/lat but
/// measured with geodesic edges, so a site edge cut in two is measured along two geodesics that
/// no longer follow the one it had. A 0.1° (≈10 km) square cut by a diagonal that splits its
/// east-west top edge: the two overlaps sum to 5,116 m² (4.8e-5) less than the site, and the
/// layer total says 99.995 % of a site that lies wholly in the layer. Ignored until overlaps
/// are measured consistently with how they are cut (e.g. densified edges).
#[test]
#[ignore = "library limitation: planar cuts measured geodesically lose area on long cut edges"]
fn tiling_zones_partition_a_site_exactly() {
    let west = vec![
        [120.6, 30.6],
        [120.9, 30.6],
        [120.9, 30.65],
        [120.65, 30.9],
        [120.6, 30.9],
    ];
    let east = vec![[120.9, 30.65], [120.9, 30.9], [120.65, 30.9]];
    let ds = dataset(&[("west".to_string(), west), ("east".to_string(), east)]);
    let site = vec![[120.7, 30.7], [120.8, 30.7], [120.8, 30.8], [120.7, 30.8]];
    let r = run(&ds, &SiteShape::Poly(site), 0.0);
    let sum: f64 = r
        .hits
        .iter()
        .map(|h| h.overlap_area_m2.expect("areal site"))
        .sum();
    assert_eq!(r.hits.len(), 2);
    assert!(
        (sum - r.site.area_m2).abs() <= 1e-6 * r.site.area_m2,
        "overlaps sum to {sum} m², the site is {} m²",
        r.site.area_m2
    );
}

/// A point to query: anywhere near the zones, on a zone vertex, or on an edge's midpoint.
fn probe(zones: Vec<Ring>) -> impl Strategy<Value = (Vec<Ring>, [f64; 2])> {
    let c = zones[0][0];
    let n = zones.len();
    (
        0u8..3,
        0usize..n,
        0usize..12,
        -0.08f64..0.08,
        -0.08f64..0.08,
    )
        .prop_map(move |(how, z, v, dx, dy)| {
            let ring = &zones[z];
            let a = ring[v % ring.len()];
            let b = ring[(v + 1) % ring.len()];
            let p = match how {
                0 => [c[0] + dx, c[1] + dy],
                1 => a,
                _ => [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0],
            };
            (zones.clone(), p)
        })
}

proptest! {
    #![proptest_config(config(512))]

    /// 8. `zones_at` returns exactly the zones `check` finds a point within or touching, and both
    /// agree with `geo`'s DE-9IM for the point and each zone.
    #[test]
    fn zones_at_agrees_with_check_on_points(
        (zones, p) in centre()
            .prop_flat_map(|c| proptest::collection::vec(star_near(c, 0.04).prop_map(|(_, r)| r), 1..=4))
            .prop_flat_map(probe),
    ) {
        let ds = dataset(&named(&zones));
        let at = zones_at(&ds, p[0], p[1], YEAR).expect("valid query");
        let r = run(&ds, &SiteShape::Point(p), 0.0);
        let from_check: Vec<(String, bool)> = r
            .hits
            .iter()
            .filter(|h| matches!(h.relation, Relation::Within | Relation::Touches))
            .map(|h| (h.id.clone(), h.relation == Relation::Touches))
            .collect();
        prop_assert_eq!(from_check.len(), r.hits.len(), "no buffer: only within/touches");
        let from_zones_at: Vec<(String, bool)> = at.iter().map(|z| (z.id.clone(), z.on_boundary)).collect();
        prop_assert_eq!(&from_zones_at, &from_check);
        // Independent oracle: geo's (robust) relate on the validated geometries, for points
        // exactly on a vertex or clear of every edge. Points within rounding of an edge (edge
        // midpoints) are left out: `Feature::locate` is not robust there, see
        // `locate_agrees_with_geo_next_to_an_edge` below.
        let on_vertex = zones.iter().flatten().any(|v| *v == p);
        let clear = zones.iter().all(|z| {
            closed(z).windows(2).all(|w| segment_distance_deg(p, w[0], w[1]) > 1e-9)
        });
        if on_vertex || clear {
            let pt = Geometry::Point(Point(Coord { x: p[0], y: p[1] }));
            let mut oracle = Vec::new();
            for f in &ds.layers[0].features {
                let m = pt.relate(&f.geometry);
                if m.is_intersects() {
                    oracle.push((f.id.clone(), !m.is_within()));
                }
            }
            prop_assert_eq!(&from_check, &oracle);
        }
    }
}

/// Planar distance in degrees from `p` to segment `ab`.
fn segment_distance_deg(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
    (p[0] - a[0] - t * dx).hypot(p[1] - a[1] - t * dy)
}

/// Found by `zones_at_agrees_with_check_on_points`: the midpoint of an edge, rounded, lies a
/// hair outside the triangle by exact (robust) orientation, but `Feature::locate` computes the
/// ray crossing with plain floating point and calls it inside, so `check` of a Point site and
/// `zones_at` answer `within` where `check` of the same point as a MultiPoint (DE-9IM) answers
/// nothing. Ignored until `locate` decides the crossing side with `orient2d`.
#[test]
fn locate_agrees_with_geo_next_to_an_edge() {
    let a = [120.5085389380136, 30.327041946108015];
    let b = [120.50499474842015, 30.325070587120283];
    let c = [120.5107806176096, 30.320918319867836];
    let p = [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0]; // [120.50676684321687, 30.32605626661415]
    let ds = dataset(&[("t".to_string(), vec![a, b, c])]);
    let pt = Geometry::Point(Point(Coord { x: p[0], y: p[1] }));
    let m = pt.relate(&ds.layers[0].features[0].geometry);
    assert!(!m.is_intersects(), "geo: outside ({m:?})");
    let at = zones_at(&ds, p[0], p[1], YEAR).expect("valid query");
    assert!(
        at.is_empty(),
        "zones_at: {:?}",
        at.iter().map(|z| &z.id).collect::<Vec<_>>()
    );
    let r = run(&ds, &SiteShape::Point(p), 0.0);
    assert!(
        r.hits.is_empty(),
        "check: {:?}",
        r.hits.iter().map(key).collect::<Vec<_>>()
    );
}

/// The layer total over neighbouring zones (sharing an edge: their overlaps are summed) and over
/// zones that overlap each other (their overlaps are united), against the area of the part of
/// the site they cover, measured by Karney's algorithm on that part drawn by hand. Sizes of
/// ~1 km keep the planar-cut slack of `tiling_zones_partition_a_site_exactly` (the site's
/// edges cut where the zones meet, measured as several geodesics) near 3e-9.
#[test]
fn layer_totals_count_shared_ground_once() {
    use geo::GeodesicArea;
    let sq = |x0: f64, x1: f64| vec![[x0, 30.70], [x1, 30.70], [x1, 30.71], [x0, 30.71]];
    let rect = |x0: f64, x1: f64, y0: f64, y1: f64| {
        geo::Polygon::new(
            geo::LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        )
        .geodesic_area_unsigned()
    };
    // Sticks out east of the zones: the covered part is 120.702..120.72 × 30.702..30.708.
    let site = vec![
        [120.702, 30.702],
        [120.725, 30.702],
        [120.725, 30.708],
        [120.702, 30.708],
    ];
    let covered = rect(120.702, 120.72, 30.702, 30.708);
    let neighbours = vec![
        ("a".to_string(), sq(120.70, 120.71)),
        ("b".to_string(), sq(120.71, 120.72)),
    ];
    let mut overlapping = neighbours.clone();
    overlapping.push(("c".to_string(), sq(120.705, 120.715)));
    for (zones, hits) in [(neighbours, 2), (overlapping, 3)] {
        let ds = dataset(&zones);
        let r = run(&ds, &SiteShape::Poly(site.clone()), 0.0);
        assert_eq!(r.hits.len(), hits);
        let total = r.summary["zone"].overlap_area_m2;
        assert!(
            (total - covered).abs() <= 1e-8 * covered + 1e-3,
            "{hits} zones: layer total {total} m², covered {covered} m²"
        );
        let sum: f64 = r.hits.iter().filter_map(|h| h.overlap_area_m2).sum();
        // Zone c lies on a and b: the sum of the hits counts its part twice.
        let twice = if hits == 3 {
            rect(120.705, 120.715, 30.702, 30.708)
        } else {
            0.0
        };
        assert!(
            (sum - covered - twice).abs() <= 1e-8 * sum + 1e-3,
            "sum {sum}"
        );
    }
}
