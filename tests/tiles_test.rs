//! Vector tiles decoded by an independent decoder (Python `mapbox-vector-tile`), checked to land
//! where the source features are; TileJSON, caching headers and errors.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::Limits;
use serde_json::Value;
use std::sync::OnceLock;

fn addr() -> Target {
    static ADDR: OnceLock<Target> = OnceLock::new();
    *ADDR.get_or_init(|| app(mini(), Limits::default()))
}

/// XYZ tile containing lon/lat at zoom z (standard slippy-map formula).
fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let lat = lat.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

/// Tile units (y down) → lon/lat, by the inverse slippy-map formula.
fn to_lonlat(z: u32, x: u32, y: u32, px: f64, py: f64, extent: f64) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let fx = (f64::from(x) + px / extent) / n;
    let fy = (f64::from(y) + py / extent) / n;
    let lon = fx * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * fy))
        .sinh()
        .atan()
        .to_degrees();
    (lon, lat)
}

/// Fetches and decodes a tile; `None` for 204.
fn decoded(path: &str) -> Option<Value> {
    let r = get(addr(), path);
    if r.status == 204 {
        return None;
    }
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    // The body may hold non-UTF-8 bytes: fetch raw for the decoder.
    let bytes = raw_body(path);
    let file = std::env::temp_dir().join(format!(
        "ecospace-tile-{}-{}.mvt",
        std::process::id(),
        path.replace(['/', '?', '=', ','], "_")
    ));
    std::fs::write(&file, bytes).unwrap();
    let out = common::python()
        .arg(fixture("../tools/decode_mvt.py"))
        .arg(&file)
        .output()
        .expect("python3 runs");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "decoder failed (run scripts/setup.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn raw_body(path: &str) -> Vec<u8> {
    get(addr(), path).bytes
}

fn ring(f: &Value) -> Vec<(f64, f64)> {
    let c = match f["type"].as_str().unwrap() {
        "Polygon" => &f["coordinates"][0],
        "MultiPolygon" => &f["coordinates"][0][0],
        t => panic!("{t}"),
    };
    c.as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect()
}

