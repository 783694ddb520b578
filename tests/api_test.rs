//! HTTP integration tests on the hand-checkable `mini` fixture: a real server on an ephemeral
//! port, real requests, answers compared with closed-form geodesy from `common`.

mod common;
use common::*;
use ecospace::Limits;
use serde_json::Value;
use std::sync::OnceLock;

fn addr() -> Target {
    static ADDR: OnceLock<Target> = OnceLock::new();
    *ADDR.get_or_init(|| {
        app(
            mini(),
            Limits {
                max_body_bytes: 64 * 1024,
                max_batch: 3,
                max_vertices: 50,
                ..Limits::default()
            },
        )
    })
}

fn hit<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["hits"]
        .as_array()
        .and_then(|h| h.iter().find(|h| h["id"] == id))
        .unwrap_or_else(|| panic!("no hit {id} in {v}"))
}

#[test]
fn health_counts_layers_and_features() {
    let mut v = get(addr(), "/health").json();
    // The version is a 64-bit content hash, 16 hex digits.
    let version = v.as_object_mut().unwrap().remove("version").unwrap();
    assert!(
        version
            .as_str()
            .is_some_and(|s| s.len() == 16 && s.chars().all(|c| c.is_ascii_hexdigit())),
        "{version}"
    );
    assert_eq!(
        v,
        serde_json::json!({"status": "ok", "layers": 3, "features": 5})
    );
}

#[test]
fn layers_report_areas_lengths_and_year_filtering() {
    let v = get(addr(), "/layers?year=2025").json();
    let zone = &v["layers"][0];
    assert_eq!(zone["id"], "zone");
    let want = band_area(30.70, 30.72, 0.02) + band_area(30.70, 30.71, 0.01);
    close(zone["area_km2"].as_f64().unwrap(), want / 1e6, 1e-6);
    let v = get(addr(), "/layers?year=2019").json();
    close(
        v["layers"][0]["area_km2"].as_f64().unwrap(),
        band_area(30.70, 30.72, 0.02) / 1e6,
        1e-6,
    );
    let coast = &v["layers"][1];
    close(
        coast["length_km"].as_f64().unwrap(),
        2.0 * (meridian_arc(30.72) - meridian_arc(30.70)) / 1e3,
        1e-9,
    );
    assert_eq!(
        coast["bbox"],
        serde_json::json!([120.75, 30.70, 120.76, 30.72])
    );
}

#[test]
fn zones_at_inside_on_the_edge_outside_and_by_year() {
    let v = get(addr(), "/zones?lon=120.71&lat=30.71&year=2025").json();
    assert_eq!(v["zones"].as_array().unwrap().len(), 1);
    assert_eq!(v["zones"][0]["id"], "A");
    assert_eq!(v["zones"][0]["on_boundary"], false);
    let v = get(addr(), "/zones?lon=120.72&lat=30.71").json();
    assert_eq!(v["zones"][0]["on_boundary"], true);
    assert_eq!(
        get(addr(), "/zones?lon=120.805&lat=30.705&year=2019").json()["zones"],
        serde_json::json!([])
    );
    assert_eq!(
        get(addr(), "/zones?lon=120.805&lat=30.705&year=2020").json()["zones"][0]["id"],
        "B"
    );
}

