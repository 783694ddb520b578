//! Batch screening: many sites in, one row out per site, as they are done.
//!
//! Planners screen project lists, not single sites: a FeatureCollection (each feature may carry
//! its own `type`) or a CSV from a spreadsheet with a WKT column or lon/lat columns. One bad row
//! is reported in its own row (with its index and id) and does not stop the others; a file that cannot
//! be read as a list of sites at all is refused whole.

use super::check::CheckOptions;
use super::screen::{parse_class, screen, Screened, Screening};
use super::site::{self, Site, SiteError, SiteInput};
use crate::data::Dataset;
use crate::params::QueryError;
use crate::spatial::geojson::from_geojson;
use serde::Serialize;
use serde_json::{Map, Value};

/// Why a batch file was refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// A GeoJSON body that is not a site or list of sites, or a batch of no or too many sites.
    #[error(transparent)]
    Site(#[from] SiteError),
    /// A CSV body that cannot be read: a bad record, or a header with no geometry columns.
    #[error("CSV: {0}")]
    Csv(String),
}

impl BatchError {
    /// Stable machine-readable code: the site error's, or `invalid_csv`.
    pub fn code(&self) -> &'static str {
        match self {
            BatchError::Site(e) => e.code(),
            BatchError::Csv(_) => "invalid_csv",
        }
    }
}

/// One site to screen, or the reason its row could not become one.
#[derive(Debug)]
pub struct Entry {
    /// 0-based position in the input.
    pub index: usize,
    /// The site, or why its feature or CSV row could not become one.
    pub site: Result<Site, SiteError>,
    /// The site's id as read, also when the site could not be (its row still names it).
    pub id: Option<String>,
}

/// Reads a batch: GeoJSON when the body starts with `{`, CSV otherwise.
pub fn read(body: &[u8], max_batch: usize) -> Result<Vec<Entry>, BatchError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let entries = if first == Some(&b'{') {
        site::parse_batch(body, max_batch)?
            .into_iter()
            .enumerate()
            .map(|(index, site)| Entry {
                index,
                id: match &site {
                    Ok(s) => s.id.clone(),
                    Err(e) => e.site_id().map(str::to_string),
                },
                site,
            })
            .collect()
    } else {
        read_csv(body)?
    };
    if entries.is_empty() {
        return Err(SiteError::EmptyBatch.into());
    }
    if entries.len() > max_batch {
        return Err(SiteError::BatchTooLarge {
            n: entries.len(),
            max: max_batch,
        }
        .into());
    }
    Ok(entries)
}

/// CSV with a header: a `wkt` (or `geometry`) column, or `lon`/`lat` (`lng`, `longitude`/
/// `latitude`, `x`/`y`); `id` and `type` when present; every other column kept as a property.
fn read_csv(body: &[u8]) -> Result<Vec<Entry>, BatchError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body); // Excel's UTF-8 BOM
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(body);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| BatchError::Csv(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let wkt = col(&["wkt", "geometry", "geom"]);
    let lon = col(&["lon", "lng", "longitude", "x"]);
    let lat = col(&["lat", "latitude", "y"]);
    if wkt.is_none() && (lon.is_none() || lat.is_none()) {
        return Err(BatchError::Csv(format!(
            "the header ({}) needs a `wkt` column or `lon` and `lat` columns",
            headers.join(",")
        )));
    }
    let id = col(&["id"]);
    let mut out = Vec::new();
    for (index, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| BatchError::Csv(e.to_string()))?;
        let cell = |i: Option<usize>| i.and_then(|i| rec.get(i)).map(str::trim);
        let site_id = cell(id).filter(|s| !s.is_empty()).map(str::to_string);
        let mut properties = Map::new();
        for (i, h) in headers.iter().enumerate() {
            if Some(i) == wkt || Some(i) == lon || Some(i) == lat {
                continue;
            }
            if let Some(v) = rec.get(i) {
                properties.insert(h.clone(), Value::String(v.trim().to_string()));
            }
        }
        let geometry = match wkt {
            Some(_) => geometry_from_wkt(cell(wkt).unwrap_or("")),
            None => point_from(cell(lon).unwrap_or(""), cell(lat).unwrap_or("")),
        }
        .map_err(SiteError::NotGeoJson)
        .and_then(|g| {
            from_geojson(&g).map_err(|source| SiteError::Geometry {
                index: Some(index),
                id: site_id.clone(),
                source,
            })
        });
        out.push(Entry {
            index,
            id: site_id.clone(),
            site: geometry.map(|geometry| Site {
                id: site_id,
                geometry,
                properties,
            }),
        });
    }
    Ok(out)
}

