//! `GET /api`: the OpenAPI 3.0 definition of the whole service, built by `utoipa` from the code.
//!
//! The OGC routes are described by their own handlers and serde types (`ogc.rs`). The older
//! routes build their JSON ad hoc, so they are described here by `#[utoipa::path]` items that
//! stand for them, with schemas that mirror their answers; `tests/ogc_test.rs` checks those
//! against the real answers and the parameters against what each route accepts.
//!
//! utoipa writes OpenAPI 3.1 only, while OGC API – Features (class `oas30`) and its clients
//! (GDAL among them) expect 3.0: [`to_openapi_30`] rewrites the few 3.1 constructs utoipa uses.

use super::extract::Params;
use super::ogc::{self, FormatQuery, OPENAPI_JSON};
use super::tiles::base_url;
use super::{ApiError, AppState};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa::OpenApi;

/// The service's OpenAPI document (3.0), with `servers` pointing at `base` when given.
pub fn document(base: Option<&str>) -> Result<Value, serde_json::Error> {
    let mut v = serde_json::to_value(ApiDoc::openapi())?;
    to_openapi_30(&mut v);
    if let (Some(base), Some(obj)) = (base, v.as_object_mut()) {
        obj.insert("servers".into(), json!([{ "url": base }]));
    }
    Ok(v)
}

/// The API definition (this document).
#[utoipa::path(get, path = "/api", tag = "OGC API – Features", params(FormatQuery),
    responses(
        (status = 200, description = "This OpenAPI 3.0 document", body = Object, content_type = "application/vnd.oai.openapi+json;version=3.0"),
        (status = 400, description = "Unknown parameter or format", body = ErrorBody),
    ))]
pub async fn api(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Params(_): Params<FormatQuery>,
) -> Result<Response, ApiError> {
    let doc = document(Some(&base_url(&st, &headers))).map_err(super::internal)?;
    Ok(([(header::CONTENT_TYPE, OPENAPI_JSON)], Json(doc)).into_response())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ecospace",
        description = "Ecological-space layers of an ecological-civilisation plan (red line, nature reserves, drinking-water source zones, shoreline, river banks): OGC API – Features collections, site checks, yearly indicators and vector tiles. Every error is JSON `{\"error\": CODE, \"message\": …}`.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        ogc::landing, ogc::conformance, api, ogc::collections, ogc::one_collection, ogc::items, ogc::item,
        health, layers, zones, check, check_batch, report_get, report_post, rules, indicators, indicators_series, indicators_chart, changes,
        catalog, tilejson, tile, style, map,
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "OGC API – Features", description = "OGC API – Features – Part 1: Core (core, geojson, oas30)"),
        (name = "Planning", description = "Site checks and zones"),
        (name = "Indicators", description = "The plan's yearly indicators against its targets"),
        (name = "Map", description = "Vector tiles, TileJSON, styles and the map page"),
    ),
)]
struct ApiDoc;

