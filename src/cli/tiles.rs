//! `ecospace tiles export`: a pyramid of vector tiles pre-rendered into one PMTiles archive.

use super::error::io;
use super::error::CliError;
use super::io::{load, write_atomically};
use crate::data::Layer;
use crate::params::{check_year, current_year};
use crate::tiles::export::{
    bounds, changes, render_pyramid, tiles_bounds, write, Changes, Pyramid,
};
use crate::tiles::{parse_layers, pmtiles, MAX_ZOOM};
use clap::Subcommand;
use std::path::{Path, PathBuf};

/// `tiles` subcommands.
#[derive(Debug, Subcommand)]
pub enum TilesCommand {
    /// Pre-render every non-empty tile of a zoom range into a PMTiles v3 archive (for a static
    /// host or object store; MapLibre reads it with the pmtiles protocol).
    Export(Box<TilesExportArgs>),
}

/// `tiles export`'s arguments.
#[derive(Debug, clap::Args)]
pub struct TilesExportArgs {
    /// Archive format.
    #[arg(long, value_enum, default_value_t = TileArchive::Pmtiles)]
    format: TileArchive,
    /// Output file (written next to it, then renamed into place when complete).
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    data: Option<PathBuf>,
    /// Features in force in this year (default: this year).
    #[arg(long)]
    year: Option<i32>,
    /// Lowest zoom.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=i64::from(MAX_ZOOM)))]
    minzoom: u8,
    /// Highest zoom.
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u8).range(0..=i64::from(MAX_ZOOM)))]
    maxzoom: u8,
    /// Layers, comma-separated (default: all), one MVT layer each.
    #[arg(long)]
    layers: Option<String>,
    /// The archive published before this layer update: with it, the tiles that changed are
    /// counted, and written by --diff-out / --changed-list. May be --out itself (it is read
    /// before anything is written).
    #[arg(long)]
    previous: Option<PathBuf>,
    /// Also write the changed tiles only, as a PMTiles archive (tiles that became empty are in
    /// it as empty tiles, so that a client or cache overwrites them).
    #[arg(long, requires = "previous")]
    diff_out: Option<PathBuf>,
    /// Also write the changed tiles' z/x/y, one per line (to invalidate a CDN's cached tiles).
    #[arg(long, requires = "previous")]
    changed_list: Option<PathBuf>,
}

/// Tile archive formats of `tiles export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TileArchive {
    Pmtiles,
}

/// `tiles export`: render, write to a temporary file beside `--out`, rename when complete (so a
/// failed export never leaves a truncated archive under the final name).
pub fn run_export(a: TilesExportArgs) -> Result<(), CliError> {
    let TileArchive::Pmtiles = a.format;
    if a.minzoom > a.maxzoom {
        return Err(CliError::Usage(format!(
            "--minzoom {} is above --maxzoom {}",
            a.minzoom, a.maxzoom
        )));
    }
    let ds = load(a.data.as_deref())?;
    let year = a.year.unwrap_or_else(current_year);
    check_year(year)?;
    let layers: Vec<&Layer> = match &a.layers {
        Some(list) => parse_layers(&ds, list)?,
        None => ds.layers.iter().collect(),
    };
    // Read the previous archive before anything is written: --previous may be --out itself.
    let previous = match &a.previous {
        Some(p) => Some((p, std::fs::read(p).map_err(io(p))?)),
        None => None,
    };
    let unreadable = |path: &Path, e: &dyn std::fmt::Display| {
        CliError::Usage(format!("--previous {}: {e}", path.display()))
    };
    let previous = match &previous {
        Some((path, bytes)) => Some((
            path.as_path(),
            pmtiles::Reader::new(bytes).map_err(|e| unreadable(path, &e))?,
        )),
        None => None,
    };
    let started = std::time::Instant::now();
    let p = Pyramid {
        min_zoom: a.minzoom,
        max_zoom: a.maxzoom,
        year,
    };
    let rendered = render_pyramid(&layers, &p).map_err(failed)?;
    let changed = match &previous {
        Some((path, r)) => Some(changes(r, &rendered.tiles).map_err(|e| unreadable(path, &e))?),
        None => None,
    };
    // The diff and the list first: if one fails, the published archive (which may be
    // --previous itself) is still the one they were to be compared with.
    if let (Some(c), Some((path, r))) = (&changed, &previous) {
        write_changes(&a, &ds, &layers, &p, c, path, r)?;
    }
    let extent = bounds(&layers, year).unwrap_or([0.0; 4]);
    let s = write_atomically(&a.out, |f| {
        write(
            &ds,
            &layers,
            &p,
            &rendered.tiles,
            extent,
            None,
            f,
            pmtiles::Writer::new(),
        )
        .map_err(failed)
    })?;
    eprintln!(
        "wrote {}: {} tiles (z{}–z{}, {} rendered, {} empty skipped), {} directory entries, {} distinct contents, {} leaf directories, {} bytes, {:.2} s",
        a.out.display(),
        s.addressed_tiles,
        a.minzoom,
        a.maxzoom,
        rendered.rendered,
        rendered.rendered - s.addressed_tiles,
        s.tile_entries,
        s.tile_contents,
        s.leaf_directories,
        s.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The outputs of `--previous`: the changed tiles' list and the diff archive.
fn write_changes(
    a: &TilesExportArgs,
    ds: &crate::data::Dataset,
    layers: &[&Layer],
    p: &Pyramid,
    c: &Changes,
    previous: &Path,
    r: &pmtiles::Reader,
) -> Result<(), CliError> {
    eprintln!(
        "against {}: {} tiles changed ({} added, {} modified, {} now empty)",
        previous.display(),
        c.tiles.len(),
        c.added,
        c.modified,
        c.removed
    );
    if let Some(list) = &a.changed_list {
        let mut text = String::with_capacity(c.tiles.len() * 16);
        for (t, _) in &c.tiles {
            text.push_str(&format!("{}/{}/{}\n", t.z, t.x, t.y));
        }
        write_atomically(list, |f| {
            std::io::Write::write_all(f, text.as_bytes()).map_err(io(list))
        })?;
    }
    if let Some(diff) = &a.diff_out {
        let Some(area) = tiles_bounds(&c.tiles) else {
            // PMTiles has no empty archive. An old diff under that name would look like this
            // run's: it goes.
            let old = diff.exists() && std::fs::remove_file(diff).is_ok();
            eprintln!(
                "no tile changed: no diff written{}",
                if old {
                    format!(" (removed the old {})", diff.display())
                } else {
                    String::new()
                }
            );
            return Ok(());
        };
        let base = r.metadata().ok();
        let what = serde_json::json!({
            "base_data_version": base.as_ref().and_then(|m| m.get("data_version")).cloned(),
            "base_year": base.as_ref().and_then(|m| m.get("year")).cloned(),
            "tiles": c.tiles.len(),
            "added": c.added,
            "modified": c.modified,
            "removed": c.removed,
        });
        let d = write_atomically(diff, |f| {
            write(
                ds,
                layers,
                p,
                &c.tiles,
                area,
                Some(what),
                f,
                pmtiles::Writer::new(),
            )
            .map_err(failed)
        })?;
        eprintln!(
            "wrote {}: {} changed tiles in [{:.5}, {:.5}, {:.5}, {:.5}], {} bytes",
            diff.display(),
            d.addressed_tiles,
            area[0],
            area[1],
            area[2],
            area[3],
            d.bytes
        );
    }
    Ok(())
}

/// An export that could not be rendered or written.
fn failed(e: crate::tiles::export::ExportError) -> CliError {
    CliError::Write(e.to_string())
}
