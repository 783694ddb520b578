//! Loopback load generator for `bench/load.sh`: many keep-alive clients mixing site
//! checks, point queries and tiles, a stream of malformed requests, and a layer update or a
//! reload every second, against a running `ecospace serve`.
//!
//! Every request knows what it must get: valid ones 200 (tiles 200 or 204), malformed ones a
//! 4xx with a JSON `error` body. Anything else — a 5xx, a shed 503, a dropped connection, a
//! valid request refused — is a failure, and the run exits non-zero. It reports throughput,
//! latency percentiles per kind, and the server's resident memory over time (`--pid`).
//!
//! Plain threads and blocking sockets: no client library to trust or tune, and 256 threads are
//! cheap on Linux.
//!
//! ```text
//! cargo run --release --example load -- --addr 127.0.0.1:8080 --token T --layer-file F --pid P
//! ```

#[path = "../../tests/common/http.rs"]
mod http;

use http::Answer;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    addr: SocketAddr,
    clients: usize,
    seconds: f64,
    token: String,
    /// The GeoJSON of the layer to update every other second (`water_source`).
    layer: String,
    layer_file: Option<std::path::PathBuf>,
    pid: Option<u32>,
    malformed_every: u64,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        addr: "127.0.0.1:8080".parse().map_err(|e| format!("{e}"))?,
        clients: 256,
        seconds: 60.0,
        token: String::new(),
        layer: "water_source".into(),
        layer_file: None,
        pid: None,
        malformed_every: 20,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or(format!("{k} needs a value"));
        match k.as_str() {
            "--addr" => a.addr = v()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--clients" => a.clients = v()?.parse().map_err(|e| format!("--clients: {e}"))?,
            "--seconds" => a.seconds = v()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--token" => a.token = v()?,
            "--layer" => a.layer = v()?,
            "--layer-file" => a.layer_file = Some(v()?.into()),
            "--pid" => a.pid = Some(v()?.parse().map_err(|e| format!("--pid: {e}"))?),
            "--malformed-every" => {
                a.malformed_every = v()?
                    .parse()
                    .map_err(|e| format!("--malformed-every: {e}"))?;
            }
            _ => return Err(format!("unknown argument {k}")),
        }
    }
    Ok(a)
}

/// SplitMix64: reproducible per-client randomness without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// What a request is and what it must get back.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Check,
    Zones,
    Tile,
    Malformed,
    Admin,
}

struct Request {
    kind: Kind,
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Sent on its own connection as raw bytes (not HTTP at all).
    raw: bool,
}

impl Request {
    fn new(kind: Kind, method: &'static str, path: String, body: Vec<u8>) -> Request {
        Request {
            kind,
            method,
            path,
            headers: Vec::new(),
            body,
            raw: false,
        }
    }
}

// Jiaxing's extent (the bundled data), lon/lat.
const WEST: f64 = 120.30;
const EAST: f64 = 121.30;
const SOUTH: f64 = 30.35;
const NORTH: f64 = 31.05;

fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let r = lat.to_radians();
    let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

fn valid(rng: &mut Rng) -> Request {
    let lon = rng.range(WEST, EAST);
    let lat = rng.range(SOUTH, NORTH);
    match rng.next() % 10 {
        0..=3 => {
            // A site of 50–600 m across, sometimes with a buffer.
            let d = rng.range(0.0005, 0.006);
            let body = format!(
                r#"{{"type":"Polygon","coordinates":[[[{lon},{lat}],[{},{lat}],[{},{}],[{lon},{}],[{lon},{lat}]]]}}"#,
                lon + d,
                lon + d,
                lat + d,
                lat + d
            );
            let buffer = [0, 0, 500, 2000][(rng.next() % 4) as usize];
            Request::new(
                Kind::Check,
                "POST",
                format!("/check?year=2025&buffer_m={buffer}"),
                body.into_bytes(),
            )
        }
        4..=6 => Request::new(
            Kind::Zones,
            "GET",
            format!("/zones?lon={lon:.6}&lat={lat:.6}&year=2025"),
            Vec::new(),
        ),
        _ => {
            let z = 8 + (rng.next() % 7) as u32;
            let (x, y) = tile_of(lon, lat, z);
            let year = 2018 + rng.next() % 8;
            Request::new(
                Kind::Tile,
                "GET",
                format!("/tiles/redline,nature_reserve,water_source,shoreline,river_bank/{z}/{x}/{y}.mvt?year={year}"),
                Vec::new(),
            )
        }
    }
}

