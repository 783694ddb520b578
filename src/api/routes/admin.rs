//! Admin routes: they exist only when an admin token is configured, and need
//! `Authorization: Bearer <token>` (401 without it, 403 with a wrong one).

use crate::api::error::{internal, ApiError};
use crate::api::extract::{Body, Params};
use crate::api::state::AppState;
use crate::data::store::{Change, History, Installed, Store, StoreError};
use crate::query::site::check_depth;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

/// Compares secrets in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Middleware guarding the admin routes.
pub async fn require_token(
    State(st): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(token) = st.web.admin_token.as_deref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such route",
        ));
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "admin routes need `Authorization: Bearer <token>`",
        )),
        Some(g) if constant_time_eq(g.as_bytes(), token.as_bytes()) => Ok(next.run(req).await),
        Some(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the admin token is not valid",
        )),
    }
}

/// `POST /admin/reload`: rebuild the snapshot from its source; the old one serves until the
/// new one is complete, and keeps serving if the new one fails validation.
pub async fn reload(State(st): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let st2 = Arc::clone(&st);
    let result = tokio::task::spawn_blocking(move || st2.reload())
        .await
        .map_err(internal)?;
    match result {
        Ok(ds) => Ok(Json(
            json!({"status": "reloaded", "version": ds.version, "features": ds.feature_count()}),
        )),
        Err(e) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reload_failed",
            format!("{e}; still serving version {}", st.dataset().version),
        )),
    }
}

/// `GET /admin/status`: the snapshot being served and the last reload's outcome.
pub async fn status(State(st): State<Arc<AppState>>) -> Json<Value> {
    let ds = st.dataset();
    let reload = st.live.reload_status();
    let (entries, bytes, hits, misses) = st.tile_cache.stats();
    Json(json!({
        "version": ds.version,
        "origin": format!("{:?}", ds.origin),
        "layers": ds.layers.len(),
        "features": ds.feature_count(),
        "reload": reload,
        "tile_cache": {"entries": entries, "bytes": bytes, "hits": hits, "misses": misses},
    }))
}

/// Who changes a layer and why (kept in its history).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeQuery {
    author: Option<String>,
    message: Option<String>,
    /// For rollback: the version to restore.
    to: Option<String>,
}

impl ChangeQuery {
    /// The author from `?author=` or the `X-Ecospace-Author` header.
    fn change(&self, headers: &axum::http::HeaderMap) -> Result<Change, StoreError> {
        let header = headers
            .get("x-ecospace-author")
            .and_then(|v| v.to_str().ok());
        Change::new(self.author.as_deref().or(header), self.message.as_deref())
    }
}

/// Runs a store operation on a blocking thread (it fsyncs) and swaps in its snapshot.
async fn install(
    st: Arc<AppState>,
    f: impl FnOnce(&Store) -> Result<Installed, StoreError> + Send + 'static,
) -> Result<Json<Value>, ApiError> {
    let st2 = Arc::clone(&st);
    let (ds, version) = tokio::task::spawn_blocking(move || st2.live.update_layer(f))
        .await
        .map_err(internal)??;
    Ok(Json(json!({
        "status": "installed",
        "layer_version": version,
        "version": ds.version,
        "features": ds.feature_count(),
    })))
}

/// `PUT /admin/layers/{id}?author=…&message=…`: validate the body (the layer file's new
/// content: GeoJSON, or the GeoPackage/… bytes of a GDAL layer), keep it in the history,
/// swap it in atomically and serve it. Refused bodies write nothing.
pub async fn put_layer(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    Params(q): Params<ChangeQuery>,
    headers: axum::http::HeaderMap,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    if q.to.is_some() {
        return Err(StoreError::InvalidParameter {
            name: "to",
            message: "only rollback takes `to`".into(),
        }
        .into());
    }
    let change = q.change(&headers)?;
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        check_depth(&body, st.limits.max_depth)?;
    }
    install(st, move |store| store.update(&id, &body, &change)).await
}

/// `POST /admin/layers/{id}/rollback?to=…&author=…`: install an earlier version again.
pub async fn rollback(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    Params(q): Params<ChangeQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let change = q.change(&headers)?;
    let Some(to) = q.to.clone() else {
        return Err(StoreError::InvalidParameter {
            name: "to",
            message: "name the version to restore (`?to=000001`); see the layer's history".into(),
        }
        .into());
    };
    install(st, move |store| store.rollback(&id, &to, &change)).await
}

/// `GET /admin/layers/{id}/history`: every version, oldest first, the current one marked.
pub async fn history(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<History>, ApiError> {
    let store = Store::of(&st.dataset())?;
    let h = tokio::task::spawn_blocking(move || store.history(&id))
        .await
        .map_err(internal)??;
    Ok(Json(h))
}

/// `GET /admin/layers/{id}/history/{version}`: the file of one version, as it was.
pub async fn version_file(
    State(st): State<Arc<AppState>>,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let store = Store::of(&st.dataset())?;
    let (v, bytes) = tokio::task::spawn_blocking(move || store.read_version(&id, &version))
        .await
        .map_err(internal)??;
    // GeoJSON layers are text starting with `{`; GDAL layers (GeoPackage, …) are binary.
    let json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let ty = if json {
        "application/geo+json"
    } else {
        "application/octet-stream"
    };
    Response::builder()
        .header(header::CONTENT_TYPE, ty)
        .header("X-Ecospace-Layer-Version", v.id)
        .body(axum::body::Body::from(bytes))
        .map_err(internal)
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq_is_equality() {
        assert!(super::constant_time_eq(b"secret", b"secret"));
        assert!(!super::constant_time_eq(b"secret", b"secreT"));
        assert!(!super::constant_time_eq(b"secret", b"secret1"));
    }
}
