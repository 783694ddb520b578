//! The operator's routes: health, Prometheus metrics, the layer list, and the answers to routes
//! and methods that do not exist.

use crate::api::error::ApiError;
use crate::api::extract::{Params, YearQuery};
use crate::api::state::AppState;
use crate::params::current_year;
use crate::query::catalog::{catalog, Catalog};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use std::sync::Arc;

/// The answer of `GET /health`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always `ok` when the service answers.
    pub status: &'static str,
    /// The data version in service (a content hash).
    pub version: String,
    /// Layers loaded.
    pub layers: usize,
    /// Features loaded, all years.
    pub features: usize,
}

/// `GET /health`: the service answers, and with which data.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/health", tag = "Planning",
    responses((status = 200, description = "The service is up", body = Health))))]
pub async fn health(State(st): State<Arc<AppState>>) -> Json<Health> {
    let ds = st.dataset();
    Json(Health {
        status: "ok",
        version: ds.version.clone(),
        layers: ds.layers.len(),
        features: ds.feature_count(),
    })
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(st): State<Arc<AppState>>) -> impl axum::response::IntoResponse {
    let ds = st.dataset();
    let reload = st.live.reload_status();
    let (entries, bytes, _, _) = st.tile_cache.stats();
    let text = st.metrics.render(&[
        (
            "ecospace_snapshot_info",
            "The data version being served (value 1).",
            format!("{{version=\"{}\"}}", ds.version),
            1.0,
        ),
        (
            "ecospace_features_loaded",
            "Features in the current snapshot.",
            String::new(),
            ds.feature_count() as f64,
        ),
        (
            "ecospace_layers_loaded",
            "Layers in the current snapshot.",
            String::new(),
            ds.layers.len() as f64,
        ),
        (
            "ecospace_reloads_total",
            "Reload attempts.",
            String::new(),
            reload.attempts as f64,
        ),
        (
            "ecospace_reload_failures_total",
            "Reloads refused (the old data kept serving).",
            String::new(),
            reload.failures as f64,
        ),
        (
            "ecospace_tile_cache_bytes",
            "Bytes held by the tile cache.",
            String::new(),
            bytes as f64,
        ),
        (
            "ecospace_tile_cache_entries",
            "Tiles held by the tile cache.",
            String::new(),
            entries as f64,
        ),
    ]);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        text,
    )
}

/// `GET /layers`: the layers, their kind and rules, and their features in a year.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/layers", tag = "Planning",
    params(YearQuery),
    responses((status = 200, description = "The layers", body = Catalog),
        (status = 400, description = "Bad or unknown parameter", body = crate::api::error::ErrorBody))))]
pub async fn layers(
    State(st): State<Arc<AppState>>,
    Params(q): Params<YearQuery>,
) -> Result<Json<Catalog>, ApiError> {
    let year = q.year.unwrap_or_else(current_year);
    Ok(Json(catalog(&st.dataset(), year)?))
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; see README.md for the endpoints",
    )
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}
