//! The one place errors become HTTP responses: `{"error": CODE, "message": ...}`.

use crate::data::edit::EditError;
use crate::data::store::StoreError;
use crate::data::LoadError;
use crate::error::Error;
use crate::params::QueryError;
use crate::query::batch::BatchError;
use crate::query::filter::FilterError;
use crate::query::site::SiteError;
use crate::registry::RegistryError;
use crate::service::basemap::BasemapError;
use crate::spatial::crs::CrsError;
use crate::tiles::glyphs::GlyphError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    /// The status it is answered with.
    pub status: StatusCode,
    /// The stable code of the body's `error`.
    pub code: &'static str,
    /// What is wrong, for people.
    pub message: String,
}

/// The body of every error answer.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// A stable machine-readable code, e.g. `self_intersection`, `unknown_layer`.
    pub error: String,
    /// What is wrong and where (ring, position, feature), for people.
    pub message: String,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

/// A failure of the server itself (a join error, a serialiser failure): a 500 whose details
/// go to the log only.
pub(crate) fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}

/// The status of each error: bad requests 400, payloads too large 413, refused geometry and
/// layers 422, missing things 404 (also glyph ranges without a font), conflicts with the data's kind 409, the server's own 500.
impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        // A registry error that wraps another layer's is answered as that one.
        let e = match e {
            Error::Registry(RegistryError::Site(s)) => Error::Site(s),
            Error::Registry(RegistryError::Query(q)) => Error::Query(q),
            Error::Registry(RegistryError::Store(s)) => Error::Store(s),
            e => e,
        };
        let status = match &e {
            Error::Site(s) | Error::Batch(BatchError::Site(s)) => match s {
                SiteError::InvalidJson(_) | SiteError::TooDeep(_) | SiteError::NotGeoJson(_) => {
                    StatusCode::BAD_REQUEST
                }
                SiteError::BatchTooLarge { .. } | SiteError::TooManyVertices { .. } => {
                    StatusCode::PAYLOAD_TOO_LARGE
                }
                SiteError::Crs(CrsError::Unknown(_) | CrsError::NotBuilt(_)) => {
                    StatusCode::BAD_REQUEST
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            },
            Error::Batch(BatchError::Csv(_)) => StatusCode::BAD_REQUEST,
            Error::Query(QueryError::Coordinates(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Query(_) | Error::Crs(_) | Error::Filter(_) => StatusCode::BAD_REQUEST,
            Error::Store(s) => match s {
                StoreError::ReadOnly => StatusCode::CONFLICT,
                StoreError::UnknownLayer { .. } | StoreError::NoSuchVersion { .. } => {
                    StatusCode::NOT_FOUND
                }
                StoreError::Unsupported { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                StoreError::Invalid { .. } | StoreError::NotUtf8 { .. } => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                StoreError::InvalidParameter { .. } => StatusCode::BAD_REQUEST,
                StoreError::Io { .. } | StoreError::Manifest(_) => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
                // The version a replay names is gone from the history.
                StoreError::Unrecoverable { .. } => StatusCode::CONFLICT,
                StoreError::Edit(e) => match e {
                    EditError::NotAFeature(_) => StatusCode::BAD_REQUEST,
                    EditError::NoSuchFeature { .. } => StatusCode::NOT_FOUND,
                    EditError::Duplicate { .. } => StatusCode::CONFLICT,
                    EditError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
                    EditError::NotGeojson(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    EditError::BadFile(_) => StatusCode::INTERNAL_SERVER_ERROR,
                },
            },
            // A missing font is 404, not 503: its message names the file and the package to
            // install, and 5xx answers carry no details.
            Error::Glyph(GlyphError::NoSuchRange(_) | GlyphError::FontUnavailable { .. }) => {
                StatusCode::NOT_FOUND
            }
            Error::Glyph(GlyphError::Render { .. }) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Load(_) | Error::Config(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Basemap(BasemapError::Upstream(_)) => StatusCode::BAD_GATEWAY,
            Error::Basemap(_) => StatusCode::NOT_FOUND,
            Error::Registry(r) => match r {
                RegistryError::Duplicate(_) => StatusCode::CONFLICT,
                RegistryError::NotFound(_) => StatusCode::NOT_FOUND,
                RegistryError::Invalid(_) => StatusCode::BAD_REQUEST,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            #[allow(unreachable_patterns)]
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

macro_rules! via_error {
    ($($t:ty),*) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                Error::from(e).into()
            }
        }
    )*};
}
via_error!(
    QueryError,
    SiteError,
    LoadError,
    StoreError,
    BatchError,
    GlyphError,
    RegistryError,
    CrsError,
    BasemapError,
    FilterError
);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = if self.status.is_server_error() {
            // Details go to the log, never to the client.
            tracing::error!(code = self.code, message = %self.message, "internal error");
            "internal error; see the server log".to_string()
        } else {
            self.message
        };
        let body = ErrorBody {
            error: self.code.to_string(),
            message,
        };
        (self.status, Json(body)).into_response()
    }
}
