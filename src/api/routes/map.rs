//! The map page and what it loads: the page itself (embedded from `web/`), MapLibre GL JS
//! (embedded at build time, or from `--maplibre-dir`), the style's sprite (its fill patterns)
//! and the label points of its zones.

use super::tiles::year_of;
use crate::api::error::{internal, ApiError};
use crate::api::extract::{Params, YearQuery};
use crate::api::state::AppState;
use crate::assets;
use crate::render::sprite;
use crate::tiles::{self, labels};
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
        Some("png") => "image/png",
        Some("geojson") => "application/geo+json",
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

/// `GET /sprites/{file}`: the style's sprite, `ecospace.json` and `ecospace.png` (and `@2x` of
/// both for high-density screens), drawn by [`sprite`]; the style names it `/sprites/ecospace`.
pub async fn sprite_file(Path(file): Path<String>) -> Result<Response, ApiError> {
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no sprite file {file:?} (ecospace.json, ecospace.png, ecospace@2x.…)"),
        )
    };
    let (stem, ext) = file.rsplit_once('.').ok_or_else(not_found)?;
    let ratio = match stem {
        "ecospace" => 1,
        "ecospace@2x" => 2,
        _ => return Err(not_found()),
    };
    let body = match ext {
        "json" => sprite::index_json(ratio).into_bytes(),
        "png" => sprite::png(ratio).map_err(internal)?,
        _ => return Err(not_found()),
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type(&file)),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response())
}

/// `GET /labels/{layers}` (also `{layers}.geojson`): one label point per feature of the layers
/// in force in the year, as GeoJSON: a map names each zone once there, however the tiles cut it.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/labels/{layers}", tag = "Map",
    params(("layers" = String, Path, description = "Comma-separated layer ids (also `{layers}.geojson`)"), YearQuery),
    responses((status = 200, description = "GeoJSON FeatureCollection of Points: each feature's own properties plus `layer`, `id` and `area_m2` (zones) or `length_m` (lines)", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Unknown layer or bad parameter", body = crate::api::error::ErrorBody))))]
pub async fn label_points(
    State(st): State<Arc<AppState>>,
    Path(layers): Path<String>,
    Params(q): Params<YearQuery>,
) -> Result<Response, ApiError> {
    let list = layers.strip_suffix(".geojson").unwrap_or(&layers);
    let year = year_of(&q)?;
    let ds = st.dataset();
    let ls = tiles::parse_layers(&ds, list)?;
    let body = serde_json::to_vec(&labels::label_points(&ls, year)).map_err(internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/geo+json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response())
}

/// `GET /basemap/tianditu/{layer}/{z}/{x}/{y}`: a Tianditu tile fetched with the server's key
/// (`/map?basemap=tianditu` draws from here), so the key never reaches the browser.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/basemap/tianditu/{layer}/{z}/{x}/{y}", tag = "Map",
    params(("layer" = String, Path, description = "`vec`, `cva` (its labels), `img`, `cia`, `ter`, `cta`"),
        ("z" = u32, Path, description = "Zoom", maximum = 18), ("x" = u32, Path, description = "Column"),
        ("y" = u32, Path, description = "Row (XYZ)")),
    responses(
        (status = 200, description = "The tile as Tianditu gave it", body = Vec<u8>, content_type = "image/png"),
        (status = 404, description = "No key configured, or not a layer or tile", body = crate::api::error::ErrorBody),
        (status = 502, description = "Tianditu did not give the tile", body = crate::api::error::ErrorBody),
    )))]
pub async fn tianditu(
    State(st): State<Arc<AppState>>,
    Path((layer, z, x, y)): Path<(String, String, String, String)>,
) -> Result<Response, ApiError> {
    use crate::service::basemap::BasemapError;
    let source = st.web.tianditu.clone().ok_or(BasemapError::NotConfigured)?;
    let n = |s: &str| s.parse::<u32>().ok();
    let id = match (n(&z), n(&x), n(&y)) {
        (Some(z), Some(x), Some(y)) => tiles::TileId::new(z, x, y).ok(),
        _ => None,
    }
    .ok_or_else(|| BasemapError::NotFound(format!("no tile {z}/{x}/{y} (zoom 0–18)")))?;
    let tile = tokio::task::spawn_blocking(move || source.fetch(&layer, id.z, id.x, id.y))
        .await
        .map_err(internal)??;
    Ok((
        [
            (header::CONTENT_TYPE, tile.content_type),
            (header::CACHE_CONTROL, "public, max-age=86400".to_string()),
        ],
        tile.body,
    )
        .into_response())
}
