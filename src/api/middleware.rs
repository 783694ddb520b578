//! Cross-cutting HTTP concerns: request ids and the access log, metrics, the request timeout
//! (504), load shedding (503 + Retry-After instead of an unbounded queue), panics as 500 JSON,
//! and CORS.
//!
//! [`Guard`] is one hand-written tower service rather than a chain of `from_fn` layers: each of
//! those clones and boxes the rest of the stack per request, and together with a log line and
//! a span per request they cost ~40 % of a `/health` answer (bench/README.md).

use super::error::ApiError;
use super::state::{AppState, SERVED};
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// A request slower than this is logged at `warn` whatever the log level.
pub const SLOW_REQUEST: Duration = Duration::from_secs(1);

/// The target of the access log: one event per request at `debug`
/// (`RUST_LOG=info,ecospace::access=debug`), 5xx answers at `error`, slow ones at `warn`.
pub const ACCESS_TARGET: &str = "ecospace::access";

/// Wraps the routes in [`Guard`].
#[derive(Clone)]
pub struct GuardLayer(pub Arc<AppState>);

impl<S> tower::Layer<S> for GuardLayer {
    type Service = Guard<S>;
    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            st: Arc::clone(&self.0),
            inner,
        }
    }
}

/// Around every route: a request id (the caller's `X-Request-Id`, or a new one) in the
/// response and the access log, the request counted in the metrics by its route template,
/// the concurrency limit and the request timeout.
#[derive(Clone)]
pub struct Guard<S> {
    st: Arc<AppState>,
    inner: S,
}

impl<S, B> tower::Service<Request> for Guard<S>
where
    S: tower::Service<Request, Response = Response<B>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: axum::body::HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        // The clone that was made ready goes with this request (tower's contract).
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let st = Arc::clone(&self.st);
        Box::pin(async move {
            let started = Instant::now();
            let id = request_id(&req, &st);
            let route = req.extensions().get::<MatchedPath>().cloned();
            let method = req.method().clone();
            let span = tracing::debug_span!(
                target: ACCESS_TARGET,
                "request",
                id = id.to_str().unwrap_or(""),
                method = %method,
                route = route.as_ref().map_or("unmatched", |r| r.as_str()),
            );
            let exempt = matches!(req.uri().path(), "/health" | "/metrics");
            // The request is answered from the snapshot current now, whatever swaps meanwhile
            // (a handler that swaps one in itself moves to it: `AppState::serve_from`); the
            // answer's `X-Data-Version` names the one it ended on.
            let served = std::cell::RefCell::new(st.live.dataset());
            let (mut res, served) = if exempt {
                let mut call = std::pin::pin!(SERVED.scope(served, inner.call(req)));
                let res = call.as_mut().instrument(span.clone()).await?;
                (res.map(Body::new), call.as_mut().take_value())
            } else if let Ok(permit) = Arc::clone(&st.in_flight).try_acquire_owned() {
                // The permit is held until the response is returned — or, when a handler
                // streams its body (batch screening), by the task producing the stream.
                // Only a POST can stream (the slot costs an allocation per request).
                let held = if method == Method::POST {
                    let slot = PermitSlot(Arc::new(std::sync::Mutex::new(Some(permit))));
                    req.extensions_mut().insert(slot.clone());
                    Held::Slot(slot)
                } else {
                    Held::Permit(permit)
                };
                let mut call = std::pin::pin!(SERVED.scope(served, inner.call(req)));
                let answer = tokio::time::timeout(st.limits.request_timeout, call.as_mut())
                    .instrument(span.clone())
                    .await;
                drop(held);
                let served = call.as_mut().take_value();
                match answer {
                    Ok(r) => (r?.map(Body::new), served),
                    Err(_) => (timed_out(&st), served),
                }
            } else {
                (overloaded(&st), Some(served))
            };
            let elapsed = started.elapsed();
            let status = res.status().as_u16();
            let route = route.as_ref().map_or("unmatched", |r| r.as_str());
            st.metrics
                .record(method.as_str(), route, status, elapsed.as_secs_f64());
            access_log(&span, status, elapsed);
            // Room for the id and the CORS headers at once (a map grown one insert at a time
            // rehashes several times per response).
            res.headers_mut().reserve(5);
            res.headers_mut().insert(X_REQUEST_ID, id);
            if let Some(v) = served.and_then(|s| HeaderValue::from_str(&s.borrow().version).ok()) {
                res.headers_mut().insert(X_DATA_VERSION, v);
            }
            Ok(res)
        })
    }
}

