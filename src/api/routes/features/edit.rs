//! OGC API – Features Part 4 (create, replace, update, delete) behind the admin token: how a
//! planner edits the red line from QGIS. Each edit is a new version of the layer file made by
//! [`crate::data::edit`] and installed by the same path as `PUT /admin/layers/{id}` — validated
//! with the whole dataset, kept in the history with the token's name as author, swapped in
//! atomically, audited, and followed by the registry's re-screening. `If-Match` with the
//! feature's `ETag` makes a stale edit a 412 instead of a silent overwrite.

use super::{base_url, layer};
use crate::api::error::{internal, ApiError};
use crate::api::extract::{Body, Params};
use crate::api::routes::admin::{install, Actor, ChangeQuery};
use crate::api::state::AppState;
use crate::data::edit::{etag, Edit};
use crate::data::store::StoreError;
use crate::query::site::{check_depth, SiteError};
use axum::extract::{Extension, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, OnceLock};

fn feature_body(st: &AppState, body: &[u8]) -> Result<serde_json::Value, ApiError> {
    check_depth(body, st.limits.max_depth)?;
    serde_json::from_slice(body).map_err(|e| SiteError::InvalidJson(e.to_string()).into())
}

/// Runs one edit through the store and answers it: the install report with the feature's id,
/// its new `ETag`, and for a creation 201 with `Location`.
async fn run(
    st: Arc<AppState>,
    actor: Actor,
    (collection, q, headers): (String, ChangeQuery, HeaderMap),
    edit: Edit,
) -> Result<Response, ApiError> {
    if q.to.is_some() {
        return Err(StoreError::InvalidParameter {
            name: "to",
            message: "only rollback takes `to`".into(),
        }
        .into());
    }
    layer(&st.dataset(), &collection)?;
    let change = q.change(&headers, &actor)?;
    let if_match = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let created = matches!(edit, Edit::Create(_));
    let action = edit.action();
    let fid = Arc::new(OnceLock::new());
    let (fid2, name) = (Arc::clone(&fid), collection.clone());
    let body = serde_json::to_vec(&match &edit {
        Edit::Create(v) | Edit::Replace(_, v) | Edit::Patch(_, v) => v.clone(),
        Edit::Delete(id) => serde_json::Value::String(id.clone()),
    })
    .map_err(internal)?;
    let base = base_url(&st, &headers);
    let st2 = Arc::clone(&st);
    let axum::Json(mut report) = install(st2, &actor, (action, &body), move |store| {
        let (installed, id) = store.edit(&name, edit, if_match.as_deref(), &change)?;
        let _ = fid2.set(id);
        Ok(installed)
    })
    .await?;
    let id = fid.get().cloned().unwrap_or_default();
    let tag = etag(report["layer_version"]["hash"].as_str().unwrap_or(""));
    report["id"] = serde_json::Value::String(id.clone());
    let mut res = axum::Json(report).into_response();
    let h = res.headers_mut();
    h.insert(header::ETAG, HeaderValue::from_str(&tag).map_err(internal)?);
    if created {
        *res.status_mut() = StatusCode::CREATED;
        let location = format!("{base}/collections/{collection}/items/{id}");
        res.headers_mut().insert(
            header::LOCATION,
            HeaderValue::from_str(&location).map_err(internal)?,
        );
    }
    Ok(res)
}

/// `POST /collections/{id}/items`: add a feature (a GeoJSON Feature; without an `id` one is
/// made, `{layer}-{n}`).
#[cfg_attr(feature = "openapi", utoipa::path(post, path = "/collections/{collectionId}/items", tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "A GeoJSON layer's id"),
        ("author" = Option<String>, Query, description = "Who edits (default: the token's name)"),
        ("message" = Option<String>, Query, description = "Why (default: what the edit did)")),
    request_body(content = Object, description = "A GeoJSON Feature", content_type = "application/geo+json"),
    security(("token" = [])),
    responses(
        (status = 201, description = "Installed as a new layer version; `Location` names the feature, `ETag` the layer's new state", body = Object),
        (status = 400, description = "Not a Feature, or a bad parameter", body = crate::api::error::ErrorBody),
        (status = 401, description = "No token", body = crate::api::error::ErrorBody),
        (status = 403, description = "Not an admin token", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection", body = crate::api::error::ErrorBody),
        (status = 409, description = "The id is taken, or the data is the read-only bundled copy", body = crate::api::error::ErrorBody),
        (status = 412, description = "`If-Match` names an older state of the layer", body = crate::api::error::ErrorBody),
        (status = 415, description = "A GDAL layer: replace its file instead", body = crate::api::error::ErrorBody),
        (status = 422, description = "The layer with it does not validate (nothing was written)", body = crate::api::error::ErrorBody),
    )))]
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    Params(q): Params<ChangeQuery>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let f = feature_body(&st, &body)?;
    run(st, actor, (id, q, headers), Edit::Create(f)).await
}

