//! The command line: `serve`, `check`, `layers`. Wiring only; the work is in the core.

use crate::api::{self, AppState, Limits};
use crate::check::{check, CheckOptions, CheckResult};
use crate::dataset::Dataset;
use crate::manifest::LayerKind;
use crate::site::{self, SiteInput};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "ecospace",
    version,
    about = "Guards a city's ecological space: site checks against the red line, reserves, water-source zones, shoreline and banks."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "ECOSPACE_ADDR", default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Data folder holding layers.toml (default: the bundled Jiaxing dataset).
        #[arg(long, env = "ECOSPACE_DATA")]
        data: Option<PathBuf>,
        /// Largest request body in bytes (413 beyond).
        #[arg(long, env = "ECOSPACE_MAX_BODY_BYTES", default_value_t = Limits::default().max_body_bytes)]
        max_body_bytes: usize,
        /// Most sites in one batch (413 beyond).
        #[arg(long, env = "ECOSPACE_MAX_BATCH", default_value_t = Limits::default().max_batch)]
        max_batch: usize,
    },
    /// Check a site (GeoJSON Geometry, Feature or FeatureCollection file; `-` for stdin).
    Check {
        site: PathBuf,
        /// Also report features within this many metres.
        #[arg(long, default_value_t = 0.0)]
        buffer_m: f64,
        /// Year the layers are taken in (default: this year).
        #[arg(long)]
        year: Option<i32>,
        /// Only these layers (comma-separated ids).
        #[arg(long, value_delimiter = ',')]
        layers: Option<Vec<String>>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// List the layers of the dataset.
    Layers {
        #[arg(long)]
        data: Option<PathBuf>,
        /// Year for the totals (default: this year).
        #[arg(long)]
        year: Option<i32>,
    },
}

/// Runs the parsed command; errors come back as one readable message.
pub fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve {
            addr,
            data,
            max_body_bytes,
            max_batch,
        } => {
            let ds = load(data.as_deref())?;
            tracing::info!(
                layers = ds.layers.len(),
                features = ds.feature_count(),
                version = %ds.version,
                "dataset loaded"
            );
            let state = Arc::new(AppState {
                dataset: Arc::new(ds),
                limits: Limits {
                    max_body_bytes,
                    max_batch,
                },
            });
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the runtime: {e}"))?;
            rt.block_on(api::serve(state, addr))
                .map_err(|e| format!("cannot serve on {addr}: {e}"))
        }
        Command::Check {
            site,
            buffer_m,
            year,
            layers,
            json,
            data,
        } => {
            let ds = load(data.as_deref())?;
            let body = if site.as_os_str() == "-" {
                let mut b = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)
                    .map_err(|e| format!("stdin: {e}"))?;
                b
            } else {
                std::fs::read(&site).map_err(|e| format!("{}: {e}", site.display()))?
            };
            let input =
                site::parse(&body, usize::MAX).map_err(|e| format!("{}: {e}", site.display()))?;
            let opts = CheckOptions {
                year: year.unwrap_or_else(crate::current_year),
                buffer_m,
                layers,
            };
            let sites = match input {
                SiteInput::One(s) => vec![s],
                SiteInput::Batch(v) => v,
            };
            let mut results = Vec::new();
            for s in &sites {
                results.push((
                    s.id.clone(),
                    check(&ds, &s.geometry, &opts).map_err(|e| e.to_string())?,
                ));
            }
            if json {
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
                let live: Vec<_> = l.features_in(year).collect();
                let total = match l.kind() {
                    LayerKind::Zone => format!(
                        "{:.3} km²",
                        live.iter().map(|f| f.area_m2).sum::<f64>() / 1e6
                    ),
                    LayerKind::Line => format!(
                        "{:.3} km",
                        live.iter().map(|f| f.length_m).sum::<f64>() / 1e3
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
