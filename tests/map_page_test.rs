//! The map frontend for real: the style passes MapLibre's own validator (npm), its sprite holds
//! the patterns it names, label points lie in their zones, and the map page is driven in
//! headless Chromium against a live server on the bundled data.
//! Needs `scripts/setup.sh` (npm ci, chromium) — the README's test command runs it first.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::Limits;
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn validate(file: &std::path::Path) -> std::process::Output {
    let bin = root().join("node_modules/.bin/gl-style-validate");
    assert!(
        bin.exists(),
        "{} is missing: run scripts/setup.sh",
        bin.display()
    );
    Command::new(bin)
        .arg(file)
        .output()
        .expect("validator runs")
}

#[test]
fn the_style_file_and_the_served_style_pass_the_maplibre_validator() {
    let out = validate(&root().join("styles/ecospace.json"));
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let addr = app(mini(), Limits::default());
    let served = get(addr, "/styles/ecospace.json").json();
    let url = served["sources"]["ecospace"]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("http://{addr}/tiles/")),
        "absolute source url: {url}"
    );
    assert!(served["glyphs"].as_str().unwrap().starts_with("http://"));
    assert_eq!(
        served["sprite"].as_str().unwrap(),
        format!("http://{addr}/sprites/ecospace")
    );
    let file = std::env::temp_dir().join(format!("ecospace-style-{}.json", std::process::id()));
    std::fs::write(&file, served.to_string()).unwrap();
    let out = validate(&file);
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_page_and_its_assets_are_served() {
    let addr = app(mini(), Limits::default());
    let page = get(addr, "/map");
    assert_eq!(page.status, 200);
    assert!(page.headers.to_ascii_lowercase().contains("text/html"));
    assert!(
        page.body.contains("/assets/maplibre-gl/maplibre-gl.js"),
        "page loads MapLibre from the server"
    );
    let js = get(addr, "/assets/maplibre-gl/maplibre-gl.js");
    assert_eq!(js.status, 200, "{}", js.body);
    assert!(js.body.len() > 100_000);
    assert_eq!(
        get(addr, "/assets/maplibre-gl/package.json").status,
        404,
        "only the embedded files"
    );
    assert_eq!(
        get(addr, "/assets/maplibre-gl/..%2F..%2Fpackage.json").status,
        404
    );
    assert_eq!(get(addr, "/map/..%2FCargo.toml").status, 404);
    let glyphs = get(addr, "/fonts/Noto%20Sans/0-255.pbf");
    assert_eq!(glyphs.status, 200, "{}", glyphs.body);
    assert!(glyphs.bytes.len() > 1000, "glyphs, not an empty range");

    // `--maplibre-dir` serves another build from disk instead of the embedded one.
    let dir = std::env::temp_dir().join(format!("ecospace-maplibre-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("maplibre-gl.js"), "/* another build */").unwrap();
    let web = ecospace::WebConfig {
        maplibre_dir: Some(dir.clone()),
        ..Default::default()
    };
    let state = ecospace::AppState::new(mini(), Limits::default(), web);
    let addr = app_state(std::sync::Arc::new(state));
    assert_eq!(
        get(addr, "/assets/maplibre-gl/maplibre-gl.js").body,
        "/* another build */"
    );
    let css = get(addr, "/assets/maplibre-gl/maplibre-gl.css");
    assert_eq!(
        (css.status, css.json()["error"].as_str()),
        (404, Some("asset_missing"))
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every image the style names (`fill-pattern`) is in the sprite the server draws, at 1× and
/// 2×, inside its PNG, whose header says what the index says.
#[test]
fn the_sprite_holds_every_pattern_the_style_names() {
    let style: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("styles/ecospace.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(style["sprite"], "/sprites/ecospace");
    let named: Vec<&str> = style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["paint"]["fill-pattern"].as_str())
        .collect();
    assert!(
        named.contains(&"farmland-hatch") && named.contains(&"reserve-hatch"),
        "{named:?}"
    );
    let addr = app(mini(), Limits::default());
    for (suffix, ratio) in [("", 1), ("@2x", 2)] {
        let index = get(addr, &format!("/sprites/ecospace{suffix}.json"));
        assert_eq!(index.status, 200);
        let index = index.json();
        let png = get(addr, &format!("/sprites/ecospace{suffix}.png"));
        assert_eq!(png.status, 200);
        assert!(png.headers.to_ascii_lowercase().contains("image/png"));
        assert_eq!(&png.bytes[..8], b"\x89PNG\r\n\x1a\n");
        let dim = |at: usize| {
            u64::from(u32::from_be_bytes(
                png.bytes[at..at + 4].try_into().unwrap(),
            ))
        };
        let (w, h) = (dim(16), dim(20));
        for name in &named {
            let b = &index[*name];
            assert_eq!(b["pixelRatio"], ratio, "{name}{suffix}");
            let n = |k: &str| b[k].as_u64().unwrap();
            assert!(
                n("width") > 0 && n("x") + n("width") <= w && n("y") + n("height") <= h,
                "{name}{suffix}: {b}"
            );
        }
    }
    assert_eq!(get(addr, "/sprites/other.json").status, 404);
    assert_eq!(get(addr, "/sprites/ecospace@3x.png").status, 404);
}

/// `/labels/{layers}`: one point per feature in force, named as the feature, and the point lies
/// in its feature by `/zones` (the point-in-zone answer, computed apart from the labels).
#[test]
fn label_points_lie_in_their_features() {
    let addr = app(mini(), Limits::default());
    for year in [2019, 2025] {
        let labels = get(addr, &format!("/labels/zone.geojson?year={year}"));
        assert_eq!(labels.status, 200, "{}", labels.body);
        assert!(labels
            .headers
            .to_ascii_lowercase()
            .contains("application/geo+json"));
        let labels = labels.json();
        let items = get(
            addr,
            &format!("/collections/zone/items?limit=1000&datetime={year}-06-01"),
        )
        .json();
        let mut want: Vec<(String, String)> = items["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_string(),
                    f["properties"]["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        want.sort();
        let mut got = Vec::new();
        for p in labels["features"].as_array().unwrap() {
            let props = &p["properties"];
            assert_eq!(props["layer"], "zone");
            assert!(props["area_m2"].as_f64().unwrap() > 0.0);
            let id = props["id"].as_str().unwrap().to_string();
            let c = &p["geometry"]["coordinates"];
            let zones = get(
                addr,
                &format!("/zones?lon={}&lat={}&year={year}", c[0], c[1]),
            )
            .json();
            assert!(
                zones["zones"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|z| z["layer"] == "zone" && z["id"] == id.as_str()),
                "label of {id} at {c} is not in it: {zones}"
            );
            got.push((id, props["name"].as_str().unwrap().to_string()));
        }
        got.sort();
        assert_eq!(got, want, "{year}");
    }
    assert_eq!(get(addr, "/labels/nope.geojson").status, 400);
}

/// The `ecospace` binary copied into an empty folder and started there: it must carry
/// everything the page needs (data, styles, page, MapLibre GL JS) inside itself.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_copied_binary(dir: &std::path::Path, extra: &[&str]) -> (Server, std::net::SocketAddr) {
    use std::io::BufRead;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let bin = dir.join("ecospace");
    // A hard link where the file system allows one: a copy is a file this process had open
    // for writing, and a child forked meanwhile by another test thread inherits that
    // descriptor until its exec, so exec'ing the copy can fail with ETXTBSY.
    if std::fs::hard_link(env!("CARGO_BIN_EXE_ecospace"), &bin).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_ecospace"), &bin).unwrap();
    }
    let spawn = || {
        Command::new(&bin)
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .env_remove("ECOSPACE_MAPLIBRE_DIR")
            .stderr(std::process::Stdio::piped())
            .spawn()
    };
    let mut tries = 0;
    let child = loop {
        match spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => break other.unwrap(),
        }
    };
    let mut child = Server(child);
    let mut log = std::io::BufReader::new(child.0.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(log.read_line(&mut line).unwrap() > 0, "server exited early");
        if let Some(rest) = line.split("addr=").nth(1) {
            break rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));
    (child, addr)
}

/// Runs the headless-browser check of the map page (tests/browser/map_check.mjs) against a
/// server, keeping its last screenshot at `shot`: the process and its stdout.
fn map_check(addr: std::net::SocketAddr, shot: &std::path::Path) -> (std::process::Output, String) {
    let out = Command::new("node")
        .arg(root().join("tests/browser/map_check.mjs"))
        .arg(format!("http://{addr}"))
        .arg(shot)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout)
}

#[test]
fn the_binary_in_an_empty_folder_serves_a_map_that_headless_chromium_renders() {
    let dir = std::env::temp_dir().join(format!("ecospace-empty-{}", std::process::id()));
    let (_server, addr) = serve_copied_binary(&dir, &[]);
    let entries: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(
        entries.len(),
        1,
        "nothing but the binary in {}",
        dir.display()
    );

    // The embedded MapLibre is byte for byte the pinned npm package's file.
    for file in ["maplibre-gl.js", "maplibre-gl.css"] {
        let served = get(addr, &format!("/assets/maplibre-gl/{file}"));
        assert_eq!(served.status, 200, "{file}: {}", served.body);
        let npm = std::fs::read(root().join("node_modules/maplibre-gl/dist").join(file)).unwrap();
        assert!(
            served.body == String::from_utf8_lossy(&npm),
            "{file}: {} bytes served, {} in npm",
            served.body.len(),
            npm.len()
        );
    }

    let shot = root().join("target/artifacts/map.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&shot);
    let _ = std::fs::remove_file(shot.with_file_name("map-opening.png"));
    let (out, stdout) = map_check(addr, &shot);
    assert!(
        out.status.success(),
        "map check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    // The opening view (every reserve, red-line zone and county named there, the tiny island
    // reserve marked, base map under the zones: checked in map_check.mjs) and the last view.
    for s in [shot.with_file_name("map-opening.png"), shot.clone()] {
        assert!(
            s.metadata().map(|m| m.len() > 10_000).unwrap_or(false),
            "screenshot kept at {}",
            s.display()
        );
    }
    for check in [
        "every reserve named at the opening view",
        "county names rendered",
        "tiny reserves have a marker",
        "land, sea and county outlines under the protection layers",
        "drop a KML of the site",
    ] {
        assert!(
            stdout.contains(&format!("ok   {check}")),
            "{check}:\n{stdout}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without the CJK font the server cannot draw glyphs (`/fonts` answers 404 font_unavailable,
/// e.g. a .deb installed without its recommended fonts-noto-cjk): the page still starts and
/// MapLibre still places every zone's name (it draws what the missing ranges would have held
/// with the browser's fonts; see target/artifacts/map-nofont.png).
#[test]
fn without_the_cjk_font_the_map_falls_back_to_local_fonts_and_keeps_its_labels() {
    let dir = std::env::temp_dir().join(format!("ecospace-nofont-{}", std::process::id()));
    let (_server, addr) = serve_copied_binary(&dir, &["--font", "/nonexistent/NotoSansCJK.ttc"]);
    let glyphs = get(addr, "/fonts/Noto%20Sans%20CJK%20SC%20Regular/0-255.pbf");
    assert_eq!(glyphs.status, 404, "{}", glyphs.body);
    assert!(glyphs.body.contains("font_unavailable"), "{}", glyphs.body);
    let shot = root().join("target/artifacts/map-nofont.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let (out, stdout) = map_check(addr, &shot);
    assert!(
        out.status.success() && stdout.contains(" 0 failed"),
        "map check failed without the font:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for check in [
        "every reserve named at the opening view",
        "county names rendered",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("ok") && l.contains(check)),
            "{check}: {stdout}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
