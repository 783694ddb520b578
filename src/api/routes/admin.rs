//! Admin routes: they exist only when an admin token is configured, and need
//! `Authorization: Bearer <token>` (401 without it, 403 with a wrong one).

use crate::api::error::{internal, ApiError};
use crate::api::extract::{Body, Params};
use crate::api::state::AppState;
use crate::data::store::{Change, History, Installed, Store, StoreError};
use crate::query::site::check_depth;
use crate::registry::{sha256, AuditEntry, RegistryError};
use crate::service::Role;
use axum::extract::{Extension, Path, Request, State};
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

/// Who made a request: the name of the token it carried (never the token). The guards put it
/// in the request's extensions for the handlers.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The token's name, as records and logs show it.
    pub name: String,
}

/// The actor of a request that carries a token of at least role `need`: 401 without a token,
/// 403 with one that is unknown or of a lesser role.
fn authorise(st: &AppState, req: &Request, need: Role) -> Result<Actor, ApiError> {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let what = match need {
        Role::Admin => "admin routes need `Authorization: Bearer <admin token>`",
        Role::Planner => {
            "the project registry needs `Authorization: Bearer <token>` (a planner or admin token of the config file's [[tokens]])"
        }
    };
    let Some(given) = given else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            what,
        ));
    };
    // Every token is compared, so the time taken does not say which one came close.
    let mut found = None;
    for t in st.web.all_tokens() {
        if constant_time_eq(given.as_bytes(), t.secret.as_bytes()) {
            found = Some(t);
        }
    }
    match found {
        Some(t) if t.role >= need => Ok(Actor { name: t.name }),
        Some(t) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "token {:?} is a planner token; this route needs an admin token",
                t.name
            ),
        )),
        None => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the token is not valid",
        )),
    }
}

/// Middleware guarding the admin routes: an admin token.
pub async fn require_token(
    State(st): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if !st.web.has_admin() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such route",
        ));
    }
    let actor = authorise(&st, &req, Role::Admin)?;
    req.extensions_mut().insert(actor);
    Ok(next.run(req).await)
}

/// Middleware guarding the project registry: a planner or admin token (project sites are not
/// public).
pub async fn require_planner(
    State(st): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let actor = authorise(&st, &req, Role::Planner)?;
    req.extensions_mut().insert(actor);
    Ok(next.run(req).await)
}

/// Runs registry work on a blocking thread (SQLite and PostgreSQL calls block; PostgreSQL's
/// client runs its own runtime, which must not be entered from a worker).
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, RegistryError> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(tokio::task::spawn_blocking(f).await.map_err(internal)??)
}

/// Records an admin write in the registry's audit log, when there is a registry. The write
/// itself has happened: a failure to record it is logged, not answered as a failure of the
/// write (the data version is recorded again at the next re-screening pass).
pub(crate) async fn audit(st: &AppState, actor: &Actor, action: &str, target: &str, body: &[u8]) {
    let Some((reg, _)) = st.registry.clone() else {
        return;
    };
    // The database calls block (and PostgreSQL's client runs its own runtime): off the workers.
    let (name, act, tgt, digest) = (
        actor.name.clone(),
        action.to_string(),
        target.to_string(),
        sha256(body),
    );
    let written = tokio::task::spawn_blocking(move || reg.append_audit(&name, &act, &tgt, &digest))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    if let Err(e) = written {
        tracing::error!(error = %e, action, target, "cannot record an admin write in the audit log");
    }
}

/// `POST /admin/reload`: rebuild the snapshot from its source; the old one serves until the
/// new one is complete, and keeps serving if the new one fails validation.
pub async fn reload(
    State(st): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
) -> Result<Json<Value>, ApiError> {
    let st2 = Arc::clone(&st);
    let result = tokio::task::spawn_blocking(move || st2.reload())
        .await
        .map_err(internal)?;
    match result {
        Ok(ds) => {
            st.serve_from(&ds);
            audit(&st, &actor, "data.reload", &ds.version, b"").await;
            Ok(Json(
                json!({"status": "reloaded", "version": ds.version, "features": ds.feature_count()}),
            ))
        }
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
        "rescreening": st.registry.as_ref().map(|(_, r)| r.status()),
        "registry": st.registry.as_ref().map(|(r, _)| r.location()),
    }))
}