#[test]
fn a_zone_lands_where_it_is_at_several_zooms() {
    for z in [8u32, 10, 12] {
        let (x, y) = tile_of(120.71, 30.71, z);
        let t = decoded(&format!("/tiles/zone/{z}/{x}/{y}.mvt?year=2019")).expect("not empty");
        let layer = &t["zone"];
        let extent = layer["extent"].as_f64().unwrap();
        assert_eq!(extent, 4096.0);
        let a = layer["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["id"] == "A")
            .expect("A in tile");
        assert_eq!(a["properties"]["name"], "方块A");
        assert_eq!(a["properties"]["county"], "330402");
        // Every vertex is one of A's corners, to within a tile unit (plus snapping).
        let unit = 360.0 / f64::from(1u32 << z) / extent;
        for (px, py) in ring(a) {
            let (lon, lat) = to_lonlat(z, x, y, px, py, extent);
            let near =
                |v: f64, targets: [f64; 2]| targets.iter().any(|t| (v - t).abs() <= 1.5 * unit);
            assert!(
                near(lon, [120.70, 120.72]) && near(lat, [30.70, 30.72]),
                "z{z}: ({lon}, {lat}) is not a corner of A"
            );
        }
        assert!(
            layer["features"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["properties"]["id"] != "B"),
            "B starts in 2020"
        );
    }
}

#[test]
fn a_tile_cut_by_the_zone_edge_holds_only_the_inside_part() {
    // z15 tile around A's west edge (lon 120.70): A covers its east part only.
    let z = 15;
    let (x, y) = tile_of(120.70, 30.71, z);
    let t = decoded(&format!("/tiles/zone/{z}/{x}/{y}.mvt?year=2019")).unwrap();
    let a = &t["zone"]["features"][0];
    let extent = 4096.0;
    let (west_px, _) = {
        // Where lon 120.70 falls in this tile, in tile units.
        let n = f64::from(1u32 << z);
        (((120.70 + 180.0) / 360.0 * n - f64::from(x)) * extent, 0.0)
    };
    let xs: Vec<f64> = ring(a).iter().map(|p| p.0).collect();
    let min_x = xs.iter().cloned().fold(f64::INFINITY, f64::min);
    let max_x = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    assert!(
        (min_x - west_px.round()).abs() <= 1.0,
        "west side at A's edge: {min_x} vs {west_px}"
    );
    assert_eq!(max_x, extent + 64.0, "clipped at the buffer");
    assert!(west_px > 0.0 && west_px < extent);
}

#[test]
fn a_tile_wholly_inside_the_zone_is_the_buffered_square() {
    let z = 16;
    let (x, y) = tile_of(120.71, 30.71, z);
    let t = decoded(&format!("/tiles/zone/{z}/{x}/{y}.mvt?year=2019")).unwrap();
    let mut r = ring(&t["zone"]["features"][0]);
    r.sort_by(|a, b| a.partial_cmp(b).unwrap());
    r.dedup();
    assert_eq!(
        r,
        vec![
            (-64.0, -64.0),
            (-64.0, 4160.0),
            (4160.0, -64.0),
            (4160.0, 4160.0)
        ]
    );
}

#[test]
fn shoreline_lines_keep_their_class_and_place() {
    let z = 13;
    let (x, y) = tile_of(120.75, 30.71, z);
    let t = decoded(&format!("/tiles/zone,coast/{z}/{x}/{y}.mvt?year=2025")).unwrap();
    let coast = t["coast"]["features"].as_array().unwrap();
    let n1 = coast
        .iter()
        .find(|f| f["properties"]["id"] == "N1")
        .unwrap();
    assert_eq!(n1["properties"]["class"], "natural");
    assert_eq!(n1["type"], "LineString");
    for p in n1["coordinates"].as_array().unwrap() {
        let (lon, _) = to_lonlat(
            z,
            x,
            y,
            p[0].as_f64().unwrap(),
            p[1].as_f64().unwrap(),
            4096.0,
        );
        assert!(
            (lon - 120.75).abs() < 360.0 / f64::from(1u32 << z) / 4096.0 * 1.5,
            "{lon}"
        );
    }
    assert!(t.get("zone").is_some(), "one MVT layer per source layer");
}

#[test]
fn empty_tiles_are_204_and_years_change_content() {
    assert_eq!(get(addr(), "/tiles/zone/10/0/0.mvt").status, 204);
    let (x, y) = tile_of(120.805, 30.705, 14);
    assert!(decoded(&format!("/tiles/zone/14/{x}/{y}.mvt?year=2019")).is_none());
    let t = decoded(&format!("/tiles/zone/14/{x}/{y}.mvt?year=2020")).unwrap();
    assert_eq!(t["zone"]["features"][0]["properties"]["id"], "B");
}

#[test]
fn etag_304_gzip_and_cache_headers() {
    let (x, y) = tile_of(120.71, 30.71, 12);
    let path = format!("/tiles/zone/12/{x}/{y}.mvt?year=2019");
    let r = get(addr(), &path);
    let head = r.headers.to_ascii_lowercase();
    assert!(
        head.contains("content-type: application/vnd.mapbox-vector-tile")
            && head.contains("cache-control: public"),
        "{head}"
    );
    let etag = r
        .headers
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("etag:")
                .then(|| l[5..].trim().to_string())
        })
        .unwrap();
    let r = head_with(&path, &format!("If-None-Match: {etag}"));
    assert!(r.starts_with("HTTP/1.1 304"), "{r}");
    let r = head_with(&path, "Accept-Encoding: gzip, br");
    assert!(
        r.to_ascii_lowercase().contains("content-encoding: gzip"),
        "{r}"
    );
}

/// The head of the answer to `path` with one extra `Name: value` header.
fn head_with(path: &str, header: &str) -> String {
    let (k, v) = header.split_once(": ").unwrap_or((header, ""));
    common::request_with(addr(), "GET", path, &[(k, v)], b"").headers
}

