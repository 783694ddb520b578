//! The command line's one error: what the core refused, or a file it could not read or write.

use crate::data::LoadError;
use crate::error::Error;
use crate::params::QueryError;
use crate::query::batch::BatchError;
use crate::query::site::SiteError;
use crate::service::ConfigError;
use std::path::Path;

/// Why a command failed; `main` prints it after `error: `.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// What the core refused or failed at (boxed: the core's errors are large, and every
    /// command returns this).
    #[error(transparent)]
    Core(Box<Error>),
    /// A file that cannot be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Flags that do not go together, or a file the command cannot use.
    #[error("{0}")]
    Usage(String),
    /// Writing an output (tiles, GeoParquet, a GIS file) failed.
    #[error("{0}")]
    Write(String),
}

macro_rules! via_error {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                CliError::Core(Box::new(Error::from(e)))
            }
        }
    )*};
}
via_error!(
    Error,
    LoadError,
    QueryError,
    SiteError,
    BatchError,
    ConfigError,
    crate::registry::RegistryError
);

/// The error of reading or writing `path`.
pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        path: path.display().to_string(),
        source,
    }
}
