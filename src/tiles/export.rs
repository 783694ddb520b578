//! Pre-rendering a tile pyramid into a PMTiles archive: every tile from `min_zoom` to
//! `max_zoom` that some feature's geometry reaches, rendered with the same [`render`] the
//! server uses (so a static map and the live one draw the same tiles), empty tiles skipped;
//! and, after a layer update, the archive of the tiles that changed against the previous one.

use super::pmtiles::{self, Extent, PmtilesError, Reader, Stats, Writer};
use super::{render, tilejson, TileId, BUFFER, EXTENT, MAX_ZOOM, SIMPLIFY};
use crate::data::dataset::Dataset;
use crate::data::layer::Layer;
use crate::spatial::clip;
use crate::spatial::frames::mercator_project as project;
use geo::{Coord, Geometry, Intersects, MapCoords, Rect};
use rayon::prelude::*;

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
    /// Writing the archive, or reading the previous one, failed.
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
    /// Candidate tiles rendered (those a feature's geometry reaches); the empty ones were
    /// dropped.
    pub rendered: u64,
}

/// A rendered pyramid: the non-empty tiles, gzip-compressed, in TileID order.
#[derive(Debug)]
pub struct Rendered {
    /// Each tile and its compressed MVT.
    pub tiles: Vec<(TileId, Vec<u8>)>,
    /// Candidate tiles rendered to find them.
    pub rendered: u64,
}

/// What changed between a previous archive and a new rendering.
#[derive(Debug, Default)]
pub struct Changes {
    /// The changed tiles in TileID order, with their new compressed MVT; a tile that is now
    /// empty carries an empty MVT (no layers), so that a client or cache overwrites it.
    pub tiles: Vec<(TileId, Vec<u8>)>,
    /// Tiles that are new (not in the previous archive).
    pub added: u64,
    /// Tiles whose content differs.
    pub modified: u64,
    /// Tiles that were in the previous archive and are empty now.
    pub removed: u64,
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

/// Beyond the render's clip buffer, the margin (tile pixels) a geometry may lie off a tile and
/// still draw into it: simplification moves lines by up to [`SIMPLIFY`], snapping to the grid
/// by half a pixel. A tile tested too generously only costs one empty render.
const SLACK: f64 = 2.0 * SIMPLIFY + 1.0;

/// The exported features of one layer in Web Mercator metres (what tile pixels are an affine
/// map of, so a straight edge here is the straight edge the render draws), by feature index;
/// `None` for features not in force in the year.
fn projected(layer: &Layer, year: i32) -> Vec<Option<Geometry>> {
    layer
        .features
        .par_iter()
        .map(|f| {
            f.valid_in(year).then(|| {
                f.geometry.map_coords(|c| {
                    let (x, y) = project(c.x, c.y);
                    Coord { x, y }
                })
            })
        })
        .collect()
}

/// Does some feature in force draw into tile `t`? Its bbox is looked up in the layer's R-tree
/// (lon/lat), then its geometry is tested against the tile's buffered square in Mercator.
fn reaches(layers: &[(&Layer, Vec<Option<Geometry>>)], t: TileId) -> bool {
    let (l, b, r, top) = t.mercator_bounds();
    let m = (r - l) * (BUFFER + SLACK) / f64::from(EXTENT);
    let square = Rect::new(
        Coord { x: l - m, y: b - m },
        Coord {
            x: r + m,
            y: top + m,
        },
    );
    let env = t.lonlat_envelope(BUFFER + SLACK);
    layers.iter().any(|(layer, geoms)| {
        layer
            .indexed_candidates(&env)
            .any(|(i, _)| geoms[i].as_ref().is_some_and(|g| g.intersects(&square)))
    })
}

/// The candidate tiles of the pyramid, in TileID order: those some feature's geometry (not
/// only its bbox) reaches, found by descending the quadtree from z0. A child's buffered square
/// lies inside its parent's, so the children of a tile nothing reaches are never tested, and
/// the work follows the features' outlines rather than their bboxes' areas (a diagonal river's
/// bbox spans a whole county of empty tiles).
pub fn candidates(layers: &[&Layer], p: &Pyramid) -> Vec<TileId> {
    let layers: Vec<(&Layer, Vec<Option<Geometry>>)> =
        layers.iter().map(|l| (*l, projected(l, p.year))).collect();
    let root = TileId { z: 0, x: 0, y: 0 };
    let mut level: Vec<TileId> = if reaches(&layers, root) {
        vec![root]
    } else {
        vec![]
    };
    let mut out = Vec::new();
    for z in 0..=p.max_zoom {
        if z >= p.min_zoom {
            out.extend_from_slice(&level);
        }
        if z == p.max_zoom || level.is_empty() {
            break;
        }
        level = level
            .par_iter()
            .flat_map_iter(|t| {
                let (x, y) = (2 * t.x, 2 * t.y);
                [(x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)]
                    .into_iter()
                    .map(move |(x, y)| TileId { z: z + 1, x, y })
            })
            .filter(|t| reaches(&layers, *t))
            .collect();
    }
    out.par_sort_unstable_by_key(|t| pmtiles::tile_id(*t));
    out
}

/// The box of the exported layers' features in force in the year: what the archive's header
/// says it covers (not the layers' every feature of every year).
pub fn bounds(layers: &[&Layer], year: i32) -> Option<[f64; 4]> {
    layers
        .iter()
        .flat_map(|l| l.features.iter())
        .filter(|f| f.valid_in(year))
        .map(|f| f.bbox)
        .reduce(clip::union)
}

/// Renders the pyramid's candidate tiles in parallel and keeps the non-empty ones, compressed.
pub fn render_pyramid(layers: &[&Layer], p: &Pyramid) -> Result<Rendered, ExportError> {
    if p.min_zoom > p.max_zoom || p.max_zoom > MAX_ZOOM {
        return Err(ExportError::Zooms {
            min: p.min_zoom,
            max: p.max_zoom,
        });
    }
    let candidates = candidates(layers, p);
    // Rendering dominates; compressing in the same task keeps both on all cores. Order is kept,
    // so the tiles come out in TileID order.
    let tiles = candidates
        .par_iter()
        .filter_map(|t| {
            render(layers, *t, p.year).map(|mvt| pmtiles::gzip(&mvt).map(|gz| (*t, gz)))
        })
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(PmtilesError::Io)?;
    Ok(Rendered {
        tiles,
        rendered: candidates.len() as u64,
    })
}

/// Renders the pyramid in parallel and writes it as PMTiles to `out`.
pub fn export(
    ds: &Dataset,
    layers: &[&Layer],
    p: &Pyramid,
    out: &mut impl std::io::Write,
    writer: Writer,
) -> Result<Report, ExportError> {
    let r = render_pyramid(layers, p)?;
    let bounds = bounds(layers, p.year).unwrap_or([0.0; 4]);
    let stats = write(ds, layers, p, &r.tiles, bounds, None, out, writer)?;
    Ok(Report {
        stats,
        rendered: r.rendered,
    })
}

/// The tiles of `new` (a rendering, in TileID order) that differ from the `previous` archive's,
/// compared by their MVT bytes (the compressed bytes first, which agree when neither changed),
/// and the previous archive's tiles that are gone, as empty MVTs.
pub fn changes(previous: &Reader, new: &[(TileId, Vec<u8>)]) -> Result<Changes, ExportError> {
    let old = previous.tiles()?;
    let empty = pmtiles::gzip(&[]).map_err(PmtilesError::Io)?;
    let mut c = Changes::default();
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let old_id = old.get(i).map(|t| t.0);
        let new_id = new.get(j).map(|t| pmtiles::tile_id(t.0));
        match (old_id, new_id) {
            (Some(a), Some(b)) if a == b => {
                let (o, (t, n)) = (old[i].1, &new[j]);
                if o != n.as_slice()
                    && previous.decompress(o)? != pmtiles::gunzip(n).map_err(PmtilesError::Io)?
                {
                    c.modified += 1;
                    c.tiles.push((*t, n.clone()));
                }
                i += 1;
                j += 1;
            }
            (Some(a), b) if b.is_none_or(|b| a < b) => {
                let (z, x, y) = pmtiles::tile_of(a)
                    .ok_or_else(|| PmtilesError::Unreadable(format!("tile id {a}")))?;
                c.removed += 1;
                c.tiles.push((TileId { z, x, y }, empty.clone()));
                i += 1;
            }
            _ => {
                c.added += 1;
                c.tiles.push(new[j].clone());
                j += 1;
            }
        }
    }
    Ok(c)
}

