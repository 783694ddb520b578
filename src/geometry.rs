//! GeoJSON geometry → validated `geo` geometry.
//!
//! The same checks guard both the layers we load and the sites people post, so a bad ring is
//! reported the same way wherever it comes from: what is wrong, and where (ring, position,
//! coordinates).

use geo::orient::{Direction, Orient};
use geo::{
    Coord, Geometry, Line, LineIntersection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon, Validation,
};
use geojson::GeometryValue;

/// Why a geometry was refused. `code()` is the stable machine-readable name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    #[error("{0} has no coordinates")]
    Empty(String),
    #[error("position {at} has {n} numbers; a position is [lon, lat] or [lon, lat, height]")]
    BadPosition { at: String, n: usize },
    #[error("position {at} is not finite")]
    NonFinite { at: String },
    #[error("position {at} = [{lon}, {lat}] looks projected (metres), but ecospace expects lon/lat degrees (EPSG:4326/CGCS2000); {hint}")]
    Projected {
        at: String,
        lon: f64,
        lat: f64,
        hint: String,
    },
    #[error("position {at} = [{lon}, {lat}] is out of range: lon must be in [-180, 180] and lat in [-90, 90]")]
    OutOfRange { at: String, lon: f64, lat: f64 },
    #[error("{at} has {n} positions; a LineString needs at least 2 distinct positions")]
    TooFewLinePoints { at: String, n: usize },
    #[error(
        "{at} has {n} positions; a linear ring needs at least 4 (the first repeated at the end)"
    )]
    TooFewRingPoints { at: String, n: usize },
    #[error("{at} is not closed: its first position {first:?} differs from its last {last:?}")]
    UnclosedRing {
        at: String,
        first: [f64; 2],
        last: [f64; 2],
    },
    #[error("{at} intersects itself near [{lon}, {lat}]")]
    SelfIntersection { at: String, lon: f64, lat: f64 },
    #[error("{at} is invalid: {detail}")]
    Invalid { at: String, detail: String },
    #[error("GeometryCollection is not supported here; send a Point, LineString, Polygon or their Multi forms")]
    Collection,
    #[error("unsupported CRS {0:?}: send lon/lat (EPSG:4326, CRS84 or CGCS2000 EPSG:4490)")]
    UnsupportedCrs(String),
}

impl GeometryError {
    /// Stable machine-readable code for the error body.
    pub fn code(&self) -> &'static str {
        match self {
            GeometryError::Empty(_) => "empty_geometry",
            GeometryError::BadPosition { .. } | GeometryError::NonFinite { .. } => {
                "invalid_coordinates"
            }
            GeometryError::Projected { .. } => "projected_coordinates",
            GeometryError::OutOfRange { .. } => "coordinates_out_of_range",
            GeometryError::TooFewLinePoints { .. } | GeometryError::TooFewRingPoints { .. } => {
                "too_few_points"
            }
            GeometryError::UnclosedRing { .. } => "unclosed_ring",
            GeometryError::SelfIntersection { .. } => "self_intersection",
            GeometryError::Invalid { .. } => "invalid_geometry",
            GeometryError::Collection => "unsupported_geometry",
            GeometryError::UnsupportedCrs(_) => "unsupported_crs",
        }
    }
}

/// Coordinates beyond this magnitude cannot be degrees of any kind: they are metres or feet.
const PROJECTED_THRESHOLD: f64 = 1000.0;

fn coord(pos: &geojson::Position, at: impl Fn() -> String) -> Result<Coord, GeometryError> {
    let s = pos.as_slice();
    if s.len() < 2 || s.len() > 3 {
        return Err(GeometryError::BadPosition {
            at: at(),
            n: s.len(),
        });
    }
    if s.iter().any(|v| !v.is_finite()) {
        return Err(GeometryError::NonFinite { at: at() });
    }
    let (lon, lat) = (s[0], s[1]);
    if lon.abs() > PROJECTED_THRESHOLD || lat.abs() > PROJECTED_THRESHOLD {
        let hint = match crate::crs::gauss_kruger_hint(lon, lat) {
            Some(h) => format!("if these are Gauss-Krüger metres, send them with `?crs=` {h}"),
            None => "send lon/lat, or say which CRS with `?crs=EPSG:…`".to_string(),
        };
        return Err(GeometryError::Projected {
            at: at(),
            lon,
            lat,
            hint,
        });
    }
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(GeometryError::OutOfRange { at: at(), lon, lat });
    }
    Ok(Coord { x: lon, y: lat })
}

