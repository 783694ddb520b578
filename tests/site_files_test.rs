//! Sites as planners have them (#17): the same boundary as a DXF drawing in CGCS2000
//! Gauss-Krüger metres, a zipped Shapefile, KML, KMZ and a GeoPackage — each made here from the
//! GeoJSON with GDAL's own ogr2ogr — gets the answer the GeoJSON gets, on the `mini` fixture
//! (zone A 120.70–120.72 × 30.70–30.72); a DXF with no closed polyline is a clear 422.
#![cfg(feature = "gdal")]
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;

use common::{app, mini, request, Target};
use ecospace::Limits;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn server() -> Target {
    app(mini(), Limits::default())
}

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ecospace-sitefiles-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Astride zone A's east edge (120.72): half of it in A.
const SITE: &str = r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"S1","properties":{"name":"地块"},"geometry":{"type":"Polygon","coordinates":[[[120.715,30.705],[120.725,30.705],[120.725,30.715],[120.715,30.715],[120.715,30.705]]]}}]}"#;

fn ogr2ogr(args: &[&str]) {
    let out = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr (gdal-bin)");
    assert!(
        out.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Zips `files` (by name, in `d`) into `d/name` with Python's zipfile.
fn zip(d: &Path, name: &str, files: &[&str]) -> PathBuf {
    let script = format!(
        "import zipfile,sys\nwith zipfile.ZipFile({:?},'w') as z:\n    for f in sys.argv[1:]:\n        z.write(f, f.split('/')[-1])\n",
        d.join(name).display().to_string()
    );
    let mut cmd = common::python();
    cmd.args(["-c", &script]);
    for f in files {
        cmd.arg(d.join(f));
    }
    assert!(cmd.status().unwrap().success());
    d.join(name)
}

fn overlap(v: &Value) -> f64 {
    let r = if v.get("results").is_some() {
        &v["results"][0]
    } else {
        v
    };
    r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "A")
        .unwrap_or_else(|| panic!("no hit A in {r}"))["overlap_ratio"]
        .as_f64()
        .unwrap()
}

fn area(v: &Value) -> f64 {
    let r = if v.get("results").is_some() {
        &v["results"][0]
    } else {
        v
    };
    r["site"]["area_m2"].as_f64().unwrap()
}

fn check(path: &str, body: &[u8]) -> Value {
    let r = request(server(), "POST", path, body);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.json()
}

#[test]
fn every_format_gets_the_answer_of_the_geojson() {
    let d = dir("all");
    let src = d.join("site.geojson");
    std::fs::write(&src, SITE).unwrap();
    let want = check("/check?year=2025", SITE.as_bytes());
    assert!((overlap(&want) - 0.5).abs() < 1e-3);
    let s = src.to_str().unwrap();
    let p = |f: &str| d.join(f).to_str().unwrap().to_string();
    ogr2ogr(&["-f", "DXF", "-t_srs", "EPSG:4549", &p("site.dxf"), s]);
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-t_srs",
        "EPSG:4549",
        &p("site.shp"),
        s,
    ]);
    ogr2ogr(&["-f", "KML", &p("doc.kml"), s]);
    ogr2ogr(&["-f", "GPKG", "-t_srs", "EPSG:4490", &p("site.gpkg"), s]);
    let shz = zip(
        &d,
        "site.zip",
        &["site.shp", "site.shx", "site.dbf", "site.prj"],
    );
    let kmz = zip(&d, "site.kmz", &["doc.kml"]);
    let read = |f: &Path| std::fs::read(f).unwrap();
    for (what, query, body) in [
        (
            "DXF in EPSG:4549",
            "crs=EPSG:4549",
            read(&d.join("site.dxf")),
        ),
        ("zipped Shapefile (.prj EPSG:4549)", "", read(&shz)),
        ("KML", "", read(&d.join("doc.kml"))),
        ("KMZ", "", read(&kmz)),
        ("GeoPackage in EPSG:4490", "", read(&d.join("site.gpkg"))),
    ] {
        let got = check(&format!("/check?year=2025&{query}"), &body);
        assert!(
            (overlap(&got) - overlap(&want)).abs() < 1e-6,
            "{what}: overlap {} vs {}",
            overlap(&got),
            overlap(&want)
        );
        assert!(
            (area(&got) / area(&want) - 1.0).abs() < 1e-6,
            "{what}: area {} vs {}",
            area(&got),
            area(&want)
        );
        // The batch and the report take it too.
        let r = request(
            server(),
            "POST",
            &format!("/check/batch?year=2025&{query}"),
            &body,
        );
        assert_eq!(r.status, 200, "{what}: {}", r.body);
        let row: Value = serde_json::from_str(r.body.lines().next().unwrap()).unwrap();
        assert!(
            (area(&row["result"]) / area(&want) - 1.0).abs() < 1e-6,
            "{what} batch: {row}"
        );
        let r = request(
            server(),
            "POST",
            &format!("/check/report?year=2025&{query}"),
            &body,
        );
        assert_eq!(
            r.status,
            200,
            "{what} report: {}",
            &r.body[..r.body.len().min(300)]
        );
    }
    // The DXF without its CRS: Gauss-Krüger metres are no lon/lat, and the answer says which
    // crs to send.
    let r = request(server(), "POST", "/check", &read(&d.join("site.dxf")));
    assert!((400..500).contains(&r.status), "{}", r.body);
    assert!(r.body.contains("EPSG:4549"), "{}", r.body);
    // The command line reads the drawing too.
    let out = Command::new(env!("CARGO_BIN_EXE_ecospace"))
        .args(["check", "--data"])
        .arg(common::fixture("mini"))
        .args(["--year", "2025", "--crs", "EPSG:4549", "--json"])
        .arg(d.join("site.dxf"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((overlap(&cli) - overlap(&want)).abs() < 1e-6);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_drawing_without_a_closed_polyline_is_a_422_that_says_so() {
    let d = dir("open");
    let line = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[120.715,30.705],[120.725,30.705],[120.725,30.715]]}}]}"#;
    std::fs::write(d.join("line.geojson"), line).unwrap();
    ogr2ogr(&[
        "-f",
        "DXF",
        d.join("line.dxf").to_str().unwrap(),
        d.join("line.geojson").to_str().unwrap(),
    ]);
    let r = request(
        server(),
        "POST",
        "/check",
        &std::fs::read(d.join("line.dxf")).unwrap(),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let e = r.json();
    assert_eq!(e["error"], "invalid_site_file");
    assert!(
        e["message"].as_str().unwrap().contains("closed polyline"),
        "{e}"
    );
    // A truncated GeoPackage is refused the same way, not a 5xx.
    let mut gpkg = b"SQLite format 3\0".to_vec();
    gpkg.extend([0u8; 100]);
    let r = request(server(), "POST", "/check", &gpkg);
    assert_eq!(r.status, 422, "{}", r.body);
    let _ = std::fs::remove_dir_all(&d);
}
