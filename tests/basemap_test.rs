//! The Tianditu proxy against a local stand-in for Tianditu's WMTS server (these machines cannot
//! reach Tianditu): the tile is fetched with the configured key and Tianditu's own query
//! parameters (checked one by one against its documented GetTile request), passed through
//! byte for byte, and the key appears in no answer, page or error.

#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;

use common::*;
use ecospace::Tianditu;
use ecospace::{AppState, Limits, WebConfig};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const KEY: &str = "0123abcdKEY9876";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-stand-in-tile-";

/// A one-thread HTTP server answering every request with `status` and a PNG body, recording
/// each request target.
fn stand_in(status: u16) -> (String, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                    break;
                }
            }
            log.lock()
                .unwrap()
                .push(line.split(' ').nth(1).unwrap_or("").to_string());
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                PNG.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(PNG);
        }
    });
    (url, seen)
}

fn server(upstream: Option<&str>) -> Target {
    let web = WebConfig {
        tianditu: upstream.map(|u| Tianditu::new(KEY, Some(u)).unwrap()),
        ..WebConfig::default()
    };
    app_state(Arc::new(AppState::new(mini(), Limits::default(), web)))
}

fn query(target: &str) -> BTreeMap<String, String> {
    target
        .split_once('?')
        .unwrap()
        .1
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn a_tile_is_fetched_with_the_servers_key_and_passed_through() {
    let (url, seen) = stand_in(200);
    let t = server(Some(&url));
    let r = get(t, "/basemap/tianditu/vec/12/3425/1683");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.bytes, PNG);
    assert!(r
        .headers
        .to_ascii_lowercase()
        .contains("content-type: image/png"));
    let target = seen.lock().unwrap()[0].clone();
    assert!(target.starts_with("/vec_w/wmts?"), "{target}");
    let q = query(&target);
    for (k, v) in [
        ("SERVICE", "WMTS"),
        ("REQUEST", "GetTile"),
        ("VERSION", "1.0.0"),
        ("LAYER", "vec"),
        ("STYLE", "default"),
        ("TILEMATRIXSET", "w"),
        ("FORMAT", "tiles"),
        ("TILEMATRIX", "12"),
        ("TILEROW", "1683"),
        ("TILECOL", "3425"),
        ("tk", KEY),
    ] {
        assert_eq!(q.get(k).map(String::as_str), Some(v), "{k} in {target}");
    }
    assert!(!r.headers.contains(KEY) && !r.body.contains(KEY));
    // The labels layer too; not a layer, a zoom past 18: 404 without asking upstream.
    assert_eq!(get(t, "/basemap/tianditu/cva/3/6/3").status, 200);
    let asked = seen.lock().unwrap().len();
    for bad in [
        "/basemap/tianditu/xyz/3/6/3",
        "/basemap/tianditu/vec/19/0/0",
        "/basemap/tianditu/vec/3/8/0",
    ] {
        let r = get(t, bad);
        assert_eq!(r.status, 404, "{bad}");
        assert!(!r.body.contains(KEY));
    }
    assert_eq!(seen.lock().unwrap().len(), asked);
    // Nothing the browser loads holds the key.
    for page in ["/map", "/map/map.js", "/api", "/styles/ecospace.json"] {
        let r = get(t, page);
        assert!(!r.body.contains(KEY), "{page} shows the key");
    }
    assert!(get(t, "/map/map.js").body.contains("/basemap/tianditu/"));
}

#[test]
fn an_upstream_refusal_is_a_502_that_does_not_show_the_key() {
    let (url, _) = stand_in(403);
    let r = get(server(Some(&url)), "/basemap/tianditu/img/5/26/13");
    assert_eq!(r.status, 502, "{}", r.body);
    assert_eq!(r.json()["error"], "upstream_failed");
    assert!(!r.body.contains(KEY));
}

#[test]
fn without_a_key_the_route_is_a_404_naming_the_setting() {
    let r = get(server(None), "/basemap/tianditu/vec/3/6/3");
    assert_eq!(r.status, 404);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("tianditu-key"));
}
