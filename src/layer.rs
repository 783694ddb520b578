//! A loaded layer: validated features, an R-tree over their envelopes, and per-feature edge
//! indexes that make point location and distance queries sub-linear in the vertex count.

use crate::geodesy;
use crate::geometry::{self, GeometryError};
use crate::manifest::{LayerKind, LayerSpec};
use geo::{Coord, Geometry, Line};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Why a layer file was refused. Every variant names the file; feature problems name the
/// feature's index in the collection and its id when it has one.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: not valid JSON: {source}")]
    Json {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{file}: expected a GeoJSON FeatureCollection, found {found}")]
    NotFeatureCollection { file: String, found: String },
    #[error("{file}: feature {index}{}: {problem}", id_suffix(.id))]
    Feature {
        file: String,
        index: usize,
        id: Option<String>,
        problem: String,
    },
    #[error("{file}: {message}")]
    Source { file: String, message: String },
    #[error("{file}: feature {index}{}: {source}", id_suffix(.id))]
    Geometry {
        file: String,
        index: usize,
        id: Option<String>,
        #[source]
        source: GeometryError,
    },
}

fn id_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .map(|i| format!(" (id {i:?})"))
        .unwrap_or_default()
}

/// Whether a point lies inside, on the boundary of, or outside a polygonal feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Inside,
    Boundary,
    Outside,
}

/// One feature of a layer, with the measures and indexes computed once at load.
#[derive(Debug)]
pub struct Feature {
    pub id: String,
    pub name: String,
    /// County adcode, when the feature carries one.
    pub county: Option<String>,
    /// First year in force (inclusive).
    pub valid_from: Option<i32>,
    /// Year it stops being in force (exclusive).
    pub valid_to: Option<i32>,
    /// All properties as loaded (including name, county and validity).
    pub properties: Map<String, Value>,
    pub geometry: Geometry,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
    /// Geodesic area (zones) in m²; 0 for lines.
    pub area_m2: f64,
    /// Geodesic length (lines) in m; perimeter for zones.
    pub length_m: f64,
    /// Whether a hit on this feature is a planning constraint.
    pub constraint: bool,
    edges: RTree<Line>,
}

impl Feature {
    /// Whether the feature is in force in `year` (`valid_from <= year < valid_to`).
    pub fn valid_in(&self, year: i32) -> bool {
        self.valid_from.is_none_or(|f| f <= year) && self.valid_to.is_none_or(|t| year < t)
    }

    /// Locates a point against a polygonal feature by ray casting over the edge index:
    /// only edges whose envelope meets the ray to the east are visited.
    pub fn locate(&self, p: Coord) -> Location {
        if geometry::dimension(&self.geometry) < 2
            || p.x < self.bbox[0]
            || p.x > self.bbox[2]
            || p.y < self.bbox[1]
            || p.y > self.bbox[3]
        {
            return Location::Outside;
        }
        let ray = AABB::from_corners(geo::Point(p), geo::Point::new(self.bbox[2], p.y));
        let mut crossings = 0usize;
        for e in self.edges.locate_in_envelope_intersecting(&ray) {
            let (a, b) = (e.start, e.end);
            if on_segment(p, a, b) {
                return Location::Boundary;
            }
            // Half-open rule: an edge counts when exactly one endpoint is above the ray, and
            // it crosses east of the point when the point lies left of an upward edge or right
            // of a downward one — decided with the exact orientation predicate, since a
            // computed intersection x can round to the wrong side for points next to the edge.
            if (a.y > p.y) != (b.y > p.y) {
                use geo::kernels::RobustKernel;
                use geo::{Kernel, Orientation};
                let side = RobustKernel::orient2d(a, b, p);
                let upward = b.y > a.y;
                if (upward && side == Orientation::CounterClockwise)
                    || (!upward && side == Orientation::Clockwise)
                {
                    crossings += 1;
                }
            }
        }
        if crossings % 2 == 1 {
            Location::Inside
        } else {
            Location::Outside
        }
    }

    /// Edges (lon/lat segments) whose envelope meets `env`.
    pub fn edges_in(&self, env: &AABB<[f64; 2]>) -> Vec<Line> {
        let (lo, hi) = (env.lower(), env.upper());
        let env = AABB::from_corners(geo::Point::new(lo[0], lo[1]), geo::Point::new(hi[0], hi[1]));
        self.edges
            .locate_in_envelope_intersecting(&env)
            .copied()
            .collect()
    }

