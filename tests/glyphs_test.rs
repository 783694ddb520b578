//! `GET /fonts/{stack}/{range}.pbf`: the glyph ranges MapLibre draws the labels' non-ideograph
//! characters from. Answers are read with a protobuf decoder written here (not the server's
//! encoder), their metrics checked against the font's own tables read by ttf-parser (not the
//! FreeType that rasterised them), and the characters asked for are every character of the
//! bundled names.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::Limits;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Debian's `fonts-noto-cjk` (scripts/setup.sh installs it), the server's default font.
const FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
const STACK: &str = "Noto Sans CJK SC Regular";

fn addr() -> Target {
    static ADDR: OnceLock<Target> = OnceLock::new();
    *ADDR.get_or_init(|| {
        assert!(
            Path::new(FONT).exists(),
            "{FONT} missing: run scripts/setup.sh (apt install fonts-noto-cjk)"
        );
        app(mini(), Limits::default())
    })
}

// ---- a protobuf reader of the glyphs message, independent of the server's prost types ----

#[derive(Debug, Default)]
struct Glyph {
    id: u32,
    bitmap: Option<Vec<u8>>,
    width: u32,
    height: u32,
    left: i32,
    top: i32,
    advance: u32,
}

#[derive(Debug, Default)]
struct Stack {
    name: String,
    range: String,
    glyphs: Vec<Glyph>,
}

/// The fields of one message: (field number, varint value or length-delimited bytes).
fn fields(mut b: &[u8]) -> Vec<(u64, Result<u64, &[u8]>)> {
    fn varint(b: &mut &[u8]) -> u64 {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = b.split_first().expect("varint ends early");
            *b = rest;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return v;
            }
        }
        panic!("varint longer than 10 bytes")
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let key = varint(&mut b);
        let value = match key & 7 {
            0 => Ok(varint(&mut b)),
            2 => {
                let n = usize::try_from(varint(&mut b)).unwrap();
                let (v, rest) = b.split_at(n);
                b = rest;
                Err(v)
            }
            w => panic!("wire type {w} is not in the glyphs schema"),
        };
        out.push((key >> 3, value));
    }
    out
}

fn decode(body: &[u8]) -> Vec<Stack> {
    let zigzag = |v: u64| ((v >> 1) as i64 ^ -((v & 1) as i64)) as i32;
    let num = |v: Result<u64, &[u8]>| v.expect("a varint field");
    let text = |v: Result<u64, &[u8]>| String::from_utf8(v.expect_err("bytes").to_vec()).unwrap();
    fields(body)
        .into_iter()
        .map(|(n, v)| {
            assert_eq!(n, 1, "glyphs has only field 1 (stacks)");
            let mut s = Stack::default();
            for (n, v) in fields(v.expect_err("a message")) {
                match n {
                    1 => s.name = text(v),
                    2 => s.range = text(v),
                    3 => {
                        let mut g = Glyph::default();
                        for (n, v) in fields(v.expect_err("a message")) {
                            match n {
                                1 => g.id = u32::try_from(num(v)).unwrap(),
                                2 => g.bitmap = Some(v.expect_err("bytes").to_vec()),
                                3 => g.width = u32::try_from(num(v)).unwrap(),
                                4 => g.height = u32::try_from(num(v)).unwrap(),
                                5 => g.left = zigzag(num(v)),
                                6 => g.top = zigzag(num(v)),
                                7 => g.advance = u32::try_from(num(v)).unwrap(),
                                n => panic!("glyph field {n}"),
                            }
                        }
                        s.glyphs.push(g);
                    }
                    n => panic!("fontstack field {n}"),
                }
            }
            s
        })
        .collect()
}

/// The one stack of range `start`, as served.
fn served(to: Target, stack: &str, start: u32) -> Stack {
    let path = format!(
        "/fonts/{}/{start}-{}.pbf",
        stack.replace(' ', "%20"),
        start + 255
    );
    let r = get(to, &path);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    assert!(
        r.headers.contains("content-type: application/x-protobuf"),
        "{}",
        r.headers
    );
    let mut stacks = decode(&r.bytes);
    assert_eq!(stacks.len(), 1, "{path}: one stack");
    stacks.pop().unwrap()
}

