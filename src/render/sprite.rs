//! The map style's sprite: the fill patterns `styles/ecospace.json` names in `fill-pattern`,
//! drawn here and written as a MapLibre sprite (an index JSON and one PNG, at 1× and 2×).
//!
//! Why a sprite drawn by the server and not an image added by the page's script: the style is
//! then complete by itself — any MapLibre client given `/styles/ecospace.json` draws the
//! hatches, offline, with nothing fetched from elsewhere — and the patterns are described once,
//! as data ([`PATTERNS`]), instead of as pixels kept in the repository.

use flate2::write::ZlibEncoder;
use flate2::{Compression, Crc};
use std::fmt::Write as _;
use std::io::Write as _;

/// Which way a pattern's hatch lines run on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slant {
    /// From bottom left to top right (`/`).
    Rising,
    /// From top left to bottom right (`\`).
    Falling,
}

/// A repeating hatch: parallel lines at 45° over a background, in CSS pixels.
#[derive(Debug, Clone, Copy)]
pub struct Pattern {
    /// The image's name in the sprite (what a style's `fill-pattern` says).
    pub name: &'static str,
    /// Side of the square tile, CSS px; a multiple of `spacing_px` so the tile repeats seamlessly.
    pub size_px: u32,
    /// Distance between lines measured along an axis, CSS px.
    pub spacing_px: u32,
    /// Line width across the line, CSS px.
    pub width_px: f64,
    /// Which way the lines run.
    pub slant: Slant,
    /// Line colour, RGBA (straight alpha).
    pub line: [u8; 4],
    /// Background colour, RGBA (straight alpha); transparent lets what lies below show.
    pub background: [u8; 4],
}

/// The patterns of the ecospace style.
pub const PATTERNS: &[Pattern] = &[
    // 永久基本农田: yellow-ochre hatch on a pale wash, the colour of ripe fields on Chinese
    // land-use maps; the lines carry the meaning even in greyscale print.
    Pattern {
        name: "farmland-hatch",
        size_px: 16,
        spacing_px: 8,
        width_px: 1.1,
        slant: Slant::Rising,
        line: [0xb8, 0x86, 0x0b, 0xa6],
        background: [0xf3, 0xe3, 0xa1, 0x30],
    },
    // 自然保护地 drawn over the red line: green lines the other way on nothing, so the red
    // beneath stays red between them (a green fill over red reads as brown).
    Pattern {
        name: "reserve-hatch",
        size_px: 16,
        spacing_px: 8,
        width_px: 2.0,
        slant: Slant::Falling,
        line: [0x1b, 0x5e, 0x20, 0xd9],
        background: [0, 0, 0, 0],
    },
];

/// A pattern's pixels at `ratio` device pixels per CSS pixel: RGBA rows, top to bottom.
/// Lines are anti-aliased by the distance from each pixel's centre to the nearest line.
pub fn draw(p: &Pattern, ratio: u32) -> Vec<u8> {
    let n = p.size_px * ratio;
    let spacing = f64::from(p.spacing_px);
    let scale = f64::from(ratio);
    let mut px = Vec::with_capacity((n * n * 4) as usize);
    for y in 0..n {
        for x in 0..n {
            let (u, v) = ((f64::from(x) + 0.5) / scale, (f64::from(y) + 0.5) / scale);
            // Lines are u + v = k·spacing (rising on screen, y down) or u − v = k·spacing.
            let s = match p.slant {
                Slant::Rising => u + v,
                Slant::Falling => u - v,
            };
            let off = s.rem_euclid(spacing);
            let d = off.min(spacing - off) / std::f64::consts::SQRT_2;
            let cover = ((p.width_px / 2.0 - d) * scale + 0.5).clamp(0.0, 1.0);
            px.extend_from_slice(&over(p.line, p.background, cover));
        }
    }
    px
}

/// `line` at coverage `cover` over `bg`, straight alpha in and out.
fn over(line: [u8; 4], bg: [u8; 4], cover: f64) -> [u8; 4] {
    let a = |c: [u8; 4]| f64::from(c[3]) / 255.0;
    let (la, ba) = (a(line) * cover, a(bg));
    let out_a = la + ba * (1.0 - la);
    let mut o = [0u8; 4];
    for i in 0..3 {
        let c = if out_a > 0.0 {
            (f64::from(line[i]) * la + f64::from(bg[i]) * ba * (1.0 - la)) / out_a
        } else {
            0.0
        };
        o[i] = c.round().clamp(0.0, 255.0) as u8;
    }
    o[3] = (out_a * 255.0).round().clamp(0.0, 255.0) as u8;
    o
}

/// Where each pattern sits in the sprite image: left to right, top-aligned.
fn layout(ratio: u32) -> (Vec<(Pattern, u32)>, u32, u32) {
    let mut x = 0;
    let mut placed = Vec::with_capacity(PATTERNS.len());
    for p in PATTERNS {
        placed.push((*p, x));
        x += p.size_px * ratio;
    }
    let h = PATTERNS
        .iter()
        .map(|p| p.size_px * ratio)
        .max()
        .unwrap_or(1);
    (placed, x.max(1), h)
}