    /// Number of edges (segments) in the feature.
    pub fn edge_count(&self) -> usize {
        self.edges.size()
    }
}

fn on_segment(p: Coord, a: Coord, b: Coord) -> bool {
    use geo::kernels::RobustKernel;
    use geo::{Kernel, Orientation};
    RobustKernel::orient2d(a, b, p) == Orientation::Collinear
        && p.x >= a.x.min(b.x)
        && p.x <= a.x.max(b.x)
        && p.y >= a.y.min(b.y)
        && p.y <= a.y.max(b.y)
}

/// Envelope of a feature, as an R-tree entry pointing at its index.
type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// A validated, indexed layer.
#[derive(Debug)]
pub struct Layer {
    pub spec: LayerSpec,
    pub features: Vec<Feature>,
    /// Envelope of all features, `None` when the layer is empty.
    pub bbox: Option<[f64; 4]>,
    index: RTree<Entry>,
}

impl Layer {
    /// Parses and validates a FeatureCollection for `spec`. `file` names it in errors.
    ///
    /// All or nothing: the first bad feature refuses the whole file.
    pub fn from_geojson(spec: LayerSpec, text: &str, file: &str) -> Result<Layer, LayerError> {
        let root: Value = serde_json::from_str(text).map_err(|source| LayerError::Json {
            file: file.to_string(),
            source,
        })?;
        let Value::Object(mut root) = root else {
            return Err(LayerError::NotFeatureCollection {
                file: file.into(),
                found: "a non-object".into(),
            });
        };
        let ty = root
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("no type")
            .to_string();
        let features = match (ty.as_str(), root.remove("features")) {
            ("FeatureCollection", Some(Value::Array(f))) => f,
            ("FeatureCollection", _) => {
                return Err(LayerError::NotFeatureCollection {
                    file: file.into(),
                    found: "a FeatureCollection without a features array".into(),
                })
            }
            _ => {
                return Err(LayerError::NotFeatureCollection {
                    file: file.into(),
                    found: ty,
                })
            }
        };
        Layer::from_features(spec, features, file)
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
                return Err(LayerError::Feature {
                    file: file.into(),
                    index,
                    id: Some(f.id),
                    problem: "duplicate id in this layer".into(),
                });
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
        let bbox = features.iter().map(|f| f.bbox).reduce(|a, b| {
            [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ]
        });
        Layer {
            spec,
            features,
            bbox,
            index: RTree::bulk_load(entries),
        }
    }

    pub fn id(&self) -> &str {
        &self.spec.id
    }

    pub fn kind(&self) -> LayerKind {
        self.spec.kind
    }

    /// Features whose envelope meets `env` (any year).
    pub fn candidates<'a>(
        &'a self,
        env: &AABB<[f64; 2]>,
    ) -> impl Iterator<Item = &'a Feature> + 'a {
        self.index
            .locate_in_envelope_intersecting(env)
            .map(move |e| &self.features[e.data])
            .collect::<Vec<_>>()
            .into_iter()
    }

    /// Features in force in `year`.
    pub fn features_in(&self, year: i32) -> impl Iterator<Item = &Feature> {
        self.features.iter().filter(move |f| f.valid_in(year))
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
    let bad = |problem: String| LayerError::Feature {
        file: file.into(),
        index,
        id: id.clone(),
        problem,
    };
    let f: geojson::Feature =
        serde_json::from_value(raw).map_err(|e| bad(format!("not a GeoJSON Feature: {e}")))?;
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
    let constraint = spec.constraint
        && spec
            .constraint_if
            .iter()
            .all(|(k, v)| properties.get(k).is_some_and(|p| toml_eq(v, p)));
    let bbox = geodesy::bbox(&geometry).ok_or_else(|| bad("empty geometry".into()))?;
    let edges = RTree::bulk_load(geodesy::segments(&geometry));
    Ok(Feature {
        id: fid,
        name,
        county,
        valid_from,
        valid_to,
        area_m2: geodesy::area_m2(&geometry),
        length_m: geodesy::length_m(&geometry),
        properties,
        geometry,
        bbox,
        constraint,
        edges,
    })
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
    use crate::manifest::LayerKind;
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
                    x: 119.93 + i as f64 * 0.0231,
                    y: 29.95 + j as f64 * 0.0227,
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