/// `PUT /collections/{id}/items/{fid}`: replace a feature.
#[cfg_attr(feature = "openapi", utoipa::path(put, path = "/collections/{collectionId}/items/{featureId}", tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "A GeoJSON layer's id"),
        ("featureId" = String, Path, description = "The feature's id"),
        ("author" = Option<String>, Query, description = "Who edits (default: the token's name)"),
        ("message" = Option<String>, Query, description = "Why (default: what the edit did)")),
    request_body(content = Object, description = "The whole new GeoJSON Feature", content_type = "application/geo+json"),
    security(("token" = [])),
    responses(
        (status = 200, description = "Installed as a new layer version", body = Object),
        (status = 400, description = "Not a Feature, or a bad parameter", body = crate::api::error::ErrorBody),
        (status = 401, description = "No token", body = crate::api::error::ErrorBody),
        (status = 403, description = "Not an admin token", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection or feature", body = crate::api::error::ErrorBody),
        (status = 412, description = "`If-Match` names an older state of the layer", body = crate::api::error::ErrorBody),
        (status = 422, description = "The layer with it does not validate (nothing was written)", body = crate::api::error::ErrorBody),
    )))]
pub async fn replace(
    State(st): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    Path((id, fid)): Path<(String, String)>,
    Params(q): Params<ChangeQuery>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let f = feature_body(&st, &body)?;
    run(st, actor, (id, q, headers), Edit::Replace(fid, f)).await
}

/// `PATCH /collections/{id}/items/{fid}`: a JSON Merge Patch (RFC 7396) of the feature.
#[cfg_attr(feature = "openapi", utoipa::path(patch, path = "/collections/{collectionId}/items/{featureId}", tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "A GeoJSON layer's id"),
        ("featureId" = String, Path, description = "The feature's id"),
        ("author" = Option<String>, Query, description = "Who edits (default: the token's name)"),
        ("message" = Option<String>, Query, description = "Why (default: what the edit did)")),
    request_body(content = Object, description = "A JSON Merge Patch of the Feature (`null` removes a member)", content_type = "application/merge-patch+json"),
    security(("token" = [])),
    responses(
        (status = 200, description = "Installed as a new layer version", body = Object),
        (status = 400, description = "Not a merge patch, or a bad parameter", body = crate::api::error::ErrorBody),
        (status = 401, description = "No token", body = crate::api::error::ErrorBody),
        (status = 403, description = "Not an admin token", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection or feature", body = crate::api::error::ErrorBody),
        (status = 412, description = "`If-Match` names an older state of the layer", body = crate::api::error::ErrorBody),
        (status = 422, description = "The layer with it does not validate (nothing was written)", body = crate::api::error::ErrorBody),
    )))]
pub async fn patch(
    State(st): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    Path((id, fid)): Path<(String, String)>,
    Params(q): Params<ChangeQuery>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let p = feature_body(&st, &body)?;
    run(st, actor, (id, q, headers), Edit::Patch(fid, p)).await
}

/// `DELETE /collections/{id}/items/{fid}`.
#[cfg_attr(feature = "openapi", utoipa::path(delete, path = "/collections/{collectionId}/items/{featureId}", tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "A GeoJSON layer's id"),
        ("featureId" = String, Path, description = "The feature's id"),
        ("author" = Option<String>, Query, description = "Who edits (default: the token's name)"),
        ("message" = Option<String>, Query, description = "Why (default: what the edit did)")),
    security(("token" = [])),
    responses(
        (status = 200, description = "Installed as a new layer version", body = Object),
        (status = 401, description = "No token", body = crate::api::error::ErrorBody),
        (status = 403, description = "Not an admin token", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection or feature", body = crate::api::error::ErrorBody),
        (status = 412, description = "`If-Match` names an older state of the layer", body = crate::api::error::ErrorBody),
        (status = 422, description = "The layer without it does not validate (nothing was written)", body = crate::api::error::ErrorBody),
    )))]
pub async fn delete(
    State(st): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    Path((id, fid)): Path<(String, String)>,
    Params(q): Params<ChangeQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    run(st, actor, (id, q, headers), Edit::Delete(fid)).await
}

fn allow(methods: &str) -> Response {
    (
        StatusCode::NO_CONTENT,
        [(
            header::ALLOW,
            HeaderValue::from_str(methods).unwrap_or(HeaderValue::from_static("GET")),
        )],
    )
        .into_response()
}

/// `OPTIONS /collections/{id}/items`: what may be done (QGIS asks before it offers editing).
#[cfg_attr(feature = "openapi", utoipa::path(options, path = "/collections/{collectionId}/items", tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "A layer id")),
    responses((status = 204, description = "`Allow`: GET, HEAD, OPTIONS, and POST when an admin token is configured",
        headers(("Allow" = String, description = "The methods allowed"))),
        (status = 404, description = "No such collection", body = crate::api::error::ErrorBody))))]
pub async fn options_items(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    layer(&st.dataset(), &id)?;
    Ok(allow(if st.web.has_admin() {
        "GET, HEAD, OPTIONS, POST"
    } else {
        "GET, HEAD, OPTIONS"
    }))
}

/// `OPTIONS /collections/{id}/items/{fid}`.
#[cfg_attr(feature = "openapi", utoipa::path(options, path = "/collections/{collectionId}/items/{featureId}", tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "A layer id"),
        ("featureId" = String, Path, description = "A feature id")),
    responses((status = 204, description = "`Allow`: GET, HEAD, OPTIONS, and PUT, PATCH, DELETE when an admin token is configured",
        headers(("Allow" = String, description = "The methods allowed"))),
        (status = 404, description = "No such collection", body = crate::api::error::ErrorBody))))]
pub async fn options_item(
    State(st): State<Arc<AppState>>,
    Path((id, _fid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    layer(&st.dataset(), &id)?;
    Ok(allow(if st.web.has_admin() {
        "GET, HEAD, OPTIONS, PUT, PATCH, DELETE"
    } else {
        "GET, HEAD, OPTIONS"
    }))
}
