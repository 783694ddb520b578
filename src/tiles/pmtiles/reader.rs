//! Reading an archive back: what the previous export of a layer update holds, so that the next
//! one can write only the tiles that changed. Reads a whole archive held in memory; every
//! offset is checked against its length, so a truncated or foreign file is an error, never a
//! panic.

use super::format::{
    gunzip, Entry, Extent, PmtilesError, COMPRESSION_GZIP, COMPRESSION_NONE, HEADER_LEN,
    TILE_TYPE_MVT,
};

/// Leaf directories nest at most this deep (the spec's writers use one level; this bounds a
/// malicious file's recursion).
const MAX_DEPTH: usize = 4;

/// A PMTiles v3 archive of MVT tiles, read from its bytes.
#[derive(Debug)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    extent: Extent,
    internal: u8,
    tiles: u8,
    root: (u64, u64),
    metadata: (u64, u64),
    leaves: u64,
    data: u64,
}

fn bad(why: impl Into<String>) -> PmtilesError {
    PmtilesError::Unreadable(why.into())
}

impl<'a> Reader<'a> {
    /// Checks the header: magic, version 3, MVT tiles, a compression this reader undoes.
    pub fn new(bytes: &'a [u8]) -> Result<Reader<'a>, PmtilesError> {
        if bytes.len() < HEADER_LEN || &bytes[..7] != b"PMTiles" {
            return Err(bad("no PMTiles header"));
        }
        if bytes[7] != 3 {
            return Err(bad(format!("spec version {}, not 3", bytes[7])));
        }
        let u = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or([0; 8]));
        let deg = |at: usize| {
            f64::from(i32::from_le_bytes(
                bytes[at..at + 4].try_into().unwrap_or([0; 4]),
            )) / 1e7
        };
        let (internal, tiles) = (bytes[97], bytes[98]);
        for (what, c) in [("directory", internal), ("tile", tiles)] {
            if c != COMPRESSION_NONE && c != COMPRESSION_GZIP {
                return Err(bad(format!(
                    "{what} compression {c} (only none and gzip are read)"
                )));
            }
        }
        if bytes[99] != TILE_TYPE_MVT {
            return Err(bad(format!("tile type {}, not MVT", bytes[99])));
        }
        Ok(Reader {
            bytes,
            extent: Extent {
                min_zoom: bytes[100],
                max_zoom: bytes[101],
                bounds: [deg(102), deg(106), deg(110), deg(114)],
                center_zoom: bytes[118],
                center: [deg(119), deg(123)],
            },
            internal,
            tiles,
            root: (u(8), u(16)),
            metadata: (u(24), u(32)),
            leaves: u(40),
            data: u(56),
        })
    }

    /// Zooms, bounds and centre from the header.
    pub fn extent(&self) -> Extent {
        self.extent
    }

    /// The archive's JSON metadata.
    pub fn metadata(&self) -> Result<serde_json::Value, PmtilesError> {
        let raw = self.slice(self.metadata.0, self.metadata.1)?;
        let text = decompress(raw, self.internal)?;
        serde_json::from_slice(&text).map_err(|e| bad(format!("metadata: {e}")))
    }

    /// Every addressed tile in TileID order, runs expanded: its TileID and its bytes as stored
    /// (compressed as the header says; [`Reader::decompress`] undoes that).
    pub fn tiles(&self) -> Result<Vec<(u64, &'a [u8])>, PmtilesError> {
        let mut out = Vec::new();
        self.walk(self.root.0, self.root.1, 0, &mut out)?;
        if out.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err(bad("tile ids are not increasing"));
        }
        Ok(out)
    }

    /// A stored tile's MVT bytes.
    pub fn decompress(&self, stored: &[u8]) -> Result<Vec<u8>, PmtilesError> {
        decompress(stored, self.tiles)
    }

    fn walk(
        &self,
        offset: u64,
        length: u64,
        depth: usize,
        out: &mut Vec<(u64, &'a [u8])>,
    ) -> Result<(), PmtilesError> {
        if depth > MAX_DEPTH {
            return Err(bad("leaf directories nest too deep"));
        }
        let dir = decompress(self.slice(offset, length)?, self.internal)?;
        for e in entries(&dir)? {
            if e.run_length == 0 {
                let at = self
                    .leaves
                    .checked_add(e.offset)
                    .ok_or_else(|| bad("leaf offset"))?;
                self.walk(at, u64::from(e.length), depth + 1, out)?;
            } else {
                let at = self
                    .data
                    .checked_add(e.offset)
                    .ok_or_else(|| bad("tile offset"))?;
                let bytes = self.slice(at, u64::from(e.length))?;
                for k in 0..u64::from(e.run_length) {
                    out.push((e.tile_id + k, bytes));
                }
            }
        }
        Ok(())
    }

    fn slice(&self, offset: u64, length: u64) -> Result<&'a [u8], PmtilesError> {
        let end = offset
            .checked_add(length)
            .ok_or_else(|| bad("offset overflow"))?;
        usize::try_from(offset)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(a, b)| self.bytes.get(a..b))
            .ok_or_else(|| {
                bad(format!(
                    "bytes {offset}..{end} lie past the end of the file ({} bytes): truncated?",
                    self.bytes.len()
                ))
            })
    }
}

