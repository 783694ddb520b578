//! Indicators already computed, per year, for the data version they were computed from.
//!
//! The dataset is immutable and versioned by content, so an answer computed from one version is
//! right for as long as that version is served: the cache keeps the years of the last version it
//! was asked about and forgets them when a reload or update brings another.

use super::compute::{compute, Series, YearIndicators};
use crate::data::Dataset;
use crate::params::{check_range, QueryError};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Years computed from one data version.
#[derive(Debug, Default)]
pub struct Cache(Mutex<(String, BTreeMap<i32, Arc<YearIndicators>>)>);

impl Cache {
    /// The indicators of `year` in `ds`, computed on first use for this data version.
    pub fn year(&self, ds: &Dataset, year: i32) -> Result<Arc<YearIndicators>, QueryError> {
        if let Some(hit) = self.get(&ds.version, year) {
            return Ok(hit);
        }
        // Computed outside the lock: a cold year takes milliseconds and others may be served.
        let out = compute(ds, year)?;
        let mut m = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if m.0 != ds.version {
            *m = (ds.version.clone(), BTreeMap::new());
        }
        Ok(Arc::clone(m.1.entry(year).or_insert(out)))
    }

    /// The indicators of each year of `from..=to`, each computed on first use.
    pub fn series(&self, ds: &Dataset, from: i32, to: i32) -> Result<Series, QueryError> {
        check_range(from, to)?;
        Ok(Series {
            from,
            to,
            series: (from..=to)
                .map(|y| self.year(ds, y))
                .collect::<Result<_, _>>()?,
        })
    }

    fn get(&self, version: &str, year: i32) -> Option<Arc<YearIndicators>> {
        let m = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (m.0 == version).then(|| m.1.get(&year).cloned()).flatten()
    }

    /// Years held for the data version last asked about.
    pub fn len(&self) -> usize {
        self.0.lock().map(|m| m.1.len()).unwrap_or(0)
    }

    /// Whether no year is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
