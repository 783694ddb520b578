//! Glyph ranges for MapLibre's `glyphs` URL: the labels' characters as signed distance fields,
//! 256 code points a range, drawn from one font — by default the Simplified Chinese face of
//! Debian's Noto Sans CJK.
//!
//! With `localIdeographFontFamily` set, MapLibre (5.24) draws the CJK blocks itself — ideographs,
//! kana, CJK punctuation, fullwidth forms — and takes the rest from these ranges: dashes and other
//! general punctuation, digits, Latin. An empty range drops those characters from the labels
//! ("九龙山—外蒲山" without its dash); with the option off, every character comes from here.
//!
//! The recipe is the glyph servers' (node-fontnik, martin): FreeType rasterises each glyph
//! unhinted at 24 px, [`sdf_glyph_renderer`] pads the bitmap by 3 px and turns it into a distance
//! field (radius 8 px, cutoff 0.25), and the answer is fontnik's `llmr.glyphs` protobuf. Martin
//! takes these through `pbf_font_tools`; we do not, because its 3.1.1 renderer is compiled only
//! under its `freetype` feature, which builds a second, bundled FreeType from C (its
//! `freetype-system` feature leaves the renderer out). Here FreeType is Debian's `libfreetype`
//! (security updates by apt; the copy a `gdal` build loads anyway, through poppler), the
//! face-to-bitmap step is `render`, and the protobuf's two messages are declared below with
//! prost (already in the tree through geozero's MVT).
//!
//! A range is built on its first request (15–25 ms for 256 ideographs) and kept: there are at
//! most 256 ranges in the Basic Multilingual Plane, so the cache is bounded by the font — up to
//! 230 KB a range, 34 MB were every range of Noto Sans CJK asked for. A map of Chinese labels asks
//! for a handful, as MapLibre draws the ideographs itself. Startup only opens the font to pick its
//! face (a few milliseconds).

use bytes::{Bytes, BytesMut};
use freetype::face::LoadFlag;
use freetype::{bitmap::PixelMode, Face, Library};
use prost::Message;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, TryLockError};

/// Where Debian's `fonts-noto-cjk` puts the font: a collection of the Noto Sans CJK faces.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
/// The face taken from a collection, by its family and style names: the mainland forms of the
/// characters (the collection's first face is Japanese).
pub const PREFERRED_FACE: (&str, &str) = ("Noto Sans CJK SC", "Regular");
/// Glyphs are rasterised at this size; MapLibre scales the distance field from it.
pub const FONT_SIZE_PX: u32 = 24;
/// Blank pixels around each glyph's bitmap, on every side (the protocol's fixed border).
pub const BUFFER_PX: u32 = 3;
/// How far from the outline distances are recorded.
const RADIUS_PX: usize = 8;
/// The share of the byte range that encodes the inside of the outline.
const CUTOFF: f64 = 0.25;
/// Code points per range.
pub const RANGE_SIZE: u32 = 256;
/// Ranges served: the Basic Multilingual Plane (0–65535), which holds every character of the
/// bundled names (the font's few supplementary-plane ideographs are left to the browser).
const RANGES: u32 = 0x1_0000 / RANGE_SIZE;

/// One glyph of a range (`llmr.glyphs.glyph`).
#[derive(Clone, PartialEq, Message)]
struct Glyph {
    /// The code point.
    #[prost(uint32, required, tag = "1")]
    id: u32,
    /// The distance field, (width + 6) × (height + 6) bytes, rows top down.
    #[prost(bytes = "vec", optional, tag = "2")]
    bitmap: Option<Vec<u8>>,
    #[prost(uint32, required, tag = "3")]
    width: u32,
    #[prost(uint32, required, tag = "4")]
    height: u32,
    #[prost(sint32, required, tag = "5")]
    left: i32,
    /// The bitmap's top edge relative to the font's ascender (0 at the ascender, negative below).
    #[prost(sint32, required, tag = "6")]
    top: i32,
    #[prost(uint32, required, tag = "7")]
    advance: u32,
}

/// A font stack's glyphs of one range (`llmr.glyphs.fontstack`). Only its head (name and range)
/// is encoded through this type; the glyphs are appended to it already encoded.
#[derive(Clone, PartialEq, Message)]
struct Fontstack {
    #[prost(string, required, tag = "1")]
    name: String,
    #[prost(string, required, tag = "2")]
    range: String,
    #[prost(message, repeated, tag = "3")]
    glyphs: Vec<Glyph>,
}

