//! What a check answers (one type per question, serialised the same by CLI and HTTP) and the
//! options it takes.

use crate::params::current_year;
use serde::Serialize;
use std::collections::BTreeMap;

/// Relative slack when comparing an overlap with the whole (boolean-op snapping is ~1e-9).
pub(super) const SAME_AREA: f64 = 1e-7;

/// Options of a check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Features valid in this year are considered.
    pub year: i32,
    /// Also report features within this many metres of the site.
    pub buffer_m: f64,
    /// Only these layers (all when `None`).
    pub layers: Option<Vec<String>>,
}

impl CheckOptions {
    /// Defaults: the current year, no buffer, all layers.
    pub fn new() -> Self {
        CheckOptions {
            year: current_year(),
            buffer_m: 0.0,
            layers: None,
        }
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// How the site relates to a feature (DE-9IM, site first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The site lies inside the feature.
    Within,
    /// The site contains the whole feature.
    Contains,
    /// Interiors overlap, neither contains the other (same dimension).
    Overlaps,
    /// Interiors meet in a lower dimension (a line passing through a zone, a site cut by a line).
    Crosses,
    /// Only boundaries meet.
    Touches,
    /// No contact, but within the buffer.
    Near,
}

/// The site-level answer: whether a planning constraint is met, whatever the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A constraint is met: the site enters or touches a constraint feature, or lies partly
    /// outside a layer whose outside is the constraint (the urban development boundary).
    Conflict,
    /// No constraint is met, but one lies within `buffer_m`: a constraint feature, or the
    /// outside of an outside-constraint layer.
    Near,
    /// Neither. Hits on non-constraint features (unprotected banks, artificial shoreline,
    /// forest, water) are still listed; they do not make a site `near`.
    Clear,
}

/// What the site is.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteSummary {
    /// The site's GeoJSON geometry type (`Point`, `Polygon`, …).
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Geodesic area, m² (0 for points and lines).
    pub area_m2: f64,
    /// Geodesic length, m (perimeter for polygons, 0 for points).
    pub length_m: f64,
    /// The site's box, `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
}

/// One feature the site meets or comes near.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hit {
    /// The feature's layer id.
    pub layer: String,
    /// The feature's id.
    pub id: String,
    /// The feature's name.
    pub name: String,
    /// How the site relates to the feature (`near` when only within the buffer).
    pub relation: Relation,
    /// Whether this hit is on a constraint feature.
    pub constraint: bool,
    /// Geodesic area of site ∩ zone, m² (zones and areal sites only).
    pub overlap_area_m2: Option<f64>,
    /// `overlap_area_m2` / site area (areal sites only).
    pub overlap_ratio: Option<f64>,
    /// Length of line inside the other geometry, m (line feature in an areal site, or a line site in a zone).
    pub overlap_length_m: Option<f64>,
    /// Geodesic distance, m: 0 when they meet.
    pub distance_m: f64,
    /// The feature's properties, as loaded.
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// Totals for one layer.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerSummary {
    /// Features of the layer the site meets or comes near.
    pub hits: usize,
    /// Hits that meet the site (not `near`) on constraint features.
    pub conflicts: usize,
    /// Area of the site inside the layer's zones (overlaps within the layer counted once), m².
    pub overlap_area_m2: f64,
    /// `overlap_area_m2` / site area (null for non-areal sites).
    pub overlap_ratio: Option<f64>,
    /// Sum of per-hit overlap lengths, m.
    pub overlap_length_m: f64,
    /// Smallest distance to any hit, m.
    pub min_distance_m: Option<f64>,
    /// For a layer whose constraint is its outside (`constraint_on = "outside"`): the part of
    /// the site outside all its zones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside: Option<Outside>,
}

/// The part of a site outside an outside-constraint layer (the urban development boundary).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outside {
    /// Share of the site outside: of its area (areal sites), length (lines), 0 or 1 (points).
    pub ratio: f64,
    /// Area of the site outside, m² (areal sites only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_m2: Option<f64>,
    /// Length of the site outside, m (line sites only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length_m: Option<f64>,
    /// Distance from the site to the outside, m: 0 when part of it is outside; for a site
    /// wholly inside, the distance to the nearest zone edge when within `buffer_m`, else null.
    pub distance_m: Option<f64>,
}

/// A county the site lies in, from the manifest's `county_layer`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountyShare {
    /// The county's adcode (the feature's `county`, else its id).
    pub county: String,
    /// The county's name.
    pub name: String,
    /// Share of the site in the county: of its area (areal sites), length (lines), or 1 for a
    /// point (split evenly when a point lies on a border).
    pub share: f64,
}

/// The answer to a check.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckResult {
    /// What the site is: its type and geodesic measures.
    pub site: SiteSummary,
    /// The site-level answer: conflict, near or clear.
    pub verdict: Verdict,
    /// The year checked (features in force that year).
    pub year: i32,
    /// The buffer used, m.
    pub buffer_m: f64,
    /// Every feature met or near, layer by layer in the order checked, by feature id.
    pub hits: Vec<Hit>,
    /// Per layer checked, keyed by layer id.
    pub summary: BTreeMap<String, LayerSummary>,
    /// The counties the site lies in, largest share first (empty without a `county_layer`).
    pub counties: Vec<CountyShare>,
}
