//! The command line: `serve`, `check`, `indicators`, `layers`, `export`, `tiles export`. Wiring
//! only; the work is in the core.

use crate::api::{self, AppState, Limits, WebConfig};
use crate::check::{screen, CheckOptions, CheckResult, Screening};
use crate::dataset::Dataset;
use crate::indicator::{self, target::Rule, Status, YearIndicators};
use crate::manifest::LayerKind;
use crate::site::{self, SiteInput};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

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
    pub command: Option<Command>,
}

/// What `ecospace --version` prints: the crate version, the version hash of the bundled dataset
/// (the one `/health` reports when serving it) and what this build can read.
pub fn version_text() -> Result<String, String> {
    let ds = Dataset::bundled().map_err(|e| e.to_string())?;
    #[cfg(feature = "gdal")]
    let gdal = format!(
        "on (GDAL {})",
        gdal::version::version_info("RELEASE_NAME")
    );
    #[cfg(not(feature = "gdal"))]
    let gdal = "off (GeoJSON only; rebuild with --features gdal for Shapefile/GeoPackage/FileGDB and CRSs)".to_string();
    Ok(format!(
        "ecospace {}\nbundled data: {} {} ({} layers, {} features; illustrative)\ngdal feature: {gdal}\nmaplibre-gl: {} (embedded)",
        env!("CARGO_PKG_VERSION"),
        ds.manifest.id,
        ds.version,
        ds.layers.len(),
        ds.feature_count(),
        crate::dataset::embedded::MAPLIBRE_VERSION,
    ))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service. Settings: flags > environment > `--config` file > defaults.
    Serve(Box<ServeArgs>),
    /// Check a site (GeoJSON Geometry, Feature or FeatureCollection file; `-` for stdin), or
    /// screen a list of sites with `--batch`.
    Check(Box<CheckArgs>),
    /// Yearly indicators against the plan's targets (one year, or a series).
    Indicators {
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
    },
    /// Write a layer to a GIS file through GDAL (needs the `gdal` feature).
    Export {
        /// Layer id.
        #[arg(long)]
        layer: String,
        /// GDAL driver: GPKG, "ESRI Shapefile", GeoJSON, FlatGeobuf, …
        #[arg(long, default_value = "GPKG")]
        format: String,
        /// Output CRS, e.g. EPSG:4549 (default lon/lat EPSG:4326).
        #[arg(long)]
        crs: Option<String>,
        /// Only features in force in this year (default: all, with their validity fields).
        #[arg(long)]
        year: Option<i32>,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// Write a synthetic layer set for scale measurements: irregular, non-overlapping parcels
    /// (about half with a hole) on a grid, as a data folder usable with `--data`.
    GenScale {
        /// Number of parcels.
        #[arg(long)]
        features: usize,
        /// Positions per parcel, shell and hole together (at least 3).
        #[arg(long, default_value_t = 100)]
        vertices_per_feature: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output folder (created).
        #[arg(long)]
        out: PathBuf,
    },
    /// Vector tiles as files: `tiles export` pre-renders a pyramid into one PMTiles archive.
    #[command(subcommand)]
    Tiles(TilesCommand),
    /// List the layers of the dataset.
    Layers {
        #[arg(long)]
        data: Option<PathBuf>,
        /// Year for the totals (default: this year).
        #[arg(long)]
        year: Option<i32>,
    },
}

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
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=i64::from(crate::tiles::MAX_ZOOM)))]
    minzoom: u8,
    /// Highest zoom.
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u8).range(0..=i64::from(crate::tiles::MAX_ZOOM)))]
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
fn run_tiles_export(a: TilesExportArgs) -> Result<(), String> {
    use crate::tiles::export::{export, Pyramid};
    let TileArchive::Pmtiles = a.format;
    if a.minzoom > a.maxzoom {
        return Err(format!(
            "--minzoom {} is above --maxzoom {}",
            a.minzoom, a.maxzoom
        ));
    }
    let ds = load(a.data.as_deref())?;
    let year = a.year.unwrap_or_else(crate::current_year);
    crate::check::check_year(year).map_err(|e| e.to_string())?;
    let layers: Vec<&crate::layer::Layer> = match &a.layers {
        Some(list) => crate::tiles::parse_layers(&ds, list).map_err(|e| e.to_string())?,
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
            crate::tiles::pmtiles::Writer::new(),
        )
        .map_err(|e| e.to_string())
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

/// Runs `write` on a temporary file beside `out` and renames it to `out` when it succeeds.
fn write_atomically<T>(
    out: &std::path::Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<T, String>,
) -> Result<T, String> {
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(format!(".partial-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let file = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let done = write(&mut w).and_then(|v| {
        std::io::Write::flush(&mut w).map_err(|e| format!("{}: {e}", out.display()))?;
        Ok(v)
    });
    match done {
        Ok(v) => {
            std::fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))?;
            Ok(v)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// `check`'s arguments.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The site file (`-` for stdin).
    #[arg(required_unless_present = "batch", conflicts_with = "batch")]
    site: Option<PathBuf>,
    /// Screen many sites: a GeoJSON FeatureCollection or a CSV (`wkt` or `lon`,`lat` columns;
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
    /// Also report features within this many metres.
    #[arg(long, default_value_t = 0.0)]
    buffer_m: f64,
    /// Year the layers are taken in (default: this year).
    #[arg(long)]
    year: Option<i32>,
    /// Only these layers (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    layers: Option<Vec<String>>,
    /// Project type (see `GET /rules`): rules each hit and the site.
    #[arg(long = "type", value_name = "TYPE")]
    project_type: Option<String>,
    /// Proximity rings in metres, e.g. 0,500,1000,5000 (`default`: the rules file's).
    #[arg(long)]
    rings: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Write the printable HTML report of the site to this file.
    #[arg(long, value_name = "FILE", conflicts_with = "batch")]
    report: Option<PathBuf>,
    /// Language of the report: zh or en.
    #[arg(long, default_value = "zh")]
    lang: String,
    /// CRS of the site's coordinates, e.g. EPSG:4549 (default lon/lat; needs the gdal feature otherwise).
    #[arg(long)]
    crs: Option<String>,
    #[arg(long)]
    data: Option<PathBuf>,
}

/// Row format of `check --batch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BatchFormat {
    Ndjson,
    Csv,
    /// GeoParquet 1.1 (WKB geometry), for Sedona/Spark, DuckDB, GeoPandas.
    Geoparquet,
}

