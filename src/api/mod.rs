//! HTTP: parse the request, call the core, serialise the answer. Nothing else lives here.

mod admin;
mod batch;
mod error;
mod extract;
mod indicators;
mod middleware;
mod ogc;
mod openapi;
mod report;
mod tiles;

pub use error::ApiError;
pub use indicators::year_json;

use crate::check::{screen, CheckOptions, CheckResult, Screening};
use crate::dataset::Dataset;
use crate::dataset::Origin;
use crate::manifest::LayerKind;
use crate::site::{self, SiteInput};
use crate::zones::zones_at;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use extract::{Body, Params};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

/// Limits of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body, bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Most sites in one batch.
    pub max_batch: usize,
    /// Most vertices in one site (413 beyond).
    pub max_vertices: usize,
    /// Deepest nesting of arrays/objects in a JSON body (400 `nesting_too_deep` beyond; at
    /// most 128, the JSON parser's own bound).
    pub max_depth: usize,
    /// A request still running after this is answered 504.
    pub request_timeout: std::time::Duration,
    /// Requests in flight at once; beyond this, 503 + Retry-After.
    pub max_concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024 * 1024,
            max_batch: 10_000,
            max_vertices: 100_000,
            max_depth: 32,
            request_timeout: std::time::Duration::from_secs(30),
            max_concurrency: 256,
        }
    }
}

/// Settings of the map endpoints.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Build absolute URLs from `X-Forwarded-Proto`/`-Host` (only behind a trusted proxy).
    pub trust_forwarded: bool,
    /// A MapLibre GL JS `dist` folder to serve instead of the copy embedded at build time.
    pub maplibre_dir: Option<std::path::PathBuf>,
    /// Byte budget of the tile cache.
    pub tile_cache_bytes: usize,
    /// Admin routes exist only when this is set (never logged).
    pub admin_token: Option<String>,
    /// Origins allowed by CORS; empty or `*` = any.
    pub cors_origins: Vec<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            trust_forwarded: false,
            maplibre_dir: None,
            tile_cache_bytes: 64 * 1024 * 1024,
            admin_token: None,
            cors_origins: Vec::new(),
        }
    }
}

/// Shared state of every handler.
///
/// The dataset is an immutable snapshot behind an atomic pointer: every request takes the
/// snapshot current when it starts and finishes on it; a reload builds a new one completely
/// and swaps it in whole, so nobody ever sees half-loaded data.
#[derive(Debug)]
pub struct AppState {
    dataset: arc_swap::ArcSwap<Dataset>,
    pub limits: Limits,
    pub web: WebConfig,
    pub tile_cache: crate::tiles::cache::TileCache,
    /// Outcome of the last reload attempt.
    pub reload: std::sync::Mutex<ReloadStatus>,
    /// Request counters and latencies.
    pub metrics: middleware::Metrics,
    /// Permits for requests in flight (the concurrency limit).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// Held by whoever rebuilds the snapshot (reload, layer update), so that a slow reload
    /// cannot swap in data older than an update that finished meanwhile.
    writer: std::sync::Mutex<()>,
}

/// What the last reload did, for `GET /admin/status`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReloadStatus {
    pub attempts: u64,
    pub failures: u64,
    /// Why the last attempt failed (cleared by a success).
    pub last_error: Option<String>,
}

impl AppState {
    pub fn new(dataset: Dataset, limits: Limits, web: WebConfig) -> Self {
        AppState {
            dataset: arc_swap::ArcSwap::from_pointee(dataset),
            tile_cache: crate::tiles::cache::TileCache::new(web.tile_cache_bytes),
            in_flight: Arc::new(tokio::sync::Semaphore::new(limits.max_concurrency.max(1))),
            limits,
            web,
            reload: std::sync::Mutex::new(ReloadStatus::default()),
            metrics: middleware::Metrics::default(),
            writer: std::sync::Mutex::new(()),
        }
    }

    /// The current snapshot.
    pub fn dataset(&self) -> Arc<Dataset> {
        self.dataset.load_full()
    }