/// The area a set of changed tiles covers, for a diff's header: the lon/lat box of its tiles
/// of the deepest zoom among them. (A change shows in a tile of every zoom, and the z0 tile is
/// the world: the deepest zoom's tiles are the tightest box that holds it.)
pub fn tiles_bounds(tiles: &[(TileId, Vec<u8>)]) -> Option<[f64; 4]> {
    let deepest = tiles.iter().map(|(t, _)| t.z).max()?;
    tiles
        .iter()
        .filter(|(t, _)| t.z == deepest)
        .map(|(t, _)| {
            let e = t.lonlat_envelope(0.0);
            let (lo, hi) = (e.lower(), e.upper());
            [lo[0], lo[1], hi[0], hi[1]]
        })
        .reduce(clip::union)
}

/// Writes `tiles` (TileID order) as one archive: header bounded by `bounds`, the metadata of
/// `metadata`, plus `diff` (what the archive is a diff of) when it is one.
#[allow(clippy::too_many_arguments)] // the parts of one archive; a struct would only rename them
pub fn write(
    ds: &Dataset,
    layers: &[&Layer],
    p: &Pyramid,
    tiles: &[(TileId, Vec<u8>)],
    bounds: [f64; 4],
    diff: Option<serde_json::Value>,
    out: &mut impl std::io::Write,
    writer: Writer,
) -> Result<Stats, ExportError> {
    let mut w = writer;
    for (t, gz) in tiles {
        w.add(*t, gz)?;
    }
    let doc = tilejson::document(ds, layers, "");
    let extent = Extent {
        min_zoom: p.min_zoom,
        max_zoom: p.max_zoom,
        bounds,
        center: [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0],
        center_zoom: (doc.center[2] as u8).clamp(p.min_zoom, p.max_zoom),
    };
    let mut meta = metadata(&doc, p, &ds.version);
    if let Some(d) = diff {
        meta["diff"] = d;
    }
    Ok(w.finish(out, &extent, &meta)?)
}

/// The archive's metadata: the TileJSON's descriptive fields and `vector_layers` (with this
/// pyramid's zooms), without the URL template, which a static archive has no use for.
fn metadata(doc: &tilejson::TileJson, p: &Pyramid, data_version: &str) -> serde_json::Value {
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
        "data_version": data_version,
        "vector_layers": layers,
    })
}