/// The sprite index (`ecospace.json` / `ecospace@2x.json`): name → box in the PNG.
pub fn index_json(ratio: u32) -> String {
    let (placed, _, _) = layout(ratio);
    let mut s = String::from("{");
    for (i, (p, x)) in placed.iter().enumerate() {
        let n = p.size_px * ratio;
        let _ = write!(
            s,
            r#"{}"{}":{{"x":{x},"y":0,"width":{n},"height":{n},"pixelRatio":{ratio}}}"#,
            if i == 0 { "" } else { "," },
            p.name
        );
    }
    s.push('}');
    s
}

/// The sprite image (`ecospace.png` / `ecospace@2x.png`).
pub fn png(ratio: u32) -> std::io::Result<Vec<u8>> {
    let (placed, w, h) = layout(ratio);
    let mut rgba = vec![0u8; (w * h * 4) as usize];
    for (p, x0) in &placed {
        let n = p.size_px * ratio;
        let px = draw(p, ratio);
        for y in 0..n {
            let src = (y * n * 4) as usize..((y + 1) * n * 4) as usize;
            let at = ((y * w + x0) * 4) as usize;
            rgba[at..at + src.len()].copy_from_slice(&px[src]);
        }
    }
    encode_png(w, h, &rgba)
}

/// A minimal PNG: 8-bit RGBA, no filtering, one zlib stream.
pub fn encode_png(w: u32, h: u32, rgba: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut raw = Vec::with_capacity(rgba.len() + h as usize);
    for row in rgba.chunks((w * 4) as usize) {
        raw.push(0); // filter type None
        raw.extend_from_slice(row);
    }
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    z.write_all(&raw)?;
    let idat = z.finish()?;
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // depth 8, RGBA, deflate, no filter, no interlace
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    Ok(out)
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn pixel(px: &[u8], n: u32, x: u32, y: u32) -> [u8; 4] {
        let i = ((y % n * n + x % n) * 4) as usize;
        [px[i], px[i + 1], px[i + 2], px[i + 3]]
    }

    #[test]
    fn patterns_repeat_seamlessly_and_run_the_way_they_say() {
        for p in PATTERNS {
            assert_eq!(p.size_px % p.spacing_px, 0, "{}", p.name);
            for ratio in [1, 2] {
                let n = p.size_px * ratio;
                let px = draw(p, ratio);
                assert_eq!(px.len(), (n * n * 4) as usize);
                // Along a line the colour does not change: one step along the slant is the
                // same pixel, across the tile's edge too (x and y taken modulo the size).
                for y in 0..n {
                    for x in 0..n {
                        let along = match p.slant {
                            Slant::Rising => pixel(&px, n, x + 1, y + n - 1),
                            Slant::Falling => pixel(&px, n, x + 1, y + 1),
                        };
                        assert_eq!(pixel(&px, n, x, y), along, "{} {ratio}x at {x},{y}", p.name);
                    }
                }
                // Both line and background are present: a hatch, not a flat fill.
                let alphas: std::collections::BTreeSet<u8> = px.chunks(4).map(|c| c[3]).collect();
                assert!(alphas.len() >= 2, "{}: one alpha only", p.name);
            }
        }
    }

    #[test]
    fn the_png_holds_the_pixels_the_index_points_at() {
        for ratio in [1, 2] {
            let png = png(ratio).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
            let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
            assert_eq!(&png[12..16], b"IHDR");
            assert_eq!((png[24], png[25]), (8, 6));
            // Inflate the one IDAT and unfilter (type 0 rows).
            let len = u32::from_be_bytes(png[33..37].try_into().unwrap()) as usize;
            assert_eq!(&png[37..41], b"IDAT");
            let mut raw = Vec::new();
            flate2::read::ZlibDecoder::new(&png[41..41 + len])
                .read_to_end(&mut raw)
                .unwrap();
            assert_eq!(raw.len() as u32, h * (w * 4 + 1));
            let index: serde_json::Value = serde_json::from_str(&index_json(ratio)).unwrap();
            for p in PATTERNS {
                let b = &index[p.name];
                assert_eq!(b["pixelRatio"], ratio);
                let (bx, bw) = (
                    b["x"].as_u64().unwrap() as u32,
                    b["width"].as_u64().unwrap() as u32,
                );
                assert!(bx + bw <= w && b["height"].as_u64().unwrap() as u32 <= h);
                let drawn = draw(p, ratio);
                for y in 0..bw {
                    let row = (y * (w * 4 + 1) + 1 + bx * 4) as usize;
                    let want = &drawn[(y * bw * 4) as usize..((y + 1) * bw * 4) as usize];
                    assert_eq!(&raw[row..row + want.len()], want, "{} row {y}", p.name);
                }
            }
            // The CRC of each chunk is right (a decoder refuses the image otherwise).
            let mut at = 8;
            while at < png.len() {
                let n = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
                let mut crc = Crc::new();
                crc.update(&png[at + 4..at + 8 + n]);
                let want = u32::from_be_bytes(png[at + 8 + n..at + 12 + n].try_into().unwrap());
                assert_eq!(crc.sum(), want);
                at += 12 + n;
            }
        }
    }
}
