//! The printable report, opened for real: served by `/check/report` and written by
//! `ecospace check --report`, then checked and printed to PDF in headless Chromium
//! (`tests/browser/report_check.mjs`). Needs `scripts/setup.sh` (npm ci, chromium, pdftotext).
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::Limits;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn browser_check(file: &Path, expect: &serde_json::Value, out: &Path) {
    let run = Command::new("node")
        .arg(root().join("tests/browser/report_check.mjs"))
        .arg(file)
        .arg(expect.to_string())
        .arg(out)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success() && stdout.contains(" 0 failed"),
        "report check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

const ACROSS: &str = r#"{"type":"Feature","id":"plot-9","properties":{},"geometry":{"type":"Polygon","coordinates":[[[120.815,30.803],[120.825,30.803],[120.825,30.807],[120.815,30.807],[120.815,30.803]]]}}"#;

#[test]
fn the_served_report_matches_the_check_and_prints() {
    let ds = ecospace::Dataset::from_dir(&fixture("rules")).unwrap();
    let addr = app(ds, Limits::default());
    let q = "year=2025&type=industrial&rings=0,400,1000";
    let check = post(addr, &format!("/check?{q}"), ACROSS).json();
    let r = post(addr, &format!("/check/report?{q}"), ACROSS);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.headers.to_ascii_lowercase().contains("text/html"));
    // The figures in the page are the check's.
    for hit in check["hits"].as_array().unwrap() {
        assert!(r.body.contains(hit["name"].as_str().unwrap()));
    }
    assert!(r.body.contains("B-w2-industry") && r.body.contains("B-w3-industry"));
    assert!(r.body.contains(&format!(
        "<code>{}</code>",
        get(addr, "/health").json()["version"].as_str().unwrap()
    )));
    let dir = root().join("target/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report-zh.html");
    std::fs::write(&file, &r.body).unwrap();
    let overlaps = check["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["overlap_area_m2"].as_f64().unwrap_or(0.0) > 0.0)
        .count();
    assert_eq!(overlaps, 2);
    let expect = serde_json::json!({
        "hits": check["hits"].as_array().unwrap().len(),
        "overlaps": overlaps,
        "rings": 2,
        "decision": "prohibited",
        "lang": "zh",
        "levels": [1, 2, 3],
        "counties": [],
    });
    browser_check(&file, &expect, &dir.join("report-zh"));

    // GET with a point, in English; the same digest for the same request twice.
    let url = "/check/report?lon=120.805&lat=30.805&year=2025&type=water_supply&lang=en";
    let a = get(addr, url);
    let b = get(addr, url);
    assert_eq!(a.status, 200);
    let digest = |s: &str| s.split("class=\"digest\">").nth(1).unwrap()[..16].to_string();
    assert_eq!(digest(&a.body), digest(&b.body));
    assert_ne!(digest(&a.body), digest(&r.body));
    let file = dir.join("report-en.html");
    std::fs::write(&file, &a.body).unwrap();
    let expect = serde_json::json!({"hits": 1, "overlaps": 0, "rings": 2, "decision": "restricted", "lang": "en", "counties": []});
    browser_check(&file, &expect, &dir.join("report-en"));

    // Refusals.
    assert_eq!(get(addr, "/check/report?year=2025").status, 400);
    assert_eq!(
        get(addr, "/check/report?lon=120.8&lat=30.8&lang=fr").status,
        400
    );
    let two = format!(r#"{{"type":"FeatureCollection","features":[{ACROSS},{ACROSS}]}}"#);
    let r = post(addr, "/check/report", &two);
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("one_site_only"))
    );
}