fn coords(ps: &[geojson::Position], at: &str) -> Result<Vec<Coord>, GeometryError> {
    ps.iter()
        .enumerate()
        .map(|(i, p)| coord(p, || format!("{at} position {i}")))
        .collect()
}

fn line_string(ps: &[geojson::Position], at: &str) -> Result<LineString, GeometryError> {
    let mut cs = coords(ps, at)?;
    // Repeated consecutive positions are harmless noise in real data; drop them.
    cs.dedup();
    if cs.len() < 2 {
        return Err(GeometryError::TooFewLinePoints {
            at: at.to_string(),
            n: cs.len(),
        });
    }
    Ok(LineString::new(cs))
}

fn ring(ps: &[geojson::Position], at: &str) -> Result<LineString, GeometryError> {
    let mut cs = coords(ps, at)?;
    cs.dedup();
    if cs.len() < 4 {
        return Err(GeometryError::TooFewRingPoints {
            at: at.to_string(),
            n: cs.len(),
        });
    }
    let (first, last) = (cs[0], cs[cs.len() - 1]);
    if first != last {
        return Err(GeometryError::UnclosedRing {
            at: at.to_string(),
            first: [first.x, first.y],
            last: [last.x, last.y],
        });
    }
    let ls = LineString::new(cs);
    if let Some(c) = self_intersection(&ls) {
        return Err(GeometryError::SelfIntersection {
            at: at.to_string(),
            lon: c.x,
            lat: c.y,
        });
    }
    Ok(ls)
}

/// Calls `f(i, j)` (with `i < j`) for every pair of segments whose bounding boxes overlap,
/// until `f` returns `Some`. Sweep and prune along the longer axis of the whole set: sort by
/// the segments' low end, keep the ones still reaching the sweep position. Real rings have short
/// edges, so the active set stays small and the cost is O(n log n); `geo`'s Bentley–Ottmann
/// sweep gives the same pairs' answers with a balanced tree per event, 3–4× slower on the
/// 10⁸ vertices of a national layer. (A ring of many long edges parallel to the sweep axis
/// degrades towards O(n²); no real boundary is drawn like that.)
fn overlapping_pairs<T>(segs: &[Line], mut f: impl FnMut(usize, usize) -> Option<T>) -> Option<T> {
    let (mut lo, mut hi) = (
        Coord {
            x: f64::MAX,
            y: f64::MAX,
        },
        Coord {
            x: f64::MIN,
            y: f64::MIN,
        },
    );
    for l in segs {
        for c in [l.start, l.end] {
            lo = Coord {
                x: lo.x.min(c.x),
                y: lo.y.min(c.y),
            };
            hi = Coord {
                x: hi.x.max(c.x),
                y: hi.y.max(c.y),
            };
        }
    }
    let along_x = hi.x - lo.x >= hi.y - lo.y;
    // (sweep low, sweep high, cross low, cross high) per segment.
    let spans: Vec<[f64; 4]> = segs
        .iter()
        .map(|l| {
            let (a, b) = if along_x {
                ((l.start.x, l.end.x), (l.start.y, l.end.y))
            } else {
                ((l.start.y, l.end.y), (l.start.x, l.end.x))
            };
            [a.0.min(a.1), a.0.max(a.1), b.0.min(b.1), b.0.max(b.1)]
        })
        .collect();
    let mut order: Vec<u32> = (0..segs.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| spans[a as usize][0].total_cmp(&spans[b as usize][0]));
    let mut active: Vec<u32> = Vec::new();
    for &i in &order {
        let si = spans[i as usize];
        active.retain(|&j| spans[j as usize][1] >= si[0]);
        for &j in &active {
            let sj = spans[j as usize];
            if sj[2] <= si[3] && sj[3] >= si[2] {
                let (a, b) = (i.min(j) as usize, i.max(j) as usize);
                if let Some(t) = f(a, b) {
                    return Some(t);
                }
            }
        }
        active.push(i);
    }
    None
}

/// Whether any segment of `a` meets (crosses or touches) any segment of `b`: one sweep over
/// both sets, O((n + m) log(n + m)) instead of every pair.
pub fn segments_meet(a: &[Line], b: &[Line]) -> bool {
    let mut all = Vec::with_capacity(a.len() + b.len());
    all.extend_from_slice(a);
    all.extend_from_slice(b);
    let n = a.len();
    overlapping_pairs(&all, |i, j| {
        (i < n && j >= n && geo::line_intersection::line_intersection(all[i], all[j]).is_some())
            .then_some(())
    })
    .is_some()
}

