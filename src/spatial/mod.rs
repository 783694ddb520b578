//! Pure lon/lat geometry, at the bottom of the house: GeoJSON to validated `geo` geometry, the
//! checks between rings, segment predicates, geodesic measures on the ellipsoid, local metric
//! frames, metric buffers, the subdivision of very large zones, and CRS conversions at the edges.
//! It imports nothing of the crate but [`crate::params`].

pub mod authalic;
pub mod buffer;
pub mod chord;
pub mod clip;
pub mod crs;
pub mod ellipsoid;
pub mod frames;
pub mod geodesy;
pub mod geojson;
pub mod linework;
pub mod segments;
pub mod subdivision;
pub mod validate;
