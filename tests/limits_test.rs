//! Operating limits over HTTP: vertices, timeout (504), load shedding (503 + Retry-After),
//! metrics, request ids and CORS.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::{AppState, Limits, WebConfig};
use std::sync::Arc;
use std::time::Duration;

/// A star-ish polygon of `n` vertices around a point of the 海盐 coast (crosses several zones).
fn heavy_site(n: usize) -> String {
    let pts: Vec<String> = (0..=n)
        .map(|i| {
            let a = (i % n) as f64 / n as f64 * std::f64::consts::TAU;
            let r = 0.15 * (1.0 + 0.05 * (7.0 * a).sin());
            format!("[{},{}]", 120.9 + r * a.cos(), 30.45 + r * a.sin() * 0.86)
        })
        .collect();
    format!(
        r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
        pts.join(",")
    )
}

fn bundled_with(limits: Limits, web: WebConfig) -> std::net::SocketAddr {
    serve_state(Arc::new(AppState::new(
        ecospace::Dataset::bundled().unwrap(),
        limits,
        web,
    )))
}

#[test]
fn too_many_vertices_is_413() {
    let addr = bundled_with(
        Limits {
            max_vertices: 1000,
            ..Limits::default()
        },
        WebConfig::default(),
    );
    let r = post(addr, "/check", &heavy_site(2000));
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"], "too_many_vertices");
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("2001 vertices; the limit is 1000"));
    assert_eq!(post(addr, "/check", &heavy_site(500)).status, 200);
}

#[test]
fn a_request_over_the_timeout_is_504_and_the_server_goes_on() {
    let limits = Limits {
        request_timeout: Duration::from_millis(1),
        ..Limits::default()
    };
    let addr = bundled_with(limits, WebConfig::default());
    let r = post(addr, "/check", &heavy_site(20_000));
    assert_eq!(r.status, 504, "{}", r.body);
    assert_eq!(r.json()["error"], "timeout");
    assert_eq!(get(addr, "/health").status, 200);
    let m = get(addr, "/metrics").body;
    assert!(m.contains("ecospace_requests_timed_out_total 1"), "{m}");
}