/// Where a ring or line crosses itself, if it does (adjacent segments meeting at their shared
/// joint are fine).
fn self_intersection(ls: &LineString) -> Option<Coord> {
    let segs: Vec<Line> = ls.lines().collect();
    let n = segs.len();
    let closed = ls.is_closed();
    overlapping_pairs(&segs, |a, b| {
        let x = geo::line_intersection::line_intersection(segs[a], segs[b])?;
        let joint = if b == a + 1 {
            Some(segs[a].end)
        } else if closed && a == 0 && b == n - 1 {
            Some(segs[a].start)
        } else {
            None
        };
        match x {
            LineIntersection::SinglePoint { intersection, .. } => {
                (Some(intersection) != joint).then_some(intersection)
            }
            LineIntersection::Collinear { intersection } => Some(intersection.start),
        }
    })
}

fn polygon(rings: &[Vec<geojson::Position>], at: &str) -> Result<Polygon, GeometryError> {
    let Some((outer, holes)) = rings.split_first() else {
        return Err(GeometryError::Empty(at.to_string()));
    };
    let exterior = ring(outer, &format!("{at} exterior ring"))?;
    let interiors = holes
        .iter()
        .enumerate()
        .map(|(k, h)| ring(h, &format!("{at} hole {k}")))
        .collect::<Result<Vec<_>, _>>()?;
    // Winding is normalised (exterior counter-clockwise, holes clockwise): geodesic area needs
    // it, and RFC 7946 asks readers not to reject the other winding.
    let p = Polygon::new(exterior, interiors).orient(Direction::Default);
    check_parts(std::slice::from_ref(&p)).map_err(|detail| GeometryError::Invalid {
        at: at.to_string(),
        detail,
    })?;
    Ok(p)
}

/// Rings with at most this many vertices in all go to `geo`'s full validation when two rings
/// touch (its pairwise test is O(n²)); larger ones with touching rings are accepted on the
/// sweep's word.
const FULL_VALIDATION_MAX: usize = 20_000;

/// The ring checks between rings of valid rings (each already free of self-intersections):
/// no two rings cross or share an edge, every hole lies inside its shell and outside the other
/// holes, and no part lies inside another. The crossings come from one sweep over all edges,
/// O((n + k) log n), where `geo`'s validation compares every pair of edges — hours for a
/// 10⁶-vertex polygon. Rings that merely touch at a point are legal in OGC terms but can still
/// disconnect an interior; those (rare) polygons get `geo`'s full validation too when small
/// enough.
fn check_parts(parts: &[Polygon]) -> Result<(), String> {
    let rings: Vec<(usize, &LineString)> = parts
        .iter()
        .enumerate()
        .flat_map(|(k, p)| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(move |r| (k, r))
        })
        .collect();
    let mut touch = false;
    if rings.len() > 1 {
        let (mut segs, mut ring_of) = (Vec::new(), Vec::new());
        for (i, (_, r)) in rings.iter().enumerate() {
            segs.extend(r.lines());
            ring_of.resize(segs.len(), i);
        }
        let crossing = overlapping_pairs(&segs, |a, b| {
            if ring_of[a] == ring_of[b] {
                return None;
            }
            match geo::line_intersection::line_intersection(segs[a], segs[b])? {
                LineIntersection::SinglePoint {
                    intersection,
                    is_proper: true,
                } => Some(format!(
                    "two rings cross at [{}, {}]",
                    intersection.x, intersection.y
                )),
                LineIntersection::Collinear { intersection } => Some(format!(
                    "two rings share an edge near [{}, {}]",
                    intersection.start.x, intersection.start.y
                )),
                LineIntersection::SinglePoint { .. } => {
                    touch = true;
                    None
                }
            }
        });
        if let Some(e) = crossing {
            return Err(e);
        }
    }
    // Without crossings, one vertex off a ring's boundary tells where the whole ring lies.
    let side = |ring: &LineString, of: &LineString| -> Option<bool> {
        ring.0.iter().find_map(|c| match ring_location(of, *c) {
            RingSide::Inside => Some(true),
            RingSide::Outside => Some(false),
            RingSide::Boundary => None,
        })
    };
    for (k, p) in parts.iter().enumerate() {
        for (h, hole) in p.interiors().iter().enumerate() {
            if side(hole, p.exterior()) == Some(false) {
                return Err(format!(
                    "hole {h} of polygon {k} lies outside its exterior ring"
                ));
            }
            for (g, other) in p.interiors().iter().enumerate() {
                if g != h && side(hole, other) == Some(true) {
                    return Err(format!("hole {h} of polygon {k} lies inside hole {g}"));
                }
            }
        }
        for (j, q) in parts.iter().enumerate() {
            // Part k inside part j's shell, and not inside one of j's holes.
            if j != k
                && side(p.exterior(), q.exterior()) == Some(true)
                && !q
                    .interiors()
                    .iter()
                    .any(|h| side(p.exterior(), h) == Some(true))
            {
                return Err(format!("polygon {k} lies inside polygon {j}"));
            }
        }
    }
    let vertices: usize = rings.iter().map(|(_, r)| r.0.len()).sum();
    if touch && vertices <= FULL_VALIDATION_MAX {
        let g = if parts.len() == 1 {
            Geometry::Polygon(parts[0].clone())
        } else {
            Geometry::MultiPolygon(MultiPolygon(parts.to_vec()))
        };
        g.check_validation().map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RingSide {
    Inside,
    Boundary,
    Outside,
}

/// How one edge `a`–`b` meets the ray from `p` due east: the step of every crossing-number test
/// here (rings at validation, features at point location).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EdgeRay {
    /// `p` lies on the edge.
    OnEdge,
    /// The edge crosses the ray east of `p`.
    Crosses,
    Misses,
}

