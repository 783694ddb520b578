//! Map endpoints: vector tiles, TileJSON, the catalog, styles, glyph ranges, the map page and
//! the MapLibre assets. Static files are served from fixed lists, so no path can leave its folder.

use crate::api::error::{internal, ApiError};
use crate::api::extract::{Params, YearQuery};
use crate::api::state::AppState;
use crate::assets;
use crate::params::{check_year, current_year, QueryError};
use crate::spatial::crs::WebOffset;
use crate::tiles::glyphs::GlyphRange;
use crate::tiles::tilejson::{self, TileCatalog, TileJson};
use crate::tiles::{self, cache::Key, TileId};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use std::sync::Arc;

/// `scheme://host` of the request: from `X-Forwarded-Proto`/`-Host` when the server is told to
/// trust a proxy, else from `Host`.
pub fn base_url(st: &AppState, headers: &HeaderMap) -> String {
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(',').next().unwrap_or("").trim().to_string())
    };
    let (proto, host) = if st.web.trust_forwarded {
        (
            h("x-forwarded-proto"),
            h("x-forwarded-host").or_else(|| h("host")),
        )
    } else {
        (None, h("host"))
    };
    let host = host.filter(|s| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
    });
    format!(
        "{}://{}",
        proto
            .filter(|p| p == "http" || p == "https")
            .unwrap_or_else(|| "http".into()),
        host.unwrap_or_else(|| "localhost".into())
    )
}

/// The parameters of a tile or TileJSON: the year, and the grid of a Chinese web map.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct TileQuery {
    /// The year the layers are taken in: features in force that year (default: this year).
    #[cfg_attr(feature = "openapi", param(minimum = 1900, maximum = 2200))]
    pub year: Option<i32>,
    /// `GCJ02` (Amap, Tencent) or `BD09` (Baidu): draw the layers in that map's offset
    /// coordinates so they line up with its base map (default: lon/lat, for Tianditu, OSM …).
    #[cfg_attr(feature = "openapi", param(inline))]
    pub crs: Option<TileCrs>,
}

/// The coordinates a tile (or a `/zones` point) is in: lon/lat, or a web map's offset ones.
#[derive(Debug, Clone, Copy, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TileCrs {
    /// Lon/lat as it is (the default).
    #[serde(
        rename = "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        alias = "CRS84",
        alias = "OGC:CRS84"
    )]
    Crs84,
    /// Amap / Tencent.
    #[serde(rename = "GCJ02", alias = "gcj02", alias = "GCJ-02")]
    Gcj02,
    /// Baidu.
    #[serde(rename = "BD09", alias = "bd09", alias = "BD-09")]
    Bd09,
}

impl TileCrs {
    pub(super) fn offset(self) -> Option<WebOffset> {
        match self {
            TileCrs::Crs84 => None,
            TileCrs::Gcj02 => Some(WebOffset::Gcj02),
            TileCrs::Bd09 => Some(WebOffset::Bd09),
        }
    }

    fn name(self) -> Option<&'static str> {
        match self {
            TileCrs::Crs84 => None,
            TileCrs::Gcj02 => Some("GCJ02"),
            TileCrs::Bd09 => Some("BD09"),
        }
    }
}

/// The year asked for (default this year), checked.
pub(super) fn year_of(q: &YearQuery) -> Result<i32, ApiError> {
    let y = q.year.unwrap_or_else(current_year);
    check_year(y)?;
    Ok(y)
}

/// `GET /tiles/{layers}` or `/tiles/{layers}.json`: TileJSON with absolute tile URLs.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/tiles/{layers}", tag = "Map",
    params(("layers" = String, Path, description = "Comma-separated layer ids (also `{layers}.json`)"), TileQuery),
    responses((status = 200, description = "TileJSON 3.0.0", body = TileJson),
        (status = 400, description = "Unknown layer or bad parameter", body = crate::api::error::ErrorBody))))]
pub async fn tilejson(
    State(st): State<Arc<AppState>>,
    Path(layers): Path<String>,
    headers: HeaderMap,
    Params(q): Params<TileQuery>,
) -> Result<Json<TileJson>, ApiError> {
    let list = layers.strip_suffix(".json").unwrap_or(&layers);
    let ds = &st.dataset();
    let ls = tiles::parse_layers(ds, list)?;
    let mut url = format!(
        "{}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt",
        base_url(&st, &headers),
        ls.iter().map(|l| l.id()).collect::<Vec<_>>().join(",")
    );
    let mut query = Vec::new();
    if let Some(y) = q.year {
        query.push(format!("year={}", year_of(&YearQuery { year: Some(y) })?));
    }
    if let Some(c) = q.crs.and_then(TileCrs::name) {
        query.push(format!("crs={c}"));
    }
    if !query.is_empty() {
        url.push_str(&format!("?{}", query.join("&")));
    }
    Ok(Json(tilejson::document(ds, &ls, &url)))
}

