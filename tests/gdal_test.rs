//! GDAL and PROJ at the edges (`--features gdal`): planners' files made from the bundled data
//! with GDAL itself (a GBK Gauss-Krüger Shapefile, a GeoPackage) load and give the same answers
//! as the GeoJSON; PROJ hits known control points; export round-trips through import.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test
#![cfg(feature = "gdal")]

mod common;
use common::*;
use ecospace::crs::Transformer;
use ecospace::{check, CheckOptions, Dataset};
use geo::{Geometry, Point, Polygon};
use std::path::{Path, PathBuf};
use std::process::Command;

fn bundled_file(layer: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/jiaxing")
        .join(format!("{layer}.geojson"))
}

/// A fresh folder per call: tests run in parallel and several build the same kind of folder
/// (two sharing `geojson` once raced, one reading the other's half-written manifest).
fn tmpdir(tag: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("ecospace-gdal-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ogr2ogr(args: &[&str]) {
    let out = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr (gdal-bin) is installed: run scripts/setup.sh");
    assert!(
        out.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn manifest(dir: &Path, layer_toml: &str) {
    let text = format!("id = \"t\"\ntitle_zh = \"测试\"\ntitle_en = \"test\"\n\n[[layer]]\nid = \"redline\"\ntitle_zh = \"生态保护红线\"\ntitle_en = \"Red line\"\nkind = \"zone\"\nconstraint = true\n{layer_toml}\n");
    std::fs::write(dir.join("layers.toml"), text).unwrap();
}

/// Sites across the red line: inside 南北湖, straddling 千亩荡, near 湘家荡.
fn sites() -> Vec<Geometry> {
    let bx = |x0: f64, y0: f64, x1: f64, y1: f64| {
        Geometry::Polygon(Polygon::new(
            vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)].into(),
            vec![],
        ))
    };
    vec![
        bx(120.90, 30.42, 120.92, 30.44),
        bx(120.845, 30.570, 120.860, 30.580),
        bx(120.80, 30.78, 120.82, 30.80),
        Geometry::Point(Point::new(120.75955, 30.75187)),
    ]
}

/// Compares the red-line answers of two datasets site by site (areas within 0.1 %).
fn same_answers(a: &Dataset, b: &Dataset) {
    let opts = CheckOptions {
        year: 2025,
        buffer_m: 1000.0,
        layers: Some(vec!["redline".into()]),
    };
    for s in sites() {
        let (ra, rb) = (check(a, &s, &opts).unwrap(), check(b, &s, &opts).unwrap());
        assert_eq!(ra.verdict, rb.verdict);
        let ids = |r: &ecospace::CheckResult| {
            r.hits
                .iter()
                .map(|h| (h.id.clone(), h.name.clone(), h.relation))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&ra), ids(&rb), "same hits, same (UTF-8) names");
        for (ha, hb) in ra.hits.iter().zip(&rb.hits) {
            let (x, y) = (
                ha.overlap_area_m2.unwrap_or(0.0),
                hb.overlap_area_m2.unwrap_or(0.0),
            );
            assert!((x - y).abs() <= 1e-3 * x.max(1.0), "{}: {x} vs {y}", ha.id);
            assert!((ha.distance_m - hb.distance_m).abs() <= 1e-3 * ha.distance_m.max(1.0));
        }
    }
}

fn geojson_redline() -> Dataset {
    let dir = tmpdir("geojson");
    std::fs::copy(bundled_file("redline"), dir.join("redline.geojson")).unwrap();
    manifest(&dir, "file = \"redline.geojson\"");
    Dataset::from_dir(&dir).unwrap()
}

