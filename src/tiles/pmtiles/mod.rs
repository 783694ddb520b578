//! PMTiles v3 (spec: protomaps/PMTiles `spec/v3/spec.md`): one file that a static host or
//! object store can serve to MapLibre through range requests, with no tile server.
//!
//! Layout written: the 127-byte header, the root directory, the JSON metadata, the leaf
//! directories, then the tile data — so the header and root fit in the first 16 KiB a client
//! fetches. Tiles arrive in TileID order (`clustered`); identical contents are stored once and
//! consecutive identical tiles collapse into one entry with a run length, which is what makes
//! the interiors of large zones nearly free at high zooms.
//!
//! Written and read here rather than with the `pmtiles` crate: that crate's writer buffers the
//! same way but its reader is async-only (a tokio runtime for a batch job reading one local
//! file); both sides are ~300 lines against a short spec, and the tests check them against the
//! Protomaps reference reader (PyPI `pmtiles`).

mod reader;
mod writer;

pub use reader::Reader;
pub use writer::{Extent, Stats, Writer};

use super::TileId;
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

const COMPRESSION_NONE: u8 = 1;
const COMPRESSION_GZIP: u8 = 2;
const TILE_TYPE_MVT: u8 = 1;

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
struct Entry {
    tile_id: u64,
    offset: u64,
    length: u32,
    run_length: u32,
}

pub(crate) fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut e = GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2 + 16),
        Compression::default(),
    );
    e.write_all(bytes)?;
    e.finish()
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(z: u32, x: u32, y: u32) -> TileId {
        TileId::new(z, x, y).expect("valid tile")
    }

    #[test]
    fn hilbert_ids_match_the_spec_by_hand() {
        // z0: the one tile is 0. z1: ids 1..4 follow the Hilbert "U" from the top-left,
        // down, right, up: (0,0) (0,1) (1,1) (1,0) (spec v3, "TileID").
        assert_eq!(tile_id(t(0, 0, 0)), 0);
        assert_eq!(tile_id(t(1, 0, 0)), 1);
        assert_eq!(tile_id(t(1, 0, 1)), 2);
        assert_eq!(tile_id(t(1, 1, 1)), 3);
        assert_eq!(tile_id(t(1, 1, 0)), 4);
        // z2 starts after 1 + 4 ids. Its curve visits the top-left quadrant first, transposed:
        // (0,0) (1,0) (1,1) (0,1), then the bottom-left quadrant (0,2) (0,3) (1,3) (1,2), …,
        // and ends at (3,0): 5 + 15 = 20.
        assert_eq!(tile_id(t(2, 0, 0)), 5);
        assert_eq!(tile_id(t(2, 1, 0)), 6);
        assert_eq!(tile_id(t(2, 1, 1)), 7);
        assert_eq!(tile_id(t(2, 0, 1)), 8);
        assert_eq!(tile_id(t(2, 0, 2)), 9);
        assert_eq!(tile_id(t(2, 0, 3)), 10);
        assert_eq!(tile_id(t(2, 3, 0)), 20);
        // The first tile of z18 is Σ 4^i for i < 18 = (4^18 − 1) / 3.
        assert_eq!(tile_id(t(18, 0, 0)), 22_906_492_245);
    }

    #[test]
    fn hilbert_ids_cover_each_zoom_once_and_round_trip() {
        for z in 0..=6u32 {
            let n = 1u32 << z;
            let first = ((1u64 << (2 * z)) - 1) / 3;
            let mut ids: Vec<u64> = Vec::new();
            for x in 0..n {
                for y in 0..n {
                    let id = tile_id(t(z, x, y));
                    assert_eq!(tile_of(id), Some((z as u8, x, y)));
                    ids.push(id);
                }
            }
            ids.sort_unstable();
            let expected: Vec<u64> = (first..first + u64::from(n) * u64::from(n)).collect();
            assert_eq!(ids, expected, "zoom {z} is a permutation of its id range");
        }
        // Consecutive ids are edge neighbours (the curve never jumps).
        for id in 21..(21 + 64 - 1) {
            let (_, x0, y0) = tile_of(id).expect("z3");
            let (_, x1, y1) = tile_of(id + 1).expect("z3");
            assert_eq!(
                x0.abs_diff(x1) + y0.abs_diff(y1),
                1,
                "ids {id} and {}",
                id + 1
            );
        }
        let far = t(18, 123_456, 201_234);
        let (z, x, y) = tile_of(tile_id(far)).expect("z18");
        assert_eq!((z, x, y), (18, 123_456, 201_234));
    }

    #[test]
    fn varints_are_little_endian_base_128() {
        let mut b = Vec::new();
        varint(&mut b, 1);
        varint(&mut b, 300); // 0b10_0101100 → 0xAC 0x02 (protobuf docs' example)
        varint(&mut b, 0);
        assert_eq!(b, vec![0x01, 0xAC, 0x02, 0x00]);
    }

    #[test]
    fn an_archive_without_tiles_is_refused() {
        let extent = Extent {
            min_zoom: 0,
            max_zoom: 0,
            bounds: [0.0; 4],
            center: [0.0; 2],
            center_zoom: 0,
        };
        let mut out = Vec::new();
        let r = Writer::new().finish(&mut out, &extent, &serde_json::json!({}));
        assert!(matches!(r, Err(PmtilesError::NoTiles)));
        assert!(out.is_empty());
    }

    #[test]
    fn out_of_order_and_empty_tiles_are_errors() {
        let mut w = Writer::new();
        w.add(t(1, 1, 1), b"a").expect("first");
        assert!(matches!(
            w.add(t(1, 0, 1), b"b"),
            Err(PmtilesError::OutOfOrder { last: 3, got: 2 })
        ));
        assert!(matches!(
            w.add(t(1, 1, 0), b""),
            Err(PmtilesError::EmptyTile { .. })
        ));
    }
}
