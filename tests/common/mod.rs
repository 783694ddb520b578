//! Shared test helpers: the real router driven in process (`oneshot`) or served on an ephemeral
//! loopback port, one HTTP/1.1 client ([`http`]) for where the socket is the point, and
//! closed-form geodesy that does not go through the code under test.
#![allow(dead_code)]

pub mod http;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub const A: f64 = 6_378_137.0;
pub const F: f64 = 1.0 / 298.257_223_563;

/// Area between latitudes `lat1` < `lat2` over `dlon` degrees on the WGS84 ellipsoid (m²),
/// from the closed form of the authalic integral (Snyder, Map Projections, eq. 3-12).
pub fn band_area(lat1: f64, lat2: f64, dlon: f64) -> f64 {
    (authalic_q(lat2) - authalic_q(lat1)) * dlon.to_radians()
}

/// Meridian arc from the equator to `lat` (m), Helmert's series to n⁴.
pub fn meridian_arc(lat: f64) -> f64 {
    let n = F / (2.0 - F);
    let phi = lat.to_radians();
    let a = A / (1.0 + n) * (1.0 + n * n / 4.0 + n.powi(4) / 64.0);
    let c2 = -3.0 / 2.0 * n + 9.0 / 16.0 * n.powi(3);
    let c4 = 15.0 / 16.0 * n * n - 15.0 / 32.0 * n.powi(4);
    let c6 = -35.0 / 48.0 * n.powi(3);
    let c8 = 315.0 / 512.0 * n.powi(4);
    a * (phi
        + c2 * (2.0 * phi).sin()
        + c4 * (4.0 * phi).sin()
        + c6 * (6.0 * phi).sin()
        + c8 * (8.0 * phi).sin())
}

/// Length of `dlon` degrees along the parallel at `lat` (m): N·cos φ·Δλ. For the short spans in
/// these tests it equals the geodesic to better than 1e-6.
pub fn parallel_arc(lat: f64, dlon: f64) -> f64 {
    let e2 = F * (2.0 - F);
    let s = lat.to_radians().sin();
    A / (1.0 - e2 * s * s).sqrt() * lat.to_radians().cos() * dlon.to_radians()
}

/// The Python the tests check our output with: the project's virtualenv made by
/// `scripts/setup.sh` (`.venv/`, where the pinned readers live), else `python3` on PATH.
pub fn python() -> std::process::Command {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python3");
    std::process::Command::new(if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    })
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A fresh copy of a fixture folder in the temp dir (for tests that write to their data).
pub fn copy_fixture(name: &str, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecospace-{name}-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for e in std::fs::read_dir(fixture(name)).expect("fixture") {
        let p = e.expect("entry").path();
        if p.is_file() {
            std::fs::copy(&p, dir.join(p.file_name().expect("name"))).expect("copy");
        }
    }
    dir
}

pub fn mini() -> ecospace::Dataset {
    ecospace::Dataset::from_dir(&fixture("mini")).expect("fixture loads")
}

/// Where a test sends its requests: the router itself, in process (`oneshot`: no socket, the
/// default), or a real server on a loopback socket where the socket is the point (limits,
/// load, shutdown, browsers, third-party clients). `Copy`, like the address it stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The router of [`app`], by its index in the process's routers.
    App(usize),
    /// A server on a socket ([`serve`]).
    Socket(SocketAddr),
}

impl From<SocketAddr> for Target {
    fn from(a: SocketAddr) -> Self {
        Target::Socket(a)
    }
}

/// The host a request names: the socket's address, or a made-up host for the router alone
/// (absolute URLs in answers are built from it).
impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::App(i) => write!(f, "app{i}.test"),
            Target::Socket(a) => write!(f, "{a}"),
        }
    }
}

fn routers() -> &'static std::sync::Mutex<Vec<axum::Router>> {
    static R: std::sync::OnceLock<std::sync::Mutex<Vec<axum::Router>>> = std::sync::OnceLock::new();
    R.get_or_init(Default::default)
}

/// One runtime for every in-process request of the test binary.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

/// The real router on `ds`, driven in process.
pub fn app(ds: ecospace::Dataset, limits: ecospace::Limits) -> Target {
    let web = ecospace::WebConfig::default();
    app_state(Arc::new(ecospace::AppState::new(ds, limits, web)))
}

