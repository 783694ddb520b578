//! OGC API – Features, Part 1 (conformance classes core, GeoJSON and OpenAPI 3.0): the landing
//! page, conformance, one collection per layer, and the layer's features as GeoJSON.
//!
//! The response types here are the serde types the handlers serialise *and* the schemas the
//! OpenAPI document at `/api` describes (`ToSchema`/`IntoParams`), so the two cannot drift.
//!
//! Time: a feature is in force from a year to a year, so `datetime` is reduced to calendar
//! years (see `crate::query::features`). Without `datetime` or `year` there is no temporal filter:
//! the items of every year are returned, as OGC API – Features prescribes.

use super::tiles::base_url;
use crate::api::error::ApiError;
use crate::api::extract::Params;
use crate::api::state::AppState;
use crate::data::{Dataset, Layer, LayerKind};
use crate::query::features;
use crate::query::filter::Filter;
use crate::spatial::crs::ogc::CrsRef;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Serialize;
use std::sync::Arc;

mod documents;
pub mod edit;
pub mod items;
pub mod queryables;

pub use documents::*;

pub(super) fn ok<T: Serialize>(media_type: &'static str, body: T) -> Response {
    ([(header::CONTENT_TYPE, media_type)], Json(body)).into_response()
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split(',').next())
        .is_some_and(|first| first.trim().starts_with("text/html"))
}

/// Landing page.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/", tag = "OGC API – Features", params(FormatQuery),
    responses(
        (status = 200, description = "Links to the API definition, conformance and collections", body = LandingPage),
        (status = 303, description = "A browser (`Accept: text/html` first) is sent to the map at `/map`"),
        (status = 400, description = "Unknown parameter or format", body = crate::api::error::ErrorBody),
    )))]
pub async fn landing(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Params(q): Params<FormatQuery>,
) -> Response {
    if q.f.is_none() && wants_html(&headers) {
        return Redirect::to("/map").into_response();
    }
    let base = base_url(&st, &headers);
    let ds = st.dataset();
    ok(
        JSON,
        LandingPage {
            title: format!("ecospace — {}", ds.manifest.title_zh),
            description: format!(
                "{}: ecological-space layers (red line, reserves, water-source zones, shoreline, river banks) as OGC API – Features collections",
                ds.manifest.title_en
            ),
            links: vec![
                link(format!("{base}/"), "self", JSON, "This document"),
                link(
                    format!("{base}/api"),
                    "service-desc",
                    OPENAPI_JSON,
                    "The API definition (OpenAPI 3.0)",
                ),
                link(
                    format!("{base}/conformance"),
                    "conformance",
                    JSON,
                    "Conformance classes implemented",
                ),
                link(format!("{base}/collections"), "data", JSON, "The layers"),
                link(format!("{base}/map"), "service-doc", "text/html", "The map"),
            ],
        },
    )
}

/// Conformance classes.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/conformance", tag = "OGC API – Features", params(FormatQuery),
    responses(
        (status = 200, description = "The conformance classes implemented", body = Conformance),
        (status = 400, description = "Unknown parameter or format", body = crate::api::error::ErrorBody),
    )))]
pub async fn conformance(
    State(st): State<Arc<AppState>>,
    Params(_): Params<FormatQuery>,
) -> Response {
    // Part 4 only where edits can be made: with an admin token configured.
    let edits = st
        .web
        .has_admin()
        .then_some(CONFORMS_TO_EDITS)
        .into_iter()
        .flatten();
    let filters = CONFORMS_TO_FILTER.iter().chain(Filter::CONFORMANCE);
    ok(
        JSON,
        Conformance {
            conforms_to: CONFORMS_TO
                .iter()
                .chain(filters)
                .chain(edits)
                .map(ToString::to_string)
                .collect(),
        },
    )
}

fn collection(l: &Layer, base: &str) -> Collection {
    let id = l.id();
    let [start, end] = features::temporal_extent(l);
    Collection {
        id: id.to_string(),
        title: format!("{} ({})", l.spec.title_zh, l.spec.title_en),
        description: format!(
            "{} features ({}), stored in {}",
            l.features.len(),
            features::geometry_type(l).unwrap_or(match l.kind() {
                LayerKind::Zone => "polygons",
                LayerKind::Line => "lines",
            }),
            features::storage_crs(l).uri()
        ),
        extent: Extent {
            spatial: SpatialExtent {
                bbox: l.bbox.map(|b| vec![b.to_vec()]).unwrap_or_default(),
                crs: CRS84.into(),
            },
            temporal: TemporalExtent {
                interval: vec![vec![start, end]],
                trs: GREGORIAN.into(),
            },
        },
        item_type: "feature".into(),
        crs: features::offered_crs(l).iter().map(CrsRef::uri).collect(),
        storage_crs: features::storage_crs(l).uri(),
        links: vec![
            link(
                format!("{base}/collections/{id}"),
                "self",
                JSON,
                "This collection",
            ),
            link(
                format!("{base}/collections/{id}/items"),
                "items",
                GEOJSON,
                "The features",
            ),
            link(
                format!("{base}/collections/{id}/queryables"),
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
                "What a filter may name (OGC API – Features Part 3)",
            ),
            // The pre-standard relation, which GDAL 3.6 looks for.
            link(
                format!("{base}/collections/{id}/queryables"),
                "queryables",
                "application/schema+json",
                "The queryables (as GDAL 3.6 finds them)",
            ),
            link(
                format!("{base}/collections/{id}/schema"),
                "describedby",
                "application/schema+json",
                "The features' properties and geometry type",
            ),
            link(
                format!("{base}/collections/{id}/tiles"),
                "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                JSON,
                "Vector tiles (OGC API – Tiles)",
            ),
        ],
    }
}

pub(super) fn layer<'a>(ds: &'a Dataset, id: &str) -> Result<&'a Layer, ApiError> {
    ds.layer(id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!(
                "no collection {id:?}; collections: {}",
                ds.layer_ids().join(", ")
            ),
        )
    })
}

/// All collections (one per layer).
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections", tag = "OGC API – Features", params(FormatQuery),
    responses(
        (status = 200, description = "One collection per layer", body = Collections),
        (status = 400, description = "Unknown parameter or format", body = crate::api::error::ErrorBody),
    )))]
pub async fn collections(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Params(_): Params<FormatQuery>,
) -> Response {
    let base = base_url(&st, &headers);
    let ds = st.dataset();
    ok(
        JSON,
        Collections {
            links: vec![link(
                format!("{base}/collections"),
                "self",
                JSON,
                "This document",
            )],
            collections: ds.layers.iter().map(|l| collection(l, &base)).collect(),
        },
    )
}

/// One collection.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections/{collectionId}", tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "A layer id (see `/collections`)"), FormatQuery),
    responses(
        (status = 200, description = "The collection", body = Collection),
        (status = 400, description = "Unknown parameter or format", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection", body = crate::api::error::ErrorBody),
    )))]
pub async fn one_collection(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Params(_): Params<FormatQuery>,
) -> Result<Response, ApiError> {
    let ds = st.dataset();
    Ok(ok(
        JSON,
        collection(layer(&ds, &id)?, &base_url(&st, &headers)),
    ))
}
