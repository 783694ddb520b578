//! A site someone wants to build on: parsed from a GeoJSON body and validated.
//!
//! One Geometry or Feature is one site; a FeatureCollection is a batch. JSON errors, GeoJSON shape
//! errors and geometry errors are told apart so the caller knows what to fix.

use crate::data::source::site_file::{self, SiteFileError};
use crate::spatial::crs::{geometry_to_lonlat, is_lonlat, CrsError, WebOffset};
use crate::spatial::geojson::{self as geometry, GeometryError};
use geo::Geometry;
use serde_json::Value;

/// A site to check, with the id it was given (Feature id or `properties.id`).
#[derive(Debug, Clone)]
pub struct Site {
    /// The Feature `id`, else `properties.id` (a CSV row's `id` column); none for a Geometry.
    pub id: Option<String>,
    /// The validated lon/lat geometry.
    pub geometry: Geometry,
    /// The Feature's properties (empty for a bare Geometry): a batch carries each site's
    /// project `type` and `name` here.
    pub properties: serde_json::Map<String, Value>,
}

impl Site {
    /// The project type the site declares (`properties.type`), if any.
    pub fn project_type(&self) -> Option<&str> {
        self.properties.get("type").and_then(Value::as_str)
    }

    /// The site's own project class (its `class` property), when it has a non-empty one.
    pub fn project_class(&self) -> Option<&str> {
        self.properties
            .get("class")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
    }
}

/// One site or a batch, as posted.
#[derive(Debug, Clone)]
pub enum SiteInput {
    /// A Geometry or a Feature.
    One(Site),
    /// A FeatureCollection's features, in order.
    Batch(Vec<Site>),
}

