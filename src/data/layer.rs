//! A loaded layer: validated features, an R-tree over their envelopes, and per-feature edge
//! indexes that make point location and distance queries sub-linear in the vertex count.

use super::collection::{self, Failure};
use super::feature::{Attributes, Feature};
use crate::data::manifest::{LayerKind, LayerSpec};
use crate::spatial::geodesy;
use crate::spatial::geojson::{self as geometry, as_multipolygon, GeometryError};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Why a layer file was refused. Every variant names the file; feature problems name the
/// feature's index in the collection and its id when it has one.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// The layer file could not be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The layer file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The collection around the features (its other members) is not valid JSON.
    #[error("{file}: not valid JSON: {source}")]
    Json {
        /// The layer file.
        file: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The streaming scan met malformed JSON (unbalanced brackets, a truncated file, …).
    #[error("{file}: not valid JSON at byte {at}: {problem}")]
    Syntax {
        /// The layer file.
        file: String,
        /// Byte offset in the file where the scan stopped.
        at: u64,
        /// What the scanner expected and did not find.
        problem: &'static str,
    },
    /// The file is JSON but not a FeatureCollection with a `features` array.
    #[error("{file}: expected a GeoJSON FeatureCollection, found {found}")]
    NotFeatureCollection {
        /// The layer file.
        file: String,
        /// What was found instead (its `type`, or a description).
        found: String,
    },
    /// A feature is refused: not a GeoJSON Feature, a missing id or name, a bad year or county,
    /// the wrong geometry type for the layer's kind, an empty geometry, or a duplicate id.
    #[error("{file}: feature {index}{}: {problem}", id_suffix(.id))]
    Feature {
        /// The layer file.
        file: String,
        /// The feature's position in the collection, from 0.
        index: usize,
        /// The feature's id, when it has a string one.
        id: Option<String>,
        /// What is wrong with it.
        problem: String,
    },
    /// The file cannot be read through GDAL (a GDAL failure, a build without GDAL, or the
    /// bundled dataset, which holds GeoJSON only).
    #[error("{file}: {message}")]
    Source {
        /// The layer file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// A feature's geometry is invalid (unclosed ring, bad coordinates, …).
    #[error("{file}: feature {index}{}: {source}", id_suffix(.id))]
    Geometry {
        /// The layer file.
        file: String,
        /// The feature's position in the collection, from 0.
        index: usize,
        /// The feature's id, when it has a string one.
        id: Option<String>,
        /// What is wrong with the geometry.
        #[source]
        source: GeometryError,
    },
}

fn id_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .map(|i| format!(" (id {i:?})"))
        .unwrap_or_default()
}

/// Envelope of a feature, as an R-tree entry pointing at its index.
type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// A validated, indexed layer.
#[derive(Debug)]
pub struct Layer {
    /// The layer's entry in the manifest (id, kind, file, constraint rules).
    pub spec: LayerSpec,
    /// Every feature of the file, all years, in file order.
    pub features: Vec<Feature>,
    /// Envelope of all features, `None` when the layer is empty.
    pub bbox: Option<[f64; 4]>,
    /// The CRS a GDAL source named (the collection's `storageCrs`); GeoJSON is lon/lat.
    pub source_crs: Option<String>,
    index: RTree<Entry>,
    /// Whether the interiors of two features (by index) overlap: [`Layer::interiors_meet`].
    meets: std::sync::Mutex<std::collections::HashMap<(u32, u32), bool>>,
}

impl Layer {
    /// Parses and validates a FeatureCollection for `spec` (`file` names it in errors), all or
    /// nothing: the first bad feature refuses the whole file.
    pub fn from_geojson(spec: LayerSpec, text: &str, file: &str) -> Result<Layer, LayerError> {
        Layer::from_reader(spec, text.as_bytes(), file, |_| {})
    }

