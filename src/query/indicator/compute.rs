//! One year's indicators, computed: union areas of zone layers and length shares of line layers,
//! for the city and per county, each set against the target that applies in the year.

use crate::data::layer::toml_eq;
use crate::data::plan::indicators::{IndicatorSpec, Measure};
use crate::data::plan::targets::{evaluate, AppliedTarget, Status};
use crate::data::{Dataset, Feature};
use crate::params::{check_year, current_year, QueryError, MAX_SERIES_YEARS};
use crate::spatial::geodesy;
use geo::{Geometry, MultiPolygon, Polygon};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A measured value, with what it was computed from.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Measured {
    /// The value: a union area (km²) or a length share (%).
    pub value: f64,
    /// Unit of `value`: `km²` or `%`.
    pub unit: &'static str,
    /// Area (km²) or numerator length (km).
    pub numerator: f64,
    /// Total length (km) of a length share, or total area (km²) of an area share; `None` for
    /// areas.
    pub denominator: Option<f64>,
    /// Unit of numerator and denominator.
    pub parts_unit: &'static str,
    /// Breakdown by the spec's `by` property (value → km²).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<BTreeMap<String, f64>>,
}

/// An indicator in a year: value plus target and status.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicator {
    /// Chinese title, from the indicator definitions.
    pub title_zh: String,
    /// English title, from the indicator definitions.
    pub title_en: String,
    /// The value and what it was computed from (flattened into the indicator).
    #[serde(flatten)]
    pub value: Measured,
    /// The target that applies in the year, if any.
    pub target: Option<AppliedTarget>,
    /// value − target (positive is better for "at least"/"not reduced").
    pub gap: Option<f64>,
    /// Whether the value meets its target.
    pub status: Status,
}

/// All indicators of one year: the answer to "how does the plan stand this year?".
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct YearIndicators {
    /// The year.
    pub year: i32,
    /// Indicator id → indicator.
    pub indicators: BTreeMap<String, Indicator>,
    /// Indicator ids in definition order (for reports).
    #[serde(skip)]
    pub order: Vec<String>,
    /// County adcode → indicator id → value (features count in their `county`).
    pub by_county: BTreeMap<String, BTreeMap<String, f64>>,
    /// The same with the numerators and denominators behind each county value.
    pub by_county_detail: BTreeMap<String, BTreeMap<String, Measured>>,
}

/// Indicators for a span of years.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Series {
    /// First year.
    pub from: i32,
    /// Last year.
    pub to: i32,
    /// One entry per year, ascending.
    pub series: Vec<Arc<YearIndicators>>,
}

/// Key for features without a county.
pub const NO_COUNTY: &str = "unknown";

/// Computes the indicators for `year`. Unions are the expensive part: a service keeps the
/// answers in a [`Cache`](super::Cache).
pub fn compute(ds: &Dataset, year: i32) -> Result<Arc<YearIndicators>, QueryError> {
    check_year(year)?;
    let mut indicators = BTreeMap::new();
    let mut by_county: BTreeMap<String, BTreeMap<String, Measured>> = BTreeMap::new();
    for spec in &ds.indicators {
        let Some(layer) = ds.layer(&spec.layer) else {
            continue;
        };
        layer.measure_all();
        let live: Vec<&Feature> = layer.features_in(year).collect();
        let groups = by_county_of(&live);
        // An area share's denominator, in force the same year, per county likewise.
        let denominator = denominator_in(ds, spec, year);
        let denominator_groups = denominator.as_deref().map(by_county_of);
        let counties: std::collections::BTreeSet<&String> = groups
            .keys()
            .chain(denominator_groups.iter().flat_map(|g| g.keys()))
            .collect();
        for county in counties {
            let fs = groups.get(county).map_or(&[][..], Vec::as_slice);
            let d = denominator_groups
                .as_ref()
                .map(|g| g.get(county).map_or(&[][..], Vec::as_slice));
            by_county
                .entry(county.clone())
                .or_default()
                .insert(spec.id.clone(), measure(spec, fs, d));
        }
        let value = measure(spec, &live, denominator.as_deref());
        let target = ds
            .targets
            .applicable(&spec.id, year, |b| baseline_value(ds, spec, layer, b));
        let (gap, status) = evaluate(target.as_ref(), value.value);
        indicators.insert(
            spec.id.clone(),
            Indicator {
                title_zh: spec.title_zh.clone(),
                title_en: spec.title_en.clone(),
                value,
                target,
                gap,
                status,
            },
        );
    }
    let order = ds
        .indicators
        .iter()
        .map(|s| s.id.clone())
        .filter(|id| indicators.contains_key(id))
        .collect();
    let values = by_county
        .iter()
        .map(|(c, m)| {
            let v = m.iter().map(|(id, v)| (id.clone(), v.value)).collect();
            (c.clone(), v)
        })
        .collect();
    Ok(Arc::new(YearIndicators {
        year,
        indicators,
        order,
        by_county: values,
        by_county_detail: by_county,
    }))
}