/// The real router on a prepared state, driven in process.
pub fn app_state(state: Arc<ecospace::AppState>) -> Target {
    let mut r = routers().lock().expect("routers");
    r.push(ecospace::app(state));
    Target::App(r.len() - 1)
}

/// Starts the real router on 127.0.0.1:0 in a background runtime; returns its address.
pub fn serve(ds: ecospace::Dataset, limits: ecospace::Limits) -> SocketAddr {
    let web = ecospace::WebConfig::default();
    serve_state(Arc::new(ecospace::AppState::new(ds, limits, web)))
}

/// Serves a prepared state on 127.0.0.1:0 in a background runtime; returns its address.
pub fn serve_state(state: Arc<ecospace::AppState>) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            axum::serve(listener, ecospace::app(state))
                .await
                .expect("serve");
        });
    });
    rx.recv().expect("server address")
}

/// A response as the tests read it.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// The status line and headers (`name: value` lines).
    pub headers: String,
    /// The body as text (lossy UTF-8).
    pub body: String,
    /// The body as sent (gzip, MVT, …).
    pub bytes: Vec<u8>,
}

impl Response {
    /// The value of header `name` (case-insensitive), when it was sent.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The body as NDJSON: one value per line.
    pub fn ndjson(&self) -> Vec<serde_json::Value> {
        self.body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

/// One request; on a socket, over a fresh connection (`Connection: close`).
pub fn request(to: impl Into<Target>, method: &str, path: &str, body: &[u8]) -> Response {
    request_with(to, method, path, &[], body)
}

/// [`request`] with extra headers.
pub fn request_with(
    to: impl Into<Target>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let to = to.into();
    match to {
        Target::Socket(addr) => match http::once(addr, method, path, headers, body) {
            Ok(a) => Response {
                status: a.status,
                headers: a.head,
                body: String::from_utf8_lossy(&a.body).into_owned(),
                bytes: a.body,
            },
            // The server closed on us: no status, as a client would see it.
            Err(e) => Response {
                status: 0,
                headers: String::new(),
                body: e.to_string(),
                bytes: Vec::new(),
            },
        },
        Target::App(i) => {
            let router = routers().lock().expect("routers")[i].clone();
            let mut req = axum::http::Request::builder()
                .method(method)
                .uri(path)
                .header("host", to.to_string());
            if !body.is_empty() {
                req = req.header("content-type", "application/json");
            }
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let req = req
                .body(axum::body::Body::from(body.to_vec()))
                .expect("request");
            runtime().block_on(async move {
                use tower::ServiceExt;
                let res = router.oneshot(req).await.expect("infallible");
                let mut head = format!("HTTP/1.1 {}", res.status());
                for (k, v) in res.headers() {
                    head.push_str(&format!("\r\n{k}: {}", v.to_str().unwrap_or("")));
                }
                let status = res.status().as_u16();
                let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
                    .await
                    .expect("body");
                Response {
                    status,
                    headers: head,
                    body: String::from_utf8_lossy(&bytes).into_owned(),
                    bytes: bytes.to_vec(),
                }
            })
        }
    }
}

pub fn get(to: impl Into<Target>, path: &str) -> Response {
    request(to, "GET", path, b"")
}

pub fn post(to: impl Into<Target>, path: &str, body: &str) -> Response {
    request(to, "POST", path, body.as_bytes())
}

/// Runs a command that must succeed (its stderr is the failure message) and returns its stdout.
pub fn stdout_of(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().expect("the command runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// GeoJSON polygon of a lon/lat box.
pub fn boxed(x0: f64, y0: f64, x1: f64, y1: f64) -> String {
    format!(
        r#"{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}"#
    )
}

/// Asserts `got` is within `rel` (relative) of `want`.
pub fn close(got: f64, want: f64, rel: f64) {
    assert!(
        ((got - want) / want).abs() <= rel,
        "got {got}, want {want} (±{rel} relative)"
    );
}

/// `q(φ)` of the authalic integral: the ellipsoid area from the equator to φ per radian of longitude.
fn authalic_q(lat: f64) -> f64 {
    let e2 = F * (2.0 - F);
    let e = e2.sqrt();
    let s = lat.to_radians().sin();
    A * A * (1.0 - e2) / 2.0
        * (s / (1.0 - e2 * s * s) + (1.0 / (2.0 * e)) * ((1.0 + e * s) / (1.0 - e * s)).ln())
}

/// Area of a ring (m², unsigned) by the shoelace formula in the ellipsoidal cylindrical
/// equal-area projection x = a·λ, y = q(φ)/a — an independent route to the geodesic area
/// (edges straight in that projection instead of geodesics: for edges under a few km the two
/// agree to better than 1e-7).
pub fn equal_area_ring_m2(ring: &[[f64; 2]]) -> f64 {
    let p: Vec<(f64, f64)> = ring
        .iter()
        .map(|c| (A * c[0].to_radians(), authalic_q(c[1]) / A))
        .collect();
    let twice: f64 = p
        .windows(2)
        .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
        .sum();
    (twice / 2.0).abs()
}

/// Length (m) of a lon/lat polyline from the local radii of curvature, each segment cut into
/// pieces of at most ~20 m — independent of the Karney geodesics under test.
pub fn ellipsoid_polyline_m(line: &[[f64; 2]]) -> f64 {
    let e2 = F * (2.0 - F);
    let mut total = 0.0;
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        let n = (((b[0] - a[0]).abs().max((b[1] - a[1]).abs()) / 0.0002).ceil() as usize).max(1);
        for k in 0..n {
            let t0 = k as f64 / n as f64;
            let t1 = (k + 1) as f64 / n as f64;
            let (lon0, lat0) = (a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0);
            let (lon1, lat1) = (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1);
            let phi = ((lat0 + lat1) / 2.0).to_radians();
            let w2 = 1.0 - e2 * phi.sin().powi(2);
            let m = A * (1.0 - e2) / w2.powf(1.5);
            let nn = A / w2.sqrt();
            let dy = m * (lat1 - lat0).to_radians();
            let dx = nn * phi.cos() * (lon1 - lon0).to_radians();
            total += (dx * dx + dy * dy).sqrt();
        }
    }
    total
}

/// Starts `ecospace serve` as a child process: `cmd` carries the arguments (with `--addr
/// 127.0.0.1:0`) and environment; logs at info without colour. Returns the child, the address
/// its log names, and the log lines before that one; the rest of the log is drained (as a
/// supervisor would) so the child never blocks on a full pipe.
pub fn spawn_serve(
    mut cmd: std::process::Command,
) -> (std::process::Child, SocketAddr, Vec<String>) {
    use std::io::{BufRead, BufReader};
    let mut child = cmd
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stderr.take().expect("piped")).lines();
    let (mut addr, mut before) = (None, Vec::new());
    for line in lines.by_ref() {
        let line = line.expect("a log line");
        if let Some(rest) = line.split("addr=").nth(1) {
            addr = rest.split_whitespace().next().and_then(|a| a.parse().ok());
            break;
        }
        before.push(line);
    }
    std::thread::spawn(move || lines.for_each(drop));
    (
        child,
        addr.expect("the log names the bound address"),
        before,
    )
}

/// WGS84 lon/lat to GCJ-02 (Amap's), written out from the published algorithm (Krasovsky
/// ellipsoid and its two trigonometric series, no region test: for points inside China).
pub fn gcj02_forward(lon: f64, lat: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    let (a, ee) = (6_378_245.0_f64, 0.006_693_421_622_965_943_f64);
    let (x, y) = (lon - 105.0, lat - 35.0);
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - ee * rad.sin() * rad.sin();
    let sq = magic.sqrt();
    dlat = (dlat * 180.0) / ((a * (1.0 - ee)) / (magic * sq) * PI);
    dlon = (dlon * 180.0) / (a / sq * rad.cos() * PI);
    (lon + dlon, lat + dlat)
}

/// The ids of the `zone` layer's zones at a point in 2025 (`/zones`), for the tests that change
/// the `mini` fixture's zone layer and look where its zones are.
pub fn zone_ids_at(t: Target, lon: f64, lat: f64) -> Vec<String> {
    let v = get(t, &format!("/zones?lon={lon}&lat={lat}&year=2025")).json();
    v["zones"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .filter(|z| z["layer"] == "zone")
        .map(|z| z["id"].as_str().unwrap_or_default().to_string())
        .collect()
}