    /// Reads a FeatureCollection from `r` as a stream: the features are cut out one by one
    /// (`data::collection`) and parsed, validated and measured in parallel batches, so memory
    /// holds one batch of text, not the file. `tap` sees every byte read (the version hash).
    ///
    /// All or nothing, and the error reported is the first in file order, as a sequential load
    /// would report it.
    pub fn from_reader(
        spec: LayerSpec,
        r: impl std::io::Read,
        file: &str,
        tap: impl FnMut(&[u8]),
    ) -> Result<Layer, LayerError> {
        use rayon::prelude::*;
        let mut out: Vec<Feature> = Vec::new();
        let mut seen = HashSet::new();
        let mut failed: Option<LayerError> = None;
        let sink = |batch: Vec<Vec<u8>>| -> bool {
            let base = out.len();
            let parsed: Vec<Result<Feature, LayerError>> = batch
                .par_iter()
                .enumerate()
                .map(|(i, raw)| parse_feature(&spec, raw, file, base + i))
                .collect();
            for (i, r) in parsed.into_iter().enumerate() {
                let f = match r {
                    Ok(f) => f,
                    Err(e) => {
                        failed = Some(e);
                        return false;
                    }
                };
                if !seen.insert(f.id.clone()) {
                    failed = Some(duplicate(file, base + i, f.id));
                    return false;
                }
                out.push(f);
            }
            true
        };
        let skeleton = match collection::scan(r, BATCH_BYTES, tap, sink) {
            Ok(sk) => sk,
            Err((Failure::Sink, _)) => {
                return Err(failed.expect("a refused batch leaves its error"))
            }
            Err((Failure::Io(source), _)) => {
                return Err(LayerError::Io {
                    file: file.into(),
                    source,
                })
            }
            Err((Failure::NotObject, _)) => {
                return Err(LayerError::NotFeatureCollection {
                    file: file.into(),
                    found: "a non-object".into(),
                })
            }
            Err((Failure::Scan(problem), at)) => {
                return Err(LayerError::Syntax {
                    file: file.into(),
                    at,
                    problem,
                })
            }
        };
        let root: Map<String, Value> =
            serde_json::from_slice(&skeleton.to_json()).map_err(|source| LayerError::Json {
                file: file.to_string(),
                source,
            })?;
        let ty = root
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("no type");
        match (ty, skeleton.has_features) {
            ("FeatureCollection", true) => Ok(Layer::new(spec, out)),
            ("FeatureCollection", false) => Err(LayerError::NotFeatureCollection {
                file: file.into(),
                found: "a FeatureCollection without a features array".into(),
            }),
            _ => Err(LayerError::NotFeatureCollection {
                file: file.into(),
                found: ty.to_string(),
            }),
        }
    }

    /// Validates raw GeoJSON Feature objects (from a file, or built by another source such as
    /// GDAL) into a layer, with the same checks and error messages whatever their origin.
    pub fn from_features(
        spec: LayerSpec,
        features: impl IntoIterator<Item = Value>,
        file: &str,
    ) -> Result<Layer, LayerError> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (index, raw) in features.into_iter().enumerate() {
            let f = load_feature(&spec, raw, file, index)?;
            if !seen.insert(f.id.clone()) {
                return Err(duplicate(file, index, f.id));
            }
            out.push(f);
        }
        Ok(Layer::new(spec, out))
    }

    fn new(spec: LayerSpec, features: Vec<Feature>) -> Layer {
        let entries: Vec<Entry> = features
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let [a, b, c, d] = f.bbox;
                GeomWithData::new(Rectangle::from_corners([a, b], [c, d]), i)
            })
            .collect();
        let bbox = features
            .iter()
            .map(|f| f.bbox)
            .reduce(crate::spatial::clip::union);
        Layer {
            spec,
            features,
            bbox,
            source_crs: None,
            index: RTree::bulk_load(entries),
            meets: std::sync::Mutex::default(),
        }
    }

    /// Whether the interiors of features `i` and `j` overlap (their intersection has an area
    /// beyond boolean-op rounding). A check asks it of the zones it hits whose overlaps with the
    /// site have touching boxes: most are neighbours that share an edge, and then the layer's
    /// overlap with the site is the sum of the zones' overlaps, without the union that was a
    /// fifth of a large site's check. Computed once per pair on the whole features and kept
    /// (the snapshot never changes); an answer costs a lock and a lookup after that. Subdivided
    /// (very large) zones are taken to meet, so their overlaps are still united.
    pub fn interiors_meet(&self, i: usize, j: usize) -> bool {
        use geo::BooleanOps;
        let key = (i.min(j) as u32, i.max(j) as u32);
        if let Some(&m) = self
            .meets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
        {
            return m;
        }
        let (a, b) = (&self.features[i], &self.features[j]);
        // A zone large enough to be subdivided would make this one overlay of whole zones
        // costlier than the unions it saves: assume the worst.
        if a.subdivision().is_some() || b.subdivision().is_some() {
            return true;
        }
        let m = match (as_multipolygon(&a.geometry), as_multipolygon(&b.geometry)) {
            (Some(pa), Some(pb)) => {
                let inter = geodesy::area_m2(&geo::Geometry::MultiPolygon(pa.intersection(&pb)));
                inter > 1e-9 * a.area_m2().min(b.area_m2()) + 1e-4
            }
            _ => true,
        };
        self.meets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, m);
        m
    }

    /// The layer's id from the manifest (`redline`, …).
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// Whether the layer holds zones (polygons) or lines.
    pub fn kind(&self) -> LayerKind {
        self.spec.kind
    }

    /// [`Layer::candidates`] with each feature's index in [`Layer::features`].
    pub fn indexed_candidates<'a>(
        &'a self,
        env: &AABB<[f64; 2]>,
    ) -> impl Iterator<Item = (usize, &'a Feature)> + 'a {
        self.index
            .locate_in_envelope_intersecting(env)
            .map(move |e| (e.data, &self.features[e.data]))
            .collect::<Vec<_>>()
            .into_iter()
    }

    /// Features whose envelope meets `env` (any year).
    pub fn candidates<'a>(
        &'a self,
        env: &AABB<[f64; 2]>,
    ) -> impl Iterator<Item = &'a Feature> + 'a {
        self.indexed_candidates(env).map(|(_, f)| f)
    }

    /// Measures every feature now, in parallel (what a listing or an indicator will read).
    pub fn measure_all(&self) {
        use rayon::prelude::*;
        self.features.par_iter().for_each(|f| {
            f.area_m2();
        });
    }

    /// Features in force in `year`.
    pub fn features_in(&self, year: i32) -> impl Iterator<Item = &Feature> {
        self.features.iter().filter(move |f| f.valid_in(year))
    }
}

