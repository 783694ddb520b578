//! The map frontend for real: the style passes MapLibre's own validator (npm), and the map page
//! is driven in headless Chromium against a live server on the bundled data.
//! Needs `scripts/setup.sh` (npm ci, chromium) — the README's test command runs it first.

mod common;
use common::*;
use ecospace::api::Limits;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn validate(file: &std::path::Path) -> std::process::Output {
    let bin = root().join("node_modules/.bin/gl-style-validate");
    assert!(
        bin.exists(),
        "{} is missing: run scripts/setup.sh",
        bin.display()
    );
    Command::new(bin)
        .arg(file)
        .output()
        .expect("validator runs")
}

#[test]
fn the_style_file_and_the_served_style_pass_the_maplibre_validator() {
    let out = validate(&root().join("styles/ecospace.json"));
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let addr = serve(mini(), Limits::default());
    let served = get(addr, "/styles/ecospace.json").json();
    let url = served["sources"]["ecospace"]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("http://{addr}/tiles/")),
        "absolute source url: {url}"
    );
    assert!(served["glyphs"].as_str().unwrap().starts_with("http://"));
    let file = std::env::temp_dir().join(format!("ecospace-style-{}.json", std::process::id()));
    std::fs::write(&file, served.to_string()).unwrap();
    let out = validate(&file);
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_page_and_its_assets_are_served() {
    let addr = serve(mini(), Limits::default());
    let page = get(addr, "/map");
    assert_eq!(page.status, 200);
    assert!(page.headers.to_ascii_lowercase().contains("text/html"));
    assert!(
        page.body.contains("/assets/maplibre-gl/maplibre-gl.js"),
        "page loads MapLibre from the server"
    );
    let js = get(addr, "/assets/maplibre-gl/maplibre-gl.js");
    assert_eq!(js.status, 200, "run scripts/setup.sh: {}", js.body);
    assert!(js.body.len() > 100_000);
    assert_eq!(
        get(addr, "/assets/maplibre-gl/package.json").status,
        404,
        "only the listed files"
    );
    assert_eq!(
        get(addr, "/assets/maplibre-gl/..%2F..%2Fpackage.json").status,
        404
    );
    assert_eq!(get(addr, "/map/..%2FCargo.toml").status, 404);
    assert_eq!(get(addr, "/fonts/Noto%20Sans/0-255.pbf").status, 200);
}

#[test]
fn headless_chromium_renders_the_red_line_and_lists_a_clicked_zone() {
    let ds = ecospace::Dataset::bundled().expect("bundled data");
    let addr = serve(ds, Limits::default());
    let shot = root().join("target/artifacts/map.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let out = Command::new("node")
        .arg(root().join("tests/browser/map_check.mjs"))
        .arg(format!("http://{addr}"))
        .arg(&shot)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "map check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    assert!(
        shot.metadata().map(|m| m.len() > 10_000).unwrap_or(false),
        "screenshot kept at {}",
        shot.display()
    );
}
