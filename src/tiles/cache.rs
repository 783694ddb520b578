//! A bounded in-memory tile cache. Keys carry the data version and year, so a reload never
//! serves stale tiles; eviction is first-in-first-out once the byte budget is spent.

use crate::data::hash::Fnv1a;
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

/// What identifies a rendered tile.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// The dataset's version hash: a reload changes every key.
    pub version: String,
    /// The layer ids drawn, comma-separated, in request order (duplicates dropped).
    pub layers: String,
    /// Zoom.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row (XYZ, from the north).
    pub y: u32,
    /// The year drawn (features in force that year).
    pub year: i32,
    /// The web-map offset drawn in (`None`: lon/lat as it is).
    pub offset: Option<crate::spatial::crs::WebOffset>,
}

/// A rendered tile: `None` body for an empty tile; gzip computed on first demand. The bodies
/// are [`Bytes`], so an answer from the cache shares them instead of copying.
#[derive(Debug)]
pub struct Tile {
    /// The Mapbox Vector Tile, uncompressed; `None` when no feature reaches the tile.
    pub body: Option<Bytes>,
    /// The quoted ETag: the FNV-1a hash of the body.
    pub etag: String,
    gzip: OnceLock<Bytes>,
}

impl Tile {
    /// A tile with its ETag.
    pub fn new(body: Option<Vec<u8>>) -> Tile {
        let mut h = Fnv1a::default();
        h.write(body.as_deref().unwrap_or_default());
        Tile {
            etag: format!("\"{:016x}\"", h.0),
            body: body.map(Bytes::from),
            gzip: OnceLock::new(),
        }
    }

    /// The gzip-compressed body (computed once).
    pub fn gzip(&self) -> &Bytes {
        self.gzip.get_or_init(|| {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let _ = e.write_all(self.body.as_deref().unwrap_or_default());
            Bytes::from(e.finish().unwrap_or_default())
        })
    }

    fn cost(&self) -> usize {
        // Count the gzip copy too: it is usually made on the first request.
        2 * self.body.as_ref().map_or(0, Bytes::len) + 64
    }
}

#[derive(Debug, Default)]
struct Inner {
    map: HashMap<Key, Arc<Tile>>,
    order: VecDeque<Key>,
    bytes: usize,
    hits: u64,
    misses: u64,
}

/// The cache, with a byte budget.
#[derive(Debug)]
pub struct TileCache {
    budget: usize,
    inner: Mutex<Inner>,
}

impl TileCache {
    /// An empty cache holding at most `budget_bytes` (a tile counts its body twice, for gzip).
    pub fn new(budget_bytes: usize) -> Self {
        TileCache {
            budget: budget_bytes,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The cached tile, if there is one: the answer that needs no blocking thread.
    pub fn get(&self, key: &Key) -> Option<Arc<Tile>> {
        let mut g = self.inner.lock().ok()?;
        let t = g.map.get(key).cloned()?;
        g.hits += 1;
        Some(t)
    }

    /// The cached tile, or renders it with `make` and keeps it within the budget.
    pub fn get_or_render(&self, key: Key, make: impl FnOnce() -> Option<Vec<u8>>) -> Arc<Tile> {
        if let Ok(mut g) = self.inner.lock() {
            if let Some(t) = g.map.get(&key).cloned() {
                g.hits += 1;
                return t;
            }
            g.misses += 1;
        }
        // Render outside the lock: two concurrent misses may both render; both results are equal.
        let tile = Arc::new(Tile::new(make()));
        if let Ok(mut g) = self.inner.lock() {
            let cost = tile.cost();
            if cost <= self.budget && !g.map.contains_key(&key) {
                while g.bytes + cost > self.budget {
                    let Some(old) = g.order.pop_front() else {
                        break;
                    };
                    if let Some(t) = g.map.remove(&old) {
                        g.bytes -= t.cost();
                    }
                }
                g.bytes += cost;
                g.order.push_back(key.clone());
                g.map.insert(key, Arc::clone(&tile));
            }
        }
        tile
    }

    /// (entries, bytes, hits, misses).
    pub fn stats(&self) -> (usize, usize, u64, u64) {
        self.inner
            .lock()
            .map(|g| (g.map.len(), g.bytes, g.hits, g.misses))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(x: u32) -> Key {
        Key {
            version: "v".into(),
            layers: "l".into(),
            z: 1,
            x,
            y: 0,
            year: 2025,
            offset: None,
        }
    }

    #[test]
    fn stays_within_its_budget_and_evicts_oldest_first() {
        let c = TileCache::new(3 * (2 * 100 + 64));
        for x in 0..5 {
            c.get_or_render(key(x), || Some(vec![0u8; 100]));
        }
        let (n, bytes, _, misses) = c.stats();
        assert_eq!((n, misses), (3, 5));
        assert!(bytes <= 3 * 264);
        let mut rendered = false;
        c.get_or_render(key(4), || {
            rendered = true;
            None
        });
        assert!(!rendered, "newest kept");
        c.get_or_render(key(0), || {
            rendered = true;
            None
        });
        assert!(rendered, "oldest evicted");
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let t = Tile::new(Some(b"hello tiles".to_vec()));
        let mut d = flate2::read::GzDecoder::new(&t.gzip()[..]);
        let mut s = String::new();
        d.read_to_string(&mut s).unwrap();
        assert_eq!(s, "hello tiles");
    }
}