/// Who changes a layer and why (kept in its history).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeQuery {
    author: Option<String>,
    message: Option<String>,
    /// For rollback: the version to restore.
    pub(crate) to: Option<String>,
}

impl ChangeQuery {
    /// The author from `?author=` or the `X-Ecospace-Author` header, else the token's name.
    pub(crate) fn change(
        &self,
        headers: &axum::http::HeaderMap,
        actor: &Actor,
    ) -> Result<Change, StoreError> {
        let header = headers
            .get("x-ecospace-author")
            .and_then(|v| v.to_str().ok());
        Change::new(
            Some(self.author.as_deref().or(header).unwrap_or(&actor.name)),
            self.message.as_deref(),
        )
    }
}

/// Runs a store operation on a blocking thread (it fsyncs) and swaps in its snapshot.
pub(crate) async fn install(
    st: Arc<AppState>,
    actor: &Actor,
    (action, body): (&str, &[u8]),
    f: impl FnOnce(&Store) -> Result<Installed, StoreError> + Send + 'static,
) -> Result<Json<Value>, ApiError> {
    let st2 = Arc::clone(&st);
    let (ds, version) = tokio::task::spawn_blocking(move || st2.live.update_layer(f))
        .await
        .map_err(internal)??;
    st.serve_from(&ds);
    audit(
        &st,
        actor,
        action,
        &format!(
            "{} {} (data version {})",
            version.layer, version.id, ds.version
        ),
        body,
    )
    .await;
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
    Extension(actor): Extension<Actor>,
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
    let change = q.change(&headers, &actor)?;
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        check_depth(&body, st.limits.max_depth)?;
    }
    let kept = body.clone();
    install(st, &actor, ("layer.update", &kept), move |store| {
        store.update(&id, &body, &change)
    })
    .await
}

/// `POST /admin/layers/{id}/rollback?to=…&author=…`: install an earlier version again.
pub async fn rollback(
    State(st): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    Params(q): Params<ChangeQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let change = q.change(&headers, &actor)?;
    let Some(to) = q.to.clone() else {
        return Err(StoreError::InvalidParameter {
            name: "to",
            message: "name the version to restore (`?to=000001`); see the layer's history".into(),
        }
        .into());
    };
    let what = format!("rollback {id} to {to}");
    install(
        st,
        &actor,
        ("layer.rollback", what.as_bytes()),
        move |store| store.rollback(&id, &to, &change),
    )
    .await
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

/// `GET /admin/audit`'s query.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// From this entry on (default 1).
    since: Option<i64>,
    /// At most this many entries (default 1000, at most 10000).
    limit: Option<i64>,
}

/// `GET /admin/audit?since=&limit=`: the append-only audit log of every admin and registry
/// write, each entry chained to the one before by SHA-256.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/admin/audit", tag = "Registry", security(("token" = [])),
    params(AuditQuery),
    responses((status = 200, description = "Audit entries from `since` on, oldest first", body = crate::registry::AuditLog),
        (status = 400, description = "Bad or unknown parameter", body = crate::api::error::ErrorBody),
        (status = 401, description = "No or an unknown token", body = crate::api::error::ErrorBody),
        (status = 403, description = "A planner token (the audit log is admin's)", body = crate::api::error::ErrorBody),
        (status = 404, description = "The service runs without a registry", body = crate::api::error::ErrorBody))))]
pub async fn audit_log(
    State(st): State<Arc<AppState>>,
    Params(q): Params<AuditQuery>,
) -> Result<Json<crate::registry::AuditLog>, ApiError> {
    let Some((reg, _)) = st.registry.clone() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "this service runs without a project registry, so it keeps no audit log",
        ));
    };
    let since = q.since.unwrap_or(1).max(1);
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000);
    let entries: Vec<AuditEntry> = blocking(move || reg.audit(since, limit)).await?;
    Ok(Json(crate::registry::AuditLog {
        since,
        limit,
        entries,
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
