//! Mapbox Vector Tiles (spec 2.1, extent 4096, Web Mercator XYZ) and TileJSON, from the loaded
//! layers. Encoding uses geozero's MVT types; clipping, simplification and winding are ours so
//! that they can be done in tile pixel space, where "one pixel" is the honest tolerance.

pub mod cache;
pub mod export;
pub mod glyphs;
pub mod labels;
pub mod matrix;
pub mod pmtiles;
pub mod tilejson;

use crate::data::{Dataset, Layer, LayerKind};
use crate::params::QueryError;
use crate::spatial::crs::WebOffset;
use crate::spatial::frames::{
    mercator_project as project, mercator_unproject as unproject, MERCATOR_HALF_WORLD as HALF_WORLD,
};
use geo::orient::{Direction, Orient};
use geo::{
    BooleanOps, Coord, Geometry, LineString, MultiLineString, MultiPolygon, Polygon, Rect, Simplify,
};
use geozero::mvt::{tile, Message, TagsBuilder, Tile, TileValue};
use geozero::ToMvt;
use rstar::AABB;

/// Tile coordinate space (MVT default).
pub const EXTENT: u32 = 4096;
/// Highest zoom served.
pub const MAX_ZOOM: u8 = 18;
/// Clip buffer around the tile, in tile units (so strokes join across tile edges).
pub const BUFFER: f64 = 64.0;
/// Simplification tolerance in tile units: below a pixel at 256-px display, invisible.
pub const SIMPLIFY: f64 = 1.0;

/// An XYZ tile address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Zoom, 0 to [`MAX_ZOOM`].
    pub z: u8,
    /// Column, from the west (0 to 2^z − 1).
    pub x: u32,
    /// Row, from the north (0 to 2^z − 1).
    pub y: u32,
}

impl TileId {
    /// Validates z ≤ 18 and x, y inside the zoom's grid.
    pub fn new(z: u32, x: u32, y: u32) -> Result<TileId, QueryError> {
        if z > u32::from(MAX_ZOOM) {
            return Err(QueryError::param(
                "z",
                format!("zoom must be 0–{MAX_ZOOM}, got {z}"),
            ));
        }
        let n = 1u32 << z;
        if x >= n || y >= n {
            return Err(QueryError::param(
                "x/y",
                format!(
                    "tile {z}/{x}/{y} is outside the grid (0–{} at zoom {z})",
                    n - 1
                ),
            ));
        }
        Ok(TileId { z: z as u8, x, y })
    }

    /// Web Mercator bounds `(left, bottom, right, top)` in metres.
    pub fn mercator_bounds(&self) -> (f64, f64, f64, f64) {
        let w = 2.0 * HALF_WORLD / f64::from(1u32 << self.z);
        let left = -HALF_WORLD + f64::from(self.x) * w;
        let top = HALF_WORLD - f64::from(self.y) * w;
        (left, top - w, left + w, top)
    }

    /// Lon/lat envelope of the tile grown by `pad` tile units.
    fn lonlat_envelope(&self, pad: f64) -> AABB<[f64; 2]> {
        let (l, b, r, t) = self.mercator_bounds();
        let m = (r - l) * pad / f64::from(EXTENT);
        let (x0, y0) = unproject(l - m, b - m);
        let (x1, y1) = unproject(r + m, t + m);
        AABB::from_corners([x0, y0.max(-90.0)], [x1, y1.min(90.0)])
    }
}

/// Renders one tile with one MVT layer per requested source layer (named by its id), using the
/// features in force in `year`. Returns `None` when no feature reaches the tile.
pub fn render(layers: &[&Layer], id: TileId, year: i32) -> Option<Vec<u8>> {
    render_in(layers, id, year, None)
}

/// [`render`] for a Chinese web map's grid: with `offset`, each vertex is moved into GCJ-02
/// (Amap, Tencent) or BD-09 (Baidu) before it is projected, so the layers line up with that
/// base map's tiles, which are drawn in those offset coordinates.
pub fn render_in(
    layers: &[&Layer],
    id: TileId,
    year: i32,
    offset: Option<WebOffset>,
) -> Option<Vec<u8>> {
    let mut env = id.lonlat_envelope(BUFFER);
    if offset.is_some() {
        // The offsets move a vertex by well under 0.02° (~1 km for BD-09): features that land
        // in the tile once moved are within that much of it.
        let (lo, hi) = (env.lower(), env.upper());
        env = AABB::from_corners([lo[0] - 0.02, lo[1] - 0.02], [hi[0] + 0.02, hi[1] + 0.02]);
    }
    let (l, _, r, t) = id.mercator_bounds();
    let scale = f64::from(EXTENT) / (r - l);
    let to_px = |c: Coord| {
        let (x, y) = offset.map_or((c.x, c.y), |o| o.from_lonlat(c.x, c.y));
        let (mx, my) = project(x, y);
        Coord {
            x: (mx - l) * scale,
            y: (t - my) * scale,
        }
    };
    let clip = Rect::new(
        Coord {
            x: -BUFFER,
            y: -BUFFER,
        },
        Coord {
            x: f64::from(EXTENT) + BUFFER,
            y: f64::from(EXTENT) + BUFFER,
        },
    );
    let clip_poly = MultiPolygon(vec![clip.to_polygon()]);
    let mut out = Tile::default();
    for layer in layers {
        let mut tags = TagsBuilder::new();
        let mut features = Vec::new();
        let mut candidates: Vec<_> = layer
            .candidates(&env)
            .filter(|f| f.valid_in(year))
            .collect();
        candidates.sort_by(|a, b| a.id.cmp(&b.id));
        for (n, f) in candidates.into_iter().enumerate() {
            let Some(geom) = tile_geometry(&f.geometry, layer.kind(), &to_px, &clip_poly) else {
                continue;
            };
            let Ok(mut feat) = geom.to_mvt_unscaled() else {
                continue;
            };
            feat.id = Some(n as u64 + 1);
            let mut kv = vec![("id".to_string(), TileValue::Str(f.id.clone()))];
            for (k, v) in &f.properties {
                if let Some(tv) = tile_value(v) {
                    kv.push((k.clone(), tv));
                }
            }
            for (k, v) in kv {
                let (ki, vi) = tags.insert(k, v);
                feat.tags.push(ki);
                feat.tags.push(vi);
            }
            features.push(feat);
        }
        if features.is_empty() {
            continue;
        }
        let (keys, values) = tags.into_tags();
        out.layers.push(tile::Layer {
            version: 2,
            name: layer.id().to_string(),
            features,
            keys,
            values: values.into_iter().map(tile::Value::from).collect(),
            extent: Some(EXTENT),
        });
    }
    (!out.layers.is_empty()).then(|| out.encode_to_vec())
}