fn run_check(a: CheckArgs) -> Result<(), String> {
    let ds = load(a.data.as_deref())?;
    let opts = CheckOptions {
        year: a.year.unwrap_or_else(crate::current_year),
        buffer_m: a.buffer_m,
        layers: a.layers.clone(),
    };
    let ask = Screening {
        project_type: a.project_type.clone(),
        rings_m: a
            .rings
            .as_deref()
            .map(|r| crate::rings::parse(r, &ds))
            .transpose()
            .map_err(|e| format!("--rings: {e}"))?,
    };
    if let Some(path) = &a.batch {
        return run_batch(
            &ds,
            path,
            &opts,
            &ask,
            a.format,
            a.out.as_deref(),
            a.progress,
        );
    }
    let site = a.site.clone().unwrap_or_else(|| PathBuf::from("-"));
    let body = if site.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)
            .map_err(|e| format!("stdin: {e}"))?;
        b
    } else {
        std::fs::read(&site).map_err(|e| format!("{}: {e}", site.display()))?
    };
    let input = site::parse_in(&body, usize::MAX, a.crs.as_deref())
        .map_err(|e| format!("{}: {e}", site.display()))?;
    let sites = match input {
        SiteInput::One(s) => vec![s],
        SiteInput::Batch(v) => v,
    };
    let mut results = Vec::new();
    for s in &sites {
        results.push((
            s.id.clone(),
            screen(&ds, &s.geometry, &opts, &ask.for_site(s)).map_err(|e| e.to_string())?,
        ));
    }
    if let Some(out) = &a.report {
        let [(id, r)] = &results[..] else {
            return Err("--report takes one site; use --batch for many".into());
        };
        let s = &sites[0];
        let lang = crate::report::Lang::parse(&a.lang)?;
        let html = crate::report::html(&ds, &s.geometry, id.as_deref(), r, &body, lang);
        std::fs::write(out, html).map_err(|e| format!("{}: {e}", out.display()))?;
        eprintln!("report written to {}", out.display());
        return Ok(());
    }
    if a.json {
        let v: Vec<_> = results
            .iter()
            .map(|(id, r)| serde_json::json!({"id": id, "result": r}))
            .collect();
        let out = if v.len() == 1 {
            v[0]["result"].clone()
        } else {
            serde_json::json!({"results": v})
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
        );
    } else {
        for (id, r) in &results {
            print!("{}", table(id.as_deref(), r));
        }
    }
    Ok(())
}

