//! `ecospace check`: one site file (or a FeatureCollection of sites) screened and printed as a
//! table, as JSON (exactly what `POST /check` answers) or as the printable report; or, with
//! `--batch`, a list of sites streamed as NDJSON or CSV rows (what `POST /check/batch` streams),
//! or written as GeoParquet.

use super::error::{io, CliError};
use super::io::{load, pretty, write_atomically};
use crate::data::Dataset;
use crate::params::check_year;
use crate::query::batch::{self, Row};
use crate::query::check::{CheckOptions, Verdict};
use crate::query::screen::{screen_input, Answer, CheckParams, Screening};
use crate::query::site::{self, SiteInput};
use crate::render::geoparquet::{self, GeoParquetError};
use crate::render::report::{self, Lang};
use crate::render::{rows, table};
use std::path::{Path, PathBuf};

/// `check`'s arguments.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The site file (`-` for stdin).
    #[arg(required_unless_present = "batch", conflicts_with = "batch")]
    site: Option<PathBuf>,
    /// Screen many sites (`-` for stdin): a GeoJSON FeatureCollection or a CSV (`wkt` or `lon`,`lat` columns;
    /// `id`, `type`, `name` when present). Streams one row per site to stdout.
    #[arg(long, value_name = "FILE")]
    batch: Option<PathBuf>,
    /// Batch output: ndjson (default), csv, or geoparquet (binary: needs `--out`).
    #[arg(long, value_enum, default_value_t = BatchFormat::Ndjson, requires = "batch")]
    format: BatchFormat,
    /// Write the batch output to this file instead of stdout (required for geoparquet).
    #[arg(long, value_name = "FILE", requires = "batch")]
    out: Option<PathBuf>,
    /// Show a progress bar on stderr (default: when stderr is a terminal).
    #[arg(long, requires = "batch")]
    progress: bool,
    /// The check's parameters, as `POST /check` takes them.
    #[command(flatten)]
    params: CheckParams,
    /// Print JSON (as `POST /check` answers) instead of a table.
    #[arg(long)]
    json: bool,
    /// Write the printable HTML report of the site to this file.
    #[arg(long, value_name = "FILE", conflicts_with = "batch")]
    report: Option<PathBuf>,
    /// Language of the report: zh or en.
    #[arg(long, default_value = "zh")]
    lang: String,
    #[arg(long)]
    data: Option<PathBuf>,
}

/// Row format of `check --batch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BatchFormat {
    /// One screening answer per line.
    Ndjson,
    /// One line per site, hits folded into one cell.
    Csv,
    /// GeoParquet 1.1 (WKB geometry), for Sedona/Spark, DuckDB, GeoPandas.
    Geoparquet,
}

/// Screens and prints.
pub fn run(a: CheckArgs) -> Result<(), CliError> {
    let ds = load(a.data.as_deref())?;
    let opts = a.params.options();
    let ask = a.params.screening(&ds)?;
    if let Some(path) = &a.batch {
        return run_batch(&ds, path, &opts, &ask, &a);
    }
    let site = a.site.clone().unwrap_or_else(|| PathBuf::from("-"));
    let body = read_input(&site)?;
    // A DXF, zipped Shapefile, KML/KMZ or GeoPackage (told by its bytes) is read through GDAL.
    let (body, crs) = site::as_geojson(&body, None, ask.crs.as_deref())?;
    let input = site::parse_in(&body, usize::MAX, crs)?;
    if let Some(out) = &a.report {
        let SiteInput::One(s) = input else {
            return Err(CliError::Usage(
                "--report takes one site; use --batch for many".into(),
            ));
        };
        let lang = Lang::parse(&a.lang)?;
        let geometry = s.geometry.clone();
        let Answer::One(r) = screen_input(&ds, SiteInput::One(s), &opts, &ask)? else {
            return Err(CliError::Usage("--report takes one site".into()));
        };
        let html = report::html(&ds, &geometry, &r, &body, lang);
        std::fs::write(out, html).map_err(io(out))?;
        eprintln!("report written to {}", out.display());
        return Ok(());
    }
    let answer = screen_input(&ds, input, &opts, &ask)?;
    if a.json {
        print!("{}", pretty(&answer)?);
    } else {
        match &answer {
            Answer::One(r) => print!("{}", table::screening_table(r)),
            Answer::Batch { results } => {
                for r in results {
                    print!("{}", table::screening_table(r));
                }
            }
        }
    }
    Ok(())
}

