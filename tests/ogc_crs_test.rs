//! OGC API – Features Part 2 (CRS by reference) on the `mini` fixture, whose zone A is the box
//! 120.70–120.72 × 30.70–30.72 and zone B 120.80–120.81 × 30.70–30.71: the collections' CRS
//! lists, `crs` on items and single items in each CRS's own axis order (EPSG:4326/4490
//! lat/lon, the Gauss-Krüger EPSG:4528/4549 northing/easting), `bbox-crs`, `Content-Crs`, and
//! the web-map offsets. Expected coordinates come from pyproj (PROJ through Python, asked for
//! the authority's axis order) or from swapping by hand; the GCJ-02 ones from the algorithm
//! written out in tests/common.

#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;

use common::{app, get, mini, Target};
use ecospace::Limits;
use serde_json::Value;

fn server() -> Target {
    app(mini(), Limits::default())
}

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

#[cfg(feature = "gdal")]
fn epsg(n: u32) -> String {
    format!("http://www.opengis.net/def/crs/EPSG/0/{n}")
}

#[cfg(feature = "gdal")]
fn enc(s: &str) -> String {
    s.replace(':', "%3A").replace('/', "%2F")
}

/// The outer ring of feature `id` in an items answer.
fn ring<'a>(doc: &'a Value, id: &str) -> &'a Vec<Value> {
    let f = doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {doc}"));
    f["geometry"]["coordinates"][0].as_array().unwrap()
}

