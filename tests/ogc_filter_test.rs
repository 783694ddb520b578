//! OGC API – Features Part 3 (filtering): every cql2-text filter of tests/data/cql2_cases.txt
//! selects, from the bundled red line, exactly the features pygeofilter (an independent CQL2
//! implementation, over the layer file and shapely) selects; cql2-json gives what cql2-text
//! gives; the queryables say what a filter may name, typed as the data is; bad filters are 400s
//! naming the position; and GDAL's OAPIF driver filters through the service.

#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;

use common::{app, get, serve, Target};
use ecospace::{Dataset, Limits};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

fn bundled() -> Target {
    static T: OnceLock<Target> = OnceLock::new();
    *T.get_or_init(|| app(Dataset::bundled().unwrap(), Limits::default()))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn ids(t: Target, collection: &str, query: &str) -> Vec<String> {
    let r = get(
        t,
        &format!("/collections/{collection}/items?limit=10000&{query}"),
    );
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    let doc = r.json();
    let out: Vec<String> = doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(doc["numberMatched"], out.len());
    out
}

#[test]
fn every_case_selects_what_pygeofilter_selects() {
    let cases = root().join("tests/data/cql2_cases.txt");
    let out = common::stdout_of(
        common::python()
            .arg(root().join("tests/tools/cql2_pygeofilter.py"))
            .arg(&cases)
            .arg(root().join("data/jiaxing/redline.geojson")),
    );
    let want: BTreeMap<String, Vec<String>> = serde_json::from_str(&out).unwrap();
    assert!(want.len() >= 40, "only {} cases", want.len());
    let (mut some, mut all) = (0, 0);
    for (filter, expected) in &want {
        let got = ids(bundled(), "redline", &format!("filter={}", enc(filter)));
        assert_eq!(&got, expected, "filter {filter:?}");
        some += usize::from(!got.is_empty() && got.len() < 12);
        all += usize::from(got.len() == 12);
    }
    // The cases discriminate: most select a proper subset.
    assert!(
        some * 3 >= want.len() * 2,
        "{some} of {} select a proper subset",
        want.len()
    );
    assert!(all <= 3, "{all} cases select everything");
}

#[test]
fn cql2_json_selects_what_the_same_text_selects() {
    for (text, json) in [
        (
            "county = '330402'",
            r#"{"op":"=","args":[{"property":"county"},"330402"]}"#,
        ),
        (
            "county IN ('330421', '330483') AND NOT name LIKE '%湖%'",
            r#"{"op":"and","args":[{"op":"in","args":[{"property":"county"},["330421","330483"]]},{"op":"not","args":[{"op":"like","args":[{"property":"name"},"%湖%"]}]}]}"#,
        ),
        (
            "S_INTERSECTS(geometry, BBOX(120.6, 30.6, 120.9, 30.9))",
            r#"{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[120.6,30.6,120.9,30.9]}]}"#,
        ),
    ] {
        let a = ids(bundled(), "redline", &format!("filter={}", enc(text)));
        let b = ids(
            bundled(),
            "redline",
            &format!("filter={}&filter-lang=cql2-json", enc(json)),
        );
        assert_eq!(a, b, "{text}");
        assert!(!a.is_empty() && a.len() < 12, "{text}: {a:?}");
    }
    // A filter combines with bbox, time and paging; next links carry it.
    let r = get(
        bundled(),
        &format!(
            "/collections/redline/items?limit=1&filter={}",
            enc("name LIKE '%红线%'")
        ),
    )
    .json();
    let next = r["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(next.contains("filter="), "{next}");
}

#[test]
fn queryables_are_typed_as_the_data_is() {
    let r = get(bundled(), "/collections/redline/queryables");
    assert_eq!(r.status, 200);
    assert!(r.headers.contains("application/schema+json"));
    let q = r.json();
    let p = &q["properties"];
    assert_eq!(p["name"]["type"], "string");
    assert_eq!(p["county"]["type"], "string");
    assert_eq!(p["id"]["x-ogc-role"], "id");
    assert_eq!(p["valid_from"]["type"], "integer");
    assert_eq!(p["geometry"]["format"], "geometry-multipolygon");
    assert_eq!(q["additionalProperties"], false);
    // The shoreline's `class` is text; its geometry lines.
    let s = get(bundled(), "/collections/shoreline/schema").json();
    assert_eq!(s["properties"]["class"]["type"], "string");
    assert_eq!(s["properties"]["geometry"]["format"], "geometry-linestring");
    // Conformance says so.
    let c = get(bundled(), "/conformance").json()["conformsTo"].to_string();
    for class in [
        "ogcapi-features-3/1.0/conf/filter",
        "ogcapi-features-3/1.0/conf/features-filter",
        "ogcapi-features-3/1.0/conf/queryables",
        "cql2/1.0/conf/cql2-text",
        "cql2/1.0/conf/basic-cql2",
    ] {
        assert!(c.contains(class), "{class}");
    }
}

#[test]
fn bad_filters_are_400s_naming_the_position() {
    for (filter, code, at) in [
        ("cuonty = '330402'", "unknown_property", "character 1"),
        (
            "county = '330402' AND (name = 'x'",
            "invalid_filter",
            "character",
        ),
        ("county = 330402", "invalid_filter", "character"),
        (
            "S_INTERSECTS(geometry, POLYGON((1 2, 3 4)))",
            "invalid_filter",
            "character",
        ),
    ] {
        let r = get(
            bundled(),
            &format!("/collections/redline/items?filter={}", enc(filter)),
        );
        assert_eq!(r.status, 400, "{filter}: {}", r.body);
        let e = r.json();
        assert_eq!(e["error"], code, "{filter}: {e}");
        assert!(e["message"].as_str().unwrap().contains(at), "{filter}: {e}");
    }
    for q in [
        "filter-lang=cql2-text",
        "filter=county%3D'1'&filter-lang=ecql",
        "filter=county%3D'1'&filter-crs=EPSG:4326",
    ] {
        assert_eq!(
            get(bundled(), &format!("/collections/redline/items?{q}")).status,
            400,
            "{q}"
        );
    }
}

fn ogrinfo(args: &[&str]) -> String {
    let out = std::process::Command::new("ogrinfo")
        .args(args)
        .output()
        .expect("ogrinfo (gdal-bin): run scripts/setup.sh");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ogrinfo {args:?}:\n{text}");
    text
}

fn feature_count(text: &str) -> usize {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Feature Count:"))
        .unwrap_or_else(|| panic!("no count in\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn gdal_filters_by_attribute_on_the_server_and_by_space_as_the_file_says() {
    let addr = serve(Dataset::bundled().unwrap(), Limits::default());
    let url = format!("OAPIF:http://{addr}");
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("data/jiaxing/redline.geojson")).unwrap(),
    )
    .unwrap();
    let feats = file["features"].as_array().unwrap();
    let prop = |f: &Value, k: &str| f["properties"][k].as_str().unwrap_or("").to_string();
    let cases: Vec<(&str, usize)> = vec![
        (
            "county = '330421'",
            feats
                .iter()
                .filter(|f| prop(f, "county") == "330421")
                .count(),
        ),
        (
            "county = '330421' OR name LIKE '%湖%'",
            feats
                .iter()
                .filter(|f| prop(f, "county") == "330421" || prop(f, "name").contains('湖'))
                .count(),
        ),
        (
            "NOT (county = '330402') AND county < '330424'",
            feats
                .iter()
                .filter(|f| prop(f, "county") != "330402" && prop(f, "county").as_str() < "330424")
                .count(),
        ),
        ("county IS NULL", 0),
    ];
    for (filter, want) in cases {
        // GDAL 3.6 sends what it can as `filter=…&filter-lang=cql-text` (its debug log says
        // which URL it fetched); the count is the file's.
        let got = ogrinfo(&[
            "--debug", "on", "-ro", "-so", &url, "redline", "-where", filter,
        ]);
        assert_eq!(feature_count(&got), want, "{filter}");
        assert!(
            got.contains("filter-lang=cql-text") && !got.contains("evaluated on client side"),
            "{filter}: GDAL did not send the filter to the server:\n{got}"
        );
    }
    // -spat: what the service's own bbox answer counts (checked against shapely in ogc_test).
    let spat = ids(bundled(), "redline", "bbox=120.6,30.6,120.9,30.9").len();
    let got = ogrinfo(&[
        "-ro", "-so", &url, "redline", "-spat", "120.6", "30.6", "120.9", "30.9",
    ]);
    assert_eq!(feature_count(&got), spat);
}
