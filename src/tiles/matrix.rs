//! The OGC API – Tiles view of the same tiles: the WebMercatorQuad tile matrix set (OGC 17-083r4,
//! the XYZ pyramid every web map uses, written out as the standard defines it) and one tileset
//! per collection, whose tiles are the `/tiles` renderer's and cache's. Like `tilejson`, the
//! caller supplies the absolute base URL.

use super::{export::tiles_reached, MAX_ZOOM};
use crate::data::{Layer, LayerKind};
use serde::Serialize;

/// The tile matrix set's id in URLs.
pub const WEB_MERCATOR_QUAD: &str = "WebMercatorQuad";
/// Its registered URI.
pub const WEB_MERCATOR_QUAD_URI: &str =
    "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
const EPSG_3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";
/// Half the Web Mercator world, metres: π × 6,378,137.
const HALF_WORLD: f64 = std::f64::consts::PI * 6_378_137.0;
/// The standard's pixel size for scale denominators, metres.
const PIXEL_M: f64 = 0.000_28;
const TILE_PX: u32 = 256;

/// A tile matrix set (OGC 2D TMS 2.0 JSON).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TileMatrixSet {
    /// `WebMercatorQuad`.
    pub id: &'static str,
    /// For people.
    pub title: &'static str,
    /// The registered URI of the set.
    pub uri: &'static str,
    /// EPSG:3857.
    pub crs: &'static str,
    /// `["X", "Y"]`: easting first.
    pub ordered_axes: [&'static str; 2],
    /// Zoom 0 to the highest served.
    pub tile_matrices: Vec<TileMatrix>,
}

/// One zoom level of a tile matrix set.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TileMatrix {
    /// The zoom, as text (`"0"`…).
    pub id: String,
    /// Scale at 0.28 mm pixels.
    pub scale_denominator: f64,
    /// Metres per pixel at the equator.
    pub cell_size: f64,
    /// `topLeft`.
    pub corner_of_origin: &'static str,
    /// The top-left corner of the world, metres.
    pub point_of_origin: [f64; 2],
    /// Pixels.
    pub tile_width: u32,
    /// Pixels.
    pub tile_height: u32,
    /// Columns: 2^zoom.
    pub matrix_width: u32,
    /// Rows: 2^zoom.
    pub matrix_height: u32,
}

/// WebMercatorQuad from zoom 0 to [`MAX_ZOOM`].
pub fn web_mercator_quad() -> TileMatrixSet {
    TileMatrixSet {
        id: WEB_MERCATOR_QUAD,
        title: "Google Maps Compatible for the World",
        uri: WEB_MERCATOR_QUAD_URI,
        crs: EPSG_3857,
        ordered_axes: ["X", "Y"],
        tile_matrices: (0..=MAX_ZOOM)
            .map(|z| {
                let n = 1u32 << z;
                let cell = 2.0 * HALF_WORLD / f64::from(TILE_PX * n);
                TileMatrix {
                    id: z.to_string(),
                    scale_denominator: cell / PIXEL_M,
                    cell_size: cell,
                    corner_of_origin: "topLeft",
                    point_of_origin: [-HALF_WORLD, HALF_WORLD],
                    tile_width: TILE_PX,
                    tile_height: TILE_PX,
                    matrix_width: n,
                    matrix_height: n,
                }
            })
            .collect(),
    }
}

/// A link of a tiles document.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TilesLink {
    /// Target.
    pub href: String,
    /// Relation.
    pub rel: String,
    /// Media type.
    #[serde(rename = "type")]
    pub media_type: String,
    /// Whether `href` is a URI template.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub templated: bool,
}

fn link(href: String, rel: &str, media_type: &str) -> TilesLink {
    TilesLink {
        href,
        rel: rel.into(),
        media_type: media_type.into(),
        templated: rel == "item",
    }
}

/// The rows and columns of one zoom that hold the layer's tiles.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TileMatrixLimits {
    /// The zoom, as text.
    pub tile_matrix: String,
    /// First row.
    pub min_tile_row: u32,
    /// Last row.
    pub max_tile_row: u32,
    /// First column.
    pub min_tile_col: u32,
    /// Last column.
    pub max_tile_col: u32,
}

