//! Layer sources other than the built-in GeoJSON reader. Each turns a file into raw GeoJSON
//! Feature values in lon/lat, which then pass through the same validation as GeoJSON files.

#[cfg(feature = "gdal")]
pub mod gdal;
pub mod site_file;

use crate::data::layer::LayerError;

use crate::data::manifest::LayerSpec;
use std::path::Path;

/// What GDAL read of a layer source.
pub struct Source {
    /// The features, as lon/lat GeoJSON Feature values.
    pub features: Vec<serde_json::Value>,
    /// The bytes that make up the source (for the data version).
    pub bytes: Vec<u8>,
    /// The source's CRS (`EPSG:4549`, or WKT when it has no authority code), when it had one:
    /// the collection's `storageCrs`.
    pub crs: Option<String>,
}

/// Reads a layer through GDAL.
pub fn read_gdal(path: &Path, spec: &LayerSpec) -> Result<Source, LayerError> {
    #[cfg(feature = "gdal")]
    {
        let (features, bytes, crs) = gdal::read(path, spec)?;
        Ok(Source {
            features,
            bytes,
            crs,
        })
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