fn point_from(lon: &str, lat: &str) -> Result<geojson::Geometry, String> {
    let num = |s: &str, what: &str| {
        s.parse::<f64>()
            .map_err(|_| format!("{what} {s:?} is not a number"))
    };
    let v =
        serde_json::json!({"type": "Point", "coordinates": [num(lon, "lon")?, num(lat, "lat")?]});
    serde_json::from_value(v).map_err(|e| e.to_string())
}

/// WKT → GeoJSON geometry, so that it passes the same validation as posted GeoJSON.
fn geometry_from_wkt(text: &str) -> Result<geojson::Geometry, String> {
    use std::str::FromStr;
    let w = wkt::Wkt::<f64>::from_str(text).map_err(|e| format!("bad WKT: {e}"))?;
    let g: geo::Geometry<f64> = w
        .try_into()
        .map_err(|e: wkt::conversion::Error| format!("bad WKT: {e}"))?;
    Ok(geojson::Geometry::from(&g))
}

/// The outcome for one site.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Row {
    /// 0-based position in the input.
    pub index: usize,
    /// The site's id (the Feature `id` or the CSV `id` column), when it has one.
    pub id: Option<String>,
    /// The site's `name` property, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The project type screened for: the site's own `type`, else the batch's.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub project_type: Option<String>,
    /// The screening, when the site could be screened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Screened>,
    /// Why it could not be, otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RowError>,
}

/// Why one site could not be screened.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    /// Stable machine-readable code (as in an HTTP error's `error`).
    pub error: &'static str,
    /// What is wrong, for a person.
    pub message: String,
}

/// Screens one entry: the site's own `type` wins over the batch's default type.
pub fn screen_entry(
    ds: &Dataset,
    e: Entry,
    opts: &CheckOptions,
    ask: &Screening,
    max_vertices: usize,
) -> Row {
    let (id, name, ty) = match &e.site {
        Ok(s) => (
            s.id.clone(),
            s.properties
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string),
            s.project_type()
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .or_else(|| ask.project_type.clone()),
        ),
        Err(_) => (e.id.clone(), None, ask.project_type.clone()),
    };
    let mut row = Row {
        index: e.index,
        id,
        name,
        project_type: ty.clone(),
        result: None,
        error: None,
    };
    // The row carries the site's index and id: its message does not repeat them.
    let to_row_error = |err: SiteError| {
        let err = err.unplaced();
        RowError {
            error: err.code(),
            message: err.to_string(),
        }
    };
    let outcome = e.site.map_err(to_row_error).and_then(|s| {
        site::check_vertices(&SiteInput::One(s.clone()), max_vertices).map_err(to_row_error)?;
        let to_row = |err: QueryError| RowError {
            error: err.code(),
            message: err.to_string(),
        };
        let ask = Screening {
            project_type: ty,
            project_class: match s.project_class() {
                Some(c) => Some(parse_class(c).map_err(to_row)?),
                None => ask.project_class,
            },
            ..ask.clone()
        };
        screen(ds, &s.geometry, opts, &ask).map_err(|err| RowError {
            error: err.code(),
            message: err.to_string(),
        })
    });
    match outcome {
        Ok(r) => row.result = Some(r),
        Err(e) => row.error = Some(e),
    }
    row
}