#[test]
fn tilejson_has_absolute_urls_fields_and_a_data_version() {
    let v = get(addr(), "/tiles/zone,coast.json?year=2020").json();
    assert_eq!(v["tilejson"], "3.0.0");
    let url = v["tiles"][0].as_str().unwrap();
    assert_eq!(
        url,
        format!(
            "http://{}/tiles/zone,coast/{{z}}/{{x}}/{{y}}.mvt?year=2020",
            addr()
        )
    );
    assert_eq!(v["vector_layers"][1]["id"], "coast");
    assert!(v["vector_layers"][1]["fields"]["class"].is_string());
    assert_eq!(
        v["bounds"],
        serde_json::json!([120.70, 30.70, 120.81, 30.72])
    );
    let version = v["version"].as_str().unwrap();
    assert!(
        version.starts_with("1.0.0+") && version.ends_with(&mini().version),
        "{version}"
    );
    assert_eq!(get(addr(), "/tiles/zone").json()["tilejson"], "3.0.0");
    let cat = get(addr(), "/catalog").json();
    assert_eq!(cat["sources"].as_array().unwrap().len(), 4);
}

#[test]
fn bad_tile_requests_are_4xx() {
    for (path, status) in [
        ("/tiles/zone/19/0/0.mvt", 400),
        ("/tiles/zone/2/4/0.mvt", 400),
        ("/tiles/zone/a/0/0.mvt", 400),
        ("/tiles/nope/1/0/0.mvt", 400),
        ("/tiles/zone/1/0/0.png", 404),
        ("/tiles/zone/1/0/0.mvt?year=20", 400),
        ("/tiles/,/1/0/0.mvt", 400),
    ] {
        let r = get(addr(), path);
        assert_eq!(r.status, status, "{path}: {}", r.body);
        assert!(r.json()["error"].is_string());
    }
}

/// QGIS's xyz vector-tile URIs are often written without `.mvt`: the bare path is the same
/// tile, decoded to the same features (it was a 404 and a silent blank layer).
#[test]
fn a_tile_path_without_an_extension_is_the_same_tile() {
    let (x, y) = tile_of(120.71, 30.71, 10);
    let with = decoded(&format!("/tiles/zone/10/{x}/{y}.mvt?year=2019")).expect("not empty");
    let bare = decoded(&format!("/tiles/zone/10/{x}/{y}?year=2019")).expect("not empty");
    assert_eq!(bare, with);
    assert!(with["zone"]["features"]
        .as_array()
        .is_some_and(|f| !f.is_empty()));
    let r = get(addr(), "/tiles/zone/10/1/abc");
    assert_eq!(r.status, 400, "a row that is not a number is still refused");
}

#[test]
fn gcj02_tiles_put_the_zone_where_an_amap_base_map_draws_it() {
    let z = 12u32;
    let corners: Vec<(f64, f64)> = [
        (120.70, 30.70),
        (120.72, 30.70),
        (120.72, 30.72),
        (120.70, 30.72),
    ]
    .iter()
    .map(|&(x, y)| common::gcj02_forward(x, y))
    .collect();
    let (x, y) = tile_of(corners[0].0 + 0.01, corners[0].1 + 0.01, z);
    let t = decoded(&format!("/tiles/zone/{z}/{x}/{y}?year=2019&crs=GCJ02")).expect("not empty");
    let layer = &t["zone"];
    let extent = layer["extent"].as_f64().unwrap();
    let a = layer["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["id"] == "A")
        .expect("A in tile");
    let unit = 360.0 / f64::from(1u32 << z) / extent;
    for (px, py) in ring(a) {
        let (lon, lat) = to_lonlat(z, x, y, px, py, extent);
        // Each vertex is a GCJ-02 corner of A; the offset varies across A by far less than a
        // unit, and the lon/lat corners are ~0.005° away (over 40 units at this zoom).
        assert!(
            corners
                .iter()
                .any(|c| (lon - c.0).abs() <= 1.5 * unit && (lat - c.1).abs() <= 1.5 * unit),
            "({lon}, {lat}) is not a GCJ-02 corner of A"
        );
    }
    assert!((corners[0].0 - 120.70).abs() > 40.0 * unit);
    // The TileJSON for an Amap map carries the parameter into its URL template.
    let tj = get(addr(), "/tiles/zone?crs=GCJ02").json();
    assert!(tj["tiles"][0]
        .as_str()
        .unwrap()
        .ends_with("{z}/{x}/{y}.mvt?crs=GCJ02"));
    assert_eq!(get(addr(), "/tiles/zone/12/0/0?crs=EPSG:3857").status, 400);
}
