//! Yearly indicators: zone areas (true unions) and line-length shares, for the city and per
//! county, set against the plan's targets.
//!
//! What each indicator measures is data (`indicators.toml`), not code: a layer, a measure, and
//! for shares the property values that make a feature count in the numerator.

pub mod change;
pub mod chart;
pub mod target;

use crate::dataset::Dataset;
use crate::error::QueryError;
use crate::layer::Feature;
use crate::manifest::LayerKind;
use geo::{Geometry, MultiPolygon, Polygon};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
pub use target::{AppliedTarget, Status, Targets};

/// How an indicator is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Area of the union of a zone layer's features, km² (overlaps counted once).
    UnionArea,
    /// Length of the features matching `numerator` over all features' length, %.
    LengthShare,
}

/// One indicator definition.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    manifest: &crate::manifest::Manifest,
) -> Result<Vec<IndicatorSpec>, String> {
    let f: IndicatorFile = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
    for s in &f.indicators {
        let Some(l) = manifest.layer(&s.layer) else {
            return Err(format!(
                "{file}: indicator {:?} names unknown layer {:?}",
                s.id, s.layer
            ));
        };
        let ok = match s.measure {
            Measure::UnionArea => l.kind == LayerKind::Zone,
            Measure::LengthShare => l.kind == LayerKind::Line && !s.numerator.is_empty(),
        };
        if !ok {
            return Err(format!(
                "{file}: indicator {:?}: union_area needs a zone layer; length_share needs a line layer and a numerator",
                s.id
            ));
        }
    }
    Ok(f.indicators)
}

/// A measured value, with what it was computed from.
#[derive(Debug, Clone, Serialize)]
pub struct Value {
    pub value: f64,
    pub unit: &'static str,
    /// Area (km²) or numerator length (km).
    pub numerator: f64,
    /// Total length (km) for shares; `None` for areas.
    pub denominator: Option<f64>,
    /// Unit of numerator and denominator.
    pub parts_unit: &'static str,
    /// Breakdown by the spec's `by` property (value → km²).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<BTreeMap<String, f64>>,
}

/// An indicator in a year: value plus target and status.
#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    pub title_zh: String,
    pub title_en: String,
    #[serde(flatten)]
    pub value: Value,
    pub target: Option<AppliedTarget>,
    /// value − target (positive is better for "at least"/"not reduced").
    pub gap: Option<f64>,
    pub status: Status,
}

/// All indicators of one year.
#[derive(Debug, Clone, Serialize)]
pub struct YearIndicators {
    pub year: i32,
    /// Indicator id → indicator.
    pub indicators: BTreeMap<String, Indicator>,
    /// Indicator ids in definition order (for reports).
    #[serde(skip)]
    pub order: Vec<String>,
    /// County adcode → indicator id → value (features count in their `county`).
    pub by_county: BTreeMap<String, BTreeMap<String, Value>>,
}

/// Key for features without a county.
pub const NO_COUNTY: &str = "unknown";

/// Computes (or returns the cached) indicators for `year`.
///
/// Unions are the expensive part; the result is cached in the dataset, whose version changes
/// with its files, so the cache never outlives the data it was computed from.
pub fn compute(ds: &Dataset, year: i32) -> Result<Arc<YearIndicators>, QueryError> {
    crate::check::check_year(year)?;
    if let Some(hit) = ds.indicator_cache.get(year) {
        return Ok(hit);
    }
    let mut indicators = BTreeMap::new();
    let mut by_county: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for spec in &ds.indicators {
        let Some(layer) = ds.layer(&spec.layer) else {
            continue;
        };
        layer.measure_all();
        let live: Vec<&Feature> = layer.features_in(year).collect();
        let mut groups: BTreeMap<String, Vec<&Feature>> = BTreeMap::new();
        for f in &live {
            groups
                .entry(f.county.clone().unwrap_or_else(|| NO_COUNTY.into()))
                .or_default()
                .push(f);
        }
        for (county, fs) in &groups {
            by_county
                .entry(county.clone())
                .or_default()
                .insert(spec.id.clone(), measure(spec, fs));
        }
        let value = measure(spec, &live);
        let target = ds.targets.applicable(&spec.id, year);
        let (gap, status) = target::evaluate(target.as_ref(), value.value);
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
    let out = Arc::new(YearIndicators {
        year,
        indicators,
        order,
        by_county,
    });
    ds.indicator_cache.put(year, Arc::clone(&out));
    Ok(out)
}

/// Indicators for each year of `from..=to`.
pub fn series(ds: &Dataset, from: i32, to: i32) -> Result<Vec<Arc<YearIndicators>>, QueryError> {
    check_range(from, to)?;
    (from..=to).map(|y| compute(ds, y)).collect()
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
    let now = crate::current_year();
    let from = years.iter().copied().min().unwrap_or(now).min(now);
    let to = years.iter().copied().max().unwrap_or(now).max(now);
    (from, to.min(from + MAX_SERIES_YEARS - 1))
}

/// Longest series served in one call.
pub const MAX_SERIES_YEARS: i32 = 100;

/// A year range must be ordered, valid and not absurdly long.
pub fn check_range(from: i32, to: i32) -> Result<(), QueryError> {
    crate::check::check_year(from)?;
    crate::check::check_year(to)?;
    if from > to {
        return Err(QueryError::param(
            "from",
            format!("must not be after `to` ({from} > {to})"),
        ));
    }
    if to - from >= MAX_SERIES_YEARS {
        return Err(QueryError::param(
            "to",
            format!("a series spans at most {MAX_SERIES_YEARS} years"),
        ));
    }
    Ok(())
}

fn measure(spec: &IndicatorSpec, fs: &[&Feature]) -> Value {
    match spec.measure {
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
            Value {
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
                    spec.numerator.iter().all(|(k, v)| {
                        f.properties
                            .get(k)
                            .is_some_and(|p| crate::layer::toml_eq(v, p))
                    })
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
            Value {
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
    crate::geodesy::area_m2(&Geometry::MultiPolygon(u))
}

/// Per-dataset cache of computed years.
#[derive(Debug, Default)]
pub struct Cache(std::sync::Mutex<BTreeMap<i32, Arc<YearIndicators>>>);

impl YearIndicators {
    /// Indicators in definition order.
    pub fn ordered(&self) -> impl Iterator<Item = (&String, &Indicator)> {
        self.order
            .iter()
            .filter_map(|id| self.indicators.get_key_value(id))
    }
}

impl Cache {
    fn get(&self, year: i32) -> Option<Arc<YearIndicators>> {
        self.0.lock().ok().and_then(|m| m.get(&year).cloned())
    }
    fn put(&self, year: i32, v: Arc<YearIndicators>) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(year, v);
        }
    }
    /// Number of cached years (for tests and metrics).
    pub fn len(&self) -> usize {
        self.0.lock().map(|m| m.len()).unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
