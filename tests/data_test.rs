//! The bundled Jiaxing data reproduces the plan's figures, measured from the files.
//!
//! Measured twice and independently: once by reading the GeoJSON with serde_json and applying
//! closed-form ellipsoid formulas (equal-area shoelace, local-radius lengths), once through the
//! library (Karney geodesics on the loaded layers). Nothing is read back from a targets file.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::Dataset;
use geo::{BooleanOps, Geometry, MultiPolygon};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn data_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/jiaxing")
}

fn features(layer: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(data_dir().join(format!("{layer}.geojson"))).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["type"], "FeatureCollection");
    v["features"].as_array().unwrap().clone()
}

fn valid_in(f: &Value, year: i64) -> bool {
    let p = &f["properties"];
    p["valid_from"].as_i64().is_none_or(|a| a <= year)
        && p["valid_to"].as_i64().is_none_or(|b| year < b)
}

fn coords(v: &Value) -> Vec<[f64; 2]> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()])
        .collect()
}

/// Polygons of a feature as lists of rings.
fn polygons(f: &Value) -> Vec<Vec<Vec<[f64; 2]>>> {
    let g = &f["geometry"];
    let polys: Vec<&Value> = match g["type"].as_str().unwrap() {
        "Polygon" => vec![&g["coordinates"]],
        "MultiPolygon" => g["coordinates"].as_array().unwrap().iter().collect(),
        t => panic!("not a zone: {t}"),
    };
    polys
        .iter()
        .map(|p| p.as_array().unwrap().iter().map(coords).collect())
        .collect()
}