/// Every character of the bundled names: each feature's `name`, and the manifest's titles and
/// county names.
fn bundled_characters() -> BTreeSet<char> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/jiaxing");
    let mut text = String::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "geojson") {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            for f in v["features"].as_array().unwrap() {
                text.push_str(f["properties"]["name"].as_str().unwrap_or_default());
            }
        }
    }
    let m: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("layers.toml")).unwrap()).unwrap();
    let tables = std::iter::once(&m).chain(m["layer"].as_array().unwrap());
    for t in tables {
        for (k, v) in t.as_table().unwrap() {
            if k.starts_with("title") {
                text.push_str(v.as_str().unwrap());
            }
        }
    }
    for v in m["counties"].as_table().unwrap().values() {
        text.push_str(v.as_str().unwrap());
    }
    text.chars().collect()
}

#[test]
fn every_character_of_the_bundled_names_has_a_distance_field() {
    let chars = bundled_characters();
    for c in ['—', '（', '）', '九', 'J'] {
        assert!(chars.contains(&c), "the names use {c:?}");
    }
    let mut by_range: BTreeMap<u32, Vec<char>> = BTreeMap::new();
    for &c in &chars {
        by_range.entry(u32::from(c) & !255).or_default().push(c);
    }
    for (&start, used) in &by_range {
        let s = served(addr(), STACK, start);
        assert_eq!(s.name, STACK);
        assert_eq!(s.range, format!("{start}-{}", start + 255));
        let ids: Vec<u32> = s.glyphs.iter().map(|g| g.id).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]) && ids.iter().all(|id| id & !255 == start),
            "glyphs of {}: once each, inside the range",
            s.range
        );
        for &c in used {
            let g = s
                .glyphs
                .iter()
                .find(|g| g.id == u32::from(c))
                .unwrap_or_else(|| {
                    panic!("{c:?} (U+{:04X}) missing from {}", u32::from(c), s.range)
                });
            let bitmap = g.bitmap.as_deref().unwrap_or_default();
            let side = |n: u32| n as usize + 6;
            assert_eq!(
                bitmap.len(),
                side(g.width) * side(g.height),
                "{c:?}: (width + 6) × (height + 6) bytes"
            );
            if !c.is_whitespace() {
                assert!(g.width > 0 && g.height > 0, "{c:?} is drawn: {g:?}");
                // Inside the outline the field is above the 0.75 edge (191), outside below it.
                assert!(bitmap.iter().any(|&b| b > 191), "{c:?} has an inside");
                assert!(bitmap.iter().any(|&b| b < 100), "{c:?} has an outside");
            }
            assert!(g.advance > 0, "{c:?} advances");
        }
    }
}

/// The face the server should draw from, found in the collection by its own name table.
fn sc_face(data: &[u8]) -> ttf_parser::Face<'_> {
    let n = ttf_parser::fonts_in_collection(data).unwrap_or(1);
    let name = |f: &ttf_parser::Face, id| {
        f.names()
            .into_iter()
            .find(|n| n.name_id == id && n.is_unicode())
            .and_then(|n| n.to_string())
    };
    let faces: Vec<_> = (0..n)
        .map(|i| ttf_parser::Face::parse(data, i).unwrap())
        .filter(|f| {
            name(f, ttf_parser::name_id::FAMILY).as_deref() == Some("Noto Sans CJK SC")
                && name(f, ttf_parser::name_id::SUBFAMILY).as_deref() == Some("Regular")
        })
        .collect();
    assert_eq!(faces.len(), 1, "one SC Regular face in {FONT}");
    faces.into_iter().next().unwrap()
}

#[test]
fn advances_and_boxes_match_the_fonts_own_tables() {
    let data = std::fs::read(FONT).unwrap();
    let face = sc_face(&data);
    let upem = i64::from(face.units_per_em());
    // FreeType's 16.16 scale for 24 px, applied to the hmtx advance, rounded to 1/64 px; the
    // protocol's advance is its whole pixels (unhinted: no grid fitting of the advance).
    let x_scale = ((24 * 64) << 16) + upem / 2;
    let x_scale = x_scale / upem;
    let px = |units: i64| (units * x_scale + 0x8000) >> 16;
    // Proportional Latin (different advances) and fullwidth forms (a full em, 24 px).
    let mut seen = BTreeSet::new();
    for c in ['A', 'i', 'W', '1', 'J', '—', '（', '）', '九', '湖'] {
        let id = face.glyph_index(c).unwrap();
        let units = i64::from(face.glyph_hor_advance(id).unwrap());
        let start = u32::from(c) & !255;
        let s = served(addr(), STACK, start);
        let g = s.glyphs.iter().find(|g| g.id == u32::from(c)).unwrap();
        assert_eq!(
            i64::from(g.advance),
            px(units) >> 6,
            "{c:?}: {units} units of {upem}"
        );
        seen.insert(g.advance);
        // The bitmap covers the outline's box, each edge rounded outwards to a whole pixel, and
        // `top` is its top edge below the ascender (rounded up, as FreeType sizes it).
        let b = face.glyph_bounding_box(id).unwrap();
        let floor = |units: i16| px(units.into()).div_euclid(64);
        let ceil = |units: i16| (px(units.into()) + 63).div_euclid(64);
        let want = (
            ceil(b.x_max) - floor(b.x_min),
            ceil(b.y_max) - floor(b.y_min),
            floor(b.x_min),
            ceil(b.y_max) - ceil(face.ascender()),
        );
        let got = (
            i64::from(g.width),
            i64::from(g.height),
            i64::from(g.left),
            i64::from(g.top),
        );
        assert_eq!(got, want, "{c:?}: width, height, left, top (px); box {b:?}");
    }
    assert!(
        seen.len() >= 4,
        "the glyphs checked differ in advance: {seen:?}"
    );
    assert!(seen.contains(&24), "fullwidth forms advance a full em");
}

