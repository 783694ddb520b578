//! Proximity rings: what lies within 0, 500, 1000, 5000 m of a site, and how much of it.
//!
//! Buffered reports (IBAT, Australia's PMST, NEPAssist) answer "what is near?" in metres, so
//! the buffer must be metric, not a degree offset (at 30.7°N a degree of longitude is 14 % shorter
//! than one of latitude). The site is projected into an azimuthal equidistant frame centred on
//! it (spherical, with the ellipsoid's mean radius of curvature there: within 100 km its
//! distances are off by less than 1e-5), buffered there with round joins of 1°, densified, and
//! brought back to lon/lat; zones are then cut by the buffer and measured geodesically like
//! every other area. Ring 0 is the site itself.

use super::check::{check, CheckOptions, CheckResult};
use crate::data::Dataset;
use crate::params::{validate_rings, QueryError};
use crate::spatial::buffer::buffer_lonlat;
use crate::spatial::frames::Aeqd;
use crate::spatial::geodesy;
use geo::{BooleanOps, Geometry, MultiPolygon};
use serde::Serialize;
use std::collections::BTreeMap;

/// One feature within a ring.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RingFeature {
    /// The feature's layer id.
    pub layer: String,
    /// The feature's id.
    pub id: String,
    /// The feature's name.
    pub name: String,
    /// Geodesic distance from the site, m (0 when they meet).
    pub distance_m: f64,
    /// Zones: area of the zone inside the ring, m².
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_m2: Option<f64>,
    /// Lines: length of the line inside the ring, m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length_m: Option<f64>,
}

/// Totals of one layer within a ring.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RingLayer {
    /// Features of the layer within the ring.
    pub features: usize,
    /// Union area of the layer's zones inside the ring, m².
    pub area_m2: f64,
    /// Sum of line lengths inside the ring, m.
    pub length_m: f64,
}

/// Everything within `distance_m` of the site.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ring {
    /// The ring's distance from the site, m (0: the site itself).
    pub distance_m: f64,
    /// Area of the ring itself (site buffered by the distance), m²; 0 for ring 0 of a point.
    pub ring_area_m2: f64,
    /// Totals per layer with a feature within the ring, keyed by layer id.
    pub layers: BTreeMap<String, RingLayer>,
    /// Every feature within the ring, in the check's hit order.
    pub features: Vec<RingFeature>,
}

/// The rings around `site`, at the distances `radii` (checked by [`validate_rings`]).
pub fn rings(
    ds: &Dataset,
    site: &Geometry,
    opts: &CheckOptions,
    radii: &[f64],
) -> Result<Vec<Ring>, QueryError> {
    let radii = validate_rings(radii)?;
    let max = radii.last().copied().unwrap_or(0.0);
    // Every feature within the largest ring, with its distance and ring-0 overlap.
    let all = check(
        ds,
        site,
        &CheckOptions {
            buffer_m: max,
            ..opts.clone()
        },
    )?;
    let frame = Aeqd::at(site);
    let site_mp = areal(site);
    let mut out = Vec::with_capacity(radii.len());
    for &r in &radii {
        let buffer = if r == 0.0 {
            site_mp.clone()
        } else {
            buffer_lonlat(site, r, &frame)
        };
        out.push(ring(ds, site, &all, r, buffer.as_ref()));
    }
    Ok(out)
}

fn ring(
    ds: &Dataset,
    site: &Geometry,
    all: &CheckResult,
    r: f64,
    buffer: Option<&MultiPolygon>,
) -> Ring {
    let ring_area_m2 = buffer.map_or(0.0, |b| {
        geodesy::area_m2(&Geometry::MultiPolygon(b.clone()))
    });
    let mut layers: BTreeMap<String, RingLayer> = BTreeMap::new();
    let mut unions: BTreeMap<String, MultiPolygon> = BTreeMap::new();
    let mut features = Vec::new();
    for hit in &all.hits {
        // Ring 0 holds what the site meets (distance 0), including a point inside a zone.
        if hit.distance_m > r {
            continue;
        }
        let Some(f) = ds
            .layer(&hit.layer)
            .and_then(|l| l.features.iter().find(|f| f.id == hit.id))
        else {
            continue;
        };
        let (mut area, mut length) = (None, None);
        match (&f.geometry, buffer) {
            (Geometry::Polygon(_) | Geometry::MultiPolygon(_), Some(b)) => {
                let zone = areal(&f.geometry).unwrap_or(MultiPolygon(vec![]));
                let inside = zone.intersection(b);
                area = Some(geodesy::area_m2(&Geometry::MultiPolygon(inside.clone())));
                let u = unions
                    .remove(&hit.layer)
                    .map_or(inside.clone(), |u| u.union(&inside));
                unions.insert(hit.layer.clone(), u);
            }
            (Geometry::Polygon(_) | Geometry::MultiPolygon(_), None) => area = Some(0.0),
            (Geometry::LineString(_) | Geometry::MultiLineString(_), Some(b)) => {
                let lines = match &f.geometry {
                    Geometry::LineString(l) => geo::MultiLineString(vec![l.clone()]),
                    Geometry::MultiLineString(m) => m.clone(),
                    _ => geo::MultiLineString(vec![]),
                };
                let clipped = b.clip(&lines, false);
                length = Some(geodesy::lines_length_m(&clipped));
            }
            (_, None) => {
                // Ring 0 of a point or line site: what it meets, no area to measure.
                length = matches!(site, Geometry::LineString(_) | Geometry::MultiLineString(_))
                    .then_some(hit.overlap_length_m.unwrap_or(0.0));
            }
            _ => {}
        }
        let e = layers.entry(hit.layer.clone()).or_default();
        e.features += 1;
        e.length_m += length.unwrap_or(0.0);
        features.push(RingFeature {
            layer: hit.layer.clone(),
            id: hit.id.clone(),
            name: hit.name.clone(),
            distance_m: hit.distance_m,
            area_m2: area,
            length_m: length,
        });
    }
    for (layer, u) in unions {
        if let Some(e) = layers.get_mut(&layer) {
            e.area_m2 = geodesy::area_m2(&Geometry::MultiPolygon(u));
        }
    }
    Ring {
        distance_m: r,
        ring_area_m2,
        layers,
        features,
    }
}

fn areal(g: &Geometry) -> Option<MultiPolygon> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(m) => Some(m.clone()),
        _ => None,
    }
}
