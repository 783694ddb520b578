//! QGIS as a real client of ecospace: Debian 12's python3-qgis (QGIS 3.22), headless, runs
//! `tests/tools/qgis_check.py` against a server on a copy of the bundled Jiaxing data with an
//! admin token (so OGC API – Features Part 4 editing is on). It loads the red line through
//! QGIS's OAPIF provider and through its vector-tile layer, draws each, and reports what it saw
//! and every request it made. Expected values come from `data/jiaxing/redline.geojson` itself:
//! read here with serde_json, and measured with shapely + pyproj in the project's virtualenv
//! (`qgis_check.py expect`), never from ecospace.
//! Needs `scripts/setup.sh` (python3-qgis; the virtualenv) — the README's test command runs it.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::{AppState, Limits, WebConfig};
use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

const TOKEN: &str = "qg1s-Tok3n";
/// The map's frame, lon/lat W S E N: Jiaxing, drawn in EPSG:3857 at [`SIZE`] pixels.
const FRAME: [f64; 4] = [120.3, 30.4, 121.3, 31.0];
const SIZE: (u32, u32) = (1200, 840);
/// A lon/lat box for the server-side bbox filter: it meets four red-line polygons, and the
/// envelope (not the polygon) of a fifth, Nanbeihu (RL-330424-01).
const BBOX: [f64; 4] = [120.74, 30.46, 120.87, 30.80];
/// Debian's Python, the one python3-qgis installs into (not the virtualenv's, not pyenv's).
const QGIS_PYTHON: &str = "/usr/bin/python3";
/// Spherical-Mercator radius (EPSG:3857).
const R: f64 = 6_378_137.0;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn redline_file() -> PathBuf {
    root().join("data/jiaxing/redline.geojson")
}

struct Run {
    /// What QGIS saw (`qgis_check.py qgis`).
    qgis: Value,
    /// What shapely measures from the file over the extent QGIS drew (`qgis_check.py expect`).
    expect: Value,
    /// The file's features: id → (name, county).
    file: BTreeMap<String, (String, String)>,
    /// `Allow` of OPTIONS /collections/redline/items on the server QGIS used.
    allow: String,
    /// The served copy of redline.geojson was byte for byte the same after QGIS had been at it.
    file_unchanged: bool,
}

/// Fails (never skips) without python3-qgis: the README's test command installs it.
fn require_qgis() {
    let ok = Command::new(QGIS_PYTHON)
        .args(["-c", "import qgis.core"])
        .env_remove("PYTHONPATH")
        .env_remove("PYTHONHOME")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "python3-qgis is missing ({QGIS_PYTHON} cannot import qgis.core): run `bash scripts/setup.sh`"
    );
}

/// The bundled data's files (not its `samples/`) in a fresh folder of their own.
fn copy_bundled(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    for e in std::fs::read_dir(root().join("data/jiaxing")).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
}

fn json_of(cmd: &mut Command) -> Value {
    let text = stdout_of(cmd);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{cmd:?}: not JSON ({e}): {text}"))
}

/// One QGIS session for all the tests below (it takes seconds to start).
fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        require_qgis();
        let tmp = std::env::temp_dir().join(format!("ecospace-qgis-{}", std::process::id()));
        let data = tmp.join("data");
        copy_bundled(&data);
        let before = std::fs::read(data.join("redline.geojson")).unwrap();
        let web = WebConfig {
            admin_token: Some(TOKEN.into()),
            ..WebConfig::default()
        };
        let ds = ecospace::Dataset::from_dir(&data).unwrap();
        let addr = serve_state(Arc::new(AppState::new(ds, Limits::default(), web)));
        let allow = request(addr, "OPTIONS", "/collections/redline/items", b"")
            .headers
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("allow")
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default();

        let out = tmp.join("out");
        let xdg = tmp.join("xdg"); // Qt wants its runtime dir private
        std::fs::create_dir_all(&out).unwrap();
        std::fs::create_dir_all(&xdg).unwrap();
        std::fs::set_permissions(&xdg, std::fs::Permissions::from_mode(0o700)).unwrap();
        let script = root().join("tests/tools/qgis_check.py");
        let num = |v: &[f64]| v.iter().map(f64::to_string).collect::<Vec<_>>();
        let qgis = json_of(
            Command::new(QGIS_PYTHON)
                .arg(&script)
                .arg("qgis")
                .arg(format!("http://{addr}"))
                .arg(&out)
                .args([SIZE.0.to_string(), SIZE.1.to_string()])
                .args(num(&FRAME))
                .args(num(&BBOX))
                .env("QT_QPA_PLATFORM", "offscreen")
                .env("XDG_RUNTIME_DIR", &xdg)
                .env("NO_PROXY", "127.0.0.1")
                .env("no_proxy", "127.0.0.1")
                .env_remove("PYTHONPATH")
                .env_remove("PYTHONHOME"),
        );
        let extent: Vec<f64> = qgis["extent_3857"]
            .as_array()
            .unwrap_or_else(|| panic!("no extent in {qgis}"))
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let expect = json_of(
            python()
                .arg(&script)
                .arg("expect")
                .arg(redline_file())
                .args(num(&extent))
                .args(num(&BBOX)),
        );

        let text = std::fs::read_to_string(redline_file()).unwrap();
        let file = serde_json::from_str::<Value>(&text).unwrap()["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let p = &f["properties"];
                let s = |v: &Value| v.as_str().unwrap().to_string();
                (s(&f["id"]), (s(&p["name"]), s(&p["county"])))
            })
            .collect();
        let file_unchanged = std::fs::read(data.join("redline.geojson")).unwrap() == before;
        let _ = std::fs::remove_dir_all(&tmp);
        Run {
            qgis,
            expect,
            file,
            allow,
            file_unchanged,
        }
    })
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// The requests QGIS made in one phase of the script.
fn requests<'a>(q: &'a Value, phase: &str) -> Vec<&'a Value> {
    q["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["phase"] == phase)
        .collect()
}

