//! A PMTiles v3 writer (spec: protomaps/PMTiles `spec/v3/spec.md`): one file that a static
//! host or object store can serve to MapLibre through range requests, with no tile server.
//!
//! Layout: the 127-byte header, the root directory, the JSON metadata, the leaf directories,
//! then the tile data — so the header and root fit in the first 16 KiB a client fetches.
//! Tiles arrive in TileID order (`clustered`); identical contents are stored once and
//! consecutive identical tiles collapse into one entry with a run length, which is what makes
//! the interiors of large zones nearly free at high zooms.

use super::TileId;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::collections::HashMap;
use std::io::Write;

/// Header size fixed by the spec.
pub const HEADER_LEN: usize = 127;
/// The header and the root directory must lie in the first 16 KiB (one client fetch).
pub const ROOT_BUDGET: usize = 16_384 - HEADER_LEN;
/// Entries per leaf directory to start from (the reference writer's choice); doubled until the
/// root of leaf pointers fits the budget.
pub const LEAF_SIZE: usize = 4096;

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

/// Counts of a finished archive (the header's three counts, plus sizes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Tiles a client can fetch.
    pub addressed_tiles: u64,
    /// Directory entries (a run of identical consecutive tiles is one).
    pub tile_entries: u64,
    /// Distinct tile contents stored.
    pub tile_contents: u64,
    /// Leaf directories written (0 when the root holds every entry).
    pub leaf_directories: u64,
    /// Size of the whole archive, bytes.
    pub bytes: u64,
}

/// Builds an archive in memory: add gzip-compressed MVT tiles in TileID order, then [`finish`].
///
/// [`finish`]: Writer::finish
#[derive(Debug, Default)]
pub struct Writer {
    entries: Vec<Entry>,
    data: Vec<u8>,
    /// Stored contents → (offset, length), for deduplication.
    seen: HashMap<Vec<u8>, (u64, u32)>,
    addressed: u64,
    root_budget: Option<usize>,
    leaf_size: Option<usize>,
}

impl Writer {
    /// An empty archive with the spec's directory limits.
    pub fn new() -> Writer {
        Writer::default()
    }

    /// Overrides the root-directory budget and the starting leaf size (tests use small values to
    /// exercise leaf directories on small archives).
    pub fn with_directory_limits(mut self, root_budget: usize, leaf_size: usize) -> Writer {
        self.root_budget = Some(root_budget);
        self.leaf_size = Some(leaf_size.max(1));
        self
    }

    /// Adds one tile's gzip-compressed bytes. Ids must increase; empty tiles are refused.
    pub fn add(&mut self, tile: TileId, gzipped: &[u8]) -> Result<(), PmtilesError> {
        let id = tile_id(tile);
        if gzipped.is_empty() {
            return Err(PmtilesError::EmptyTile {
                z: tile.z,
                x: tile.x,
                y: tile.y,
            });
        }
        if let Some(last) = self.entries.last() {
            let last_id = last.tile_id + u64::from(last.run_length) - 1;
            if id <= last_id {
                return Err(PmtilesError::OutOfOrder {
                    last: last_id,
                    got: id,
                });
            }
        }
        self.addressed += 1;
        let (offset, length) = match self.seen.get(gzipped) {
            Some(&at) => at,
            None => {
                let at = (self.data.len() as u64, gzipped.len() as u32);
                self.data.extend_from_slice(gzipped);
                self.seen.insert(gzipped.to_vec(), at);
                at
            }
        };
        if let Some(last) = self.entries.last_mut() {
            if last.offset == offset
                && last.tile_id + u64::from(last.run_length) == id
                && last.run_length < u32::MAX
            {
                last.run_length += 1;
                return Ok(());
            }
        }
        self.entries.push(Entry {
            tile_id: id,
            offset,
            length,
            run_length: 1,
        });
        Ok(())
    }