#[test]
fn beyond_the_concurrency_limit_requests_are_shed_with_retry_after() {
    let limits = Limits {
        max_concurrency: 1,
        ..Limits::default()
    };
    let addr = bundled_with(limits, WebConfig::default());
    // The slow request itself can be shed if a probe below holds the only permit when it
    // arrives: then it tries again.
    let slow = std::thread::spawn(move || loop {
        let status = post(addr, "/check?buffer_m=5000", &heavy_site(2_000)).status;
        if status != 503 {
            break status;
        }
    });
    // Wait until the slow request holds the only permit (visible in the metrics as in flight is
    // not exported, so poll: a quick request is shed as soon as it does).
    let mut shed = None;
    for _ in 0..2000 {
        let r = get(addr, "/layers");
        if r.status == 503 {
            shed = Some(r);
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let r = shed.expect("a request is shed while the slow one runs");
    assert_eq!(r.json()["error"], "overloaded");
    assert!(
        r.headers.to_ascii_lowercase().contains("retry-after: 1"),
        "{}",
        r.headers
    );
    assert_eq!(get(addr, "/health").status, 200, "health is exempt");
    assert_eq!(slow.join().unwrap(), 200, "the running request completes");
    assert_eq!(get(addr, "/layers").status, 200, "permits come back");
}

#[test]
fn metrics_request_ids_and_cors() {
    let addr = serve(mini(), Limits::default());
    let r = get(addr, "/health");
    let id = r.headers.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("x-request-id:")
            .map(|v| v.trim().to_string())
    });
    assert!(id.is_some_and(|i| !i.is_empty()), "{}", r.headers);
    let _ = get(addr, "/zones?lon=120.71&lat=30.71");
    let _ = get(addr, "/zones?lon=bad&lat=30.71");
    let m = get(addr, "/metrics");
    assert!(m.headers.contains("text/plain"));
    assert!(
        m.body.contains(
            r#"ecospace_http_requests_total{route="/zones",method="GET",status="200"} 1"#
        ),
        "{}",
        m.body
    );
    assert!(m
        .body
        .contains(r#"ecospace_http_requests_total{route="/zones",method="GET",status="400"} 1"#));
    assert!(m.body.contains(
        r#"ecospace_http_request_duration_seconds_count{route="/zones",method="GET"} 2"#
    ));
    assert!(m.body.contains("ecospace_features_loaded 5"));
    assert!(m.body.contains(&format!(
        "ecospace_snapshot_info{{version=\"{}\"}} 1",
        mini().version
    )));

    // Tiles and styles are usable from any origin by default…
    let with_origin = |addr, path: &str| {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nOrigin: https://portal.example\r\nX-Request-Id: abc-123\r\nConnection: close\r\n\r\n").unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        raw.split("\r\n\r\n").next().unwrap().to_ascii_lowercase()
    };
    let h = with_origin(addr, "/tiles/zone.json");
    assert!(h.contains("access-control-allow-origin: *"), "{h}");
    assert!(
        h.contains("x-request-id: abc-123"),
        "the caller's id is kept: {h}"
    );
    // …and restricted when origins are configured.
    let web = WebConfig {
        cors_origins: vec!["https://gis.jiaxing.example".into()],
        ..WebConfig::default()
    };
    let strict = serve_state(Arc::new(AppState::new(mini(), Limits::default(), web)));
    assert!(!with_origin(strict, "/tiles/zone.json").contains("access-control-allow-origin"));
}

#[test]
fn nesting_deeper_than_the_limit_is_400_on_every_json_route() {
    let addr = bundled_with(
        Limits {
            max_depth: 10,
            ..Limits::default()
        },
        WebConfig::default(),
    );
    // A MultiPolygon Feature nests 6 levels: fine. A property 10 arrays deep inside the
    // Feature's properties object: 12.
    let ok = r#"{"type":"Feature","properties":{},"geometry":{"type":"MultiPolygon","coordinates":[[[[120.7,30.7],[120.71,30.7],[120.71,30.71],[120.7,30.7]]]]}}"#;
    assert_eq!(post(addr, "/check?year=2025", ok).status, 200);
    let deep = format!(
        r#"{{"type":"Feature","properties":{{"x":{}1{}}},"geometry":null}}"#,
        "[".repeat(10),
        "]".repeat(10)
    );
    for path in ["/check", "/check/batch", "/check/report"] {
        let r = post(addr, path, &deep);
        assert_eq!(
            (r.status, r.json()["error"].as_str()),
            (400, Some("nesting_too_deep")),
            "{path}: {}",
            r.body
        );
        assert!(r.json()["message"].as_str().unwrap().contains("10 levels"));
    }
    // Brackets inside strings are text, not nesting.
    let text = r#"{"type":"Point","coordinates":[120.7,30.7],"note":"[[[[[[[[[[[["}"#;
    assert_eq!(post(addr, "/check?year=2025", text).status, 200);
}

/// A streamed batch keeps its permit until its last row: while it streams, other requests are
/// shed; when it ends, the permit comes back.
#[test]
fn a_streaming_batch_counts_against_the_concurrency_limit_until_its_last_row() {
    use std::io::{BufRead, BufReader, Read, Write};
    let addr = bundled_with(
        Limits {
            max_concurrency: 1,
            ..Limits::default()
        },
        WebConfig::default(),
    );
    // 6 heavy sites (1 000 vertices, 2 km buffers): a few seconds of work, streamed row by row.
    let site = heavy_site(1_000);
    let fc = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        vec![format!(r#"{{"type":"Feature","properties":{{}},"geometry":{site}}}"#); 6].join(",")
    );
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /check/batch?year=2025&buffer_m=2000 HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{fc}",
        fc.len()
    )
    .unwrap();
    let mut reader = BufReader::new(s);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.contains(" 200 "), "{status}");
    // The head is back, the rows are not: the permit is still taken.
    let r = get(addr, "/layers");
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (503, Some("overloaded"))
    );
    let mut rest = String::new();
    reader.read_to_string(&mut rest).unwrap();
    assert_eq!(rest.matches("\"verdict\"").count(), 6, "every row arrived");
    // Released with the last row.
    let mut ok = false;
    for _ in 0..100 {
        if get(addr, "/layers").status == 200 {
            ok = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(ok, "the permit came back");
}
