//! OGC API – Tiles (core, tileset, tilesets-list, geodata-tilesets, mvt): the WebMercatorQuad
//! tile matrix set, a tileset per collection, and its tiles at
//! `…/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}` — row before column, the reverse
//! of `/tiles/{z}/{x}/{y}` — answered by the same renderer and cache ([`super::tiles::serve_tile`]).

use super::features::{layer, FormatQuery};
use super::tiles::{base_url, serve_tile, year_of};
use crate::api::error::ApiError;
use crate::api::extract::{Params, YearQuery};
use crate::api::state::AppState;
use crate::tiles::matrix::{self, TileMatrixSet, TileSet, TileSets, WEB_MERCATOR_QUAD};
use crate::tiles::TileId;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use serde::Serialize;
use std::sync::Arc;

/// The tile matrix sets served (one).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TileMatrixSets {
    /// Id, title, URI and link of each.
    pub tile_matrix_sets: Vec<TileMatrixSetRef>,
}

/// A tile matrix set in the list.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TileMatrixSetRef {
    /// `WebMercatorQuad`.
    pub id: &'static str,
    /// For people.
    pub title: &'static str,
    /// The registered URI.
    pub uri: &'static str,
    /// Its definition here.
    pub links: Vec<matrix::TilesLink>,
}

fn not_found(what: String) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", what)
}

fn only_web_mercator(tms: &str) -> Result<(), ApiError> {
    if tms == WEB_MERCATOR_QUAD {
        Ok(())
    } else {
        Err(not_found(format!(
            "no tile matrix set {tms:?}; served: {WEB_MERCATOR_QUAD}"
        )))
    }
}

/// The tile matrix sets.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/tileMatrixSets", tag = "OGC API – Tiles", params(FormatQuery),
    responses((status = 200, description = "WebMercatorQuad", body = TileMatrixSets),
        (status = 400, description = "Unknown parameter", body = crate::api::error::ErrorBody))))]
pub async fn tile_matrix_sets(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Params(_): Params<FormatQuery>,
) -> Json<TileMatrixSets> {
    let t = matrix::web_mercator_quad();
    Json(TileMatrixSets {
        tile_matrix_sets: vec![TileMatrixSetRef {
            id: t.id,
            title: t.title,
            uri: t.uri,
            links: vec![matrix::TilesLink {
                href: format!("{}/tileMatrixSets/{}", base_url(&st, &headers), t.id),
                rel: "self".into(),
                media_type: "application/json".into(),
                templated: false,
            }],
        }],
    })
}

/// One tile matrix set's definition.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/tileMatrixSets/{tileMatrixSetId}", tag = "OGC API – Tiles",
    params(("tileMatrixSetId" = String, Path, description = "`WebMercatorQuad`"), FormatQuery),
    responses((status = 200, description = "The definition, zoom 0 to the highest served", body = TileMatrixSet),
        (status = 400, description = "Unknown parameter", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such tile matrix set", body = crate::api::error::ErrorBody))))]
pub async fn tile_matrix_set(
    Path(tms): Path<String>,
    Params(_): Params<FormatQuery>,
) -> Result<Json<TileMatrixSet>, ApiError> {
    only_web_mercator(&tms)?;
    Ok(Json(matrix::web_mercator_quad()))
}

/// The tilesets of a collection.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections/{collectionId}/tiles", tag = "OGC API – Tiles",
    params(("collectionId" = String, Path, description = "A layer id"), FormatQuery),
    responses((status = 200, description = "One tileset, in WebMercatorQuad", body = TileSets),
        (status = 400, description = "Unknown parameter", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection", body = crate::api::error::ErrorBody))))]
pub async fn collection_tilesets(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Params(_): Params<FormatQuery>,
) -> Result<Json<TileSets>, ApiError> {
    let ds = st.dataset();
    Ok(Json(matrix::tilesets(
        layer(&ds, &id)?,
        &base_url(&st, &headers),
    )))
}

/// A collection's tileset in a tile matrix set.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections/{collectionId}/tiles/{tileMatrixSetId}", tag = "OGC API – Tiles",
    params(("collectionId" = String, Path, description = "A layer id"),
        ("tileMatrixSetId" = String, Path, description = "`WebMercatorQuad`"), FormatQuery),
    responses((status = 200, description = "The tileset: limits per zoom, layers, the tile URL template", body = TileSet),
        (status = 400, description = "Unknown parameter", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection or tile matrix set", body = crate::api::error::ErrorBody))))]
pub async fn collection_tileset(
    State(st): State<Arc<AppState>>,
    Path((id, tms)): Path<(String, String)>,
    headers: HeaderMap,
    Params(_): Params<FormatQuery>,
) -> Result<Json<TileSet>, ApiError> {
    only_web_mercator(&tms)?;
    let ds = st.dataset();
    Ok(Json(matrix::tileset(
        layer(&ds, &id)?,
        &base_url(&st, &headers),
        true,
    )))
}

/// A tile of a collection: `{tileMatrix}/{tileRow}/{tileCol}` (z/y/x).
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}", tag = "OGC API – Tiles",
    params(("collectionId" = String, Path, description = "A layer id"),
        ("tileMatrixSetId" = String, Path, description = "`WebMercatorQuad`"),
        ("tileMatrix" = u32, Path, description = "Zoom", maximum = 18),
        ("tileRow" = u32, Path, description = "Row, from the top (XYZ `y`)"),
        ("tileCol" = u32, Path, description = "Column (XYZ `x`)"),
        YearQuery),
    responses(
        (status = 200, description = "The tile", body = Vec<u8>, content_type = "application/vnd.mapbox-vector-tile"),
        (status = 204, description = "Empty tile"),
        (status = 304, description = "Unchanged (`If-None-Match`)"),
        (status = 400, description = "Bad parameter", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection or tile matrix set, or the tile is outside the matrix", body = crate::api::error::ErrorBody),
    )))]
pub async fn collection_tile(
    State(st): State<Arc<AppState>>,
    Path((id, tms, z, row, col)): Path<(String, String, String, String, String)>,
    headers: HeaderMap,
    Params(q): Params<YearQuery>,
) -> Result<Response, ApiError> {
    only_web_mercator(&tms)?;
    layer(&st.dataset(), &id)?;
    // The standard answers a tile outside the matrix with 404, not 400.
    let n = |s: &str| s.parse::<u32>().ok();
    let tile = match (n(&z), n(&row), n(&col)) {
        (Some(z), Some(row), Some(col)) => TileId::new(z, col, row).ok(),
        _ => None,
    }
    .ok_or_else(|| {
        not_found(format!(
            "no tile {z}/{row}/{col} in {WEB_MERCATOR_QUAD} (zoom 0–{}, row and column below 2^zoom)",
            crate::tiles::MAX_ZOOM
        ))
    })?;
    serve_tile(st, &id, tile, (year_of(&q)?, None), &headers).await
}