fn pos(v: &Value) -> (f64, f64) {
    (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
}

#[cfg(feature = "gdal")]
fn ids(doc: &Value) -> Vec<String> {
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

fn header(r: &common::Response, name: &str) -> Option<String> {
    r.headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

#[test]
fn items_default_to_crs84_and_say_so() {
    let r = get(server(), "/collections/zone/items");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        header(&r, "content-crs").as_deref(),
        Some(&*format!("<{CRS84}>"))
    );
    assert_eq!(pos(&ring(&r.json(), "A")[1]), (120.72, 30.70));
    let c = get(server(), "/collections/zone").json();
    assert_eq!(c["storageCrs"], CRS84);
    assert_eq!(c["crs"][0], CRS84);
}

#[test]
fn web_map_offsets_in_every_build() {
    let r = get(server(), "/collections/zone/items?crs=GCJ02");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(header(&r, "content-crs").as_deref(), Some("<GCJ02>"));
    let (x, y) = pos(&ring(&r.json(), "A")[1]);
    let (gx, gy) = common::gcj02_forward(120.72, 30.70);
    assert!(
        (x - gx).abs() < 1e-9 && (y - gy).abs() < 1e-9,
        "{x},{y} vs {gx},{gy}"
    );
    // ~450 m east-north-east in Jiaxing: far more than rounding.
    assert!((x - 120.72).abs() > 0.003);
}

#[test]
fn bad_crs_values_are_400_naming_the_parameter() {
    for (q, param) in [
        ("crs=EPSG:3857", "`crs`"),
        ("crs=nonsense", "`crs`"),
        ("bbox=1,2,3,4&bbox-crs=EPSG:2000", "`bbox-crs`"),
        ("bbox-crs=EPSG:4326", "`bbox-crs`"),
    ] {
        let r = get(server(), &format!("/collections/zone/items?{q}"));
        assert_eq!(r.status, 400, "{q}: {}", r.body);
        let e = r.json();
        assert!(
            e["message"].as_str().unwrap().contains(param),
            "{q}: {}",
            e["message"]
        );
    }
    let r = get(server(), "/collections/zone/items/A?crs=EPSG:3857");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "unsupported_crs");
}

#[cfg(not(feature = "gdal"))]
#[test]
fn without_proj_only_crs84_is_offered() {
    let c = get(server(), "/collections/zone").json();
    assert_eq!(c["crs"], serde_json::json!([CRS84]));
    let r = get(server(), "/collections/zone/items?crs=EPSG:4490");
    assert_eq!(r.status, 400);
    assert!(r.json()["message"].as_str().unwrap().contains("gdal"));
}

/// `(x, y)` of lon/lat points in `crs`, in the authority's axis order, by pyproj.
#[cfg(feature = "gdal")]
fn pyproj(crs: &str, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let pts: Vec<String> = points.iter().map(|(x, y)| format!("({x},{y})")).collect();
    let script = format!(
        "from pyproj import Transformer\nt = Transformer.from_crs('EPSG:4326', '{crs}')\nfor lon, lat in [{}]:\n    a, b = t.transform(lat, lon)\n    print(repr(a), repr(b))\n",
        pts.join(",")
    );
    let out = common::stdout_of(common::python().args(["-c", &script]));
    out.lines()
        .map(|l| {
            let (a, b) = l.split_once(' ').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect()
}

#[cfg(feature = "gdal")]
#[test]
fn collections_offer_crs84_wgs84_cgcs2000_and_jiaxings_gauss_kruger_zone() {
    let c = get(server(), "/collections/zone").json();
    let want: Vec<String> = std::iter::once(CRS84.to_string())
        .chain([4326, 4490, 4528, 4549].map(epsg))
        .collect();
    assert_eq!(c["crs"], serde_json::json!(want));
}

#[cfg(feature = "gdal")]
#[test]
fn geographic_epsg_crss_answer_in_lat_lon_order() {
    for code in [4326, 4490] {
        for form in [epsg(code), format!("EPSG:{code}"), format!("[EPSG:{code}]")] {
            let r = get(
                server(),
                &format!("/collections/zone/items?crs={}", enc(&form)),
            );
            assert_eq!(r.status, 200, "{form}: {}", r.body);
            assert_eq!(header(&r, "content-crs"), Some(format!("<{}>", epsg(code))));
            let (a, b) = pos(&ring(&r.json(), "A")[1]);
            // [lat, lon]: the lon/lat corner (120.72, 30.70) swapped; CGCS2000 and WGS84 agree.
            assert!(
                (a - 30.70).abs() < 1e-7 && (b - 120.72).abs() < 1e-7,
                "{form}: {a},{b}"
            );
        }
    }
    let one = get(server(), "/collections/zone/items/B?crs=EPSG:4490");
    assert_eq!(one.status, 200);
    let (a, b) = pos(&one.json()["geometry"]["coordinates"][0][2]);
    assert!(
        (a - 30.71).abs() < 1e-7 && (b - 120.81).abs() < 1e-7,
        "{a},{b}"
    );
    assert!(one.json()["links"][0]["href"]
        .as_str()
        .unwrap()
        .contains("crs="));
}

#[cfg(feature = "gdal")]
#[test]
fn gauss_kruger_answers_are_northing_easting_as_pyproj_computes_them() {
    let corners = [(120.70, 30.70), (120.72, 30.70), (120.72, 30.72)];
    for code in [4549, 4528] {
        let r = get(
            server(),
            &format!("/collections/zone/items?crs=EPSG:{code}"),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let doc = r.json();
        let want = pyproj(&format!("EPSG:{code}"), &corners);
        for (i, w) in want.iter().enumerate() {
            let got = pos(&ring(&doc, "A")[i]);
            assert!(
                (got.0 - w.0).abs() < 1e-3 && (got.1 - w.1).abs() < 1e-3,
                "EPSG:{code} corner {i}: {got:?} vs pyproj {w:?}"
            );
        }
        // Northing first: ~3.4e6 m at 30.7°N. Then the easting: the false easting (500 km, or
        // 40,500 km with EPSG:4528's zone prefix) plus 0.70° east of the central meridian 120°E,
        // 0.70 × 111.3 km × cos 30.7° ≈ 67 km.
        let (n, e) = pos(&ring(&doc, "A")[0]);
        assert!((3.39e6..3.41e6).contains(&n), "{n}");
        let false_easting = if code == 4528 {
            40_500_000.0
        } else {
            500_000.0
        };
        assert!((e - false_easting - 67_000.0).abs() < 1_000.0, "{e}");
    }
}

#[cfg(feature = "gdal")]
#[test]
fn bbox_crs_reads_the_box_in_that_crs_axis_order() {
    // Around zone A only, lat/lon order: as CRS84 these numbers are no box at all (lat 120).
    let r = get(
        server(),
        "/collections/zone/items?bbox=30.705,120.705,30.715,120.715&bbox-crs=EPSG:4326",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids(&r.json()), ["A"]);
    let bad = get(
        server(),
        "/collections/zone/items?bbox=30.705,120.705,30.715,120.715",
    );
    assert_eq!(bad.status, 400);
    // Around zone B only, in Gauss-Krüger metres (northing, easting) from pyproj.
    let p = pyproj("EPSG:4549", &[(120.802, 30.702), (120.808, 30.708)]);
    let q = format!(
        "/collections/zone/items?bbox={},{},{},{}&bbox-crs={}",
        p[0].0.min(p[1].0),
        p[0].1.min(p[1].1),
        p[0].0.max(p[1].0),
        p[0].1.max(p[1].1),
        enc(&epsg(4549))
    );
    let r = get(server(), &q);
    assert_eq!(r.status, 200, "{}", r.body);
    let doc = r.json();
    assert_eq!(ids(&doc), ["B"]);
    // The links carry the CRS parameters on.
    let self_link = doc["links"][0]["href"].as_str().unwrap().to_string();
    assert!(self_link.contains("bbox-crs="), "{self_link}");
}

#[cfg(feature = "gdal")]
#[test]
fn a_gauss_kruger_source_is_the_storage_crs_and_offered() {
    let dir = std::env::temp_dir().join(format!("ecospace-ogc-crs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let gpkg = dir.join("zone.gpkg");
    let out = std::process::Command::new("ogr2ogr")
        .args(["-f", "GPKG", "-t_srs", "EPSG:4549"])
        .arg(&gpkg)
        .arg(common::fixture("mini").join("zone.geojson"))
        .output()
        .expect("ogr2ogr");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.join("layers.toml"),
        "id = \"t\"\ntitle_zh = \"测试\"\ntitle_en = \"t\"\n[[layer]]\nid = \"zone\"\ntitle_zh = \"红线\"\ntitle_en = \"Zone\"\nfile = \"zone.gpkg\"\nkind = \"zone\"\nconstraint = true\n",
    )
    .unwrap();
    let t = app(
        ecospace::Dataset::from_dir(&dir).unwrap(),
        Limits::default(),
    );
    let c = get(t, "/collections/zone").json();
    assert_eq!(c["storageCrs"], epsg(4549));
    assert_eq!(c["crs"][1], epsg(4549));
    // Served back in its own CRS, the corners are what ogr2ogr wrote (pyproj agrees to 1 mm).
    let r = get(
        t,
        &format!("/collections/zone/items?crs={}", enc(&epsg(4549))),
    );
    let want = pyproj("EPSG:4549", &[(120.70, 30.70)]);
    let got = pos(&ring(&r.json(), "A")[0]);
    assert!(
        (got.0 - want[0].0).abs() < 1e-3 && (got.1 - want[0].1).abs() < 1e-3,
        "{got:?} {want:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
