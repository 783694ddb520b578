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

mod format;
mod reader;
mod writer;

pub(crate) use format::{gunzip, gzip};
pub use format::{tile_id, tile_of, Extent, PmtilesError, HEADER_LEN, LEAF_SIZE, ROOT_BUDGET};
pub use reader::Reader;
pub use writer::{Stats, Writer};

#[cfg(test)]
mod tests {
    use super::format::varint;
    use super::*;
    use crate::tiles::TileId;

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