#[test]
fn control_points_and_round_trips() {
    // From ../shared/DEPENDENCIES.md: proj, GDAL OSR and pyproj agree on this point.
    let t = Transformer::to_lonlat("EPSG:4549").unwrap();
    let (lon, lat) = t.convert(576_600.0, 3_386_000.0).unwrap();
    assert!(
        (lon - 120.798665).abs() < 1e-6 && (lat - 30.591885).abs() < 1e-6,
        "{lon} {lat}"
    );
    // The same point with the zone-40 prefix (EPSG:4528).
    let (lon2, lat2) = Transformer::to_lonlat("EPSG:4528")
        .unwrap()
        .convert(40_576_600.0, 3_386_000.0)
        .unwrap();
    assert!((lon2 - lon).abs() < 1e-9 && (lat2 - lat).abs() < 1e-9);
    // The central meridian maps to the false easting; round trips are exact to 1e-9°.
    let back = Transformer::from_lonlat("EPSG:4549").unwrap();
    let (x, _) = back.convert(120.0, 30.5).unwrap();
    assert!((x - 500_000.0).abs() < 1e-6, "{x}");
    for (lo, la) in [(120.3, 30.3), (121.3, 31.0), (120.76, 30.75)] {
        let (x, y) = back.convert(lo, la).unwrap();
        let (lo2, la2) = t.convert(x, y).unwrap();
        assert!((lo - lo2).abs() < 1e-9 && (la - la2).abs() < 1e-9);
    }
    // A 10 × 10 km square 70–80 km east of the central meridian: Gauss-Krüger scales areas by
    // k² ≈ 1 + x²/R² (R² = M·N), so its true area is 1e8 m² / (1 + mean(x²)/R²), with
    // mean(x²) over 70–80 km = 75² + 10²/12 km².
    let corners = [
        (570_000.0, 3_380_000.0),
        (580_000.0, 3_380_000.0),
        (580_000.0, 3_390_000.0),
        (570_000.0, 3_390_000.0),
    ];
    let mut ring: Vec<(f64, f64)> = Vec::new();
    for k in 0..4 {
        let (a, b) = (corners[k], corners[(k + 1) % 4]);
        for i in 0..100 {
            let f = f64::from(i) / 100.0;
            ring.push(
                t.convert(a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)
                    .unwrap(),
            );
        }
    }
    ring.push(ring[0]);
    let area = ecospace::geodesy::area_m2(&Geometry::Polygon(Polygon::new(ring.into(), vec![])));
    let (m, n) = ecospace::geodesy::radii_of_curvature(30.55);
    let mean_x2 = 75_000.0f64.powi(2) + 10_000.0f64.powi(2) / 12.0;
    close(area, 1e8 / (1.0 + mean_x2 / (m * n)), 1e-6);
}

#[test]
fn a_gbk_gauss_kruger_shapefile_gives_the_same_answers_as_the_geojson() {
    let dir = tmpdir("shp");
    let shp = dir.join("redline.shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        "-t_srs",
        "EPSG:4549",
        "-lco",
        "ENCODING=GBK",
        shp.to_str().unwrap(),
        bundled_file("redline").to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(dir.join("redline.cpg"))
            .unwrap()
            .trim(),
        "GBK"
    );
    // The attributes really are GBK on disk: 南北湖 is not there as UTF-8.
    let dbf = std::fs::read(dir.join("redline.dbf")).unwrap();
    assert!(!dbf.windows(9).any(|w| w == "南北湖".as_bytes()));
    manifest(&dir, "file = \"redline.shp\"");
    let shp_ds = Dataset::from_dir(&dir).unwrap();
    let reference = geojson_redline();
    same_answers(&reference, &shp_ds);
    let area = |ds: &Dataset| {
        ds.layer("redline")
            .unwrap()
            .features
            .iter()
            .map(ecospace::Feature::area_m2)
            .sum::<f64>()
            / 1e6
    };
    assert!((area(&shp_ds) - 108.80).abs() < 0.005, "{}", area(&shp_ds));

    // Without the .cpg the encoding must be given: the manifest override reads it right…
    std::fs::remove_file(dir.join("redline.cpg")).unwrap();
    manifest(&dir, "file = \"redline.shp\"\nencoding = \"GBK\"");
    same_answers(&reference, &Dataset::from_dir(&dir).unwrap());
    // …and without either, the names come out wrong (which is why the override exists).
    manifest(&dir, "file = \"redline.shp\"");
    let garbled = Dataset::from_dir(&dir).unwrap();
    assert_ne!(
        garbled.layer("redline").unwrap().features[0].name,
        reference.layer("redline").unwrap().features[0].name
    );
}

