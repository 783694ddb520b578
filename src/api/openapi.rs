//! `GET /api`: the OpenAPI 3.0 definition of the whole service, derived by `utoipa` from the
//! real handlers (`#[utoipa::path]` on each) and the real answer types (`ToSchema` on each, in
//! the core, behind the `openapi` feature). Nothing is mirrored by hand; `tests/ogc_test.rs`
//! checks real answers against the schemas and the parameters against what each route accepts.
//!
//! utoipa writes OpenAPI 3.1 only, while OGC API – Features (class `oas30`) and its clients
//! (GDAL among them) expect 3.0: [`to_openapi_30`] rewrites the few 3.1 constructs utoipa uses.

use super::error::{ApiError, ErrorBody};
use super::extract::Params;
use super::routes::features::{self as ogc, FormatQuery, OPENAPI_JSON};
use super::routes::tiles::base_url;
use super::routes::{admin, check, indicators, map, ogc_tiles, ops, projects, tiles};
use super::state::AppState;
use crate::data::{Dataset, Layer};
use crate::params::{MAX_BUFFER_M, MAX_RINGS};
use crate::query::features;
use crate::spatial::crs::ogc::CrsRef;
use crate::spatial::crs::WebOffset;
use crate::tiles::glyphs::GlyphRange;
use crate::tiles::matrix::WEB_MERCATOR_QUAD;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;
use utoipa::OpenApi;

pub mod site;

/// The service's OpenAPI document (3.0), with `servers` pointing at `base` when given.
pub fn document(base: Option<&str>) -> Result<Value, serde_json::Error> {
    let mut v = serde_json::to_value(ApiDoc::openapi())?;
    to_openapi_30(&mut v);
    if let (Some(base), Some(obj)) = (base, v.as_object_mut()) {
        obj.insert("servers".into(), json!([{ "url": base }]));
    }
    Ok(v)
}

/// [`document`] for the data served: the values only the data (or one of the server's limits)
/// knows, written into the parameters that take them, so that the document names every value
/// the server accepts (tests/schemathesis_test.rs holds it to that).
pub fn document_for(ds: &Dataset, base: Option<&str>) -> Result<Value, serde_json::Error> {
    let mut v = document(base)?;
    constrain(&mut v, ds);
    Ok(v)
}

/// A regex alternative of literal words.
fn one_of<S: AsRef<str>>(words: impl IntoIterator<Item = S>) -> String {
    let escaped: Vec<String> = words
        .into_iter()
        .map(|w| {
            w.as_ref()
                .chars()
                .flat_map(|c| {
                    let special = "\\.^$|?*+()[]{}".contains(c);
                    special.then_some('\\').into_iter().chain([c])
                })
                .collect()
        })
        .collect();
    format!("(?:{})", escaped.join("|"))
}