/// A site or batch file, or stdin for `-` (so that `check --batch -` is a filter: a Spark
/// partition, a shell pipe).
fn read_input(path: &Path) -> Result<Vec<u8>, CliError> {
    if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b).map_err(io(path))?;
        Ok(b)
    } else {
        std::fs::read(path).map_err(io(path))
    }
}

/// `check --batch`: rows to stdout (or `--out`) as each site is done, a progress bar on stderr.
/// GeoParquet is binary and columnar, so it needs `--out` and is complete only at the end.
fn run_batch(
    ds: &Dataset,
    path: &Path,
    opts: &CheckOptions,
    ask: &Screening,
    a: &CheckArgs,
) -> Result<(), CliError> {
    use std::io::Write;
    if a.format == BatchFormat::Geoparquet && a.out.is_none() {
        return Err(CliError::Usage(
            "--format geoparquet writes a binary file: give it with --out FILE".to_string(),
        ));
    }
    check_year(opts.year)?;
    let body = read_input(path)?;
    let (body, crs) = site::as_geojson(&body, None, ask.crs.as_deref())?;
    let mut ask = ask.clone();
    ask.crs = crs.map(str::to_string);
    let ask = &ask;
    let entries = batch::read(&body, usize::MAX)?;
    let progress = a.progress;
    let screen_all = |sink: &mut RowSink<'_>| -> Result<(), CliError> {
        let n = entries.len();
        let bar = progress || std::io::IsTerminal::is_terminal(&std::io::stderr());
        let (mut conflicts, mut errors) = (0usize, 0usize);
        let started = std::time::Instant::now();
        for (done, e) in entries.into_iter().enumerate() {
            let geometry = e.site.as_ref().ok().map(|s| s.geometry.clone());
            let row = batch::screen_entry(ds, e, opts, ask, usize::MAX);
            conflicts += usize::from(
                row.result
                    .as_ref()
                    .is_some_and(|r| r.verdict == Verdict::Conflict),
            );
            errors += usize::from(row.error.is_some());
            if !sink(&row, geometry.as_ref())? {
                break;
            }
            if bar {
                let width = 30;
                let filled = (done + 1) * width / n.max(1);
                let _ = write!(
                    std::io::stderr(),
                    "\r[{}{}] {}/{n} sites · {conflicts} in conflict · {errors} errors · {:.1} s",
                    "#".repeat(filled),
                    ".".repeat(width - filled),
                    done + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
        if bar {
            let _ = writeln!(std::io::stderr());
        }
        Ok(())
    };
    match (a.format, &a.out) {
        (BatchFormat::Geoparquet, Some(out)) => write_atomically(out, |f| {
            let fail = |e: GeoParquetError| CliError::Write(format!("{}: {e}", out.display()));
            let mut w = geoparquet::Writer::new(f).map_err(fail)?;
            screen_all(&mut |row, g| w.push(row, g).map(|()| true).map_err(fail))?;
            w.finish().map(drop).map_err(fail)
        }),
        (format, Some(out)) => write_atomically(out, |f| text_rows(f, format, screen_all)),
        (format, None) => text_rows(
            &mut std::io::BufWriter::new(std::io::stdout().lock()),
            format,
            screen_all,
        ),
    }
}

/// Where `check --batch` sends each screened row (with the site's geometry as read); `false`
/// when nobody reads the rows any more.
type RowSink<'a> = dyn FnMut(&Row, Option<&geo::Geometry>) -> Result<bool, CliError> + 'a;

/// NDJSON or CSV rows: each line is written and flushed as soon as its site is done. A reader
/// that stops reading (`| head`) ends the batch quietly, as any Unix filter does.
fn text_rows(
    w: &mut dyn std::io::Write,
    format: BatchFormat,
    screen_all: impl FnOnce(&mut RowSink<'_>) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let mut write = |text: &str| -> Result<bool, CliError> {
        match w.write_all(text.as_bytes()).and_then(|()| w.flush()) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(CliError::Write(format!("writing rows: {e}"))),
        }
    };
    if format == BatchFormat::Csv && !write(rows::CSV_HEADER)? {
        return Ok(());
    }
    screen_all(&mut |row, _| {
        write(&match format {
            BatchFormat::Csv => rows::csv_line(row),
            _ => rows::ndjson_line(row),
        })
    })
}
