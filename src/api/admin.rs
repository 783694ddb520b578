//! Admin routes: they exist only when an admin token is configured, and need
//! `Authorization: Bearer <token>` (401 without it, 403 with a wrong one).

use super::{ApiError, AppState};
use axum::extract::{Request, State};
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
        .map_err(super::internal)?;
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
    let reload = st.reload.lock().map(|r| r.clone()).unwrap_or_default();
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

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq_is_equality() {
        assert!(super::constant_time_eq(b"secret", b"secret"));
        assert!(!super::constant_time_eq(b"secret", b"secreT"));
        assert!(!super::constant_time_eq(b"secret", b"secret1"));
    }
}
