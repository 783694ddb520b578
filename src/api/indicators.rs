//! Indicator endpoints: one year, a series, changes between years, and an SVG chart.

use super::extract::Params;
use super::{ApiError, AppState};
use crate::indicator::{self, change, chart, YearIndicators};
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    year: Option<i32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    from: Option<i32>,
    to: Option<i32>,
}

/// The JSON shape of one year: `by_county` maps adcode → indicator → value; the numerators and
/// denominators behind each county value are in `by_county_detail`.
pub fn year_json(y: &YearIndicators) -> Value {
    let by_county: serde_json::Map<String, Value> = y
        .by_county
        .iter()
        .map(|(c, m)| {
            (
                c.clone(),
                Value::Object(
                    m.iter()
                        .map(|(id, v)| (id.clone(), json!(v.value)))
                        .collect(),
                ),
            )
        })
        .collect();
    json!({
        "year": y.year,
        "indicators": y.indicators,
        "by_county": by_county,
        "by_county_detail": y.by_county,
    })
}

async fn run<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(super::internal)?
}

fn span(ds: &crate::Dataset, q: &RangeQuery) -> (i32, i32) {
    let (from, to) = indicator::default_span(ds);
    (q.from.unwrap_or(from), q.to.unwrap_or(to))
}

pub async fn one_year(
    State(st): State<Arc<AppState>>,
    Params(q): Params<YearQuery>,
) -> Result<Json<Value>, ApiError> {
    let year = q.year.unwrap_or_else(crate::current_year);
    let ds = st.dataset();
    let y = run(move || Ok(indicator::compute(&ds, year)?)).await?;
    Ok(Json(year_json(&y)))
}

pub async fn series(
    State(st): State<Arc<AppState>>,
    Params(q): Params<RangeQuery>,
) -> Result<Json<Value>, ApiError> {
    let ds = st.dataset();
    let (from, to) = span(&ds, &q);
    let s = run(move || Ok(indicator::series(&ds, from, to)?)).await?;
    Ok(Json(
        json!({ "from": from, "to": to, "series": s.iter().map(|y| year_json(y)).collect::<Vec<_>>() }),
    ))
}

pub async fn changes(
    State(st): State<Arc<AppState>>,
    Params(q): Params<RangeQuery>,
) -> Result<Json<Value>, ApiError> {
    let ds = st.dataset();
    let (from, to) = span(&ds, &q);
    let c = run(move || Ok(change::changes(&ds, from, to)?)).await?;
    Ok(Json(serde_json::to_value(c).map_err(super::internal)?))
}

pub async fn chart_svg(
    State(st): State<Arc<AppState>>,
    Params(q): Params<RangeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let ds = st.dataset();
    let (from, to) = span(&ds, &q);
    let svg = run(move || Ok(chart::svg(&indicator::series(&ds, from, to)?))).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        svg,
    ))
}
