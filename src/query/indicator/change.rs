//! What changed between two years, feature by feature, so "not reduced" can be checked per
//! zone and not only in total.
//!
//! A feature that stops and another that starts are paired as one *change* when the new one
//! names the old in a `replaces` property, or else when both carry the same `name` and county
//! (how a re-drawn zone or a restored shore segment is usually recorded).

use crate::data::dataset::Dataset;
use crate::data::manifest::LayerKind;
use crate::data::Feature;
use crate::params::{check_range, QueryError};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A feature present in only one of the two years.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Entry {
    /// The feature's id.
    pub id: String,
    /// The feature's name.
    pub name: String,
    /// Its county adcode, when it carries one.
    pub county: Option<String>,
    /// Area (zones, m²) or length (lines, m).
    pub size: f64,
}

/// A feature replaced by another between the two years.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Changed {
    /// Id of the feature in force in `from`.
    pub from_id: String,
    /// Id of the feature that replaces it in `to`.
    pub to_id: String,
    /// The new feature's name.
    pub name: String,
    /// New size − old size (m² for zones, m for lines).
    pub size_delta: f64,
    /// Property → [old, new], for properties whose value differs (validity excluded).
    pub properties_changed: BTreeMap<String, [Value; 2]>,
}

/// Changes in one layer.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerChanges {
    /// "m²" for zones, "m" for lines.
    pub size_unit: &'static str,
    /// Features in force in `to` but not in `from` that replace nothing.
    pub added: Vec<Entry>,
    /// Features in force in `from` but not in `to` that nothing replaces.
    pub removed: Vec<Entry>,
    /// Features replaced by another (paired by `replaces`, or by name and county).
    pub changed: Vec<Changed>,
    /// Sum of sizes in force in `from` and `to` (not a union).
    pub total_from: f64,
    /// Sum of sizes in force in `to` (not a union).
    pub total_to: f64,
    /// Features whose size shrank, or that were removed without replacement.
    pub reductions: usize,
}

/// Changes between two years, per layer.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Changes {
    /// The earlier year.
    pub from: i32,
    /// The later year.
    pub to: i32,
    /// Changes per layer, keyed by layer id (every layer of the dataset).
    pub layers: BTreeMap<String, LayerChanges>,
}

/// Lists features added, removed and changed in each layer between `from` and `to`.
pub fn changes(ds: &Dataset, from: i32, to: i32) -> Result<Changes, QueryError> {
    check_range(from, to)?;
    let mut layers = BTreeMap::new();
    for layer in &ds.layers {
        let zone = layer.kind() == LayerKind::Zone;
        let size = |f: &Feature| if zone { f.area_m2() } else { f.length_m() };
        let entry = |f: &Feature| Entry {
            id: f.id.clone(),
            name: f.name.clone(),
            county: f.county.clone(),
            size: size(f),
        };
        let before: Vec<&Feature> = layer.features_in(from).collect();
        let after: Vec<&Feature> = layer.features_in(to).collect();
        let gone: Vec<&Feature> = before.iter().filter(|f| !f.valid_in(to)).copied().collect();
        let mut new: Vec<&Feature> = after
            .iter()
            .filter(|f| !f.valid_in(from))
            .copied()
            .collect();
        let mut out = LayerChanges {
            size_unit: if zone { "m²" } else { "m" },
            added: vec![],
            removed: vec![],
            changed: vec![],
            total_from: before.iter().map(|f| size(f)).sum(),
            total_to: after.iter().map(|f| size(f)).sum(),
            reductions: 0,
        };
        for old in gone {
            let successor = new.iter().position(|n| replaces(n, old));
            match successor {
                Some(i) => {
                    let n = new.remove(i);
                    let delta = size(n) - size(old);
                    out.reductions += usize::from(delta < -1e-6);
                    out.changed.push(Changed {
                        from_id: old.id.clone(),
                        to_id: n.id.clone(),
                        name: n.name.clone(),
                        size_delta: delta,
                        properties_changed: diff(&old.properties, &n.properties),
                    });
                }
                None => {
                    out.reductions += 1;
                    out.removed.push(entry(old));
                }
            }
        }
        out.added = new.into_iter().map(entry).collect();
        layers.insert(layer.id().to_string(), out);
    }
    Ok(Changes { from, to, layers })
}

fn replaces(new: &Feature, old: &Feature) -> bool {
    match new.properties.get("replaces") {
        Some(Value::String(r)) => r == &old.id,
        Some(Value::Array(rs)) => rs.iter().any(|r| r.as_str() == Some(&old.id)),
        _ => new.name == old.name && new.county == old.county,
    }
}

fn diff(a: &Map<String, Value>, b: &Map<String, Value>) -> BTreeMap<String, [Value; 2]> {
    let skip = ["valid_from", "valid_to", "replaces"];
    a.keys()
        .chain(b.keys())
        .filter(|k| !skip.contains(&k.as_str()))
        .filter_map(|k| {
            let (x, y) = (
                a.get(k).cloned().unwrap_or(Value::Null),
                b.get(k).cloned().unwrap_or(Value::Null),
            );
            (x != y).then(|| (k.clone(), [x, y]))
        })
        .collect()
}