fn decompress(bytes: &[u8], compression: u8) -> Result<Vec<u8>, PmtilesError> {
    if compression == COMPRESSION_NONE {
        return Ok(bytes.to_vec());
    }
    gunzip(bytes).map_err(|e| bad(format!("gzip: {e}")))
}

/// A directory's entries (the inverse of the writer's `serialize`, columns in the same order).
fn entries(dir: &[u8]) -> Result<Vec<Entry>, PmtilesError> {
    let mut at = 0usize;
    let mut next = || -> Result<u64, PmtilesError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *dir
                .get(at)
                .ok_or_else(|| bad("directory ends inside a number"))?;
            at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(bad("directory number longer than 64 bits"))
    };
    let n = usize::try_from(next()?).map_err(|_| bad("entry count"))?;
    // Each entry takes at least 4 bytes: a count beyond that is a corrupt file, not a reason
    // to allocate.
    if n > dir.len() / 4 + 1 {
        return Err(bad(format!(
            "{n} entries in a {}-byte directory",
            dir.len()
        )));
    }
    let mut e = vec![
        Entry {
            tile_id: 0,
            offset: 0,
            length: 0,
            run_length: 0,
        };
        n
    ];
    let mut id = 0u64;
    for x in &mut e {
        id = id
            .checked_add(next()?)
            .ok_or_else(|| bad("tile id overflow"))?;
        x.tile_id = id;
    }
    let small = |v: u64| u32::try_from(v).map_err(|_| bad("run length or length above 2³²"));
    for x in &mut e {
        x.run_length = small(next()?)?;
    }
    for x in &mut e {
        x.length = small(next()?)?;
    }
    for i in 0..n {
        let v = next()?;
        e[i].offset = match (v, i) {
            (0, i) if i > 0 => e[i - 1].offset + u64::from(e[i - 1].length),
            (0, _) => return Err(bad("the first entry has no offset")),
            (v, _) => v - 1,
        };
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::pmtiles::{gzip, Writer};
    use crate::tiles::TileId;

    fn archive(writer: Writer, tiles: &[(u32, u32, u32, &[u8])]) -> Vec<u8> {
        let mut w = writer;
        for (z, x, y, b) in tiles {
            w.add(
                TileId::new(*z, *x, *y).expect("tile"),
                &gzip(b).expect("gzip"),
            )
            .expect("add");
        }
        let extent = Extent {
            min_zoom: 1,
            max_zoom: 2,
            bounds: [120.25, 30.5, 121.5, 31.0],
            center: [120.875, 30.75],
            center_zoom: 2,
        };
        let mut out = Vec::new();
        w.finish(&mut out, &extent, &serde_json::json!({"name": "t"}))
            .expect("finish");
        out
    }

    #[test]
    fn reads_back_what_the_writer_wrote_through_leaves_and_runs() {
        // z2 ids by hand (spec: (0,0)=5 (1,0)=6 (1,1)=7 (0,1)=8): 5,6,7 share bytes, so they
        // form one run; a 1-entry leaf size forces leaf directories.
        let tiles: [(u32, u32, u32, &[u8]); 5] = [
            (1, 0, 0, b"a"),
            (2, 0, 0, b"same"),
            (2, 1, 0, b"same"),
            (2, 1, 1, b"same"),
            (2, 0, 1, b"other"),
        ];
        for w in [Writer::new(), Writer::new().with_directory_limits(20, 1)] {
            let bytes = archive(w, &tiles);
            let r = Reader::new(&bytes).expect("reader");
            let got: Vec<(u64, Vec<u8>)> = r
                .tiles()
                .expect("tiles")
                .into_iter()
                .map(|(id, b)| (id, r.decompress(b).expect("gunzip")))
                .collect();
            let want: Vec<(u64, Vec<u8>)> = [1, 5, 6, 7, 8]
                .into_iter()
                .zip(tiles.iter().map(|t| t.3.to_vec()))
                .collect();
            assert_eq!(got, want);
            assert_eq!(r.extent().bounds, [120.25, 30.5, 121.5, 31.0]);
            assert_eq!(r.extent().center_zoom, 2);
            assert_eq!(r.metadata().expect("metadata")["name"], "t");
        }
    }

    #[test]
    fn foreign_and_truncated_files_are_errors_not_panics() {
        let bytes = archive(Writer::new(), &[(1, 0, 0, b"a")]);
        assert!(matches!(
            Reader::new(b"PK\x03\x04 a zip file, say"),
            Err(PmtilesError::Unreadable(_))
        ));
        let mut v2 = bytes.clone();
        v2[7] = 2;
        assert!(Reader::new(&v2).is_err());
        // Cut anywhere past the header: the directory or the tile lies past the end.
        for cut in [HEADER_LEN, HEADER_LEN + 3, bytes.len() - 1] {
            let r = Reader::new(&bytes[..cut]).expect("header intact");
            assert!(
                matches!(r.tiles(), Err(PmtilesError::Unreadable(_))),
                "cut at {cut}"
            );
        }
        // A directory whose count claims far more entries than it has bytes.
        assert!(entries(&[0xff, 0xff, 0x7f]).is_err());
    }
}