    /// Rebuilds the dataset from where the current one came from and swaps it in. On failure
    /// the current snapshot keeps serving and the error is recorded.
    pub fn reload(&self) -> Result<Arc<Dataset>, crate::dataset::LoadError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let current = self.dataset();
        let dir = match &current.origin {
            crate::dataset::Origin::Dir(d) => Some(d.clone()),
            crate::dataset::Origin::Bundled => None,
        };
        let result = Dataset::open(dir.as_deref());
        let mut st = self.reload.lock().unwrap_or_else(|e| e.into_inner());
        st.attempts += 1;
        match result {
            Ok(ds) => {
                let ds = Arc::new(ds);
                self.dataset.store(Arc::clone(&ds));
                st.last_error = None;
                tracing::info!(version = %ds.version, features = ds.feature_count(), "dataset reloaded");
                Ok(ds)
            }
            Err(e) => {
                st.failures += 1;
                st.last_error = Some(e.to_string());
                tracing::error!(error = %e, "reload failed; still serving version {}", current.version);
                Err(e)
            }
        }
    }
}

impl AppState {
    /// Runs a layer update or rollback against the data folder and swaps in the snapshot it
    /// built, under the same lock as reloads.
    pub fn update_layer(
        &self,
        f: impl FnOnce(
            &crate::store::Store,
        ) -> Result<crate::store::Installed, crate::store::StoreError>,
    ) -> Result<(Arc<Dataset>, crate::store::Version), crate::store::StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let store = crate::store::Store::of(&self.dataset())?;
        let installed = f(&store)?;
        let ds = Arc::new(installed.dataset);
        self.dataset.store(Arc::clone(&ds));
        tracing::info!(
            layer = %installed.version.layer,
            layer_version = %installed.version.id,
            author = %installed.version.author,
            action = ?installed.version.action,
            version = %ds.version,
            "layer updated"
        );
        Ok((ds, installed.version))
    }
}

/// The service's router; tests drive it without a socket, `serve` binds it.
pub fn app(state: Arc<AppState>) -> Router {
    let limit = state.limits.max_body_bytes;
    let admin = Router::new()
        .route("/admin/reload", post(admin::reload))
        .route("/admin/status", get(admin::status))
        .route("/admin/layers/{id}", put(admin::put_layer))
        .route("/admin/layers/{id}/history", get(admin::history))
        .route(
            "/admin/layers/{id}/history/{version}",
            get(admin::version_file),
        )
        .route("/admin/layers/{id}/rollback", post(admin::rollback))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            admin::require_token,
        ));
    let router = if state.web.admin_token.is_some() {
        Router::new().merge(admin)
    } else {
        Router::new()
    };
    router
        .route("/", get(ogc::landing))
        .route("/conformance", get(ogc::conformance))
        .route("/api", get(openapi::api))
        .route("/collections", get(ogc::collections))
        .route("/collections/{id}", get(ogc::one_collection))
        .route("/collections/{id}/items", get(ogc::items))
        .route("/collections/{id}/items/{fid}", get(ogc::item))
        .route("/health", get(health))
        .route("/layers", get(layers))
        .route("/zones", get(zones))
        .route("/check", post(check_sites))
        .route("/check/batch", post(batch::batch))
        .route(
            "/check/report",
            get(report::get_report).post(report::post_report),
        )
        .route("/rules", get(rules))
        .route("/indicators", get(indicators::one_year))
        .route("/indicators/series", get(indicators::series))
        .route("/indicators/chart.svg", get(indicators::chart_svg))
        .route("/changes", get(indicators::changes))
        .route("/catalog", get(tiles::catalog))
        .route("/tiles/{layers}", get(tiles::tilejson))
        .route("/tiles/{layers}/{z}/{x}/{y}", get(tiles::tile))
        .route("/styles/{name}", get(tiles::style))
        .route("/fonts/{stack}/{range}", get(tiles::glyphs))
        .route("/map", get(tiles::map_page))
        .route("/map/{file}", get(tiles::web_file))
        .route("/assets/maplibre-gl/{file}", get(tiles::maplibre))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .route("/metrics", get(metrics))
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

/// `GET /rules`: project types, default rings and the decision table.
async fn rules(State(st): State<Arc<AppState>>) -> Result<Json<Value>, ApiError> {
    let ds = st.dataset();
    let Some(r) = &ds.rules else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_rules",
            "this dataset has no rules file (manifest key `rules`)",
        ));
    };
    Ok(Json(serde_json::to_value(r).map_err(internal)?))
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; see README.md for the endpoints",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method",
    )
}

