//! Geodesic measures on the WGS84 ellipsoid (CGCS2000 differs from it by < 0.1 mm).
//!
//! Areas and lengths are computed with Karney's algorithms (via `geo`'s `Geodesic` metric and
//! `GeodesicArea`), so a planner's m² and m are ellipsoidal, not planar degree artefacts.
//! Distances between non-intersecting shapes are found in a local metric frame (good enough to
//! pick the closest pair of points) and then measured geodesically between that pair.

use geo::{
    BoundingRect, Coord, Distance, Geodesic, GeodesicArea, Geometry, Length, Line, LineString,
    MultiLineString, Point, Polygon, Rect,
};

/// WGS84 semi-major axis (m).
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

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
fn polygon_area_m2(p: &Polygon) -> f64 {
    p.geodesic_area_signed().max(0.0)
}

/// [`area_m2`] and [`length_m`] together: one pass over each ring for polygons (Karney's polygon
/// area accumulates the perimeter anyway), which halves the geodesic work of loading a layer.
pub fn area_and_length_m(geom: &Geometry) -> (f64, f64) {
    let polygon = |p: &Polygon| {
        let (perimeter, area) = p.geodesic_perimeter_area_signed();
        (area.max(0.0), perimeter)
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

/// Geodesic length in m: of lines for lineal geometries, of all rings for polygonal ones
/// (the perimeter), 0 for points.
pub fn length_m(geom: &Geometry) -> f64 {
    match geom {
        Geometry::Line(l) => Geodesic.length(l),
        Geometry::LineString(ls) => Geodesic.length(ls),
        Geometry::MultiLineString(mls) => Geodesic.length(mls),
        Geometry::Polygon(p) => std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(|r| Geodesic.length(r))
            .sum(),
        Geometry::MultiPolygon(mp) => {
            mp.0.iter()
                .map(|p| length_m(&Geometry::Polygon(p.clone())))
                .sum()
        }
        Geometry::Rect(r) => length_m(&Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => length_m(&Geometry::Polygon(t.to_polygon())),
        Geometry::GeometryCollection(gc) => gc.iter().map(length_m).sum(),
        Geometry::Point(_) | Geometry::MultiPoint(_) => 0.0,
    }
}

/// Geodesic length in m of a set of lines.
pub fn lines_length_m(mls: &MultiLineString) -> f64 {
    Geodesic.length(mls)
}

/// Geodesic distance in m between two lon/lat points.
pub fn point_distance_m(a: Coord, b: Coord) -> f64 {
    Geodesic.distance(Point(a), Point(b))
}

/// Bounding box `[min_lon, min_lat, max_lon, max_lat]`, or `None` for an empty geometry.
pub fn bbox(geom: &Geometry) -> Option<[f64; 4]> {
    geom.bounding_rect()
        .map(|r: Rect| [r.min().x, r.min().y, r.max().x, r.max().y])
}

/// Radii of curvature of the ellipsoid at latitude `lat_deg`: (meridional M, prime vertical N), m.
pub fn radii_of_curvature(lat_deg: f64) -> (f64, f64) {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let s = lat_deg.to_radians().sin();
    let w = (1.0 - e2 * s * s).sqrt();
    let n = WGS84_A / w;
    let m = WGS84_A * (1.0 - e2) / (w * w * w);
    (m, n)
}

/// A local sinusoidal frame in metres around an origin: north-south distances use the meridional
/// radius at the origin, east-west distances the exact parallel scale at each point's latitude.
///
/// Over tens of kilometres (and small longitude spans) its error is well under 1 %, which is
/// all we need to choose the closest pair of points; the distance itself is then measured
/// geodesically between that pair. Exact parallel scale matters: it makes the frame pick the
/// poleward (shorter) of two otherwise equal east-west gaps.
#[derive(Debug, Clone, Copy)]
pub struct LocalFrame {
    lon0: f64,
    lat0: f64,
    ky: f64,
}

impl LocalFrame {
    /// A frame centred on `origin` (lon/lat degrees).
    pub fn new(origin: Coord) -> Self {
        let (m, _) = radii_of_curvature(origin.y);
        LocalFrame {
            lon0: origin.x,
            lat0: origin.y,
            ky: m * std::f64::consts::PI / 180.0,
        }
    }

    /// Metres per degree of longitude at latitude `lat`.
    fn kx(lat: f64) -> f64 {
        let (_, n) = radii_of_curvature(lat);
        n * lat.to_radians().cos() * std::f64::consts::PI / 180.0
    }

    /// lon/lat → metres east/north of the origin.
    pub fn project(&self, c: Coord) -> Coord {
        Coord {
            x: (c.x - self.lon0) * Self::kx(c.y),
            y: (c.y - self.lat0) * self.ky,
        }
    }

    /// Metres east/north of the origin → lon/lat.
    pub fn unproject(&self, c: Coord) -> Coord {
        let lat = c.y / self.ky + self.lat0;
        Coord {
            x: c.x / Self::kx(lat) + self.lon0,
            y: lat,
        }
    }

    /// Degrees of longitude and latitude that `metres` spans at the origin (for envelope padding).
    pub fn degrees_for(&self, metres: f64) -> (f64, f64) {
        (metres / Self::kx(self.lat0), metres / self.ky)
    }
}

/// Closest point to `p` on segment `l` (all in one planar frame).
fn closest_on_segment(p: Coord, l: &Line) -> Coord {
    let d = l.end - l.start;
    let len2 = d.x * d.x + d.y * d.y;
    if len2 == 0.0 {
        return l.start;
    }
    let t = (((p - l.start).x * d.x + (p - l.start).y * d.y) / len2).clamp(0.0, 1.0);
    l.start + d * t
}

fn dist2(a: Coord, b: Coord) -> f64 {
    let d = a - b;
    d.x * d.x + d.y * d.y
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

/// All segments of a geometry (points become zero-length segments), in lon/lat.
pub fn segments(geom: &Geometry) -> Vec<Line> {
    fn ring(ls: &LineString, out: &mut Vec<Line>) {
        if ls.0.len() == 1 {
            out.push(Line::new(ls.0[0], ls.0[0]));
        }
        out.extend(ls.lines());
    }
    let mut out = Vec::new();
    match geom {
        Geometry::Point(p) => out.push(Line::new(p.0, p.0)),
        Geometry::MultiPoint(mp) => out.extend(mp.iter().map(|p| Line::new(p.0, p.0))),
        Geometry::Line(l) => out.push(*l),
        Geometry::LineString(ls) => ring(ls, &mut out),
        Geometry::MultiLineString(mls) => mls.iter().for_each(|ls| ring(ls, &mut out)),
        Geometry::Polygon(p) => {
            ring(p.exterior(), &mut out);
            p.interiors().iter().for_each(|r| ring(r, &mut out));
        }
        Geometry::MultiPolygon(mp) => mp.iter().for_each(|p| {
            ring(p.exterior(), &mut out);
            p.interiors().iter().for_each(|r| ring(r, &mut out));
        }),
        Geometry::Rect(r) => ring(r.to_polygon().exterior(), &mut out),
        Geometry::Triangle(t) => ring(t.to_polygon().exterior(), &mut out),
        Geometry::GeometryCollection(gc) => gc.iter().for_each(|g| out.extend(segments(g))),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn local_frame_round_trips() {
        let f = LocalFrame::new(Coord {
            x: 120.75,
            y: 30.75,
        });
        let c = Coord {
            x: 120.91,
            y: 30.52,
        };
        let back = f.unproject(f.project(c));
        assert_relative_eq!(back.x, c.x, epsilon = 1e-12);
        assert_relative_eq!(back.y, c.y, epsilon = 1e-12);
    }
}