/// What each parameter of that name accepts, where the data, the server's limits or a grammar
/// say it and an attribute cannot:
/// - `collectionId`: a layer id; `layers`: a comma-separated list of them (a check's, in the
///   query: of the screened layers, or empty for none);
/// - `type`: a project type of the rules file, or empty (none);
/// - `rings`: 1 to [`MAX_RINGS`] distances of 0 to [`MAX_BUFFER_M`] m, `default`, or empty;
/// - a collection's `crs` and `bbox-crs`: the CRSs every collection offers, and the web maps';
///   `filter-crs`: CRS84;
/// - a style's `name`, a glyph `range`, a `tileMatrixSetId`: the styles built in, the 256
///   ranges of the BMP, WebMercatorQuad;
/// - `datetime`: an RFC 3339 date or date-time, or an interval of them (`..` or nothing for an
///   open end, not both), as `params::parse_datetime` reads them; `bbox`: 4 numbers or 6;
///   `offset`: at most `u64::MAX`.
fn constrain(doc: &mut Value, ds: &Dataset) {
    let ids = ds.layer_ids();
    let id = one_of(&ids);
    let list = format!("{id}(?:,{id})*");
    // A check screens the layers that are not context (county outlines, land and sea).
    let screened = one_of(ds.layers.iter().filter(|l| !l.spec.context).map(Layer::id));
    let screened = format!("^(?:{screened}(?:,{screened})*)?$");
    let types: Option<Vec<&str>> = ds.rules.as_ref().map(|r| {
        std::iter::once("")
            .chain(r.types.iter().map(|t| t.id.as_str()))
            .collect()
    });
    let max = MAX_BUFFER_M as u64;
    let metres = format!(
        "(?:{max}(?:\\.0+)?|[0-9]{{1,{}}}(?:\\.[0-9]+)?)",
        max.to_string().len() - 1
    );
    let rings = format!(
        "^(?:|default|{metres}(?:,{metres}){{0,{}}})$",
        MAX_RINGS - 1
    );
    let mut crs: Option<Vec<String>> = None;
    for l in &ds.layers {
        let offered: Vec<String> = features::offered_crs(l).iter().map(CrsRef::uri).collect();
        crs = Some(match crs {
            None => offered,
            Some(c) => c.into_iter().filter(|u| offered.contains(u)).collect(),
        });
    }
    let mut crs = crs.unwrap_or_else(|| vec![CrsRef::Crs84.uri()]);
    crs.extend([WebOffset::Gcj02, WebOffset::Bd09].map(|w| CrsRef::Web(w).uri()));
    let styles: Vec<&str> = crate::assets::STYLES.iter().map(|(n, _)| *n).collect();
    let ranges: Vec<String> = GlyphRange::all().map(|r| r.to_string()).collect();
    let day = "[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])";
    let (hh, mm) = ("(?:[01][0-9]|2[0-3])", "[0-5][0-9]");
    let time = format!("[Tt]{hh}:{mm}:(?:{mm}|60)(?:\\.[0-9]+)?(?:[Zz]|[+ -]{hh}:{mm})");
    let instant = format!("{day}(?:{time})?");
    let datetime = format!("^(?:{instant}(?:/(?:{instant}|\\.\\.)?)?|(?:\\.\\.)?/{instant})$");

    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let ops = item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut());
        let params = ops.filter_map(|op| op.get_mut("parameters").and_then(Value::as_array_mut));
        for p in params.flatten() {
            let (Some(name), Some(at)) = (p["name"].as_str(), p["in"].as_str()) else {
                continue;
            };
            let (name, query) = (name.to_string(), at == "query");
            let Some(schema) = p.get_mut("schema").and_then(Value::as_object_mut) else {
                continue;
            };
            let collection = path.starts_with("/collections/");
            let (key, value) = match name.as_str() {
                "collectionId" => ("enum", json!(ids)),
                "layers" if query => ("pattern", json!(screened)),
                "layers" => ("pattern", json!(format!("^{list}$"))),
                "type" if query => match &types {
                    Some(t) => ("enum", json!(t)),
                    None => continue,
                },
                "rings" => ("pattern", json!(rings)),
                "crs" | "bbox-crs" if collection => ("enum", json!(crs)),
                "filter-crs" => ("enum", json!([CrsRef::Crs84.uri()])),
                "name" if path == "/styles/{name}" => ("enum", json!(styles)),
                "range" if path.starts_with("/fonts/") => ("enum", json!(ranges)),
                "tileMatrixSetId" => ("enum", json!([WEB_MERCATOR_QUAD])),
                // A u64; utoipa writes a bound as a float, which cannot say this one.
                "offset" => ("maximum", json!(u64::MAX)),
                "datetime" => ("pattern", json!(datetime)),
                // Four numbers or six, not five (an attribute cannot say it).
                "bbox" => ("oneOf", json!([{"maxItems": 4}, {"minItems": 6}])),
                _ => continue,
            };
            schema.insert(key.into(), value);
        }
    }
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
    let doc = document_for(&st.dataset(), Some(&base_url(&st, &headers)))
        .map_err(super::error::internal)?;
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
        ogc::landing, ogc::conformance, api, ogc::collections, ogc::one_collection, ogc::items::items, ogc::items::item,
        ogc::queryables::queryables, ogc::queryables::feature_schema, ogc::edit::options_items, ogc::edit::options_item, ogc::edit::create, ogc::edit::replace, ogc::edit::patch, ogc::edit::delete,
        ops::health, ops::layers, check::zones_at, check::check, check::batch, check::get_report,
        check::post_report, check::rules, indicators::one_year, indicators::series,
        indicators::chart_svg, indicators::changes, tiles::catalog, tiles::tilejson, tiles::tile,
        tiles::style, tiles::glyphs, map::label_points, map::map_page, map::tianditu, projects::register,
        projects::list, projects::one, projects::patch, projects::screenings, projects::screen_now,
        projects::replay_one, projects::impacts_between, admin::audit_log,
        ogc_tiles::tile_matrix_sets, ogc_tiles::tile_matrix_set, ogc_tiles::collection_tilesets,
        ogc_tiles::collection_tileset, ogc_tiles::collection_tile,
    ),
    modifiers(&TokenScheme),
    components(schemas(ErrorBody)),
    tags(
        (name = "OGC API – Features", description = "OGC API – Features – Part 1: Core (core, geojson, oas30)"),
        (name = "OGC API – Tiles", description = "OGC API – Tiles – Part 1: Core (core, tileset, tilesets-list, geodata-tilesets, mvt, oas30), WebMercatorQuad"),
        (name = "Planning", description = "Site checks and zones"),
        (name = "Indicators", description = "The plan's yearly indicators against its targets"),
        (name = "Map", description = "Vector tiles, TileJSON, styles and the map page"),
        (name = "Registry", description = "Registered projects, every screening kept, re-screening and impacts after a data change, the audit log (planner or admin token)"),
    ),
)]
struct ApiDoc;

/// The bearer token the registry and admin routes ask for (`[[tokens]]` in the config file).
struct TokenScheme;

impl utoipa::Modify for TokenScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "A token of the config file's `[[tokens]]` (role planner or admin), or ECOSPACE_ADMIN_TOKEN",
            ))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("token", SecurityScheme::Http(scheme));
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_data_and_the_limits_say_is_in_the_parameters() {
        let ds = Dataset::bundled().expect("the bundled data loads");
        let doc = document_for(&ds, None).expect("the document");
        let schema = |path: &str, name: &str| {
            doc["paths"][path]["get"]["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["name"] == name)
                .map(|p| p["schema"].clone())
                .unwrap_or_default()
        };
        assert_eq!(
            schema("/collections/{collectionId}", "collectionId")["enum"],
            json!(ds.layer_ids())
        );
        let tiles = schema("/tiles/{layers}", "layers")["pattern"].clone();
        assert!(
            tiles.as_str().is_some_and(|p| p.contains("|land_sea)")),
            "{tiles}"
        );
        // The rings' pattern counts digits: it holds for a limit that is a power of ten.
        assert_eq!(10f64.powi(5), MAX_BUFFER_M);
        let rings = schema("/check/report", "rings")["pattern"].clone();
        assert!(rings
            .as_str()
            .is_some_and(|p| p.contains("100000") && p.ends_with("{0,9})$")));
        assert_eq!(one_of(["a.b", "c"]), "(?:a\\.b|c)");
        assert_eq!(
            schema("/fonts/{stack}/{range}.pbf", "range")["enum"][255],
            "65280-65535"
        );
    }
}
