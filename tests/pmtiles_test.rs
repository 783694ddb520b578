//! `tiles export --format pmtiles`, read back by the independent reader (Python `pmtiles`, the
//! Protomaps reference implementation): every tile is where its z/x/y says, its bytes are what
//! `tiles::render` draws, no non-empty tile is missing, and the header and metadata describe it.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::tiles::{self, pmtiles, TileId};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ecospace-pmtiles-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs the reader; returns its JSON, with the decompressed tiles left in `dir`.
fn read_back(archive: &Path, dir: &Path) -> Value {
    let out = common::python()
        .arg(fixture("../tools/read_pmtiles.py"))
        .arg(archive)
        .arg(dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "reader failed (run scripts/setup.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn zxy(t: &Value) -> (u32, u32, u32) {
    let n = |i: usize| t[i].as_u64().unwrap() as u32;
    (n(0), n(1), n(2))
}

/// Every tile the reader found decodes to exactly what `render` draws for that z/x/y.
fn assert_tiles_render(layers: &[&ecospace::Layer], v: &Value, dir: &Path, year: i32) {
    let tiles = v["tiles"].as_array().unwrap();
    assert!(!tiles.is_empty());
    for t in tiles {
        let (z, x, y) = zxy(t);
        let got = std::fs::read(dir.join(format!("{z}_{x}_{y}.mvt"))).unwrap();
        let expected = tiles::render(layers, TileId::new(z, x, y).unwrap(), year)
            .unwrap_or_else(|| panic!("{z}/{x}/{y} is in the archive but renders empty"));
        assert!(got == expected, "tile {z}/{x}/{y} differs from render()");
    }
}

/// The non-empty tiles of zoom `z`, by rendering every tile of the grid over `bbox` (padded by a
/// tile each way) — the brute force the exporter's bbox pruning must agree with.
fn brute_force(
    ds: &ecospace::Dataset,
    bbox: [f64; 4],
    z: u32,
    year: i32,
) -> BTreeSet<(u32, u32, u32)> {
    let layers: Vec<_> = ds.layers.iter().collect();
    let n = 1u32 << z;
    let col = |lon: f64| {
        (((lon + 180.0) / 360.0 * f64::from(n)).floor() as i64).clamp(0, i64::from(n) - 1) as u32
    };
    let row = |lat: f64| {
        let r = lat.to_radians();
        let f = (1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * f64::from(n);
        (f.floor() as i64).clamp(0, i64::from(n) - 1) as u32
    };
    let (x0, x1) = (
        col(bbox[0]).saturating_sub(1),
        (col(bbox[2]) + 1).min(n - 1),
    );
    let (y0, y1) = (
        row(bbox[3]).saturating_sub(1),
        (row(bbox[1]) + 1).min(n - 1),
    );
    let mut out = BTreeSet::new();
    for x in x0..=x1 {
        for y in y0..=y1 {
            if tiles::render(&layers, TileId::new(z, x, y).unwrap(), year).is_some() {
                out.insert((z, x, y));
            }
        }
    }
    out
}

/// The lon/lat box of every coordinate in a data folder's GeoJSON layers, read as plain JSON.
fn raw_bbox(dir: &Path) -> [f64; 4] {
    fn walk(v: &Value, b: &mut [f64; 4]) {
        match v {
            Value::Array(a) if a.len() >= 2 && a[0].is_number() && a[1].is_number() => {
                let (x, y) = (a[0].as_f64().unwrap(), a[1].as_f64().unwrap());
                *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, b)),
            _ => {}
        }
    }
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "geojson") {
            let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            for f in v["features"].as_array().unwrap() {
                walk(&f["geometry"]["coordinates"], &mut b);
            }
        }
    }
    b
}