/// Why a range cannot be answered.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum GlyphError {
    /// Not a range as glyph servers cut the Basic Multilingual Plane.
    #[error(
        "no glyph range {0:?}: ranges are N-M with N a multiple of 256 and M = N + 255, \
         from 0-255 to 65280-65535"
    )]
    NoSuchRange(String),
    /// The font file is missing or is not a font FreeType can open.
    #[error(
        "no glyphs: the font {} cannot be used ({reason}); install the Debian package \
         fonts-noto-cjk, or point --font (ECOSPACE_FONT) at another font",
        path.display()
    )]
    FontUnavailable {
        /// The configured font file.
        path: PathBuf,
        /// What the file system or FreeType said.
        reason: String,
    },
    /// FreeType failed on a glyph of a font it had opened.
    #[error("font {}: {message}", path.display())]
    Render {
        /// The font file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

impl GlyphError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            GlyphError::NoSuchRange(_) => "not_found",
            GlyphError::FontUnavailable { .. } => "font_unavailable",
            GlyphError::Render { .. } => "glyph_render_failed",
        }
    }
}

/// A range of 256 code points, `start`–`start + 255`, inside the Basic Multilingual Plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlyphRange {
    start: u32,
}

impl GlyphRange {
    /// Reads `N-M` (the URL's `{range}` without `.pbf`). Only the canonical spelling is a range:
    /// no signs, no leading zeros, so each range has one URL.
    ///
    /// # Examples
    /// ```
    /// use ecospace::tiles::glyphs::GlyphRange;
    /// assert_eq!(GlyphRange::parse("8192-8447").unwrap().start(), 0x2000);
    /// assert!(GlyphRange::parse("8192-8191").is_err());
    /// assert!(GlyphRange::parse("65536-65791").is_err()); // beyond the BMP
    /// ```
    pub fn parse(s: &str) -> Result<GlyphRange, GlyphError> {
        let bad = || GlyphError::NoSuchRange(s.chars().take(40).collect());
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let (start, end): (u32, u32) = match (a.parse(), b.parse()) {
            (Ok(start), Ok(end)) => (start, end),
            _ => return Err(bad()),
        };
        let range = GlyphRange { start };
        if start % RANGE_SIZE != 0 || start / RANGE_SIZE >= RANGES || end != range.end() {
            return Err(bad());
        }
        if range.to_string() != s {
            return Err(bad());
        }
        Ok(range)
    }

    /// Every range, from `0-255` to `65280-65535`.
    pub fn all() -> impl Iterator<Item = GlyphRange> {
        (0..RANGES).map(|i| GlyphRange {
            start: i * RANGE_SIZE,
        })
    }

    /// The first code point.
    pub fn start(self) -> u32 {
        self.start
    }

    /// The last code point.
    pub fn end(self) -> u32 {
        self.start + (RANGE_SIZE - 1)
    }

    fn index(self) -> usize {
        (self.start / RANGE_SIZE) as usize
    }
}

impl fmt::Display for GlyphRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end())
    }
}

/// The face glyphs are drawn from.
#[derive(Debug)]
struct Font {
    path: PathBuf,
    /// The face's index in its file (a collection holds several).
    index: isize,
    /// Family and style, e.g. "Noto Sans CJK SC Regular".
    name: String,
}

/// The glyph ranges of one font, built on demand and kept.
///
/// Every font stack is answered from this one font, its name echoed in the answer's
/// `stacks.name`: MapLibre asks for the stacks its style names, and a stack this server does not
/// have is better drawn in a CJK font than not at all.
pub struct GlyphSource {
    /// The face, or why there is none (answered to every request).
    font: Result<Font, GlyphError>,
    /// Per range: its glyphs, already encoded as the fontstack's field 3 entries. One lock per
    /// range, so a range is built once while others are served.
    ranges: Box<[Mutex<Option<Bytes>>]>,
}

impl fmt::Debug for GlyphSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let built = self
            .ranges
            .iter()
            .filter(|r| r.try_lock().is_ok_and(|r| r.is_some()))
            .count();
        f.debug_struct("GlyphSource")
            .field("font", &self.font)
            .field("ranges_built", &built)
            .finish()
    }
}

