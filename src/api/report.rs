//! `GET|POST /check/report`: the printable HTML report of one site.
//!
//! POST takes the site as the body (like `/check`); GET takes `lon`/`lat` (a point), so a
//! report on a place can be linked to. Rings default to the data's default rings.

use super::extract::{Body, Params};
use super::{ApiError, AppState, CheckQuery};
use crate::report::{self, Lang};
use crate::site::{self, SiteInput};
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// POST's query: the check's parameters and the language.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    year: Option<i32>,
    buffer_m: Option<f64>,
    layers: Option<String>,
    #[serde(rename = "type")]
    project_type: Option<String>,
    rings: Option<String>,
    lang: Option<String>,
}

/// GET's query: the same plus the point (not flattened: query strings lose number types).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointReportQuery {
    lon: f64,
    lat: f64,
    year: Option<i32>,
    buffer_m: Option<f64>,
    layers: Option<String>,
    #[serde(rename = "type")]
    project_type: Option<String>,
    rings: Option<String>,
    lang: Option<String>,
}

pub async fn get_report(
    State(st): State<Arc<AppState>>,
    Params(q): Params<PointReportQuery>,
) -> Result<Response, ApiError> {
    let body =
        serde_json::to_vec(&serde_json::json!({"type": "Point", "coordinates": [q.lon, q.lat]}))
            .map_err(super::internal)?;
    let rq = ReportQuery {
        year: q.year,
        buffer_m: q.buffer_m,
        layers: q.layers,
        project_type: q.project_type,
        rings: q.rings,
        lang: q.lang,
    };
    render(st, rq, body).await
}

pub async fn post_report(
    State(st): State<Arc<AppState>>,
    Params(q): Params<ReportQuery>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    render(st, q, body.to_vec()).await
}

async fn render(st: Arc<AppState>, q: ReportQuery, body: Vec<u8>) -> Result<Response, ApiError> {
    let lang = Lang::parse(q.lang.as_deref().unwrap_or("zh"))
        .map_err(|m| ApiError::from(crate::QueryError::param("lang", m)))?;
    let check = CheckQuery {
        year: q.year,
        buffer_m: q.buffer_m,
        layers: q.layers,
        crs: None,
        project_type: q.project_type,
        rings: Some(q.rings.unwrap_or_default()),
    };
    let ds = st.dataset();
    let opts = check.options();
    let ask = check.screening(&ds)?;
    let (max_vertices, max_depth) = (st.limits.max_vertices, st.limits.max_depth);
    let html = tokio::task::spawn_blocking(move || {
        site::check_depth(&body, max_depth)?;
        let input = site::parse(&body, usize::MAX)?;
        site::check_vertices(&input, max_vertices)?;
        let s = match input {
            SiteInput::One(s) => s,
            SiteInput::Batch(mut v) if v.len() == 1 => v.remove(0),
            SiteInput::Batch(_) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "one_site_only",
                    "a report is for one site: send a Geometry, a Feature or a one-feature collection; /check/batch screens many",
                ))
            }
        };
        let r = crate::check::screen(&ds, &s.geometry, &opts, &ask.for_site(&s))?;
        Ok(report::html(&ds, &s.geometry, s.id.as_deref(), &r, &body, lang))
    })
    .await
    .map_err(super::internal)??;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}