/// `check --batch`: rows to stdout (or `--out`) as each site is done, a progress bar on stderr.
/// GeoParquet is binary and columnar, so it needs `--out` and is complete only at the end.
#[allow(clippy::too_many_arguments)]
fn run_batch(
    ds: &Dataset,
    path: &std::path::Path,
    opts: &CheckOptions,
    ask: &Screening,
    format: BatchFormat,
    out: Option<&std::path::Path>,
    progress: bool,
) -> Result<(), String> {
    use std::io::Write;
    if format == BatchFormat::Geoparquet && out.is_none() {
        return Err(
            "--format geoparquet writes a binary file: give it with --out FILE".to_string(),
        );
    }
    if let (Some(t), Some(r)) = (&ask.project_type, &ds.rules) {
        r.project_type(t)?;
    }
    crate::check::check_year(opts.year).map_err(|e| e.to_string())?;
    let body = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let entries =
        crate::batch::read(&body, usize::MAX).map_err(|e| format!("{}: {e}", path.display()))?;
    let screen_all = |sink: &mut RowSink<'_>| -> Result<(), String> {
        let n = entries.len();
        let bar = progress || std::io::IsTerminal::is_terminal(&std::io::stderr());
        let (mut conflicts, mut errors) = (0usize, 0usize);
        let started = std::time::Instant::now();
        for (done, e) in entries.into_iter().enumerate() {
            let geometry = e.site.as_ref().ok().map(|s| s.geometry.clone());
            let row = crate::batch::screen_entry(ds, e, opts, ask, usize::MAX);
            conflicts += usize::from(
                row.result
                    .as_ref()
                    .is_some_and(|r| r.verdict == crate::Verdict::Conflict),
            );
            errors += usize::from(row.error.is_some());
            sink(&row, geometry.as_ref())?;
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
    match (format, out) {
        (BatchFormat::Geoparquet, Some(out)) => write_atomically(out, |f| {
            let mut w = crate::geoparquet::Writer::new(f).map_err(|e| e.to_string())?;
            screen_all(&mut |row, g| w.push(row, g).map_err(|e| e.to_string()))?;
            w.finish().map(drop).map_err(|e| e.to_string())
        }),
        (_, Some(out)) => write_atomically(out, |f| text_rows(f, format, screen_all)),
        (_, None) => text_rows(
            &mut std::io::BufWriter::new(std::io::stdout().lock()),
            format,
            screen_all,
        ),
    }
}

/// Where `check --batch` sends each screened row (with the site's geometry as read).
type RowSink<'a> = dyn FnMut(&crate::batch::Row, Option<&geo::Geometry>) -> Result<(), String> + 'a;

/// NDJSON or CSV rows: each line is written and flushed as soon as its site is done.
fn text_rows(
    w: &mut dyn std::io::Write,
    format: BatchFormat,
    screen_all: impl FnOnce(&mut RowSink<'_>) -> Result<(), String>,
) -> Result<(), String> {
    let write_err = |e: std::io::Error| format!("writing rows: {e}");
    if format == BatchFormat::Csv {
        w.write_all(crate::batch::CSV_HEADER.as_bytes())
            .map_err(write_err)?;
    }
    screen_all(&mut |row, _| {
        let line = match format {
            BatchFormat::Csv => crate::batch::csv_line(row),
            _ => crate::batch::ndjson_line(row),
        };
        w.write_all(line.as_bytes()).map_err(write_err)?;
        w.flush().map_err(write_err)
    })
}

/// `serve` settings as flags/environment; unset ones come from the config file or defaults.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// A TOML file with any of the settings below (keys as the long flags, with `_`).
    #[arg(long, env = "ECOSPACE_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "ECOSPACE_ADDR")]
    addr: Option<std::net::SocketAddr>,
    /// Data folder holding layers.toml [default: the bundled Jiaxing dataset].
    #[arg(long, env = "ECOSPACE_DATA")]
    data: Option<PathBuf>,
    /// Largest request body in bytes, 413 beyond [default: 16 MiB].
    #[arg(long, env = "ECOSPACE_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    /// Most sites in one batch, 413 beyond [default: 10000].
    #[arg(long, env = "ECOSPACE_MAX_BATCH")]
    max_batch: Option<usize>,
    /// Most vertices in one site, 413 beyond [default: 100000].
    #[arg(long, env = "ECOSPACE_MAX_VERTICES")]
    max_vertices: Option<usize>,
    /// Deepest nesting of arrays/objects in a JSON body, 400 beyond [default: 32, at most 128].
    #[arg(long, env = "ECOSPACE_MAX_DEPTH")]
    max_depth: Option<usize>,
    /// Seconds before a request is answered 504 [default: 30].
    #[arg(long, env = "ECOSPACE_REQUEST_TIMEOUT_S")]
    request_timeout_s: Option<f64>,
    /// Requests in flight at once; beyond, 503 + Retry-After [default: 256].
    #[arg(long, env = "ECOSPACE_MAX_CONCURRENCY")]
    max_concurrency: Option<usize>,
    /// Build absolute URLs from X-Forwarded-Proto/-Host (only behind a trusted proxy).
    #[arg(long, env = "ECOSPACE_TRUST_FORWARDED")]
    trust_forwarded: Option<bool>,
    /// A MapLibre GL JS dist folder to serve instead of the copy built into the binary.
    #[arg(long, env = "ECOSPACE_MAPLIBRE_DIR")]
    maplibre_dir: Option<PathBuf>,
    /// Byte budget of the in-memory tile cache [default: 64 MiB].
    #[arg(long, env = "ECOSPACE_TILE_CACHE_BYTES")]
    tile_cache_bytes: Option<usize>,
    /// Enables the admin routes (reload, status) behind `Authorization: Bearer <token>`.
    #[arg(long, env = "ECOSPACE_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Allowed CORS origins, comma-separated [default: any].
    #[arg(long, env = "ECOSPACE_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Option<Vec<String>>,
    /// Poll the data folder every this many seconds and reload when its files change [default: 0 = off].
    #[arg(long, env = "ECOSPACE_WATCH_S")]
    watch_s: Option<f64>,
}

/// The config file: the same settings as `serve`'s flags.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ServeFile {
    addr: Option<std::net::SocketAddr>,
    data: Option<PathBuf>,
    max_body_bytes: Option<usize>,
    max_batch: Option<usize>,
    max_vertices: Option<usize>,
    max_depth: Option<usize>,
    request_timeout_s: Option<f64>,
    max_concurrency: Option<usize>,
    trust_forwarded: Option<bool>,
    maplibre_dir: Option<PathBuf>,
    tile_cache_bytes: Option<usize>,
    admin_token: Option<String>,
    cors_origins: Option<Vec<String>>,
    watch_s: Option<f64>,
}

