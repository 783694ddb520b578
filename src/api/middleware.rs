//! Cross-cutting HTTP concerns: request ids and structured logs, metrics, the request timeout
//! (504), load shedding (503 + Retry-After instead of an unbounded queue), panics as 500 JSON,
//! and CORS.

use super::error::ApiError;
use super::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// Outermost layer: a request id (the caller's `X-Request-Id`, or a new one) in the log span
/// and the response, and the request counted in the metrics by its route template.
pub async fn observe(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| {
            format!(
                "{:x}-{:x}",
                std::process::id(),
                st.metrics.next_id.fetch_add(1, Ordering::Relaxed)
            )
        });
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let started = Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let secs = started.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    span.in_scope(|| tracing::info!(status, ms = secs * 1e3, "done"));
    st.metrics.record(&method, &route, status, secs);
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// The concurrency permit of a request, for a handler whose work outlives its response head.
#[derive(Clone)]
pub struct PermitSlot(Arc<std::sync::Mutex<Option<tokio::sync::OwnedSemaphorePermit>>>);

impl PermitSlot {
    /// Takes the permit: it is released when the taker drops it.
    pub fn take(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.0.lock().ok().and_then(|mut p| p.take())
    }
}

/// Sheds load beyond the concurrency limit with 503 + `Retry-After` (never queues without
/// bound), and answers 504 when a request outlives the timeout. Health and metrics are exempt
/// so the service stays observable under load.
pub async fn limit(State(st): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path == "/health" || path == "/metrics" {
        return next.run(req).await;
    }
    let Ok(permit) = Arc::clone(&st.in_flight).try_acquire_owned() else {
        st.metrics.shed.fetch_add(1, Ordering::Relaxed);
        let mut r = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            format!(
                "more than {} requests in flight; retry shortly",
                st.limits.max_concurrency
            ),
        )
        .into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    };
    // The permit is held until the response is returned — or, when a handler streams its
    // body (batch screening), by the task producing the stream, which takes it from here.
    let slot = PermitSlot(Arc::new(std::sync::Mutex::new(Some(permit))));
    req.extensions_mut().insert(slot.clone());
    match tokio::time::timeout(st.limits.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => {
            st.metrics.timeouts.fetch_add(1, Ordering::Relaxed);
            ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "timeout",
                format!(
                    "the request took longer than {:?}; try a smaller site or batch",
                    st.limits.request_timeout
                ),
            )
            .into_response()
        }
    }
}

/// A panic in a handler becomes a logged 500 JSON answer; the server keeps serving.
pub fn panic_response(
    st: Arc<AppState>,
) -> impl Fn(Box<dyn std::any::Any + Send + 'static>) -> Response + Clone {
    move |err| {
        st.metrics.panics.fetch_add(1, Ordering::Relaxed);
        let detail = err
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(ToString::to_string))
            .unwrap_or_else(|| "unknown panic".into());
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", detail).into_response()
    }
}

/// CORS: reading routes are usable from any origin by default; `cors_origins` restricts them.
pub fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, Any, CorsLayer};
    let layer = CorsLayer::new()
        .allow_methods([
            axum::http::Method::GET,
            axum::http::Method::POST,
            axum::http::Method::HEAD,
        ])
        .allow_headers([header::CONTENT_TYPE, header::IF_NONE_MATCH])
        .expose_headers([
            header::ETAG,
            header::HeaderName::from_static("x-request-id"),
        ]);
    if origins.is_empty() || origins.iter().any(|o| o == "*") {
        layer.allow_origin(Any)
    } else {
        let list: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        layer.allow_origin(AllowOrigin::list(list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use crate::service::{Limits, WebConfig};
    use axum::routing::get;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_500_json_answer() {
        let ds = Dataset::bundled().expect("bundled");
        let st = Arc::new(AppState::new(ds, Limits::default(), WebConfig::default()));
        let app = axum::Router::new()
            .route(
                "/boom",
                get(|| async { panic!("boom at the core") as &'static str }),
            )
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                panic_response(Arc::clone(&st)),
            ));
        let res = app
            .oneshot(
                Request::builder()
                    .uri("/boom")
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
            .expect("answer");
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .expect("body");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["error"], "internal");
        assert!(
            !v["message"].as_str().unwrap_or("").contains("boom"),
            "details are logged, not leaked"
        );
        assert_eq!(st.metrics.panics.load(Ordering::Relaxed), 1);
    }
}