#[test]
fn qgis_is_debian_12s_3_22_and_every_request_it_makes_is_answered() {
    let q = &run().qgis;
    // The expectations below (what is filtered where, no editing) are QGIS 3.22's.
    let version = q["version"].as_str().unwrap();
    assert!(
        version.starts_with("3.22."),
        "QGIS {version}: these expectations were written for Debian 12's 3.22; revisit them"
    );
    let reqs = q["requests"].as_array().unwrap();
    assert!(reqs.len() >= 5, "{reqs:?}");
    for r in reqs {
        let url = r["url"].as_str().unwrap();
        // 204 is an empty tile (no red line there), which QGIS takes without a complaint.
        let fine = r["status"] == 200 || (r["status"] == 204 && url.contains("/tiles/"));
        assert!(fine, "{r}");
        assert!(r.get("error").is_none(), "{r}");
    }
    // Nothing at Warning (1) or Critical (2) in QGIS's message log.
    let bad: Vec<&Value> = q["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["level"] == 1 || m["level"] == 2)
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    // Landing page, OpenAPI document, collection, then items (3.22 asks for no /conformance).
    let urls: Vec<&str> = requests(q, "load")
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect();
    let base = urls[0].to_string();
    assert_eq!(
        urls[..4],
        [
            base.clone(),
            format!("{base}/api"),
            format!("{base}/collections/redline"),
            format!("{base}/collections/redline/items?limit=10"),
        ]
    );
}

#[test]
fn the_oapif_layer_has_the_files_features_as_multipolygons() {
    let Run { qgis: q, file, .. } = run();
    assert_eq!(q["valid"], true, "{q}");
    assert_eq!(q["crs"], "EPSG:4326");
    assert_eq!(q["feature_count"], file.len());
    // The file mixes Polygon and MultiPolygon; ecospace serves one type, and QGIS sees it.
    assert_eq!(q["geometry_type"], "MultiPolygon");
    let fields = strings(&q["fields"]);
    for f in ["id", "name", "county"] {
        assert!(fields.iter().any(|x| x == f), "{f} not in {fields:?}");
    }
    let seen: BTreeMap<String, (String, String)> = q["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["geometry_type"], "MultiPolygon", "{f}");
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("id"), (s("name"), s("county")))
        })
        .collect();
    assert_eq!(q["features"].as_array().unwrap().len(), file.len());
    assert_eq!(&seen, file);

    // In pages of 5 (pageSize), by the server's `next` links: every feature once.
    assert_eq!(
        strings(&q["paged_ids"]),
        file.keys().cloned().collect::<Vec<_>>()
    );
    // (After the provider's probe of 10 at load; the last page has no `next`.)
    let pages: Vec<&str> = requests(q, "paged")
        .iter()
        .filter_map(|r| {
            r["url"]
                .as_str()
                .unwrap()
                .split_once("/collections/redline/")
        })
        .map(|(_, path)| path)
        .collect();
    assert_eq!(
        pages,
        [
            "items?limit=10",
            "items?limit=5",
            "items?limit=5&offset=5",
            "items?limit=5&offset=10"
        ]
    );
}