/// A feature property as an MVT value (objects and arrays become their JSON text; nulls drop).
fn tile_value(v: &serde_json::Value) -> Option<TileValue> {
    Some(match v {
        serde_json::Value::Null => return None,
        serde_json::Value::Bool(b) => TileValue::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => TileValue::Sint(i),
            (None, Some(f)) => TileValue::Double(f),
            _ => return None,
        },
        serde_json::Value::String(s) => TileValue::Str(s.clone()),
        other => TileValue::Str(other.to_string()),
    })
}

/// Projects to tile pixels, simplifies by a pixel, clips to the buffered tile, snaps to the
/// integer grid and orients rings as MVT wants (exterior clockwise on screen).
fn tile_geometry(
    g: &Geometry,
    kind: LayerKind,
    to_px: &impl Fn(Coord) -> Coord,
    clip: &MultiPolygon,
) -> Option<Geometry> {
    let ring = |ls: &LineString| LineString::new(ls.0.iter().map(|c| to_px(*c)).collect());
    match kind {
        LayerKind::Zone => {
            let polys: Vec<Polygon> = match g {
                Geometry::Polygon(p) => vec![p.clone()],
                Geometry::MultiPolygon(mp) => mp.0.clone(),
                _ => return None,
            };
            let px = MultiPolygon(
                polys
                    .iter()
                    .map(|p| {
                        Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
                    })
                    .collect(),
            )
            .simplify(SIMPLIFY);
            // Boolean ops also repair any self-touching the simplification introduced.
            let clipped = px.intersection(clip);
            let snapped = snap_polygons(&clipped);
            (!snapped.0.is_empty())
                .then(|| Geometry::MultiPolygon(snapped.orient(Direction::Default)))
        }
        LayerKind::Line => {
            let lines: Vec<LineString> = match g {
                Geometry::LineString(ls) => vec![ls.clone()],
                Geometry::MultiLineString(mls) => mls.0.clone(),
                _ => return None,
            };
            let px = MultiLineString(lines.iter().map(ring).collect()).simplify(SIMPLIFY);
            let clipped = clip.clip(&px, false);
            let snapped: Vec<LineString> = clipped
                .0
                .iter()
                .map(|ls| {
                    dedup(
                        ls.0.iter()
                            .map(|c| Coord {
                                x: c.x.round(),
                                y: c.y.round(),
                            })
                            .collect(),
                    )
                })
                .filter(|cs| cs.len() >= 2)
                .map(LineString::new)
                .collect();
            (!snapped.is_empty()).then_some(Geometry::MultiLineString(MultiLineString(snapped)))
        }
    }
}

fn dedup(mut cs: Vec<Coord>) -> Vec<Coord> {
    cs.dedup();
    cs
}

/// Rounds to integer tile units and drops rings that collapse.
fn snap_polygons(mp: &MultiPolygon) -> MultiPolygon {
    let snap = |ls: &LineString| -> Option<LineString> {
        let cs = dedup(
            ls.0.iter()
                .map(|c| Coord {
                    x: c.x.round(),
                    y: c.y.round(),
                })
                .collect(),
        );
        let area2: f64 = cs
            .windows(2)
            .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
            .sum();
        (cs.len() >= 4 && area2 != 0.0).then(|| LineString::new(cs))
    };
    MultiPolygon(
        mp.0.iter()
            .filter_map(|p| {
                let ext = snap(p.exterior())?;
                Some(Polygon::new(
                    ext,
                    p.interiors().iter().filter_map(snap).collect(),
                ))
            })
            .collect(),
    )
}

/// The layers named by a comma list in a tile path (`redline,shoreline`), each once.
pub fn parse_layers<'a>(ds: &'a Dataset, list: &str) -> Result<Vec<&'a Layer>, QueryError> {
    let mut names: Vec<String> = Vec::new();
    for n in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !names.iter().any(|m| m == n) {
            names.push(n.to_string());
        }
    }
    if names.is_empty() {
        return Err(QueryError::param("layers", "name at least one layer"));
    }
    ds.select(Some(&names))
}
