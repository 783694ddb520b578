//! The format itself (spec v3): header constants, TileIDs, directory entries, varints, gzip,
//! and the one error both sides share.

use crate::tiles::TileId;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::Write;

/// Header size fixed by the spec.
pub const HEADER_LEN: usize = 127;
/// The header and the root directory must lie in the first 16 KiB (one client fetch).
pub const ROOT_BUDGET: usize = 16_384 - HEADER_LEN;
/// Entries per leaf directory to start from (the reference writer's choice); doubled until the
/// root of leaf pointers fits the budget.
pub const LEAF_SIZE: usize = 4096;

pub(super) const COMPRESSION_NONE: u8 = 1;
pub(super) const COMPRESSION_GZIP: u8 = 2;
pub(super) const TILE_TYPE_MVT: u8 = 1;

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PmtilesError {
    /// A tile was added whose TileID is not above the previous one.
    #[error("tiles must be added in increasing TileID order: {got} after {last}")]
    OutOfOrder {
        /// The TileID added before.
        last: u64,
        /// The TileID added now.
        got: u64,
    },
    /// A tile with no bytes was added.
    #[error("tile {z}/{x}/{y} is empty; PMTiles archives store no empty tiles")]
    EmptyTile {
        /// Its zoom.
        z: u8,
        /// Its column.
        x: u32,
        /// Its row.
        y: u32,
    },
    /// The archive would hold no tile.
    #[error("no tile to write: no feature in force reaches the zoom range (PMTiles directories must not be empty)")]
    NoTiles,
    /// Compressing or writing the archive failed.
    #[error("writing the archive: {0}")]
    Io(#[from] std::io::Error),
    /// An archive read is not one this reader understands (not PMTiles v3, truncated, not MVT,
    /// a compression other than none or gzip).
    #[error("not a PMTiles v3 archive of vector tiles that can be read: {0}")]
    Unreadable(String),
}

/// The Hilbert-curve TileID of a tile: all tiles of lower zooms come first (Σ 4^i for i < z),
/// then the position of (x, y) along the zoom's Hilbert curve. Neighbouring tiles get nearby
/// ids, so a viewport's tiles sit close together in the file.
pub fn tile_id(t: TileId) -> u64 {
    let z = u32::from(t.z);
    let mut acc: u64 = ((1u64 << (2 * z)) - 1) / 3;
    let (mut x, mut y) = (u64::from(t.x), u64::from(t.y));
    let mut s: u64 = if z == 0 { 0 } else { 1 << (z - 1) };
    while s > 0 {
        let rx = u64::from(x & s != 0);
        let ry = u64::from(y & s != 0);
        acc += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = s - 1 - (x & (s - 1));
                y = s - 1 - (y & (s - 1));
            }
            std::mem::swap(&mut x, &mut y);
        }
        x &= s.wrapping_sub(1);
        y &= s.wrapping_sub(1);
        s >>= 1;
    }
    acc
}

/// The tile of a TileID (inverse of [`tile_id`]); `None` past zoom 31.
pub fn tile_of(id: u64) -> Option<(u8, u32, u32)> {
    let mut acc = 0u64;
    for z in 0u8..32 {
        let n = 1u64 << (2 * u32::from(z));
        if id < acc + n {
            let mut d = id - acc;
            let (mut x, mut y) = (0u64, 0u64);
            let mut s = 1u64;
            while s < (1u64 << z) {
                let rx = 1 & (d / 2);
                let ry = 1 & (d ^ rx);
                if ry == 0 {
                    if rx == 1 {
                        x = s - 1 - x;
                        y = s - 1 - y;
                    }
                    std::mem::swap(&mut x, &mut y);
                }
                x += s * rx;
                y += s * ry;
                d /= 4;
                s *= 2;
            }
            return Some((z, u32::try_from(x).ok()?, u32::try_from(y).ok()?));
        }
        acc += n;
    }
    None
}

/// One directory entry: `run_length` tiles from `tile_id` on share the bytes at `offset`;
/// `run_length == 0` points at a leaf directory instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) tile_id: u64,
    pub(super) offset: u64,
    pub(super) length: u32,
    pub(super) run_length: u32,
}

pub(crate) fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut e = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2 + 16),
        Compression::default(),
    );
    e.write_all(bytes)?;
    e.finish()
}

/// The bytes of a gzip stream.
pub(crate) fn gunzip(gz: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(gz.len() * 3);
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz), &mut out)?;
    Ok(out)
}

pub(super) fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// What the header says besides the layout: zooms, bounds and centre (lon/lat degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    /// Lowest zoom in the archive.
    pub min_zoom: u8,
    /// Highest zoom in the archive.
    pub max_zoom: u8,
    /// `[west, south, east, north]`.
    pub bounds: [f64; 4],
    /// Where a map opens, `[lon, lat]`.
    pub center: [f64; 2],
    /// The zoom a map opens at.
    pub center_zoom: u8,
}
