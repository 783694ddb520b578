//! HTTP, and only HTTP: the router, the extractors, the one error mapping, the middleware and
//! the OpenAPI document. Each route in [`routes`] parses path, query and body, calls the core
//! and serialises its answer; nothing else lives here.

mod error;
mod extract;
mod metrics;
mod middleware;
#[cfg(feature = "openapi")]
mod openapi;
mod routes;
mod state;

pub use error::ApiError;
pub use state::AppState;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;
use std::sync::Arc;

/// The service's router; tests drive it without a socket, `serve` binds it.
pub fn app(state: Arc<AppState>) -> Router {
    let limit = state.limits.max_body_bytes;
    let admin = Router::new()
        .route("/admin/reload", post(routes::admin::reload))
        .route("/admin/status", get(routes::admin::status))
        .route("/admin/layers/{id}", put(routes::admin::put_layer))
        .route("/admin/layers/{id}/history", get(routes::admin::history))
        .route(
            "/admin/layers/{id}/history/{version}",
            get(routes::admin::version_file),
        )
        .route("/admin/layers/{id}/rollback", post(routes::admin::rollback))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            routes::admin::require_token,
        ));
    let router = if state.web.admin_token.is_some() {
        Router::new().merge(admin)
    } else {
        Router::new()
    };
    #[cfg(feature = "openapi")]
    let router = router.route("/api", get(openapi::api));
    router
        .route("/", get(routes::features::landing))
        .route("/conformance", get(routes::features::conformance))
        .route("/collections", get(routes::features::collections))
        .route("/collections/{id}", get(routes::features::one_collection))
        .route("/collections/{id}/items", get(routes::features::items))
        .route("/collections/{id}/items/{fid}", get(routes::features::item))
        .route("/health", get(routes::ops::health))
        .route("/layers", get(routes::ops::layers))
        .route("/zones", get(routes::check::zones_at))
        .route("/check", post(routes::check::check))
        .route("/check/batch", post(routes::check::batch))
        .route(
            "/check/report",
            get(routes::check::get_report).post(routes::check::post_report),
        )
        .route("/rules", get(routes::check::rules))
        .route("/indicators", get(routes::indicators::one_year))
        .route("/indicators/series", get(routes::indicators::series))
        .route("/indicators/chart.svg", get(routes::indicators::chart_svg))
        .route("/changes", get(routes::indicators::changes))
        .route("/catalog", get(routes::tiles::catalog))
        .route("/tiles/{layers}", get(routes::tiles::tilejson))
        .route("/tiles/{layers}/{z}/{x}/{y}", get(routes::tiles::tile))
        .route("/styles/{name}", get(routes::tiles::style))
        .route("/fonts/{stack}/{range}", get(routes::tiles::glyphs))
        .route("/map", get(routes::map::map_page))
        .route("/map/{file}", get(routes::map::web_file))
        .route("/assets/maplibre-gl/{file}", get(routes::map::maplibre))
        .fallback(routes::ops::not_found)
        .method_not_allowed_fallback(routes::ops::method_not_allowed)
        .route("/metrics", get(routes::ops::metrics))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            middleware::limit,
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            middleware::panic_response(Arc::clone(&state)),
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            middleware::observe,
        ))
        .layer(middleware::cors(&state.web.cors_origins))
        .with_state(state)
}

/// Serves `app` on `addr` until SIGINT/SIGTERM, then drains in-flight requests. SIGHUP reloads
/// the data (a failed reload keeps the current snapshot serving).
pub async fn serve(state: Arc<AppState>, addr: std::net::SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    #[cfg(unix)]
    {
        let st = Arc::clone(&state);
        if let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    let st = Arc::clone(&st);
                    let _ = tokio::task::spawn_blocking(move || st.reload()).await;
                }
            });
        }
    }
    tracing::info!(addr = %listener.local_addr()?, "ecospace listening");
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down, draining in-flight requests");
}
