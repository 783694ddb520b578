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
    /// Servers whose RSS is sampled every second (`--pid`, repeatable: every replica).
    pids: Vec<u32>,
    malformed_every: u64,
    /// Seconds between layer updates (2 by default: an update and a reload in turn, every
    /// second).
    update_every: u64,
    /// Reload between updates (off behind a load balancer: a reload goes to one replica).
    reload: bool,
    /// The replicas behind `addr`, asked directly for their data version after each update:
    /// how long each took to notice it.
    replicas: Vec<SocketAddr>,
    /// The server is a load balancer: bytes that are not HTTP at all are its to refuse (nginx
    /// answers them with an HTML 400 and never passes them on).
    behind_proxy: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        addr: "127.0.0.1:8080".parse().map_err(|e| format!("{e}"))?,
        clients: 256,
        seconds: 60.0,
        token: String::new(),
        layer: "water_source".into(),
        layer_file: None,
        pids: Vec::new(),
        malformed_every: 20,
        update_every: 2,
        reload: true,
        replicas: Vec::new(),
        behind_proxy: false,
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
            "--pid" => a
                .pids
                .push(v()?.parse().map_err(|e| format!("--pid: {e}"))?),
            "--update-every" => {
                a.update_every = v()?
                    .parse::<u64>()
                    .map_err(|e| format!("--update-every: {e}"))?
                    .max(1);
            }
            "--no-reload" => a.reload = false,
            "--behind-proxy" => a.behind_proxy = true,
            "--replica" => a
                .replicas
                .push(v()?.parse().map_err(|e| format!("--replica: {e}"))?),
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

/// A replica and how long after an update's PUT it served the update (`None`: not in time).
type Lag = (SocketAddr, Option<Duration>);

/// The updates alternate the first feature of the layer between its name and the name with
/// this mark; a point inside it is the probe.
const MARK: &str = "（更新）";

struct Request {
    kind: Kind,
    /// Whether it asks about the probe: its answer must show the mark exactly when its data
    /// version is one of the marked ones.
    probe: bool,
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
            probe: false,
            method,
            path,
            headers: Vec::new(),
            body,
            raw: false,
        }
    }
}