fn lines(f: &Value) -> Vec<Vec<[f64; 2]>> {
    let g = &f["geometry"];
    match g["type"].as_str().unwrap() {
        "LineString" => vec![coords(&g["coordinates"])],
        "MultiLineString" => g["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .map(coords)
            .collect(),
        t => panic!("not a line: {t}"),
    }
}

/// Independent area of a feature: outer rings minus holes.
fn area_m2(f: &Value) -> f64 {
    polygons(f)
        .iter()
        .map(|rings| {
            equal_area_ring_m2(&rings[0])
                - rings[1..]
                    .iter()
                    .map(|h| equal_area_ring_m2(h))
                    .sum::<f64>()
        })
        .sum()
}

fn length_m(f: &Value) -> f64 {
    lines(f).iter().map(|l| ellipsoid_polyline_m(l)).sum()
}

/// Union area of a zone layer in a year via the library's loaded geometry (overlaps once).
fn union_km2(ds: &Dataset, layer: &str, year: i32) -> f64 {
    let mut acc = MultiPolygon::<f64>(vec![]);
    for f in ds.layer(layer).unwrap().features_in(year) {
        let mp = match &f.geometry {
            Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
            Geometry::MultiPolygon(mp) => mp.clone(),
            _ => unreachable!(),
        };
        acc = acc.union(&mp);
    }
    ecospace::geodesy::area_m2(&Geometry::MultiPolygon(acc)) / 1e6
}

const YEARS: std::ops::RangeInclusive<i64> = 2018..=2025;

#[test]
fn redline_and_reserves_have_the_plan_areas_every_year() {
    let ds = Dataset::from_dir(&data_dir()).unwrap();
    for (layer, want) in [("redline", 108.80), ("nature_reserve", 47.75)] {
        let fs = features(layer);
        for y in YEARS {
            let independent: f64 = fs
                .iter()
                .filter(|f| valid_in(f, y))
                .map(area_m2)
                .sum::<f64>()
                / 1e6;
            let union = union_km2(&ds, layer, y as i32);
            assert!(
                (union - want).abs() < 0.005,
                "{layer} {y}: union {union} km², plan {want}"
            );
            // Features of a layer don't overlap, so the sum equals the union.
            assert!(
                (independent - union).abs() < 0.001,
                "{layer} {y}: {independent} vs {union}"
            );
        }
    }
}

#[test]
fn reserves_lie_mostly_inside_the_red_line() {
    let ds = Dataset::from_dir(&data_dir()).unwrap();
    let to_mp = |g: &Geometry| match g {
        Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        Geometry::MultiPolygon(mp) => mp.clone(),
        _ => unreachable!(),
    };
    let red = ds
        .layer("redline")
        .unwrap()
        .features
        .iter()
        .fold(MultiPolygon(vec![]), |acc, f| {
            acc.union(&to_mp(&f.geometry))
        });
    let reserves = ds
        .layer("nature_reserve")
        .unwrap()
        .features
        .iter()
        .fold(MultiPolygon(vec![]), |acc, f| {
            acc.union(&to_mp(&f.geometry))
        });
    let inside = ecospace::geodesy::area_m2(&Geometry::MultiPolygon(red.intersection(&reserves)));
    let all = ecospace::geodesy::area_m2(&Geometry::MultiPolygon(reserves));
    assert!(
        inside / all >= 0.8,
        "only {:.1} % of reserve area is inside the red line",
        inside / all * 100.0
    );
}

/// (numerator, denominator) in m of a line layer's ratio in `year`.
fn ratio(layer: &str, year: i64, numerator: impl Fn(&Value) -> bool) -> (f64, f64) {
    let fs = features(layer);
    let live: Vec<&Value> = fs.iter().filter(|f| valid_in(f, year)).collect();
    let total: f64 = live.iter().map(|f| length_m(f)).sum();
    let part: f64 = live
        .iter()
        .filter(|f| numerator(&f["properties"]))
        .map(|f| length_m(f))
        .sum();
    (part, total)
}

#[test]
fn natural_shoreline_retention_is_22_53_then_25_percent() {
    let natural = |p: &Value| p["class"] == "natural";
    let pct = |y| {
        let (n, t) = ratio("shoreline", y, natural);
        (n / t * 100.0, t)
    };
    let (p18, t18) = pct(2018);
    let (p25, t25) = pct(2025);
    assert!((p18 - 22.53).abs() < 0.005, "2018: {p18} %");
    assert!((p25 - 25.00).abs() < 0.005, "2025: {p25} %");
    assert!(
        (t18 - t25).abs() < 1e-6,
        "total shoreline is constant: {t18} vs {t25}"
    );
    assert!(
        (t18 / 1e3 - 135.0).abs() < 1.0,
        "the GSHHG mainland shore is ~135 km, got {t18}"
    );
    // The plan's target years hold: ≥ 22.53 % in 2020 and never falling.
    let series: Vec<f64> = YEARS.map(|y| pct(y).0).collect();
    assert!(series.windows(2).all(|w| w[1] >= w[0] - 1e-9), "{series:?}");
    assert!(pct(2020).0 >= 22.53 - 0.005);
    // Every class is natural or artificial.
    assert!(features("shoreline").iter().all(|f| matches!(
        f["properties"]["class"].as_str(),
        Some("natural" | "artificial")
    )));
}

#[test]
fn the_five_restoration_segments_are_modelled_by_name() {
    let fs = features("shoreline");
    let names: BTreeSet<&str> = fs
        .iter()
        .filter_map(|f| f["properties"]["restoration"].as_str())
        .collect();
    for want in [
        "澉浦长墙山工业园岸段",
        "海盐东段围涂二期外侧海塘岸段",
        "灯光山西南端北侧沿海段",
        "益山沿海段",
        "灯光山至陈山沿海段",
    ] {
        assert!(names.contains(want), "{want} missing from {names:?}");
    }
    // In 2025 the segments add up to about 9.3 km of restored coast (each counted once).
    let restored: f64 = fs
        .iter()
        .filter(|f| valid_in(f, 2025) && f["properties"]["restoration"].is_string())
        .map(length_m)
        .sum();
    assert!((restored / 1e3 - 9.3).abs() < 0.5, "restored {restored} m");
}

#[test]
fn river_bank_protection_is_12_22_then_14_then_20_percent() {
    let protected = |p: &Value| p["protected"] == true;
    let pct = |y| {
        let (n, t) = ratio("river_bank", y, protected);
        n / t * 100.0
    };
    for (y, want) in [(2018, 12.22), (2020, 14.00), (2025, 20.00)] {
        let got = pct(y);
        assert!((got - want).abs() < 0.005, "{y}: {got} %, plan {want} %");
    }
    let series: Vec<f64> = YEARS.map(pct).collect();
    assert!(
        series.windows(2).all(|w| w[1] >= w[0] - 1e-9),
        "monotone: {series:?}"
    );
}

#[test]
fn eight_water_sources_each_with_three_levels() {
    let mut levels: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    for f in features("water_source") {
        let p = &f["properties"];
        levels
            .entry(p["source"].as_str().unwrap().to_string())
            .or_default()
            .insert(p["level"].as_i64().unwrap());
    }
    assert_eq!(levels.len(), 8, "{levels:?}");
    for (s, l) in &levels {
        assert_eq!(l, &BTreeSet::from([1, 2, 3]), "{s}");
    }
}

#[test]
fn every_feature_has_id_name_and_a_jiaxing_county_and_lies_in_the_city() {
    let counties = [
        "330402", "330411", "330421", "330424", "330481", "330482", "330483",
    ];
    for layer in [
        "redline",
        "nature_reserve",
        "water_source",
        "shoreline",
        "river_bank",
    ] {
        let mut ids = BTreeSet::new();
        for f in features(layer) {
            let id = f["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{layer}: feature without string id"));
            assert!(ids.insert(id.to_string()), "{layer}: duplicate {id}");
            let p = &f["properties"];
            assert!(
                p["name"].as_str().is_some_and(|n| !n.is_empty()),
                "{layer} {id}"
            );
            assert!(
                counties.contains(&p["county"].as_str().unwrap_or("")),
                "{layer} {id}: county {}",
                p["county"]
            );
            let pts: Vec<[f64; 2]> = match f["geometry"]["type"].as_str().unwrap() {
                "Polygon" | "MultiPolygon" => {
                    polygons(&f).into_iter().flatten().flatten().collect()
                }
                _ => lines(&f).into_iter().flatten().collect(),
            };
            // The city's extent (Amap outline, WGS84): 120.2908–121.3358 E, 30.2648–31.0325 N.
            assert!(
                pts.iter()
                    .all(|c| (120.29..=121.34).contains(&c[0]) && (30.26..=31.04).contains(&c[1])),
                "{layer} {id} leaves the city"
            );
        }
    }
}

#[test]
fn the_library_measures_what_the_independent_formulas_measure() {
    let ds = Dataset::from_dir(&data_dir()).unwrap();
    for layer in &ds.layers {
        let raw = features(layer.id());
        assert_eq!(raw.len(), layer.features.len());
        for (f, r) in layer.features.iter().zip(&raw) {
            match layer.kind() {
                // Long straight edges differ slightly between the two edge models (geodesic vs straight in
                // the equal-area plane): a few parts per million on a 10 km² zone.
                ecospace::LayerKind::Zone => close(f.area_m2(), area_m2(r), 1e-5),
                ecospace::LayerKind::Line => close(f.length_m(), length_m(r), 1e-6),
            }
        }
    }
}

#[test]
fn the_binary_embeds_exactly_the_files_on_disk() {
    let disk = Dataset::from_dir(&data_dir()).unwrap();
    let bundled = Dataset::bundled().unwrap();
    assert_eq!(disk.version, bundled.version);
    assert_eq!(disk.feature_count(), bundled.feature_count());
}
