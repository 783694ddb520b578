//! `POST /check/batch`: screens a FeatureCollection or CSV of sites and streams one row per
//! site as it is done — NDJSON by default, CSV with `?format=csv` or `Accept: text/csv`.

use super::extract::{Body, Params};
use super::{ApiError, AppState, CheckQuery};
use crate::batch::{self, BatchError};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// The batch's query: the check's parameters plus the output format. (Not `#[serde(flatten)]`:
/// flattened query strings lose their number types.)
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    year: Option<i32>,
    buffer_m: Option<f64>,
    layers: Option<String>,
    #[serde(rename = "type")]
    project_type: Option<String>,
    rings: Option<String>,
    format: Option<String>,
}

impl From<BatchError> for ApiError {
    fn from(e: BatchError) -> Self {
        match e {
            BatchError::Site(s) => s.into(),
            BatchError::Csv(m) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_csv", m),
        }
    }
}

pub async fn batch(
    axum::extract::State(st): axum::extract::State<Arc<AppState>>,
    slot: Option<axum::Extension<super::middleware::PermitSlot>>,
    Params(q): Params<BatchQuery>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let csv = match q.format.as_deref() {
        Some("csv") => true,
        Some("ndjson") => false,
        Some(other) => {
            return Err(crate::QueryError::param(
                "format",
                format!("{other:?}: use ndjson (default) or csv"),
            )
            .into())
        }
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv")),
    };
    let check = CheckQuery {
        year: q.year,
        buffer_m: q.buffer_m,
        layers: q.layers,
        crs: None,
        project_type: q.project_type,
        rings: q.rings,
    };
    let ds = st.dataset();
    let opts = check.options();
    let ask = check.screening(&ds)?;
    if let (Some(t), Some(r)) = (&ask.project_type, &ds.rules) {
        r.project_type(t)
            .map_err(|m| crate::QueryError::param("type", m))?;
    }
    crate::check::check_year(opts.year)?;
    let (max_batch, max_vertices) = (st.limits.max_batch, st.limits.max_vertices);
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        crate::site::check_depth(&body, st.limits.max_depth)?;
    }
    // Reading the whole list first: a file that is not a list of sites is refused before any
    // row is sent, so a 200 always means "rows follow".
    let entries = tokio::task::spawn_blocking(move || batch::read(&body, max_batch))
        .await
        .map_err(super::internal)??;
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(64);
    // The rows outlive the response head: the concurrency permit stays with them, so streamed
    // batches count against the limit until their last row.
    let permit = slot.and_then(|s| s.take());
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        if csv && tx.blocking_send(batch::CSV_HEADER.to_string()).is_err() {
            return;
        }
        for e in entries {
            let row = batch::screen_entry(&ds, e, &opts, &ask, max_vertices);
            let line = if csv {
                batch::csv_line(&row)
            } else {
                batch::ndjson_line(&row)
            };
            // The client went away: stop working for it.
            if tx.blocking_send(line).is_err() {
                return;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|line| (Ok::<_, std::convert::Infallible>(line), rx))
    });
    let ty = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/x-ndjson"
    };
    Response::builder()
        .header(header::CONTENT_TYPE, ty)
        .body(axum::body::Body::from_stream(stream))
        .map_err(super::internal)
}
