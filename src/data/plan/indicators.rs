//! Indicator definitions (`indicators.toml`): what each indicator measures — the union area of a
//! zone layer, or the share of a line layer's length whose properties match — so that adding an
//! indicator is a change to a data file, not to code.

use super::{PlanError, Problem};
use crate::data::manifest::{LayerKind, Manifest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How an indicator is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Area of the union of a zone layer's features, km² (overlaps counted once).
    UnionArea,
    /// Length of the features matching `numerator` over all features' length, %.
    LengthShare,
    /// Union area of a zone layer over the union area of the `denominator` layer's features
    /// that match its `where` (e.g. land), %, per county by the features' `county`.
    AreaShare,
}

/// What an `area_share` is a share of.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Denominator {
    /// A zone layer (e.g. `land_sea`).
    pub layer: String,
    /// Property → value a feature must have to count (e.g. `class = "land"`).
    #[serde(default, rename = "where", skip_serializing_if = "BTreeMap::is_empty")]
    pub filter: BTreeMap<String, toml::Value>,
    /// Where the denominator comes from and why it stands in for the plan's.
    pub source: String,
}

/// One indicator definition.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IndicatorSpec {
    pub id: String,
    pub title_zh: String,
    pub title_en: String,
    pub measure: Measure,
    pub layer: String,
    /// For `length_share`: property → value a feature must have to count in the numerator.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub numerator: BTreeMap<String, toml::Value>,
    /// For `union_area`: also break the area down by this property's values (e.g. `level`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// For `area_share`: the area it is a share of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<Denominator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorFile {
    #[serde(rename = "indicator", default)]
    indicators: Vec<IndicatorSpec>,
}

/// Parses `indicators.toml` and checks it against the layers it names.
pub fn parse_specs(
    text: &str,
    file: &str,
    manifest: &Manifest,
) -> Result<Vec<IndicatorSpec>, PlanError> {
    let f: IndicatorFile = toml::from_str(text).map_err(|e| PlanError::new(file, e.into()))?;
    for s in &f.indicators {
        let Some(l) = manifest.layer(&s.layer) else {
            return Err(PlanError::new(
                file,
                Problem::UnknownLayer {
                    indicator: s.id.clone(),
                    layer: s.layer.clone(),
                },
            ));
        };
        let ok = match s.measure {
            Measure::UnionArea => l.kind == LayerKind::Zone && s.denominator.is_none(),
            Measure::LengthShare => {
                l.kind == LayerKind::Line && !s.numerator.is_empty() && s.denominator.is_none()
            }
            Measure::AreaShare => {
                l.kind == LayerKind::Zone
                    && s.denominator.as_ref().is_some_and(|d| {
                        manifest
                            .layer(&d.layer)
                            .is_some_and(|dl| dl.kind == LayerKind::Zone)
                    })
            }
        };
        if !ok {
            return Err(PlanError::new(
                file,
                Problem::MeasureMismatch {
                    indicator: s.id.clone(),
                },
            ));
        }
    }
    Ok(f.indicators)
}
