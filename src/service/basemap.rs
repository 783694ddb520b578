//! The Tianditu (天地图, CGCS2000) base map through this server: the browser asks
//! `/basemap/tianditu/{layer}/{z}/{x}/{y}`, the server adds the configured key and fetches the
//! WMTS tile, so the key never reaches a page or a log. Tianditu's Web Mercator (`_w`) sets are
//! the XYZ grid, so MapLibre uses them like any raster source; CGCS2000 and WGS84 coincide at
//! map precision, so ecospace's layers line up without an offset (unlike Amap/Baidu).
//!
//! libcurl (the `curl` crate over Debian's libcurl, which GDAL already links) makes the
//! request: one blocking call on the caller's thread, bounded in time and size.

use std::time::Duration;

/// Tianditu's layers: vector, its labels, imagery, its labels, terrain, its labels.
pub const LAYERS: [&str; 6] = ["vec", "cva", "img", "cia", "ter", "cta"];
const DEFAULT_URL: &str = "https://t0.tianditu.gov.cn";
/// A tile is tens of kB; anything near this is not a tile.
const MAX_BYTES: usize = 4 * 1024 * 1024;

/// Why a base-map tile cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum BasemapError {
    /// No key configured.
    #[error("no Tianditu key is configured (serve --tianditu-key or ECOSPACE_TIANDITU_KEY)")]
    NotConfigured,
    /// Not a Tianditu layer or tile address.
    #[error("{0}")]
    NotFound(String),
    /// Tianditu did not answer with a tile (status or transport error; the key is not in it).
    #[error("the Tianditu server did not give the tile: {0}")]
    Upstream(String),
}

impl BasemapError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            BasemapError::NotConfigured | BasemapError::NotFound(_) => "not_found",
            BasemapError::Upstream(_) => "upstream_failed",
        }
    }
}

/// A configured Tianditu source.
#[derive(Clone)]
pub struct Tianditu {
    key: String,
    base: String,
}

/// Never prints the key.
impl std::fmt::Debug for Tianditu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tianditu")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// A fetched tile.
pub struct BaseTile {
    /// Its media type, as the upstream gave it.
    pub content_type: String,
    /// Its bytes.
    pub body: Vec<u8>,
}

impl Tianditu {
    /// A source with this key, at `base` (default Tianditu's own server); what is wrong with
    /// either otherwise (the settings say it as a range error).
    pub fn new(key: &str, base: Option<&str>) -> Result<Tianditu, String> {
        let base = base
            .unwrap_or(DEFAULT_URL)
            .trim_end_matches('/')
            .to_string();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(format!("tianditu_url must be an http(s) URL, got {base:?}"));
        }
        if !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("tianditu_key must be the key's letters and digits".into());
        }
        Ok(Tianditu {
            key: key.to_string(),
            base,
        })
    }

    /// The upstream URL of a tile (holds the key: never log or answer it).
    fn url(&self, layer: &str, z: u8, x: u32, y: u32) -> String {
        format!(
            "{}/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={}",
            self.base, self.key
        )
    }

    /// Fetches one tile (blocking: call it off the async workers).
    pub fn fetch(&self, layer: &str, z: u8, x: u32, y: u32) -> Result<BaseTile, BasemapError> {
        if !LAYERS.contains(&layer) {
            return Err(BasemapError::NotFound(format!(
                "no Tianditu layer {layer:?}; layers: {}",
                LAYERS.join(", ")
            )));
        }
        let mut easy = curl::easy::Easy::new();
        let up = |e: curl::Error| BasemapError::Upstream(e.description().to_string());
        easy.url(&self.url(layer, z, x, y)).map_err(up)?;
        easy.useragent(concat!("ecospace/", env!("CARGO_PKG_VERSION")))
            .map_err(up)?;
        easy.connect_timeout(Duration::from_secs(5)).map_err(up)?;
        easy.timeout(Duration::from_secs(15)).map_err(up)?;
        let mut body = Vec::new();
        let mut content_type = None;
        {
            let mut t = easy.transfer();
            t.write_function(|data| {
                if body.len() + data.len() > MAX_BYTES {
                    return Ok(0); // aborts the transfer
                }
                body.extend_from_slice(data);
                Ok(data.len())
            })
            .map_err(up)?;
            t.header_function(|h| {
                if let Some(v) = std::str::from_utf8(h)
                    .ok()
                    .and_then(|l| l.split_once(':'))
                    .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                {
                    content_type = Some(v.1.trim().to_string());
                }
                true
            })
            .map_err(up)?;
            t.perform().map_err(up)?;
        }
        let status = easy.response_code().map_err(up)?;
        let content_type = content_type.unwrap_or_default();
        if status != 200 || !content_type.starts_with("image/") {
            return Err(BasemapError::Upstream(format!(
                "HTTP {status}, {:?}",
                if content_type.is_empty() {
                    "no content type"
                } else {
                    &content_type
                }
            )));
        }
        Ok(BaseTile { content_type, body })
    }
}
