//! Layers as feature collections: a feature as a GeoJSON Feature, the bbox and validity-year
//! filters of a feature query, and the temporal extent of a layer.
//!
//! This is what a "features" front end (the OGC API – Features routes) needs from the core,
//! kept apart from `layer.rs` so the layer model stays about loading and indexing. Time is
//! coarse in ecospace — a feature is in force from a year to a year — so every instant or
//! interval a client sends is reduced here to a span of calendar years (UTC).

use crate::data::{Feature, Layer};
use crate::params::YearSpan;
use geo::{Intersects, Rect};
use rstar::AABB;
use serde_json::Value;
use std::collections::HashSet;

/// Whether `f` is in force in at least one year of `span` (`valid_from <= Y < valid_to`
/// for some `Y` in it): the latest possible start must not pass the earliest possible end.
pub fn admits(span: &YearSpan, f: &Feature) -> bool {
    let lo = i64::from(span.from.unwrap_or(i32::MIN)).max(f.valid_from.map_or(i64::MIN, i64::from));
    let hi = i64::from(span.to.unwrap_or(i32::MAX))
        .min(f.valid_to.map_or(i64::MAX, |t| i64::from(t) - 1));
    lo <= hi
}

/// The features of `layer` that meet `bbox` (when given) and are in force in some year of
/// `years` (when given), in layer order — the order of the source file, so that paging by
/// offset is stable.
///
/// The R-tree finds the features whose envelope meets the box; each is then tested exactly
/// (a diagonal line's envelope can meet a box the line itself misses).
pub fn select(layer: &Layer, bbox: Option<[f64; 4]>, years: Option<YearSpan>) -> Vec<&Feature> {
    let hits: Option<HashSet<&str>> = bbox.map(|b| {
        let rect = Rect::new(
            geo::coord! { x: b[0], y: b[1] },
            geo::coord! { x: b[2], y: b[3] },
        );
        layer
            .candidates(&AABB::from_corners([b[0], b[1]], [b[2], b[3]]))
            .filter(|f| f.geometry.intersects(&rect))
            .map(|f| f.id.as_str())
            .collect()
    });
    layer
        .features
        .iter()
        .filter(|f| hits.as_ref().is_none_or(|h| h.contains(f.id.as_str())))
        .filter(|f| years.is_none_or(|y| admits(&y, f)))
        .collect()
}

/// The feature's loaded lon/lat geometry as a GeoJSON geometry object.
pub fn geometry_json(f: &Feature) -> Value {
    Value::from(&geojson::GeometryValue::from(&f.geometry))
}

/// The years the layer's features span, as RFC 3339 instants `[start, end]`: the start of the
/// earliest `valid_from` year and the start of the latest `valid_to` year (exclusive, so the
/// instant the last feature stops); `None` at an end any feature leaves open.
pub fn temporal_extent(layer: &Layer) -> [Option<String>; 2] {
    let start = layer
        .features
        .iter()
        .map(|f| f.valid_from)
        .try_fold(i32::MAX, |acc, y| y.map(|y| acc.min(y)));
    let end = layer
        .features
        .iter()
        .map(|f| f.valid_to)
        .try_fold(i32::MIN, |acc, y| y.map(|y| acc.max(y)));
    let fmt = |y: i32| format!("{y:04}-01-01T00:00:00Z");
    match layer.features.is_empty() {
        true => [None, None],
        false => [start.map(fmt), end.map(fmt)],
    }
}
