//! Extractors whose rejections speak the service's error format.

use super::error::ApiError;
use crate::query::screen::CheckParams;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

/// Query parameters; unknown or malformed ones are a 400 `invalid_parameter`.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Read directly; axum's `Query` (which tracks the path of a bad field for its message)
        // only to word a rejection: it cost a sixth of a `/zones` answer.
        if let Ok(v) = serde_urlencoded::from_str::<T>(parts.uri.query().unwrap_or("")) {
            return Ok(Params(v));
        }
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(Params(v)),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                format!("bad query string: {}", e.body_text()),
            )),
        }
    }
}

/// The one parameter of the routes that answer for a year: `?year=` (default: this year).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct YearQuery {
    /// The year the layers are taken in: features in force that year (default: this year).
    #[cfg_attr(feature = "openapi", param(minimum = 1900, maximum = 2200))]
    pub year: Option<i32>,
}

/// The raw body; over the configured limit it is a 413 `payload_too_large`.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Bytes::from_request(req, state).await {
            Ok(b) => Ok(Body(b)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body is over the limit (default 16 MiB; `--max-body-bytes` to change)",
            )),
            Err(e) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                e.body_text(),
            )),
        }
    }
}

/// The check's parameters ([`CheckParams`]) and a route's own (`E`), from one query string.
/// Each set is read on its own, so the check's parameters are declared once; a name neither set
/// has is a 400 that lists every name the route takes (`#[serde(flatten)]` would lose both that
/// refusal and the number types of a query string).
pub struct CheckQuery<E = NoExtra>(pub CheckParams, pub E);

/// A route that takes only the check's parameters.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoExtra {}

impl<E: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for CheckQuery<E> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let bad = |e: &dyn std::fmt::Display| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_parameter",
                format!("bad query string: {e}"),
            )
        };
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(parts.uri.query().unwrap_or("")).map_err(|e| bad(&e))?;
        let (check_names, own_names) = (field_names::<CheckParams>(), field_names::<E>());
        if let Some((k, _)) = pairs
            .iter()
            .find(|(k, _)| !check_names.contains(&k.as_str()) && !own_names.contains(&k.as_str()))
        {
            let all: Vec<String> = check_names
                .iter()
                .chain(own_names)
                .map(|n| format!("`{n}`"))
                .collect();
            return Err(bad(&format!(
                "unknown field `{k}`, expected one of {}",
                all.join(", ")
            )));
        }
        let (check, own): (Vec<_>, Vec<_>) = pairs
            .into_iter()
            .partition(|(k, _)| check_names.contains(&k.as_str()));
        let read =
            |pairs: &[(String, String)]| serde_urlencoded::to_string(pairs).map_err(|e| bad(&e));
        let check = serde_urlencoded::from_str(&read(&check)?).map_err(|e| bad(&e))?;
        let own = serde_urlencoded::from_str(&read(&own)?).map_err(|e| bad(&e))?;
        Ok(CheckQuery(check, own))
    }
}

/// The field names a struct's derived `Deserialize` asks for, read from the derive itself (a
/// deserializer that records the names and stops), so no list of them is written by hand.
fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    use serde::de::{self, Deserializer, Visitor};
    struct Names<'a>(&'a mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for Names<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("names read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut names: &'static [&'static str] = &[];
    let _ = T::deserialize(Names(&mut names));
    names
}

#[cfg(test)]
mod tests {
    #[test]
    fn field_names_come_from_the_derive() {
        assert_eq!(
            super::field_names::<super::CheckParams>(),
            ["year", "buffer_m", "layers", "crs", "type", "class", "rings"]
        );
        assert!(super::field_names::<super::NoExtra>().is_empty());
    }
}
