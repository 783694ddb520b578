//! Pre-rendering a tile pyramid into a PMTiles archive: every tile from `min_zoom` to
//! `max_zoom` that some feature's bounding box reaches, rendered with the same [`render`] the
//! server uses (so a static map and the live one draw the same tiles), empty tiles skipped.

use super::pmtiles::{self, Extent, PmtilesError, Stats, Writer};
use super::{render, tilejson, TileId, BUFFER, EXTENT, MAX_ZOOM};
use crate::data::dataset::Dataset;
use crate::data::layer::Layer;
use crate::spatial::frames::mercator_project as project;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The zoom range is empty or reaches beyond [`MAX_ZOOM`].
    #[error("zoom range {min}–{max} is invalid: need min ≤ max ≤ {MAX_ZOOM}")]
    Zooms {
        /// The lowest zoom asked.
        min: u8,
        /// The highest zoom asked.
        max: u8,
    },
    /// Writing the archive failed.
    #[error(transparent)]
    Pmtiles(#[from] PmtilesError),
}

/// What to export.
#[derive(Debug, Clone)]
pub struct Pyramid {
    /// Lowest zoom exported.
    pub min_zoom: u8,
    /// Highest zoom exported (at most [`MAX_ZOOM`]).
    pub max_zoom: u8,
    /// The year drawn (features in force that year).
    pub year: i32,
}

/// What an export did: the archive's counts, how many tiles were rendered to find them.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// What the archive holds: tiles, distinct contents, bytes.
    pub stats: Stats,
    /// Candidate tiles rendered (those a feature's bbox reaches); the empty ones were dropped.
    pub rendered: u64,
}

/// The tiles of zoom `z` that a lon/lat box reaches, counting the render's clip buffer (a
/// feature just outside a tile still draws into its buffer).
pub(crate) fn tiles_reached(
    bbox: [f64; 4],
    z: u8,
) -> (std::ops::RangeInclusive<u32>, std::ops::RangeInclusive<u32>) {
    let n = 1u32 << z;
    let world = 2.0 * std::f64::consts::PI * 6_378_137.0;
    let (x0, y0) = project(bbox[0], bbox[3]);
    let (x1, y1) = project(bbox[2], bbox[1]);
    let pad = BUFFER / f64::from(EXTENT);
    let col = |mx: f64, d: f64| {
        let f = ((mx / world + 0.5) * f64::from(n)) + d;
        f.floor().clamp(0.0, f64::from(n - 1)) as u32
    };
    let row = |my: f64, d: f64| {
        let f = ((0.5 - my / world) * f64::from(n)) + d;
        f.floor().clamp(0.0, f64::from(n - 1)) as u32
    };
    (col(x0, -pad)..=col(x1, pad), row(y0, -pad)..=row(y1, pad))
}

/// The candidate tiles of the pyramid, in TileID order. Per zoom and column, the features' row
/// ranges are merged first, so a tile is listed once however many bboxes reach it, and the work
/// grows with the boxes' widths rather than their areas.
pub fn candidates(layers: &[&Layer], p: &Pyramid) -> Vec<TileId> {
    let mut out: Vec<(u64, TileId)> = Vec::new();
    for z in p.min_zoom..=p.max_zoom {
        let mut columns: BTreeMap<u32, Vec<(u32, u32)>> = BTreeMap::new();
        for layer in layers {
            for f in layer.features.iter().filter(|f| f.valid_in(p.year)) {
                let (xs, ys) = tiles_reached(f.bbox, z);
                for x in xs {
                    columns.entry(x).or_default().push((*ys.start(), *ys.end()));
                }
            }
        }
        for (x, mut rows) in columns {
            rows.sort_unstable();
            let mut merged: Vec<(u32, u32)> = Vec::with_capacity(rows.len());
            for (a, b) in rows {
                match merged.last_mut() {
                    Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            for (a, b) in merged {
                for y in a..=b {
                    let t = TileId { z, x, y };
                    out.push((pmtiles::tile_id(t), t));
                }
            }
        }
    }
    out.sort_unstable_by_key(|(id, _)| *id);
    out.into_iter().map(|(_, t)| t).collect()
}

/// Renders the pyramid in parallel and writes it as PMTiles to `out`.
pub fn export(
    ds: &Dataset,
    layers: &[&Layer],
    p: &Pyramid,
    out: &mut impl std::io::Write,
    writer: Writer,
) -> Result<Report, ExportError> {
    if p.min_zoom > p.max_zoom || p.max_zoom > MAX_ZOOM {
        return Err(ExportError::Zooms {
            min: p.min_zoom,
            max: p.max_zoom,
        });
    }
    let tiles = candidates(layers, p);
    // Rendering dominates; compressing in the same task keeps both on all cores. Order is kept,
    // so the archive comes out in TileID order.
    let rendered: Vec<Option<std::io::Result<Vec<u8>>>> = tiles
        .par_iter()
        .map(|t| render(layers, *t, p.year).map(|mvt| pmtiles::gzip(&mvt)))
        .collect();
    let mut w = writer;
    for (t, r) in tiles.iter().zip(rendered) {
        if let Some(gz) = r {
            w.add(*t, &gz.map_err(PmtilesError::Io)?)?;
        }
    }
    let doc = tilejson::document(ds, layers, "");
    let bounds = doc.bounds;
    let centre_zoom = doc.center[2] as u8;
    let extent = Extent {
        min_zoom: p.min_zoom,
        max_zoom: p.max_zoom,
        bounds,
        center: [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0],
        center_zoom: centre_zoom.clamp(p.min_zoom, p.max_zoom),
    };
    let stats = w.finish(out, &extent, &metadata(&doc, p))?;
    Ok(Report {
        stats,
        rendered: tiles.len() as u64,
    })
}

/// The archive's metadata: the TileJSON's descriptive fields and `vector_layers` (with this
/// pyramid's zooms), without the URL template, which a static archive has no use for.
fn metadata(doc: &tilejson::TileJson, p: &Pyramid) -> serde_json::Value {
    let mut layers = doc.vector_layers.clone();
    for l in &mut layers {
        l.minzoom = p.min_zoom;
        l.maxzoom = p.max_zoom;
    }
    serde_json::json!({
        "name": doc.name,
        "description": doc.description,
        "version": doc.version,
        "attribution": doc.attribution,
        "type": "overlay",
        "format": "pbf",
        "year": p.year,
        "vector_layers": layers,
    })
}
