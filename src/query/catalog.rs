//! What the dataset holds: its layers, their kind and constraint rule, what their properties
//! mean, and their features in force in a year (counts, box, total area or length).

use crate::data::{ConstraintOn, Dataset, LayerKind};
use crate::params::{check_year, QueryError};
use serde::Serialize;
use std::collections::BTreeMap;

/// One layer of the catalogue.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerInfo {
    /// The layer's id.
    pub id: String,
    /// Title in Chinese.
    pub title_zh: String,
    /// Title in English.
    pub title_en: String,
    /// `zone` or `line`.
    pub kind: LayerKind,
    /// Whether its features constrain building (see the manifest's `constraint_if`).
    pub constraint: bool,
    /// `outside` when the constraint is leaving the layer's zones (the urban boundary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraint_on: Option<ConstraintOn>,
    /// A context layer (drawn and served, never screened).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub context: bool,
    /// Features, all years.
    pub features: usize,
    /// Features in force in `year`.
    pub features_in_year: usize,
    /// Box of all its features, `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
    /// Total zone area in `year`, km² (zones only; features of one layer may not overlap,
    /// so this is the sum: the indicator engine computes true unions).
    pub area_km2: Option<f64>,
    /// Total line length in `year`, km (lines only).
    pub length_km: Option<f64>,
    /// What each property means.
    pub properties: BTreeMap<String, String>,
}

/// The dataset's layers in a year.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Catalog {
    /// The dataset's id.
    pub dataset: String,
    /// Its version (a content hash).
    pub version: String,
    /// The year of the counts and totals.
    pub year: i32,
    /// The layers, in manifest order.
    pub layers: Vec<LayerInfo>,
}

/// The catalogue of `ds` in `year`.
pub fn catalog(ds: &Dataset, year: i32) -> Result<Catalog, QueryError> {
    check_year(year)?;
    let layers = ds
        .layers
        .iter()
        .map(|l| {
            l.measure_all();
            let live: Vec<_> = l.features_in(year).collect();
            let zone = l.kind() == LayerKind::Zone;
            LayerInfo {
                id: l.id().to_string(),
                title_zh: l.spec.title_zh.clone(),
                title_en: l.spec.title_en.clone(),
                kind: l.kind(),
                constraint: l.spec.constraint,
                constraint_on: (l.spec.constraint_on == ConstraintOn::Outside)
                    .then_some(ConstraintOn::Outside),
                context: l.spec.context,
                features: l.features.len(),
                features_in_year: live.len(),
                bbox: l.bbox,
                area_km2: zone.then(|| live.iter().map(|f| f.area_m2()).sum::<f64>() / 1e6),
                length_km: (!zone).then(|| live.iter().map(|f| f.length_m()).sum::<f64>() / 1e3),
                properties: l.spec.properties.clone(),
            }
        })
        .collect();
    Ok(Catalog {
        dataset: ds.manifest.id.clone(),
        version: ds.version.clone(),
        year,
        layers,
    })
}