/// Half-open rule: an edge counts when exactly one endpoint is above the ray, and it crosses
/// east of the point when the point lies left of an upward edge or right of a downward one —
/// decided with the exact orientation predicate, since a computed intersection x can round to
/// the wrong side for points next to the edge.
pub(crate) fn edge_ray(a: Coord, b: Coord, p: Coord) -> EdgeRay {
    use geo::kernels::RobustKernel;
    use geo::{Kernel, Orientation};
    let o = RobustKernel::orient2d(a, b, p);
    if o == Orientation::Collinear
        && p.x >= a.x.min(b.x)
        && p.x <= a.x.max(b.x)
        && p.y >= a.y.min(b.y)
        && p.y <= a.y.max(b.y)
    {
        return EdgeRay::OnEdge;
    }
    let upward = b.y > a.y;
    if (a.y > p.y) != (b.y > p.y)
        && ((upward && o == Orientation::CounterClockwise)
            || (!upward && o == Orientation::Clockwise))
    {
        EdgeRay::Crosses
    } else {
        EdgeRay::Misses
    }
}

/// Where `p` lies against a closed ring.
fn ring_location(ring: &LineString, p: Coord) -> RingSide {
    let mut inside = false;
    for l in ring.lines() {
        match edge_ray(l.start, l.end, p) {
            EdgeRay::OnEdge => return RingSide::Boundary,
            EdgeRay::Crosses => inside = !inside,
            EdgeRay::Misses => {}
        }
    }
    if inside {
        RingSide::Inside
    } else {
        RingSide::Outside
    }
}

/// Converts a GeoJSON geometry to a validated lon/lat `geo` geometry.
///
/// Checks: 2–3 finite numbers per position, lon/lat in range (with a hint when the numbers look
/// like projected metres), enough positions, closed rings, no self-intersection (with the place),
/// holes inside their shell, non-overlapping MultiPolygon parts. A legacy `crs` member other than
/// lon/lat is refused rather than silently misread.
pub fn from_geojson(g: &geojson::Geometry) -> Result<Geometry, GeometryError> {
    if let Some(crs) = g.foreign_members.as_ref().and_then(|m| m.get("crs")) {
        check_crs_member(crs)?;
    }
    from_value(&g.value)
}

/// Accepts only a legacy `crs` member that names lon/lat.
fn check_crs_member(crs: &serde_json::Value) -> Result<(), GeometryError> {
    let name = crs
        .pointer("/properties/name")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let upper = name.to_ascii_uppercase();
    let lonlat = [
        "CRS84",
        "EPSG::4326",
        "EPSG:4326",
        "EPSG::4490",
        "EPSG:4490",
    ];
    if lonlat.iter().any(|k| upper.ends_with(k)) {
        Ok(())
    } else {
        Err(GeometryError::UnsupportedCrs(if name.is_empty() {
            crs.to_string()
        } else {
            name
        }))
    }
}

