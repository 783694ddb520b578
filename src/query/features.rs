//! Layers as feature collections: a feature as a GeoJSON Feature, the bbox and validity-year
//! filters of a feature query, and the temporal extent of a layer.
//!
//! This is what a "features" front end (the OGC API – Features routes) needs from the core,
//! kept apart from `layer.rs` so the layer model stays about loading and indexing. Time is
//! coarse in ecospace — a feature is in force from a year to a year — so every instant or
//! interval a client sends is reduced here to a span of calendar years (UTC).

use crate::data::{Feature, Layer};
use crate::params::YearSpan;
use crate::query::filter::{Filter, PropertyType, Queryables, Subject};
use crate::spatial::crs::ogc::{CrsRef, OFFERED_EPSG};
use geo::{Geometry, Intersects, MultiLineString, MultiPolygon, Rect};
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

/// The features of `layer` that meet `bbox` (when given), are in force in some year of `years`
/// (when given) and that `filter` is TRUE for (when given), in layer order — the order of the
/// source file, so that paging by offset is stable.
///
/// The R-tree finds the features whose envelope meets the box — the request's `bbox`, or else
/// the one the filter's spatial terms imply; each is then tested exactly (a diagonal line's
/// envelope can meet a box the line itself misses), and the filter evaluated on what is left.
pub fn select<'a>(
    layer: &'a Layer,
    bbox: Option<[f64; 4]>,
    years: Option<YearSpan>,
    filter: Option<&Filter>,
) -> Vec<&'a Feature> {
    let hinted = bbox
        .is_none()
        .then(|| filter.and_then(Filter::envelope))
        .flatten();
    let hinted_ids: Option<HashSet<&str>> = hinted.map(|b| {
        layer
            .candidates(&AABB::from_corners([b[0], b[1]], [b[2], b[3]]))
            .map(|f| f.id.as_str())
            .collect()
    });
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
    let hits = hits.or(hinted_ids);
    layer
        .features
        .iter()
        .filter(|f| hits.as_ref().is_none_or(|h| h.contains(f.id.as_str())))
        .filter(|f| years.is_none_or(|y| admits(&y, f)))
        .filter(|f| filter.is_none_or(|flt| flt.matches(&FeatureSubject::of(f))))
        .collect()
}

/// What a CQL2 filter may name on a layer (OGC API – Features Part 3 queryables): `id`, the
/// geometry, and every property the manifest describes or a feature carries, typed by the
/// values the features hold (all integers → integer, all numbers → number, all strings →
/// string, all booleans → boolean). A property whose values mix types is a string queryable
/// whose non-string values read as NULL; one no feature has a value for is a string, but for
/// the validity years (`valid_from`, `valid_to`), integers.
#[derive(Debug, Clone)]
pub struct LayerQueryables {
    /// Name → (type, description), in name order; `id` and `geometry` included.
    pub properties: std::collections::BTreeMap<String, (PropertyType, String)>,
}

impl LayerQueryables {
    /// The queryables of `layer`.
    pub fn of(layer: &Layer) -> LayerQueryables {
        use std::collections::BTreeMap;
        let mut seen: BTreeMap<String, Option<PropertyType>> = BTreeMap::new();
        for f in &layer.features {
            for (k, v) in &f.properties {
                let t = match v {
                    Value::String(_) => PropertyType::String,
                    Value::Bool(_) => PropertyType::Boolean,
                    Value::Number(n) if n.is_i64() || n.is_u64() => PropertyType::Integer,
                    Value::Number(_) => PropertyType::Number,
                    _ => continue,
                };
                let merged = match seen.get(k) {
                    None => Some(t),
                    Some(None) => None,
                    Some(Some(old)) if *old == t => Some(t),
                    Some(Some(PropertyType::Integer | PropertyType::Number))
                        if matches!(t, PropertyType::Integer | PropertyType::Number) =>
                    {
                        Some(PropertyType::Number)
                    }
                    Some(Some(_)) => None,
                };
                seen.insert(k.clone(), merged);
            }
        }
        let mut properties = BTreeMap::new();
        // Described but held by no feature: the validity years are years, the rest text.
        for k in layer.spec.properties.keys() {
            let t = match k.as_str() {
                "valid_from" | "valid_to" => PropertyType::Integer,
                _ => PropertyType::String,
            };
            seen.entry(k.clone()).or_insert(Some(t));
        }
        for (k, t) in seen {
            let description = layer.spec.properties.get(&k).cloned().unwrap_or_default();
            properties.insert(k, (t.unwrap_or(PropertyType::String), description));
        }
        properties.insert(
            "id".into(),
            (PropertyType::String, "The feature's id".into()),
        );
        properties.insert(
            "geometry".into(),
            (
                PropertyType::Geometry,
                "The feature's geometry (lon/lat)".into(),
            ),
        );
        LayerQueryables { properties }
    }
}