#[test]
fn site_inside_a_zone_is_within_with_its_whole_area() {
    let r = post(
        addr(),
        "/check?year=2025",
        &boxed(120.705, 30.705, 120.715, 30.715),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let area = band_area(30.705, 30.715, 0.01);
    close(v["site"]["area_m2"].as_f64().unwrap(), area, 1e-6);
    assert_eq!(v["verdict"], "conflict");
    let a = hit(&v, "A");
    assert_eq!(a["relation"], "within");
    close(a["overlap_area_m2"].as_f64().unwrap(), area, 1e-6);
    close(a["overlap_ratio"].as_f64().unwrap(), 1.0, 1e-6);
    assert_eq!(a["distance_m"], 0.0);
    close(
        v["summary"]["zone"]["overlap_area_m2"].as_f64().unwrap(),
        area,
        1e-6,
    );
    assert_eq!(v["summary"]["zone"]["conflicts"], 1);
}

#[test]
fn half_overlap_is_half_the_site() {
    let v = post(
        addr(),
        "/check?year=2025",
        &boxed(120.71, 30.70, 120.73, 30.72),
    )
    .json();
    let a = hit(&v, "A");
    assert_eq!(a["relation"], "overlaps");
    close(
        a["overlap_area_m2"].as_f64().unwrap(),
        band_area(30.70, 30.72, 0.01),
        1e-6,
    );
    close(a["overlap_ratio"].as_f64().unwrap(), 0.5, 1e-6);
}

#[test]
fn shoreline_inside_a_site_and_artificial_shore_nearby() {
    let v = post(
        addr(),
        "/check?year=2025&buffer_m=1000",
        &boxed(120.74, 30.69, 120.755, 30.73),
    )
    .json();
    let n1 = hit(&v, "N1");
    assert_eq!(n1["relation"], "contains");
    assert_eq!(n1["constraint"], true);
    close(
        n1["overlap_length_m"].as_f64().unwrap(),
        meridian_arc(30.72) - meridian_arc(30.70),
        1e-6,
    );
    let r1 = hit(&v, "R1");
    assert_eq!(r1["relation"], "near");
    assert_eq!(
        r1["constraint"], false,
        "artificial shore is not a constraint"
    );
    // Closest approach is along the parallel at the line's north end, 0.005° east.
    close(
        r1["distance_m"].as_f64().unwrap(),
        parallel_arc(30.72, 0.005),
        1e-3,
    );
    assert_eq!(v["verdict"], "conflict");
}

#[test]
fn a_point_near_a_zone_gets_the_meridian_distance() {
    let v = post(
        addr(),
        "/check?year=2025&buffer_m=2000",
        r#"{"type":"Point","coordinates":[120.71,30.73]}"#,
    )
    .json();
    assert_eq!(v["verdict"], "near");
    let a = hit(&v, "A");
    assert_eq!(a["relation"], "near");
    close(
        a["distance_m"].as_f64().unwrap(),
        meridian_arc(30.73) - meridian_arc(30.72),
        1e-4,
    );
    // Without the buffer the same point is clear.
    assert_eq!(
        post(
            addr(),
            "/check?year=2025",
            r#"{"type":"Point","coordinates":[120.71,30.73]}"#
        )
        .json()["verdict"],
        "clear"
    );
}

#[test]
fn a_road_through_a_zone_crosses_it_for_the_zone_width() {
    let v = post(
        addr(),
        "/check?year=2025&layers=zone",
        r#"{"type":"LineString","coordinates":[[120.69,30.71],[120.73,30.71]]}"#,
    )
    .json();
    let a = hit(&v, "A");
    assert_eq!(a["relation"], "crosses");
    close(
        a["overlap_length_m"].as_f64().unwrap(),
        parallel_arc(30.71, 0.02),
        1e-5,
    );
    close(
        v["site"]["length_m"].as_f64().unwrap(),
        parallel_arc(30.71, 0.04),
        1e-5,
    );
    assert!(
        v["summary"].get("coast").is_none(),
        "layers= limits the layers checked"
    );
}

#[test]
fn touching_the_edge_is_a_touch_without_area() {
    let v = post(
        addr(),
        "/check?year=2025&layers=zone",
        &boxed(120.72, 30.70, 120.73, 30.71),
    )
    .json();
    let a = hit(&v, "A");
    assert_eq!(a["relation"], "touches");
    assert_eq!(a["overlap_area_m2"], 0.0);
}

#[test]
fn temporal_validity_decides_whether_b_exists() {
    let site = boxed(120.802, 30.702, 120.804, 30.704);
    assert_eq!(
        post(addr(), "/check?year=2019", &site).json()["verdict"],
        "clear"
    );
    let v = post(addr(), "/check?year=2020", &site).json();
    assert_eq!(v["verdict"], "conflict");
    assert_eq!(hit(&v, "B")["relation"], "within");
}

#[test]
fn a_feature_collection_is_a_batch_in_input_order() {
    let body = format!(
        r#"{{"type":"FeatureCollection","features":[
        {{"type":"Feature","id":"far","properties":{{}},"geometry":{{"type":"Point","coordinates":[121.5,30.0]}}}},
        {{"type":"Feature","properties":{{"id":"in-A"}},"geometry":{}}}]}}"#,
        boxed(120.705, 30.705, 120.715, 30.715)
    );
    let v = post(addr(), "/check?year=2025", &body).json();
    let r = v["results"].as_array().unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(
        (r[0]["id"].as_str(), r[0]["verdict"].as_str()),
        (Some("far"), Some("clear"))
    );
    assert_eq!(
        (r[1]["id"].as_str(), r[1]["verdict"].as_str()),
        (Some("in-A"), Some("conflict"))
    );
}

