//! The planner's routes: the zones at a point, a site check (one site or a FeatureCollection),
//! a streamed batch, the printable report, and the rules table. Geometry work is CPU-bound: it
//! runs off the async workers, and a panic in it (a bug, never bad input: input is validated)
//! becomes a logged 500 while the server keeps serving.

use crate::api::error::{internal, ApiError};
use crate::api::extract::{Body, CheckQuery, NoExtra, Params};
use crate::api::middleware::PermitSlot;
use crate::api::state::AppState;
use crate::data::source::site_file;
use crate::params::{check_year, current_year};
use crate::query::batch;
use crate::query::screen::{screen_input, Answer, CheckParams};
use crate::query::site::{self, SiteInput};
use crate::query::zones::{zones, zones_on, Zones};
use crate::render::report::{self, Lang};
use crate::render::rows;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::sync::Arc;

/// `GET /zones`'s query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ZonesQuery {
    /// Longitude, degrees (EPSG:4326/CGCS2000).
    #[cfg_attr(feature = "openapi", param(minimum = -180, maximum = 180))]
    lon: f64,
    /// Latitude, degrees.
    #[cfg_attr(feature = "openapi", param(minimum = -90, maximum = 90))]
    lat: f64,
    /// Year the layers are taken in (default: this year).
    #[cfg_attr(feature = "openapi", param(minimum = 1900, maximum = 2200))]
    year: Option<i32>,
    /// `GCJ02` (Amap, Tencent) or `BD09` (Baidu) when the point was picked on such a map; the
    /// answer then echoes it with the lon/lat it was looked up at.
    #[cfg_attr(feature = "openapi", param(inline))]
    crs: Option<super::tiles::TileCrs>,
}

/// `GET /zones`: the zones a point lies in or on.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/zones", tag = "Planning",
    params(ZonesQuery),
    responses((status = 200, description = "The zones at the point", body = Zones),
        (status = 400, description = "Bad or unknown parameter", body = crate::api::error::ErrorBody))))]
pub async fn zones_at(
    State(st): State<Arc<AppState>>,
    Params(q): Params<ZonesQuery>,
) -> Result<Json<Zones>, ApiError> {
    let year = q.year.unwrap_or_else(current_year);
    Ok(Json(match q.crs.and_then(super::tiles::TileCrs::offset) {
        Some(o) => zones_on(&st.dataset(), (q.lon, q.lat), o, year)?,
        None => zones(&st.dataset(), q.lon, q.lat, year)?,
    }))
}

/// `POST /check`: a Geometry or Feature gets one screening; a FeatureCollection `{"results":
/// [...]}` in input order.
#[cfg_attr(feature = "openapi", utoipa::path(post, path = "/check", tag = "Planning",
    params(crate::query::screen::CheckParams),
    request_body(description = "A GeoJSON Geometry, Feature or FeatureCollection (lon/lat unless `crs` says otherwise); or, with the `gdal` feature, a site file read through GDAL, told by Content-Type or its first bytes: DXF (`application/dxf`; its closed polylines, in `crs`), a zipped Shapefile (`application/zip`), KML, KMZ or a GeoPackage",
        content((crate::api::openapi::site::Sites = "application/json"), (crate::api::openapi::site::Sites = "application/geo+json"))),
    responses((status = 200, description = "The screening of the site, or of each site", body = Answer),
        (status = 400, description = "Bad JSON, not GeoJSON, or a bad parameter", body = crate::api::error::ErrorBody),
        (status = 413, description = "Body or batch too large", body = crate::api::error::ErrorBody),
        (status = 422, description = "Invalid geometry", body = crate::api::error::ErrorBody))))]
pub async fn check(
    State(st): State<Arc<AppState>>,
    CheckQuery(params, NoExtra {}): CheckQuery,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let ds = st.dataset();
    let opts = params.options();
    let ask = params.screening(&ds)?;
    let limits = st.limits.clone();
    let ct = content_type(&headers);
    let answer = tokio::task::spawn_blocking(move || {
        let (body, crs) = site::as_geojson(&body, ct.as_deref(), ask.crs.as_deref())?;
        site::check_depth(&body, limits.max_depth)?;
        let input = site::parse_in(&body, limits.max_batch, crs)?;
        site::check_vertices(&input, limits.max_vertices)?;
        let answer = screen_input(&ds, input, &opts, &ask)?;
        answer.to_json().map_err(internal)
    })
    .await
    .map_err(internal)??;
    Ok(([(header::CONTENT_TYPE, "application/json")], answer).into_response())
}