/// `GET /metrics`: Prometheus text format.
async fn metrics(State(st): State<Arc<AppState>>) -> impl axum::response::IntoResponse {
    let ds = st.dataset();
    let reload = st.reload.lock().map(|r| r.clone()).unwrap_or_default();
    let (entries, bytes, _, _) = st.tile_cache.stats();
    let text = st.metrics.render(&[
        (
            "ecospace_snapshot_info",
            "The data version being served (value 1).",
            format!("{{version=\"{}\"}}", ds.version),
            1.0,
        ),
        (
            "ecospace_features_loaded",
            "Features in the current snapshot.",
            String::new(),
            ds.feature_count() as f64,
        ),
        (
            "ecospace_layers_loaded",
            "Layers in the current snapshot.",
            String::new(),
            ds.layers.len() as f64,
        ),
        (
            "ecospace_reloads_total",
            "Reload attempts.",
            String::new(),
            reload.attempts as f64,
        ),
        (
            "ecospace_reload_failures_total",
            "Reloads refused (the old data kept serving).",
            String::new(),
            reload.failures as f64,
        ),
        (
            "ecospace_tile_cache_bytes",
            "Bytes held by the tile cache.",
            String::new(),
            bytes as f64,
        ),
        (
            "ecospace_tile_cache_entries",
            "Tiles held by the tile cache.",
            String::new(),
            entries as f64,
        ),
    ]);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        text,
    )
}

