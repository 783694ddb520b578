//! What every handler shares: the live snapshot, the limits and web settings, the tile cache,
//! the glyph ranges, the request metrics and the concurrency permits.

use super::metrics::Metrics;
use crate::data::{Dataset, LoadError};
use crate::registry::Registry;
use crate::service::rescreen::Rescreener;
use crate::service::{Limits, Live, WebConfig};
use crate::tiles::cache::TileCache;
use crate::tiles::glyphs::GlyphSource;
use std::sync::Arc;

tokio::task_local! {
    /// The snapshot the current request is answered from (see [`AppState::dataset`]).
    pub(crate) static SERVED: std::cell::RefCell<Arc<Dataset>>;
}

/// Shared state of every handler.
#[derive(Debug)]
pub struct AppState {
    /// The dataset in service (swapped whole on reload) and its indicator cache.
    pub live: Arc<Live>,
    /// Limits of the HTTP layer.
    pub limits: Limits,
    /// Settings of the map endpoints and admin routes.
    pub web: WebConfig,
    /// Rendered tiles, keyed by data version.
    pub tile_cache: TileCache,
    /// The labels' glyph ranges, built on first request (independent of the data).
    pub glyphs: GlyphSource,
    /// Request counters and latencies.
    pub metrics: Metrics,
    /// Permits for requests in flight (the concurrency limit).
    pub in_flight: Arc<tokio::sync::Semaphore>,
    /// The project registry and its background re-screening (the `/projects` routes exist
    /// only with one).
    pub registry: Option<(Arc<Registry>, Arc<Rescreener>)>,
}

impl AppState {
    /// The state of a service on `dataset`.
    pub fn new(dataset: Dataset, limits: Limits, web: WebConfig) -> Self {
        AppState {
            live: Arc::new(Live::new(dataset)),
            tile_cache: TileCache::new(web.tile_cache_bytes),
            glyphs: GlyphSource::open(&web.font),
            in_flight: Arc::new(tokio::sync::Semaphore::new(limits.max_concurrency.max(1))),
            limits,
            web,
            metrics: Metrics::default(),
            registry: None,
        }
    }

    /// The same state with a project registry, re-screened in the background from now on.
    pub fn with_registry(mut self, registry: Registry) -> Self {
        let registry = Arc::new(registry);
        let rescreener = Rescreener::start(
            Arc::clone(&registry),
            Arc::clone(&self.live),
            self.limits.max_vertices,
        );
        self.registry = Some((registry, rescreener));
        self
    }

    /// The snapshot this request is answered from: the one current when it arrived (pinned by
    /// the middleware's `Guard`, whose version the answer's `X-Data-Version` names), so
    /// that a handler asking twice cannot get two versions; outside a request, the current one.
    pub fn dataset(&self) -> Arc<Dataset> {
        SERVED
            .try_with(|s| Arc::clone(&s.borrow()))
            .unwrap_or_else(|_| self.live.dataset())
    }

    /// After a handler swapped `ds` in (reload, layer update): the rest of the request, and the
    /// answer's `X-Data-Version`, are on it.
    pub fn serve_from(&self, ds: &Arc<Dataset>) {
        let _ = SERVED.try_with(|s| *s.borrow_mut() = Arc::clone(ds));
    }

    /// Reloads the data (see [`Live::reload`]).
    pub fn reload(&self) -> Result<Arc<Dataset>, LoadError> {
        self.live.reload()
    }
}
