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
        .route("/admin/audit", get(routes::admin::audit_log))
        .route(
            "/collections/{id}/items",
            post(routes::features::edit::create),
        )
        .route(
            "/collections/{id}/items/{fid}",
            put(routes::features::edit::replace)
                .patch(routes::features::edit::patch)
                .delete(routes::features::edit::delete),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            routes::admin::require_token,
        ));
    let projects = Router::new()
        .route(
            "/projects",
            get(routes::projects::list).post(routes::projects::register),
        )
        .route("/projects/impacts", get(routes::projects::impacts_between))
        .route(
            "/projects/{id}",
            get(routes::projects::one).patch(routes::projects::patch),
        )
        .route(
            "/projects/{id}/screenings",
            get(routes::projects::screenings).post(routes::projects::screen_now),
        )
        .route(
            "/projects/{id}/screenings/{n}/replay",
            post(routes::projects::replay_one),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            routes::admin::require_planner,
        ));
    let router = if state.web.has_admin() {
        Router::new().merge(admin)
    } else {
        Router::new()
    };
    let router = if state.registry.is_some() {
        router.merge(projects)
    } else {
        router
    };
    #[cfg(feature = "openapi")]
    let router = router.route("/api", get(openapi::api));
    router
        .route("/", get(routes::features::landing))
        .route("/conformance", get(routes::features::conformance))
        .route("/collections", get(routes::features::collections))
        .route("/collections/{id}", get(routes::features::one_collection))
        .route(
            "/collections/{id}/items",
            get(routes::features::items::items).options(routes::features::edit::options_items),
        )
        .route(
            "/collections/{id}/items/{fid}",
            get(routes::features::items::item).options(routes::features::edit::options_item),
        )
        .route(
            "/collections/{id}/queryables",
            get(routes::features::queryables::queryables),
        )
        .route(
            "/collections/{id}/schema",
            get(routes::features::queryables::feature_schema),
        )
        .route("/tileMatrixSets", get(routes::ogc_tiles::tile_matrix_sets))
        .route(
            "/tileMatrixSets/{tms}",
            get(routes::ogc_tiles::tile_matrix_set),
        )
        .route(
            "/collections/{id}/tiles",
            get(routes::ogc_tiles::collection_tilesets),
        )
        .route(
            "/collections/{id}/tiles/{tms}",
            get(routes::ogc_tiles::collection_tileset),
        )
        .route(
            "/collections/{id}/tiles/{tms}/{z}/{row}/{col}",
            get(routes::ogc_tiles::collection_tile),
        )
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
        .route("/labels/{layers}", get(routes::map::label_points))
        .route("/sprites/{file}", get(routes::map::sprite_file))
        .route("/map", get(routes::map::map_page))
        .route(
            "/basemap/tianditu/{layer}/{z}/{x}/{y}",
            get(routes::map::tianditu),
        )
        .route("/map/{file}", get(routes::map::web_file))
        .route("/assets/maplibre-gl/{file}", get(routes::map::maplibre))
        .fallback(routes::ops::not_found)
        .method_not_allowed_fallback(routes::ops::method_not_allowed)
        .route("/metrics", get(routes::ops::metrics))
        // One layer, so one boxed service per route (each `.layer` boxes the stack again).
        .layer(
            tower::ServiceBuilder::new()
                .layer(middleware::CorsLayer(middleware::cors(
                    &state.web.cors_origins,
                )))
                .layer(middleware::GuardLayer(Arc::clone(&state)))
                .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                    middleware::panic_response(Arc::clone(&state)),
                ))
                .layer(DefaultBodyLimit::max(limit)),
        )
        .with_state(state)
}

/// Serves `app` on `addr` with `workers` threads until SIGINT/SIGTERM, then drains in-flight
/// requests. SIGHUP reloads the data (a failed reload keeps the current snapshot serving).
///
/// Each worker runs its own single-threaded event loop on one shared listening socket, the way
/// nginx runs a process per core: no task migrates between threads and no idle worker is woken
/// for a request another one answers, which is a fifth of a small request's cost on the
/// multi-threaded runtime (bench/README.md). Every handler's heavy work runs on the blocking
/// pool or rayon, never on an event loop.
pub fn serve(
    state: Arc<AppState>,
    addr: std::net::SocketAddr,
    workers: usize,
) -> std::io::Result<()> {
    let socket = std::net::TcpListener::bind(addr)?;
    socket.set_nonblocking(true)?;
    let router = app(Arc::clone(&state));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut threads = Vec::with_capacity(workers);
    let blocking = blocking_threads(workers);
    for i in 0..workers.max(1) {
        let socket = socket.try_clone()?;
        let router = router.clone();
        let mut stopped = stopped.clone();
        let thread = std::thread::Builder::new()
            .name(format!("http-{i}"))
            .spawn(move || -> std::io::Result<()> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .max_blocking_threads(blocking)
                    .build()?;
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(socket)?;
                    axum::serve(listener, router)
                        .with_graceful_shutdown(async move {
                            let _ = stopped.wait_for(|s| *s).await;
                        })
                        .await
                })
            })?;
        threads.push(thread);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut result = rt.block_on(signals(state, socket.local_addr()?, workers));
    let _ = stop.send(true);
    for t in threads {
        match t.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result = result.and(Err(e)),
            Err(_) => result = result.and(Err(std::io::Error::other("an HTTP worker panicked"))),
        }
    }
    result
}

/// Blocking threads per worker: four per core in all. The handlers' blocking work is CPU
/// work (parsing, screening, rendering), which more threads than cores cannot speed up; but
/// tokio's default (512 per runtime) let 128 clients grow the server to 150 threads, and each
/// thread keeps its own allocator heap: 730 MiB resident instead of ~110 (bench/load.sh, 128
/// clients). Four per core leaves room for the few that wait (a registry write, an fsync).
fn blocking_threads(workers: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    (4 * cores).div_ceil(workers.max(1)).max(2)
}

/// Handles the signals until SIGINT or SIGTERM. They are installed before "listening" is
/// logged: a supervisor that stops the service as soon as it listens still gets a drain.
#[cfg(unix)]
async fn signals(
    state: Arc<AppState>,
    addr: std::net::SocketAddr,
    workers: usize,
) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tracing::info!(addr = %addr, workers, "ecospace listening");
    loop {
        tokio::select! {
            _ = hup.recv() => {
                let st = Arc::clone(&state);
                let _ = tokio::task::spawn_blocking(move || st.reload()).await;
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        }
    }
    tracing::info!("shutting down, draining in-flight requests");
    Ok(())
}

/// Serves until Ctrl-C.
#[cfg(not(unix))]
async fn signals(
    _state: Arc<AppState>,
    addr: std::net::SocketAddr,
    workers: usize,
) -> std::io::Result<()> {
    tracing::info!(addr = %addr, workers, "ecospace listening");
    tokio::signal::ctrl_c().await?;
    tracing::info!("shutting down, draining in-flight requests");
    Ok(())
}