fn from_value(v: &GeometryValue) -> Result<Geometry, GeometryError> {
    let g: Geometry = match v {
        GeometryValue::Point { coordinates } => {
            Geometry::Point(Point(coord(coordinates, || "Point".to_string())?))
        }
        GeometryValue::MultiPoint { coordinates } => {
            if coordinates.is_empty() {
                return Err(GeometryError::Empty("MultiPoint".into()));
            }
            Geometry::MultiPoint(MultiPoint(
                coords(coordinates, "MultiPoint")?
                    .into_iter()
                    .map(Point)
                    .collect(),
            ))
        }
        GeometryValue::LineString { coordinates } => {
            if coordinates.is_empty() {
                return Err(GeometryError::Empty("LineString".into()));
            }
            Geometry::LineString(line_string(coordinates, "LineString")?)
        }
        GeometryValue::MultiLineString { coordinates } => {
            if coordinates.is_empty() {
                return Err(GeometryError::Empty("MultiLineString".into()));
            }
            Geometry::MultiLineString(MultiLineString(
                coordinates
                    .iter()
                    .enumerate()
                    .map(|(i, l)| line_string(l, &format!("MultiLineString part {i}")))
                    .collect::<Result<_, _>>()?,
            ))
        }
        GeometryValue::Polygon { coordinates } => {
            if coordinates.is_empty() {
                return Err(GeometryError::Empty("Polygon".into()));
            }
            Geometry::Polygon(polygon(coordinates, "Polygon")?)
        }
        GeometryValue::MultiPolygon { coordinates } => {
            if coordinates.is_empty() {
                return Err(GeometryError::Empty("MultiPolygon".into()));
            }
            let parts = coordinates
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p, &format!("MultiPolygon part {i}")))
                .collect::<Result<Vec<_>, _>>()?;
            check_parts(&parts).map_err(|detail| GeometryError::Invalid {
                at: "MultiPolygon".into(),
                detail,
            })?;
            Geometry::MultiPolygon(MultiPolygon(parts))
        }
        GeometryValue::GeometryCollection { .. } => return Err(GeometryError::Collection),
    };
    Ok(g)
}

/// The GeoJSON type name of a geometry.
pub fn type_name(g: &Geometry) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::Line(_) | Geometry::LineString(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}

