//! The project registry's routes, behind a planner or admin token: register a project (screened
//! at once), list and read them, change their name or status, their screenings (every one kept),
//! a manual re-screening, the replay of a stored screening, and the impacts of a data change.

use super::admin::{blocking, Actor};
use crate::api::error::ApiError;
use crate::api::extract::{Body, Params};
use crate::api::state::AppState;
use crate::registry::{
    self, impacts, replay, screen_manually, sha256, Impacts, Project, ProjectFilter, ProjectList,
    ProjectPatch, ProjectStatus, Registration, Registry, Replay, ScreeningList, StoredScreening,
};
use crate::service::rescreen::Rescreener;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;

type Reg = (Arc<Registry>, Arc<Rescreener>);

fn registry(st: &AppState) -> Result<Reg, ApiError> {
    st.registry.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "this service runs without a project registry",
        )
    })
}

/// `POST /projects`: a GeoJSON Feature (geometry = the site; properties `name`, `type`
/// required, `class`, `status`, `id`, `year` optional), screened at once against the data in
/// service; `201` with the project and its first screening. A taken id is `409`; an invalid
/// site, an unknown type, class or status is a 4xx that writes nothing.
#[cfg_attr(feature = "openapi", utoipa::path(post, path = "/projects", tag = "Registry", security(("token" = [])),
    request_body(content = serde_json::Value, description = "A GeoJSON Feature: geometry = the site (lon/lat); properties `name`, `type` required; `class`, `status`, `id`, `year` optional"),
    responses((status = 201, description = "The project and its first screening", body = Registration),
        (status = 400, description = "Not a Feature, a missing or unknown property", body = crate::api::error::ErrorBody),
        (status = 401, description = "No or an unknown token", body = crate::api::error::ErrorBody),
        (status = 409, description = "The id is taken", body = crate::api::error::ErrorBody),
        (status = 413, description = "Body too large", body = crate::api::error::ErrorBody),
        (status = 422, description = "Invalid site geometry", body = crate::api::error::ErrorBody))))]
pub async fn register(
    State(st): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let (reg, _) = registry(&st)?;
    crate::query::site::check_depth(&body, st.limits.max_depth)?;
    let ds = st.dataset();
    let max_vertices = st.limits.max_vertices;
    let r: Registration =
        blocking(move || registry::register(&reg, &ds, &body, max_vertices, &actor.name)).await?;
    tracing::info!(project = %r.project.id, actor = %r.project.registered_by, "project registered");
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

/// `GET /projects`'s query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ListQuery {
    /// `proposed`, `approved`, `built` or `rejected`.
    status: Option<String>,
    /// A project type.
    #[serde(rename = "type")]
    project_type: Option<String>,
    /// A county's adcode: projects lying (partly) in it.
    county: Option<String>,
    /// The newest screening's decision.
    decision: Option<String>,
    /// At most this many (default 100, at most 10000).
    limit: Option<i64>,
    /// Skip this many (default 0).
    offset: Option<i64>,
}

/// `GET /projects?status=&type=&county=&decision=&limit=&offset=`: projects by id.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/projects", tag = "Registry", security(("token" = [])),
    params(ListQuery),
    responses((status = 200, description = "A page of projects, by id", body = ProjectList),
        (status = 400, description = "Bad or unknown parameter", body = crate::api::error::ErrorBody),
        (status = 401, description = "No or an unknown token", body = crate::api::error::ErrorBody))))]
pub async fn list(
    State(st): State<Arc<AppState>>,
    Params(q): Params<ListQuery>,
) -> Result<Json<ProjectList>, ApiError> {
    let (reg, _) = registry(&st)?;
    let filter = ProjectFilter {
        status: q.status.as_deref().map(ProjectStatus::parse).transpose()?,
        project_type: q.project_type,
        county: q.county,
        decision: q.decision,
        limit: q.limit.unwrap_or(100).clamp(1, 10_000),
        offset: q.offset.unwrap_or(0).max(0),
    };
    let (limit, offset) = (filter.limit, filter.offset);
    let (total, projects): (i64, Vec<Project>) =
        blocking(move || Ok((reg.count(&filter)?, reg.projects(&filter)?))).await?;
    Ok(Json(ProjectList {
        total,
        limit,
        offset,
        projects,
    }))
}