async fn health(State(st): State<Arc<AppState>>) -> Json<Value> {
    let ds = st.dataset();
    Json(json!({
        "status": "ok",
        "version": ds.version,
        "layers": ds.layers.len(),
        "features": ds.feature_count(),
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayersQuery {
    year: Option<i32>,
}

#[derive(Debug, Serialize)]
struct LayerInfo<'a> {
    id: &'a str,
    title_zh: &'a str,
    title_en: &'a str,
    kind: LayerKind,
    constraint: bool,
    features: usize,
    /// Features in force in `year`.
    features_in_year: usize,
    bbox: Option<[f64; 4]>,
    /// Total zone area in `year`, km² (zones only; features of one layer may not overlap,
    /// so this is the sum: the indicator engine computes true unions).
    area_km2: Option<f64>,
    /// Total line length in `year`, km (lines only).
    length_km: Option<f64>,
    properties: &'a std::collections::BTreeMap<String, String>,
}

async fn layers(
    State(st): State<Arc<AppState>>,
    Params(q): Params<LayersQuery>,
) -> Result<Json<Value>, ApiError> {
    let year = q.year.unwrap_or_else(crate::current_year);
    crate::check::check_year(year)?;
    let ds = &st.dataset();
    let layers: Vec<LayerInfo> = ds
        .layers
        .iter()
        .map(|l| {
            l.measure_all();
            let live: Vec<_> = l.features_in(year).collect();
            let zone = l.kind() == LayerKind::Zone;
            LayerInfo {
                id: l.id(),
                title_zh: &l.spec.title_zh,
                title_en: &l.spec.title_en,
                kind: l.kind(),
                constraint: l.spec.constraint,
                features: l.features.len(),
                features_in_year: live.len(),
                bbox: l.bbox,
                area_km2: zone.then(|| live.iter().map(|f| f.area_m2()).sum::<f64>() / 1e6),
                length_km: (!zone).then(|| live.iter().map(|f| f.length_m()).sum::<f64>() / 1e3),
                properties: &l.spec.properties,
            }
        })
        .collect();
    Ok(Json(
        json!({ "dataset": ds.manifest.id, "version": ds.version, "year": year, "layers": layers }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZonesQuery {
    lon: f64,
    lat: f64,
    year: Option<i32>,
}

async fn zones(
    State(st): State<Arc<AppState>>,
    Params(q): Params<ZonesQuery>,
) -> Result<Json<Value>, ApiError> {
    let year = q.year.unwrap_or_else(crate::current_year);
    let zones = zones_at(&st.dataset(), q.lon, q.lat, year)?;
    Ok(Json(json!({ "year": year, "zones": zones })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckQuery {
    year: Option<i32>,
    buffer_m: Option<f64>,
    layers: Option<String>,
    /// CRS of the posted coordinates (default lon/lat); the site's bbox is echoed in it too.
    crs: Option<String>,
    /// Project type: adds the rules' decision and basis to each hit and to the site.
    #[serde(rename = "type")]
    project_type: Option<String>,
    /// Proximity rings in metres (`0,500,1000`), or empty / `default` for the data's default.
    rings: Option<String>,
}

impl CheckQuery {
    fn options(&self) -> CheckOptions {
        CheckOptions {
            year: self.year.unwrap_or_else(crate::current_year),
            buffer_m: self.buffer_m.unwrap_or(0.0),
            layers: self.layers.as_ref().map(|s| {
                s.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            }),
        }
    }

    fn screening(&self, ds: &Dataset) -> Result<Screening, ApiError> {
        let rings_m = self
            .rings
            .as_deref()
            .map(|r| crate::rings::parse(r, ds))
            .transpose()?;
        Ok(Screening {
            project_type: self.project_type.clone().filter(|t| !t.is_empty()),
            rings_m,
        })
    }
}

/// One batch entry: the site's id and its check.
#[derive(Debug, Serialize)]
struct BatchEntry {
    id: Option<String>,
    #[serde(flatten)]
    result: CheckResult,
}

async fn check_sites(
    State(st): State<Arc<AppState>>,
    Params(q): Params<CheckQuery>,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    let opts = q.options();
    let ds = st.dataset();
    let ask = q.screening(&ds)?;
    let crs = q.crs.filter(|c| !crate::crs::is_lonlat(c));
    // Geometry work is CPU-bound: keep it off the async workers. A panic in it (a bug, never
    // bad input: input is validated) becomes a logged 500 while the server keeps serving.
    let (max_batch, max_vertices) = (st.limits.max_batch, st.limits.max_vertices);
    let max_depth = st.limits.max_depth;
    let out = tokio::task::spawn_blocking(move || {
        site::check_depth(&body, max_depth)?;
        let input = site::parse_in(&body, max_batch, crs.as_deref())?;
        site::check_vertices(&input, max_vertices)?;
        let mut out = run_checks(&ds, input, &opts, &ask)?;
        if let Some(crs) = &crs {
            echo_bbox_in(&mut out, crs)?;
        }
        Ok::<_, ApiError>(out)
    })
    .await
    .map_err(internal)??;
    Ok(Json(out))
}

/// Adds `site.bbox_in_crs` (the site's bbox in the CRS it was posted in) to each result.
fn echo_bbox_in(out: &mut Value, crs: &str) -> Result<(), ApiError> {
    let mut one = |r: &mut Value| -> Result<(), ApiError> {
        let Some(site) = r.get_mut("site").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let b: Vec<f64> = site
            .get("bbox")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        if let [a, b0, c, d] = b[..] {
            let projected =
                crate::crs::bbox_in([a, b0, c, d], crs).map_err(site::SiteError::from)?;
            site.insert(
                "bbox_in_crs".into(),
                json!({ "crs": crs, "bbox": projected }),
            );
        }
        Ok(())
    };
    match out.get_mut("results").and_then(Value::as_array_mut) {
        Some(rs) => rs.iter_mut().try_for_each(&mut one),
        None => one(out),
    }
}

fn run_checks(
    ds: &Dataset,
    input: SiteInput,
    opts: &CheckOptions,
    ask: &Screening,
) -> Result<Value, ApiError> {
    Ok(match input {
        SiteInput::One(s) => {
            let r = screen(ds, &s.geometry, opts, &ask.for_site(&s))?;
            let mut v = serde_json::to_value(r).map_err(internal)?;
            if let (Some(id), Some(obj)) = (s.id, v.as_object_mut()) {
                obj.insert("id".into(), Value::String(id));
            }
            v
        }
        SiteInput::Batch(sites) => {
            let results = sites
                .into_iter()
                .map(|s| {
                    Ok(BatchEntry {
                        result: screen(ds, &s.geometry, opts, &ask.for_site(&s))?,
                        id: s.id,
                    })
                })
                .collect::<Result<Vec<_>, ApiError>>()?;
            json!({ "results": results })
        }
    })
}

pub(crate) fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}

/// Watches the data folder: every `every`, a fingerprint of its files (names, sizes, times)
/// is taken; a change that has stayed the same for one more interval (so that a copy in
/// progress is not read half-way) triggers a reload. A reload that fails keeps the old data,
/// as always; the next change tries again. Polling, not inotify: it works on every file
/// system, network shares included, and costs a `stat` per file.
pub fn watch(state: Arc<AppState>, every: std::time::Duration) {
    let Origin::Dir(dir) = state.dataset().origin.clone() else {
        return;
    };
    std::thread::spawn(move || {
        let mut loaded = crate::store::fingerprint(&dir);
        let mut seen = loaded;
        loop {
            std::thread::sleep(every);
            let now = crate::store::fingerprint(&dir);
            if now != loaded && now == seen {
                tracing::info!(dir = %dir.display(), "data folder changed; reloading");
                let _ = state.reload();
                loaded = now;
            }
            seen = now;
        }
    });
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