/// Everything `serve` needs, resolved.
#[derive(Debug)]
pub struct ServeSettings {
    pub addr: std::net::SocketAddr,
    pub data: Option<PathBuf>,
    pub limits: Limits,
    pub web: WebConfig,
    /// Poll interval of the data folder, when watching.
    pub watch: Option<std::time::Duration>,
}

impl ServeArgs {
    /// Flags and environment over the config file over defaults.
    pub fn resolve(self) -> Result<ServeSettings, String> {
        let file: ServeFile = match &self.config {
            Some(p) => {
                let text =
                    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
                toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?
            }
            None => ServeFile::default(),
        };
        let (dl, dw) = (Limits::default(), WebConfig::default());
        let timeout = self
            .request_timeout_s
            .or(file.request_timeout_s)
            .unwrap_or(dl.request_timeout.as_secs_f64());
        if !(timeout.is_finite() && timeout > 0.0 && timeout <= 86_400.0) {
            return Err(format!(
                "request_timeout_s must be in (0, 86400], got {timeout}"
            ));
        }
        let limits = Limits {
            max_body_bytes: self
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(dl.max_body_bytes),
            max_batch: self.max_batch.or(file.max_batch).unwrap_or(dl.max_batch),
            max_vertices: self
                .max_vertices
                .or(file.max_vertices)
                .unwrap_or(dl.max_vertices),
            max_depth: match self.max_depth.or(file.max_depth).unwrap_or(dl.max_depth) {
                d @ 1..=128 => d,
                d => return Err(format!("max_depth must be 1 to 128, got {d}")),
            },
            request_timeout: std::time::Duration::from_secs_f64(timeout),
            max_concurrency: self
                .max_concurrency
                .or(file.max_concurrency)
                .unwrap_or(dl.max_concurrency)
                .max(1),
        };
        let web = WebConfig {
            trust_forwarded: self
                .trust_forwarded
                .or(file.trust_forwarded)
                .unwrap_or(dw.trust_forwarded),
            maplibre_dir: self.maplibre_dir.or(file.maplibre_dir).or(dw.maplibre_dir),
            tile_cache_bytes: self
                .tile_cache_bytes
                .or(file.tile_cache_bytes)
                .unwrap_or(dw.tile_cache_bytes),
            admin_token: self
                .admin_token
                .or(file.admin_token)
                .filter(|t| !t.is_empty()),
            cors_origins: self.cors_origins.or(file.cors_origins).unwrap_or_default(),
        };
        let watch = match self.watch_s.or(file.watch_s).unwrap_or(0.0) {
            0.0 => None,
            w if w.is_finite() && (0.05..=86_400.0).contains(&w) => {
                Some(std::time::Duration::from_secs_f64(w))
            }
            w => {
                return Err(format!(
                    "watch_s must be 0 (off) or in [0.05, 86400], got {w}"
                ))
            }
        };
        Ok(ServeSettings {
            watch,
            addr: self
                .addr
                .or(file.addr)
                .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 8080))),
            data: self.data.or(file.data),
            limits,
            web,
        })
    }
}