    /// Writes header, directories, metadata (JSON, gzip) and tile data to `out`.
    pub fn finish(
        self,
        out: &mut impl Write,
        extent: &Extent,
        metadata: &serde_json::Value,
    ) -> Result<Stats, PmtilesError> {
        if self.entries.is_empty() {
            return Err(PmtilesError::NoTiles);
        }
        let budget = self.root_budget.unwrap_or(ROOT_BUDGET);
        let (root, leaves, n_leaves) =
            directories(&self.entries, budget, self.leaf_size.unwrap_or(LEAF_SIZE))?;
        let meta = gzip(&serde_json::to_vec(metadata).map_err(std::io::Error::from)?)?;

        let root_offset = HEADER_LEN as u64;
        let meta_offset = root_offset + root.len() as u64;
        let leaf_offset = meta_offset + meta.len() as u64;
        let data_offset = leaf_offset + leaves.len() as u64;
        let mut h = Vec::with_capacity(HEADER_LEN);
        h.extend_from_slice(b"PMTiles");
        h.push(3);
        for v in [
            root_offset,
            root.len() as u64,
            meta_offset,
            meta.len() as u64,
            leaf_offset,
            leaves.len() as u64,
            data_offset,
            self.data.len() as u64,
            self.addressed,
            self.entries.len() as u64,
            self.seen.len() as u64,
        ] {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h.push(1); // clustered: tile data is in TileID order
        h.push(COMPRESSION_GZIP); // directories and metadata
        h.push(COMPRESSION_GZIP); // tiles
        h.push(TILE_TYPE_MVT);
        h.push(extent.min_zoom);
        h.push(extent.max_zoom);
        for deg in extent.bounds {
            h.extend_from_slice(&e7(deg).to_le_bytes());
        }
        h.push(extent.center_zoom);
        for deg in extent.center {
            h.extend_from_slice(&e7(deg).to_le_bytes());
        }
        debug_assert_eq!(h.len(), HEADER_LEN);
        out.write_all(&h)?;
        out.write_all(&root)?;
        out.write_all(&meta)?;
        out.write_all(&leaves)?;
        out.write_all(&self.data)?;
        out.flush()?;
        Ok(Stats {
            addressed_tiles: self.addressed,
            tile_entries: self.entries.len() as u64,
            tile_contents: self.seen.len() as u64,
            leaf_directories: n_leaves,
            bytes: data_offset + self.data.len() as u64,
        })
    }
}

/// Degrees as the header's fixed-point e7 integers.
fn e7(deg: f64) -> i32 {
    (deg * 1e7).round() as i32
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

/// A directory as the spec encodes it, column by column: count, delta-coded ids, run lengths,
/// lengths, then offsets (0 when an entry follows its predecessor's bytes, else offset + 1).
/// Columns of small similar numbers compress well.
fn serialize(entries: &[Entry]) -> std::io::Result<Vec<u8>> {
    let mut b = Vec::with_capacity(entries.len() * 6 + 8);
    varint(&mut b, entries.len() as u64);
    let mut last = 0;
    for e in entries {
        varint(&mut b, e.tile_id - last);
        last = e.tile_id;
    }
    for e in entries {
        varint(&mut b, u64::from(e.run_length));
    }
    for e in entries {
        varint(&mut b, u64::from(e.length));
    }
    for (i, e) in entries.iter().enumerate() {
        let follows = i > 0 && {
            let p = entries[i - 1];
            e.offset == p.offset + u64::from(p.length)
        };
        varint(&mut b, if follows { 0 } else { e.offset + 1 });
    }
    gzip(&b)
}

/// The root directory, the concatenated leaf directories and their count. All entries go in
/// the root when it fits the budget; otherwise leaves of `leaf_size` entries, doubling the leaf
/// size until the root of pointers fits.
fn directories(
    entries: &[Entry],
    budget: usize,
    mut leaf_size: usize,
) -> Result<(Vec<u8>, Vec<u8>, u64), PmtilesError> {
    let root = serialize(entries)?;
    if root.len() <= budget {
        return Ok((root, Vec::new(), 0));
    }
    loop {
        let mut leaves = Vec::new();
        let mut pointers = Vec::new();
        for chunk in entries.chunks(leaf_size) {
            let leaf = serialize(chunk)?;
            pointers.push(Entry {
                tile_id: chunk[0].tile_id,
                offset: leaves.len() as u64,
                length: leaf.len() as u32,
                run_length: 0,
            });
            leaves.extend_from_slice(&leaf);
        }
        let root = serialize(&pointers)?;
        if root.len() <= budget || pointers.len() == 1 {
            return Ok((root, leaves, pointers.len() as u64));
        }
        leaf_size *= 2;
    }
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
