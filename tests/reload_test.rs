//! Snapshots and reload: a good reload swaps the data whole; a bad one is refused and the old
//! data keeps serving. Admin routes exist only with a token and need it.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::{AppState, Limits, WebConfig};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn copy_mini(tag: &str) -> PathBuf {
    copy_fixture("mini", tag)
}

fn serve_with(dir: &Path, token: Option<&str>) -> Target {
    let ds = ecospace::Dataset::from_dir(dir).unwrap();
    let web = WebConfig {
        admin_token: token.map(str::to_string),
        ..WebConfig::default()
    };
    app_state(Arc::new(AppState::new(ds, Limits::default(), web)))
}

fn admin(to: Target, method: &str, path: &str, auth: Option<&str>) -> Response {
    let headers: Vec<(&str, &str)> = auth.map(|a| ("Authorization", a)).into_iter().collect();
    request_with(to, method, path, &headers, b"")
}

#[test]
fn admin_routes_need_a_configured_token_and_the_right_one() {
    let dir = copy_mini("auth");
    let open = serve_with(&dir, None);
    assert_eq!(
        admin(open, "POST", "/admin/reload", Some("Bearer x")).status,
        404,
        "no token configured: no admin routes"
    );
    let guarded = serve_with(&dir, Some("s3cret"));
    let r = admin(guarded, "POST", "/admin/reload", None);
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (401, Some("unauthorized"))
    );
    let r = admin(guarded, "POST", "/admin/reload", Some("Bearer wrong"));
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (403, Some("forbidden"))
    );
    assert_eq!(
        admin(guarded, "GET", "/admin/status", Some("Basic czNjcmV0")).status,
        401
    );
    assert_eq!(
        admin(guarded, "GET", "/admin/status", Some("Bearer s3cret")).status,
        200
    );
    assert_eq!(get(guarded, "/health").status, 200, "read routes stay open");
}

#[test]
fn a_good_reload_swaps_the_data_and_a_bad_one_keeps_the_old() {
    let dir = copy_mini("swap");
    let addr = serve_with(&dir, Some("t"));
    let before = admin(addr, "GET", "/admin/status", Some("Bearer t")).json();
    assert_eq!(before["features"], 5);

    // A valid change: one more zone.
    let zone = std::fs::read_to_string(dir.join("zone.geojson")).unwrap();
    let extra = r#"{"type":"Feature","id":"C","properties":{"name":"C"},"geometry":{"type":"Polygon","coordinates":[[[120.9,30.9],[120.91,30.9],[120.91,30.91],[120.9,30.91],[120.9,30.9]]]}},"#;
    std::fs::write(
        dir.join("zone.geojson"),
        zone.replacen("[\n", &format!("[\n{extra}"), 1),
    )
    .unwrap();
    let r = admin(addr, "POST", "/admin/reload", Some("Bearer t"));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["features"], 6);
    assert_ne!(v["version"], before["version"]);
    assert_eq!(get(addr, "/health").json()["features"], 6);
    assert_eq!(
        get(addr, "/zones?lon=120.905&lat=30.905&year=2025").json()["zones"][0]["id"],
        "C"
    );

    // A broken change: refused, the previous snapshot keeps serving, status says why.
    std::fs::write(
        dir.join("coast.geojson"),
        "{\"type\":\"FeatureCollection\",\"features\":[{]}",
    )
    .unwrap();
    let r = admin(addr, "POST", "/admin/reload", Some("Bearer t"));
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["error"], "reload_failed");
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("coast.geojson"));
    assert_eq!(
        get(addr, "/health").json()["features"],
        6,
        "still the last good data"
    );
    let s = admin(addr, "GET", "/admin/status", Some("Bearer t")).json();
    assert_eq!(s["version"], v["version"]);
    assert_eq!(s["reload"]["failures"], 1);
    assert!(s["reload"]["last_error"]
        .as_str()
        .unwrap()
        .contains("coast.geojson"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_watched_folder_reloads_on_change_and_keeps_the_old_data_on_a_bad_one() {
    let dir = copy_mini("watch");
    let ds = ecospace::Dataset::from_dir(&dir).unwrap();
    let web = WebConfig {
        admin_token: Some("w".into()),
        ..WebConfig::default()
    };
    let state = Arc::new(AppState::new(ds, Limits::default(), web));
    Arc::clone(&state.live).watch(std::time::Duration::from_millis(50));
    let addr = app_state(state);
    let attempts = |addr| {
        admin(addr, "GET", "/admin/status", Some("Bearer w")).json()["reload"]["attempts"]
            .as_u64()
            .unwrap()
    };
    let wait_for = |what: &dyn Fn() -> bool| {
        let t = std::time::Instant::now();
        while !what() {
            assert!(t.elapsed().as_secs() < 10, "timed out");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(attempts(addr), 0, "nothing changed, nothing reloaded");

    let zone = std::fs::read_to_string(dir.join("zone.geojson")).unwrap();
    let extra = r#"{"type":"Feature","id":"C","properties":{"name":"C"},"geometry":{"type":"Polygon","coordinates":[[[120.9,30.9],[120.91,30.9],[120.91,30.91],[120.9,30.91],[120.9,30.9]]]}},"#;
    std::fs::write(
        dir.join("zone.geojson"),
        zone.replacen("[\n", &format!("[\n{extra}"), 1),
    )
    .unwrap();
    wait_for(&|| get(addr, "/health").json()["features"] == 6);
    assert_eq!(attempts(addr), 1);

    std::fs::write(dir.join("coast.geojson"), "{\"type\":").unwrap();
    wait_for(&|| attempts(addr) == 2);
    assert_eq!(
        get(addr, "/health").json()["features"],
        6,
        "old data still served"
    );
    let s = admin(addr, "GET", "/admin/status", Some("Bearer w")).json();
    assert!(s["reload"]["last_error"]
        .as_str()
        .unwrap()
        .contains("coast.geojson"));
    let _ = std::fs::remove_dir_all(&dir);
}
