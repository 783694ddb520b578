//! Coordinate reference systems at the edges: everything inside ecospace is lon/lat
//! (EPSG:4326 / CGCS2000 EPSG:4490); other CRSs are converted on the way in and out with PROJ
//! (the `proj` crate over the system PROJ, behind the `gdal` feature). The offsets of Chinese
//! web maps — GCJ-02 (Amap, Tencent) and BD-09 (Baidu), which no EPSG code or PROJ pipeline
//! describes — come from the published algorithm (`coordtransform`), in every build.

use serde_json::Value;

pub mod ogc;

/// Why a CRS could not be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrsError {
    /// PROJ cannot build a transformation for the CRS (the CRS as given).
    #[error("unknown or unsupported CRS {0:?}: give an EPSG code such as EPSG:4549, WKT, or GCJ02 / BD09 for a site drawn on an Amap / Baidu map")]
    Unknown(String),
    /// A position could not be transformed, or the result is not finite.
    #[error("cannot transform [{x}, {y}] from {crs}: {message}")]
    Transform {
        /// The CRS transformed from.
        crs: String,
        /// The position's first coordinate, in that CRS.
        x: f64,
        /// The position's second coordinate, in that CRS.
        y: f64,
        /// PROJ's message.
        message: String,
    },
    /// A CRS other than lon/lat was asked of a build without the `gdal` feature (the CRS).
    #[error("CRS {0:?} needs PROJ: this ecospace was built without the `gdal` feature (cargo build --features gdal); send lon/lat (EPSG:4326) instead")]
    NotBuilt(String),
}

impl CrsError {
    /// Stable machine-readable code (`unsupported_crs`, `invalid_coordinates`).
    pub fn code(&self) -> &'static str {
        match self {
            CrsError::Unknown(_) => "unsupported_crs",
            CrsError::Transform { .. } => "invalid_coordinates",
            CrsError::NotBuilt(_) => "unsupported_crs",
        }
    }
}

/// Whether a CRS name means lon/lat degrees on WGS84/CGCS2000 (no transformation needed: the
/// two datums differ by centimetres).
pub fn is_lonlat(crs: &str) -> bool {
    let c = crs.trim().to_ascii_uppercase();
    [
        "EPSG:4326",
        "EPSG::4326",
        "EPSG:4490",
        "EPSG::4490",
        "CRS84",
        "OGC:CRS84",
        "WGS84",
    ]
    .iter()
    .any(|k| {
        c == *k || c.ends_with(&format!("/{k}")) || c.ends_with(&format!(":{k}")) || c.ends_with(k)
    })
}

/// The offset lon/lat of a Chinese web map: what a site drawn on an Amap or Baidu base map is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WebOffset {
    /// GCJ-02 (国测局, "Mars" coordinates): Amap, Tencent, Google's China tiles.
    Gcj02,
    /// BD-09: Baidu, a further offset of GCJ-02.
    Bd09,
}

impl WebOffset {
    /// `GCJ02`, `GCJ-02`, `BD09`, `BD-09` (any case); anything else is not one.
    pub fn parse(crs: &str) -> Option<WebOffset> {
        let c: String = crs
            .trim()
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .collect::<String>()
            .to_ascii_uppercase();
        match c.as_str() {
            "GCJ02" => Some(WebOffset::Gcj02),
            "BD09" => Some(WebOffset::Bd09),
            _ => None,
        }
    }

    /// From this map's lon/lat to WGS84/CGCS2000 lon/lat. Outside mainland China the offset is
    /// the identity (as the algorithm defines it); the inverse is iterated to well below 1e-6°.
    pub fn to_lonlat(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            WebOffset::Gcj02 => coordtransform::gcj02_to_wgs84(lon, lat),
            WebOffset::Bd09 => coordtransform::bd09_to_wgs84(lon, lat),
        }
    }

    /// From WGS84/CGCS2000 lon/lat to this map's.
    pub fn from_lonlat(self, lon: f64, lat: f64) -> (f64, f64) {
        match self {
            WebOffset::Gcj02 => coordtransform::wgs84_to_gcj02(lon, lat),
            WebOffset::Bd09 => coordtransform::wgs84_to_bd09(lon, lat),
        }
    }
}