/// The request's `Content-Type`, for telling a site file (DXF, zipped Shapefile, KML/KMZ,
/// GeoPackage) from GeoJSON.
fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `POST /check/batch`'s own parameter.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct BatchFormat {
    /// `ndjson` (default) or `csv` (also chosen by `Accept: text/csv`).
    #[cfg_attr(feature = "openapi", param(inline))]
    format: Option<RowFormat>,
}

/// The rows `/check/batch` streams.
#[derive(Debug, Clone, Copy, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RowFormat {
    /// One JSON object a line.
    Ndjson,
    /// A header, then one line a site.
    Csv,
}

/// `POST /check/batch`: screens a FeatureCollection or CSV of sites and streams one row per
/// site as it is done — NDJSON by default, CSV with `?format=csv` or `Accept: text/csv`.
#[cfg_attr(feature = "openapi", utoipa::path(post, path = "/check/batch", tag = "Planning",
    params(crate::query::screen::CheckParams, BatchFormat),
    request_body(description = "A GeoJSON FeatureCollection (or one Geometry or Feature), or CSV with a `wkt` or `lon`/`lat` columns (`id`, `type`, `name` when present), or a site file as `/check` takes it (DXF, zipped Shapefile, KML, KMZ, GeoPackage)",
        content((crate::api::openapi::site::Sites = "application/json"), (crate::api::openapi::site::Sites = "application/geo+json"),
            (crate::api::openapi::site::SitesCsv = "text/csv"))),
    responses((status = 200, description = "One row per site as it is done (NDJSON or CSV)",
            content((String = "application/x-ndjson"), (String = "text/csv"))),
        (status = 400, description = "Not a list of sites, or a bad parameter", body = crate::api::error::ErrorBody),
        (status = 422, description = "No site in the list", body = crate::api::error::ErrorBody),
        (status = 413, description = "Body or batch too large", body = crate::api::error::ErrorBody))))]
pub async fn batch(
    State(st): State<Arc<AppState>>,
    slot: Option<axum::Extension<PermitSlot>>,
    CheckQuery(params, q): CheckQuery<BatchFormat>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let csv = match q.format {
        Some(RowFormat::Csv) => true,
        Some(RowFormat::Ndjson) => false,
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv")),
    };
    let ds = st.dataset();
    let opts = params.options();
    let ask = params.screening(&ds)?;
    check_year(opts.year)?;
    let (max_batch, max_vertices) = (st.limits.max_batch, st.limits.max_vertices);
    // A site file becomes a lon/lat FeatureCollection; the CRS left to apply is then at most
    // a web-map offset.
    let mut ask = ask;
    let body = if site_file::sniff(&body, content_type(&headers).as_deref()).is_some() {
        let ct = content_type(&headers);
        let crs = ask.crs.clone();
        let (fc, left) = tokio::task::spawn_blocking(move || {
            site::as_geojson(&body, ct.as_deref(), crs.as_deref())
                .map(|(b, c)| (b.into_owned(), c.map(str::to_string)))
        })
        .await
        .map_err(internal)??;
        ask.crs = left;
        axum::body::Bytes::from(fc)
    } else {
        body
    };
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        site::check_depth(&body, st.limits.max_depth)?;
    }
    // Reading the whole list first: a file that is not a list of sites is refused before any
    // row is sent, so a 200 always means "rows follow".
    let entries = tokio::task::spawn_blocking(move || batch::read(&body, max_batch))
        .await
        .map_err(internal)??;
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(64);
    // The rows outlive the response head: the concurrency permit stays with them, so streamed
    // batches count against the limit until their last row.
    let permit = slot.and_then(|s| s.take());
    // A thread of its own, not the blocking pool: a batch runs as long as its client reads,
    // and the pool is bounded (`api::serve`), so long batches must not take its threads from
    // the checks and tiles. The permit bounds how many run at once.
    let spawned = std::thread::Builder::new()
        .name("batch".into())
        .spawn(move || {
            let _permit = permit;
            if csv && tx.blocking_send(rows::CSV_HEADER.to_string()).is_err() {
                return;
            }
            for e in entries {
                let row = batch::screen_entry(&ds, e, &opts, &ask, max_vertices);
                let line = if csv {
                    rows::csv_line(&row)
                } else {
                    rows::ndjson_line(&row)
                };
                // The client went away: stop working for it.
                if tx.blocking_send(line).is_err() {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        return Err(internal(e));
    }
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
        .map_err(internal)
}

/// The report's own parameter.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ReportLang {
    /// `zh` (default) or `en`.
    #[cfg_attr(feature = "openapi", param(value_type = Option<Lang>, inline))]
    lang: Option<String>,
}

/// `GET /check/report`'s own parameters: the point, and the language.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ReportPoint {
    /// Longitude, degrees (or an x in `crs`: a point too far out for lon/lat is a 422).
    lon: f64,
    /// Latitude, degrees (or a y in `crs`).
    lat: f64,
    /// `zh` (default) or `en`.
    #[cfg_attr(feature = "openapi", param(value_type = Option<Lang>, inline))]
    lang: Option<String>,
}