/// `GET /projects/{id}`.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/projects/{id}", tag = "Registry", security(("token" = [])),
    params(("id" = String, Path, description = "The project's id")),
    responses((status = 200, description = "The project, with its newest screening in brief", body = Project),
        (status = 401, description = "No or an unknown token", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such project", body = crate::api::error::ErrorBody))))]
pub async fn one(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Project>, ApiError> {
    let (reg, _) = registry(&st)?;
    Ok(Json(blocking(move || reg.project(&id)).await?))
}

/// `PATCH /projects/{id}`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    name: Option<String>,
    status: Option<String>,
}

/// `PATCH /projects/{id}` with `{"status": …, "name": …}`: every change is an audit entry with
/// who and when.
#[cfg_attr(feature = "openapi", utoipa::path(patch, path = "/projects/{id}", tag = "Registry", security(("token" = [])),
    params(("id" = String, Path, description = "The project's id")),
    request_body(content = serde_json::Value, description = "`{\"status\": …, \"name\": …}`"),
    responses((status = 200, description = "The project as changed", body = Project),
        (status = 400, description = "Bad body or status", body = crate::api::error::ErrorBody),
        (status = 401, description = "No or an unknown token", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such project", body = crate::api::error::ErrorBody))))]
pub async fn patch(
    State(st): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Json<Project>, ApiError> {
    let (reg, _) = registry(&st)?;
    let p: Patch = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("the body is a JSON object with `status` and/or `name`: {e}"),
        )
    })?;
    let patch = ProjectPatch {
        name: p.name,
        status: p.status.as_deref().map(ProjectStatus::parse).transpose()?,
    };
    let digest = sha256(&body);
    Ok(Json(
        blocking(move || reg.update(&id, &patch, &actor.name, &digest)).await?,
    ))
}

/// `GET /projects/{id}/screenings`: every screening, newest first, each with the full answer
/// as `POST /check` gave it.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/projects/{id}/screenings", tag = "Registry", security(("token" = [])),
    params(("id" = String, Path, description = "The project's id")),
    responses((status = 200, description = "Every screening, newest first, each with the full answer", body = ScreeningList),
        (status = 401, description = "No or an unknown token", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such project", body = crate::api::error::ErrorBody))))]
pub async fn screenings(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<ScreeningList>, ApiError> {
    let (reg, _) = registry(&st)?;
    let id2 = id.clone();
    let screenings: Vec<StoredScreening> = blocking(move || reg.screenings(&id2)).await?;
    Ok(Json(ScreeningList {
        project: id,
        screenings,
    }))
}

/// `POST /projects/{id}/screenings`: screen the project again now, against the data in
/// service (trigger `manual`).
#[cfg_attr(feature = "openapi", utoipa::path(post, path = "/projects/{id}/screenings", tag = "Registry", security(("token" = [])),
    params(("id" = String, Path, description = "The project's id")),
    responses((status = 201, description = "The new screening (trigger `manual`)", body = StoredScreening),
        (status = 401, description = "No or an unknown token", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such project", body = crate::api::error::ErrorBody))))]
pub async fn screen_now(
    State(st): State<Arc<AppState>>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (reg, _) = registry(&st)?;
    let ds = st.dataset();
    let max_vertices = st.limits.max_vertices;
    let s: StoredScreening =
        blocking(move || screen_manually(&reg, &ds, &id, &actor.name, max_vertices)).await?;
    Ok((StatusCode::CREATED, Json(s)).into_response())
}

/// `POST /projects/{id}/screenings/{n}/replay`: re-run screening `n` on the data version it
/// names (rebuilt from the layer history when no longer in service) and say whether today's
/// code gives the same answer.
#[cfg_attr(feature = "openapi", utoipa::path(post, path = "/projects/{id}/screenings/{n}/replay", tag = "Registry", security(("token" = [])),
    params(("id" = String, Path, description = "The project's id"), ("n" = i64, Path, description = "The screening's number")),
    responses((status = 200, description = "Today's answer on the stored screening's data version, and whether it is the same", body = Replay),
        (status = 401, description = "No or an unknown token", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such project or screening", body = crate::api::error::ErrorBody),
        (status = 409, description = "The data version is no longer in the layer history", body = crate::api::error::ErrorBody))))]
pub async fn replay_one(
    State(st): State<Arc<AppState>>,
    Path((id, n)): Path<(String, i64)>,
) -> Result<Json<Replay>, ApiError> {
    let (reg, _) = registry(&st)?;
    let ds = st.dataset();
    let max_vertices = st.limits.max_vertices;
    Ok(Json(
        blocking(move || replay(&reg, &ds, &id, n, max_vertices)).await?,
    ))
}

/// `GET /projects/impacts`'s query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ImpactsQuery {
    /// The earlier data version (default: the one in service before the current one).
    from: Option<String>,
    /// The later one (default: the current one).
    to: Option<String>,
}

/// `GET /projects/impacts?from=&to=`: the projects whose decision, verdict or any hit changed
/// between two data versions; `complete` is false while re-screening still runs.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/projects/impacts", tag = "Registry", security(("token" = [])),
    params(ImpactsQuery),
    responses((status = 200, description = "The projects whose screening changed between the two versions", body = Impacts),
        (status = 400, description = "Bad, unknown parameter or an unknown version", body = crate::api::error::ErrorBody),
        (status = 401, description = "No or an unknown token", body = crate::api::error::ErrorBody))))]
pub async fn impacts_between(
    State(st): State<Arc<AppState>>,
    Params(q): Params<ImpactsQuery>,
) -> Result<Json<Impacts>, ApiError> {
    let (reg, _) = registry(&st)?;
    let current = st.dataset().version.clone();
    Ok(Json(
        blocking(move || impacts(&reg, &current, q.from.as_deref(), q.to.as_deref())).await?,
    ))
}
