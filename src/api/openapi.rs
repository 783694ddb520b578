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
    let doc = document(Some(&base_url(&st, &headers))).map_err(super::error::internal)?;
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
        ogc::queryables::queryables, ogc::queryables::feature_schema, ogc::edit::create, ogc::edit::replace, ogc::edit::patch, ogc::edit::delete,
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
