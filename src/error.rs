//! The crate's errors, joined into one type: each layer has its own error (a posted site, a
//! parameter, a load, a layer update, a batch file, the settings, a glyph range) and [`Error`]
//! joins them by `#[from]`. The HTTP layer maps [`Error`] to status codes in one place (`api/error.rs`).

use crate::data::store::StoreError;
use crate::data::LoadError;
use crate::params::QueryError;
use crate::query::batch::BatchError;
use crate::query::site::SiteError;
use crate::registry::RegistryError;
use crate::service::ConfigError;
use crate::spatial::crs::CrsError;
use crate::tiles::glyphs::GlyphError;

/// Any error ecospace can raise.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The data could not be loaded (nothing is served from it).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A posted site was refused.
    #[error(transparent)]
    Site(#[from] SiteError),
    /// A parameter was out of range or malformed.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// A layer update, rollback or history query was refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A batch file could not be read as a list of sites.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// The service's settings cannot be used.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A glyph range of the map's labels cannot be answered.
    #[error(transparent)]
    Glyph(#[from] GlyphError),
    /// The project registry refused or failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A CQL2 filter is malformed or names what the collection does not have.
    #[error(transparent)]
    Filter(#[from] crate::query::filter::FilterError),
    /// A base-map tile cannot be served.
    #[error(transparent)]
    Basemap(#[from] crate::service::basemap::BasemapError),
    /// A CRS asked of an answer (`crs`, `bbox-crs`) cannot be used.
    #[error(transparent)]
    Crs(#[from] CrsError),
}

impl Error {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Load(_) => "load_failed",
            Error::Site(e) => e.code(),
            Error::Query(e) => e.code(),
            Error::Store(e) => e.code(),
            Error::Batch(e) => e.code(),
            Error::Config(_) => "invalid_config",
            Error::Glyph(e) => e.code(),
            Error::Registry(e) => e.code(),
            Error::Crs(e) => e.code(),
            Error::Basemap(e) => e.code(),
            Error::Filter(e) => e.code,
        }
    }
}
