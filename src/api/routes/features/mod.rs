//! OGC API – Features, Part 1 (conformance classes core, GeoJSON and OpenAPI 3.0): the landing
//! page, conformance, one collection per layer, and the layer's features as GeoJSON.
//!
//! The response types here are the serde types the handlers serialise *and* the schemas the
//! OpenAPI document at `/api` describes (`ToSchema`/`IntoParams`), so the two cannot drift.
//!
//! Time: a feature is in force from a year to a year, so `datetime` is reduced to calendar
//! years (see `crate::query::features`). Without `datetime` or `year` there is no temporal filter:
//! the items of every year are returned, as OGC API – Features prescribes.

use super::tiles::base_url;
use crate::api::error::{internal, ApiError};
use crate::api::extract::Params;
use crate::api::state::AppState;
use crate::data::{Dataset, Layer, LayerKind};
use crate::params::{check_bbox, check_year, now_rfc3339, parse_datetime, QueryError, YearSpan};
use crate::query::features;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::Serialize;
use std::sync::Arc;

mod documents;

pub use documents::*;

fn ok<T: Serialize>(media_type: &'static str, body: T) -> Response {
    ([(header::CONTENT_TYPE, media_type)], Json(body)).into_response()
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split(',').next())
        .is_some_and(|first| first.trim().starts_with("text/html"))
}

/// Landing page.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/", tag = "OGC API – Features", params(FormatQuery),
    responses(
        (status = 200, description = "Links to the API definition, conformance and collections", body = LandingPage),
        (status = 303, description = "A browser (`Accept: text/html` first) is sent to the map at `/map`"),
        (status = 400, description = "Unknown parameter or format", body = crate::api::error::ErrorBody),
    )))]
pub async fn landing(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Params(q): Params<FormatQuery>,
) -> Response {
    if q.f.is_none() && wants_html(&headers) {
        return Redirect::to("/map").into_response();
    }
    let base = base_url(&st, &headers);
    let ds = st.dataset();
    ok(
        JSON,
        LandingPage {
            title: format!("ecospace — {}", ds.manifest.title_zh),
            description: format!(
                "{}: ecological-space layers (red line, reserves, water-source zones, shoreline, river banks) as OGC API – Features collections",
                ds.manifest.title_en
            ),
            links: vec![
                link(format!("{base}/"), "self", JSON, "This document"),
                link(
                    format!("{base}/api"),
                    "service-desc",
                    OPENAPI_JSON,
                    "The API definition (OpenAPI 3.0)",
                ),
                link(
                    format!("{base}/conformance"),
                    "conformance",
                    JSON,
                    "Conformance classes implemented",
                ),
                link(format!("{base}/collections"), "data", JSON, "The layers"),
                link(format!("{base}/map"), "service-doc", "text/html", "The map"),
            ],
        },
    )
}

/// Conformance classes.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/conformance", tag = "OGC API – Features", params(FormatQuery),
    responses(
        (status = 200, description = "The conformance classes implemented", body = Conformance),
        (status = 400, description = "Unknown parameter or format", body = crate::api::error::ErrorBody),
    )))]
pub async fn conformance(Params(_): Params<FormatQuery>) -> Response {
    ok(
        JSON,
        Conformance {
            conforms_to: CONFORMS_TO.iter().map(ToString::to_string).collect(),
        },
    )
}

fn collection(l: &Layer, base: &str) -> Collection {
    let id = l.id();
    let [start, end] = features::temporal_extent(l);
    Collection {
        id: id.to_string(),
        title: format!("{} ({})", l.spec.title_zh, l.spec.title_en),
        description: format!(
            "{} features ({}), lon/lat",
            l.features.len(),
            match l.kind() {
                LayerKind::Zone => "polygons",
                LayerKind::Line => "lines",
            }
        ),
        extent: Extent {
            spatial: SpatialExtent {
                bbox: l.bbox.map(|b| vec![b.to_vec()]).unwrap_or_default(),
                crs: CRS84.into(),
            },
            temporal: TemporalExtent {
                interval: vec![vec![start, end]],
                trs: GREGORIAN.into(),
            },
        },
        item_type: "feature".into(),
        crs: vec![CRS84.into()],
        links: vec![
            link(
                format!("{base}/collections/{id}"),
                "self",
                JSON,
                "This collection",
            ),
            link(
                format!("{base}/collections/{id}/items"),
                "items",
                GEOJSON,
                "The features",
            ),
        ],
    }
}