#[test]
fn a_subset_string_is_filtered_by_qgis_and_a_bbox_by_the_server() {
    let Run {
        qgis: q,
        expect,
        file,
        ..
    } = run();
    // setSubsetString works, but 3.22 evaluates it itself: it pushes only `datetime=` (for
    // Date/DateTime fields, which the red line has none of) to an OAPIF server.
    let mut want: Vec<&String> = file
        .values()
        .filter(|(_, county)| county == "330402")
        .map(|(name, _)| name)
        .collect();
    want.sort();
    let sub = &q["subset"];
    assert_eq!(sub["accepted"], true, "{sub}");
    assert_eq!(sub["feature_count"], want.len(), "{sub}");
    let names = strings(&sub["names"]);
    assert_eq!(names.iter().collect::<Vec<_>>(), want);
    let subset_reqs = requests(q, "subset");
    assert!(!subset_reqs.is_empty());
    for r in subset_reqs {
        let url = r["url"].as_str().unwrap();
        assert!(
            url.ends_with("/collections/redline/items?limit=100"),
            "{url}"
        );
    }

    // With restrictToRequestBBOX the rectangle goes to the server as `bbox=`; the answer is
    // the polygons that meet it, not those whose envelope does (QGIS adds no exact test).
    let bbox_urls: Vec<&str> = requests(q, "bbox")
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .filter(|u| u.contains("/items?"))
        .collect();
    assert!(
        bbox_urls.iter().any(|u| u.contains("&bbox=120.7")),
        "{bbox_urls:?}"
    );
    assert_ne!(expect["in_box"], expect["envelope_in_box"], "{expect}");
    assert_eq!(strings(&q["bbox_ids"]), strings(&expect["in_box"]));
}

/// EPSG:3857 of a lon/lat point (spherical Mercator, by its formula).
fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let y = (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
        .tan()
        .ln();
    (R * lon.to_radians(), R * y)
}

#[test]
fn both_layers_draw_the_red_lines_share_of_the_map() {
    let Run {
        qgis: q, expect, ..
    } = run();
    assert_eq!(q["tiles_valid"], true, "{q}");
    assert_eq!(q["render_errors"], serde_json::json!([]));
    // QGIS drew at least the frame asked for, in EPSG:3857 (it widens one side to the image's
    // aspect ratio).
    let ext: Vec<f64> = q["extent_3857"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let (x0, y0) = mercator(FRAME[0], FRAME[1]);
    let (x1, y1) = mercator(FRAME[2], FRAME[3]);
    let tol = 1.0; // m
    assert!(
        ext[0] <= x0 + tol && ext[1] <= y0 + tol && ext[2] >= x1 - tol && ext[3] >= y1 - tol,
        "drawn {ext:?}, asked {:?}",
        [x0, y0, x1, y1]
    );
    assert!(
        ((ext[2] - ext[0]) / (x1 - x0) - 1.0).abs() < 0.01,
        "{ext:?}"
    );
    assert!(
        ((ext[3] - ext[1]) / (y1 - y0) - 1.0).abs() < 0.01,
        "{ext:?}"
    );

    let px = &q["pixels"];
    let total = px["total"].as_f64().unwrap();
    assert_eq!(total, f64::from(SIZE.0 * SIZE.1));
    // No antialiasing, no outline: every pixel is the background or the fill.
    assert_eq!(px["oapif_other"], 0, "{px}");
    assert_eq!(px["tiles_other"], 0, "{px}");
    // Pixels are filled by their centres, so the count errs only along the boundary, both
    // ways: allow a tenth of the boundary's length in pixels (observed: under 1 %).
    let want = expect["share"].as_f64().unwrap() * total;
    let pixel_m = (ext[2] - ext[0]) / f64::from(SIZE.0);
    let boundary_px = expect["boundary_m"].as_f64().unwrap() / pixel_m;
    assert!(want > 10_000.0, "the frame holds the red line: {expect}");
    for key in ["oapif_red", "tiles_blue"] {
        let got = px[key].as_f64().unwrap();
        assert!(
            (got - want).abs() <= 0.1 * boundary_px,
            "{key}: {got} px, shapely's share {want:.0} px (boundary {boundary_px:.0} px)"
        );
    }
    // The tiles and the features cover the same pixels, but for a few along the boundary
    // (the tiles' coordinates are quantised to their 4096-unit grid).
    let disagree = px["disagree"].as_f64().unwrap();
    assert!(disagree <= 0.05 * boundary_px, "{px}");
}

#[test]
fn qgis_3_22_cannot_edit_through_ogc_api_features_part_4() {
    let r = run();
    // The server offers Part 4 (the token is configured)…
    assert!(
        r.allow.split(", ").any(|m| m == "POST"),
        "Allow: {}",
        r.allow
    );
    // …but QGIS 3.22's OAPIF provider is read-only: its capabilities are SelectAtId,
    // ReadLayerMetadata and ReloadData, so the layer will not enter editing mode.
    let q = &r.qgis;
    for cap in [
        "AddFeatures",
        "DeleteFeatures",
        "ChangeAttributeValues",
        "ChangeGeometries",
    ] {
        assert_eq!(q["can"][cap], false, "{cap}: {}", q["can"]);
    }
    assert_eq!(q["can"]["SelectAtId"], true);
    assert_eq!(q["start_editing"], false);
    // It only ever read, and the served file is as it was.
    for req in q["requests"].as_array().unwrap() {
        assert_eq!(req["method"], "GET", "{req}");
    }
    assert!(r.file_unchanged);
}