fn malformed(rng: &mut Rng) -> Request {
    let (method, path, body): (&'static str, String, Vec<u8>) = match rng.next() % 8 {
        0 => ("POST", "/check".into(), br#"{"type":"Polygon","coordinates":[[[120.7,30.7],[120.8"#.to_vec()),
        1 => ("POST", "/check".into(), br#"{"type":"Polygon","coordinates":[[[120.7,30.7],[120.8,30.8],[120.8,30.7],[120.7,30.8],[120.7,30.7]]]}"#.to_vec()),
        2 => ("GET", "/zones?lon=abc&lat=30.7".into(), Vec::new()),
        3 => ("GET", "/tiles/redline/40/0/0.mvt".into(), Vec::new()),
        4 => ("POST", "/check".into(), format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes()),
        5 => ("GET", "/no/such/route".into(), Vec::new()),
        6 => ("POST", "/admin/reload".into(), Vec::new()),
        _ => {
            return Request {
                kind: Kind::Malformed,
                method: "GET",
                path: String::new(),
                headers: Vec::new(),
                body: b"GARBAGE \x01\x02 / HTTP/9.9\r\n\r\n".to_vec(),
                raw: true,
            }
        }
    };
    Request::new(Kind::Malformed, method, path, body)
}

/// A keep-alive connection of the shared client; raw requests go on a connection of their own.
struct Conn {
    addr: SocketAddr,
    conn: http::Conn,
}

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        Conn {
            addr,
            conn: http::Conn::new(addr, "load"),
        }
    }

    fn send(&mut self, r: &Request) -> std::io::Result<Answer> {
        if r.raw {
            return http::raw(self.addr, &r.body);
        }
        let headers: Vec<(&str, &str)> = r
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.conn.send(r.method, &r.path, &headers, &r.body)
    }
}

/// Whether an answer is what the request had to get.
fn judge(kind: Kind, a: &Answer) -> bool {
    match kind {
        Kind::Check | Kind::Zones | Kind::Admin => a.status == 200,
        Kind::Tile => a.status == 200 || a.status == 204,
        Kind::Malformed => {
            (400..500).contains(&a.status)
                && serde_json::from_slice::<serde_json::Value>(&a.body)
                    .map(|v| v["error"].is_string())
                    .unwrap_or(a.status == 400 && a.body.is_empty())
        }
    }
}

#[derive(Default)]
struct Tally {
    /// Latencies in µs, per kind.
    latencies: BTreeMap<Kind, Vec<u32>>,
    statuses: BTreeMap<(Kind, u16), u64>,
    failures: Vec<String>,
}

impl Tally {
    fn record(&mut self, kind: Kind, started: Instant, got: &std::io::Result<Answer>) {
        let us = started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
        self.latencies.entry(kind).or_default().push(us);
        match got {
            Ok(a) => {
                *self.statuses.entry((kind, a.status)).or_default() += 1;
                if !judge(kind, a) && self.failures.len() < 20 {
                    self.failures.push(format!(
                        "{kind:?}: {} {}",
                        a.status,
                        String::from_utf8_lossy(&a.body[..a.body.len().min(200)])
                    ));
                }
                if !judge(kind, a) && self.failures.len() >= 20 {
                    *self.statuses.entry((kind, 0)).or_default() += 1;
                }
            }
            Err(e) => {
                *self.statuses.entry((kind, 0)).or_default() += 1;
                if self.failures.len() < 20 {
                    self.failures.push(format!("{kind:?}: {e}"));
                }
            }
        }
    }

    fn merge(&mut self, o: Tally) {
        for (k, v) in o.latencies {
            self.latencies.entry(k).or_default().extend(v);
        }
        for (k, n) in o.statuses {
            *self.statuses.entry(k).or_default() += n;
        }
        self.failures.extend(o.failures);
    }
}

fn pct(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let l = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    l.split_whitespace().nth(1)?.parse().ok()
}

