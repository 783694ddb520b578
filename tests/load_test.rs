//! Loading: a bad file is refused whole, with the file, the feature and the problem named.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::Dataset;
use std::path::PathBuf;

/// A copy of the `mini` fixture in a fresh temp folder, with `file` replaced by `text`.
fn mini_with(tag: &str, file: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ecospace-load-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for e in std::fs::read_dir(fixture("mini")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::write(dir.join(file), text).unwrap();
    dir
}

fn load_err(tag: &str, file: &str, text: &str) -> String {
    let dir = mini_with(tag, file, text);
    let e = Dataset::from_dir(&dir)
        .expect_err("must refuse")
        .to_string();
    let _ = std::fs::remove_dir_all(&dir);
    e
}

fn zone(features: &str) -> String {
    format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#)
}

const OK: &str = r#"{"type":"Feature","id":"A","properties":{"name":"A"},"geometry":{"type":"Polygon","coordinates":[[[120.70,30.70],[120.72,30.70],[120.72,30.72],[120.70,30.72],[120.70,30.70]]]}}"#;

#[test]
fn the_fixture_loads_and_counts() {
    let ds = mini();
    assert_eq!(ds.layer_ids(), vec!["zone", "coast", "bank"]);
    assert_eq!(ds.feature_count(), 5);
    assert_eq!(ds.version.len(), 16);
}

#[test]
fn each_problem_is_named_with_file_and_feature() {
    let cases = [
        (
            "json",
            "zone.geojson",
            "{\"type\":".to_string(),
            vec!["zone.geojson", "not valid JSON"],
        ),
        (
            "fc",
            "zone.geojson",
            r#"{"type":"Feature"}"#.to_string(),
            vec!["zone.geojson", "expected a GeoJSON FeatureCollection"],
        ),
        (
            "unclosed",
            "zone.geojson",
            zone(&format!(
                "{OK},{}",
                OK.replace("\"A\"", "\"Z\"")
                    .replace(",[120.70,30.70]]]", "]]")
            )),
            vec!["zone.geojson: feature 1 (id \"Z\")", "not closed"],
        ),
        (
            "bowtie",
            "zone.geojson",
            zone(&OK.replace(
                "[120.72,30.70],[120.72,30.72]",
                "[120.72,30.72],[120.72,30.70]",
            )),
            vec![
                "feature 0 (id \"A\")",
                "intersects itself near [120.71, 30.71]",
            ],
        ),
        (
            "range",
            "zone.geojson",
            zone(&OK.replace("[120.72,30.70]", "[120.72,95.0]")),
            vec!["out of range"],
        ),
        (
            "nan",
            "zone.geojson",
            zone(&OK.replace("[120.72,30.70]", "[120.72,1e999]")),
            vec!["not valid JSON"],
        ),
        (
            "projected",
            "zone.geojson",
            zone(&OK.replace("[120.72,30.70]", "[576600,3386000]")),
            vec!["looks projected"],
        ),
        (
            "dup",
            "zone.geojson",
            zone(&format!("{OK},{OK}")),
            vec!["feature 1 (id \"A\")", "duplicate id"],
        ),
        (
            "noid",
            "zone.geojson",
            zone(&OK.replace(r#""id":"A","#, "")),
            vec!["feature 0:", "missing a string `id`"],
        ),
        (
            "kind",
            "coast.geojson",
            zone(OK),
            vec!["coast.geojson: feature 0", "line layer holds LineString"],
        ),
        (
            "years",
            "zone.geojson",
            zone(&OK.replace(
                r#""name":"A""#,
                r#""name":"A","valid_from":2025,"valid_to":2020"#,
            )),
            vec!["valid_from 2025 must be before valid_to 2020"],
        ),
        (
            "hole",
            "zone.geojson",
            zone(&OK.replace(
                "[120.70,30.70]]]",
                "[120.70,30.70]],[[121.0,31.0],[121.1,31.0],[121.1,31.1],[121.0,31.0]]]",
            )),
            vec!["feature 0 (id \"A\")", "invalid"],
        ),
        (
            "manifest",
            "layers.toml",
            "id = \"x\"\n".to_string(),
            vec!["layers.toml", "missing field"],
        ),
        (
            "missingfile",
            "layers.toml",
            std::fs::read_to_string(fixture("mini/layers.toml"))
                .unwrap()
                .replace("bank.geojson", "gone.geojson"),
            vec!["gone.geojson", "cannot read"],
        ),
    ];
    for (tag, file, text, wants) in cases {
        let e = load_err(tag, file, &text);
        for w in wants {
            assert!(e.contains(w), "{tag}: {e:?} lacks {w:?}");
        }
    }
}

#[test]
fn a_missing_folder_says_which_manifest() {
    let e = Dataset::from_dir(std::path::Path::new("/nonexistent/ecospace"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/ecospace/layers.toml"), "{e}");
}
