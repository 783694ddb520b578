//! The binary as a user runs it: `serve` on an ephemeral port, `check`, `layers`.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecospace"))
}

#[test]
fn serve_binds_an_ephemeral_port_and_answers() {
    let mut child = bin()
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(fixture("mini"))
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut addr = None;
    let mut lines = BufReader::new(stderr).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.split("addr=").nth(1) {
            addr = rest.split_whitespace().next().and_then(|a| a.parse().ok());
            break;
        }
    }
    // Keep draining the log (one line per request), as a supervisor would.
    std::thread::spawn(move || lines.for_each(drop));
    let addr: std::net::SocketAddr = addr.expect("the log names the bound address");
    let v = get(addr, "/health").json();
    assert_eq!(v["features"], 5);
    let r = post(
        addr,
        "/check?year=2025",
        &std::fs::read_to_string(fixture("site_in_a.geojson")).unwrap(),
    );
    assert_eq!(r.json()["id"], "plot-7");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn check_prints_a_table_and_json() {
    let out = bin()
        .args(["check", "--year", "2025", "--data"])
        .arg(fixture("mini"))
        .arg(fixture("site_in_a.geojson"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("CONFLICT 冲突"), "{text}");
    assert!(text.contains("方块A") && text.contains("within"), "{text}");

    let out = bin()
        .args(["check", "--json", "--year", "2025", "--data"])
        .arg(fixture("mini"))
        .arg(fixture("site_in_a.geojson"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    close(
        v["hits"][0]["overlap_area_m2"].as_f64().unwrap(),
        band_area(30.705, 30.715, 0.01),
        1e-6,
    );
}

#[test]
fn bad_input_fails_with_a_message_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("ecospace-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.geojson");
    std::fs::write(&bad, r#"{"type":"Point","coordinates":[576600,3386000]}"#).unwrap();
    let out = bin()
        .args(["check", "--data"])
        .arg(fixture("mini"))
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("looks projected") && !err.contains("panicked"),
        "{err}"
    );
    let out = bin()
        .args(["layers", "--data", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/layers.toml"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn layers_lists_each_layer_with_its_total() {
    let out = bin()
        .args(["layers", "--year", "2019", "--data"])
        .arg(fixture("mini"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let want = format!("{:.3} km²", band_area(30.70, 30.72, 0.02) / 1e6);
    assert!(
        text.contains(&want) && text.contains("2 (1 in 2019)"),
        "{want} in\n{text}"
    );
}