/// `GET /catalog`: every layer as a tile source, and one source with all of them.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/catalog", tag = "Map",
    responses((status = 200, description = "Tile sources and styles", body = TileCatalog))))]
pub async fn catalog(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Json<TileCatalog> {
    Json(tilejson::catalog(&st.dataset(), &base_url(&st, &headers)))
}

/// `GET /tiles/{layers}/{z}/{x}/{y}.mvt` (also `.pbf`, or no extension): a Mapbox Vector Tile; gzip on
/// `Accept-Encoding: gzip`, 204 when empty, 304 on a matching `If-None-Match`.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/tiles/{layers}/{z}/{x}/{y}.mvt", tag = "Map",
    params(
        ("layers" = String, Path, description = "Comma-separated layer ids"),
        ("z" = u32, Path, description = "Zoom", maximum = 18),
        ("x" = u32, Path, description = "Column, below 2^z (outside the grid: 400)"),
        ("y" = u32, Path, description = "Row (XYZ scheme), below 2^z"),
        TileQuery,
    ),
    responses(
        (status = 200, description = "The tile", body = Vec<u8>, content_type = "application/vnd.mapbox-vector-tile"),
        (status = 204, description = "Empty tile"),
        (status = 304, description = "Unchanged (`If-None-Match`)"),
        (status = 400, description = "Bad tile address or parameter", body = crate::api::error::ErrorBody),
        (status = 404, description = "Not a tile path", body = crate::api::error::ErrorBody),
    )))]
pub async fn tile(
    State(st): State<Arc<AppState>>,
    Path((layers, z, x, y)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    Params(q): Params<TileQuery>,
) -> Result<Response, ApiError> {
    let num = |name: &str, s: &str| {
        s.parse::<u32>().map_err(|_| {
            ApiError::from(QueryError::param(
                name,
                format!("must be a whole number, got {s:?}"),
            ))
        })
    };
    // QGIS's xyz vector-tile source URI is often written without an extension: the bare form
    // is the same tile (before, a 404 that QGIS showed as a silent blank layer).
    let y = match y.strip_suffix(".mvt").or_else(|| y.strip_suffix(".pbf")) {
        Some(y) => y,
        None if !y.contains('.') => &y,
        None => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "tiles end in .mvt, .pbf or nothing (vector tiles only)",
            ))
        }
    };
    let id = TileId::new(num("z", &z)?, num("x", &x)?, num("y", y)?)?;
    let year = year_of(&YearQuery { year: q.year })?;
    serve_tile(
        st,
        &layers,
        id,
        (year, q.crs.and_then(TileCrs::offset)),
        &headers,
    )
    .await
}

/// A tile of `layers` from the cache or the renderer, with its ETag, gzip and 204/304 answers:
/// `/tiles/…` and OGC API – Tiles' `/collections/{id}/tiles/…` both answer through here.
pub(super) async fn serve_tile(
    st: Arc<AppState>,
    layers: &str,
    id: TileId,
    (year, offset): (i32, Option<WebOffset>),
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let ds = st.dataset();
    let names: Vec<String> = tiles::parse_layers(&ds, layers)?
        .iter()
        .map(|l| l.id().to_string())
        .collect();
    let key = Key {
        version: ds.version.clone(),
        layers: names.join(","),
        z: id.z,
        x: id.x,
        y: id.y,
        year,
        offset,
    };
    // A cached tile is answered on the event loop; only rendering goes to a blocking thread.
    let tile = match st.tile_cache.get(&key) {
        Some(tile) => tile,
        None => {
            let st2 = Arc::clone(&st);
            tokio::task::spawn_blocking(move || {
                st2.tile_cache.get_or_render(key, || {
                    let ls: Vec<_> = names.iter().filter_map(|n| ds.layer(n)).collect();
                    tiles::render_in(&ls, id, year, offset)
                })
            })
            .await
            .map_err(internal)?
        }
    };

    // Sized for these, the request id and CORS: a map grown insert by insert rehashes.
    let mut h = HeaderMap::with_capacity(12);
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&tile.etag).map_err(internal)?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == tile.etag || t.trim() == "*")
        });
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    let Some(body) = &tile.body else {
        return Ok((StatusCode::NO_CONTENT, h).into_response());
    };
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.mapbox-vector-tile"),
    );
    let body = if accepts_gzip(headers) {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        tile.gzip().clone()
    } else {
        body.clone()
    };
    let mut res = Response::new(axum::body::Body::from(body));
    *res.headers_mut() = h;
    Ok(res)
}