fn main() -> std::process::ExitCode {
    let a = match args() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs_f64(a.seconds);
    let total = Arc::new(Mutex::new(Tally::default()));

    let mut handles = Vec::new();
    for c in 0..a.clients {
        let (a, stop, total) = (Arc::clone(&a), Arc::clone(&stop), Arc::clone(&total));
        handles.push(std::thread::spawn(move || {
            let mut rng = Rng(0x5eed_0000 + c as u64);
            let mut conn = Conn::new(a.addr);
            let mut t = Tally::default();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                n += 1;
                let r = if a.malformed_every > 0
                    && n % a.malformed_every == c as u64 % a.malformed_every
                {
                    malformed(&mut rng)
                } else {
                    valid(&mut rng)
                };
                let started = Instant::now();
                let got = conn.send(&r);
                t.record(r.kind, started, &got);
            }
            total
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .merge(t);
        }));
    }

    // Every second: a layer update (alternating two versions) or a reload; and the RSS.
    let versions = a.layer_file.as_ref().map(|f| {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let other = text.replacen("\"name\":\"", "\"name\":\"（更新）", 1);
        [other, text]
    });
    let mut admin = Conn::new(a.addr);
    let mut admin_tally = Tally::default();
    let mut rss = Vec::new();
    let start = Instant::now();
    let mut second = 0u64;
    while Instant::now() < deadline {
        second += 1;
        let next = start + Duration::from_secs(second);
        std::thread::sleep(
            next.saturating_duration_since(Instant::now())
                .min(deadline.saturating_duration_since(Instant::now())),
        );
        if Instant::now() >= deadline {
            break;
        }
        if let Some(pid) = a.pid {
            rss.push((second, rss_kib(pid).unwrap_or(0)));
        }
        if a.token.is_empty() {
            continue;
        }
        let mut r = match (&versions, second % 2) {
            (Some(v), 1) => Request::new(
                Kind::Admin,
                "PUT",
                format!(
                    "/admin/layers/{}?author=load-test&message=second+{second}",
                    a.layer
                ),
                v[(second / 2 % 2) as usize].clone().into_bytes(),
            ),
            _ => Request::new(Kind::Admin, "POST", "/admin/reload".into(), Vec::new()),
        };
        r.headers
            .push(("Authorization".into(), format!("Bearer {}", a.token)));
        let started = Instant::now();
        let got = admin.send(&r);
        admin_tally.record(Kind::Admin, started, &got);
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut t = Arc::try_unwrap(total)
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        })
        .unwrap_or_default();
    t.merge(admin_tally);

    // Report.
    let mut failed = 0u64;
    let mut served_5xx = 0u64;
    println!(
        "clients {} for {elapsed:.1} s against {}",
        a.clients, a.addr
    );
    println!(
        "{:<10} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8}",
        "kind", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
    let mut all = Vec::new();
    for (kind, lat) in &mut t.latencies {
        lat.sort_unstable();
        if *kind != Kind::Admin {
            all.extend_from_slice(lat);
        }
        println!(
            "{:<10} {:>9} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>8.1}",
            format!("{kind:?}"),
            lat.len(),
            lat.len() as f64 / elapsed,
            pct(lat, 0.5),
            pct(lat, 0.9),
            pct(lat, 0.99),
            pct(lat, 1.0)
        );
    }
    all.sort_unstable();
    println!(
        "{:<10} {:>9} {:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>8.1}",
        "all",
        all.len(),
        all.len() as f64 / elapsed,
        pct(&all, 0.5),
        pct(&all, 0.9),
        pct(&all, 0.99),
        pct(&all, 1.0)
    );
    println!("statuses:");
    for ((kind, status), n) in &t.statuses {
        println!("  {kind:?} {status}: {n}");
        if *status >= 500 {
            served_5xx += n;
        }
    }
    for ((kind, status), n) in &t.statuses {
        let ok = match kind {
            Kind::Malformed => (400..500).contains(status),
            Kind::Tile => *status == 200 || *status == 204,
            _ => *status == 200,
        };
        if !ok {
            failed += n;
        }
    }
    if !rss.is_empty() {
        let max = rss.iter().map(|(_, k)| *k).max().unwrap_or(0);
        let marks: Vec<String> = rss
            .iter()
            .filter(|(t, _)| *t == 1 || *t % 10 == 0 || *t == rss.len() as u64)
            .map(|(t, k)| format!("{t} s {:.0}", *k as f64 / 1024.0))
            .collect();
        println!(
            "server RSS MiB: {}; max {:.0}",
            marks.join(", "),
            max as f64 / 1024.0
        );
    }
    for f in &t.failures {
        println!("failure: {f}");
    }
    println!("failed {failed}, 5xx {served_5xx}");
    if failed > 0 || served_5xx > 0 || !t.failures.is_empty() {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
