//! A collection's features: `/collections/{id}/items` (paging, `bbox`, time) and one feature.
//! Part 2 rides on both: `crs` picks the CRS of the returned geometries (answered with a
//! `Content-Crs` header) and `bbox-crs` the CRS of `bbox`, each from the collection's list.
//! Part 3 on the items: `filter` in CQL2 text or JSON over the collection's queryables.

use super::{layer, link, ok, FeatureCollection, FeatureCollectionType, GeoJsonFeature};
use super::{FilterLang, ItemQuery, ItemsQuery, DEFAULT_LIMIT, GEOJSON, JSON, MAX_LIMIT};
use crate::api::error::{internal, ApiError};
use crate::api::extract::Params;
use crate::api::routes::tiles::base_url;
use crate::api::state::AppState;
use crate::data::Layer;
use crate::params::{check_bbox, check_year, now_rfc3339, parse_datetime, QueryError, YearSpan};
use crate::query::features;
use crate::query::filter::Filter;
use crate::spatial::crs::ogc::CrsRef;
use crate::spatial::crs::CrsError;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use std::sync::Arc;

/// Reads `bbox`: 4 numbers, or 6 with heights (ignored); in range only when `lonlat`.
fn parse_bbox(s: &str, lonlat: bool) -> Result<[f64; 4], QueryError> {
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
    if lonlat {
        return check_bbox(b);
    }
    if b.iter().any(|v| !v.is_finite()) || b[0] > b[2] || b[1] > b[3] {
        return Err(QueryError::param(
            "bbox",
            format!("{s:?}: needs finite numbers, the lower corner first"),
        ));
    }
    Ok(b)
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

/// A CRS parameter resolved against what the collection offers (and the web-map offsets,
/// which every collection takes): unknown names and CRSs not offered are a 400 naming both.
fn resolve_crs(param: &str, value: Option<&str>, l: &Layer) -> Result<CrsRef, ApiError> {
    let Some(value) = value else {
        return Ok(CrsRef::Crs84);
    };
    let offered = features::offered_crs(l);
    let list = || {
        let mut names: Vec<String> = offered.iter().map(CrsRef::uri).collect();
        names.extend(["GCJ02".into(), "BD09".into()]);
        names.join(", ")
    };
    let c = CrsRef::parse(value).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_crs",
            format!(
                "`{param}`: {value:?} is not a CRS URI; collection {:?} offers {}",
                l.id(),
                list()
            ),
        )
    })?;
    if matches!(c, CrsRef::Web(_)) || offered.contains(&c) {
        return Ok(c);
    }
    let why = if cfg!(feature = "gdal") {
        format!("collection {:?} offers {}", l.id(), list())
    } else {
        CrsError::NotBuilt(c.uri()).to_string()
    };
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "unsupported_crs",
        format!("`{param}`: {} is not offered: {why}", c.uri()),
    ))
}

fn content_crs(c: &CrsRef) -> (axum::http::HeaderName, HeaderValue) {
    let v = HeaderValue::from_str(&format!("<{}>", c.uri()))
        .unwrap_or_else(|_| HeaderValue::from_static("<>"));
    (axum::http::HeaderName::from_static("content-crs"), v)
}

fn with_header(mut r: Response, h: (axum::http::HeaderName, HeaderValue)) -> Response {
    r.headers_mut().insert(h.0, h.1);
    r
}

