//! Drives a running `ecospace serve` over loopback with one workload of the side-by-side
//! comparison (issue #8; started by `bench/compare.sh`): `--concurrency` client threads, each
//! with one blocking keep-alive connection, cycling through the sites for `--seconds`.
//! Points go to `GET /zones?lon&lat&year=2025`, other sites to `POST /check?year=2025` (body =
//! the site's GeoJSON geometry).
//!
//! Before the timed run it sends the first `--sample` sites one by one and writes their answers
//! (`--answers OUT.ndjson`) in the same record format as `compare_engine`, so the agreement check
//! can compare HTTP answers with in-process ones. Prints one JSON summary line on stdout.
//!
//! ```text
//! cargo run --release --example http_bench -- --addr 127.0.0.1:8080 --sites FILE \
//!     --kind points|small|large|lines --concurrency 16 --seconds 10 --sample 100 --answers OUT
//! ```

#[path = "../../tests/common/http.rs"]
mod http;

use http::Conn;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    addr: SocketAddr,
    sites: std::path::PathBuf,
    kind: String,
    concurrency: usize,
    seconds: f64,
    sample: usize,
    answers: Option<std::path::PathBuf>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        addr: "127.0.0.1:8080".parse().map_err(|e| format!("{e}"))?,
        sites: std::path::PathBuf::new(),
        kind: String::new(),
        concurrency: 16,
        seconds: 10.0,
        sample: 100,
        answers: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or(format!("{k} needs a value"));
        match k.as_str() {
            "--addr" => a.addr = v()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--sites" => a.sites = v()?.into(),
            "--kind" => a.kind = v()?,
            "--concurrency" => {
                a.concurrency = v()?.parse().map_err(|e| format!("--concurrency: {e}"))?;
            }
            "--seconds" => a.seconds = v()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--sample" => a.sample = v()?.parse().map_err(|e| format!("--sample: {e}"))?,
            "--answers" => a.answers = Some(v()?.into()),
            _ => return Err(format!("unknown argument {k}")),
        }
    }
    if a.kind.is_empty() || a.sites.as_os_str().is_empty() {
        return Err("--kind and --sites are required".into());
    }
    Ok(a)
}

struct Req {
    id: String,
    method: &'static str,
    path: String,
    body: Vec<u8>,
}

fn requests(a: &Args) -> Result<Vec<Req>, String> {
    let text =
        std::fs::read_to_string(&a.sites).map_err(|e| format!("{}: {e}", a.sites.display()))?;
    let fc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let feats = fc["features"].as_array().ok_or("not a FeatureCollection")?;
    feats
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let id = f["id"]
                .as_str()
                .map_or_else(|| i.to_string(), str::to_string);
            let g = &f["geometry"];
            if a.kind == "points" {
                let c = &g["coordinates"];
                let (x, y) = (
                    c[0].as_f64().ok_or("bad point")?,
                    c[1].as_f64().ok_or("bad point")?,
                );
                Ok(Req {
                    id,
                    method: "GET",
                    path: format!("/zones?lon={x}&lat={y}&year=2025"),
                    body: Vec::new(),
                })
            } else {
                Ok(Req {
                    id,
                    method: "POST",
                    path: "/check?year=2025".into(),
                    body: serde_json::to_vec(g).map_err(|e| e.to_string())?,
                })
            }
        })
        .collect()
}

/// The HTTP answer in `compare_engine`'s record format.
fn answer(kind: &str, id: &str, body: &[u8]) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("{id}: {e}"))?;
    let mut hits: Vec<Value> = if kind == "points" {
        v["zones"]
            .as_array()
            .ok_or(format!("{id}: no zones"))?
            .iter()
            .map(|z| {
                let rel = if z["on_boundary"].as_bool() == Some(true) {
                    "touches"
                } else {
                    "within"
                };
                json!([z["layer"], z["id"], Value::Null, rel])
            })
            .collect()
    } else {
        v["hits"]
            .as_array()
            .ok_or(format!("{id}: no hits"))?
            .iter()
            .map(|h| {
                let m = if h["overlap_area_m2"].is_null() {
                    h["overlap_length_m"].clone()
                } else {
                    h["overlap_area_m2"].clone()
                };
                json!([h["layer"], h["id"], m, h["relation"]])
            })
            .collect()
    };
    hits.sort_by_key(|h| format!("{}\u{0}{}", h[0], h[1]));
    Ok(json!({"id": id, "hits": hits}))
}

fn pct_us(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

fn run() -> Result<Value, String> {
    let a = args()?;
    let reqs = Arc::new(requests(&a)?);
    if reqs.is_empty() {
        return Err("no sites".into());
    }
    // Sample answers, sequentially.
    let mut conn = Conn::new(a.addr, "bench");
    let mut out = String::new();
    for r in reqs.iter().take(a.sample) {
        let http::Answer { status, body, .. } = conn
            .send(r.method, &r.path, &[], &r.body)
            .map_err(|e| format!("{}: {e}", r.id))?;
        if status != 200 {
            return Err(format!(
                "{}: HTTP {status}: {}",
                r.id,
                String::from_utf8_lossy(&body)
            ));
        }
        out.push_str(&answer(&a.kind, &r.id, &body)?.to_string());
        out.push('\n');
    }
    if let Some(p) = &a.answers {
        std::fs::write(p, out).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    // Timed run.
    let deadline = Instant::now() + Duration::from_secs_f64(a.seconds);
    let start = Instant::now();
    let handles: Vec<_> = (0..a.concurrency)
        .map(|c| {
            let reqs = Arc::clone(&reqs);
            let addr = a.addr;
            let clients = a.concurrency.max(1);
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr, "bench");
                let mut lat = Vec::new();
                let mut errors = 0u64;
                let mut i = c * reqs.len() / clients; // clients start spread over the sites
                while Instant::now() < deadline {
                    let r = &reqs[i % reqs.len()];
                    i += 1;
                    let t = Instant::now();
                    match conn.send(r.method, &r.path, &[], &r.body) {
                        Ok(a) if a.status == 200 => lat.push(t.elapsed().as_nanos() as u64),
                        _ => errors += 1,
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut lat = Vec::new();
    let mut errors = 0;
    for h in handles {
        let (l, e) = h.join().map_err(|_| "client thread panicked")?;
        lat.extend(l);
        errors += e;
    }
    let elapsed = start.elapsed().as_secs_f64();
    lat.sort_unstable();
    Ok(json!({
        "engine": format!("ecospace-http-c{}", a.concurrency),
        "workload": a.kind,
        "n": lat.len(),
        "errors": errors,
        "ops_per_s": lat.len() as f64 / elapsed,
        "p50_us": pct_us(&lat, 0.5),
        "p99_us": pct_us(&lat, 0.99),
        "concurrency": a.concurrency,
        "seconds": elapsed,
        "sampled": a.sample.min(reqs.len()),
    }))
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(s) => {
            println!("{s}");
            if s["errors"].as_u64().unwrap_or(0) > 0 {
                eprintln!("error: {} requests failed", s["errors"]);
                return std::process::ExitCode::FAILURE;
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
