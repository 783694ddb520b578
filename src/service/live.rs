//! The live snapshot: the dataset in service, swapped whole on reload or layer update.
//!
//! The dataset is an immutable snapshot behind an atomic pointer: every request takes the
//! snapshot current when it starts and finishes on it; a reload builds a new one completely
//! and swaps it in whole, so nobody ever sees half-loaded data. A reload that fails keeps the
//! old snapshot serving and says why. Indicators computed from a snapshot are kept for as long
//! as its version is served.

use crate::data::store::{fingerprint, Installed, Store, StoreError, Version};
use crate::data::{Dataset, LoadError, Origin};
use crate::query::indicator::Cache;
use serde::Serialize;
use std::sync::{Arc, Mutex, PoisonError};

/// The dataset in service and what happened to it.
#[derive(Debug)]
pub struct Live {
    dataset: arc_swap::ArcSwap<Dataset>,
    /// Outcome of the last reload attempt.
    reload: Mutex<ReloadStatus>,
    /// Held by whoever rebuilds the snapshot (reload, layer update), so that a slow reload
    /// cannot swap in data older than an update that finished meanwhile.
    writer: Mutex<()>,
    /// Indicators computed from the snapshot in service.
    pub indicators: Cache,
    /// Told after every swap (the registry's re-screening waits on one).
    listeners: Mutex<Vec<std::sync::mpsc::Sender<()>>>,
}

/// What the last reload did, for `GET /admin/status`.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReloadStatus {
    /// Reloads tried.
    pub attempts: u64,
    /// Reloads refused (the old data kept serving).
    pub failures: u64,
    /// Why the last attempt failed (cleared by a success).
    pub last_error: Option<String>,
}

impl Live {
    /// Serves `dataset`.
    pub fn new(dataset: Dataset) -> Self {
        Live {
            dataset: arc_swap::ArcSwap::from_pointee(dataset),
            reload: Mutex::new(ReloadStatus::default()),
            writer: Mutex::new(()),
            indicators: Cache::default(),
            listeners: Mutex::new(Vec::new()),
        }
    }

    /// A channel that receives `()` after every snapshot swap (reload, update, rollback).
    pub fn subscribe(&self) -> std::sync::mpsc::Receiver<()> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(tx);
        rx
    }

    /// Swaps `ds` in and tells the listeners (those gone are dropped).
    fn swap(&self, ds: &Arc<Dataset>) {
        self.dataset.store(Arc::clone(ds));
        self.listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|l| l.send(()).is_ok());
    }

    /// The current snapshot.
    pub fn dataset(&self) -> Arc<Dataset> {
        self.dataset.load_full()
    }

    /// What the last reload did.
    pub fn reload_status(&self) -> ReloadStatus {
        self.reload.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Rebuilds the dataset from where the current one came from and swaps it in. On failure
    /// the current snapshot keeps serving and the error is recorded.
    pub fn reload(&self) -> Result<Arc<Dataset>, LoadError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.dataset();
        let dir = match &current.origin {
            Origin::Dir(d) => Some(d.clone()),
            Origin::Bundled => None,
        };
        let result = Dataset::open(dir.as_deref());
        let mut st = self.reload.lock().unwrap_or_else(PoisonError::into_inner);
        st.attempts += 1;
        match result {
            Ok(ds) if ds.version == current.version => {
                // The same bytes (a watcher seeing this replica's own update, a reload sent to
                // every replica): nothing to swap, no listener to wake, caches stay.
                st.last_error = None;
                tracing::debug!(version = %ds.version, "reload found the version in service");
                Ok(current)
            }
            Ok(ds) => {
                let ds = Arc::new(ds);
                self.swap(&ds);
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

    /// Runs a layer update or rollback against the data folder and swaps in the snapshot it
    /// built, under the same lock as reloads.
    pub fn update_layer(
        &self,
        f: impl FnOnce(&Store) -> Result<Installed, StoreError>,
    ) -> Result<(Arc<Dataset>, Version), StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let store = Store::of(&self.dataset())?;
        let installed = f(&store)?;
        let ds = Arc::new(installed.dataset);
        self.swap(&ds);
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

    /// Watches the data folder: every `every`, a fingerprint of its files (names, sizes, times)
    /// is taken; a change that has stayed the same for one more interval (so that a copy in
    /// progress is not read half-way) triggers a reload. A reload that fails keeps the old data,
    /// as always; the next change tries again. Polling, not inotify: it works on every file
    /// system, network shares included, and costs a `stat` per file.
    pub fn watch(self: Arc<Self>, every: std::time::Duration) {
        let Origin::Dir(dir) = self.dataset().origin.clone() else {
            return;
        };
        std::thread::spawn(move || {
            let mut loaded = fingerprint(&dir);
            let mut seen = loaded;
            loop {
                std::thread::sleep(every);
                let now = fingerprint(&dir);
                if now != loaded && now == seen {
                    tracing::info!(dir = %dir.display(), "data folder changed; reloading");
                    let _ = self.reload();
                    loaded = now;
                }
                seen = now;
            }
        });
    }
}