#[test]
fn the_stack_asked_for_is_named_in_the_answer_and_drawn_from_the_same_font() {
    let a = served(addr(), STACK, 0xFF00);
    let b = served(addr(), "Open Sans Regular,Arial Unicode MS Regular", 0xFF00);
    assert_eq!(b.name, "Open Sans Regular,Arial Unicode MS Regular");
    assert_eq!(a.glyphs.len(), b.glyphs.len());
    assert!(a
        .glyphs
        .iter()
        .zip(&b.glyphs)
        .all(|(x, y)| (x.id, &x.bitmap, x.advance) == (y.id, &y.bitmap, y.advance)));
}

#[test]
fn malformed_or_out_of_plane_ranges_are_404_json() {
    for path in [
        "/fonts/x/0-256.pbf",
        "/fonts/x/1-256.pbf",
        "/fonts/x/256-255.pbf",
        "/fonts/x/00-255.pbf",
        "/fonts/x/65536-65791.pbf",
        "/fonts/x/4294967040-4294967295.pbf",
        "/fonts/x/99999999999999999999999-0.pbf",
        "/fonts/x/a-b.pbf",
        "/fonts/x/.pbf",
        "/fonts/x/0-255",
        "/fonts/x/0-255.png",
    ] {
        let r = get(addr(), path);
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        let v = r.json();
        assert_eq!(v["error"], "not_found", "{path}");
        assert!(!v["message"].as_str().unwrap().is_empty(), "{path}");
    }
}

#[test]
fn a_missing_font_is_a_clear_error_and_the_rest_is_served() {
    let web = ecospace::WebConfig {
        font: PathBuf::from("/nonexistent/fonts/NotoSansCJK-Regular.ttc"),
        ..Default::default()
    };
    let state = ecospace::AppState::new(mini(), Limits::default(), web);
    let to = app_state(std::sync::Arc::new(state));
    let r = get(to, "/fonts/Noto%20Sans%20CJK%20SC%20Regular/8192-8447.pbf");
    assert_eq!(r.status, 404, "{}", r.body);
    let v = r.json();
    assert_eq!(v["error"], "font_unavailable");
    let m = v["message"].as_str().unwrap();
    assert!(
        m.contains("/nonexistent/fonts/NotoSansCJK-Regular.ttc") && m.contains("fonts-noto-cjk"),
        "{m}"
    );
    // A bad range is still a bad range.
    assert_eq!(get(to, "/fonts/x/1-2.pbf").json()["error"], "not_found");
    assert_eq!(get(to, "/health").status, 200);
    assert_eq!(get(to, "/tiles/zone/0/0/0.mvt").status / 100, 2);
}

#[test]
fn serve_without_its_font_warns_once_and_serves_the_rest() {
    let missing = "/nonexistent/fonts/NotoSansCJK-Regular.ttc";
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ecospace"));
    cmd.args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--font",
        missing,
        "--data",
    ])
    .arg(fixture("mini"));
    let (mut child, addr, before) = spawn_serve(cmd);
    let warnings: Vec<_> = before.iter().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{before:#?}");
    assert!(
        warnings[0].contains(missing) && warnings[0].contains("fonts-noto-cjk"),
        "{}",
        warnings[0]
    );
    assert_eq!(get(addr, "/health").status, 200);
    let r = get(
        addr,
        "/fonts/Noto%20Sans%20CJK%20SC%20Regular/65280-65535.pbf",
    );
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (404, Some("font_unavailable"))
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
