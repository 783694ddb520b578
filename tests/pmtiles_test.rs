//! `tiles export --format pmtiles`, read back by the independent reader (Python `pmtiles`, the
//! Protomaps reference implementation): every tile is where its z/x/y says, its bytes are what
//! `tiles::render` draws, no non-empty tile is missing, and the header and metadata describe it.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::tiles::{self, pmtiles, TileId};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
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
    let text = stdout_of(
        common::python()
            .arg(fixture("../tools/read_pmtiles.py"))
            .arg(archive)
            .arg(dir),
    );
    serde_json::from_str(&text).unwrap()
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

/// The lon/lat box of every coordinate of the features in force in `year` (`valid_from` ≤ year
/// < `valid_to`) in a data folder's GeoJSON layers, read as plain JSON.
fn raw_bbox(dir: &Path, year: i64) -> [f64; 4] {
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
                let p = &f["properties"];
                if p["valid_from"].as_i64().is_some_and(|y| y > year)
                    || p["valid_to"].as_i64().is_some_and(|y| y <= year)
                {
                    continue;
                }
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
    let b = raw_bbox(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/jiaxing"),
        2025,
    );
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

/// The tiles of zoom `z` whose buffered square a lon/lat box reaches: the bbox rule the
/// exporter used before it tested geometries, worked out here from the tile grid formulas.
fn bbox_tiles(b: [f64; 4], z: u32) -> BTreeSet<(u32, u32, u32)> {
    let n = f64::from(1u32 << z);
    let pad = tiles::BUFFER / f64::from(tiles::EXTENT);
    let fx = |lon: f64| (lon + 180.0) / 360.0 * n;
    let fy = |lat: f64| {
        let r = lat.to_radians();
        (1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n
    };
    let clamp = |v: f64| v.floor().clamp(0.0, n - 1.0) as u32;
    let mut out = BTreeSet::new();
    for x in clamp(fx(b[0]) - pad)..=clamp(fx(b[2]) + pad) {
        for y in clamp(fy(b[3]) - pad)..=clamp(fy(b[1]) + pad) {
            out.insert((z, x, y));
        }
    }
    out
}

/// Candidates are found by geometry: for the line layers (diagonal rivers and shores, whose
/// bboxes span mostly empty tiles) and the red line, the candidates at z13 hold every tile that
/// renders non-empty (rendering the whole grid over the layer says which) and few others, far
/// fewer than the features' bboxes reach.
#[test]
fn candidates_follow_geometries_not_bboxes() {
    let ds = ecospace::Dataset::open(None).unwrap();
    for (id, max_ratio) in [("shoreline", 0.8), ("river_bank", 0.8), ("redline", 0.95)] {
        let layer = ds.layer(id).unwrap();
        let p = tiles::export::Pyramid {
            min_zoom: 13,
            max_zoom: 13,
            year: 2025,
        };
        let got: BTreeSet<(u32, u32, u32)> = tiles::export::candidates(&[layer], &p)
            .into_iter()
            .map(|t| (u32::from(t.z), t.x, t.y))
            .collect();
        let mut by_bbox = BTreeSet::new();
        let mut extent = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for f in layer.features.iter().filter(|f| f.valid_in(2025)) {
            by_bbox.extend(bbox_tiles(f.bbox, 13));
            let b = f.bbox;
            extent = [
                extent[0].min(b[0]),
                extent[1].min(b[1]),
                extent[2].max(b[2]),
                extent[3].max(b[3]),
            ];
        }
        let mut non_empty = BTreeSet::new();
        for (z, x, y) in bbox_tiles(extent, 13) {
            if tiles::render(&[layer], TileId::new(z, x, y).unwrap(), 2025).is_some() {
                non_empty.insert((z, x, y));
            }
        }
        assert!(!non_empty.is_empty(), "{id}");
        assert!(
            non_empty.is_subset(&got),
            "{id}: tiles that render but are no candidates: {:?}",
            non_empty.difference(&got).collect::<Vec<_>>()
        );
        assert!(
            got.len() as f64 <= non_empty.len() as f64 * 1.02 + 2.0,
            "{id}: {} candidates for {} non-empty tiles",
            got.len(),
            non_empty.len()
        );
        assert!(
            (got.len() as f64) < max_ratio * by_bbox.len() as f64,
            "{id}: {} candidates, {} by bbox",
            got.len(),
            by_bbox.len()
        );
        eprintln!(
            "{id} z13: {} non-empty, {} candidates, {} by bbox",
            non_empty.len(),
            got.len(),
            by_bbox.len()
        );
    }
}

fn export_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ecospace"))
        .args(["tiles", "export"])
        .args(args)
        .output()
        .unwrap()
}

fn header_bounds(v: &Value) -> [f64; 4] {
    let h = &v["header"];
    let deg = |k: &str| h[k].as_i64().unwrap() as f64 / 1e7;
    [
        deg("min_lon_e7"),
        deg("min_lat_e7"),
        deg("max_lon_e7"),
        deg("max_lat_e7"),
    ]
}

/// The header's bounds are those of the features in force in the exported year: in the mini
/// fixture, zone B starts in 2020, so 2019's archive covers square A only (by hand: A is
/// 120.70–120.72 × 30.70–30.72, B 120.80–120.81 × 30.70–30.71).
#[test]
fn header_bounds_are_the_exported_years_features() {
    let dir = tmp("bounds");
    let data = fixture("mini");
    for (year, want) in [
        ("2019", [120.70, 30.70, 120.72, 30.72]),
        ("2020", [120.70, 30.70, 120.81, 30.72]),
    ] {
        let archive = dir.join(format!("{year}.pmtiles"));
        let out = export_cli(&[
            "--data",
            data.to_str().unwrap(),
            "--layers",
            "zone",
            "--year",
            year,
            "--minzoom",
            "8",
            "--maxzoom",
            "12",
            "--out",
            archive.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = read_back(&archive, &dir);
        let got = header_bounds(&v);
        for k in 0..4 {
            assert!(
                (got[k] - want[k]).abs() < 1e-7,
                "{year}: {got:?} vs {want:?}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The lon/lat box of tile z/x/y (the slippy-map formulas).
fn tile_box(z: u32, x: u32, y: u32) -> [f64; 4] {
    let n = f64::from(1u32 << z);
    let lon = |x: f64| x / n * 360.0 - 180.0;
    let lat = |y: f64| {
        (std::f64::consts::PI * (1.0 - 2.0 * y / n))
            .sinh()
            .atan()
            .to_degrees()
    };
    [
        lon(f64::from(x)),
        lat(f64::from(y + 1)),
        lon(f64::from(x + 1)),
        lat(f64::from(y)),
    ]
}

/// Decompressed tiles by z/x/y.
type Tiles = BTreeMap<(u32, u32, u32), Vec<u8>>;

/// The decompressed tiles of an archive, as the reference reader found them.
fn tiles_of(archive: &Path, dir: &Path) -> (Value, Tiles) {
    std::fs::create_dir_all(dir).unwrap();
    let v = read_back(archive, dir);
    let tiles = v["tiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let (z, x, y) = zxy(t);
            let bytes = std::fs::read(dir.join(format!("{z}_{x}_{y}.mvt"))).unwrap();
            ((z, x, y), bytes)
        })
        .collect();
    (v, tiles)
}

/// After a layer update (zone B moved 0.02° east and renamed), `--previous` + `--diff-out`
/// write the full archive and one with only the tiles that differ. The reference reader, reading
/// both full archives, says which differ: exactly the diff's tiles and the changed list, with
/// the new bytes (an empty tile for one that is empty now), all near B, and the diff's header
/// bounded by them. Exporting again with nothing changed writes no diff.
#[test]
fn a_layer_update_writes_the_changed_tiles_as_a_diff() {
    let dir = tmp("diff");
    let data = copy_fixture("mini", "pmtiles-diff");
    let run = |out: &Path, extra: &[&str]| {
        let mut args = vec![
            "--data",
            data.to_str().unwrap(),
            "--year",
            "2025",
            "--minzoom",
            "9",
            "--maxzoom",
            "15",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = export_cli(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let old = dir.join("v1.pmtiles");
    run(&old, &[]);

    let zone = data.join("zone.geojson");
    let text = std::fs::read_to_string(&zone).unwrap();
    let moved = text
        .replace("[120.80,", "[120.82,")
        .replace("[120.81,", "[120.83,")
        .replace("方块B", "方块B（更新）");
    assert_ne!(moved, text);
    std::fs::write(&zone, moved).unwrap();

    let (new, diff, list) = (
        dir.join("v2.pmtiles"),
        dir.join("v2-diff.pmtiles"),
        dir.join("v2-changed.txt"),
    );
    // The full archive at `new`, the diff and the list against `previous`.
    let export_against = |previous: &Path| {
        run(
            &new,
            &[
                "--previous",
                previous.to_str().unwrap(),
                "--diff-out",
                diff.to_str().unwrap(),
                "--changed-list",
                list.to_str().unwrap(),
            ],
        )
    };
    let said = export_against(&old);
    let (_, before) = tiles_of(&old, &dir.join("old"));
    let (_, after) = tiles_of(&new, &dir.join("new"));
    let (dv, in_diff) = tiles_of(&diff, &dir.join("diff"));
    let keys: BTreeSet<_> = before.keys().chain(after.keys()).copied().collect();
    let differ: BTreeSet<(u32, u32, u32)> = keys
        .into_iter()
        .filter(|k| before.get(k) != after.get(k))
        .collect();
    assert!(!differ.is_empty());
    assert!(
        differ.len() < after.len() / 2,
        "{} of {}",
        differ.len(),
        after.len()
    );
    assert_eq!(in_diff.keys().copied().collect::<BTreeSet<_>>(), differ);
    for (k, bytes) in &in_diff {
        match after.get(k) {
            Some(b) => assert_eq!(bytes, b, "{k:?}"),
            None => assert!(bytes.is_empty(), "{k:?} is gone: an empty tile"),
        }
    }
    assert!(
        differ.iter().any(|k| !after.contains_key(k)),
        "moving B empties some tile"
    );
    let listed: BTreeSet<(u32, u32, u32)> = std::fs::read_to_string(&list)
        .unwrap()
        .lines()
        .map(|l| {
            let n: Vec<u32> = l.split('/').map(|s| s.parse().unwrap()).collect();
            (n[0], n[1], n[2])
        })
        .collect();
    assert_eq!(listed, differ);
    assert!(
        said.contains(&format!("{} tiles changed", differ.len())),
        "{said}"
    );

    // All of them near B (old or new place, with the render's buffer), none near A only; the
    // diff's header bounds are the box of the deepest zoom's changed tiles (z0's is the world).
    let deepest = differ.iter().map(|k| k.0).max().unwrap();
    assert_eq!(deepest, 15);
    let near_b = [120.80 - 0.001, 30.70 - 0.001, 120.83 + 0.001, 30.71 + 0.001];
    let mut area = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for &(z, x, y) in &differ {
        let b = tile_box(z, x, y);
        let pad = (b[2] - b[0]) * tiles::BUFFER / f64::from(tiles::EXTENT);
        assert!(
            b[0] - pad <= near_b[2]
                && b[2] + pad >= near_b[0]
                && b[1] - pad <= near_b[3]
                && b[3] + pad >= near_b[1],
            "{z}/{x}/{y} is far from B"
        );
        if z < deepest {
            continue;
        }
        area = [
            area[0].min(b[0]),
            area[1].min(b[1]),
            area[2].max(b[2]),
            area[3].max(b[3]),
        ];
    }
    let got = header_bounds(&dv);
    for k in 0..4 {
        assert!((got[k] - area[k]).abs() < 2e-7, "{got:?} vs {area:?}");
    }
    assert_eq!(dv["metadata"]["diff"]["tiles"], differ.len());
    assert_eq!(
        dv["metadata"]["diff"]["base_data_version"],
        read_back(&old, &dir.join("old"))["metadata"]["data_version"]
    );

    // Nothing changed since v2: no diff (the old one goes, so it cannot pass for this run's),
    // an empty list; --previous may be --out itself.
    assert!(diff.exists());
    let said = export_against(&new);
    assert!(said.contains("0 tiles changed"), "{said}");
    assert!(said.contains("no tile changed"), "{said}");
    assert!(said.contains("removed the old"), "{said}");
    assert!(!diff.exists());
    assert_eq!(std::fs::read_to_string(&list).unwrap(), "");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&data);
}

/// A --previous that is not a PMTiles archive is a clear error, and --out is left as it was;
/// --diff-out needs --previous.
#[test]
fn a_bad_previous_archive_is_a_clear_error_and_writes_nothing() {
    let dir = tmp("badprev");
    let (out, prev) = (dir.join("out.pmtiles"), dir.join("prev.pmtiles"));
    std::fs::write(&out, b"the published archive").unwrap();
    std::fs::write(&prev, b"<html>404</html> - not an archive, longer than a header would be, so that the magic is what fails and not the length of the file, which must be more than 127 bytes long").unwrap();
    let o = export_cli(&[
        "--maxzoom",
        "8",
        "--out",
        out.to_str().unwrap(),
        "--previous",
        prev.to_str().unwrap(),
    ]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        e.contains("--previous") && e.contains("not a PMTiles v3 archive"),
        "{e}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"the published archive");
    let o = export_cli(&["--out", out.to_str().unwrap(), "--diff-out", "d.pmtiles"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--previous"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