/// Makes root-relative URLs in a style (sources, tiles, glyphs, sprite) absolute.
fn absolutise(style: &mut Value, base: &str) {
    let fix = |v: &mut Value| {
        if let Some(s) = v.as_str().filter(|s| s.starts_with('/')) {
            *v = Value::String(format!("{base}{s}"));
        }
    };
    if let Some(v) = style.get_mut("glyphs") {
        fix(v);
    }
    if let Some(v) = style.get_mut("sprite") {
        fix(v);
    }
    if let Some(Value::Object(sources)) = style.get_mut("sources") {
        for src in sources.values_mut() {
            if let Some(v) = src.get_mut("url") {
                fix(v);
            }
            if let Some(Value::Array(ts)) = src.get_mut("tiles") {
                ts.iter_mut().for_each(fix);
            }
            if let Some(v) = src.get_mut("data") {
                fix(v);
            }
        }
    }
}

/// `GET /styles/{name}`: an embedded MapLibre style with absolute URLs.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/styles/{name}", tag = "Map",
    params(("name" = String, Path, description = "Style file name, e.g. `ecospace.json`")),
    responses((status = 200, description = "MapLibre style", body = Object),
        (status = 404, description = "No such style", body = crate::api::error::ErrorBody))))]
pub async fn style(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let text = assets::STYLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no style {name:?}"),
            )
        })?;
    let mut v: Value = serde_json::from_str(text).map_err(internal)?;
    absolutise(&mut v, &base_url(&st, &headers));
    Ok(Json(v))
}

/// `GET /fonts/{stack}/{range}.pbf`: 256 code points of the labels' font as signed distance
/// fields (`llmr.glyphs` protobuf), whatever the stack; 404 for a range that is not one, or when
/// the font is missing (the message names it).
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/fonts/{stack}/{range}.pbf", tag = "Map",
    params(
        ("stack" = String, Path, description = "Font stack, echoed in the answer; every stack is drawn from the server's font"),
        ("range" = String, Path, description = "`N-M` with N a multiple of 256 and M = N + 255, up to `65280-65535`"),
    ),
    responses(
        (status = 200, description = "The glyph range", body = Vec<u8>, content_type = "application/x-protobuf"),
        (status = 404, description = "Not a range, or no font (`font_unavailable`)", body = crate::api::error::ErrorBody),
    )))]
pub async fn glyphs(
    State(st): State<Arc<AppState>>,
    Path((stack, range)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let range = range.strip_suffix(".pbf").ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "glyph ranges end in .pbf",
        )
    })?;
    let range = GlyphRange::parse(range)?;
    // A built range is answered on the event loop; building one goes to a blocking thread.
    let body = match st.glyphs.cached(&stack, range)? {
        Some(body) => body,
        None => {
            let st2 = Arc::clone(&st);
            tokio::task::spawn_blocking(move || st2.glyphs.range(&stack, range))
                .await
                .map_err(internal)??
        }
    };
    // A range of ideographs is ~200 KB of SDF bitmaps that gzip to ~40 %: the map page loads
    // every range its labels need, so it is worth compressing (once per request; browsers keep
    // the answer for a day).
    if accepts_gzip(&headers) {
        use std::io::Write;
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(&body).map_err(internal)?;
        let gz = z.finish().map_err(internal)?;
        return Ok((
            [
                (header::CONTENT_TYPE, "application/x-protobuf"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            gz,
        )
            .into_response());
    }
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-protobuf"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response())
}

/// Whether the client takes `gzip` (`Accept-Encoding`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|e| e.split(';').next().is_some_and(|n| n.trim() == "gzip"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_root_relative_urls_are_rewritten() {
        let mut s = json!({"glyphs": "/fonts/{fontstack}/{range}.pbf", "sources": {
            "a": {"type": "vector", "url": "/tiles/redline.json"},
            "b": {"type": "raster", "tiles": ["https://t0.example/{z}/{x}/{y}", "/r/{z}/{x}/{y}.png"]}}});
        absolutise(&mut s, "http://h:1");
        assert_eq!(s["glyphs"], "http://h:1/fonts/{fontstack}/{range}.pbf");
        assert_eq!(s["sources"]["a"]["url"], "http://h:1/tiles/redline.json");
        assert_eq!(
            s["sources"]["b"]["tiles"],
            json!([
                "https://t0.example/{z}/{x}/{y}",
                "http://h:1/r/{z}/{x}/{y}.png"
            ])
        );
    }
}