impl Queryables for LayerQueryables {
    fn property_type(&self, name: &str) -> Option<PropertyType> {
        self.properties.get(name).map(|(t, _)| *t)
    }
}

/// A feature under a filter: its properties, its id as the `id` property, its geometry.
pub struct FeatureSubject<'a> {
    feature: &'a Feature,
    id: Value,
}

impl<'a> FeatureSubject<'a> {
    /// A feature as a filter sees it.
    pub fn of(f: &'a Feature) -> FeatureSubject<'a> {
        FeatureSubject {
            feature: f,
            id: Value::String(f.id.clone()),
        }
    }
}

impl Subject for FeatureSubject<'_> {
    fn property(&self, name: &str) -> Option<&Value> {
        match name {
            "id" => Some(&self.id),
            _ => self.feature.properties.get(name),
        }
    }

    fn geometry(&self) -> &Geometry {
        &self.feature.geometry
    }
}

/// The feature's loaded lon/lat geometry as a GeoJSON geometry object, of its layer's
/// [`geometry_type`] `served` (asked once per answer, not per feature: it reads every feature):
/// a Polygon of a layer that also has MultiPolygons is served as a one-part MultiPolygon, so a
/// client (GDAL, QGIS writing a GeoPackage) sees one type.
pub fn geometry_json(f: &Feature, served: Option<&str>) -> Value {
    let promoted = match (&f.geometry, served) {
        (Geometry::Polygon(p), Some("MultiPolygon")) => {
            Some(Geometry::MultiPolygon(MultiPolygon(vec![p.clone()])))
        }
        (Geometry::LineString(l), Some("MultiLineString")) => {
            Some(Geometry::MultiLineString(MultiLineString(vec![l.clone()])))
        }
        _ => None,
    };
    Value::from(&geojson::GeometryValue::from(
        promoted.as_ref().unwrap_or(&f.geometry),
    ))
}

/// The one GeoJSON geometry type a layer's features are served as: the type they all have, or
/// its Multi* form when single and multi parts mix; `None` for an empty layer or a mixture that
/// no Multi* covers.
pub fn geometry_type(layer: &Layer) -> Option<&'static str> {
    let name = |g: &Geometry| match g {
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::LineString(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        _ => "GeometryCollection",
    };
    let multi = |t: &'static str| match t {
        "Polygon" => "MultiPolygon",
        "LineString" => "MultiLineString",
        "Point" => "MultiPoint",
        t => t,
    };
    let mut kinds = layer.features.iter().map(|f| name(&f.geometry));
    let first = kinds.next()?;
    kinds.try_fold(first, |acc, t| match (acc, t) {
        (a, b) if a == b => Some(a),
        (a, b) if multi(a) == multi(b) => Some(multi(a)),
        _ => None,
    })
}

/// The CRS the layer's source was stored in (OGC API – Features Part 2 `storageCrs`): its
/// EPSG code when GDAL read one, else CRS84 (GeoJSON is lon/lat by definition).
pub fn storage_crs(layer: &Layer) -> CrsRef {
    layer
        .source_crs
        .as_deref()
        .and_then(CrsRef::of_source)
        .unwrap_or(CrsRef::Crs84)
}

/// The CRSs a collection's features can be asked in: CRS84, the storage CRS, and (with PROJ,
/// the `gdal` feature) WGS84 and CGCS2000 geographic and Jiaxing's Gauss-Krüger zone.
pub fn offered_crs(layer: &Layer) -> Vec<CrsRef> {
    let mut out = vec![CrsRef::Crs84];
    if cfg!(feature = "gdal") {
        out.push(storage_crs(layer));
        out.extend(OFFERED_EPSG.map(CrsRef::Epsg));
    }
    let mut seen = HashSet::new();
    out.retain(|c| seen.insert(c.uri()));
    out
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
