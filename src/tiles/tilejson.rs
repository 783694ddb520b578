//! TileJSON 3.0.0 documents for a set of layers. The caller supplies the absolute tile URL
//! template (the HTTP layer knows the host); everything else comes from the data.

use crate::dataset::Dataset;
use crate::layer::Layer;
use serde_json::{json, Value};

/// A TileJSON 3.0.0 document for `layers`, with `tiles = [tile_url]`.
pub fn document(ds: &Dataset, layers: &[&Layer], tile_url: &str) -> Value {
    let bbox = layers.iter().filter_map(|l| l.bbox).reduce(|a, b| {
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]
    });
    let bounds = bbox.unwrap_or([-180.0, -85.051_128_78, 180.0, 85.051_128_78]);
    let centre = [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0];
    // A zoom at which the bounds fill roughly one 512-px view.
    let span = (bounds[2] - bounds[0]).max(bounds[3] - bounds[1]).max(1e-6);
    let zoom = (360.0 / span).log2().floor().clamp(0.0, 14.0);
    let vector_layers: Vec<Value> = layers
        .iter()
        .map(|l| {
            let mut fields = serde_json::Map::new();
            fields.insert("id".into(), json!("Feature id (string)"));
            for (k, v) in &l.spec.properties {
                fields.insert(k.clone(), json!(v));
            }
            json!({
                "id": l.id(),
                "description": format!("{} {}", l.spec.title_zh, l.spec.title_en),
                "fields": fields,
                "minzoom": 0,
                "maxzoom": super::MAX_ZOOM,
            })
        })
        .collect();
    json!({
        "tilejson": "3.0.0",
        "name": layers.iter().map(|l| l.id()).collect::<Vec<_>>().join(","),
        "description": format!("{} / {}", ds.manifest.title_zh, ds.manifest.title_en),
        // Semver with the data hash as build metadata: changes whenever the data changes.
        "version": format!("1.0.0+{}", ds.version),
        "attribution": "ecospace — illustrative data, see data/README.md",
        "scheme": "xyz",
        "tiles": [tile_url],
        "minzoom": 0,
        "maxzoom": super::MAX_ZOOM,
        "bounds": bounds,
        "center": [centre[0], centre[1], zoom],
        "vector_layers": vector_layers,
    })
}