const X_REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-request-id");
/// The data version an answer was computed from, on every answer: behind a load balancer a
/// client can tell which snapshot each replica answered from, and that no answer mixed two.
pub const X_DATA_VERSION: header::HeaderName = header::HeaderName::from_static("x-data-version");

/// The caller's `X-Request-Id` when it is short printable ASCII, else `<pid>-<counter>` in hex.
fn request_id(req: &Request, st: &AppState) -> HeaderValue {
    if let Some(v) = req.headers().get(X_REQUEST_ID) {
        let b = v.as_bytes();
        if !b.is_empty() && b.len() <= 128 && b.iter().all(u8::is_ascii_graphic) {
            return v.clone();
        }
    }
    let n = st.metrics.next_id.fetch_add(1, Ordering::Relaxed);
    // Hex digits written by hand: `format!` was a tenth of a cached tile's answer.
    let mut buf = [0u8; 25];
    let mut at = buf.len();
    for (i, v) in [n, u64::from(std::process::id())].into_iter().enumerate() {
        if i == 1 {
            at -= 1;
            buf[at] = b'-';
        }
        let mut v = v;
        loop {
            at -= 1;
            buf[at] = b"0123456789abcdef"[(v & 15) as usize];
            v >>= 4;
            if v == 0 {
                break;
            }
        }
    }
    HeaderValue::from_maybe_shared(Bytes::copy_from_slice(&buf[at..]))
        .unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// Every request at `debug`; a 5xx at `error` and a slow answer at `warn`, whatever the level.
fn access_log(span: &tracing::Span, status: u16, elapsed: Duration) {
    let ms = elapsed.as_secs_f64() * 1e3;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(target: ACCESS_TARGET, status, ms, "done");
        } else if elapsed >= SLOW_REQUEST {
            tracing::warn!(target: ACCESS_TARGET, status, ms, "done (slow)");
        } else {
            tracing::debug!(target: ACCESS_TARGET, status, ms, "done");
        }
    });
}

fn overloaded(st: &AppState) -> Response {
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
    r
}

fn timed_out(st: &AppState) -> Response {
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

/// Where a request's permit waits for the answer.
enum Held {
    Permit(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit),
    Slot(#[allow(dead_code)] PermitSlot),
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
            X_DATA_VERSION,
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

    #[test]
    fn generated_request_ids_are_pid_and_counter_in_hex() {
        let ds = Dataset::bundled().expect("bundled");
        let st = AppState::new(ds, Limits::default(), WebConfig::default());
        let req = |id: Option<&str>| {
            let mut b = Request::builder().uri("/health");
            if let Some(id) = id {
                b = b.header("x-request-id", id);
            }
            b.body(axum::body::Body::empty()).expect("request")
        };
        let pid = std::process::id();
        for n in [0u64, 1, 15, 16, 0xdead_beef, u64::MAX] {
            st.metrics.next_id.store(n, Ordering::Relaxed);
            let id = request_id(&req(None), &st);
            assert_eq!(id.to_str().expect("ascii"), format!("{pid:x}-{n:x}"));
        }
        // A caller's id is kept; one with a space or too long is replaced.
        assert_eq!(request_id(&req(Some("abc-1")), &st), "abc-1");
        assert_ne!(request_id(&req(Some("a b")), &st), "a b");
        let long = "x".repeat(129);
        assert_ne!(request_id(&req(Some(&long)), &st), long.as_str());
    }

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

/// CORS for browsers, but a plain `OPTIONS` (no `Access-Control-Request-Method`, so not a
/// preflight) reaches the router: OGC API – Features Part 4 clients such as QGIS ask it which
/// methods a collection allows, and tower-http's CORS would answer every `OPTIONS` itself.
#[derive(Clone)]
pub struct CorsLayer(pub tower_http::cors::CorsLayer);

impl<S: Clone> tower::Layer<S> for CorsLayer {
    type Service = CorsUnlessPlainOptions<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CorsUnlessPlainOptions {
            cors: self.0.layer(inner.clone()),
            plain: inner,
        }
    }
}

/// See [`CorsLayer`].
#[derive(Clone)]
pub struct CorsUnlessPlainOptions<S> {
    cors: tower_http::cors::Cors<S>,
    plain: S,
}

impl<S, B> tower::Service<Request<B>> for CorsUnlessPlainOptions<S>
where
    S: tower::Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Both wrap clones of one service: ready means ready for either path.
        self.cors.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let plain_options = req.method() == Method::OPTIONS
            && !req
                .headers()
                .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        if plain_options {
            let mut plain = self.plain.clone();
            Box::pin(async move {
                std::future::poll_fn(|cx| plain.poll_ready(cx)).await?;
                plain.call(req).await
            })
        } else {
            Box::pin(self.cors.call(req))
        }
    }
}