/// Rewrites the OpenAPI 3.1 that utoipa writes into 3.0: `type: [T, "null"]` becomes
/// `type: T, nullable: true`; a `oneOf` with a `null` branch becomes a nullable `allOf` (or the
/// branch itself); a schema's `examples` list becomes `example`; `const` becomes a one-value
/// `enum`; `propertyNames` and `license.identifier` (3.1 only) go.
pub fn to_openapi_30(doc: &mut Value) {
    if let Some(o) = doc.as_object_mut() {
        o.insert("openapi".into(), Value::String("3.0.3".into()));
        if let Some(Value::Object(lic)) = o.get_mut("info").and_then(|i| i.get_mut("license")) {
            lic.remove("identifier");
        }
    }
    downgrade(doc);
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

fn downgrade(v: &mut Value) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(downgrade),
        Value::Object(o) => {
            for (k, child) in o.iter_mut() {
                match (k.as_str(), child) {
                    // A schema's `properties` maps names (which may be `type`, `const`, …) to
                    // schemas: rewrite the schemas, never the names.
                    ("properties", Value::Object(props)) => props.values_mut().for_each(downgrade),
                    (_, child) => downgrade(child),
                }
            }
            if let Some(Value::Array(types)) = o.get("type") {
                let nullable = types.iter().any(|t| t == "null");
                let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                match rest.as_slice() {
                    [one] => {
                        o.insert("type".into(), one.clone());
                    }
                    // Several types: 3.0 cannot say it; leave the schema untyped.
                    _ => {
                        o.remove("type");
                    }
                }
                if nullable {
                    o.insert("nullable".into(), Value::Bool(true));
                }
            }
            for key in ["oneOf", "anyOf"] {
                let Some(Value::Array(branches)) = o.get(key) else {
                    continue;
                };
                if !branches.iter().any(is_null_schema) {
                    continue;
                }
                let rest: Vec<Value> = branches
                    .iter()
                    .filter(|b| !is_null_schema(b))
                    .cloned()
                    .collect();
                o.remove(key);
                match rest.len() {
                    1 => {
                        o.insert("allOf".into(), Value::Array(rest));
                    }
                    _ => {
                        o.insert(key.into(), Value::Array(rest));
                    }
                }
                o.insert("nullable".into(), Value::Bool(true));
            }
            if let Some(Value::Array(ex)) = o.get("examples") {
                let first = ex.first().cloned();
                o.remove("examples");
                if let Some(first) = first {
                    o.insert("example".into(), first);
                }
            }
            // 3.1 (JSON Schema 2020-12) only; maps' keys are strings in JSON anyway.
            o.remove("propertyNames");
            if let Some(c) = o.remove("const") {
                o.insert("enum".into(), Value::Array(vec![c]));
            }
        }
        _ => {}
    }
}

pub use schemas::ErrorBody;

/// Schemas of the routes that answer with ad-hoc JSON. They mirror those answers for the
/// document only (nothing constructs them); `tests/ogc_test.rs` compares them with real answers.
#[allow(dead_code)]
mod schemas {
    use serde::Serialize;
    use std::collections::BTreeMap;
    use utoipa::ToSchema;

    /// Every 4xx/5xx answer.
    #[derive(ToSchema, Serialize)]
    pub struct ErrorBody {
        /// Stable machine-readable code, e.g. `invalid_parameter`, `not_found`.
        pub error: String,
        /// What is wrong, for people.
        pub message: String,
    }

    #[derive(ToSchema, Serialize)]
    pub struct Health {
        /// `ok`.
        pub status: String,
        /// The data version (content hash of every file), as in TileJSON and tile ETags.
        pub version: String,
        pub layers: u64,
        pub features: u64,
    }

    #[derive(ToSchema, Serialize)]
    #[serde(rename_all = "lowercase")]
    pub enum LayerKind {
        Zone,
        Line,
    }

    #[derive(ToSchema, Serialize)]
    pub struct LayerInfo {
        pub id: String,
        pub title_zh: String,
        pub title_en: String,
        pub kind: LayerKind,
        pub constraint: bool,
        /// Features of all years.
        pub features: u64,
        pub features_in_year: u64,
        /// `[min_lon, min_lat, max_lon, max_lat]`; null for an empty layer.
        pub bbox: Option<Vec<f64>>,
        /// Zones: summed area in force in `year`, km².
        pub area_km2: Option<f64>,
        /// Lines: summed length in force in `year`, km.
        pub length_km: Option<f64>,
        /// Property name → meaning, from the manifest.
        pub properties: BTreeMap<String, String>,
    }

    #[derive(ToSchema, Serialize)]
    pub struct Layers {
        pub dataset: String,
        /// Content hash of the data.
        pub version: String,
        pub year: i32,
        pub layers: Vec<LayerInfo>,
    }

    #[derive(ToSchema, Serialize)]
    pub struct ZoneHit {
        pub layer: String,
        pub id: String,
        pub name: String,
        pub on_boundary: bool,
        #[schema(value_type = Object)]
        pub properties: (),
    }

    #[derive(ToSchema, Serialize)]
    pub struct Zones {
        pub year: i32,
        pub zones: Vec<ZoneHit>,
    }

    #[derive(ToSchema, Serialize)]
    pub struct SiteSummary {
        /// GeoJSON geometry type of the site.
        #[serde(rename = "type")]
        pub kind: String,
        pub area_m2: f64,
        pub length_m: f64,
        pub bbox: Vec<f64>,
        /// With `?crs=`: the bbox in that CRS.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub bbox_in_crs: Option<BboxInCrs>,
    }