/// Why a posted site was refused.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// The body is not valid JSON (the parser's message).
    #[error("body is not valid JSON: {0}")]
    InvalidJson(String),
    /// The body nests arrays and objects deeper than the limit (the limit).
    #[error("body nests too deeply (the limit is {0} levels of arrays and objects)")]
    TooDeep(usize),
    /// The body is JSON but not GeoJSON of a site (or a CSV row's WKT or lon/lat is bad).
    #[error("body is not a GeoJSON Geometry, Feature or FeatureCollection: {0}")]
    NotGeoJson(String),
    /// A site's geometry is invalid.
    #[error("{}{source}", at(.index, .id))]
    Geometry {
        /// The site's position in a batch, from 0.
        index: Option<usize>,
        /// The site's id, when it has one.
        id: Option<String>,
        /// What is wrong with the geometry.
        #[source]
        source: GeometryError,
    },
    /// A Feature has a null geometry.
    #[error("{}the feature has no geometry", at(.index, .id))]
    MissingGeometry {
        /// The site's position in a batch, from 0.
        index: Option<usize>,
        /// The site's id, when it has one.
        id: Option<String>,
    },
    /// A batch (FeatureCollection or CSV) holds no site.
    #[error("the FeatureCollection has no features: send at least one site")]
    EmptyBatch,
    /// A batch holds more sites than the limit.
    #[error("the batch has {n} sites; the limit is {max}")]
    BatchTooLarge {
        /// Sites in the batch.
        n: usize,
        /// The limit.
        max: usize,
    },
    /// The site's coordinates could not be converted from the CRS given.
    #[error(transparent)]
    Crs(#[from] CrsError),
    /// A site file (DXF, zipped Shapefile, KML/KMZ, GeoPackage) cannot be read, or a DXF has
    /// no closed polyline.
    #[error(transparent)]
    File(#[from] SiteFileError),
    /// A site has more vertices than the limit.
    #[error("{}the site has {n} vertices; the limit is {max}", at(.index, .id))]
    TooManyVertices {
        /// The site's position in a batch, from 0.
        index: Option<usize>,
        /// The site's id, when it has one.
        id: Option<String>,
        /// The site's vertices.
        n: usize,
        /// The limit.
        max: usize,
    },
}

fn at(index: &Option<usize>, id: &Option<String>) -> String {
    match (index, id) {
        (Some(i), Some(id)) => format!("feature {i} (id {id:?}): "),
        (Some(i), None) => format!("feature {i}: "),
        (None, Some(id)) => format!("feature {id:?}: "),
        (None, None) => String::new(),
    }
}

impl SiteError {
    /// The id of the site this error is about, when it has one.
    pub fn site_id(&self) -> Option<&str> {
        match self {
            SiteError::Geometry { id, .. }
            | SiteError::MissingGeometry { id, .. }
            | SiteError::TooManyVertices { id, .. } => id.as_deref(),
            _ => None,
        }
    }

    /// The same error without the site's position and id in its message: a batch row carries
    /// both beside it, and a row's message must not depend on where the site sat in its input
    /// (a split of the batch, e.g. a Spark partition, gives the same row).
    pub fn unplaced(self) -> SiteError {
        match self {
            SiteError::Geometry { source, .. } => SiteError::Geometry {
                index: None,
                id: None,
                source,
            },
            SiteError::MissingGeometry { .. } => SiteError::MissingGeometry {
                index: None,
                id: None,
            },
            SiteError::TooManyVertices { n, max, .. } => SiteError::TooManyVertices {
                index: None,
                id: None,
                n,
                max,
            },
            e => e,
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SiteError::InvalidJson(_) => "invalid_json",
            SiteError::TooDeep(_) => "nesting_too_deep",
            SiteError::NotGeoJson(_) => "invalid_geojson",
            SiteError::Geometry { source, .. } => source.code(),
            SiteError::MissingGeometry { .. } => "empty_geometry",
            SiteError::EmptyBatch => "empty_batch",
            SiteError::BatchTooLarge { .. } => "batch_too_large",
            SiteError::Crs(e) => e.code(),
            SiteError::File(_) => "invalid_site_file",
            SiteError::TooManyVertices { .. } => "too_many_vertices",
        }
    }
}

/// Refuses JSON nested deeper than `max` arrays/objects, before parsing it: a GeoJSON site
/// needs at most ~10 levels (a FeatureCollection of MultiPolygons is 8), and deep nesting is
/// the cheapest way to make a parser work hard. Brackets inside strings do not count.
pub fn check_depth(body: &[u8], max: usize) -> Result<(), SiteError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Err(SiteError::TooDeep(max));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parses a request body into one site or a batch of at most `max_batch` sites.
///
/// # Examples
/// ```
/// use ecospace::site::{parse, SiteInput};
/// let body = br#"{"type":"Point","coordinates":[120.76,30.75]}"#;
/// assert!(matches!(parse(body, 100).unwrap(), SiteInput::One(_)));
/// ```
pub fn parse(body: &[u8], max_batch: usize) -> Result<SiteInput, SiteError> {
    parse_in(body, max_batch, None)
}

/// A posted body as GeoJSON, and the CRS its coordinates are then in. A site file — DXF,
/// zipped Shapefile, KML/KMZ or GeoPackage, told by `content_type` or its first bytes — is read
/// through GDAL into a lon/lat FeatureCollection: `crs` then overrides the file's own CRS (a DXF
/// has none: `crs=EPSG:4549` reads its Gauss-Krüger metres), except that a web-map offset
/// (`GCJ02`, `BD09`) still applies to the lon/lat read. Anything else is returned as it is.
pub fn as_geojson<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
    crs: Option<&'a str>,
) -> Result<(std::borrow::Cow<'a, [u8]>, Option<&'a str>), SiteError> {
    let Some(format) = site_file::sniff(body, content_type) else {
        return Ok((std::borrow::Cow::Borrowed(body), crs));
    };
    let offset = crs.filter(|c| WebOffset::parse(c).is_some());
    let file_crs = crs.filter(|c| offset.is_none() && !is_lonlat(c));
    let features = site_file::read(body, format, file_crs)?;
    let fc = serde_json::json!({"type": "FeatureCollection", "features": features});
    let text = serde_json::to_vec(&fc).map_err(|e| SiteError::InvalidJson(e.to_string()))?;
    Ok((std::borrow::Cow::Owned(text), offset))
}

