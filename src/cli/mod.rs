//! The command line: `serve`, `check`, `indicators`, `layers`, `export`, `tiles export`,
//! `gen-scale`, `projects`, `audit`. Wiring only: each command parses its flags, calls the core and prints what the
//! core answers (JSON as the HTTP API serialises it, or a table from [`crate::render::table`]).

mod check;
mod error;
mod export;
mod indicators;
mod io;
mod projects;
mod serve;
mod tiles;

pub use error::CliError;

use crate::assets::MAPLIBRE_VERSION;
use crate::data::{Dataset, LoadError};
use crate::params::current_year;
use crate::query::catalog::catalog;
use crate::render::table::catalog_table;
use clap::{Parser, Subcommand};
use io::load;
use std::path::PathBuf;

/// `ecospace`'s command line.
#[derive(Debug, Parser)]
#[command(
    name = "ecospace",
    disable_version_flag = true,
    arg_required_else_help = true,
    about = "Guards a city's ecological space: site checks against the red line, reserves, water-source zones, shoreline and banks."
)]
pub struct Cli {
    /// Print the version, the bundled data's version and the build's features.
    #[arg(short = 'V', long)]
    pub version: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service. Settings: flags > environment > `--config` file > defaults.
    Serve(Box<serve::ServeArgs>),
    /// Check a site (GeoJSON Geometry, Feature or FeatureCollection file; `-` for stdin), or
    /// screen a list of sites with `--batch`.
    Check(Box<check::CheckArgs>),
    /// Yearly indicators against the plan's targets (one year, or a series).
    Indicators(indicators::IndicatorsArgs),
    /// Write a layer to a GIS file through GDAL (needs the `gdal` feature).
    Export(export::ExportArgs),
    /// Write a synthetic layer set for scale measurements: irregular, non-overlapping parcels
    /// (about half with a hole) on a grid, as a data folder usable with `--data`.
    GenScale(export::GenScaleArgs),
    /// Vector tiles as files: `tiles export` pre-renders a pyramid into one PMTiles archive.
    #[command(subcommand)]
    Tiles(tiles::TilesCommand),
    /// The project registry: register, list, show projects, and the impacts of a data change.
    #[command(subcommand)]
    Projects(projects::ProjectsCommand),
    /// The audit log of every admin and registry write.
    #[command(subcommand)]
    Audit(projects::AuditCommand),
    /// List the layers of the dataset.
    Layers {
        #[arg(long)]
        data: Option<PathBuf>,
        /// Year for the totals (default: this year).
        #[arg(long)]
        year: Option<i32>,
    },
}

impl Cli {
    /// Runs the parsed command.
    pub fn run(self) -> Result<(), CliError> {
        let (false, Some(command)) = (self.version, self.command) else {
            // `--version`, or nothing at all (which `arg_required_else_help` answers with help).
            println!("{}", version_text()?);
            return Ok(());
        };
        match command {
            Command::Serve(args) => serve::run(*args),
            Command::Check(args) => check::run(*args),
            Command::Indicators(args) => indicators::run(args),
            Command::Export(args) => export::run(args),
            Command::GenScale(args) => export::gen_scale(args),
            Command::Tiles(tiles::TilesCommand::Export(args)) => tiles::run_export(*args),
            Command::Projects(cmd) => projects::run(cmd),
            Command::Audit(cmd) => projects::run_audit(cmd),
            Command::Layers { data, year } => {
                let ds = load(data.as_deref())?;
                let year = year.unwrap_or_else(current_year);
                let c = catalog(&ds, year)?;
                print!(
                    "{}",
                    catalog_table(&c, &ds.manifest.title_zh, &ds.manifest.title_en)
                );
                Ok(())
            }
        }
    }
}

/// What `ecospace --version` prints: the crate version, the version hash of the bundled dataset
/// (the one `/health` reports when serving it) and what this build can read.
pub fn version_text() -> Result<String, LoadError> {
    let ds = Dataset::bundled()?;
    #[cfg(feature = "gdal")]
    let gdal = format!("on (GDAL {})", gdal::version::version_info("RELEASE_NAME"));
    #[cfg(not(feature = "gdal"))]
    let gdal = "off (GeoJSON only; rebuild with --features gdal for Shapefile/GeoPackage/FileGDB and CRSs)".to_string();
    Ok(format!(
        "ecospace {}\nbundled data: {} {} ({} layers, {} features; illustrative)\ngdal feature: {gdal}\nmaplibre-gl: {} (embedded)",
        env!("CARGO_PKG_VERSION"),
        ds.manifest.id,
        ds.version,
        ds.layers.len(),
        ds.feature_count(),
        MAPLIBRE_VERSION,
    ))
}