fn layer<'a>(ds: &'a Dataset, id: &str) -> Result<&'a Layer, ApiError> {
    ds.layer(id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!(
                "no collection {id:?}; collections: {}",
                ds.layer_ids().join(", ")
            ),
        )
    })
}

/// All collections (one per layer).
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections", tag = "OGC API – Features", params(FormatQuery),
    responses(
        (status = 200, description = "One collection per layer", body = Collections),
        (status = 400, description = "Unknown parameter or format", body = crate::api::error::ErrorBody),
    )))]
pub async fn collections(
    State(st): State<Arc<AppState>>,
    headers: HeaderMap,
    Params(_): Params<FormatQuery>,
) -> Response {
    let base = base_url(&st, &headers);
    let ds = st.dataset();
    ok(
        JSON,
        Collections {
            links: vec![link(
                format!("{base}/collections"),
                "self",
                JSON,
                "This document",
            )],
            collections: ds.layers.iter().map(|l| collection(l, &base)).collect(),
        },
    )
}

/// One collection.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections/{collectionId}", tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "A layer id (see `/collections`)"), FormatQuery),
    responses(
        (status = 200, description = "The collection", body = Collection),
        (status = 400, description = "Unknown parameter or format", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection", body = crate::api::error::ErrorBody),
    )))]
pub async fn one_collection(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Params(_): Params<FormatQuery>,
) -> Result<Response, ApiError> {
    let ds = st.dataset();
    Ok(ok(
        JSON,
        collection(layer(&ds, &id)?, &base_url(&st, &headers)),
    ))
}

/// Parses `bbox`: 4 numbers, or 6 with heights (ignored).
fn parse_bbox(s: &str) -> Result<[f64; 4], QueryError> {
    let nums = s
        .split(',')
        .map(|t| t.trim().parse::<f64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            QueryError::param(
                "bbox",
                format!("{s:?} is not a list of numbers separated by commas"),
            )
        })?;
    let b = match nums[..] {
        [a, b, c, d] => [a, b, c, d],
        [a, b, _, d, e, _] => [a, b, d, e],
        _ => {
            return Err(QueryError::param(
                "bbox",
                format!(
                    "needs 4 numbers min_lon,min_lat,max_lon,max_lat (or 6 with heights), got {}",
                    nums.len()
                ),
            ))
        }
    };
    check_bbox(b)
}

/// Percent-encodes a query value (everything but unreserved characters and `,:/`).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b','
            | b':'
            | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The filters of an items request, validated.
struct ItemsFilter {
    bbox: Option<[f64; 4]>,
    years: Option<YearSpan>,
    limit: u64,
    offset: u64,
    /// The filter parameters as a query string (for links), without limit/offset.
    query: Vec<(&'static str, String)>,
}

impl ItemsFilter {
    fn parse(q: ItemsQuery) -> Result<Self, ApiError> {
        let mut query = Vec::new();
        let bbox = match &q.bbox {
            Some(s) => {
                let b = parse_bbox(s)?;
                query.push(("bbox", b.map(|v| v.to_string()).join(",")));
                Some(b)
            }
            None => None,
        };
        let years = match (&q.datetime, q.year) {
            (Some(_), Some(_)) => {
                return Err(QueryError::param("year", "give `datetime` or `year`, not both").into())
            }
            (Some(dt), None) => {
                query.push(("datetime", dt.clone()));
                Some(parse_datetime(dt)?)
            }
            (None, Some(y)) => {
                check_year(y)?;
                query.push(("year", y.to_string()));
                Some(YearSpan::year(y))
            }
            (None, None) => None,
        };
        let limit = match q.limit {
            Some(0) => {
                return Err(QueryError::param(
                    "limit",
                    format!("must be from 1 to {MAX_LIMIT} (larger values are clamped), got 0"),
                )
                .into())
            }
            Some(n) => n.min(MAX_LIMIT),
            None => DEFAULT_LIMIT,
        };
        Ok(ItemsFilter {
            bbox,
            years,
            limit,
            offset: q.offset.unwrap_or(0),
            query,
        })
    }

    fn href(&self, base: &str, offset: u64) -> String {
        let mut parts: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect();
        parts.push(format!("limit={}", self.limit));
        if offset > 0 {
            parts.push(format!("offset={offset}"));
        }
        format!("{base}?{}", parts.join("&"))
    }
}

/// Features of a collection, as GeoJSON.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections/{collectionId}/items", tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "A layer id (see `/collections`)"), ItemsQuery),
    responses(
        (status = 200, description = "A page of features, in layer order", body = FeatureCollection, content_type = "application/geo+json"),
        (status = 400, description = "A parameter is malformed or unknown", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection", body = crate::api::error::ErrorBody),
    )))]