/// Output format of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Runs the parsed command; errors come back as one readable message.
pub fn run(cli: Cli) -> Result<(), String> {
    let (false, Some(command)) = (cli.version, cli.command) else {
        // `--version`, or nothing at all (which `arg_required_else_help` answers with the help).
        println!("{}", version_text()?);
        return Ok(());
    };
    match command {
        Command::Serve(args) => {
            let ServeSettings {
                addr,
                data,
                limits,
                web,
                watch,
            } = args.resolve()?;
            let ds = load(data.as_deref())?;
            tracing::info!(
                layers = ds.layers.len(),
                features = ds.feature_count(),
                version = %ds.version,
                "dataset loaded"
            );
            let watched = matches!(ds.origin, crate::dataset::Origin::Dir(_));
            let state = Arc::new(AppState::new(ds, limits, web));
            match watch {
                Some(every) if watched => api::watch(Arc::clone(&state), every),
                Some(_) => tracing::warn!("--watch-s ignored: the bundled dataset cannot change"),
                None => {}
            }
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the runtime: {e}"))?;
            rt.block_on(api::serve(state, addr))
                .map_err(|e| format!("cannot serve on {addr}: {e}"))
        }
        Command::Check(args) => run_check(*args),
        Command::Indicators {
            year,
            from,
            to,
            format,
            data,
            targets,
        } => {
            let mut ds = load(data.as_deref())?;
            if let Some(t) = targets {
                ds.use_targets_file(&t).map_err(|e| e.to_string())?;
            }
            let years: Vec<_> = match (from, to) {
                (Some(a), Some(b)) => indicator::series(&ds, a, b).map_err(|e| e.to_string())?,
                _ => vec![
                    indicator::compute(&ds, year.unwrap_or_else(crate::current_year))
                        .map_err(|e| e.to_string())?,
                ],
            };
            let out = match format {
                Format::Json if years.len() == 1 => pretty(&crate::api::year_json(&years[0]))?,
                Format::Json => pretty(&serde_json::json!({
                    "series": years.iter().map(|y| crate::api::year_json(y)).collect::<Vec<_>>()
                }))?,
                Format::Csv => indicators_csv(&years),
                Format::Table if years.len() == 1 => indicators_table(&ds, &years[0]),
                Format::Table => series_table(&years),
            };
            print!("{out}");
            Ok(())
        }
        Command::Export {
            layer,
            format,
            crs,
            year,
            out,
            data,
        } => {
            let ds = load(data.as_deref())?;
            let l = crate::check::select_layers(&ds, Some(std::slice::from_ref(&layer)))
                .map_err(|e| e.to_string())?;
            if let Some(y) = year {
                crate::check::check_year(y).map_err(|e| e.to_string())?;
            }
            export(l[0], year, &out, &format, crs.as_deref())
        }
        Command::GenScale {
            features,
            vertices_per_feature,
            seed,
            out,
        } => {
            if features == 0 || vertices_per_feature < crate::synthetic::MIN_VERTICES {
                return Err(format!(
                    "--features must be at least 1 and --vertices-per-feature at least {}",
                    crate::synthetic::MIN_VERTICES
                ));
            }
            let spec = crate::synthetic::ScaleSpec {
                features,
                vertices_per_feature,
                seed,
            };
            let t = std::time::Instant::now();
            let s = crate::synthetic::write(&out, &spec)
                .map_err(|e| format!("{}: {e}", out.display()))?;
            eprintln!(
                "wrote {} parcels, {} vertices ({} positions, {:.1} MB as f64 pairs), {:.1} MB GeoJSON to {} in {:.1} s",
                s.features,
                s.vertices,
                s.positions,
                s.raw_coordinate_bytes as f64 / 1e6,
                s.file_bytes as f64 / 1e6,
                out.display(),
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Tiles(TilesCommand::Export(args)) => run_tiles_export(*args),
        Command::Layers { data, year } => {
            let ds = load(data.as_deref())?;
            let year = year.unwrap_or_else(crate::current_year);
            crate::check::check_year(year).map_err(|e| e.to_string())?;
            println!(
                "{} — {} / {} (version {}, year {year})",
                ds.manifest.id, ds.manifest.title_zh, ds.manifest.title_en, ds.version
            );
            let mut rows = vec![vec![
                "id".to_string(),
                "名称 title".into(),
                "kind".into(),
                "constraint".into(),
                "features".into(),
                "total".into(),
            ]];
            for l in &ds.layers {
                l.measure_all();
                let live: Vec<_> = l.features_in(year).collect();
                let total = match l.kind() {
                    LayerKind::Zone => format!(
                        "{:.3} km²",
                        live.iter().map(|f| f.area_m2()).sum::<f64>() / 1e6
                    ),
                    LayerKind::Line => format!(
                        "{:.3} km",
                        live.iter().map(|f| f.length_m()).sum::<f64>() / 1e3
                    ),
                };
                rows.push(vec![
                    l.id().to_string(),
                    format!("{} {}", l.spec.title_zh, l.spec.title_en),
                    format!("{:?}", l.kind()).to_lowercase(),
                    if l.spec.constraint {
                        "yes".into()
                    } else {
                        "no".into()
                    },
                    format!("{} ({} in {year})", l.features.len(), live.len()),
                    total,
                ]);
            }
            print!("{}", render(&rows));
            Ok(())
        }
    }
}

fn pretty(v: &serde_json::Value) -> Result<String, String> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Met => "met 达标",
        Status::NotMet => "NOT MET 未达标",
        Status::NoTarget => "no target 无目标",
    }
}

