//! TileJSON 3.0.0 documents for a set of layers, and the catalogue of tile sources. The caller
//! supplies the absolute base URL (the HTTP layer knows the host); everything else comes from
//! the data.

use crate::data::{Dataset, Layer, LayerKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// A TileJSON 3.0.0 document.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TileJson {
    /// `3.0.0`.
    pub tilejson: &'static str,
    /// The layer ids, joined by commas.
    pub name: String,
    /// The dataset's titles.
    pub description: String,
    /// `1.0.0+` the data version: semver whose build metadata changes whenever the data does.
    pub version: String,
    /// Where the data comes from.
    pub attribution: &'static str,
    /// `xyz`.
    pub scheme: &'static str,
    /// The tile URL template.
    pub tiles: Vec<String>,
    /// Lowest zoom served.
    pub minzoom: u8,
    /// Highest zoom served.
    pub maxzoom: u8,
    /// `[west, south, east, north]` of the layers' features.
    pub bounds: [f64; 4],
    /// `[lon, lat, zoom]`: the bounds' centre and a zoom at which they fill about one view.
    pub center: [f64; 3],
    /// One per layer: its MVT layer name and fields.
    pub vector_layers: Vec<VectorLayer>,
}

/// One MVT layer of a TileJSON document.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VectorLayer {
    /// The layer id (the MVT layer's name).
    pub id: String,
    /// Its titles.
    pub description: String,
    /// Field name → what it means (`id` and the manifest's property meanings).
    pub fields: BTreeMap<String, String>,
    /// Lowest zoom.
    pub minzoom: u8,
    /// Highest zoom.
    pub maxzoom: u8,
}

/// A TileJSON 3.0.0 document for `layers`, with `tiles = [tile_url]`.
pub fn document(ds: &Dataset, layers: &[&Layer], tile_url: &str) -> TileJson {
    let bbox = layers
        .iter()
        .filter_map(|l| l.bbox)
        .reduce(crate::spatial::clip::union);
    let bounds = bbox.unwrap_or([-180.0, -85.051_128_78, 180.0, 85.051_128_78]);
    let centre = [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0];
    // A zoom at which the bounds fill roughly one 512-px view.
    let span = (bounds[2] - bounds[0]).max(bounds[3] - bounds[1]).max(1e-6);
    let zoom = (360.0 / span).log2().floor().clamp(0.0, 14.0);
    let vector_layers = layers
        .iter()
        .map(|l| {
            let mut fields = BTreeMap::new();
            fields.insert("id".to_string(), "Feature id (string)".to_string());
            for (k, v) in &l.spec.properties {
                fields.insert(k.clone(), v.clone());
            }
            VectorLayer {
                id: l.id().to_string(),
                description: format!("{} {}", l.spec.title_zh, l.spec.title_en),
                fields,
                minzoom: 0,
                maxzoom: super::MAX_ZOOM,
            }
        })
        .collect();
    TileJson {
        tilejson: "3.0.0",
        name: layers.iter().map(|l| l.id()).collect::<Vec<_>>().join(","),
        description: format!("{} / {}", ds.manifest.title_zh, ds.manifest.title_en),
        version: format!("1.0.0+{}", ds.version),
        attribution: "ecospace — illustrative data, see data/README.md",
        scheme: "xyz",
        tiles: vec![tile_url.to_string()],
        minzoom: 0,
        maxzoom: super::MAX_ZOOM,
        bounds,
        center: [centre[0], centre[1], zoom],
        vector_layers,
    }
}

/// One tile source of the catalogue: a layer, or all of them together.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TileSource {
    /// A layer id, or all ids joined by commas for the combined source.
    pub id: String,
    /// Title in Chinese.
    pub title_zh: String,
    /// Title in English.
    pub title_en: String,
    /// The layer's kind (not for the combined source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<LayerKind>,
    /// The layer's features, all years (not for the combined source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<usize>,
    /// The layer's box (not for the combined source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbox: Option<[f64; 4]>,
    /// URL of the source's TileJSON.
    pub tilejson: String,
}

/// Every layer as a tile source, one source with all of them, and the styles.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TileCatalog {
    /// The data version.
    pub version: String,
    /// One source per layer, then the combined one.
    pub sources: Vec<TileSource>,
    /// URLs of the MapLibre styles.
    pub styles: Vec<String>,
}

/// The catalogue of `ds`, with URLs under `base` (`scheme://host`).
pub fn catalog(ds: &Dataset, base: &str) -> TileCatalog {
    let all = ds.layer_ids().join(",");
    let mut sources: Vec<TileSource> = ds
        .layers
        .iter()
        .map(|l| TileSource {
            id: l.id().to_string(),
            title_zh: l.spec.title_zh.clone(),
            title_en: l.spec.title_en.clone(),
            kind: Some(l.kind()),
            features: Some(l.features.len()),
            bbox: l.bbox,
            tilejson: format!("{base}/tiles/{}.json", l.id()),
        })
        .collect();
    sources.push(TileSource {
        tilejson: format!("{base}/tiles/{all}.json"),
        id: all,
        title_zh: "全部图层".into(),
        title_en: "All layers".into(),
        kind: None,
        features: None,
        bbox: None,
    });
    TileCatalog {
        version: ds.version.clone(),
        sources,
        styles: vec![format!("{base}/styles/ecospace.json")],
    }
}