pub async fn items(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Params(q): Params<ItemsQuery>,
) -> Result<Response, ApiError> {
    let filter = ItemsFilter::parse(q)?;
    let base = base_url(&st, &headers);
    let ds = st.dataset();
    layer(&ds, &id)?;
    // Exact intersection tests and geometry serialisation are CPU work: off the async workers.
    let page = tokio::task::spawn_blocking(move || -> Result<FeatureCollection, ApiError> {
        let l = layer(&ds, &id)?;
        let matched = features::select(l, filter.bbox, filter.years);
        let total = matched.len() as u64;
        let features: Vec<GeoJsonFeature> = matched
            .into_iter()
            .skip(usize::try_from(filter.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(filter.limit).unwrap_or(usize::MAX))
            .map(|f| GeoJsonFeature::of(f, None))
            .collect();
        let returned = features.len() as u64;
        let here = format!("{base}/collections/{id}/items");
        let mut links = vec![
            link(
                filter.href(&here, filter.offset),
                "self",
                GEOJSON,
                "This page",
            ),
            link(
                format!("{base}/collections/{id}"),
                "collection",
                JSON,
                "The collection",
            ),
        ];
        if filter.offset.saturating_add(returned) < total {
            links.push(link(
                filter.href(&here, filter.offset + returned),
                "next",
                GEOJSON,
                "Next page",
            ));
        }
        if filter.offset > 0 {
            links.push(link(
                filter.href(&here, filter.offset.saturating_sub(filter.limit)),
                "prev",
                GEOJSON,
                "Previous page",
            ));
        }
        Ok(FeatureCollection {
            kind: FeatureCollectionType::FeatureCollection,
            features,
            number_matched: total,
            number_returned: returned,
            time_stamp: now_rfc3339(),
            links,
        })
    })
    .await
    .map_err(internal)??;
    Ok(ok(GEOJSON, page))
}

/// One feature, by id.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections/{collectionId}/items/{featureId}", tag = "OGC API – Features",
    params(
        ("collectionId" = String, Path, description = "A layer id (see `/collections`)"),
        ("featureId" = String, Path, description = "The feature's id"),
        FormatQuery,
    ),
    responses(
        (status = 200, description = "The feature", body = GeoJsonFeature, content_type = "application/geo+json"),
        (status = 400, description = "Unknown parameter or format", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection or feature", body = crate::api::error::ErrorBody),
    )))]
pub async fn item(
    State(st): State<Arc<AppState>>,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
    Params(_): Params<FormatQuery>,
) -> Result<Response, ApiError> {
    let base = base_url(&st, &headers);
    let ds = st.dataset();
    let l = layer(&ds, &id)?;
    let f = l.features.iter().find(|f| f.id == fid).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("collection {id:?} has no feature {fid:?}"),
        )
    })?;
    let links = vec![
        link(
            format!("{base}/collections/{id}/items/{}", enc(&fid)),
            "self",
            GEOJSON,
            "This feature",
        ),
        link(
            format!("{base}/collections/{id}"),
            "collection",
            JSON,
            "The collection",
        ),
    ];
    Ok(ok(GEOJSON, GeoJsonFeature::of(f, Some(links))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_takes_four_or_six_numbers_in_range() {
        assert_eq!(
            parse_bbox("120.7, 30.7,120.8,30.8").unwrap(),
            [120.7, 30.7, 120.8, 30.8]
        );
        assert_eq!(parse_bbox("1,2,-5,3,4,100").unwrap(), [1.0, 2.0, 3.0, 4.0]);
        for bad in [
            "1,2,3",
            "1,2,3,x",
            "3,2,1,4",
            "1,4,3,2",
            "-181,0,0,1",
            "0,0,1,NaN",
            "0,-91,1,1",
            "",
        ] {
            assert!(parse_bbox(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn link_queries_escape_what_a_query_cannot_hold() {
        assert_eq!(
            enc("2025-01-01T00:00:00+08:00"),
            "2025-01-01T00:00:00%2B08:00"
        );
        assert_eq!(enc("../2021 x&y=1"), "../2021%20x%26y%3D1");
    }
}