fn target_label(t: &indicator::AppliedTarget) -> String {
    match t.rule {
        Rule::NotReduced => format!(
            "≥ {:.2} (not reduced since {})",
            t.value,
            t.baseline_year.unwrap_or_default()
        ),
        Rule::AtLeast => format!("≥ {:.2} by {}", t.value, t.year.unwrap_or_default()),
        Rule::AtMost => format!("≤ {:.2} by {}", t.value, t.year.unwrap_or_default()),
    }
}

/// A year's indicators as the analyst reads them: city table, then per county.
pub fn indicators_table(ds: &Dataset, y: &YearIndicators) -> String {
    let mut rows = vec![vec![
        "indicator 指标".to_string(),
        "value 数值".into(),
        "numerator / denominator 分子/分母".into(),
        "target 目标".into(),
        "gap 差距".into(),
        "status 状态".into(),
    ]];
    for (id, i) in y.ordered() {
        let v = &i.value;
        let parts = match v.denominator {
            Some(d) => format!("{:.3} / {:.3} {}", v.numerator, d, v.parts_unit),
            None => match &v.by {
                Some(by) => {
                    let key = spec_by(ds, id);
                    let split: Vec<String> = by
                        .iter()
                        .map(|(k, a)| format!("{key} {k}: {a:.3}"))
                        .collect();
                    format!("{:.3} {} ({})", v.numerator, v.parts_unit, split.join(", "))
                }
                None => format!("{:.3} {}", v.numerator, v.parts_unit),
            },
        };
        rows.push(vec![
            format!("{} {}", i.title_zh, i.title_en),
            format!("{:.2} {}", v.value, v.unit),
            parts,
            i.target
                .as_ref()
                .map(target_label)
                .unwrap_or_else(|| "-".into()),
            i.gap
                .map(|g| format!("{:+.2}", no_negative_zero(g)))
                .unwrap_or_else(|| "-".into()),
            status_label(i.status).into(),
        ]);
    }
    let mut out = format!(
        "{} indicators 指标 {} (data {})\n",
        ds.manifest.title_zh, y.year, ds.version
    );
    out.push_str(&render(&rows));
    let ids: Vec<&String> = y.ordered().map(|(id, _)| id).collect();
    let mut rows = vec![std::iter::once("county 县(市、区)".to_string())
        .chain(ids.iter().map(|id| id.to_string()))
        .collect::<Vec<_>>()];
    for (county, m) in &y.by_county {
        let name = ds
            .manifest
            .counties
            .get(county)
            .map(|n| format!("{county} {n}"))
            .unwrap_or_else(|| county.clone());
        rows.push(
            std::iter::once(name)
                .chain(ids.iter().map(|id| {
                    m.get(*id)
                        .map(|v| format!("{:.2}", no_negative_zero(v.value)))
                        .unwrap_or_else(|| "-".into())
                }))
                .collect(),
        );
    }
    out.push_str("\nby county 分县 (km² for areas, % for shares)\n");
    out.push_str(&render(&rows));
    out
}

