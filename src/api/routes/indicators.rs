//! Indicator endpoints: one year, a series, changes between years, and an SVG chart.

use crate::api::error::{internal, ApiError};
use crate::api::extract::{Params, YearQuery};
use crate::api::state::AppState;
use crate::data::Dataset;
use crate::params::current_year;
use crate::query::indicator::{self, change, Series, YearIndicators};
use crate::render::chart;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;

/// A span of years.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RangeQuery {
    /// First year (default: the earliest year the data or targets mention); not after `to`,
    /// and a span covers at most 100 years (`to - from < 100`).
    #[cfg_attr(feature = "openapi", param(minimum = 1900, maximum = 2200))]
    from: Option<i32>,
    /// Last year (default: the later of this year and the last milestone).
    #[cfg_attr(feature = "openapi", param(minimum = 1900, maximum = 2200))]
    to: Option<i32>,
}

async fn run<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(internal)?
}

fn span(ds: &Dataset, q: &RangeQuery) -> (i32, i32) {
    let (from, to) = indicator::default_span(ds);
    (q.from.unwrap_or(from), q.to.unwrap_or(to))
}

/// `GET /indicators`: one year's indicators, per county too, against the targets.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/indicators", tag = "Indicators", params(YearQuery),
    responses((status = 200, description = "Indicators, per county too", body = YearIndicators),
        (status = 400, description = "Bad or unknown parameter", body = crate::api::error::ErrorBody))))]
pub async fn one_year(
    State(st): State<Arc<AppState>>,
    Params(q): Params<YearQuery>,
) -> Result<Json<Arc<YearIndicators>>, ApiError> {
    let year = q.year.unwrap_or_else(current_year);
    let ds = st.dataset();
    let cache = Arc::clone(&st.live);
    let y = run(move || Ok(cache.indicators.year(&ds, year)?)).await?;
    Ok(Json(y))
}

/// `GET /indicators/series`: the indicators over a span of years.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/indicators/series", tag = "Indicators", params(RangeQuery),
    responses((status = 200, description = "One entry per year", body = Series),
        (status = 400, description = "Bad or unknown parameter", body = crate::api::error::ErrorBody))))]
pub async fn series(
    State(st): State<Arc<AppState>>,
    Params(q): Params<RangeQuery>,
) -> Result<Json<Series>, ApiError> {
    let ds = st.dataset();
    let (from, to) = span(&ds, &q);
    let live = Arc::clone(&st.live);
    let s = run(move || Ok(live.indicators.series(&ds, from, to)?)).await?;
    Ok(Json(s))
}

/// `GET /changes`: features added, removed and replaced between two years, per layer.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/changes", tag = "Indicators", params(RangeQuery),
    responses((status = 200, description = "Changes per layer", body = change::Changes),
        (status = 400, description = "Bad or unknown parameter", body = crate::api::error::ErrorBody))))]
pub async fn changes(
    State(st): State<Arc<AppState>>,
    Params(q): Params<RangeQuery>,
) -> Result<Json<change::Changes>, ApiError> {
    let ds = st.dataset();
    let (from, to) = span(&ds, &q);
    let c = run(move || Ok(change::changes(&ds, from, to)?)).await?;
    Ok(Json(c))
}

/// `GET /indicators/chart.svg`: the series as an SVG chart.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/indicators/chart.svg", tag = "Indicators", params(RangeQuery),
    responses((status = 200, description = "SVG chart", body = String, content_type = "image/svg+xml"),
        (status = 400, description = "Bad or unknown parameter", body = crate::api::error::ErrorBody))))]
pub async fn chart_svg(
    State(st): State<Arc<AppState>>,
    Params(q): Params<RangeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let ds = st.dataset();
    let (from, to) = span(&ds, &q);
    let live = Arc::clone(&st.live);
    let svg = run(move || Ok(chart::svg(&live.indicators.series(&ds, from, to)?.series))).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        svg,
    ))
}
