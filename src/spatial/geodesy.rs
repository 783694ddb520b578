//! Geodesic measures on the WGS84 ellipsoid (CGCS2000 differs from it by < 0.1 mm).
//!
//! Areas and lengths are ellipsoidal, not planar degree artefacts: Karney's algorithms (via
//! `geo`'s `Geodesic` metric and `GeodesicArea`) for large shapes and long edges, and for small
//! polygons and short edges two cheaper methods held to within 1e-9 of Karney's result
//! (the `authalic` and `chord` modules of `spatial`).
//! Distances between non-intersecting shapes are found in a local metric frame (good enough to
//! pick the closest pair of points) and then measured geodesically between that pair.

pub use super::authalic::{
    ring_area_m2 as small_ring_area_m2, small_enough, suits as authalic_suits,
};
use super::chord;
pub use super::chord::{segment_length_m as short_segment_length_m, MAX_CHORD_M};
pub use super::ellipsoid::{radii_of_curvature, WGS84_A, WGS84_F};
use super::frames::LocalFrame;
use super::segments::{closest_on_segment, dist2};
use geo::{
    BoundingRect, Coord, Distance, Geodesic, GeodesicArea, Geometry, Line, MultiLineString, Point,
    Polygon, Rect,
};

/// Geodesic area in m² of the polygonal parts of `geom` (0 for points and lines).
///
/// # Examples
/// ```
/// use geo::{polygon, Geometry};
/// // About 1.2 km² near 南湖: 0.01° x 0.01° at 30.75°N.
/// let p = polygon![(x: 120.75, y: 30.75), (x: 120.76, y: 30.75), (x: 120.76, y: 30.76), (x: 120.75, y: 30.76)];
/// let a = ecospace::geodesy::area_m2(&Geometry::Polygon(p));
/// assert!((a - 1_062_000.0).abs() < 5_000.0, "{a}");
/// ```
pub fn area_m2(geom: &Geometry) -> f64 {
    match geom {
        Geometry::Polygon(p) => polygon_area_m2(p),
        // Parts of a valid MultiPolygon do not overlap, so the sum is the union area.
        Geometry::MultiPolygon(mp) => mp.0.iter().map(polygon_area_m2).sum(),
        Geometry::Rect(r) => polygon_area_m2(&r.to_polygon()),
        Geometry::Triangle(t) => polygon_area_m2(&t.to_polygon()),
        Geometry::GeometryCollection(gc) => gc.iter().map(area_m2).sum(),
        _ => 0.0,
    }
}

/// Geodesic area in m² of one polygon wound as `geometry::from_geojson` and the boolean
/// operations leave it (exterior counter-clockwise, holes clockwise); never negative.
///
/// Signed, not unsigned: the unsigned area reads a ring whose geodesic winding comes out
/// clockwise as the rest of the Earth (5.1e14 m²), and that happens to valid polygons — a sliver
/// of a few cm² whose area rounds below zero, or a long thin sliver whose geodesic edges cross
/// though its lon/lat edges do not. Clamped at 0: such slivers, and tiny polygons with holes
/// (exterior minus holes, each rounded to ~1e-5 m²), can come out slightly negative, and callers
/// rely on `0 <= area` (`clamp(0.0, site_area)` panics otherwise). The price: a polygon larger
/// than half the Earth measures 0, and no site or zone is that large.
///
/// Polygons up to 10 km across, or of edges each up to 10 km long, are measured on the authalic
/// sphere ([`super::authalic`], within 1e-9 of Karney's result and several times cheaper);
/// others by Karney's algorithm.
fn polygon_area_m2(p: &Polygon) -> f64 {
    match p.bounding_rect() {
        Some(r) if authalic_suits([r.min().x, r.min().y, r.max().x, r.max().y], rings(p)) => {
            let ext = small_ring_area_m2(&p.exterior().0).abs();
            let holes: f64 = p
                .interiors()
                .iter()
                .map(|h| small_ring_area_m2(&h.0).abs())
                .sum();
            (ext - holes).max(0.0)
        }
        _ => p.geodesic_area_signed().max(0.0),
    }
}