/// Like [`parse`], for coordinates in `crs` (e.g. `EPSG:4549`), or in the CRS a legacy
/// top-level GeoJSON `crs` member names: they are converted to lon/lat before validation.
pub fn parse_in(body: &[u8], max_batch: usize, crs: Option<&str>) -> Result<SiteInput, SiteError> {
    if crs.is_none_or(is_lonlat) {
        if let Some(input) = parse_collection(body, max_batch)? {
            return Ok(input);
        }
    }
    let mut value: Value = serde_json::from_slice(body).map_err(|e| {
        if e.to_string().contains("recursion limit") {
            SiteError::TooDeep(128)
        } else {
            SiteError::InvalidJson(e.to_string())
        }
    })?;
    let ty = value
        .get("type")
        .and_then(Value::as_str)
        .map(str::to_string);
    to_lonlat(&mut value, crs)?;
    match ty.as_deref() {
        Some("FeatureCollection") => {
            let fc: geojson::FeatureCollection =
                serde_json::from_value(value).map_err(|e| SiteError::NotGeoJson(e.to_string()))?;
            batch_size(fc.features.len(), max_batch)?;
            let sites = fc
                .features
                .into_iter()
                .enumerate()
                .map(|(i, f)| feature_site(f, Some(i)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(SiteInput::Batch(sites))
        }
        Some("Feature") => {
            let f: geojson::Feature =
                serde_json::from_value(value).map_err(|e| SiteError::NotGeoJson(e.to_string()))?;
            Ok(SiteInput::One(feature_site(f, None)?))
        }
        Some(_) => {
            let g: geojson::Geometry =
                serde_json::from_value(value).map_err(|e| SiteError::NotGeoJson(e.to_string()))?;
            let geometry = geometry::from_geojson(&g).map_err(|source| SiteError::Geometry {
                index: None,
                id: None,
                source,
            })?;
            Ok(SiteInput::One(Site {
                id: None,
                geometry,
                properties: serde_json::Map::new(),
            }))
        }
        None => Err(SiteError::NotGeoJson("no string member \"type\"".into())),
    }
}

/// A batch holds at least one site and at most `max`.
fn batch_size(n: usize, max: usize) -> Result<(), SiteError> {
    if n == 0 {
        return Err(SiteError::EmptyBatch);
    }
    if n > max {
        return Err(SiteError::BatchTooLarge { n, max });
    }
    Ok(())
}

/// A lon/lat FeatureCollection read straight into GeoJSON types (no JSON tree in between) and
/// its features validated in parallel: the path of the large batches. `None` for any other
/// body — another type, a legacy `crs` member, anything that does not read cleanly — which the
/// general path then reads, so that its answers and its error messages are the only ones.
fn parse_collection(body: &[u8], max_batch: usize) -> Result<Option<SiteInput>, SiteError> {
    let Some(sites) = collection_entries(body, max_batch)? else {
        return Ok(None);
    };
    // The first bad feature in input order, as a sequential read reports it.
    sites
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map(|v| Some(SiteInput::Batch(v)))
}

/// A batch's sites, each read on its own: a bad feature is that entry's error, not the
/// batch's (what `check --batch` and `POST /check/batch` need: one row per site). A body that
/// is not a list of sites at all is still refused whole.
pub fn parse_batch(
    body: &[u8],
    max_batch: usize,
) -> Result<Vec<Result<Site, SiteError>>, SiteError> {
    if let Some(v) = collection_entries(body, max_batch)? {
        return Ok(v);
    }
    Ok(match parse_in(body, max_batch, None)? {
        SiteInput::One(s) => vec![Ok(s)],
        SiteInput::Batch(v) => v.into_iter().map(Ok).collect(),
    })
}

/// A plain lon/lat FeatureCollection's features as sites, read in parallel; `None` when the
/// body is not one (or names a legacy `crs`), for [`parse_in`]'s general path.
fn collection_entries(
    body: &[u8],
    max_batch: usize,
) -> Result<Option<Vec<Result<Site, SiteError>>>, SiteError> {
    use rayon::prelude::*;
    let Ok(fc) = serde_json::from_slice::<::geojson::FeatureCollection>(body) else {
        return Ok(None);
    };
    if fc
        .foreign_members
        .as_ref()
        .is_some_and(|m| m.contains_key("crs"))
    {
        return Ok(None);
    }
    batch_size(fc.features.len(), max_batch)?;
    Ok(Some(
        fc.features
            .into_par_iter()
            .enumerate()
            .map(|(i, f)| feature_site(f, Some(i)))
            .collect(),
    ))
}

/// Converts every geometry of the body to lon/lat when a (non lon/lat) CRS is given, by
/// parameter or by a legacy top-level `crs` member (which is then removed).
fn to_lonlat(value: &mut Value, crs: Option<&str>) -> Result<(), SiteError> {
    let legacy = value
        .pointer("/crs/properties/name")
        .and_then(Value::as_str)
        .map(str::to_string);
    let Some(crs) = crs.map(str::to_string).or(legacy.clone()) else {
        return Ok(());
    };
    if legacy.is_some() {
        if let Some(obj) = value.as_object_mut() {
            obj.remove("crs");
        }
    }
    if is_lonlat(&crs) {
        return Ok(());
    }
    // Normalise URN forms (`urn:ogc:def:crs:EPSG::4549`) to `EPSG:4549` for PROJ.
    let crs = match crs.rsplit_once("EPSG::") {
        Some((_, code)) => format!("EPSG:{code}"),
        None => crs,
    };
    match value.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {
            if let Some(Value::Array(fs)) = value.get_mut("features") {
                for f in fs {
                    if let Some(g) = f.get_mut("geometry").filter(|g| g.is_object()) {
                        geometry_to_lonlat(g, &crs)?;
                    }
                }
            }
        }
        Some("Feature") => {
            if let Some(g) = value.get_mut("geometry").filter(|g| g.is_object()) {
                geometry_to_lonlat(g, &crs)?;
            }
        }
        _ => geometry_to_lonlat(value, &crs)?,
    }
    Ok(())
}

/// Refuses sites with more than `max` vertices (each site of a batch on its own).
pub fn check_vertices(input: &SiteInput, max: usize) -> Result<(), SiteError> {
    use geo::CoordsIter;
    let one = |s: &Site, index: Option<usize>| {
        let n = s.geometry.coords_count();
        if n > max {
            Err(SiteError::TooManyVertices {
                index,
                id: s.id.clone(),
                n,
                max,
            })
        } else {
            Ok(())
        }
    };
    match input {
        SiteInput::One(s) => one(s, None),
        SiteInput::Batch(v) => v.iter().enumerate().try_for_each(|(i, s)| one(s, Some(i))),
    }
}

fn feature_site(f: geojson::Feature, index: Option<usize>) -> Result<Site, SiteError> {
    let id = match &f.id {
        Some(::geojson::feature::Id::String(s)) => Some(s.clone()),
        Some(::geojson::feature::Id::Number(n)) => Some(n.to_string()),
        None => f
            .properties
            .as_ref()
            .and_then(|p| p.get("id"))
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_i64().map(|n| n.to_string()))
            }),
    };
    let properties = f.properties.unwrap_or_default();
    let Some(g) = f.geometry else {
        return Err(SiteError::MissingGeometry { index, id });
    };
    let geometry = geometry::from_geojson(&g).map_err(|source| SiteError::Geometry {
        index,
        id: id.clone(),
        source,
    })?;
    Ok(Site {
        id,
        geometry,
        properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_brackets_outside_strings_only() {
        let fc = br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"n":"[[[[{{"},"geometry":{"type":"MultiPolygon","coordinates":[[[[1,2]]]]}}]}"#;
        // FC { features [ Feature { geometry { coordinates [ [ [ [ position: 8 levels.
        assert!(check_depth(fc, 8).is_ok());
        assert_eq!(check_depth(fc, 7).unwrap_err().code(), "nesting_too_deep");
        assert!(
            check_depth(br#"{"a":"\"[[[["}"#, 1).is_ok(),
            "escaped quote stays in the string"
        );
    }

    #[test]
    fn tells_json_shape_and_geometry_errors_apart() {
        assert_eq!(parse(b"{not json", 10).unwrap_err().code(), "invalid_json");
        assert_eq!(
            parse(br#"{"type":"Point","coordinates":"x"}"#, 10)
                .unwrap_err()
                .code(),
            "invalid_geojson"
        );
        assert_eq!(
            parse(br#"{"type":"Point","coordinates":[1e400,0]}"#, 10)
                .unwrap_err()
                .code(),
            "invalid_json"
        );
        assert_eq!(
            parse(br#"{"type":"FeatureCollection","features":[]}"#, 10)
                .unwrap_err()
                .code(),
            "empty_batch"
        );
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert_eq!(
            parse(deep.as_bytes(), 10).unwrap_err().code(),
            "nesting_too_deep"
        );
    }

    #[test]
    fn batch_errors_name_the_feature() {
        let body = br#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":"ok","properties":{},"geometry":{"type":"Point","coordinates":[120.7,30.7]}},
            {"type":"Feature","id":"bad","properties":{},"geometry":{"type":"Point","coordinates":[500000,3400000]}}]}"#;
        let e = parse(body, 10).unwrap_err();
        assert_eq!(e.code(), "projected_coordinates");
        assert!(e.to_string().starts_with("feature 1 (id \"bad\")"), "{e}");
        assert_eq!(parse(body, 1).unwrap_err().code(), "batch_too_large");
    }
}
