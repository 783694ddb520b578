//! OGC API – Tiles on the `mini` fixture (zone A: 120.70–120.72 × 30.70–30.72): the conformance
//! classes, WebMercatorQuad as the standard tabulates it, the collection's tilesets and limits,
//! and the z/row/col order of tile URLs, with tile numbers worked out here from the Web
//! Mercator formulas.

#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;

use common::{app, get, mini, Target};
use ecospace::Limits;
use serde_json::Value;

fn server() -> Target {
    app(mini(), Limits::default())
}

/// The XYZ column and row of a lon/lat at zoom `z` (slippy-map formulas).
fn xyz(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let phi = lat.to_radians();
    let y = ((1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}

#[test]
fn conformance_lists_the_tiles_classes() {
    let c = get(server(), "/conformance").json();
    let list: Vec<&str> = c["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for class in [
        "core",
        "tileset",
        "tilesets-list",
        "geodata-tilesets",
        "mvt",
    ] {
        let uri = format!("http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{class}");
        assert!(list.contains(&uri.as_str()), "{uri} missing from {list:?}");
    }
}

#[test]
fn web_mercator_quad_is_the_standards_table() {
    let r = get(server(), "/tileMatrixSets/WebMercatorQuad");
    assert_eq!(r.status, 200, "{}", r.body);
    let t = r.json();
    assert_eq!(t["crs"], "http://www.opengis.net/def/crs/EPSG/0/3857");
    let m = t["tileMatrices"].as_array().unwrap();
    for (z, tm) in m.iter().enumerate() {
        // Cell size halves each zoom from 2π·6378137 m / 256 px; scale = cell / 0.28 mm.
        let cell = 2.0 * std::f64::consts::PI * 6_378_137.0 / 256.0 / 2f64.powi(z as i32);
        assert!((tm["cellSize"].as_f64().unwrap() - cell).abs() < 1e-9 * cell);
        assert!((tm["scaleDenominator"].as_f64().unwrap() - cell / 0.00028).abs() < 1e-6 * cell);
        assert_eq!(tm["matrixWidth"], 1u64 << z);
        assert_eq!(tm["id"], z.to_string());
    }
    assert_eq!(get(server(), "/tileMatrixSets/WorldCRS84Quad").status, 404);
    let list = get(server(), "/tileMatrixSets").json();
    assert_eq!(list["tileMatrixSets"][0]["id"], "WebMercatorQuad");
}

#[test]
fn a_collection_links_its_tileset_whose_limits_cover_its_features() {
    let c = get(server(), "/collections/zone").json();
    let rel = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";
    assert!(c["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == rel));
    let sets = get(server(), "/collections/zone/tiles").json();
    assert_eq!(
        sets["tilesets"][0]["tileMatrixSetURI"],
        "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
    );
    let ts = get(server(), "/collections/zone/tiles/WebMercatorQuad").json();
    assert_eq!(ts["dataType"], "vector");
    assert_eq!(ts["layers"][0]["id"], "zone");
    assert_eq!(ts["layers"][0]["geometryDimension"], 2);
    // The layer spans A and B: 120.70–120.81 × 30.70–30.72. At zoom 12 its tiles, by formula.
    let z12 = ts["tileMatrixSetLimits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["tileMatrix"] == "12")
        .unwrap();
    let (c0, r0) = xyz(120.70, 30.72, 12);
    let (c1, r1) = xyz(120.81, 30.70, 12);
    assert_eq!(z12["minTileCol"], c0);
    assert_eq!(z12["maxTileCol"], c1);
    assert_eq!(z12["minTileRow"], r0);
    assert_eq!(z12["maxTileRow"], r1);
    let item = ts["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "item")
        .unwrap();
    assert!(item["href"]
        .as_str()
        .unwrap()
        .ends_with("/collections/zone/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}"));
}

#[test]
fn tiles_are_addressed_zoom_row_column_and_are_the_tiles_of_tiles() {
    let z = 10;
    let (x, y) = xyz(120.71, 30.71, z);
    assert_ne!(x, y);
    let ogc = get(
        server(),
        &format!("/collections/zone/tiles/WebMercatorQuad/{z}/{y}/{x}?year=2025"),
    );
    assert_eq!(ogc.status, 200, "{}", ogc.body);
    assert!(ogc
        .headers
        .to_ascii_lowercase()
        .contains("application/vnd.mapbox-vector-tile"));
    let xyz_tile = get(server(), &format!("/tiles/zone/{z}/{x}/{y}.mvt?year=2025"));
    assert_eq!(ogc.bytes, xyz_tile.bytes);
    // Row and column swapped is a tile far from Jiaxing: empty.
    let swapped = get(
        server(),
        &format!("/collections/zone/tiles/WebMercatorQuad/{z}/{x}/{y}"),
    );
    assert_eq!(swapped.status, 204);
    // Outside the matrix, or another tile matrix set: 404 as the standard says.
    for bad in [
        format!(
            "/collections/zone/tiles/WebMercatorQuad/{z}/{}/0",
            1u32 << z
        ),
        "/collections/zone/tiles/WebMercatorQuad/19/0/0".into(),
        "/collections/zone/tiles/WorldCRS84Quad/0/0/0".into(),
        "/collections/nope/tiles/WebMercatorQuad/0/0/0".into(),
    ] {
        let r = get(server(), &bad);
        assert_eq!(r.status, 404, "{bad}: {}", r.body);
        assert_eq!(r.json()["error"], "not_found");
    }
}
