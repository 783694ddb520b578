//! Loading: the manifest, layer files (streamed GeoJSON, or anything GDAL reads), the plan's
//! tables, and the immutable, versioned [`Dataset`] they make together; the data folder as a
//! store of layer versions. Everything here is validated once, at load, and then only read.

pub mod collection;
pub mod dataset;
pub mod edit;
pub mod feature;
pub mod hash;
pub mod layer;
pub mod manifest;
pub mod plan;
pub mod source;
pub mod store;
pub mod synthetic;

pub use dataset::{Dataset, LoadError, Origin};
pub use feature::{Feature, Location};
pub use layer::{Layer, LayerError};
pub use manifest::{ConstraintOn, LayerKind, LayerSpec, Manifest};