/// The default span of a series: from the earliest year the data or targets mention to the
/// later of this year and the last milestone.
pub fn default_span(ds: &Dataset) -> (i32, i32) {
    let feature_years = ds
        .layers
        .iter()
        .flat_map(|l| &l.features)
        .flat_map(|f| [f.valid_from, f.valid_to])
        .flatten();
    let target_years = ds
        .targets
        .0
        .iter()
        .flat_map(|t| [t.year, t.baseline_year])
        .flatten();
    let years: Vec<i32> = feature_years.chain(target_years).collect();
    let now = current_year();
    let from = years.iter().copied().min().unwrap_or(now).min(now);
    let to = years.iter().copied().max().unwrap_or(now).max(now);
    (from, to.min(from + MAX_SERIES_YEARS - 1))
}

/// The indicator in another year (a target's baseline), city-wide.
fn baseline_value(
    ds: &Dataset,
    spec: &IndicatorSpec,
    layer: &crate::data::Layer,
    year: i32,
) -> f64 {
    let live: Vec<&Feature> = layer.features_in(year).collect();
    let d = denominator_in(ds, spec, year);
    measure(spec, &live, d.as_deref()).value
}

/// The features an area share is a share of, in force in `year`.
fn denominator_in<'a>(
    ds: &'a Dataset,
    spec: &IndicatorSpec,
    year: i32,
) -> Option<Vec<&'a Feature>> {
    spec.denominator.as_ref().map(|d| {
        ds.layer(&d.layer)
            .map(|l| {
                l.features_in(year)
                    .filter(|f| {
                        d.filter
                            .iter()
                            .all(|(k, v)| f.properties.get(k).is_some_and(|p| toml_eq(v, p)))
                    })
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// Features grouped by their `county` ([`NO_COUNTY`] without one).
fn by_county_of<'a>(fs: &[&'a Feature]) -> BTreeMap<String, Vec<&'a Feature>> {
    let mut groups: BTreeMap<String, Vec<&Feature>> = BTreeMap::new();
    for f in fs {
        groups
            .entry(f.county.clone().unwrap_or_else(|| NO_COUNTY.into()))
            .or_default()
            .push(f);
    }
    groups
}

fn measure(spec: &IndicatorSpec, fs: &[&Feature], denominator: Option<&[&Feature]>) -> Measured {
    match spec.measure {
        Measure::AreaShare => {
            let part = union_area_m2(fs) / 1e6;
            let whole = denominator.map_or(0.0, |d| union_area_m2(d) / 1e6);
            Measured {
                value: if whole > 0.0 {
                    part / whole * 100.0
                } else {
                    0.0
                },
                unit: "%",
                numerator: part,
                denominator: Some(whole),
                parts_unit: "km²",
                by: None,
            }
        }
        Measure::UnionArea => {
            let by = spec.by.as_ref().map(|key| {
                let mut groups: BTreeMap<String, Vec<&Feature>> = BTreeMap::new();
                for f in fs {
                    let v = f
                        .properties
                        .get(key)
                        .map(value_key)
                        .unwrap_or_else(|| "null".into());
                    groups.entry(v).or_default().push(f);
                }
                groups
                    .into_iter()
                    .map(|(k, g)| (k, union_area_m2(&g) / 1e6))
                    .collect()
            });
            let a = union_area_m2(fs) / 1e6;
            Measured {
                value: a,
                unit: "km²",
                numerator: a,
                denominator: None,
                parts_unit: "km²",
                by,
            }
        }
        Measure::LengthShare => {
            // `+ 0.0` turns the -0.0 of an empty float sum into 0.0.
            let total: f64 = fs.iter().map(|f| f.length_m()).sum::<f64>() / 1e3 + 0.0;
            let part: f64 = fs
                .iter()
                .filter(|f| {
                    spec.numerator
                        .iter()
                        .all(|(k, v)| f.properties.get(k).is_some_and(|p| toml_eq(v, p)))
                })
                .map(|f| f.length_m())
                .sum::<f64>()
                / 1e3
                + 0.0;
            let pct = if total > 0.0 {
                part / total * 100.0
            } else {
                0.0
            };
            Measured {
                value: pct,
                unit: "%",
                numerator: part,
                denominator: Some(total),
                parts_unit: "km",
                by: None,
            }
        }
    }
}

fn value_key(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Geodesic area of the union of zone features, m² (overlaps counted once).
pub fn union_area_m2(fs: &[&Feature]) -> f64 {
    let polys: Vec<Polygon> = fs
        .iter()
        .flat_map(|f| match &f.geometry {
            Geometry::Polygon(p) => vec![p.clone()],
            Geometry::MultiPolygon(mp) => mp.0.clone(),
            _ => vec![],
        })
        .collect();
    if polys.is_empty() {
        return 0.0;
    }
    let u: MultiPolygon = geo::unary_union(&polys);
    geodesy::area_m2(&Geometry::MultiPolygon(u))
}

impl YearIndicators {
    /// Indicators in definition order.
    pub fn ordered(&self) -> impl Iterator<Item = (&String, &Indicator)> {
        self.order
            .iter()
            .filter_map(|id| self.indicators.get_key_value(id))
    }
}