/// [`area_m2`] and [`length_m`] together: one pass over each ring for polygons (Karney's polygon
/// area accumulates the perimeter anyway), which halves the geodesic work of loading a layer.
/// Small polygons (and polygons of short edges) take the cheap exact-enough paths for both.
pub fn area_and_length_m(geom: &Geometry) -> (f64, f64) {
    let polygon = |p: &Polygon| match p.bounding_rect() {
        Some(r) if authalic_suits([r.min().x, r.min().y, r.max().x, r.max().y], rings(p)) => {
            (polygon_area_m2(p), rings_length_m(p))
        }
        _ => {
            let (perimeter, area) = p.geodesic_perimeter_area_signed();
            (area.max(0.0), perimeter)
        }
    };
    match geom {
        Geometry::Polygon(p) => polygon(p),
        Geometry::MultiPolygon(mp) => {
            mp.0.iter()
                .map(polygon)
                .fold((0.0, 0.0), |(a, l), (da, dl)| (a + da, l + dl))
        }
        g => (area_m2(g), length_m(g)),
    }
}

/// Geodesic length in m of one segment: from its chord when short ([`super::chord`], within
/// 1e-9 of Karney's result), else by Karney's algorithm.
fn segment_m(a: Coord, b: Coord) -> f64 {
    chord::segment_length_m(a, b).unwrap_or_else(|| karney_m(a, b))
}

fn karney_m(a: Coord, b: Coord) -> f64 {
    Geodesic.distance(Point(a), Point(b))
}

fn path_m(coords: &[Coord]) -> f64 {
    chord::path_length_m(coords, karney_m)
}

/// The rings' coordinates, exterior first.
fn rings(p: &Polygon) -> impl Iterator<Item = &[Coord]> {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|r| r.0.as_slice())
}

fn rings_length_m(p: &Polygon) -> f64 {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|r| path_m(&r.0))
        .sum()
}

/// Geodesic length in m: of lines for lineal geometries, of all rings for polygonal ones
/// (the perimeter), 0 for points.
pub fn length_m(geom: &Geometry) -> f64 {
    match geom {
        Geometry::Line(l) => segment_m(l.start, l.end),
        Geometry::LineString(ls) => path_m(&ls.0),
        Geometry::MultiLineString(mls) => lines_length_m(mls),
        Geometry::Polygon(p) => rings_length_m(p),
        Geometry::MultiPolygon(mp) => mp.0.iter().map(rings_length_m).sum(),
        Geometry::Rect(r) => rings_length_m(&r.to_polygon()),
        Geometry::Triangle(t) => rings_length_m(&t.to_polygon()),
        Geometry::GeometryCollection(gc) => gc.iter().map(length_m).sum(),
        Geometry::Point(_) | Geometry::MultiPoint(_) => 0.0,
    }
}

/// Geodesic length in m of a set of lines.
pub fn lines_length_m(mls: &MultiLineString) -> f64 {
    mls.0.iter().map(|l| path_m(&l.0)).sum()
}

/// Geodesic distance in m between two lon/lat points.
pub fn point_distance_m(a: Coord, b: Coord) -> f64 {
    segment_m(a, b)
}

/// Bounding box `[min_lon, min_lat, max_lon, max_lat]`, or `None` for an empty geometry.
pub fn bbox(geom: &Geometry) -> Option<[f64; 4]> {
    geom.bounding_rect()
        .map(|r: Rect| [r.min().x, r.min().y, r.max().x, r.max().y])
}

/// Geodesic distance in m between two sets of lon/lat segments that do not intersect
/// (a point is a zero-length segment).
///
/// The closest pair is found in a local metric frame: for non-crossing segments the minimum is
/// attained at an endpoint of one of them, so four endpoint-to-segment projections suffice.
/// Returns `None` when either set is empty.
pub fn segments_distance_m(a: &[Line], b: &[Line]) -> Option<f64> {
    let origin = a.first()?.start;
    b.first()?;
    let frame = LocalFrame::new(origin);
    let proj = |l: &Line| Line::new(frame.project(l.start), frame.project(l.end));
    let pb: Vec<Line> = b.iter().map(proj).collect();
    let mut best: Option<(f64, Coord, Coord)> = None;
    let mut consider = |p: Coord, q: Coord| {
        let d = dist2(p, q);
        if best.is_none_or(|(bd, _, _)| d < bd) {
            best = Some((d, p, q));
        }
    };
    for la in a.iter().map(proj) {
        for lb in &pb {
            for p in [la.start, la.end] {
                consider(p, closest_on_segment(p, lb));
            }
            for q in [lb.start, lb.end] {
                consider(closest_on_segment(q, &la), q);
            }
        }
    }
    best.map(|(_, p, q)| point_distance_m(frame.unproject(p), frame.unproject(q)))
}
