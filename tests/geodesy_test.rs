//! Geodesy against values computed another way: closed-form ellipsoidal formulas and tables.

mod common;
use common::*;
use ecospace::geodesy::{area_m2, length_m, segments_distance_m};
use geo::{Coord, Geometry, Line, LineString, Polygon};

/// A lon/lat cell whose parallels are densified, so its geodesic edges follow the parallels.
fn cell(lon0: f64, lat0: f64, size: f64) -> Polygon {
    let n = 1000;
    let mut pts: Vec<(f64, f64)> = (0..=n)
        .map(|i| (lon0 + size * f64::from(i) / f64::from(n), lat0))
        .collect();
    pts.extend((0..=n).map(|i| {
        (
            lon0 + size - size * f64::from(i) / f64::from(n),
            lat0 + size,
        )
    }));
    pts.push((lon0, lat0));
    Polygon::new(LineString::from(pts), vec![])
}

#[test]
fn one_degree_cell_matches_the_closed_form_band_area() {
    let got = area_m2(&Geometry::Polygon(cell(120.0, 30.0, 1.0)));
    // Chords of 0.001° sag ~1e-8 rad off the parallel: far below this tolerance.
    close(got, band_area(30.0, 31.0, 1.0), 1e-6);
    // By hand at the mid-latitude 30.5°: M·1° = 110.861 km north-south times
    // N·cos φ·1° = 95.990 km east-west ≈ 10,641 km².
    assert!((got / 1e6 - 10_641.5).abs() < 3.0, "{got}");
}

#[test]
fn meridian_arc_matches_helmert_series_and_tables() {
    let got = length_m(&Geometry::LineString(LineString::from(vec![
        (120.7, 30.0),
        (120.7, 31.0),
    ])));
    close(got, meridian_arc(31.0) - meridian_arc(30.0), 1e-9);
    // Tables give 110,852 m for 1° at 30° and 110,870 m at 31°; mid-way ≈ 110,861 m.
    assert!((got - 110_861.0).abs() < 3.0, "{got}");
}

#[test]
fn holes_subtract_and_winding_does_not_matter() {
    // A polygon's area does not depend on its winding, and a hole subtracts.
    let outer = cell(120.0, 30.0, 0.1);
    let hole = cell(120.02, 30.02, 0.05);
    let mut hole_ring = hole.exterior().clone();
    hole_ring.0.reverse();
    let with_hole = Polygon::new(outer.exterior().clone(), vec![hole_ring]);
    let want = band_area(30.0, 30.1, 0.1) - band_area(30.02, 30.07, 0.05);
    close(area_m2(&Geometry::Polygon(with_hole)), want, 1e-6);
}

#[test]
fn perimeter_is_the_sum_of_its_sides() {
    let p = cell(120.0, 30.0, 0.01);
    let want = 2.0 * (meridian_arc(30.01) - meridian_arc(30.0))
        + parallel_arc(30.0, 0.01)
        + parallel_arc(30.01, 0.01);
    close(length_m(&Geometry::Polygon(p)), want, 1e-6);
}

#[test]
fn segment_distance_is_geodesic_between_the_closest_pair() {
    let pt = |x, y| Coord { x, y };
    // A point 0.01° north of a long east-west segment: the meridian arc.
    let a = [Line::new(pt(120.70, 30.76), pt(120.70, 30.76))];
    let b = [Line::new(pt(120.60, 30.75), pt(120.80, 30.75))];
    let d = segments_distance_m(&a, &b).unwrap();
    close(d, meridian_arc(30.76) - meridian_arc(30.75), 1e-4);
    // Two parallel north-south segments 0.05° apart: the parallel arc at the poleward end.
    let a = [Line::new(pt(120.70, 30.70), pt(120.70, 30.72))];
    let b = [Line::new(pt(120.75, 30.69), pt(120.75, 30.72))];
    close(
        segments_distance_m(&a, &b).unwrap(),
        parallel_arc(30.72, 0.05),
        1e-4,
    );
    assert!(segments_distance_m(&a, &[]).is_none());
}

