//! Point queries: which zones contain a place.

use crate::data::{Dataset, LayerKind, Location};
use crate::params::{check_year, QueryError};
use crate::spatial::crs::WebOffset;
use geo::Coord;
use rstar::AABB;
use serde::Serialize;

/// A zone feature containing the queried point.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZoneHit {
    /// The layer's id.
    pub layer: String,
    /// The feature's id.
    pub id: String,
    /// The feature's name.
    pub name: String,
    /// True when the point lies exactly on the zone's boundary.
    pub on_boundary: bool,
    /// The feature's properties.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// The answer to "where am I?": the zones at a point in a year.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Zones {
    /// The year asked about.
    pub year: i32,
    /// The zones containing the point, by layer and id.
    pub zones: Vec<ZoneHit>,
    /// When the point was given on a Chinese web map (`crs=GCJ02|BD09`): the point as given,
    /// its CRS, and the WGS84/CGCS2000 lon/lat it was looked up at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point: Option<PointEcho>,
}

/// A point given in a web map's offset coordinates, and where it is.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointEcho {
    /// `GCJ02` or `BD09`.
    pub crs: &'static str,
    /// `[lon, lat]` as given, in that CRS.
    pub given: [f64; 2],
    /// `[lon, lat]` on WGS84/CGCS2000, where the zones were looked up.
    pub lonlat: [f64; 2],
}

/// [`zones_at`], with the year it answers for.
pub fn zones(ds: &Dataset, lon: f64, lat: f64, year: i32) -> Result<Zones, QueryError> {
    Ok(Zones {
        year,
        zones: zones_at(ds, lon, lat, year)?,
        point: None,
    })
}

/// [`zones`] of a point given on an Amap (GCJ-02) or Baidu (BD-09) map.
pub fn zones_on(
    ds: &Dataset,
    (lon, lat): (f64, f64),
    offset: WebOffset,
    year: i32,
) -> Result<Zones, QueryError> {
    let (x, y) = offset.to_lonlat(lon, lat);
    let mut z = zones(ds, x, y, year)?;
    z.point = Some(PointEcho {
        crs: match offset {
            WebOffset::Gcj02 => "GCJ02",
            WebOffset::Bd09 => "BD09",
        },
        given: [lon, lat],
        lonlat: [x, y],
    });
    Ok(z)
}

/// The zone features (of zone layers) containing `(lon, lat)` in `year`, boundary included.
///
/// # Examples
/// ```
/// let ds = ecospace::Dataset::bundled().unwrap();
/// assert!(ecospace::zones_at(&ds, 122.5, 30.0, 2025).unwrap().is_empty());
/// assert!(ecospace::zones_at(&ds, 200.0, 30.0, 2025).is_err());
/// ```
pub fn zones_at(ds: &Dataset, lon: f64, lat: f64, year: i32) -> Result<Vec<ZoneHit>, QueryError> {
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(QueryError::param(
            "lon",
            format!("must be a longitude in [-180, 180], got {lon}"),
        ));
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(QueryError::param(
            "lat",
            format!("must be a latitude in [-90, 90], got {lat}"),
        ));
    }
    check_year(year)?;
    let p = Coord { x: lon, y: lat };
    let env = AABB::from_point([lon, lat]);
    let mut out = Vec::new();
    for layer in ds.layers.iter().filter(|l| l.kind() == LayerKind::Zone) {
        let mut found: Vec<ZoneHit> = layer
            .candidates(&env)
            .filter(|f| f.valid_in(year))
            .filter_map(|f| {
                let loc = f.locate(p);
                (loc != Location::Outside).then(|| ZoneHit {
                    layer: layer.id().to_string(),
                    id: f.id.clone(),
                    name: f.name.clone(),
                    on_boundary: loc == Location::Boundary,
                    properties: f.properties.clone(),
                })
            })
            .collect();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        out.extend(found);
    }
    Ok(out)
}