    #[derive(ToSchema, Serialize)]
    pub struct BboxInCrs {
        pub crs: String,
        pub bbox: Vec<f64>,
    }

    #[derive(ToSchema, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Relation {
        Within,
        Contains,
        Overlaps,
        Crosses,
        Touches,
        Near,
    }

    #[derive(ToSchema, Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Verdict {
        Conflict,
        Near,
        Clear,
    }

    #[derive(ToSchema, Serialize)]
    pub struct Hit {
        pub layer: String,
        pub id: String,
        pub name: String,
        pub relation: Relation,
        pub constraint: bool,
        pub overlap_area_m2: Option<f64>,
        pub overlap_ratio: Option<f64>,
        pub overlap_length_m: Option<f64>,
        pub distance_m: f64,
        #[schema(value_type = Object)]
        pub properties: (),
        /// With `type`, on hits the site is on: prohibited | restricted | allowed.
        pub decision: Option<String>,
        /// With `type`: conditions of a restricted decision.
        pub conditions_zh: Option<String>,
        pub conditions_en: Option<String>,
        /// With `type`: the regulations and articles the decision rests on.
        pub basis: Option<Vec<String>>,
    }

    #[derive(ToSchema, Serialize)]
    pub struct LayerSummary {
        pub hits: u64,
        pub conflicts: u64,
        pub overlap_area_m2: f64,
        pub overlap_ratio: Option<f64>,
        pub overlap_length_m: f64,
        pub min_distance_m: Option<f64>,
    }

    #[derive(ToSchema, Serialize)]
    pub struct CheckResult {
        /// The site's id, when the posted Feature had one.
        pub id: Option<String>,
        pub site: SiteSummary,
        pub verdict: Verdict,
        pub year: i32,
        pub buffer_m: f64,
        pub hits: Vec<Hit>,
        /// Layer id → totals.
        pub summary: BTreeMap<String, LayerSummary>,
        /// With `type`: the project type ruled for.
        pub project_type: Option<String>,
        /// With `type`: the strictest decision over the hits (`allowed` when none applies).
        pub decision: Option<String>,
        /// With `rings`: per ring distance, the features within it and their area/length.
        #[schema(value_type = Option<Vec<Object>>)]
        pub rings: Option<()>,
    }

    #[derive(ToSchema, Serialize)]
    pub struct CheckBatch {
        pub results: Vec<CheckResult>,
    }

    /// One site (a Geometry or Feature was posted) or a batch (a FeatureCollection).
    #[derive(ToSchema, Serialize)]
    #[serde(untagged)]
    #[allow(clippy::large_enum_variant)] // a schema stand-in, never built
    pub enum CheckResponse {
        One(CheckResult),
        Batch(CheckBatch),
    }

    #[derive(ToSchema, Serialize)]
    pub struct IndicatorsYear {
        pub year: i32,
        /// Indicator id → value, target and status.
        #[schema(value_type = Object)]
        pub indicators: (),
        /// County adcode → indicator id → value.
        #[schema(value_type = Object)]
        pub by_county: (),
        /// County adcode → indicator id → value with numerator and denominator.
        #[schema(value_type = Object)]
        pub by_county_detail: (),
    }

    #[derive(ToSchema, Serialize)]
    pub struct Series {
        pub from: i32,
        pub to: i32,
        pub series: Vec<IndicatorsYear>,
    }

    #[derive(ToSchema, Serialize)]
    pub struct Changes {
        pub from: i32,
        pub to: i32,
        /// Layer id → features added, removed and changed between the years.
        #[schema(value_type = Object)]
        pub layers: (),
    }

    #[derive(ToSchema, Serialize)]
    pub struct CatalogSource {
        /// A layer id, or all ids joined by commas for the combined source.
        pub id: String,
        pub title_zh: String,
        pub title_en: String,
        pub kind: Option<LayerKind>,
        pub features: Option<u64>,
        pub bbox: Option<Vec<f64>>,
        /// URL of the source's TileJSON.
        pub tilejson: String,
    }

    #[derive(ToSchema, Serialize)]
    pub struct Catalog {
        pub version: String,
        pub sources: Vec<CatalogSource>,
        /// URLs of the MapLibre styles.
        pub styles: Vec<String>,
    }

    /// TileJSON 3.0.0.
    #[derive(ToSchema, Serialize)]
    pub struct TileJson {
        /// `3.0.0`.
        pub tilejson: String,
        /// The layer ids, joined by commas.
        pub name: String,
        pub description: String,
        /// `1.0.0+` the data version: changes whenever the data does.
        pub version: String,
        pub attribution: String,
        /// `xyz`.
        pub scheme: String,
        /// Tile URL templates (`{z}/{x}/{y}`), absolute.
        pub tiles: Vec<String>,
        pub minzoom: u32,
        pub maxzoom: u32,
        /// `[min_lon, min_lat, max_lon, max_lat]`.
        pub bounds: Vec<f64>,
        /// `[lon, lat, zoom]`.
        pub center: Vec<f64>,
        #[schema(value_type = Vec<Object>)]
        pub vector_layers: (),
    }

    /// A binary body.
    #[derive(ToSchema, Serialize)]
    #[schema(value_type = String, format = Binary)]
    pub struct Binary(Vec<u8>);

    /// A text body (HTML or SVG).
    #[derive(ToSchema, Serialize)]
    #[schema(value_type = String)]
    pub struct Text(String);
}