#[test]
fn the_independent_helpers_agree_with_each_other() {
    // The equal-area shoelace and the local-radius length used by the data tests, checked
    // against the closed forms before they are trusted with the bundled data.
    let ring = [
        [120.0, 30.0],
        [120.1, 30.0],
        [120.1, 30.1],
        [120.0, 30.1],
        [120.0, 30.0],
    ];
    close(equal_area_ring_m2(&ring), band_area(30.0, 30.1, 0.1), 1e-9);
    close(
        ellipsoid_polyline_m(&[[120.7, 30.0], [120.7, 31.0]]),
        meridian_arc(31.0) - meridian_arc(30.0),
        1e-7,
    );
    close(
        ellipsoid_polyline_m(&[[120.7, 30.5], [120.8, 30.5]]),
        parallel_arc(30.5, 0.1),
        1e-7,
    );
}

/// The fast area of small polygons against Karney's (`geo`'s `Geodesic`) on seeded random
/// star-shaped polygons of 100 m – 10 km, thin ones included, at latitudes up to 75°: within
/// 1e-9 of the area plus 1e-4 m². (1e-4 m² is Karney's own rounding floor: the same triangle
/// measured at 50 longitudes spreads over ~1.4e-5 m², from the S12 terms it sums, each an area
/// between an edge and the equator of ~1e9 m².)
/// Short segments measured from their chord (`spatial::chord`) agree with Karney's inverse
/// solution (`geo`'s `Geodesic`) within 1e-9 of the length plus 10 nm, from a centimetre to the
/// 10 km limit, at every latitude and azimuth; beyond the limit there is no fast answer.
#[test]
fn short_segment_lengths_agree_with_karney() {
    use geo::Distance;
    let mut rng = ecospace::synthetic::Rng::new(7);
    let mut worst = 0.0_f64;
    let mut measured = 0;
    for _ in 0..20_000 {
        let lat = rng.range(-85.0, 85.0);
        let lon = rng.range(-180.0, 180.0);
        // Lengths spread over six decades, 1 cm .. 10 km.
        let len = 10f64.powf(rng.range(-2.0, 4.0));
        let az = rng.range(0.0, std::f64::consts::TAU);
        let a = geo::Coord { x: lon, y: lat };
        let b = geo::Coord {
            x: lon + len * az.sin() / (111_320.0 * lat.to_radians().cos()),
            y: lat + len * az.cos() / 110_574.0,
        };
        let karney = geo::Geodesic.distance(geo::Point(a), geo::Point(b));
        let Some(fast) = ecospace::geodesy::short_segment_length_m(a, b) else {
            assert!(
                karney > 0.99 * ecospace::geodesy::MAX_CHORD_M,
                "{karney} m refused"
            );
            continue;
        };
        let err = (fast - karney).abs() / (1e-9 * karney + 1e-8);
        assert!(
            err <= 1.0,
            "{len:.3} m at {lat:.2}°, azimuth {az:.2}: fast {fast} vs Karney {karney}"
        );
        worst = worst.max(err);
        measured += 1;
    }
    assert!(measured > 19_000, "{measured}");
    // A segment across 20 km is Karney's.
    let a = geo::Coord { x: 120.0, y: 30.0 };
    assert!(
        ecospace::geodesy::short_segment_length_m(a, geo::Coord { x: 120.2, y: 30.0 }).is_none()
    );
    eprintln!("worst error: {worst:.3} of the tolerance");
}

#[test]
fn small_polygon_areas_agree_with_karney() {
    use geo::GeodesicArea;
    let mut rng = ecospace::synthetic::Rng::new(42);
    let mut worst = 0.0_f64;
    let mut measured = 0;
    for _ in 0..3000 {
        let lat = rng.range(-75.0, 75.0);
        let lon = rng.range(-179.0, 179.0);
        let size = [100.0, 300.0, 1000.0, 3000.0, 7000.0][(rng.range(0.0, 5.0) as usize).min(4)];
        let n = 3 + (rng.range(0.0, 7.0) as usize);
        let mut angles: Vec<f64> = (0..n)
            .map(|_| rng.range(0.0, std::f64::consts::TAU))
            .collect();
        angles.sort_by(f64::total_cmp);
        let mut ring: Vec<geo::Coord> = angles
            .iter()
            .map(|t| {
                let r = size / 2.0 * rng.range(0.05, 1.0);
                geo::Coord {
                    x: lon + r * t.cos() / (111_320.0 * lat.to_radians().cos()),
                    y: lat + r * t.sin() / 110_574.0,
                }
            })
            .collect();
        ring.push(ring[0]);
        let poly = geo::Polygon::new(geo::LineString(ring.clone()), vec![]);
        let b = geo::BoundingRect::bounding_rect(&poly).unwrap();
        if !ecospace::geodesy::small_enough([b.min().x, b.min().y, b.max().x, b.max().y]) {
            continue;
        }
        let karney = poly.geodesic_area_signed();
        let fast = ecospace::geodesy::small_ring_area_m2(&ring);
        let err = (fast - karney).abs() / (1e-9 * karney.abs() + 1e-4);
        assert!(
            err <= 1.0,
            "{size} m at {lat:.2}°: fast {fast} vs Karney {karney} ({:.2e} relative)",
            (fast - karney).abs() / karney.abs()
        );
        // And the other winding comes out with the other sign.
        let mut rev = ring.clone();
        rev.reverse();
        assert!((ecospace::geodesy::small_ring_area_m2(&rev) + fast).abs() < 1e-6 * fast.abs());
        worst = worst.max(err);
        measured += 1;
    }
    assert!(measured > 2500, "{measured}");
    eprintln!("worst error: {worst:.3} of the tolerance");
}

