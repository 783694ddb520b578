//! Shared test helpers: an in-process server on an ephemeral port, a minimal HTTP/1.1 client,
//! and closed-form geodesy that does not go through the code under test.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
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
    pub headers: String,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 request over a fresh connection (`Connection: close`).
pub fn request(addr: SocketAddr, method: &str, path: &str, body: &[u8]) -> Response {
    request_with(addr, method, path, &[], body)
}

/// [`request`] with extra headers.
pub fn request_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut s = TcpStream::connect(addr).expect("connect");
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("write head");
    // A server may answer (413) and close before reading a huge body: ignore write errors.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Response {
        status,
        headers: head.to_string(),
        body,
    }
}

/// Undoes HTTP/1.1 chunked transfer encoding (streamed bodies).
fn dechunk(mut raw: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = raw.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        raw = &rest[n + 2..];
    }
    out
}

pub fn get(addr: SocketAddr, path: &str) -> Response {
    request(addr, "GET", path, b"")
}

pub fn post(addr: SocketAddr, path: &str, body: &str) -> Response {
    request(addr, "POST", path, body.as_bytes())
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