#[test]
fn a_geopackage_layer_with_renamed_fields_loads() {
    let dir = tmpdir("gpkg");
    let gpkg = dir.join("planning.gpkg");
    // Chinese-style attribute names, CGCS2000 geographic, in a named layer.
    ogr2ogr(&[
        "-f",
        "GPKG",
        "-t_srs",
        "EPSG:4490",
        "-nln",
        "stbhhx",
        "-sql",
        "SELECT id AS BSM, name AS MC, county AS XZQDM FROM redline",
        gpkg.to_str().unwrap(),
        bundled_file("redline").to_str().unwrap(),
    ]);
    manifest(&dir, "file = \"planning.gpkg\"\nsource_layer = \"stbhhx\"\n[layer.fields]\nid = \"BSM\"\nname = \"MC\"\ncounty = \"XZQDM\"");
    let ds = Dataset::from_dir(&dir).unwrap();
    let f = &ds.layer("redline").unwrap().features[0];
    assert!(
        f.id.starts_with("RL-") && f.county.as_deref().is_some_and(|c| c.starts_with("3304")),
        "{} {:?}",
        f.id,
        f.county
    );
    same_answers(&geojson_redline(), &ds);
    // A wrong layer name says which ones exist.
    manifest(&dir, "file = \"planning.gpkg\"\nsource_layer = \"nope\"");
    let e = Dataset::from_dir(&dir).unwrap_err().to_string();
    assert!(
        e.contains("no layer \"nope\"") && e.contains("stbhhx"),
        "{e}"
    );
}