/// A hint for coordinates that look like Chinese Gauss-Krüger metres posted as lon/lat: which
/// `crs` to send instead. CGCS2000 3-degree zones without zone prefix have eastings around
/// 500 km (EPSG:4534–4554, Jiaxing's CM 120°E is EPSG:4549); with the zone number prefixed
/// (zone 40 for 120°E) they read 40,xxx,xxx (EPSG:4513–4533, zone 40 is EPSG:4528).
pub fn gauss_kruger_hint(x: f64, y: f64) -> Option<&'static str> {
    let northing_in_china = (1_500_000.0..6_000_000.0).contains(&y);
    if !northing_in_china {
        return None;
    }
    if (100_000.0..900_000.0).contains(&x) {
        Some("EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E, Jiaxing's zone; or the EPSG code of your zone)")
    } else if (25_000_000.0..46_000_000.0).contains(&x) {
        Some("EPSG:4528 (CGCS2000 / 3-degree Gauss-Kruger zone 40, with the zone prefix; or the EPSG code of your zone)")
    } else {
        None
    }
}

/// Applies `f` to every position (an array of 2–3 numbers) inside a GeoJSON `coordinates`
/// member, in place.
pub fn map_positions(
    v: &mut Value,
    f: &mut impl FnMut(f64, f64) -> Result<(f64, f64), CrsError>,
) -> Result<(), CrsError> {
    let Value::Array(items) = v else {
        return Ok(());
    };
    let is_position = items.len() >= 2 && items.iter().all(Value::is_number);
    if is_position {
        if let (Some(x), Some(y)) = (items[0].as_f64(), items[1].as_f64()) {
            let (nx, ny) = f(x, y)?;
            items[0] = Value::from(nx);
            items[1] = Value::from(ny);
        }
        return Ok(());
    }
    for item in items {
        map_positions(item, f)?;
    }
    Ok(())
}

/// Transforms the `coordinates` (or nested `geometries`) of a GeoJSON geometry object in place.
pub fn transform_geometry(
    geometry: &mut Value,
    f: &mut impl FnMut(f64, f64) -> Result<(f64, f64), CrsError>,
) -> Result<(), CrsError> {
    if let Some(c) = geometry.get_mut("coordinates") {
        map_positions(c, f)?;
    }
    if let Some(Value::Array(gs)) = geometry.get_mut("geometries") {
        for g in gs {
            transform_geometry(g, f)?;
        }
    }
    Ok(())
}

#[cfg(feature = "gdal")]
mod imp {
    use super::CrsError;

    /// A PROJ transformation with lon/lat (east, north) axis order on both sides.
    ///
    /// `proj::Proj` is neither Send nor Sync, so a `Transformer` is made where it is used.
    pub struct Transformer {
        proj: proj::Proj,
        from: String,
    }

    impl Transformer {
        /// `from` → `to`, both EPSG codes (`EPSG:4549`), PROJ strings or WKT.
        pub fn new(from: &str, to: &str) -> Result<Self, CrsError> {
            let proj = proj::Proj::new_known_crs(from, to, None).map_err(|_| {
                CrsError::Unknown(if super::is_lonlat(from) {
                    to.to_string()
                } else {
                    from.to_string()
                })
            })?;
            Ok(Transformer {
                proj,
                from: from.to_string(),
            })
        }

        /// Into lon/lat (EPSG:4326).
        pub fn to_lonlat(from: &str) -> Result<Self, CrsError> {
            Self::new(from, "EPSG:4326")
        }

        /// Out of lon/lat (EPSG:4326).
        pub fn from_lonlat(to: &str) -> Result<Self, CrsError> {
            Self::new("EPSG:4326", to)
        }

        /// Transforms one position; a non-finite result is an error.
        pub fn convert(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
            let (nx, ny) = self.proj.convert((x, y)).map_err(|e| CrsError::Transform {
                crs: self.from.clone(),
                x,
                y,
                message: e.to_string(),
            })?;
            if nx.is_finite() && ny.is_finite() {
                Ok((nx, ny))
            } else {
                Err(CrsError::Transform {
                    crs: self.from.clone(),
                    x,
                    y,
                    message: "result is not finite".into(),
                })
            }
        }
    }
}

