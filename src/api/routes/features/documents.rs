//! The documents of OGC API – Features, Part 1, as the serde types the handlers serialise and
//! the schemas `/api` describes: links, the landing page, conformance, collections and their
//! extents, GeoJSON features and feature collections, and the query parameters.

use crate::data::Feature;
use crate::query::features;
use crate::spatial::crs::ogc::Axes;
use crate::spatial::crs::CrsError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Conformance classes this service implements.
pub const CONFORMS_TO: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
];
/// OGC API – Features Part 3's classes (CQL2's own come from [`crate::query::filter::Filter`]).
pub const CONFORMS_TO_FILTER: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
];
/// OGC API – Features Part 4's classes, listed when an admin token is configured.
pub const CONFORMS_TO_EDITS: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
];
/// Lon/lat on WGS84 (CGCS2000 coincides at this precision): the default CRS.
pub use crate::spatial::crs::ogc::CRS84;
pub(super) const GREGORIAN: &str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian";
pub const GEOJSON: &str = "application/geo+json";
pub(super) const JSON: &str = "application/json";
pub const OPENAPI_JSON: &str = "application/vnd.oai.openapi+json;version=3.0";
/// Page size without `limit`.
pub const DEFAULT_LIMIT: u64 = 10;
/// Largest page: a larger `limit` is clamped to it (OGC: not an error).
pub const MAX_LIMIT: u64 = 10_000;

/// A hyperlink, as OGC API and RFC 8288 describe it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Link {
    pub href: String,
    pub rel: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

pub(super) fn link(href: String, rel: &str, media_type: &str, title: &str) -> Link {
    Link {
        href,
        rel: rel.into(),
        media_type: Some(media_type.into()),
        title: Some(title.into()),
    }
}

/// `GET /`: what the service is and where its parts are.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LandingPage {
    pub title: String,
    pub description: String,
    pub links: Vec<Link>,
}

/// `GET /conformance`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Conformance {
    pub conforms_to: Vec<String>,
}

/// The spatial extent: one box, lon/lat.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpatialExtent {
    /// `[[min_lon, min_lat, max_lon, max_lat]]`.
    pub bbox: Vec<Vec<f64>>,
    pub crs: String,
}

/// The temporal extent: `[[start, end]]`, RFC 3339, `null` for an open end.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemporalExtent {
    pub interval: Vec<Vec<Option<String>>>,
    pub trs: String,
}

#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Extent {
    pub spatial: SpatialExtent,
    pub temporal: TemporalExtent,
}

/// One layer as an OGC collection.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    pub id: String,
    pub title: String,
    pub description: String,
    pub extent: Extent,
    /// Always `feature`.
    pub item_type: String,
    /// The CRSs the items can be asked in (`crs`, `bbox-crs`), as URIs (Part 2).
    pub crs: Vec<String>,
    /// The CRS the layer's source was in, or CRS84 (Part 2).
    pub storage_crs: String,
    pub links: Vec<Link>,
}

/// `GET /collections`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Collections {
    pub links: Vec<Link>,
    pub collections: Vec<Collection>,
}

/// The GeoJSON `type` of a Feature.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FeatureType {
    Feature,
}

/// The GeoJSON `type` of a FeatureCollection.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FeatureCollectionType {
    FeatureCollection,
}

/// A GeoJSON Feature (RFC 7946) with lon/lat geometry.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GeoJsonFeature {
    #[serde(rename = "type")]
    pub kind: FeatureType,
    pub id: String,
    /// A GeoJSON geometry (Polygon, MultiPolygon, LineString or MultiLineString).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub geometry: Value,
    /// Every property of the feature as loaded (`name`, `county`, `valid_from`, `valid_to`, …).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub properties: Value,
    /// Present on `/collections/{id}/items/{featureId}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Link>>,
}

impl GeoJsonFeature {
    /// The feature with its geometry as its layer serves it (`served`, the layer's
    /// [`features::geometry_type`]), written by `axes` in the asked CRS.
    pub(super) fn of(
        f: &Feature,
        served: Option<&str>,
        axes: &Axes,
        links: Option<Vec<Link>>,
    ) -> Result<Self, CrsError> {
        let mut geometry = features::geometry_json(f, served);
        axes.geometry(&mut geometry)?;
        Ok(GeoJsonFeature {
            kind: FeatureType::Feature,
            id: f.id.clone(),
            geometry,
            properties: Value::Object(f.properties.clone()),
            links,
        })
    }
}

/// A page of features.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FeatureCollection {
    #[serde(rename = "type")]
    pub kind: FeatureCollectionType,
    pub features: Vec<GeoJsonFeature>,
    /// Features matching the filters, over all pages.
    pub number_matched: u64,
    pub number_returned: u64,
    /// When the response was made (RFC 3339, UTC).
    pub time_stamp: String,
    pub links: Vec<Link>,
}