#[test]
fn bad_gdal_input_is_named_like_bad_geojson() {
    let dir = tmpdir("bad");
    // A self-intersecting polygon in a GeoPackage.
    let src = dir.join("bad.geojson");
    std::fs::write(&src, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"X1","name":"坏"},"geometry":{"type":"Polygon","coordinates":[[[120.7,30.7],[120.8,30.8],[120.8,30.7],[120.7,30.8],[120.7,30.7]]]}}]}"#).unwrap();
    ogr2ogr(&[
        "-f",
        "GPKG",
        dir.join("bad.gpkg").to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    manifest(&dir, "file = \"bad.gpkg\"");
    let e = Dataset::from_dir(&dir).unwrap_err().to_string();
    assert!(
        e.starts_with("bad.gpkg: feature 0 (id \"X1\")") && e.contains("intersects itself"),
        "{e}"
    );
    manifest(&dir, "file = \"missing.shp\"");
    let e = Dataset::from_dir(&dir).unwrap_err().to_string();
    assert!(
        e.contains("missing.shp") && e.contains("GDAL cannot open"),
        "{e}"
    );
}

#[test]
fn export_round_trips_through_import() {
    let ds = Dataset::bundled().unwrap();
    let dir = tmpdir("export");
    let shore = ds.layer("shoreline").unwrap();
    let n = ecospace::export_layer(
        shore,
        None,
        &dir.join("shore.shp"),
        "ESRI Shapefile",
        Some("EPSG:4549"),
    )
    .unwrap();
    assert_eq!(n, shore.features.len());
    let red = ds.layer("redline").unwrap();
    ecospace::export_layer(red, Some(2025), &dir.join("red.gpkg"), "GPKG", None).unwrap();
    let text = "id = \"t\"\ntitle_zh = \"测试\"\ntitle_en = \"test\"\n\n\
        [[layer]]\nid = \"shoreline\"\ntitle_zh = \"岸线\"\ntitle_en = \"Shore\"\nkind = \"line\"\nfile = \"shore.shp\"\n\
        [layer.fields]\nrestoration = \"restoratio\"\nrestored_year = \"restored_y\"\n\n\
        [[layer]]\nid = \"redline\"\ntitle_zh = \"红线\"\ntitle_en = \"Red\"\nkind = \"zone\"\nfile = \"red.gpkg\"\n";
    std::fs::write(dir.join("layers.toml"), text).unwrap();
    let back = Dataset::from_dir(&dir).unwrap();
    let b = back.layer("shoreline").unwrap();
    assert_eq!(b.features.len(), shore.features.len());
    for (x, y) in shore.features.iter().zip(&b.features) {
        assert_eq!(
            (&x.id, &x.name, x.valid_from, x.valid_to),
            (&y.id, &y.name, y.valid_from, y.valid_to)
        );
        assert_eq!(x.properties.get("class"), y.properties.get("class"));
        close(y.length_m(), x.length_m(), 1e-7);
    }
    let r = back.layer("redline").unwrap();
    close(
        r.features
            .iter()
            .map(ecospace::Feature::area_m2)
            .sum::<f64>(),
        red.features
            .iter()
            .map(ecospace::Feature::area_m2)
            .sum::<f64>(),
        1e-9,
    );
}

#[test]
fn sites_posted_in_gauss_kruger_are_converted_or_caught() {
    use ecospace::site::{parse, parse_in, SiteInput};
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/jiaxing/samples/site_qianmudang.geojson");
    let dir = tmpdir("site");
    let gk = dir.join("site.geojson");
    // GDAL writes the legacy `crs` member (urn:ogc:def:crs:EPSG::4549) for a non-lon/lat GeoJSON.
    ogr2ogr(&[
        "-f",
        "GeoJSON",
        "-t_srs",
        "EPSG:4549",
        "-lco",
        "RFC7946=NO",
        gk.to_str().unwrap(),
        sample.to_str().unwrap(),
    ]);
    let gk_text = std::fs::read_to_string(&gk).unwrap();
    assert!(gk_text.contains("EPSG::4549"));
    let one = |i: SiteInput| match i {
        SiteInput::One(s) => s.geometry,
        SiteInput::Batch(mut v) => v.remove(0).geometry,
    };
    let lonlat = one(parse(&std::fs::read(&sample).unwrap(), 10).unwrap());
    let via_member = one(parse_in(gk_text.as_bytes(), 10, None).unwrap());
    let area = |g: &Geometry| ecospace::geodesy::area_m2(g);
    close(area(&via_member), area(&lonlat), 1e-7);
    // The same coordinates with the member removed and `?crs=` given instead.
    let mut v: serde_json::Value = serde_json::from_str(&gk_text).unwrap();
    v.as_object_mut().unwrap().remove("crs");
    let bare = v.to_string();
    close(
        area(&one(
            parse_in(bare.as_bytes(), 10, Some("EPSG:4549")).unwrap()
        )),
        area(&lonlat),
        1e-7,
    );
    // Posted as if lon/lat: refused, with the right `crs` suggested.
    let e = parse(bare.as_bytes(), 10).unwrap_err();
    assert_eq!(e.code(), "projected_coordinates");
    assert!(
        e.to_string().contains("?crs=") && e.to_string().contains("EPSG:4549"),
        "{e}"
    );
    // An unknown CRS is a clear error.
    assert_eq!(
        parse_in(bare.as_bytes(), 10, Some("EPSG:999999"))
            .unwrap_err()
            .code(),
        "unsupported_crs"
    );
}

#[test]
fn check_over_http_in_gauss_kruger() {
    let addr = app(mini(), ecospace::Limits::default());
    // Square A of the fixture (120.705–120.715 × 30.705–30.715), corners converted to EPSG:4549.
    let t = Transformer::from_lonlat("EPSG:4549").unwrap();
    let c: Vec<(f64, f64)> = [
        (120.705, 30.705),
        (120.715, 30.705),
        (120.715, 30.715),
        (120.705, 30.715),
        (120.705, 30.705),
    ]
    .iter()
    .map(|&(x, y)| t.convert(x, y).unwrap())
    .collect();
    let ring: Vec<String> = c.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
    let body = format!(
        r#"{{"type":"Polygon","coordinates":[[{}]]}}"#,
        ring.join(",")
    );
    let v = post(addr, "/check?year=2025&crs=EPSG:4549", &body).json();
    // Straight GK edges vs straight lon/lat edges differ by millimetres over 1 km.
    close(
        v["site"]["area_m2"].as_f64().unwrap(),
        band_area(30.705, 30.715, 0.01),
        1e-5,
    );
    assert_eq!(v["hits"][0]["relation"], "within");
    let b = &v["site"]["bbox_in_crs"];
    assert_eq!(b["crs"], "EPSG:4549");
    let minx = c.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    assert!((b["bbox"][0].as_f64().unwrap() - minx).abs() < 1.0, "{b}");
    // Posted without the crs: refused with the hint.
    let r = post(addr, "/check", &body);
    assert_eq!(r.status, 422);
    assert!(r.json()["message"].as_str().unwrap().contains("EPSG:4549"));
    assert_eq!(post(addr, "/check?crs=EPSG:999999", &body).status, 400);
}

#[test]
fn a_file_geodatabase_loads() {
    let dir = tmpdir("gdb");
    let gdb = dir.join("planning.gdb");
    ogr2ogr(&[
        "-f",
        "OpenFileGDB",
        "-t_srs",
        "EPSG:4549",
        "-nlt",
        "MULTIPOLYGON",
        "-nln",
        "STBHHX",
        gdb.to_str().unwrap(),
        bundled_file("redline").to_str().unwrap(),
    ]);
    manifest(&dir, "file = \"planning.gdb\"\nsource_layer = \"STBHHX\"");
    let ds = Dataset::from_dir(&dir).unwrap();
    same_answers(&geojson_redline(), &ds);
}

#[test]
fn a_geopackage_layer_is_updated_over_http_and_a_shapefile_is_refused() {
    use ecospace::{AppState, Limits, WebConfig};
    let dir = tmpdir("put-gpkg");
    let gpkg = |path: &Path, sql: &str| {
        ogr2ogr(&[
            "-f",
            "GPKG",
            "-nln",
            "redline",
            "-sql",
            sql,
            path.to_str().unwrap(),
            bundled_file("redline").to_str().unwrap(),
        ]);
    };
    gpkg(&dir.join("redline.gpkg"), "SELECT * FROM redline");
    let fewer = tmpdir("put-gpkg-new").join("fewer.gpkg");
    gpkg(&fewer, "SELECT * FROM redline ORDER BY id LIMIT 3");
    manifest(&dir, "file = \"redline.gpkg\"");
    let all = Dataset::from_dir(&dir).unwrap().feature_count();
    assert!(all > 3);
    let web = WebConfig {
        admin_token: Some("t".into()),
        ..WebConfig::default()
    };
    let ds = Dataset::from_dir(&dir).unwrap();
    let addr = app_state(std::sync::Arc::new(AppState::new(
        ds,
        Limits::default(),
        web,
    )));
    let auth = [("Authorization", "Bearer t")];
    let body = std::fs::read(&fewer).unwrap();
    let r = request_with(
        addr,
        "PUT",
        "/admin/layers/redline?author=gis",
        &auth,
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(get(addr, "/health").json()["features"], 3);
    assert_eq!(std::fs::read(dir.join("redline.gpkg")).unwrap(), body);
    // Not a GeoPackage at all: GDAL cannot open it, nothing changes.
    let r = request_with(
        addr,
        "PUT",
        "/admin/layers/redline?author=gis",
        &auth,
        b"SQLite? no",
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (422, Some("invalid_layer"))
    );
    assert_eq!(std::fs::read(dir.join("redline.gpkg")).unwrap(), body);

    // A Shapefile is several files: it cannot be swapped atomically from one body.
    let shp_dir = tmpdir("put-shp");
    ogr2ogr(&[
        "-f",
        "ESRI Shapefile",
        shp_dir.join("redline.shp").to_str().unwrap(),
        bundled_file("redline").to_str().unwrap(),
    ]);
    manifest(&shp_dir, "file = \"redline.shp\"");
    let web = WebConfig {
        admin_token: Some("t".into()),
        ..WebConfig::default()
    };
    let ds = Dataset::from_dir(&shp_dir).unwrap();
    let addr = app_state(std::sync::Arc::new(AppState::new(
        ds,
        Limits::default(),
        web,
    )));
    let r = request_with(
        addr,
        "PUT",
        "/admin/layers/redline?author=gis",
        &auth,
        &body,
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (415, Some("unsupported_format"))
    );
}