/// Rounds to the two decimals shown, so -0.000001 prints as 0.00, not -0.00.
fn no_negative_zero(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

fn spec_by(ds: &Dataset, id: &str) -> String {
    ds.indicators
        .iter()
        .find(|s| s.id == id)
        .and_then(|s| s.by.clone())
        .unwrap_or_default()
}

/// A series: indicators down, years across.
fn series_table(years: &[std::sync::Arc<YearIndicators>]) -> String {
    let mut rows = vec![std::iter::once("indicator 指标".to_string())
        .chain(years.iter().map(|y| y.year.to_string()))
        .collect::<Vec<_>>()];
    if let Some(first) = years.first() {
        for (id, i) in first.ordered() {
            let mut row = vec![format!("{} {} ({})", i.title_zh, i.title_en, i.value.unit)];
            for y in years {
                row.push(
                    y.indicators
                        .get(id)
                        .map(|i| {
                            format!(
                                "{:.2}{}",
                                i.value.value,
                                if i.status == Status::NotMet { "!" } else { "" }
                            )
                        })
                        .unwrap_or_else(|| "-".into()),
                );
            }
            rows.push(row);
        }
    }
    render(&rows) + "! = below its target 未达目标\n"
}

/// CSV, one row per (year, scope, indicator); scope is `city` or a county adcode.
fn indicators_csv(years: &[std::sync::Arc<YearIndicators>]) -> String {
    let mut out =
        String::from("year,scope,indicator,value,unit,numerator,denominator,target,gap,status\n");
    let f = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for y in years {
        for (id, i) in &y.indicators {
            let status = serde_json::to_value(i.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            out.push_str(&format!(
                "{},city,{id},{},{},{},{},{},{},{status}\n",
                y.year,
                i.value.value,
                i.value.unit,
                i.value.numerator,
                f(i.value.denominator),
                f(i.target.as_ref().map(|t| t.value)),
                f(i.gap)
            ));
        }
        for (county, m) in &y.by_county {
            for (id, v) in m {
                out.push_str(&format!(
                    "{},{county},{id},{},{},{},{},,,\n",
                    y.year,
                    v.value,
                    v.unit,
                    v.numerator,
                    f(v.denominator)
                ));
            }
        }
    }
    out
}

#[cfg(feature = "gdal")]
fn export(
    layer: &crate::layer::Layer,
    year: Option<i32>,
    out: &std::path::Path,
    format: &str,
    crs: Option<&str>,
) -> Result<(), String> {
    let n = crate::source::gdal::export(layer, year, out, format, crs)?;
    eprintln!(
        "wrote {n} features of {} to {} ({format})",
        layer.id(),
        out.display()
    );
    Ok(())
}

#[cfg(not(feature = "gdal"))]
fn export(
    _: &crate::layer::Layer,
    _: Option<i32>,
    _: &std::path::Path,
    _: &str,
    _: Option<&str>,
) -> Result<(), String> {
    Err("export writes through GDAL: rebuild with `cargo build --features gdal`".into())
}

fn load(data: Option<&std::path::Path>) -> Result<Dataset, String> {
    Dataset::open(data).map_err(|e| format!("cannot load the dataset: {e}"))
}

/// A readable report of one check (zh + en labels).
pub fn table(id: Option<&str>, r: &CheckResult) -> String {
    let mut out = String::new();
    let verdict = match r.verdict {
        crate::Verdict::Conflict => "CONFLICT 冲突",
        crate::Verdict::Near => "NEAR 邻近",
        crate::Verdict::Clear => "CLEAR 无冲突",
    };
    out.push_str(&format!(
        "site 地块{}: {} · area 面积 {:.1} m² · length 长度 {:.1} m · year {} · buffer {} m\nverdict 结论: {verdict}\n",
        id.map(|i| format!(" {i}")).unwrap_or_default(),
        r.site.kind,
        r.site.area_m2,
        r.site.length_m,
        r.year,
        r.buffer_m
    ));
    if r.hits.is_empty() {
        out.push_str("no features within the buffer 缓冲范围内无要素\n\n");
        return out;
    }
    let mut rows = vec![vec![
        "layer 图层".to_string(),
        "id".into(),
        "name 名称".into(),
        "relation 关系".into(),
        "overlap 重叠 m²".into(),
        "share 占比".into(),
        "length 长度 m".into(),
        "distance 距离 m".into(),
    ]];
    let num =
        |v: Option<f64>, p: usize| v.map(|x| format!("{x:.p$}")).unwrap_or_else(|| "-".into());
    for h in &r.hits {
        rows.push(vec![
            format!("{}{}", h.layer, if h.constraint { " *" } else { "" }),
            h.id.clone(),
            h.name.clone(),
            serde_json::to_value(h.relation)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            num(h.overlap_area_m2, 1),
            h.overlap_ratio
                .map(|x| format!("{:.2} %", x * 100.0))
                .unwrap_or_else(|| "-".into()),
            num(h.overlap_length_m, 1),
            format!("{:.1}", h.distance_m),
        ]);
    }
    out.push_str(&render(&rows));
    out.push_str("* constraint feature 管控要素\n\n");
    out
}

/// Display width: CJK and full-width characters take two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

fn render(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| width(s))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, s)| format!("{s}{}", " ".repeat(widths[c] - width(s))))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(
                &widths
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("  "),
            );
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn cjk_counts_double() {
        assert_eq!(super::width("红线ab"), 6);
        let t = super::render(&[
            vec!["名称".into(), "x".into()],
            vec!["ab".into(), "y".into()],
        ]);
        assert_eq!(t, "名称  x\n----  -\nab    y\n");
    }
}