use schemas::*;

// The items below stand for the handlers in `mod.rs`, `indicators.rs` and `tiles.rs` (their
// answers are built with `json!`), so utoipa has a path item to read for each.

/// Liveness and the size of the loaded data.
#[utoipa::path(get, path = "/health", tag = "Planning",
    responses((status = 200, description = "Serving", body = Health)))]
#[allow(dead_code)]
fn health() {}

/// The layers, with feature counts and measures in a year.
#[utoipa::path(get, path = "/layers", tag = "Planning",
    params(("year" = Option<i32>, Query, description = "Year for the in-force counts and measures (default: the current year)", minimum = 1900, maximum = 2200)),
    responses(
        (status = 200, description = "The layers", body = Layers),
        (status = 400, description = "Bad or unknown parameter", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn layers() {}

/// The zones containing a point.
#[utoipa::path(get, path = "/zones", tag = "Planning",
    params(
        ("lon" = f64, Query, description = "Longitude, degrees (WGS84/CGCS2000)"),
        ("lat" = f64, Query, description = "Latitude, degrees"),
        ("year" = Option<i32>, Query, description = "Zones in force in this year (default: the current year)", minimum = 1900, maximum = 2200),
    ),
    responses(
        (status = 200, description = "Zone features containing the point (boundary included)", body = Zones),
        (status = 400, description = "Bad or unknown parameter", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn zones() {}

/// Checks one site or a batch against the layers.
#[utoipa::path(post, path = "/check", tag = "Planning",
    params(
        ("year" = Option<i32>, Query, description = "Features in force in this year (default: the current year)", minimum = 1900, maximum = 2200),
        ("buffer_m" = Option<f64>, Query, description = "Also report features within this many metres", minimum = 0, maximum = 100000),
        ("layers" = Option<String>, Query, description = "Comma-separated layer ids (default: all)"),
        ("crs" = Option<String>, Query, description = "CRS of the posted coordinates, e.g. EPSG:4549 (default lon/lat; needs the gdal feature); the site's bbox is echoed in it as site.bbox_in_crs. A legacy top-level GeoJSON `crs` member works too."),
        ("type" = Option<String>, Query, description = "Project type (see /rules): adds decision, conditions and basis to each hit the site is on, and the strictest as the site's `decision`. A Feature's own `properties.type` wins."),
        ("rings" = Option<String>, Query, description = "Proximity rings in metres, comma-separated (e.g. 0,500,1000,5000); empty or `default` for the data's default rings"),
    ),
    request_body(content = Object, description = "A GeoJSON Geometry or Feature (one site) or FeatureCollection (a batch), lon/lat unless `crs` says otherwise", content_type = "application/json"),
    responses(
        (status = 200, description = "The check", body = CheckResponse),
        (status = 400, description = "Bad JSON, not GeoJSON, or a bad parameter", body = ErrorBody),
        (status = 413, description = "Body or batch too large", body = ErrorBody),
        (status = 422, description = "Invalid geometry", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn check() {}

/// Screens many sites: one row per site, streamed as it is done.
#[utoipa::path(post, path = "/check/batch", tag = "Planning",
    params(
        ("year" = Option<i32>, Query, description = "Features in force in this year (default: the current year)", minimum = 1900, maximum = 2200),
        ("buffer_m" = Option<f64>, Query, description = "Also report features within this many metres", minimum = 0, maximum = 100000),
        ("layers" = Option<String>, Query, description = "Comma-separated layer ids (default: all)"),
        ("type" = Option<String>, Query, description = "Project type for sites that do not declare their own (`properties.type` or a `type` column)"),
        ("rings" = Option<String>, Query, description = "Proximity rings in metres, comma-separated, or `default`"),
        ("format" = Option<String>, Query, description = "ndjson (default) or csv (also chosen by `Accept: text/csv`)"),
    ),
    request_body(content = String, description = "A GeoJSON FeatureCollection, or a CSV with a header: a `wkt` column, or `lon` and `lat`; `id`, `type`, `name` when present", content_type = "text/csv"),
    responses(
        (status = 200, description = "NDJSON rows {index, id, name, type, result | error}, or CSV rows", body = Text, content_type = "application/x-ndjson"),
        (status = 400, description = "Not a list of sites, or a bad parameter", body = ErrorBody),
        (status = 413, description = "Body or batch too large", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn check_batch() {}

/// The printable report of a point site.
#[utoipa::path(get, path = "/check/report", tag = "Planning",
    params(
        ("lon" = f64, Query, description = "Longitude of the site (a point)"),
        ("lat" = f64, Query, description = "Latitude of the site"),
        ("year" = Option<i32>, Query, description = "Default: the current year", minimum = 1900, maximum = 2200),
        ("buffer_m" = Option<f64>, Query, description = "Also report features within this many metres", minimum = 0, maximum = 100000),
        ("layers" = Option<String>, Query, description = "Comma-separated layer ids (default: all)"),
        ("type" = Option<String>, Query, description = "Project type (see /rules)"),
        ("rings" = Option<String>, Query, description = "Proximity rings in metres (default: the data's default rings)"),
        ("lang" = Option<String>, Query, description = "zh (default) or en"),
    ),
    responses(
        (status = 200, description = "A self-contained printable HTML page (map drawn as SVG, no JavaScript)", body = Text, content_type = "text/html"),
        (status = 400, description = "Bad or missing parameter", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn report_get() {}

/// The printable report of a posted site.
#[utoipa::path(post, path = "/check/report", tag = "Planning",
    params(
        ("year" = Option<i32>, Query, description = "Default: the current year", minimum = 1900, maximum = 2200),
        ("buffer_m" = Option<f64>, Query, description = "Also report features within this many metres", minimum = 0, maximum = 100000),
        ("layers" = Option<String>, Query, description = "Comma-separated layer ids (default: all)"),
        ("type" = Option<String>, Query, description = "Project type (see /rules)"),
        ("rings" = Option<String>, Query, description = "Proximity rings in metres (default: the data's default rings)"),
        ("lang" = Option<String>, Query, description = "zh (default) or en"),
    ),
    request_body(content = Object, description = "One site: a GeoJSON Geometry, Feature or one-feature FeatureCollection", content_type = "application/json"),
    responses(
        (status = 200, description = "A self-contained printable HTML page", body = Text, content_type = "text/html"),
        (status = 400, description = "Bad JSON, more than one site, or a bad parameter", body = ErrorBody),
        (status = 422, description = "Invalid geometry", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn report_post() {}

/// Project types, default rings and the decision table.
#[utoipa::path(get, path = "/rules", tag = "Planning",
    responses(
        (status = 200, description = "The rules file as JSON: default_rings_m, type[], rule[]", body = Object),
        (status = 404, description = "The dataset has no rules file", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn rules() {}

/// The plan's indicators in one year.
#[utoipa::path(get, path = "/indicators", tag = "Indicators",
    params(("year" = Option<i32>, Query, description = "Default: the current year", minimum = 1900, maximum = 2200)),
    responses(
        (status = 200, description = "Indicators, per county too", body = IndicatorsYear),
        (status = 400, description = "Bad or unknown parameter", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn indicators() {}

/// The indicators over a span of years.
#[utoipa::path(get, path = "/indicators/series", tag = "Indicators",
    params(
        ("from" = Option<i32>, Query, description = "First year (default: the plan's baseline)"),
        ("to" = Option<i32>, Query, description = "Last year (default: the plan's end)"),
    ),
    responses(
        (status = 200, description = "One entry per year", body = Series),
        (status = 400, description = "Bad or unknown parameter", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn indicators_series() {}

/// The indicator series as an SVG chart.
#[utoipa::path(get, path = "/indicators/chart.svg", tag = "Indicators",
    params(
        ("from" = Option<i32>, Query, description = "First year (default: the plan's baseline)"),
        ("to" = Option<i32>, Query, description = "Last year (default: the plan's end)"),
    ),
    responses(
        (status = 200, description = "SVG chart", body = Text, content_type = "image/svg+xml"),
        (status = 400, description = "Bad or unknown parameter", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn indicators_chart() {}

/// Features added, removed and changed between two years.
#[utoipa::path(get, path = "/changes", tag = "Indicators",
    params(
        ("from" = Option<i32>, Query, description = "Earlier year (default: the plan's baseline)"),
        ("to" = Option<i32>, Query, description = "Later year (default: the plan's end)"),
    ),
    responses(
        (status = 200, description = "Changes per layer", body = Changes),
        (status = 400, description = "Bad or unknown parameter", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn changes() {}

/// Every layer as a tile source.
#[utoipa::path(get, path = "/catalog", tag = "Map",
    responses((status = 200, description = "Tile sources and styles", body = Catalog)))]
#[allow(dead_code)]
fn catalog() {}

/// TileJSON for a set of layers (also at `/tiles/{layers}.json`).
#[utoipa::path(get, path = "/tiles/{layers}", tag = "Map",
    params(
        ("layers" = String, Path, description = "Comma-separated layer ids"),
        ("year" = Option<i32>, Query, description = "Tiles of this year (default: the current year)", minimum = 1900, maximum = 2200),
    ),
    responses(
        (status = 200, description = "TileJSON 3.0.0", body = TileJson),
        (status = 400, description = "Unknown layer or bad parameter", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn tilejson() {}

/// A Mapbox Vector Tile (also `.pbf`); gzip on `Accept-Encoding: gzip`.
#[utoipa::path(get, path = "/tiles/{layers}/{z}/{x}/{y}.mvt", tag = "Map",
    params(
        ("layers" = String, Path, description = "Comma-separated layer ids"),
        ("z" = u32, Path, description = "Zoom"),
        ("x" = u32, Path, description = "Column"),
        ("y" = u32, Path, description = "Row (XYZ scheme)"),
        ("year" = Option<i32>, Query, description = "Features in force in this year (default: the current year)", minimum = 1900, maximum = 2200),
    ),
    responses(
        (status = 200, description = "The tile", body = Binary, content_type = "application/vnd.mapbox-vector-tile"),
        (status = 204, description = "Empty tile"),
        (status = 304, description = "Unchanged (`If-None-Match`)"),
        (status = 400, description = "Bad tile address or parameter", body = ErrorBody),
        (status = 404, description = "Not a tile path", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn tile() {}

/// A MapLibre style with absolute URLs.
#[utoipa::path(get, path = "/styles/{name}", tag = "Map",
    params(("name" = String, Path, description = "Style file name, e.g. `ecospace.json`")),
    responses(
        (status = 200, description = "MapLibre style", body = Object),
        (status = 404, description = "No such style", body = ErrorBody),
    ))]
#[allow(dead_code)]
fn style() {}

/// The map page.
#[utoipa::path(get, path = "/map", tag = "Map",
    responses((status = 200, description = "HTML page", body = Text, content_type = "text/html")))]
#[allow(dead_code)]
fn map() {}
