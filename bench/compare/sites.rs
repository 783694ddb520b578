//! Shared by `bench/compare/engine.rs` and `benches/compare.rs` (included with `#[path]`):
//! reads a workload FeatureCollection written by `bench/compare/make_workloads.py` and turns
//! ecospace answers into the engine-neutral answer record the agreement check compares.

#![allow(dead_code)]

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use serde_json::{json, Value};

pub struct Site {
    pub id: String,
    pub geom: Geometry,
}

fn coord(v: &Value) -> Result<Coord, String> {
    let a = v.as_array().ok_or("position is not an array")?;
    let x = a.first().and_then(Value::as_f64).ok_or("bad x")?;
    let y = a.get(1).and_then(Value::as_f64).ok_or("bad y")?;
    Ok(Coord { x, y })
}

fn line(v: &Value) -> Result<LineString, String> {
    let a = v.as_array().ok_or("line is not an array")?;
    Ok(LineString(a.iter().map(coord).collect::<Result<_, _>>()?))
}

fn polygon(v: &Value) -> Result<Polygon, String> {
    let rings = v.as_array().ok_or("polygon is not an array")?;
    let mut it = rings.iter().map(line);
    let ext = it.next().ok_or("polygon without rings")??;
    Ok(Polygon::new(ext, it.collect::<Result<_, _>>()?))
}

pub fn geometry(g: &Value) -> Result<Geometry, String> {
    let c = &g["coordinates"];
    Ok(match g["type"].as_str().unwrap_or("") {
        "Point" => Geometry::Point(Point(coord(c)?)),
        "LineString" => Geometry::LineString(line(c)?),
        "Polygon" => Geometry::Polygon(polygon(c)?),
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(
            c.as_array()
                .ok_or("coordinates")?
                .iter()
                .map(line)
                .collect::<Result<_, _>>()?,
        )),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
            c.as_array()
                .ok_or("coordinates")?
                .iter()
                .map(polygon)
                .collect::<Result<_, _>>()?,
        )),
        t => return Err(format!("unsupported geometry type {t:?}")),
    })
}

pub fn load(path: &std::path::Path) -> Result<Vec<Site>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let fc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let feats = fc["features"].as_array().ok_or("not a FeatureCollection")?;
    feats
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let id = match &f["id"] {
                Value::String(s) => s.clone(),
                Value::Null => i.to_string(),
                v => v.to_string(),
            };
            Ok(Site {
                id,
                geom: geometry(&f["geometry"])?,
            })
        })
        .collect()
}

/// The answer record of a check: per hit `[layer, id, measure, relation]`, where the measure is
/// the overlap area (m², areal site vs zone), the length of the feature inside the site (m, areal
/// site vs line layer) or the length of a line site inside the zone (m); null otherwise.
pub fn check_answer(id: &str, r: &ecospace::CheckResult) -> Value {
    let mut hits: Vec<Value> = r
        .hits
        .iter()
        .map(|h| {
            let rel = serde_json::to_value(h.relation).unwrap_or(Value::Null);
            json!([h.layer, h.id, h.overlap_area_m2.or(h.overlap_length_m), rel])
        })
        .collect();
    hits.sort_by_key(|h| format!("{}\u{0}{}", h[0], h[1]));
    json!({"id": id, "hits": hits})
}

/// The answer record of a point lookup (zone layers, boundary included).
pub fn zones_answer(id: &str, z: &[ecospace::ZoneHit]) -> Value {
    let mut hits: Vec<Value> = z
        .iter()
        .map(|h| {
            json!([
                h.layer,
                h.id,
                Value::Null,
                if h.on_boundary { "touches" } else { "within" }
            ])
        })
        .collect();
    hits.sort_by_key(|h| format!("{}\u{0}{}", h[0], h[1]));
    json!({"id": id, "hits": hits})
}

/// splitmix-free percentile helper over sorted nanoseconds → µs.
pub fn pct_us(sorted_ns: &[u64], p: f64) -> f64 {
    if sorted_ns.is_empty() {
        return 0.0;
    }
    let i = ((sorted_ns.len() as f64 - 1.0) * p).round() as usize;
    sorted_ns[i] as f64 / 1000.0
}
