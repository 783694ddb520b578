//! Layer updates through `PUT /admin/layers/{id}`: validated before anything is written, kept in
//! a history with author and time, restorable, and atomic even when the process is killed.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::{AppState, Limits, WebConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;

const TOKEN: &str = "upd-Tok3n";
const AUTH: (&str, &str) = ("Authorization", "Bearer upd-Tok3n");

fn copy_mini(tag: &str) -> PathBuf {
    copy_fixture("mini", tag)
}

fn serve_dir(dir: &Path) -> Target {
    let ds = ecospace::Dataset::from_dir(dir).unwrap();
    let web = WebConfig {
        admin_token: Some(TOKEN.into()),
        ..WebConfig::default()
    };
    app_state(Arc::new(AppState::new(ds, Limits::default(), web)))
}

/// A zone layer of `n` 0.001° squares in a row starting at `lon0`, all at lat 30.90.
fn zones(lon0: f64, n: usize) -> String {
    let feats: Vec<String> = (0..n)
        .map(|i| {
            let x = lon0 + i as f64 * 0.002;
            format!(
                r#"{{"type":"Feature","id":"Z{i}","properties":{{"name":"块{i}","county":"330402"}},"geometry":{{"type":"Polygon","coordinates":[[[{x:.4},30.9],[{:.4},30.9],[{:.4},30.901],[{x:.4},30.901],[{x:.4},30.9]]]}}}}"#,
                x + 0.001,
                x + 0.001
            )
        })
        .collect();
    format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[\n{}\n]}}\n",
        feats.join(",\n")
    )
}

