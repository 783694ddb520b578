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
