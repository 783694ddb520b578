//! Map endpoints: vector tiles, TileJSON, the catalog, styles, glyph stubs, the map page and the
//! MapLibre assets. Static files are served from fixed lists, so no path can leave its folder.

use super::extract::Params;
use super::{ApiError, AppState};
use crate::dataset::embedded;
use crate::tiles::{self, cache::Key, tilejson, TileId};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    year: Option<i32>,
}

/// `scheme://host` of the request: from `X-Forwarded-Proto`/`-Host` when the server is told to
/// trust a proxy, else from `Host`.
pub(super) fn base_url(st: &AppState, headers: &HeaderMap) -> String {
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

fn year_of(q: &YearQuery) -> Result<i32, ApiError> {
    let y = q.year.unwrap_or_else(crate::current_year);
    crate::check::check_year(y)?;
    Ok(y)
}

/// `GET /tiles/{layers}` or `/tiles/{layers}.json`: TileJSON with absolute tile URLs.
pub async fn tilejson(
    State(st): State<Arc<AppState>>,
    Path(layers): Path<String>,
    headers: HeaderMap,
    Params(q): Params<YearQuery>,
) -> Result<Json<Value>, ApiError> {
    let list = layers.strip_suffix(".json").unwrap_or(&layers);
    let ds = &st.dataset();
    let ls = tiles::parse_layers(ds, list)?;
    let mut url = format!(
        "{}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt",
        base_url(&st, &headers),
        ls.iter().map(|l| l.id()).collect::<Vec<_>>().join(",")
    );
    if q.year.is_some() {
        url.push_str(&format!("?year={}", year_of(&q)?));
    }
    Ok(Json(tilejson::document(ds, &ls, &url)))
}

/// `GET /catalog`: every layer as a tile source, and one source with all of them.
pub async fn catalog(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&st, &headers);
    let ds = &st.dataset();
    let all = ds.layer_ids().join(",");
    let mut sources: Vec<Value> = ds
        .layers
        .iter()
        .map(|l| {
            json!({
                "id": l.id(), "title_zh": l.spec.title_zh, "title_en": l.spec.title_en,
                "kind": l.kind(), "features": l.features.len(), "bbox": l.bbox,
                "tilejson": format!("{base}/tiles/{}.json", l.id()),
            })
        })
        .collect();
    sources.push(json!({"id": all, "title_zh": "全部图层", "title_en": "All layers", "tilejson": format!("{base}/tiles/{all}.json")}));
    Json(
        json!({ "version": ds.version, "sources": sources, "styles": [format!("{base}/styles/ecospace.json")] }),
    )
}

/// `GET /tiles/{layers}/{z}/{x}/{y}.mvt`.
pub async fn tile(
    State(st): State<Arc<AppState>>,
    Path((layers, z, x, y)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    Params(q): Params<YearQuery>,
) -> Result<Response, ApiError> {
    let num = |name: &str, s: &str| {
        s.parse::<u32>().map_err(|_| {
            ApiError::from(crate::QueryError::param(
                name,
                format!("must be a whole number, got {s:?}"),
            ))
        })
    };
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "tiles end in .mvt (or .pbf)",
            )
        })?;
    let id = TileId::new(num("z", &z)?, num("x", &x)?, num("y", y)?)?;
    let year = year_of(&q)?;
    let ds = st.dataset();
    let names: Vec<String> = tiles::parse_layers(&ds, &layers)?
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
    };
    let st2 = Arc::clone(&st);
    let tile = tokio::task::spawn_blocking(move || {
        st2.tile_cache.get_or_render(key, || {
            let ls: Vec<_> = names.iter().filter_map(|n| ds.layer(n)).collect();
            tiles::render(&ls, id, year)
        })
    })
    .await
    .map_err(super::internal)?;

    let mut h = HeaderMap::new();
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&tile.etag).map_err(super::internal)?,
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
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|e| e.split(';').next().is_some_and(|n| n.trim() == "gzip"))
        });
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        Ok((h, tile.gzip().to_vec()).into_response())
    } else {
        Ok((h, body.clone()).into_response())
    }
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

/// `GET /styles/{name}`: an embedded style with absolute URLs.
pub async fn style(
    State(st): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let text = embedded::STYLES
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
    let mut v: Value = serde_json::from_str(text).map_err(super::internal)?;
    absolutise(&mut v, &base_url(&st, &headers));
    Ok(Json(v))
}

/// `GET /fonts/{stack}/{range}.pbf`: an empty glyph set. CJK labels are drawn by MapLibre from
/// local fonts (`localIdeographFontFamily`); this keeps the style valid offline.
pub async fn glyphs(Path((_stack, range)): Path<(String, String)>) -> Result<Response, ApiError> {
    if !range.ends_with(".pbf") {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "glyph ranges end in .pbf",
        ));
    }
    Ok((
        [(header::CONTENT_TYPE, "application/x-protobuf")],
        Vec::<u8>::new(),
    )
        .into_response())
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") | Some("map") => "application/json",
        _ => "application/octet-stream",
    }
}

/// `GET /map` and `/map/{file}`: the embedded map page.
pub async fn map_page() -> Result<Response, ApiError> {
    web_file(Path("map.html".to_string())).await
}

pub async fn web_file(Path(file): Path<String>) -> Result<Response, ApiError> {
    let text = embedded::WEB
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
        None => embedded::MAPLIBRE
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

#[cfg(test)]
mod tests {
    use super::*;

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
