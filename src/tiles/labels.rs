//! Label points: one point per feature, inside it, as a GeoJSON FeatureCollection a map labels
//! from (`GET /labels/{layers}`).
//!
//! Vector tiles cut a zone at every tile edge, and a map places a polygon's label once per
//! piece: a county spanning four tiles is named four times, or, when the pieces' labels
//! collide, in an arbitrary one of them. One point per feature names each zone once, where the
//! zone is, and is also where a marker can show a zone too small to see at a low zoom (the
//! 王盘山 islands are a fifth of a square kilometre).

use crate::data::{Layer, LayerKind};
use geo::{Geometry, InteriorPoint};
use serde_json::{json, Map, Value};

/// A point inside `g` (on it, for lines): the middle of the longest chord of a horizontal line
/// through its box (geo's [`InteriorPoint`]); for a multipolygon, that of the widest part.
pub fn label_point(g: &Geometry) -> Option<[f64; 2]> {
    let p = match g {
        Geometry::Polygon(p) => p.interior_point(),
        Geometry::MultiPolygon(m) => m.interior_point(),
        other => other.interior_point(),
    }?;
    Some([p.x(), p.y()])
}

/// The label points of `layers` in force in `year`: each a Point Feature whose properties are
/// the feature's own plus `layer` (the layer id), `id`, and `area_m2` (zones) or `length_m`
/// (lines), geodesic, rounded to the metre.
pub fn label_points(layers: &[&Layer], year: i32) -> Value {
    let mut features = Vec::new();
    for layer in layers {
        let mut fs: Vec<_> = layer.features_in(year).collect();
        fs.sort_by(|a, b| a.id.cmp(&b.id));
        for f in fs {
            let Some([x, y]) = label_point(&f.geometry) else {
                continue;
            };
            let mut props: Map<String, Value> = f.properties.clone();
            props.insert("layer".into(), Value::String(layer.id().to_string()));
            props.insert("id".into(), Value::String(f.id.clone()));
            match layer.kind() {
                LayerKind::Zone => props.insert("area_m2".into(), json!(f.area_m2().round())),
                LayerKind::Line => props.insert("length_m".into(), json!(f.length_m().round())),
            };
            features.push(json!({
                "type": "Feature",
                "id": format!("{}/{}", layer.id(), f.id),
                "properties": props,
                "geometry": {"type": "Point", "coordinates": [round7(x), round7(y)]},
            }));
        }
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// Degrees to 7 decimals (about 1 cm): what a label needs, and a stable answer.
fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use crate::data::Location;

    #[test]
    fn every_zone_gets_one_point_inside_it() {
        let ds = Dataset::bundled().unwrap();
        let layers: Vec<&Layer> = ds
            .layers
            .iter()
            .filter(|l| l.kind() == LayerKind::Zone)
            .collect();
        let fc = label_points(&layers, 2025);
        let points = fc["features"].as_array().unwrap();
        let mut n = 0;
        for layer in &layers {
            for f in layer.features_in(2025) {
                n += 1;
                let at: Vec<&Value> = points
                    .iter()
                    .filter(|p| {
                        p["properties"]["layer"] == layer.id() && p["properties"]["id"] == f.id
                    })
                    .collect();
                assert_eq!(at.len(), 1, "{} {}", layer.id(), f.id);
                let c = &at[0]["geometry"]["coordinates"];
                let p = geo::Coord {
                    x: c[0].as_f64().unwrap(),
                    y: c[1].as_f64().unwrap(),
                };
                assert_eq!(f.locate(p), Location::Inside, "{} {}", layer.id(), f.id);
                assert_eq!(at[0]["properties"]["name"], f.name.as_str());
                assert!(at[0]["properties"]["area_m2"].as_f64().unwrap() > 0.0);
            }
        }
        assert_eq!(points.len(), n);
        assert!(n > 10);
    }
}