/// Output format. Both are GeoJSON/JSON: there is no HTML rendering (the map is at `/map`).
#[derive(Debug, Clone, Copy, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Geojson,
}

/// The `f` parameter every OGC resource takes.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct FormatQuery {
    /// Output format (`json` and `geojson` are the same document; `html` is not offered).
    #[cfg_attr(feature = "openapi", param(inline))]
    #[allow(dead_code)]
    pub(super) f: Option<Format>,
}

/// Parameters of `/collections/{collectionId}/items`.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ItemsQuery {
    /// Output format (`json` and `geojson` are the same GeoJSON document).
    #[cfg_attr(feature = "openapi", param(inline))]
    #[allow(dead_code)]
    pub(super) f: Option<Format>,
    /// `min_lon,min_lat,max_lon,max_lat` (CRS84): features whose geometry meets the box. Six
    /// numbers (with heights) are accepted and the heights ignored.
    #[cfg_attr(feature = "openapi", param(value_type = Option<Vec<f64>>, style = Form, explode = false, min_items = 4, max_items = 6))]
    pub(super) bbox: Option<String>,
    /// Page size; a value over the maximum is treated as the maximum.
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 10000, default = 10))]
    pub(super) limit: Option<u64>,
    /// Features to skip (paging; the `next` link carries it).
    #[cfg_attr(feature = "openapi", param(minimum = 0, default = 0))]
    pub(super) offset: Option<u64>,
    /// An RFC 3339 instant (`2025-06-01T00:00:00Z`), a date (`2025-06-01`) or an interval
    /// (`2019-01-01/2021-12-31`, `..` for an open end): features in force in any calendar year
    /// (UTC) it touches. Without it (and without `year`), features of every year. Days that
    /// exist only, an interval's start not after its end.
    pub(super) datetime: Option<String>,
    /// ecospace extension: features in force in this year (`valid_from <= year < valid_to`).
    /// Not together with `datetime`.
    #[cfg_attr(feature = "openapi", param(minimum = 1900, maximum = 2200))]
    pub(super) year: Option<i32>,
    /// OGC API – Features Part 2: the CRS of the returned geometries, one of the collection's
    /// `crs` list (default CRS84), as a URI such as `http://www.opengis.net/def/crs/EPSG/0/4549`;
    /// coordinates follow that CRS's axis order (EPSG:4326 and EPSG:4490 are lat/lon,
    /// EPSG:4528/4549 northing/easting). ecospace extension: `GCJ02` or `BD09` for an Amap or
    /// Baidu base map (lon/lat order).
    pub(super) crs: Option<String>,
    /// Part 2: the CRS `bbox` is given in (default CRS84), in that CRS's axis order.
    #[serde(rename = "bbox-crs")]
    pub(super) bbox_crs: Option<String>,
    /// Part 3: a CQL2 filter over the collection's queryables (`/collections/{id}/queryables`),
    /// e.g. `county = '330402' AND name LIKE '%湖%'` or
    /// `S_INTERSECTS(geometry, BBOX(120.7,30.7,120.9,30.9))`; an unknown property or a
    /// malformed expression is a 400 naming the position.
    pub(super) filter: Option<String>,
    /// Part 3: the encoding of `filter`.
    #[serde(rename = "filter-lang")]
    #[cfg_attr(feature = "openapi", param(inline))]
    pub(super) filter_lang: Option<FilterLang>,
    /// Part 3: the CRS of the filter's geometry literals; CRS84 only.
    #[serde(rename = "filter-crs")]
    pub(super) filter_crs: Option<String>,
}

/// The encodings `filter` may be in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FilterLang {
    /// CQL2 text (the default).
    #[default]
    #[serde(rename = "cql2-text")]
    Cql2Text,
    /// CQL2 JSON.
    #[serde(rename = "cql2-json")]
    Cql2Json,
    /// The pre-CQL2 draft's name, which GDAL 3.6 (Debian 12) sends: read as cql2-text (what
    /// GDAL writes — comparisons, AND/OR/NOT, LIKE/ILIKE, IS NULL — is CQL2 text too).
    #[serde(rename = "cql-text")]
    CqlText,
}

/// The parameters of a single feature.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ItemQuery {
    /// Output format (`json` and `geojson` are the same GeoJSON document).
    #[cfg_attr(feature = "openapi", param(inline))]
    #[allow(dead_code)]
    pub(super) f: Option<Format>,
    /// The CRS of the geometry, as for the items (default CRS84).
    pub(super) crs: Option<String>,
}