/// Topological dimension: 0 points, 1 lines, 2 polygons.
pub fn dimension(g: &Geometry) -> u8 {
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => 0,
        Geometry::Line(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Geometry, GeometryError> {
        let g: geojson::Geometry = serde_json::from_str(s).unwrap();
        from_geojson(&g)
    }

    #[test]
    fn clockwise_rings_are_reoriented_not_measured_as_the_rest_of_the_earth() {
        let ccw = parse(r#"{"type":"Polygon","coordinates":[[[120,30],[120.1,30],[120.1,30.1],[120,30.1],[120,30]]]}"#).unwrap();
        let cw = parse(r#"{"type":"Polygon","coordinates":[[[120,30],[120,30.1],[120.1,30.1],[120.1,30],[120,30]]]}"#).unwrap();
        let (a, b) = (crate::geodesy::area_m2(&ccw), crate::geodesy::area_m2(&cw));
        assert!((a - b).abs() < 1e-6 && a > 1e8 && a < 2e8, "{a} vs {b}");
    }

    #[test]
    fn accepts_a_valid_polygon_with_a_hole() {
        let g = parse(
            r#"{"type":"Polygon","coordinates":[[[120,30],[121,30],[121,31],[120,31],[120,30]],[[120.2,30.2],[120.2,30.4],[120.4,30.4],[120.2,30.2]]]}"#,
        );
        assert!(matches!(g, Ok(Geometry::Polygon(_))), "{g:?}");
    }

    #[test]
    fn reports_unclosed_rings_with_their_ends() {
        let e =
            parse(r#"{"type":"Polygon","coordinates":[[[120,30],[121,30],[121,31],[120,31]]]}"#)
                .unwrap_err();
        assert_eq!(e.code(), "unclosed_ring");
        assert!(e.to_string().contains("[120.0, 30.0]"), "{e}");
    }

    #[test]
    fn reports_where_a_bowtie_crosses_itself() {
        // Diagonals of the unit square at (120,30) cross at its centre.
        let e = parse(
            r#"{"type":"Polygon","coordinates":[[[120,30],[121,31],[121,30],[120,31],[120,30]]]}"#,
        )
        .unwrap_err();
        assert_eq!(e.code(), "self_intersection");
        match e {
            GeometryError::SelfIntersection { lon, lat, .. } => {
                assert!((lon - 120.5).abs() < 1e-9 && (lat - 30.5).abs() < 1e-9)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn flags_projected_coordinates() {
        let e = parse(r#"{"type":"Point","coordinates":[576600, 3386000]}"#).unwrap_err();
        assert_eq!(e.code(), "projected_coordinates");
        assert!(e.to_string().contains("EPSG:4549"));
        let e = parse(r#"{"type":"Point","coordinates":[190, 30]}"#).unwrap_err();
        assert_eq!(e.code(), "coordinates_out_of_range");
    }

    #[test]
    fn refuses_holes_outside_their_shell() {
        let e = parse(r#"{"type":"Polygon","coordinates":[[[120,30],[121,30],[121,31],[120,31],[120,30]],[[122,30],[122,31],[123,31],[122,30]]]}"#).unwrap_err();
        assert_eq!(e.code(), "invalid_geometry");
    }

    #[test]
    fn rings_that_cross_or_nest_wrongly_are_refused_and_touching_ones_kept() {
        // A hole crossing its shell's east edge.
        let e = parse(r#"{"type":"Polygon","coordinates":[[[120,30],[121,30],[121,31],[120,31],[120,30]],[[120.5,30.4],[121.5,30.4],[121.5,30.6],[120.5,30.6],[120.5,30.4]]]}"#).unwrap_err();
        assert!(e.to_string().contains("two rings cross"), "{e}");
        // A hole inside another hole.
        let e = parse(r#"{"type":"Polygon","coordinates":[[[120,30],[121,30],[121,31],[120,31],[120,30]],[[120.2,30.2],[120.8,30.2],[120.8,30.8],[120.2,30.8],[120.2,30.2]],[[120.4,30.4],[120.6,30.4],[120.6,30.6],[120.4,30.6],[120.4,30.4]]]}"#).unwrap_err();
        assert!(e.to_string().contains("inside hole"), "{e}");
        // A MultiPolygon part inside another part, and two parts sharing an edge.
        let e = parse(r#"{"type":"MultiPolygon","coordinates":[[[[120,30],[121,30],[121,31],[120,31],[120,30]]],[[[120.4,30.4],[120.6,30.4],[120.6,30.6],[120.4,30.6],[120.4,30.4]]]]}"#).unwrap_err();
        assert!(e.to_string().contains("inside polygon"), "{e}");
        let e = parse(r#"{"type":"MultiPolygon","coordinates":[[[[120,30],[121,30],[121,31],[120,31],[120,30]]],[[[121,30],[122,30],[122,31],[121,31],[121,30]]]]}"#).unwrap_err();
        assert!(e.to_string().contains("share an edge"), "{e}");
        // A part inside another part's hole is fine; so is a hole touching its shell at a point
        // (OGC-valid, and `geo`'s full validation, which such polygons go through, agrees).
        assert!(parse(r#"{"type":"MultiPolygon","coordinates":[[[[120,30],[121,30],[121,31],[120,31],[120,30]],[[120.2,30.2],[120.2,30.8],[120.8,30.8],[120.8,30.2],[120.2,30.2]]],[[[120.4,30.4],[120.6,30.4],[120.6,30.6],[120.4,30.6],[120.4,30.4]]]]}"#).is_ok());
        assert!(parse(r#"{"type":"Polygon","coordinates":[[[120,30],[121,30],[121,31],[120,31],[120,30]],[[120,30.5],[120.5,30.4],[120.5,30.6],[120,30.5]]]}"#).is_ok());
    }

    #[test]
    fn refuses_short_rings_and_degenerate_lines() {
        let e = parse(r#"{"type":"Polygon","coordinates":[[[120,30],[121,30],[120,30]]]}"#)
            .unwrap_err();
        assert_eq!(e.code(), "too_few_points");
        let e = parse(r#"{"type":"LineString","coordinates":[[120,30],[120,30]]}"#).unwrap_err();
        assert_eq!(e.code(), "too_few_points");
        let e = parse(r#"{"type":"MultiPolygon","coordinates":[]}"#).unwrap_err();
        assert_eq!(e.code(), "empty_geometry");
    }

    #[test]
    fn refuses_a_foreign_crs_member() {
        let e = parse(r#"{"type":"Point","coordinates":[120,30],"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4549"}}}"#).unwrap_err();
        assert_eq!(e.code(), "unsupported_crs");
        assert!(parse(r#"{"type":"Point","coordinates":[120,30],"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:OGC:1.3:CRS84"}}}"#).is_ok());
    }
}
