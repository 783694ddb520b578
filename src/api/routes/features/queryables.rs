//! `/collections/{id}/queryables` (OGC API – Features Part 3) and `/collections/{id}/schema`
//! (Part 5, linked as `describedby`): JSON Schemas of what a filter may name and of what a
//! feature holds — the same list here, since every property is queryable — with each
//! property's type as the data has it and the one geometry type the collection is served as.

use super::{base_url, layer, FormatQuery};
use crate::api::error::ApiError;
use crate::api::extract::Params;
use crate::api::state::AppState;
use crate::data::Layer;
use crate::query::features::{self, LayerQueryables};
use crate::query::filter::PropertyType;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The JSON Schema of a layer's features at `href`.
fn schema(l: &Layer, href: String, title: &str) -> Value {
    let mut props = Map::new();
    // The pre-standard draft's list, which GDAL 3.6's OAPIF driver reads to decide which
    // properties it may send in a filter (JSON Schema ignores the unknown member).
    let mut legacy = Vec::new();
    for (name, (t, description)) in LayerQueryables::of(l).properties {
        let mut p = Map::new();
        if !description.is_empty() {
            p.insert("description".into(), json!(description));
        }
        match t {
            PropertyType::Geometry => {
                let format = match features::geometry_type(l) {
                    Some(g) => format!("geometry-{}", g.to_ascii_lowercase()),
                    None => "geometry-any".into(),
                };
                p.insert("format".into(), json!(format));
                p.insert("x-ogc-role".into(), json!("primary-geometry"));
            }
            t => {
                let ty = match t {
                    PropertyType::Integer => "integer",
                    PropertyType::Number => "number",
                    PropertyType::Boolean => "boolean",
                    _ => "string",
                };
                p.insert("type".into(), json!(ty));
                legacy.push(json!({"id": name, "type": ty}));
                if name == "id" {
                    p.insert("x-ogc-role".into(), json!("id"));
                }
            }
        }
        props.insert(name, Value::Object(p));
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": href,
        "type": "object",
        "title": format!("{} ({}) — {title}", l.spec.title_zh, l.spec.title_en),
        "properties": props,
        "additionalProperties": false,
        "queryables": legacy,
    })
}

/// `application/schema+json`, unless the client accepts only plain JSON (GDAL 3.6 asks for
/// `application/geo+json, application/json` and refuses any other type).
fn answer(doc: Value, headers: &HeaderMap) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*");
    let plain = !accept.contains("application/schema+json")
        && !accept.contains("*/*")
        && accept.contains("application/json");
    let media_type = if plain {
        "application/json"
    } else {
        "application/schema+json"
    };
    ([(header::CONTENT_TYPE, media_type)], axum::Json(doc)).into_response()
}

/// `/collections/{id}/{what}`: the layer's schema at that address.
fn document(
    st: &AppState,
    id: &str,
    headers: &HeaderMap,
    what: &str,
) -> Result<Response, ApiError> {
    let ds = st.dataset();
    let href = format!("{}/collections/{id}/{what}", base_url(st, headers));
    Ok(answer(schema(layer(&ds, id)?, href, what), headers))
}

/// What a `filter` may name.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections/{collectionId}/queryables", tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "A layer id"), FormatQuery),
    responses((status = 200, description = "A JSON Schema of the queryable properties", body = Object, content_type = "application/schema+json"),
        (status = 400, description = "Unknown parameter", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection", body = crate::api::error::ErrorBody))))]
pub async fn queryables(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Params(_): Params<FormatQuery>,
) -> Result<Response, ApiError> {
    document(&st, &id, &headers, "queryables")
}

/// What a feature of the collection holds.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections/{collectionId}/schema", tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "A layer id"), FormatQuery),
    responses((status = 200, description = "A JSON Schema of the features: properties, types and the geometry type", body = Object, content_type = "application/schema+json"),
        (status = 400, description = "Unknown parameter", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection", body = crate::api::error::ErrorBody))))]
pub async fn feature_schema(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Params(_): Params<FormatQuery>,
) -> Result<Response, ApiError> {
    document(&st, &id, &headers, "schema")
}
