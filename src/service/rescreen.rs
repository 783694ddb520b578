//! Re-screening in the background: after every swap of the snapshot (reload, layer update,
//! rollback), and once at start (a restart picks up what a kill interrupted), every registered
//! project not rejected and not yet screened against the version in service is screened
//! against it.
//!
//! It runs on its own thread and its own, smaller rayon pool: requests never wait for it, and
//! on a machine of N cores it leaves one core to the requests (N − 1 threads, at least 1).

use super::live::Live;
use crate::registry::{rescreen, Pass, Registry};
use serde::Serialize;
use std::sync::{Arc, Mutex, PoisonError};

/// Projects screened per transaction: a kill loses at most this many screenings' work, and
/// the pass notices a newer version within one chunk.
pub const CHUNK: usize = 256;

/// The re-screening thread's state, for `/admin/status` and impacts.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RescreenStatus {
    /// Whether a pass is running.
    pub running: bool,
    /// The last pass finished (or stopped).
    pub last: Option<Pass>,
    /// Passes run since start.
    pub passes: u64,
    /// Why the last pass failed, if it did (the next change or restart tries again).
    pub last_error: Option<String>,
}

/// The background re-screening of one registry against one live snapshot.
#[derive(Debug)]
pub struct Rescreener {
    status: Mutex<RescreenStatus>,
}

impl Rescreener {
    /// Starts the thread: one pass now, then one after every swap of `live`'s snapshot.
    pub fn start(registry: Arc<Registry>, live: Arc<Live>, max_vertices: usize) -> Arc<Rescreener> {
        let me = Arc::new(Rescreener {
            status: Mutex::new(RescreenStatus::default()),
        });
        let changes = live.subscribe();
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .saturating_sub(1)
            .max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("rescreen-{i}"))
            .build()
            .ok();
        let this = Arc::clone(&me);
        let spawned = std::thread::Builder::new()
            .name("rescreen".into())
            .spawn(move || loop {
                let ds = live.dataset();
                this.set(|s| s.running = true);
                let result = rescreen(&registry, &ds, CHUNK, max_vertices, pool.as_ref(), || {
                    live.dataset().version != ds.version
                });
                this.set(|s| {
                    s.running = false;
                    s.passes += 1;
                    match result {
                        Ok(pass) => {
                            if pass.screened > 0 {
                                tracing::info!(
                                    version = %pass.version,
                                    screened = pass.screened,
                                    errors = pass.errors,
                                    superseded = pass.superseded,
                                    "projects re-screened"
                                );
                            }
                            s.last = Some(pass);
                            s.last_error = None;
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "re-screening failed; the next change or restart tries again");
                            s.last_error = Some(e.to_string());
                        }
                    }
                });
                // Wait for the next swap; several swaps while a pass ran make one more pass.
                if changes.recv().is_err() {
                    return;
                }
                while changes.try_recv().is_ok() {}
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the re-screening thread");
        }
        me
    }

    fn set(&self, f: impl FnOnce(&mut RescreenStatus)) {
        f(&mut self.status.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// The thread's state.
    pub fn status(&self) -> RescreenStatus {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