#[test]
fn the_cli_writes_the_same_report() {
    let dir = root().join("target/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let site = dir.join("cli-site.geojson");
    std::fs::write(&site, ACROSS).unwrap();
    let out = dir.join("report-cli.html");
    let run = Command::new(env!("CARGO_BIN_EXE_ecospace"))
        .args([
            "check",
            "--year",
            "2025",
            "--type",
            "industrial",
            "--rings",
            "0,400,1000",
            "--data",
        ])
        .arg(fixture("rules"))
        .arg(&site)
        .arg("--report")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = std::fs::read_to_string(&out).unwrap();
    // Same request as the served one: same digest.
    let addr = app(
        ecospace::Dataset::from_dir(&fixture("rules")).unwrap(),
        Limits::default(),
    );
    let served = post(
        addr,
        "/check/report?year=2025&type=industrial&rings=0,400,1000",
        ACROSS,
    )
    .body;
    let digest = |s: &str| s.split("class=\"digest\">").nth(1).unwrap()[..16].to_string();
    assert_eq!(digest(&html), digest(&served));
    let expect = serde_json::json!({"hits": 2, "overlaps": 2, "rings": 2, "decision": "prohibited", "lang": "zh", "levels": [1, 2, 3], "counties": []});
    browser_check(&out, &expect, &dir.join("report-cli"));
}

/// The counties whose features meet a lon/lat box, asked of the collection.
fn counties_in(addr: Target, bbox: [f64; 4]) -> Vec<String> {
    let [w, s, e, n] = bbox;
    let near = get(
        addr,
        &format!("/collections/county/items?bbox={w},{s},{e},{n}&limit=100"),
    )
    .json();
    let mut names: Vec<String> = near["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// On the bundled Jiaxing data, with its context layers. A site on the 千亩荡 drinking-water
/// source, well inside 海盐县: the map shows the three protection levels apart, the land under
/// them and the county, named, with no boundary in view; the legend is what was drawn; the hit
/// table's heading prints on its table's page (page 1 ends near it in this report). A point on
/// the border of three counties: each named, the boundary drawn.
#[test]
fn the_bundled_report_draws_levels_and_context_layers() {
    let ds = ecospace::Dataset::bundled().unwrap();
    assert!(
        ds.manifest.layers.iter().any(|l| l.context) && ds.manifest.county_layer.is_some(),
        "the bundled manifest has context layers and a county layer"
    );
    let addr = app(ds, Limits::default());
    let dir = root().join("target/artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "report-jiaxing",
            r#"{"type":"Polygon","coordinates":[[[120.836,30.574],[120.842,30.574],[120.842,30.578],[120.836,30.578],[120.836,30.574]]]}"#,
            [120.839, 30.576],
            "rings=0,500,1000",
            serde_json::json!({"levels": [1, 2, 3], "boundary": false}),
        ),
        (
            "report-jiaxing-border",
            r#"{"type":"Point","coordinates":[120.9557,30.7789]}"#,
            [120.9557, 30.7789],
            "rings=0,500",
            serde_json::json!({"boundary": true}),
        ),
    ];
    for (name, site, [x, y], rings, mut expect) in cases {
        // The map spans under ±1.5 km: the counties there are those meeting a box of ±0.003°
        // and of ±0.03° alike (else the case is not clear-cut).
        let inner = counties_in(addr, [x - 0.003, y - 0.003, x + 0.003, y + 0.003]);
        let outer = counties_in(addr, [x - 0.03, y - 0.03, x + 0.03, y + 0.03]);
        assert!(
            !inner.is_empty() && inner == outer,
            "{name}: {inner:?} / {outer:?}"
        );
        let q = format!("year=2025&type=industrial&{rings}");
        let check = post(addr, &format!("/check?{q}"), site).json();
        let hits = check["hits"].as_array().unwrap();
        let overlaps = hits
            .iter()
            .filter(|h| h["overlap_area_m2"].as_f64().unwrap_or(0.0) > 0.0)
            .count();
        let r = post(addr, &format!("/check/report?{q}"), site);
        assert_eq!(r.status, 200, "{}", r.body);
        let file = dir.join(format!("{name}.html"));
        std::fs::write(&file, &r.body).unwrap();
        let e = expect.as_object_mut().unwrap();
        e.insert("hits".into(), hits.len().into());
        e.insert("overlaps".into(), overlaps.into());
        e.insert("rings".into(), (rings.split(',').count() - 1).into());
        e.insert("decision".into(), check["decision"].clone());
        e.insert("lang".into(), "zh".into());
        e.insert("counties".into(), inner.into());
        browser_check(&file, &expect, &dir.join(name));
    }
}

/// A site drawn on an Amap map: the report gives its extent in CGCS2000 lon/lat (where it was
/// checked) and in GCJ-02 as sent, so the printout can be laid on either map.
#[test]
fn a_gcj02_site_is_reported_with_both_extents() {
    let addr = serve(mini(), ecospace::Limits::default());
    let ring: Vec<[f64; 2]> = [
        (120.715, 30.705),
        (120.725, 30.705),
        (120.725, 30.715),
        (120.715, 30.715),
        (120.715, 30.705),
    ]
    .iter()
    .map(|&(x, y)| {
        let (gx, gy) = common::gcj02_forward(x, y);
        [gx, gy]
    })
    .collect();
    let body = serde_json::json!({"type": "Polygon", "coordinates": [ring]}).to_string();
    let r = post(addr, "/check/report?year=2025&lang=en&crs=GCJ02", &body);
    assert_eq!(r.status, 200, "{}", r.body);
    // GCJ-02 box as sent: the min/max of the offset corners, to 6 decimals.
    let (gx0, gy0) = (ring[0][0].min(ring[3][0]), ring[0][1].min(ring[1][1]));
    let gcj = format!("{gx0:.6}, {gy0:.6}");
    assert!(r.body.contains("Extent (GCJ02)"), "no GCJ-02 extent");
    assert!(
        r.body.contains(&gcj),
        "GCJ-02 corner {gcj} not in the report"
    );
    // Lon/lat box: the corners it was drawn from, recovered by the inverse (to < 1e-6°).
    assert!(
        r.body.contains("120.715000, 30.705000"),
        "lon/lat corner not in the report"
    );
}