/// The filters of an items request, validated.
struct ItemsFilter {
    /// The box as given, and the CRS it is in.
    bbox: Option<([f64; 4], CrsRef)>,
    years: Option<YearSpan>,
    filter: Option<Filter>,
    crs: CrsRef,
    limit: u64,
    offset: u64,
    /// The filter parameters as a query string (for links), without limit/offset.
    query: Vec<(&'static str, String)>,
}

impl ItemsFilter {
    fn parse(q: ItemsQuery, l: &Layer) -> Result<Self, ApiError> {
        let mut query = Vec::new();
        let crs = resolve_crs("crs", q.crs.as_deref(), l)?;
        if q.crs.is_some() {
            query.push(("crs", crs.uri()));
        }
        let bbox_crs = resolve_crs("bbox-crs", q.bbox_crs.as_deref(), l)?;
        let bbox = match &q.bbox {
            Some(s) => {
                let b = parse_bbox(s, bbox_crs == CrsRef::Crs84)?;
                query.push(("bbox", b.map(|v| v.to_string()).join(",")));
                if q.bbox_crs.is_some() {
                    query.push(("bbox-crs", bbox_crs.uri()));
                }
                Some((b, bbox_crs))
            }
            None if q.bbox_crs.is_some() => {
                return Err(
                    QueryError::param("bbox-crs", "is the CRS of `bbox`; give `bbox` too").into(),
                )
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
        let filter = match (&q.filter, q.filter_lang.unwrap_or_default()) {
            (None, _) if q.filter_lang.is_some() || q.filter_crs.is_some() => {
                return Err(QueryError::param(
                    "filter-lang",
                    "`filter-lang` and `filter-crs` describe `filter`; give `filter` too",
                )
                .into())
            }
            (None, _) => None,
            (Some(text), lang) => {
                if let Some(c) = &q.filter_crs {
                    if CrsRef::parse(c).ok() != Some(CrsRef::Crs84) {
                        return Err(ApiError::new(
                            StatusCode::BAD_REQUEST,
                            "unsupported_crs",
                            format!("`filter-crs`: {c:?}: filter geometries are read as CRS84 ({}) only", CrsRef::Crs84.uri()),
                        ));
                    }
                }
                let queryables = features::LayerQueryables::of(l);
                let parsed = match lang {
                    FilterLang::Cql2Text | FilterLang::CqlText => {
                        Filter::parse_text(text, &queryables)
                    }
                    FilterLang::Cql2Json => Filter::parse_json(text, &queryables),
                }?;
                query.push(("filter", text.clone()));
                if lang == FilterLang::Cql2Json {
                    query.push(("filter-lang", "cql2-json".into()));
                }
                Some(parsed)
            }
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
            filter,
            crs,
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

    /// The box in lon/lat (converted from `bbox-crs`, then held to lon/lat's ranges).
    fn lonlat_bbox(&self) -> Result<Option<[f64; 4]>, ApiError> {
        match &self.bbox {
            None => Ok(None),
            Some((b, CrsRef::Crs84)) => Ok(Some(*b)),
            Some((b, c)) => {
                let ll = c.bbox_to_lonlat(*b)?;
                Ok(Some(check_bbox(ll).map_err(|e| {
                    QueryError::param(
                        "bbox",
                        format!("in {} it is {ll:?} in lon/lat: {e}", c.uri()),
                    )
                })?))
            }
        }
    }
}

/// Features of a collection, as GeoJSON.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections/{collectionId}/items", tag = "OGC API – Features",
    params(("collectionId" = String, Path, description = "A layer id (see `/collections`)"), ItemsQuery),
    responses(
        (status = 200, description = "A page of features, in layer order", body = FeatureCollection, content_type = "application/geo+json",
            headers(("Content-Crs" = String, description = "The CRS of the geometries, `<URI>`"))),
        (status = 400, description = "A parameter is malformed or unknown, or a CRS is not offered", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection", body = crate::api::error::ErrorBody),
    )))]
pub async fn items(
    State(st): State<Arc<AppState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Params(q): Params<ItemsQuery>,
) -> Result<Response, ApiError> {
    let base = base_url(&st, &headers);
    let ds = st.dataset();
    let filter = ItemsFilter::parse(q, layer(&ds, &id)?)?;
    let crs = filter.crs.clone();
    // Exact intersection tests, CRS conversions and geometry serialisation are CPU work: off
    // the async workers (and PROJ's handles are not Send: they are made there).
    let page = tokio::task::spawn_blocking(move || -> Result<FeatureCollection, ApiError> {
        let l = layer(&ds, &id)?;
        let axes = filter.crs.writer()?;
        let served = features::geometry_type(l);
        let matched = features::select(
            l,
            filter.lonlat_bbox()?,
            filter.years,
            filter.filter.as_ref(),
        );
        let total = matched.len() as u64;
        let features = matched
            .into_iter()
            .skip(usize::try_from(filter.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(filter.limit).unwrap_or(usize::MAX))
            .map(|f| GeoJsonFeature::of(f, served, &axes, None))
            .collect::<Result<Vec<_>, CrsError>>()?;
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
    Ok(with_header(ok(GEOJSON, page), content_crs(&crs)))
}

/// One feature, by id.
#[cfg_attr(feature = "openapi", utoipa::path(get, path = "/collections/{collectionId}/items/{featureId}", tag = "OGC API – Features",
    params(
        ("collectionId" = String, Path, description = "A layer id (see `/collections`)"),
        ("featureId" = String, Path, description = "The feature's id"),
        ItemQuery,
    ),
    responses(
        (status = 200, description = "The feature", body = GeoJsonFeature, content_type = "application/geo+json",
            headers(("Content-Crs" = String, description = "The CRS of the geometry, `<URI>`"),
                ("ETag" = String, description = "The layer's state, for `If-Match` on an edit"))),
        (status = 400, description = "Unknown parameter or format, or a CRS not offered", body = crate::api::error::ErrorBody),
        (status = 404, description = "No such collection or feature", body = crate::api::error::ErrorBody),
    )))]
pub async fn item(
    State(st): State<Arc<AppState>>,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
    Params(q): Params<ItemQuery>,
) -> Result<Response, ApiError> {
    let base = base_url(&st, &headers);
    let ds = st.dataset();
    let l = layer(&ds, &id)?;
    let crs = resolve_crs("crs", q.crs.as_deref(), l)?;
    let f = l.features.iter().find(|f| f.id == fid).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("collection {id:?} has no feature {fid:?}"),
        )
    })?;
    let mut self_href = format!("{base}/collections/{id}/items/{}", enc(&fid));
    if q.crs.is_some() {
        self_href.push_str(&format!("?crs={}", enc(&crs.uri())));
    }
    let links = vec![
        link(self_href, "self", GEOJSON, "This feature"),
        link(
            format!("{base}/collections/{id}"),
            "collection",
            JSON,
            "The collection",
        ),
    ];
    let served = features::geometry_type(l);
    let feature = GeoJsonFeature::of(f, served, &crs.writer()?, Some(links))?;
    let mut res = with_header(ok(GEOJSON, feature), content_crs(&crs));
    // Part 4's optimistic concurrency: the tag of the layer file the feature was read from.
    if let Some(tag) = ds
        .file_hash(&l.spec.file)
        .and_then(|h| HeaderValue::from_str(&crate::data::edit::etag(h)).ok())
    {
        res.headers_mut().insert(axum::http::header::ETAG, tag);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_takes_four_or_six_numbers_in_range() {
        assert_eq!(
            parse_bbox("120.7, 30.7,120.8,30.8", true).unwrap(),
            [120.7, 30.7, 120.8, 30.8]
        );
        assert_eq!(
            parse_bbox("1,2,-5,3,4,100", true).unwrap(),
            [1.0, 2.0, 3.0, 4.0]
        );
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
            assert!(parse_bbox(bad, true).is_err(), "{bad:?} was accepted");
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