impl GlyphSource {
    /// Opens the font at `path` and picks its face: [`PREFERRED_FACE`] when the file holds it,
    /// else its first. A missing or unreadable font is not an error here: the source then
    /// answers every range with [`GlyphError::FontUnavailable`], and the rest of the service runs.
    pub fn open(path: &Path) -> GlyphSource {
        GlyphSource {
            font: Font::open(path),
            ranges: (0..RANGES).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// Why no range can be answered, if so.
    pub fn unavailable(&self) -> Option<&GlyphError> {
        self.font.as_ref().err()
    }

    /// The face in use ("Noto Sans CJK SC Regular") and its file.
    pub fn face(&self) -> Option<(&str, &Path)> {
        self.font
            .as_ref()
            .ok()
            .map(|f| (f.name.as_str(), f.path.as_path()))
    }

    /// The range as `stack`'s glyphs if it is built and not being built: never waits, so an
    /// event loop can call it. `Ok(None)`: call [`GlyphSource::range`] on a blocking thread.
    pub fn cached(&self, stack: &str, range: GlyphRange) -> Result<Option<Bytes>, GlyphError> {
        self.font.as_ref().map_err(Clone::clone)?;
        let glyphs = match self.ranges[range.index()].try_lock() {
            Ok(slot) => slot.clone(),
            Err(TryLockError::Poisoned(p)) => p.into_inner().clone(),
            Err(TryLockError::WouldBlock) => None,
        };
        Ok(glyphs.map(|g| encode(stack, range, &g)))
    }

    /// The range as `stack`'s glyphs (a `llmr.glyphs` protobuf), built on its first request:
    /// blocks for the build (tens of milliseconds) or for another thread building it.
    pub fn range(&self, stack: &str, range: GlyphRange) -> Result<Bytes, GlyphError> {
        let font = self.font.as_ref().map_err(Clone::clone)?;
        let mut slot = self.ranges[range.index()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let glyphs = match &*slot {
            Some(g) => g.clone(),
            None => {
                let t = std::time::Instant::now();
                let g = font.build(range)?;
                let ms = t.elapsed().as_millis();
                tracing::debug!(range = %range, bytes = g.len(), ms, "glyph range built");
                slot.insert(g).clone()
            }
        };
        drop(slot);
        Ok(encode(stack, range, &glyphs))
    }
}

impl Font {
    fn open(path: &Path) -> Result<Font, GlyphError> {
        let unavailable = |reason: String| GlyphError::FontUnavailable {
            path: path.to_path_buf(),
            reason,
        };
        // The file system's word first: "No such file or directory" says more than FreeType's
        // "cannot open resource".
        std::fs::File::open(path).map_err(|e| unavailable(e.to_string()))?;
        let lib = Library::init().map_err(|e| unavailable(format!("FreeType: {e}")))?;
        let open = |index| {
            lib.new_face(path, index)
                .map_err(|e| unavailable(format!("not a font FreeType can open: {e}")))
        };
        let first = open(0)?;
        let name = |face: &Face| {
            let family = face.family_name().unwrap_or_default();
            match face.style_name() {
                Some(style) => format!("{family} {style}"),
                None => family,
            }
        };
        let wanted = format!("{} {}", PREFERRED_FACE.0, PREFERRED_FACE.1);
        for index in 1..isize::from(first.num_faces()) {
            let face = open(index)?;
            if name(&face) == wanted {
                return Ok(Font {
                    path: path.to_path_buf(),
                    index,
                    name: wanted,
                });
            }
        }
        Ok(Font {
            path: path.to_path_buf(),
            index: 0,
            name: name(&first),
        })
    }

    /// Every glyph of the range the face has, encoded as fontstack field 3 entries. A glyph
    /// FreeType cannot draw as grey (a colour or bitmap-only glyph of some other font) is left
    /// out with a warning rather than failing its 255 neighbours; a range with nothing drawable
    /// but something mapped is an error.
    fn build(&self, range: GlyphRange) -> Result<Bytes, GlyphError> {
        let failed = |e: &dyn fmt::Display| GlyphError::Render {
            path: self.path.clone(),
            message: e.to_string(),
        };
        let lib = Library::init().map_err(|e| failed(&e))?;
        let face = lib
            .new_face(&self.path, self.index)
            .map_err(|e| failed(&e))?;
        // 0 width = same as the height; 0 resolution = 72 dpi, so points are pixels.
        face.set_char_size(0, (FONT_SIZE_PX << 6) as isize, 0, 0)
            .map_err(|e| failed(&e))?;
        let ascender = face
            .size_metrics()
            .map(|m| (m.ascender >> 6) as i32)
            .ok_or_else(|| failed(&"the face has no size metrics"))?;
        let mut out = BytesMut::new();
        let (mut drawn, mut left_out, mut first_failure) = (0, 0, None);
        for cp in range.start()..=range.end() {
            let Some(index) = face.get_char_index(cp as usize) else {
                continue; // not in the font: MapLibre falls back to nothing, as for any font
            };
            match render(&face, index, ascender) {
                Ok(glyph) => {
                    prost::encoding::message::encode(3, &Glyph { id: cp, ..glyph }, &mut out);
                    drawn += 1;
                }
                Err(e) => {
                    left_out += 1;
                    first_failure.get_or_insert_with(|| format!("U+{cp:04X}: {e}"));
                }
            }
        }
        match first_failure {
            Some(e) if drawn == 0 => return Err(failed(&e)),
            Some(e) => {
                tracing::warn!(range = %range, left_out, "glyphs left out of the range: {e}");
            }
            None => {}
        }
        Ok(out.freeze())
    }
}

/// One glyph of the face, as the protocol wants it: FreeType's unhinted anti-aliased bitmap
/// (hinting would snap the outline to FreeType's grid, which the distance field then scales),
/// copied row by row (FreeType's rows may be padded to `pitch`), padded and turned into a
/// distance field. `top` is measured from the ascender, as fontnik and martin do, so that
/// MapLibre places these glyphs where it places theirs.
fn render(face: &Face, index: u32, ascender: i32) -> Result<Glyph, String> {
    face.load_glyph(index, LoadFlag::NO_HINTING | LoadFlag::RENDER)
        .map_err(|e| e.to_string())?;
    let slot = face.glyph();
    let bitmap = slot.bitmap();
    if !matches!(bitmap.pixel_mode(), Ok(PixelMode::Gray)) {
        return Err("FreeType did not render 8-bit grey".into());
    }
    let (width, rows) = (
        usize::try_from(bitmap.width()).map_err(|e| e.to_string())?,
        usize::try_from(bitmap.rows()).map_err(|e| e.to_string())?,
    );
    let pitch = usize::try_from(bitmap.pitch()).map_err(|_| "bottom-up bitmap".to_string())?;
    let buffer = bitmap.buffer();
    let mut alpha = Vec::with_capacity(width * rows);
    for row in 0..rows {
        let line = buffer
            .get(row * pitch..row * pitch + width)
            .ok_or("bitmap shorter than its rows")?;
        alpha.extend_from_slice(line);
    }
    let padded =
        sdf_glyph_renderer::BitmapGlyph::from_unbuffered(&alpha, width, rows, BUFFER_PX as usize)
            .map_err(|e| e.to_string())?;
    let sdf = sdf_glyph_renderer::clamp_to_u8(&padded.render_sdf(RADIUS_PX), CUTOFF)
        .map_err(|e| e.to_string())?;
    Ok(Glyph {
        id: 0,
        bitmap: Some(sdf),
        width: u32::try_from(width).map_err(|e| e.to_string())?,
        height: u32::try_from(rows).map_err(|e| e.to_string())?,
        left: slot.bitmap_left(),
        top: slot.bitmap_top() - ascender,
        advance: u32::try_from(slot.metrics().horiAdvance >> 6).map_err(|e| e.to_string())?,
    })
}

/// `glyphs { stacks { name: stack, range, glyphs… } }`: the head encoded by prost, the cached
/// glyph entries appended (a message's fields may come in any order; repeated ones concatenate).
fn encode(stack: &str, range: GlyphRange, glyphs: &[u8]) -> Bytes {
    use prost::encoding::{encode_key, encode_varint, WireType};
    let head = Fontstack {
        name: stack.to_string(),
        range: range.to_string(),
        glyphs: Vec::new(),
    }
    .encode_to_vec();
    let len = head.len() + glyphs.len();
    let mut out = BytesMut::with_capacity(len + 11);
    encode_key(1, WireType::LengthDelimited, &mut out);
    encode_varint(len as u64, &mut out);
    out.extend_from_slice(&head);
    out.extend_from_slice(glyphs);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_bmp_ranges_parse() {
        for ok in ["0-255", "256-511", "8192-8447", "65280-65535"] {
            assert_eq!(
                GlyphRange::parse(ok).map(|r| r.to_string()).ok(),
                Some(ok.into())
            );
        }
        for bad in [
            "",
            "-",
            "0",
            "0-",
            "-255",
            "0-256",
            "1-256",
            "256-255",
            "0-254",
            "00-255",
            "+0-255",
            "0-+255",
            "0 -255",
            "65536-65791",
            "4294967040-4294967295",
            "0-255-511",
            "a-b",
            "99999999999999999999-0",
        ] {
            assert!(
                matches!(GlyphRange::parse(bad), Err(GlyphError::NoSuchRange(_))),
                "{bad:?} parsed"
            );
        }
        let all: Vec<String> = GlyphRange::all().map(|r| r.to_string()).collect();
        assert_eq!((all.len(), all[1].as_str()), (256, "256-511"));
        assert!(all.iter().all(|r| GlyphRange::parse(r).is_ok()));
    }

    #[test]
    fn the_answer_is_a_glyphs_message_naming_the_requested_stack() {
        let g = Glyph {
            id: 0x2014,
            bitmap: Some(vec![1, 2, 3]),
            width: 1,
            height: 2,
            left: -1,
            top: -3,
            advance: 24,
        };
        let mut glyphs = BytesMut::new();
        prost::encoding::message::encode(3, &g, &mut glyphs);
        let range = GlyphRange { start: 0x2000 };
        let body = encode("Any Stack", range, &glyphs);
        // prost decodes what the splice wrote: one stack, our name, the range, the glyph.
        #[derive(Clone, PartialEq, Message)]
        struct Glyphs {
            #[prost(message, repeated, tag = "1")]
            stacks: Vec<Fontstack>,
        }
        let got = Glyphs::decode(body).expect("a glyphs message");
        assert_eq!(
            got.stacks,
            vec![Fontstack {
                name: "Any Stack".into(),
                range: "8192-8447".into(),
                glyphs: vec![g],
            }]
        );
    }

    #[test]
    fn a_missing_font_names_the_file_and_the_package() {
        let path = Path::new("/nonexistent/NotoSansCJK-Regular.ttc");
        let src = GlyphSource::open(path);
        let e = src.unavailable().expect("no font").to_string();
        assert!(
            e.contains("/nonexistent/NotoSansCJK-Regular.ttc") && e.contains("fonts-noto-cjk"),
            "{e}"
        );
        let r = GlyphRange::parse("0-255").expect("range");
        assert!(matches!(
            src.range("Noto Sans CJK SC Regular", r),
            Err(GlyphError::FontUnavailable { .. })
        ));
        assert!(matches!(
            src.cached("x", r),
            Err(GlyphError::FontUnavailable { .. })
        ));
    }

    #[test]
    fn a_file_that_is_no_font_is_unavailable_not_a_panic() {
        let path =
            std::env::temp_dir().join(format!("ecospace-notafont-{}.ttc", std::process::id()));
        std::fs::write(&path, b"not a font at all").expect("temp file");
        let src = GlyphSource::open(&path);
        let _ = std::fs::remove_file(&path);
        assert!(
            matches!(src.unavailable(), Some(GlyphError::FontUnavailable { reason, .. }) if reason.contains("FreeType")),
            "{src:?}"
        );
    }

    /// Debian's collection (scripts/setup.sh installs it) starts with its Japanese face; the SC
    /// one is picked by name.
    #[test]
    fn the_debian_collection_gives_its_sc_face() {
        assert!(
            Path::new(DEFAULT_FONT).exists(),
            "{DEFAULT_FONT} missing: run scripts/setup.sh (apt install fonts-noto-cjk)"
        );
        let src = GlyphSource::open(Path::new(DEFAULT_FONT));
        assert_eq!(src.face().map(|f| f.0), Some("Noto Sans CJK SC Regular"));
    }
}