#[test]
fn an_update_is_validated_recorded_served_and_can_be_rolled_back() {
    let dir = copy_mini("cycle");
    let original = std::fs::read(dir.join("zone.geojson")).unwrap();
    let addr = serve_dir(&dir);
    let v0 = get(addr, "/health").json()["version"].clone();
    assert_eq!(zone_ids_at(addr, 120.71, 30.71), ["A"]);

    // Refused: no token, an invalid layer (a bow-tie polygon), unknown layer.
    let new = zones(120.5, 3);
    let r = request(addr, "PUT", "/admin/layers/zone?author=x", new.as_bytes());
    assert_eq!(r.status, 401);
    let bowtie = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"X","properties":{"name":"X"},"geometry":{"type":"Polygon","coordinates":[[[120.5,30.9],[120.6,31.0],[120.6,30.9],[120.5,31.0],[120.5,30.9]]]}}]}"#;
    let r = request_with(
        addr,
        "PUT",
        "/admin/layers/zone?author=wang",
        &[AUTH],
        bowtie.as_bytes(),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let v = r.json();
    assert_eq!(v["error"], "invalid_layer");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("intersects itself near [120.55, 30.95]"),
        "{v}"
    );
    let r = request_with(
        addr,
        "PUT",
        "/admin/layers/nope?author=wang",
        &[AUTH],
        b"{}",
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (404, Some("unknown_layer"))
    );
    // Nothing written: same bytes, no history, no temp files, same snapshot.
    assert_eq!(std::fs::read(dir.join("zone.geojson")).unwrap(), original);
    let h = request_with(addr, "GET", "/admin/layers/zone/history", &[AUTH], b"").json();
    assert_eq!(h["versions"].as_array().unwrap().len(), 0);
    assert!(
        !dir.join(".history").exists(),
        "a refused update creates nothing"
    );
    assert_eq!(leftovers(&dir), Vec::<String>::new());
    assert_eq!(get(addr, "/health").json()["version"], v0);

    // Accepted: on disk byte for byte, served at once, history holds both versions.
    let r = request_with(
        addr,
        "PUT",
        "/admin/layers/zone?author=%E7%8E%8B%E5%B7%A5&message=new+survey",
        &[AUTH],
        new.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["layer_version"]["id"], "000002");
    assert_eq!(v["layer_version"]["features"], 3);
    assert_eq!(
        std::fs::read_to_string(dir.join("zone.geojson")).unwrap(),
        new
    );
    assert_eq!(zone_ids_at(addr, 120.71, 30.71), Vec::<String>::new());
    assert_eq!(zone_ids_at(addr, 120.5025, 30.9005), ["Z1"]);
    let v1 = get(addr, "/health").json()["version"].clone();
    assert_eq!(v["version"], v1);
    assert_ne!(v1, v0);
    // Every answer names the data version it was computed from: the update's own answer the
    // version it made (not the one in service when it arrived), the others the one served.
    assert_eq!(r.header("x-data-version").as_deref(), v1.as_str());
    for path in [
        "/health",
        "/zones?lon=120.5025&lat=30.9005",
        "/layers",
        "/no/such/route",
    ] {
        assert_eq!(
            get(addr, path).header("x-data-version").as_deref(),
            v1.as_str(),
            "{path}"
        );
    }
    // A reload from disk gives the same snapshot version: what is served is what is stored.
    let r = request_with(addr, "POST", "/admin/reload", &[AUTH], b"");
    assert_eq!(r.json()["version"], v1);
    assert_eq!(r.header("x-data-version").as_deref(), v1.as_str());

    let h = request_with(addr, "GET", "/admin/layers/zone/history", &[AUTH], b"").json();
    let vs = h["versions"].as_array().unwrap();
    assert_eq!(vs.len(), 2, "{h}");
    assert_eq!(
        (
            vs[0]["id"].as_str(),
            vs[0]["action"].as_str(),
            vs[0]["current"].as_bool()
        ),
        (Some("000001"), Some("initial"), Some(false))
    );
    assert_eq!(vs[0]["bytes"], original.len());
    assert_eq!(vs[0]["features"], 2);
    assert_eq!(
        (
            vs[1]["author"].as_str(),
            vs[1]["message"].as_str(),
            vs[1]["current"].as_bool()
        ),
        (Some("王工"), Some("new survey"), Some(true))
    );
    assert!(vs[1]["installed_at"].as_str().unwrap().starts_with("20"));
    let old = request_with(
        addr,
        "GET",
        "/admin/layers/zone/history/000001",
        &[AUTH],
        b"",
    );
    assert_eq!(old.body.as_bytes(), original.as_slice());

    // Rollback: a new version with the old bytes; the snapshot version is the original one.
    let r = request_with(
        addr,
        "POST",
        "/admin/layers/zone/rollback?to=999999&author=li",
        &[AUTH],
        b"",
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (404, Some("unknown_version"))
    );
    let r = request_with(
        addr,
        "POST",
        "/admin/layers/zone/rollback?to=000001&author=li",
        &[AUTH],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(std::fs::read(dir.join("zone.geojson")).unwrap(), original);
    assert_eq!(get(addr, "/health").json()["version"], v0);
    assert_eq!(zone_ids_at(addr, 120.71, 30.71), ["A"]);
    let h = request_with(addr, "GET", "/admin/layers/zone/history", &[AUTH], b"").json();
    let vs = h["versions"].as_array().unwrap();
    let current: Vec<_> = vs.iter().map(|v| v["current"].as_bool().unwrap()).collect();
    assert_eq!(current, [false, false, true]);
    assert_eq!(
        (vs[2]["action"].as_str(), vs[2]["restored_from"].as_str()),
        (Some("rollback"), Some("000001"))
    );
    assert_eq!(vs[2]["hash"], vs[0]["hash"]);
    // Without `author`, the token's name is the author (ECOSPACE_ADMIN_TOKEN's is `admin`).
    let r = request_with(addr, "PUT", "/admin/layers/zone", &[AUTH], new.as_bytes());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["layer_version"]["author"], "admin");
    assert_eq!(leftovers(&dir), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_bundled_dataset_cannot_be_updated() {
    let web = WebConfig {
        admin_token: Some(TOKEN.into()),
        ..WebConfig::default()
    };
    let ds = ecospace::Dataset::bundled().unwrap();
    let addr = app_state(Arc::new(AppState::new(ds, Limits::default(), web)));
    let r = request_with(
        addr,
        "PUT",
        "/admin/layers/redline?author=x",
        &[AUTH],
        zones(120.5, 1).as_bytes(),
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (409, Some("read_only_data"))
    );
}

/// Files in the data folder or its history that are not finished versions.
fn leftovers(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".ecospace-tmp-")
            {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

/// Starts the real binary on the folder; returns it and its address.
fn spawn(dir: &Path) -> (Child, SocketAddr) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ecospace"));
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(dir)
        .env("ECOSPACE_ADMIN_TOKEN", TOKEN);
    let (child, addr, _) = spawn_serve(cmd);
    (child, addr)
}

/// SIGKILL at spread-out moments of an update, over and over: after each kill the layer file
/// is exactly the old or exactly the new version, the folder loads, and every history entry is
/// whole (its file has the size and hash its metadata says).
#[test]
fn a_kill_at_any_moment_of_an_update_leaves_old_or_new_never_a_mix() {
    let dir = copy_mini("kill");
    // Two large versions (~2.6 MB each), so a write takes long enough to be interrupted.
    let versions = [zones(120.50, 12_000), zones(120.51, 12_000)];
    // Measure one whole update to spread the kills over it.
    let (mut child, addr) = spawn(&dir);
    let t = std::time::Instant::now();
    let r = request_with(
        addr,
        "PUT",
        "/admin/layers/zone?author=t",
        &[AUTH],
        versions[0].as_bytes(),
    );
    let full = t.elapsed();
    assert_eq!(r.status, 200, "{}", r.body);
    child.kill().unwrap();
    child.wait().unwrap();

    let rounds = 12;
    let (mut olds, mut news) = (0, 0);
    let mut live = versions[0].clone();
    for i in 0..rounds {
        let next = &versions[(i + 1) % 2];
        let (mut child, addr) = spawn(&dir);
        let body = next.clone();
        let put = std::thread::spawn(move || {
            request_with(
                addr,
                "PUT",
                "/admin/layers/zone?author=k",
                &[AUTH],
                body.as_bytes(),
            )
        });
        if i + 1 < rounds {
            // From "before the request lands" to past the time a whole update took.
            std::thread::sleep(full.mul_f64(2.0 * i as f64 / (rounds - 2) as f64));
            child.kill().unwrap();
            child.wait().unwrap();
            let _ = put.join();
        } else {
            // The last round kills right after the answer: the update must have stuck.
            assert_eq!(put.join().unwrap().status, 200);
            child.kill().unwrap();
            child.wait().unwrap();
        }

        let now = std::fs::read_to_string(dir.join("zone.geojson")).unwrap();
        if now == live {
            olds += 1;
        } else if &now == next {
            news += 1;
        } else {
            panic!(
                "round {i}: the layer file is neither version ({} bytes)",
                now.len()
            );
        }
        live = now;
        let ds = ecospace::Dataset::from_dir(&dir).expect("the folder loads after a kill");
        assert_eq!(ds.layer("zone").unwrap().features.len(), 12_000);
        check_history_whole(&dir.join(".history/zone"));
    }
    eprintln!("one update took {full:?}; after {rounds} kills: {olds} old, {news} new");
    assert!(
        olds > 0 && news > 0,
        "kills spanned the update: {olds} old, {news} new"
    );
    // A restart cleans up after the last interrupted write.
    let (mut child, addr) = spawn(&dir);
    let r = request_with(
        addr,
        "PUT",
        "/admin/layers/zone?author=t",
        &[AUTH],
        versions[0].as_bytes(),
    );
    assert_eq!(r.status, 200);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(leftovers(&dir), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(&dir);
}

fn check_history_whole(hist: &Path) {
    for e in std::fs::read_dir(hist).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".json") || name.starts_with('.') {
            continue;
        }
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).expect("whole metadata");
        let id = meta["id"].as_str().unwrap();
        let data = std::fs::read(hist.join(format!("{id}.geojson"))).expect("its file exists");
        assert_eq!(meta["bytes"], data.len(), "{name}");
        assert_eq!(meta["hash"], fnv1a(&data), "{name}");
    }
}

/// FNV-1a 64, written out from its definition (offset basis and prime from the spec).
fn fnv1a(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}