/// A geodata layer of a tileset.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TileLayer {
    /// The MVT layer name (the collection id).
    pub id: String,
    /// `vector`.
    pub data_type: &'static str,
    /// 1 for lines, 2 for zones.
    pub geometry_dimension: u8,
}

/// A tileset's description (OGC 2D TMS 2.0 tileset metadata), or its entry in a list.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TileSet {
    /// For people.
    pub title: String,
    /// `vector`.
    pub data_type: &'static str,
    /// EPSG:3857.
    pub crs: &'static str,
    /// The tile matrix set's URI.
    #[serde(rename = "tileMatrixSetURI")]
    pub tile_matrix_set_uri: &'static str,
    /// Where the layer's tiles are, per zoom (absent in a list).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tile_matrix_set_limits: Vec<TileMatrixLimits>,
    /// The MVT layers (absent in a list).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<TileLayer>,
    /// This tileset, its tiling scheme and the tile URL template.
    pub links: Vec<TilesLink>,
}

/// The tiles of a collection.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TileSets {
    /// One per tile matrix set (WebMercatorQuad).
    pub tilesets: Vec<TileSet>,
    /// This list.
    pub links: Vec<TilesLink>,
}

const MVT: &str = "application/vnd.mapbox-vector-tile";
const JSON: &str = "application/json";

/// The tileset of `layer` in WebMercatorQuad; `full` adds the limits and layers.
pub fn tileset(layer: &Layer, base: &str, full: bool) -> TileSet {
    let id = layer.id();
    let here = format!("{base}/collections/{id}/tiles/{WEB_MERCATOR_QUAD}");
    TileSet {
        title: format!("{} ({})", layer.spec.title_zh, layer.spec.title_en),
        data_type: "vector",
        crs: EPSG_3857,
        tile_matrix_set_uri: WEB_MERCATOR_QUAD_URI,
        tile_matrix_set_limits: match (full, layer.bbox) {
            (true, Some(b)) => (0..=MAX_ZOOM)
                .map(|z| {
                    let (cols, rows) = tiles_reached(b, z);
                    TileMatrixLimits {
                        tile_matrix: z.to_string(),
                        min_tile_row: *rows.start(),
                        max_tile_row: *rows.end(),
                        min_tile_col: *cols.start(),
                        max_tile_col: *cols.end(),
                    }
                })
                .collect(),
            _ => Vec::new(),
        },
        layers: if full {
            vec![TileLayer {
                id: id.to_string(),
                data_type: "vector",
                geometry_dimension: match layer.kind() {
                    LayerKind::Zone => 2,
                    LayerKind::Line => 1,
                },
            }]
        } else {
            Vec::new()
        },
        links: vec![
            link(here.clone(), "self", JSON),
            link(
                format!("{base}/tileMatrixSets/{WEB_MERCATOR_QUAD}"),
                "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                JSON,
            ),
            link(
                format!("{here}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}"),
                "item",
                MVT,
            ),
        ],
    }
}

/// `/collections/{id}/tiles`.
pub fn tilesets(layer: &Layer, base: &str) -> TileSets {
    TileSets {
        tilesets: vec![tileset(layer, base, false)],
        links: vec![link(
            format!("{base}/collections/{}/tiles", layer.id()),
            "self",
            JSON,
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_zero_is_one_tile_of_the_whole_world_at_the_standards_scale() {
        let t = web_mercator_quad();
        assert_eq!(t.tile_matrices.len(), usize::from(MAX_ZOOM) + 1);
        let z0 = &t.tile_matrices[0];
        // OGC 17-083r4 Annex D, WebMercatorQuad level 0: 559082264.028717…, 156543.033928041 m.
        assert!((z0.scale_denominator - 559_082_264.028_717_8).abs() < 1e-3);
        assert!((z0.cell_size - 156_543.033_928_041).abs() < 1e-6);
        assert!((z0.point_of_origin[0] + 20_037_508.342_789_2).abs() < 1e-6);
        let z18 = &t.tile_matrices[18];
        assert_eq!(z18.matrix_width, 262_144);
        assert!((z18.cell_size - 0.597_164_283_559_817).abs() < 1e-9);
    }
}
