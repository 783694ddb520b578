//! `ecospace tiles export`: a pyramid of vector tiles pre-rendered into one PMTiles archive.

use super::error::CliError;
use super::io::{load, write_atomically};
use crate::data::Layer;
use crate::params::{check_year, current_year};
use crate::tiles::export::{export, Pyramid};
use crate::tiles::{parse_layers, pmtiles, MAX_ZOOM};
use clap::Subcommand;
use std::path::PathBuf;

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
    let started = std::time::Instant::now();
    let report = write_atomically(&a.out, |f| {
        export(
            &ds,
            &layers,
            &Pyramid {
                min_zoom: a.minzoom,
                max_zoom: a.maxzoom,
                year,
            },
            f,
            pmtiles::Writer::new(),
        )
        .map_err(|e| CliError::Write(e.to_string()))
    })?;
    let s = report.stats;
    eprintln!(
        "wrote {}: {} tiles (z{}–z{}, {} rendered, {} empty skipped), {} directory entries, {} distinct contents, {} leaf directories, {} bytes, {:.2} s",
        a.out.display(),
        s.addressed_tiles,
        a.minzoom,
        a.maxzoom,
        report.rendered,
        report.rendered - s.addressed_tiles,
        s.tile_entries,
        s.tile_contents,
        s.leaf_directories,
        s.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