#[test]
fn bundled_pyramid_reads_back_tile_for_tile() {
    let dir = tmp("bundled");
    let archive = dir.join("jiaxing.pmtiles");
    let out = Command::new(env!("CARGO_BIN_EXE_ecospace"))
        .args(["tiles", "export", "--format", "pmtiles", "--year", "2025"])
        .args(["--minzoom", "0", "--maxzoom", "12", "--out"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = read_back(&archive, &dir);
    let ds = ecospace::Dataset::open(None).unwrap();
    let all: Vec<_> = ds.layers.iter().collect();
    assert_tiles_render(&all, &v, &dir, 2025);

    let h = &v["header"];
    assert_eq!(h["min_zoom"], 0);
    assert_eq!(h["max_zoom"], 12);
    assert_eq!(h["tile_type"], "MVT");
    assert_eq!(h["internal_compression"], "GZIP");
    let b = raw_bbox(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/jiaxing"));
    for (key, deg) in [
        ("min_lon_e7", b[0]),
        ("min_lat_e7", b[1]),
        ("max_lon_e7", b[2]),
        ("max_lat_e7", b[3]),
    ] {
        let e7 = h[key].as_i64().unwrap();
        assert!((e7 as f64 - deg * 1e7).abs() <= 1.0, "{key}: {e7} vs {deg}");
    }
    let n = v["tiles"].as_array().unwrap().len() as u64;
    assert_eq!(h["addressed_tiles_count"], n);
    let (entries, contents) = (
        h["tile_entries_count"].as_u64().unwrap(),
        h["tile_contents_count"].as_u64().unwrap(),
    );
    assert!(contents <= entries && entries <= n);

    // No non-empty tile is missing at any zoom, against rendering the whole grid over the data.
    let found: BTreeSet<_> = v["tiles"].as_array().unwrap().iter().map(zxy).collect();
    for z in 0..=12 {
        let expected = brute_force(&ds, b, z, 2025);
        let got: BTreeSet<_> = found.iter().filter(|t| t.0 == z).copied().collect();
        assert_eq!(got, expected, "zoom {z}");
    }

    let m = &v["metadata"];
    let names: Vec<&str> = m["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "redline",
            "nature_reserve",
            "water_source",
            "shoreline",
            "river_bank",
            "farmland",
            "urban_boundary",
            "forest",
            "water",
            "county",
            "land_sea"
        ]
    );
    assert_eq!(m["vector_layers"][0]["maxzoom"], 12);
    assert_eq!(m["year"], 2025);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn leaf_directories_and_runs_are_followed_by_the_reader() {
    // A root budget of 60 bytes and 8-entry leaves force leaf directories on a small archive.
    // Zone A is 0.02° square: about 15 tiles wide at z18, so interior tiles repeat.
    let ds = mini();
    let layers = vec![ds.layer("zone").unwrap()];
    let p = tiles::export::Pyramid {
        min_zoom: 10,
        max_zoom: 18,
        year: 2019,
    };
    let dir = tmp("leaves");
    let archive = dir.join("mini.pmtiles");
    let mut f = std::fs::File::create(&archive).unwrap();
    let report = tiles::export::export(
        &ds,
        &layers,
        &p,
        &mut f,
        pmtiles::Writer::new().with_directory_limits(60, 8),
    )
    .unwrap();
    drop(f);
    assert!(report.stats.leaf_directories > 1);
    let v = read_back(&archive, &dir);
    assert!(v["header"]["leaf_directory_length"].as_u64().unwrap() > 0);
    assert!(v["header"]["root_length"].as_u64().unwrap() <= 60);
    assert_eq!(
        v["tiles"].as_array().unwrap().len() as u64,
        report.stats.addressed_tiles
    );
    // Interior tiles of the squares are identical, so runs and shared contents must occur, and
    // each tile still reads back as its own render.
    assert!(report.stats.tile_contents < report.stats.addressed_tiles);
    assert!(report.stats.tile_entries < report.stats.addressed_tiles);
    assert_tiles_render(&layers, &v, &dir, 2019);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_zoom_ranges_and_layers_are_clear_errors() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_ecospace"))
            .args(["tiles", "export", "--out"])
            .arg(std::env::temp_dir().join(format!("ecospace-bad-{}.pmtiles", std::process::id())))
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let e = run(&["--minzoom", "9", "--maxzoom", "3"]);
    assert!(e.contains("--minzoom 9 is above --maxzoom 3"), "{e}");
    let e = run(&["--maxzoom", "19"]);
    assert!(e.contains("19 is not in 0..=18"), "{e}");
    let e = run(&["--layers", "wetland"]);
    assert!(e.contains("unknown layer \"wetland\""), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}
