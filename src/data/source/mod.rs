//! Layer sources other than the built-in GeoJSON reader. Each turns a file into raw GeoJSON
//! Feature values in lon/lat, which then pass through the same validation as GeoJSON files.

#[cfg(feature = "gdal")]
pub mod gdal;

use crate::data::layer::LayerError;

use crate::data::manifest::LayerSpec;
use std::path::Path;

/// Reads a layer through GDAL: the features (lon/lat GeoJSON values) and the bytes that make
/// up the source (for the data version).
pub fn read_gdal(
    path: &Path,
    spec: &LayerSpec,
) -> Result<(Vec<serde_json::Value>, Vec<u8>), LayerError> {
    #[cfg(feature = "gdal")]
    {
        gdal::read(path, spec)
    }
    #[cfg(not(feature = "gdal"))]
    {
        let _ = spec;
        Err(LayerError::Source {
            file: path.display().to_string(),
            message: "reading this file needs GDAL: this ecospace was built without the `gdal` feature (cargo build --features gdal), or convert the layer to GeoJSON".into(),
        })
    }
}