/// Text of features parsed per parallel batch: large enough to keep both cores busy, small
/// enough that memory holds a few batches, not the file.
const BATCH_BYTES: usize = 8 << 20;

fn duplicate(file: &str, index: usize, id: String) -> LayerError {
    LayerError::Feature {
        file: file.into(),
        index,
        id: Some(id),
        problem: "duplicate id in this layer".into(),
    }
}

/// One feature's text → feature. The typed parse is the fast path; when it fails, the text is
/// parsed again loosely so the error can name the feature's id and say what is wrong.
fn parse_feature(
    spec: &LayerSpec,
    raw: &[u8],
    file: &str,
    index: usize,
) -> Result<Feature, LayerError> {
    match serde_json::from_slice::<geojson::Feature>(raw) {
        Ok(f) => {
            let id = match &f.id {
                Some(::geojson::feature::Id::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(::geojson::feature::Id::Number(n)) => Some(n.to_string()),
                _ => None,
            };
            feature_from(spec, f, id, file, index)
        }
        Err(_) => match serde_json::from_slice::<Value>(raw) {
            Ok(v) => load_feature(spec, v, file, index),
            Err(e) => Err(LayerError::Feature {
                file: file.into(),
                index,
                id: None,
                problem: format!("not valid JSON: {e}"),
            }),
        },
    }
}

fn load_feature(
    spec: &LayerSpec,
    raw: Value,
    file: &str,
    index: usize,
) -> Result<Feature, LayerError> {
    let raw_id = raw.get("id").cloned();
    let id = match &raw_id {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let f: geojson::Feature = serde_json::from_value(raw).map_err(|e| LayerError::Feature {
        file: file.into(),
        index,
        id: id.clone(),
        problem: format!("not a GeoJSON Feature: {e}"),
    })?;
    feature_from(spec, f, id, file, index)
}

fn feature_from(
    spec: &LayerSpec,
    f: geojson::Feature,
    id: Option<String>,
    file: &str,
    index: usize,
) -> Result<Feature, LayerError> {
    let bad = |problem: String| LayerError::Feature {
        file: file.into(),
        index,
        id: id.clone(),
        problem,
    };
    let Some(fid) = id.clone() else {
        return Err(bad("missing a string `id` (the Feature id member)".into()));
    };
    let properties = f.properties.unwrap_or_default();
    let name = match properties.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        _ => return Err(bad("missing a non-empty string property `name`".into())),
    };
    let county = match properties.get("county") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(bad(format!(
                "property `county` must be an adcode string, found {other}"
            )))
        }
    };
    let year = |key: &str| -> Result<Option<i32>, LayerError> {
        match properties.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .filter(|y| (1000..=9999).contains(y))
                .map(|y| Some(y as i32))
                .ok_or_else(|| {
                    bad(format!(
                        "property `{key}` must be a four-digit year, found {v}"
                    ))
                }),
        }
    };
    let (valid_from, valid_to) = (year("valid_from")?, year("valid_to")?);
    if let (Some(a), Some(b)) = (valid_from, valid_to) {
        if a >= b {
            return Err(bad(format!(
                "valid_from {a} must be before valid_to {b} (valid_to is exclusive)"
            )));
        }
    }
    let Some(g) = f.geometry else {
        return Err(bad("has no geometry".into()));
    };
    let geometry = geometry::from_geojson(&g).map_err(|source| LayerError::Geometry {
        file: file.into(),
        index,
        id: id.clone(),
        source,
    })?;
    let dim = geometry::dimension(&geometry);
    let expected = match spec.kind {
        LayerKind::Zone => 2,
        LayerKind::Line => 1,
    };
    if dim != expected {
        return Err(bad(format!(
            "a {} layer holds {} geometries, found {}",
            match spec.kind {
                LayerKind::Zone => "zone",
                LayerKind::Line => "line",
            },
            if expected == 2 {
                "Polygon/MultiPolygon"
            } else {
                "LineString/MultiLineString"
            },
            geometry::type_name(&geometry)
        )));
    }
    // A layer whose constraint is its outside (the urban boundary) constrains no feature: being
    // in one of its zones is what is allowed; the check judges the part of the site outside.
    let constraint = spec.constraint
        && spec.constraint_on == crate::data::manifest::ConstraintOn::Inside
        && spec
            .constraint_if
            .iter()
            .all(|(k, v)| properties.get(k).is_some_and(|p| toml_eq(v, p)));
    Feature::new(
        Attributes {
            id: fid,
            name,
            county,
            valid_from,
            valid_to,
            properties,
            constraint,
        },
        geometry,
    )
    .ok_or_else(|| bad("empty geometry".into()))
}