/// Polygons far larger than 10 km across but drawn with short edges (a large site, a zone's
/// overlap with one): the authalic area's error is per edge, so it holds for them too. Round
/// polygons up to 300 km across and thin corridors (50–500 m wide, 20–200 km long), both with
/// edges up to ~10 km; polygons of longer edges are left to Karney.
#[test]
fn large_polygons_of_short_edges_agree_with_karney() {
    use geo::GeodesicArea;
    let mut rng = ecospace::synthetic::Rng::new(4242);
    let (mut worst, mut measured, mut refused) = (0.0_f64, 0, 0);
    for k in 0..600 {
        let lat = rng.range(-75.0, 75.0);
        let lon = rng.range(-179.0, 179.0);
        let (kx, ky) = (111_320.0 * lat.to_radians().cos(), 110_574.0);
        let at = |e: f64, n: f64| geo::Coord {
            x: lon + e / kx,
            y: lat + n / ky,
        };
        let mut ring: Vec<geo::Coord> = if k % 2 == 0 {
            let size = [20e3, 50e3, 100e3, 300e3][(rng.range(0.0, 4.0) as usize).min(3)];
            let n = 16 + (rng.range(0.0, 300.0) as usize);
            let mut angles: Vec<f64> = (0..n)
                .map(|_| rng.range(0.0, std::f64::consts::TAU))
                .collect();
            angles.sort_by(f64::total_cmp);
            angles
                .iter()
                .map(|t| {
                    let r = size / 2.0 * rng.range(0.7, 1.0);
                    at(r * t.cos(), r * t.sin())
                })
                .collect()
        } else {
            // A corridor along a random bearing: out on one side, back on the other.
            let (len, width) = (rng.range(20e3, 200e3), rng.range(50.0, 500.0));
            let n = 2 + (rng.range(0.0, 40.0) as usize);
            let az = rng.range(0.0, std::f64::consts::PI);
            let (ux, uy) = (az.sin(), az.cos());
            let side = |s: f64, w: f64| at(s * ux + w * uy, s * uy - w * ux);
            let mut r: Vec<geo::Coord> = (0..=n)
                .map(|i| side(len * i as f64 / n as f64, 0.0))
                .collect();
            r.extend(
                (0..=n)
                    .rev()
                    .map(|i| side(len * i as f64 / n as f64, width)),
            );
            r
        };
        ring.push(ring[0]);
        let poly = geo::Polygon::new(geo::LineString(ring.clone()), vec![]);
        let b = geo::BoundingRect::bounding_rect(&poly).unwrap();
        let b = [b.min().x, b.min().y, b.max().x, b.max().y];
        if !ecospace::geodesy::authalic_suits(b, std::iter::once(ring.as_slice())) {
            refused += 1;
            continue;
        }
        let karney = poly.geodesic_area_signed();
        let fast = ecospace::geodesy::small_ring_area_m2(&ring);
        let err = (fast - karney).abs() / (1e-9 * karney.abs() + 1e-4);
        assert!(
            err <= 1.0,
            "ring {k} at {lat:.2}°: fast {fast} vs Karney {karney} ({:.2e} relative)",
            (fast - karney).abs() / karney.abs()
        );
        worst = worst.max(err);
        measured += 1;
    }
    // Most are measured; those with an edge over 10 km (few vertices, long corridors) are not.
    assert!(
        measured > 300 && refused > 20,
        "{measured} measured, {refused} refused"
    );
    eprintln!("worst error: {worst:.3} of the tolerance over {measured} ({refused} refused)");
}