#[cfg(feature = "gdal")]
pub use imp::Transformer;

/// Converts a GeoJSON geometry object posted in `crs` to lon/lat, in place.
pub fn geometry_to_lonlat(geometry: &mut Value, crs: &str) -> Result<(), CrsError> {
    if is_lonlat(crs) {
        return Ok(());
    }
    if let Some(offset) = WebOffset::parse(crs) {
        return transform_geometry(geometry, &mut |x, y| Ok(offset.to_lonlat(x, y)));
    }
    #[cfg(feature = "gdal")]
    {
        let t = Transformer::to_lonlat(crs)?;
        transform_geometry(geometry, &mut |x, y| t.convert(x, y))
    }
    #[cfg(not(feature = "gdal"))]
    {
        let _ = geometry;
        Err(CrsError::NotBuilt(crs.to_string()))
    }
}

/// The envelope of a box's four corners and four edge midpoints taken through `f`: a box
/// carried into another CRS (whose edges bend a little, so the midpoints count too).
pub fn envelope_through(
    b: [f64; 4],
    mut f: impl FnMut(f64, f64) -> Result<(f64, f64), CrsError>,
) -> Result<[f64; 4], CrsError> {
    let (mx, my) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    let mut out = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for (x, y) in [
        (b[0], b[1]),
        (b[2], b[1]),
        (b[2], b[3]),
        (b[0], b[3]),
        (mx, b[1]),
        (mx, b[3]),
        (b[0], my),
        (b[2], my),
    ] {
        let (px, py) = f(x, y)?;
        out = [
            out[0].min(px),
            out[1].min(py),
            out[2].max(px),
            out[3].max(py),
        ];
    }
    Ok(out)
}

/// A lon/lat bbox `[minx, miny, maxx, maxy]` expressed in `crs` (the envelope of its four
/// transformed corners and edge midpoints).
pub fn bbox_in(bbox: [f64; 4], crs: &str) -> Result<[f64; 4], CrsError> {
    if is_lonlat(crs) {
        return Ok(bbox);
    }
    if let Some(offset) = WebOffset::parse(crs) {
        // The offsets shift by at most ~1 km and vary smoothly: the corners' envelope is the box.
        let [a, b, c, d] = bbox;
        let (x0, y0) = offset.from_lonlat(a, b);
        let (x1, y1) = offset.from_lonlat(c, d);
        let (x2, y2) = offset.from_lonlat(a, d);
        let (x3, y3) = offset.from_lonlat(c, b);
        return Ok([x0.min(x2), y0.min(y3), x1.max(x3), y1.max(y2)]);
    }
    #[cfg(feature = "gdal")]
    {
        let t = Transformer::from_lonlat(crs)?;
        envelope_through(bbox, |x, y| t.convert(x, y))
    }
    #[cfg(not(feature = "gdal"))]
    {
        let _ = bbox;
        Err(CrsError::NotBuilt(crs.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_lonlat() {
        for c in [
            "EPSG:4326",
            "epsg:4490",
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        ] {
            assert!(is_lonlat(c), "{c}");
        }
        assert!(!is_lonlat("EPSG:4549"));
    }

    #[test]
    fn hints_for_gauss_kruger() {
        assert!(gauss_kruger_hint(576_600.0, 3_386_000.0)
            .unwrap()
            .starts_with("EPSG:4549"));
        assert!(gauss_kruger_hint(40_576_600.0, 3_386_000.0)
            .unwrap()
            .starts_with("EPSG:4528"));
        assert!(gauss_kruger_hint(576_600.0, 10.0).is_none());
    }

    #[test]
    fn maps_every_position_of_nested_arrays() {
        let mut g =
            serde_json::json!({"type":"MultiPolygon","coordinates":[[[[1,2],[3,4],[5,6],[1,2]]]]});
        transform_geometry(&mut g, &mut |x, y| Ok((x * 10.0, y + 1.0))).unwrap();
        assert_eq!(g["coordinates"][0][0][1], serde_json::json!([30.0, 5.0]));
    }
}