/// Compares a manifest (TOML) value with a feature property (JSON).
pub(crate) fn toml_eq(t: &toml::Value, j: &Value) -> bool {
    match (t, j) {
        (toml::Value::String(a), Value::String(b)) => a == b,
        (toml::Value::Boolean(a), Value::Bool(b)) => a == b,
        (toml::Value::Integer(a), Value::Number(b)) => b.as_i64() == Some(*a),
        (toml::Value::Float(a), Value::Number(b)) => b.as_f64() == Some(*a),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::manifest::LayerKind;
    use crate::data::Location;
    use geo::Coord;
    use std::collections::BTreeMap;

    fn spec(kind: LayerKind) -> LayerSpec {
        LayerSpec {
            id: "t".into(),
            title_zh: "测".into(),
            title_en: "t".into(),
            file: "t.geojson".into(),
            kind,
            constraint: true,
            constraint_if: BTreeMap::new(),
            constraint_on: Default::default(),
            context: false,
            properties: BTreeMap::new(),
            colour: None,
            reader: None,
            source_layer: None,
            encoding: None,
            crs: None,
            fields: BTreeMap::new(),
        }
    }

    const SQUARE_WITH_HOLE: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","properties":{"name":"A","county":"330402","valid_from":2019},
        "geometry":{"type":"Polygon","coordinates":[[[120,30],[121,30],[121,31],[120,31],[120,30]],[[120.4,30.4],[120.4,30.6],[120.6,30.6],[120.6,30.4],[120.4,30.4]]]}}]}"#;

    #[test]
    fn locates_points_inside_on_and_outside_with_holes() {
        let l = Layer::from_geojson(spec(LayerKind::Zone), SQUARE_WITH_HOLE, "t.geojson").unwrap();
        let f = &l.features[0];
        let at = |x, y| f.locate(Coord { x, y });
        assert_eq!(at(120.2, 30.2), Location::Inside);
        assert_eq!(at(120.5, 30.5), Location::Outside, "in the hole");
        assert_eq!(at(120.4, 30.5), Location::Boundary, "on the hole's edge");
        assert_eq!(at(121.0, 30.5), Location::Boundary, "on the shell's edge");
        assert_eq!(at(121.5, 30.5), Location::Outside);
        // A ray through a vertex (y = 30.4 passes the hole's corners) is counted once.
        assert_eq!(at(120.1, 30.4), Location::Inside);
        assert!(f.valid_in(2019) && !f.valid_in(2018));
    }

    #[test]
    fn locate_agrees_with_geo_contains_on_a_grid() {
        use geo::Contains;
        let l = Layer::from_geojson(spec(LayerKind::Zone), SQUARE_WITH_HOLE, "t.geojson").unwrap();
        let f = &l.features[0];
        for i in 0..50 {
            for j in 0..50 {
                let c = Coord {
                    x: 119.93 + f64::from(i) * 0.0231,
                    y: 29.95 + f64::from(j) * 0.0227,
                };
                let geo_says = f.geometry.contains(&geo::Point(c));
                assert_eq!(f.locate(c) == Location::Inside, geo_says, "{c:?}");
            }
        }
    }

    #[test]
    fn names_the_feature_that_is_wrong() {
        let bad = SQUARE_WITH_HOLE.replace("[120,31],[120,30]]", "[120,31]]");
        let e = Layer::from_geojson(spec(LayerKind::Zone), &bad, "x.geojson")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("x.geojson: feature 0 (id \"a\")") && e.contains("not closed"),
            "{e}"
        );
        let e = Layer::from_geojson(spec(LayerKind::Line), SQUARE_WITH_HOLE, "x.geojson")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line layer holds LineString"), "{e}");
        let no_name = SQUARE_WITH_HOLE.replace(r#""name":"A","#, "");
        let e = Layer::from_geojson(spec(LayerKind::Zone), &no_name, "x.geojson")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`name`"), "{e}");
    }
}
