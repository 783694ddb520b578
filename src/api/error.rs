//! The one place errors become HTTP responses: `{"error": CODE, "message": ...}`.

use crate::dataset::LoadError;
use crate::error::{Error, QueryError};
use crate::site::SiteError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::Site(
                SiteError::InvalidJson(_) | SiteError::TooDeep(_) | SiteError::NotGeoJson(_),
            ) => StatusCode::BAD_REQUEST,
            Error::Site(SiteError::BatchTooLarge { .. } | SiteError::TooManyVertices { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Error::Site(SiteError::Crs(
                crate::crs::CrsError::Unknown(_) | crate::crs::CrsError::NotBuilt(_),
            )) => StatusCode::BAD_REQUEST,
            Error::Site(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Query(_) => StatusCode::BAD_REQUEST,
            Error::Load(_) => StatusCode::INTERNAL_SERVER_ERROR,
            #[allow(unreachable_patterns)]
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl From<QueryError> for ApiError {
    fn from(e: QueryError) -> Self {
        Error::from(e).into()
    }
}

impl From<SiteError> for ApiError {
    fn from(e: SiteError) -> Self {
        Error::from(e).into()
    }
}

impl From<LoadError> for ApiError {
    fn from(e: LoadError) -> Self {
        Error::from(e).into()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        use crate::store::StoreError as S;
        let status = match &e {
            S::ReadOnly => StatusCode::CONFLICT,
            S::UnknownLayer { .. } | S::NoSuchVersion { .. } => StatusCode::NOT_FOUND,
            S::Unsupported { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            S::Invalid { .. } | S::NotUtf8 { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            S::InvalidParameter { .. } => StatusCode::BAD_REQUEST,
            S::Io { .. } | S::Manifest(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = if self.status.is_server_error() {
            // Details go to the log, never to the client.
            tracing::error!(code = self.code, message = %self.message, "internal error");
            "internal error; see the server log".to_string()
        } else {
            self.message
        };
        (
            self.status,
            Json(serde_json::json!({ "error": self.code, "message": message })),
        )
            .into_response()
    }
}