/// Every bad input is a 4xx with `{"error", "message"}`, and the server keeps serving.
#[test]
fn bad_inputs_are_clear_4xx_errors() {
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        ("POST", "/check", "{not json".into(), 400, "invalid_json"),
        ("POST", "/check", r#"{"type":"Polygon","coordinates":"nope"}"#.into(), 400, "invalid_geojson"),
        ("POST", "/check", r#"{"coordinates":[1,2]}"#.into(), 400, "invalid_geojson"),
        ("POST", "/check", r#"{"type":"Polygon","coordinates":[[[120.7,30.7],[120.8,30.7],[120.8,30.8],[120.7,30.8]]]}"#.into(), 422, "unclosed_ring"),
        ("POST", "/check", r#"{"type":"Polygon","coordinates":[[[120.7,30.7],[120.8,30.8],[120.8,30.7],[120.7,30.8],[120.7,30.7]]]}"#.into(), 422, "self_intersection"),
        ("POST", "/check", r#"{"type":"Point","coordinates":[576600,3386000]}"#.into(), 422, "projected_coordinates"),
        ("POST", "/check", r#"{"type":"Point","coordinates":[120.7,95]}"#.into(), 422, "coordinates_out_of_range"),
        ("POST", "/check", r#"{"type":"MultiPolygon","coordinates":[]}"#.into(), 422, "empty_geometry"),
        ("POST", "/check", r#"{"type":"FeatureCollection","features":[]}"#.into(), 422, "empty_batch"),
        ("POST", "/check", r#"{"type":"Feature","properties":{},"geometry":null}"#.into(), 422, "empty_geometry"),
        ("POST", "/check", r#"{"type":"GeometryCollection","geometries":[]}"#.into(), 422, "unsupported_geometry"),
        ("POST", "/check", format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)), 400, "nesting_too_deep"),
        ("POST", "/check", format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, [r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[120,30]}}"#; 4].join(",")), 413, "batch_too_large"),
        ("POST", "/check", format!(r#"{{"type":"Point","coordinates":[120,30],"pad":"{}"}}"#, "x".repeat(70_000)), 413, "payload_too_large"),
        ("POST", "/check?buffer_m=NaN", boxed(120.7, 30.7, 120.71, 30.71), 400, "invalid_parameter"),
        ("POST", "/check?buffer_m=-5", boxed(120.7, 30.7, 120.71, 30.71), 400, "invalid_parameter"),
        ("POST", "/check?year=abc", boxed(120.7, 30.7, 120.71, 30.71), 400, "invalid_parameter"),
        ("POST", "/check?year=99999", boxed(120.7, 30.7, 120.71, 30.71), 400, "invalid_parameter"),
        ("POST", "/check?layers=zone,nope", boxed(120.7, 30.7, 120.71, 30.71), 400, "unknown_layer"),
        ("POST", "/check?bufer_m=5", boxed(120.7, 30.7, 120.71, 30.71), 400, "invalid_parameter"),
        ("GET", "/zones?lon=120.7", String::new(), 400, "invalid_parameter"),
        ("GET", "/zones?lon=inf&lat=30", String::new(), 400, "invalid_parameter"),
        ("GET", "/zones?lon=NaN&lat=30", String::new(), 400, "invalid_parameter"),
        ("GET", "/zones?lon=181&lat=30", String::new(), 400, "invalid_parameter"),
        ("GET", "/nowhere", String::new(), 404, "not_found"),
        ("GET", "/check", String::new(), 405, "method_not_allowed"),
    ];
    for (method, path, body, status, code) in cases {
        let r = request(addr(), method, path, body.as_bytes());
        assert_eq!(
            r.status,
            status,
            "{method} {path} {}: {}",
            &body[..body.len().min(80)],
            r.body
        );
        let v = r.json();
        assert_eq!(v["error"], code, "{path}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    let unknown = post(
        addr(),
        "/check?layers=nope",
        &boxed(120.7, 30.7, 120.71, 30.71),
    )
    .json();
    assert!(
        unknown["message"]
            .as_str()
            .unwrap()
            .contains("zone, coast, bank"),
        "{unknown}"
    );
    let bowtie = post(addr(), "/check", r#"{"type":"Polygon","coordinates":[[[120.7,30.7],[120.8,30.8],[120.8,30.7],[120.7,30.8],[120.7,30.7]]]}"#).json();
    assert!(
        bowtie["message"]
            .as_str()
            .unwrap()
            .contains("[120.75, 30.75]"),
        "says where: {bowtie}"
    );
    assert_eq!(get(addr(), "/health").status, 200, "still serving");
}

#[test]
fn a_clockwise_site_measures_the_same_as_a_counter_clockwise_one() {
    let cw = r#"{"type":"Polygon","coordinates":[[[120.705,30.705],[120.705,30.715],[120.715,30.715],[120.715,30.705],[120.705,30.705]]]}"#;
    let v = post(addr(), "/check?year=2025", cw).json();
    close(
        v["site"]["area_m2"].as_f64().unwrap(),
        band_area(30.705, 30.715, 0.01),
        1e-6,
    );
    close(hit(&v, "A")["overlap_ratio"].as_f64().unwrap(), 1.0, 1e-6);
}

/// A site drawn on an Amap base map (GCJ-02, ~500 m off here) gets the answer of the same place
/// in lon/lat when it says `crs=GCJ02`, in every build (no PROJ needed); sent as lon/lat, the
/// offset shows.
#[test]
fn a_site_drawn_on_amap_gets_the_answer_of_the_same_place() {
    // Astride zone A's east edge (120.72): half in.
    let ring = [
        [120.715, 30.705],
        [120.725, 30.705],
        [120.725, 30.715],
        [120.715, 30.715],
        [120.715, 30.705],
    ];
    let lonlat = serde_json::json!({"type": "Polygon", "coordinates": [ring]});
    let gcj: Vec<[f64; 2]> = ring
        .iter()
        .map(|[x, y]| {
            let (gx, gy) = gcj02_forward(*x, *y);
            [gx, gy]
        })
        .collect();
    let amap = serde_json::json!({"type": "Polygon", "coordinates": [gcj]}).to_string();
    let want = post(addr(), "/check?year=2025", &lonlat.to_string()).json();
    let got = post(addr(), "/check?year=2025&crs=GCJ02", &amap).json();
    for (path, rel) in [("/site/area_m2", 1e-6), ("/site/length_m", 1e-6)] {
        close(
            got.pointer(path).unwrap().as_f64().unwrap(),
            want.pointer(path).unwrap().as_f64().unwrap(),
            rel,
        );
    }
    let ratio = |v: &serde_json::Value| hit(v, "A")["overlap_ratio"].as_f64().unwrap();
    close(ratio(&want), 0.5, 1e-3);
    close(ratio(&got), ratio(&want), 1e-6);
    assert_eq!(got["verdict"], want["verdict"]);
    assert_eq!(got["site"]["bbox_in_crs"]["crs"], "GCJ02");
    let echoed = got["site"]["bbox_in_crs"]["bbox"][0].as_f64().unwrap();
    assert!(
        (echoed - gcj[0][0]).abs() < 1e-6,
        "the box echoed in GCJ-02"
    );
    let naive = post(addr(), "/check?year=2025", &amap).json();
    assert!(
        (ratio(&naive) - 0.5).abs() > 0.2,
        "sent as lon/lat, the offset moves the site: {}",
        ratio(&naive)
    );
}

#[test]
fn a_point_picked_on_amap_finds_the_zone_of_the_same_place() {
    // Just inside zone A's east edge (120.72) in lon/lat; on Amap it is drawn ~0.005° east.
    let (gx, gy) = gcj02_forward(120.719, 30.71);
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["zones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|z| z["id"].as_str().unwrap().to_string())
            .collect()
    };
    let got = get(
        addr(),
        &format!("/zones?lon={gx}&lat={gy}&year=2025&crs=GCJ02"),
    )
    .json();
    assert_eq!(ids(&got), ["A"]);
    assert_eq!(got["point"]["crs"], "GCJ02");
    let ll = &got["point"]["lonlat"];
    assert!((ll[0].as_f64().unwrap() - 120.719).abs() < 1e-6, "{ll}");
    assert!((ll[1].as_f64().unwrap() - 30.71).abs() < 1e-6, "{ll}");
    // Sent as lon/lat, the same numbers are outside A.
    let naive = get(addr(), &format!("/zones?lon={gx}&lat={gy}&year=2025")).json();
    assert!(ids(&naive).is_empty(), "{naive}");
    assert!(naive.get("point").is_none());
}

#[cfg(not(feature = "gdal"))]
#[test]
fn a_foreign_crs_without_proj_is_a_clear_400() {
    let r = post(
        addr(),
        "/check?crs=EPSG:4549",
        r#"{"type":"Point","coordinates":[576600,3386000]}"#,
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "unsupported_crs");
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("--features gdal"));
}