/// `GET /check/report`: the printable HTML report of a point, so a report on a place can be
/// linked to. Rings default to the data's default rings.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/check/report", tag = "Planning",
    params(crate::query::screen::CheckParams, ReportPoint),
    responses((status = 200, description = "The printable report", content_type = "text/html"),
        (status = 400, description = "Bad or unknown parameter", body = crate::api::error::ErrorBody),
        (status = 422, description = "The point is not lon/lat (or not in `crs`)", body = crate::api::error::ErrorBody))))]
pub async fn get_report(
    State(st): State<Arc<AppState>>,
    CheckQuery(params, q): CheckQuery<ReportPoint>,
) -> Result<Response, ApiError> {
    let body =
        serde_json::to_vec(&serde_json::json!({"type": "Point", "coordinates": [q.lon, q.lat]}))
            .map_err(internal)?;
    render(st, params, q.lang, body).await
}

/// `POST /check/report`: the printable HTML report of the posted site (like `/check`).
#[cfg_attr(feature = "openapi", utoipa::path(post, path = "/check/report", tag = "Planning",
    params(crate::query::screen::CheckParams, ReportLang),
    request_body(description = "One GeoJSON Geometry or Feature (or a FeatureCollection of one), or a site file as `/check` takes it (DXF, zipped Shapefile, KML, KMZ, GeoPackage)",
        content((crate::api::openapi::site::OneSite = "application/json"), (crate::api::openapi::site::OneSite = "application/geo+json"))),
    responses((status = 200, description = "The printable report", content_type = "text/html"),
        (status = 400, description = "Bad JSON, several sites, or a bad parameter", body = crate::api::error::ErrorBody),
        (status = 422, description = "Invalid geometry", body = crate::api::error::ErrorBody))))]
pub async fn post_report(
    State(st): State<Arc<AppState>>,
    CheckQuery(params, q): CheckQuery<ReportLang>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let mut params = params;
    let ct = content_type(&headers);
    let crs = params.crs.clone();
    let (body, left) = tokio::task::spawn_blocking(move || {
        site::as_geojson(&body, ct.as_deref(), crs.as_deref())
            .map(|(b, c)| (b.into_owned(), c.map(str::to_string)))
    })
    .await
    .map_err(internal)??;
    params.crs = left;
    render(st, params, q.lang, body).await
}

async fn render(
    st: Arc<AppState>,
    mut params: CheckParams,
    lang: Option<String>,
    body: Vec<u8>,
) -> Result<Response, ApiError> {
    let lang = Lang::parse(lang.as_deref().unwrap_or("zh"))?;
    params.rings.get_or_insert_with(String::new);
    let ds = st.dataset();
    let opts = params.options();
    let ask = params.screening(&ds)?;
    let (max_vertices, max_depth) = (st.limits.max_vertices, st.limits.max_depth);
    let html = tokio::task::spawn_blocking(move || {
        site::check_depth(&body, max_depth)?;
        let input = site::parse_in(&body, usize::MAX, ask.crs.as_deref())?;
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
        let geometry = s.geometry.clone();
        let Answer::One(r) = screen_input(&ds, SiteInput::One(s), &opts, &ask)? else {
            return Err(internal("one site gave a batch answer"));
        };
        Ok(report::html(&ds, &geometry, &r, &body, lang))
    })
    .await
    .map_err(internal)??;
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

/// `GET /rules`: project types, default rings and the decision table.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/rules", tag = "Planning",
    responses((status = 200, description = "The rules table", body = crate::data::plan::rules::Rules),
        (status = 404, description = "The dataset has no rules file", body = crate::api::error::ErrorBody))))]
pub async fn rules(State(st): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let ds = st.dataset();
    let Some(r) = &ds.rules else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_rules",
            "this dataset has no rules file (manifest key `rules`)",
        ));
    };
    Ok(Json(r).into_response())
}
