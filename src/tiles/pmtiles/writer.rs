//! Writing an archive: tiles in TileID order in; header, directories, metadata and data out.

use super::format::{
    gzip, tile_id, varint, Entry, Extent, PmtilesError, COMPRESSION_GZIP, HEADER_LEN, LEAF_SIZE,
    ROOT_BUDGET, TILE_TYPE_MVT,
};
use crate::tiles::TileId;
use std::collections::HashMap;
use std::io::Write;

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
