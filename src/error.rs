//! The core's errors, joined into one type. The HTTP layer maps it to status codes in one place.

use crate::dataset::LoadError;
use crate::site::SiteError;

/// A query that cannot be answered as asked (bad parameter, unknown layer).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("unknown layer {name:?}; valid layers: {}", .valid.join(", "))]
    UnknownLayer { name: String, valid: Vec<String> },
    #[error("parameter `{name}`: {message}")]
    InvalidParameter { name: String, message: String },
}

impl QueryError {
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::UnknownLayer { .. } => "unknown_layer",
            QueryError::InvalidParameter { .. } => "invalid_parameter",
        }
    }

    pub(crate) fn param(name: &str, message: impl Into<String>) -> Self {
        QueryError::InvalidParameter {
            name: name.to_string(),
            message: message.into(),
        }
    }
}

/// Any error the core can raise.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Site(#[from] SiteError),
    #[error(transparent)]
    Query(#[from] QueryError),
}

impl Error {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Load(_) => "load_failed",
            Error::Site(e) => e.code(),
            Error::Query(e) => e.code(),
        }
    }
}