/// A point inside the first feature of a GeoJSON layer file (the one the updates rename).
fn probe_of(layer_file: &std::path::Path) -> Option<(f64, f64)> {
    use geo::InteriorPoint;
    let text = std::fs::read_to_string(layer_file).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let g: geojson::Geometry = serde_json::from_value(v["features"][0]["geometry"].clone()).ok()?;
    let g: geo::Geometry<f64> = g.try_into().ok()?;
    let p = g.interior_point()?;
    Some((p.x(), p.y()))
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

fn valid(rng: &mut Rng, probe: Option<(f64, f64)>) -> Request {
    // One request in ten asks about the probe (which the updates change), when there is one.
    let at_probe = probe.filter(|_| rng.next().is_multiple_of(10));
    let (lon, lat) = at_probe.unwrap_or_else(|| (rng.range(WEST, EAST), rng.range(SOUTH, NORTH)));
    let mut r = request_at(rng, lon, lat, at_probe.is_some());
    r.probe = at_probe.is_some();
    r
}

fn request_at(rng: &mut Rng, lon: f64, lat: f64, small: bool) -> Request {
    match rng.next() % 10 {
        0..=3 => {
            // A site of 50–600 m across, sometimes with a buffer (at the probe, ~50 m around it).
            let d = if small {
                0.0005
            } else {
                rng.range(0.0005, 0.006)
            };
            let (lon, lat) = if small {
                (lon - d / 2.0, lat - d / 2.0)
            } else {
                (lon, lat)
            };
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
            let year = if small { 2025 } else { 2018 + rng.next() % 8 };
            Request::new(
                Kind::Tile,
                "GET",
                format!("/tiles/redline,nature_reserve,water_source,shoreline,river_bank/{z}/{x}/{y}.mvt?year={year}"),
                Vec::new(),
            )
        }
    }
}

/// A malformed request; `raw`: bytes that are not HTTP at all among them (not behind a load
/// balancer, which refuses those itself and never passes them on).
fn malformed(rng: &mut Rng, raw: bool) -> Request {
    let (method, path, body): (&'static str, String, Vec<u8>) = match rng.next() % if raw { 8 } else { 7 } {
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
                probe: false,
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
    /// Answers about the probe per data version: [without the mark, with it].
    probed: BTreeMap<String, [u64; 2]>,
    /// Valid answers (200) without an `X-Data-Version`.
    unversioned: u64,
}

impl Tally {
    fn record(&mut self, r: &Request, started: Instant, got: &std::io::Result<Answer>) {
        let kind = r.kind;
        let us = started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
        self.latencies.entry(kind).or_default().push(us);
        match got {
            Ok(a) => {
                if a.status == 200 && kind != Kind::Malformed {
                    match a.header("x-data-version") {
                        Some(v) if r.probe => {
                            let marked = a.body.windows(MARK.len()).any(|w| w == MARK.as_bytes());
                            self.probed.entry(v.to_string()).or_default()[usize::from(marked)] += 1;
                        }
                        Some(_) => {}
                        None => self.unversioned += 1,
                    }
                }
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
        for (v, n) in o.probed {
            let e = self.probed.entry(v).or_default();
            e[0] += n[0];
            e[1] += n[1];
        }
        self.unversioned += o.unversioned;
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
    let probe = a.layer_file.as_deref().and_then(probe_of);
    // What each data version must show at the probe: the version served before any update is
    // the file as it is (marked if an earlier run left it so); each update's answer names the
    // version it made.
    let layer_text = a
        .layer_file
        .as_ref()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default());
    let marked_at_start = layer_text.as_ref().is_some_and(|t| t.contains(MARK));
    let mut truth: BTreeMap<String, bool> = BTreeMap::new();
    match http::Conn::new(a.addr, "load").send("GET", "/health", &[], &[]) {
        Ok(h) => {
            if let Some(v) = h.header("x-data-version") {
                truth.insert(v.to_string(), marked_at_start);
            }
        }
        Err(e) => {
            eprintln!("error: GET /health on {}: {e}", a.addr);
            return std::process::ExitCode::FAILURE;
        }
    }

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
                    malformed(&mut rng, !a.behind_proxy)
                } else {
                    valid(&mut rng, probe)
                };
                let started = Instant::now();
                let got = conn.send(&r);
                t.record(&r, started, &got);
            }
            total
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .merge(t);
        }));
    }

    // Every second the RSS; every `update_every` seconds a layer update (alternating two
    // versions), a reload in the seconds between (when asked).
    // The two contents: the file without the mark, and with it on the first name.
    let versions = layer_text.map(|text| {
        let plain = text.replace(MARK, "");
        let other = plain.replacen("\"name\":\"", &format!("\"name\":\"{MARK}"), 1);
        [other, plain]
    });
    let mut admin = Conn::new(a.addr);
    let mut admin_tally = Tally::default();
    let mut rss: Vec<(u64, Vec<u64>)> = Vec::new();
    let lags: Arc<Mutex<Vec<Lag>>> = Arc::default();
    let mut watchers = Vec::new();
    let start = Instant::now();
    let mut second = 0u64;
    let mut updates = 0u64;
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
        if !a.pids.is_empty() {
            rss.push((
                second,
                a.pids.iter().map(|p| rss_kib(*p).unwrap_or(0)).collect(),
            ));
        }
        if a.token.is_empty() {
            continue;
        }
        let update = versions.is_some() && second.is_multiple_of(a.update_every);
        if !update && !a.reload {
            continue;
        }
        let content = updates % 2;
        let mut r = match (&versions, update) {
            (Some(v), true) => Request::new(
                Kind::Admin,
                "PUT",
                format!(
                    "/admin/layers/{}?author=load-test&message=second+{second}",
                    a.layer
                ),
                v[content as usize].clone().into_bytes(),
            ),
            _ => Request::new(Kind::Admin, "POST", "/admin/reload".into(), Vec::new()),
        };
        r.headers
            .push(("Authorization".into(), format!("Bearer {}", a.token)));
        let started = Instant::now();
        let got = admin.send(&r);
        admin_tally.record(&r, started, &got);
        if !update {
            continue;
        }
        updates += 1;
        let Some(version) = got.ok().filter(|g| g.status == 200).and_then(|g| {
            serde_json::from_slice::<serde_json::Value>(&g.body).ok()?["version"]
                .as_str()
                .map(str::to_string)
        }) else {
            continue;
        };
        truth.insert(version.clone(), content == 0);
        // How long each replica takes to serve it (given up at the next update, at most 30 s).
        for &replica in &a.replicas {
            let (version, lags) = (version.clone(), Arc::clone(&lags));
            let give_up = Duration::from_secs(a.update_every.min(30));
            watchers.push(std::thread::spawn(move || {
                let mut c = http::Conn::new(replica, "load");
                let lag = loop {
                    let seen = c.send("GET", "/health", &[], &[]).ok();
                    if seen.as_ref().and_then(|h| h.header("x-data-version")) == Some(&version) {
                        break Some(started.elapsed());
                    }
                    if started.elapsed() > give_up {
                        break None;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                };
                lags.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((replica, lag));
            }));
        }
    }
    for w in watchers {
        let _ = w.join();
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
    // Every tenth of the run (at least every 10 s), per server.
    let step = (rss.len() as u64 / 10).max(10);
    for (i, pid) in a.pids.iter().enumerate() {
        let at = |t: u64| rss.iter().find(|(s, _)| *s == t).map(|(_, k)| k[i]);
        let max = rss.iter().map(|(_, k)| k[i]).max().unwrap_or(0);
        let marks: Vec<String> = rss
            .iter()
            .filter(|(t, _)| *t == 1 || *t % step == 0 || *t == rss.len() as u64)
            .map(|(t, k)| format!("{t} s {:.0}", k[i] as f64 / 1024.0))
            .collect();
        // Growth over the last half of the run: what a leak shows and a warm-up does not.
        let half = rss.len() as u64 / 2;
        let (mid, end) = (at(half.max(1)), at(rss.len() as u64));
        let tail = match (mid, end) {
            (Some(m), Some(e)) => format!("; last half {:+.1} MiB", (e as f64 - m as f64) / 1024.0),
            _ => String::new(),
        };
        println!(
            "server {pid} RSS MiB: {}; max {:.0}{tail}",
            marks.join(", "),
            max as f64 / 1024.0
        );
    }
    // One version, one content: every answer about the probe must show the mark exactly when
    // the version it names is one of the marked ones (as the update that made it says).
    let mut mixed = 0u64;
    if probe.is_some() {
        let mut unknown = 0u64;
        for (v, [plain, marked]) in &t.probed {
            match truth.get(v) {
                Some(true) => mixed += plain,
                Some(false) => mixed += marked,
                None => unknown += plain + marked,
            }
        }
        let answers: u64 = t.probed.values().map(|n| n[0] + n[1]).sum();
        println!(
            "versions: {} served ({} made by updates), {answers} answers about the probe, {mixed} showing another version's content, {unknown} naming a version no update made, {} valid answers without X-Data-Version",
            t.probed.len(),
            updates,
            t.unversioned
        );
        mixed += unknown;
    }
    let lags = lags
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut missed = 0;
    if !lags.is_empty() {
        let mut ms: Vec<u32> = lags
            .iter()
            .filter_map(|(_, l)| l.map(|d| d.as_millis() as u32))
            .collect();
        missed = lags.len() - ms.len();
        ms.sort_unstable();
        println!(
            "update → every replica serving it: {} of {} (replica, update) pairs; p50 {:.0} ms, max {:.0} ms after the PUT was sent; {missed} not within the bound",
            ms.len(),
            lags.len(),
            pct(&ms, 0.5) * 1000.0,
            pct(&ms, 1.0) * 1000.0
        );
    }
    for f in &t.failures {
        println!("failure: {f}");
    }
    println!("failed {failed}, 5xx {served_5xx}");
    if failed > 0
        || served_5xx > 0
        || !t.failures.is_empty()
        || mixed > 0
        || missed > 0
        || t.unversioned > 0
    {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