#[cfg(test)]
mod serve_settings_tests {
    use super::*;

    #[test]
    fn flags_beat_the_config_file_which_beats_defaults() {
        let dir = std::env::temp_dir().join(format!("ecospace-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ecospace.toml");
        std::fs::write(&file, "max_batch = 7\nmax_vertices = 99\nrequest_timeout_s = 2.5\ncors_origins = [\"https://a.example\"]\n").unwrap();
        let cli = Cli::try_parse_from([
            "ecospace",
            "serve",
            "--config",
            file.to_str().unwrap(),
            "--max-batch",
            "3",
        ])
        .unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve")
        };
        let s = args.resolve().unwrap();
        assert_eq!(s.limits.max_batch, 3, "flag");
        assert_eq!(s.limits.max_vertices, 99, "file");
        assert_eq!(
            s.limits.request_timeout,
            std::time::Duration::from_millis(2500)
        );
        assert_eq!(
            s.limits.max_body_bytes,
            Limits::default().max_body_bytes,
            "default"
        );
        assert_eq!(s.web.cors_origins, vec!["https://a.example".to_string()]);
        std::fs::write(&file, "max_batch = 7\nmax_bach = 1\n").unwrap();
        let cli =
            Cli::try_parse_from(["ecospace", "serve", "--config", file.to_str().unwrap()]).unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve")
        };
        let e = args.resolve().unwrap_err();
        assert!(e.contains("max_bach"), "unknown keys are refused: {e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
