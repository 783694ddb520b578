//! `ecospace indicators`: one year or a series, as a table, JSON (as `GET /indicators` and
//! `/indicators/series` answer) or CSV.

use super::error::CliError;
use super::io::{load, pretty};
use crate::params::current_year;
use crate::query::indicator::{Cache, Series};
use crate::render::table::{indicators_csv, indicators_table, series_table};
use std::path::PathBuf;

/// Output format of `indicators`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// JSON, as the HTTP API answers.
    Json,
    /// One row per (year, scope, indicator).
    Csv,
}

/// `indicators`' arguments.
#[derive(Debug, clap::Args)]
pub struct IndicatorsArgs {
    /// One year (default: this year).
    #[arg(long, conflicts_with_all = ["from", "to"])]
    year: Option<i32>,
    /// First year of a series.
    #[arg(long, requires = "to")]
    from: Option<i32>,
    /// Last year of a series.
    #[arg(long, requires = "from")]
    to: Option<i32>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[arg(long)]
    data: Option<PathBuf>,
    /// Use these targets instead of the dataset's own (same schema as targets.toml).
    #[arg(long)]
    targets: Option<PathBuf>,
}

/// Prints the indicators.
pub fn run(a: IndicatorsArgs) -> Result<(), CliError> {
    let mut ds = load(a.data.as_deref())?;
    if let Some(t) = &a.targets {
        ds.use_targets_file(t)?;
    }
    let cache = Cache::default();
    let out = match (a.from, a.to) {
        (Some(from), Some(to)) => {
            let s: Series = cache.series(&ds, from, to)?;
            match a.format {
                Format::Json => pretty(&s)?,
                Format::Csv => indicators_csv(&s.series),
                Format::Table => series_table(&s.series),
            }
        }
        _ => {
            let y = cache.year(&ds, a.year.unwrap_or_else(current_year))?;
            match a.format {
                Format::Json => pretty(&y)?,
                Format::Csv => indicators_csv(std::slice::from_ref(&y)),
                Format::Table => indicators_table(&ds, &y),
            }
        }
    };
    print!("{out}");
    Ok(())
}
