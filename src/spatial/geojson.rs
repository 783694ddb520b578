//! GeoJSON geometry → validated `geo` geometry.
//!
//! The same checks guard both the layers we load and the sites people post, so a bad ring is
//! reported the same way wherever it comes from: what is wrong, and where (ring, position,
//! coordinates). The checks between rings are in [`super::validate`].

use super::validate::{check_parts, self_intersection};
use geo::orient::{Direction, Orient};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use geojson::GeometryValue;

/// Why a geometry was refused. `code()` is the stable machine-readable name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    /// A geometry or polygon without coordinates (what is empty: `Polygon`, `MultiPoint`, …).
    #[error("{0} has no coordinates")]
    Empty(String),
    /// A position with fewer than 2 or more than 3 numbers.
    #[error("position {at} has {n} numbers; a position is [lon, lat] or [lon, lat, height]")]
    BadPosition {
        /// Where: the part, ring and position (`Polygon exterior ring position 3`).
        at: String,
        /// How many numbers it has.
        n: usize,
    },
    /// A position with a NaN or infinite number.
    #[error("position {at} is not finite")]
    NonFinite {
        /// Where: the part, ring and position (`Polygon exterior ring position 3`).
        at: String,
    },
    /// A position beyond ±1000, which cannot be degrees: metres or feet posted as lon/lat.
    #[error("position {at} = [{lon}, {lat}] looks projected (metres), but ecospace expects lon/lat degrees (EPSG:4326/CGCS2000); {hint}")]
    Projected {
        /// Where: the part, ring and position (`Polygon exterior ring position 3`).
        at: String,
        /// Its first number.
        lon: f64,
        /// Its second number.
        lat: f64,
        /// Which `crs` to send instead, when the numbers look like Gauss-Krüger metres.
        hint: String,
    },
    /// A longitude outside [-180, 180] or a latitude outside [-90, 90].
    #[error("position {at} = [{lon}, {lat}] is out of range: lon must be in [-180, 180] and lat in [-90, 90]")]
    OutOfRange {
        /// Where: the part, ring and position (`Polygon exterior ring position 3`).
        at: String,
        /// Its longitude, degrees.
        lon: f64,
        /// Its latitude, degrees.
        lat: f64,
    },
    /// A LineString with fewer than 2 distinct positions.
    #[error("{at} has {n} positions; a LineString needs at least 2 distinct positions")]
    TooFewLinePoints {
        /// Where: the line (`LineString`, `MultiLineString part 2`).
        at: String,
        /// Its positions, repeated consecutive ones dropped.
        n: usize,
    },
    /// A ring with fewer than 4 positions.
    #[error(
        "{at} has {n} positions; a linear ring needs at least 4 (the first repeated at the end)"
    )]
    TooFewRingPoints {
        /// Where: the part and ring (`MultiPolygon part 1 hole 0`).
        at: String,
        /// Its positions, repeated consecutive ones dropped.
        n: usize,
    },
    /// A ring whose last position is not its first.
    #[error("{at} is not closed: its first position {first:?} differs from its last {last:?}")]
    UnclosedRing {
        /// Where: the part and ring (`MultiPolygon part 1 hole 0`).
        at: String,
        /// Its first position, `[lon, lat]`.
        first: [f64; 2],
        /// Its last position, `[lon, lat]`.
        last: [f64; 2],
    },
    /// A ring that crosses itself (or doubles back along an edge).
    #[error("{at} intersects itself near [{lon}, {lat}]")]
    SelfIntersection {
        /// Where: the part and ring (`MultiPolygon part 1 hole 0`).
        at: String,
        /// Longitude of the intersection, degrees.
        lon: f64,
        /// Latitude of the intersection, degrees.
        lat: f64,
    },
    /// Rings that do not fit together: two that cross or share an edge, a hole outside its
    /// shell, a part inside another.
    #[error("{at} is invalid: {detail}")]
    Invalid {
        /// Where: the polygon (`Polygon`, `MultiPolygon part 1`, `MultiPolygon`).
        at: String,
        /// What is wrong, and where.
        detail: String,
    },
    /// A GeometryCollection, which sites and layers cannot be.
    #[error("GeometryCollection is not supported here; send a Point, LineString, Polygon or their Multi forms")]
    Collection,
    /// A legacy `crs` member that names something other than lon/lat (the name, or the member).
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
        let hint = match super::crs::gauss_kruger_hint(lon, lat) {
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

/// A polygonal geometry as one multipolygon (`None` for points and lines).
pub fn as_multipolygon(g: &Geometry) -> Option<MultiPolygon> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(mp) => Some(mp.clone()),
        _ => None,
    }
}

/// A linear geometry as one multilinestring (`None` for points and polygons).
pub fn as_multilinestring(g: &Geometry) -> Option<MultiLineString> {
    match g {
        Geometry::LineString(ls) => Some(MultiLineString(vec![ls.clone()])),
        Geometry::MultiLineString(mls) => Some(mls.clone()),
        _ => None,
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
    use crate::spatial::geodesy::area_m2;

    fn parse(s: &str) -> Result<Geometry, GeometryError> {
        let g: geojson::Geometry = serde_json::from_str(s).unwrap();
        from_geojson(&g)
    }

    #[test]
    fn clockwise_rings_are_reoriented_not_measured_as_the_rest_of_the_earth() {
        let ccw = parse(r#"{"type":"Polygon","coordinates":[[[120,30],[120.1,30],[120.1,30.1],[120,30.1],[120,30]]]}"#).unwrap();
        let cw = parse(r#"{"type":"Polygon","coordinates":[[[120,30],[120,30.1],[120.1,30.1],[120.1,30],[120,30]]]}"#).unwrap();
        let (a, b) = (area_m2(&ccw), area_m2(&cw));
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
                assert!((lon - 120.5).abs() < 1e-9 && (lat - 30.5).abs() < 1e-9);
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
