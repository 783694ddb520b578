//! The map page and what it loads: the page itself (embedded from `web/`) and MapLibre GL JS
//! (embedded at build time, or from `--maplibre-dir`).

use crate::api::error::ApiError;
use crate::api::state::AppState;
use crate::assets;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json" | "map") => "application/json",
        _ => "application/octet-stream",
    }
}

/// `GET /map` and `/map/{file}`: the embedded map page.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/map", tag = "Map",
    responses((status = 200, description = "HTML page", body = String, content_type = "text/html"))))]
pub async fn map_page() -> Result<Response, ApiError> {
    web_file(Path("map.html".to_string())).await
}

pub async fn web_file(Path(file): Path<String>) -> Result<Response, ApiError> {
    let text = assets::WEB
        .iter()
        .find(|(n, _)| *n == file)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no file {file:?}"),
            )
        })?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type(&file)),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        text,
    )
        .into_response())
}

/// The MapLibre files served from a `--maplibre-dir`; nothing else there is reachable.
const MAPLIBRE_FILES: &[&str] = &[
    "maplibre-gl.js",
    "maplibre-gl.css",
    "maplibre-gl.js.map",
    "maplibre-gl-csp.js",
    "maplibre-gl-csp-worker.js",
];

/// `GET /assets/maplibre-gl/{file}`: MapLibre GL JS as embedded at build time, or from the
/// `dist` folder given with `--maplibre-dir` (e.g. to try another release without rebuilding).
pub async fn maplibre(
    State(st): State<Arc<AppState>>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no asset {file:?}"),
        )
    };
    let bytes: std::borrow::Cow<'static, [u8]> = match &st.web.maplibre_dir {
        None => assets::MAPLIBRE
            .iter()
            .find(|(n, _)| *n == file)
            .map(|(_, b)| (*b).into())
            .ok_or_else(not_found)?,
        Some(dir) => {
            if !MAPLIBRE_FILES.contains(&file.as_str()) {
                return Err(not_found());
            }
            let path = dir.join(&file);
            tokio::fs::read(&path)
                .await
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::NOT_FOUND,
                        "asset_missing",
                        format!("{} is missing (from --maplibre-dir)", path.display()),
                    )
                })?
                .into()
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type(&file)),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response())
}
