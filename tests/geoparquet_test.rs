//! `check --batch --format geoparquet`, read back by independent readers (pyarrow for the
//! table and its `geo` metadata, shapely for the WKB) and compared with the NDJSON output of the
//! same batch.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ecospace-gpq-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ecospace(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ecospace"))
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read_back(file: &Path, sites: Option<&Path>) -> Value {
    let mut c = common::python();
    c.arg(fixture("../tools/read_geoparquet.py")).arg(file);
    if let Some(g) = sites {
        c.arg(g);
    }
    let out = c.output().expect("python3 runs");
    assert!(
        out.status.success(),
        "reader failed (run scripts/setup.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ndjson(args: &[&str]) -> Vec<Value> {
    let out = ecospace(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn key_projects_match_the_ndjson_rows_and_geometries() {
    let dir = tmp("key");
    let sites =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/jiaxing/samples/key_projects.geojson");
    let file = dir.join("key.parquet");
    let base = ["check", "--year", "2025", "--batch", s(&sites)];
    let out = ecospace(&[&base[..], &["--format", "geoparquet", "--out", s(&file)]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = read_back(&file, Some(&sites));
    let expected = ndjson(&[&base[..], &["--format", "ndjson"]].concat());

    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 24);
    assert_eq!(rows.len(), expected.len());
    for (r, e) in rows.iter().zip(&expected) {
        assert_eq!(r["index"], e["index"]);
        assert_eq!(r["id"], e["id"]);
        assert_eq!(r["name"], e["name"]);
        assert_eq!(r["type"], e["type"]);
        let res = &e["result"];
        assert_eq!(r["verdict"], res["verdict"], "{}", e["id"]);
        assert_eq!(r["decision"], res["decision"], "{}", e["id"]);
        assert_eq!(
            r["hit_count"].as_u64(),
            Some(res["hits"].as_array().unwrap().len() as u64)
        );
        let hits: Value = serde_json::from_str(r["hits"].as_str().unwrap()).unwrap();
        assert_eq!(hits, res["hits"], "{}", e["id"]);
        assert_eq!(r["site_area_m2"], res["site"]["area_m2"]);
        assert_eq!(
            r["equals"], true,
            "{}: WKB decodes to another geometry",
            e["id"]
        );
        assert!(r["error"].is_null());
    }
    assert!(rows.iter().any(|r| r["verdict"] == "conflict"));

    // The `geo` metadata, checked against the input read as plain JSON.
    let geojson: Value = serde_json::from_slice(&std::fs::read(&sites).unwrap()).unwrap();
    let mut types: Vec<&str> = geojson["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["geometry"]["type"].as_str().unwrap())
        .collect();
    types.sort();
    types.dedup();
    let geo = &v["geo"];
    assert_eq!(geo["version"], "1.1.0");
    assert_eq!(geo["primary_column"], "geometry");
    let col = &geo["columns"]["geometry"];
    assert_eq!(col["encoding"], "WKB");
    assert_eq!(col["geometry_types"], serde_json::json!(types));
    assert!(col.get("crs").is_none(), "crs omitted: OGC:CRS84");
    let bbox = col["bbox"].as_array().unwrap();
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    fn walk(v: &Value, b: &mut [f64; 4]) {
        match v {
            Value::Array(a) if a.len() >= 2 && a[0].is_number() => {
                let (x, y) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
                *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, b)),
            _ => {}
        }
    }
    for f in geojson["features"].as_array().unwrap() {
        walk(&f["geometry"]["coordinates"], &mut b);
    }
    for i in 0..4 {
        assert_eq!(bbox[i].as_f64().unwrap(), b[i], "bbox[{i}]");
    }
    assert_eq!(v["schema"]["geometry"], "binary");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_csv_with_bad_rows_keeps_them_as_error_rows() {
    let dir = tmp("csv");
    let csv = dir.join("sites.csv");
    std::fs::write(
        &csv,
        "id,lon,lat\np1,120.71,30.71\np2,abc,30.7\np3,120.805,30.705\np4,121.5,31.5\n",
    )
    .unwrap();
    let file = dir.join("out.parquet");
    let mini = fixture("mini");
    let base = [
        "check",
        "--year",
        "2025",
        "--data",
        s(&mini),
        "--batch",
        s(&csv),
    ];
    let out = ecospace(&[&base[..], &["--format", "geoparquet", "--out", s(&file)]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = read_back(&file, None);
    let expected = ndjson(&base);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for (r, e) in rows.iter().zip(&expected) {
        assert_eq!(r["id"], e["id"]);
        assert_eq!(r["verdict"], e["result"]["verdict"]);
        assert_eq!(r["error"], e["error"]["error"]);
        assert_eq!(r["error_message"], e["error"]["message"]);
    }
    assert_eq!(rows[0]["verdict"], "conflict");
    assert_eq!(rows[0]["geometry_wkt"], "POINT (120.71 30.71)");
    assert!(rows[1]["geometry_wkt"].is_null() && !rows[1]["error"].is_null());
    assert!(rows[1]["verdict"].is_null() && rows[1]["hit_count"].is_null());
    assert_eq!(rows[3]["verdict"], "clear");
    assert_eq!(rows[3]["hit_count"], 0);
    assert_eq!(
        v["geo"]["columns"]["geometry"]["geometry_types"],
        serde_json::json!(["Point"])
    );
    assert_eq!(
        v["geo"]["columns"]["geometry"]["bbox"],
        serde_json::json!([120.71, 30.705, 121.5, 31.5])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn geoparquet_without_an_output_file_is_a_clear_error() {
    let sites = fixture("site_in_a.geojson");
    let out = ecospace(&["check", "--batch", s(&sites), "--format", "geoparquet"]);
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("--format geoparquet writes a binary file"),
        "{e}"
    );
    assert!(!e.contains("panicked"), "{e}");
}
