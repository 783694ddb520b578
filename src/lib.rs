//! ecospace: guards a city's ecological space.
//!
//! Loads the layers of an ecological-space plan (red line, nature reserves, drinking-water
//! protection zones, shoreline, river/lake banks) described by a manifest, validates and indexes
//! them, and answers the questions planners ask of a proposed site — with geodesic areas,
//! lengths and distances on the WGS84/CGCS2000 ellipsoid.
//!
//! The core knows nothing of HTTP; [`api`] is a thin axum layer over it.
#![forbid(unsafe_code)]
#![warn(clippy::unwrap_used)]

pub mod api;
pub mod batch;
pub mod check;
pub mod cli;
pub mod collection;
pub mod crs;
pub mod dataset;
pub mod error;
pub mod feature_json;
pub mod geodesy;
pub mod geometry;
pub mod geoparquet;
pub mod indicator;
pub mod layer;
pub mod manifest;
pub mod report;
pub mod rings;
pub mod rules;
pub mod site;
pub mod source;
pub mod store;
pub mod subdivision;
pub mod synthetic;
pub mod tiles;
pub mod zones;

pub use check::{check, screen, CheckOptions, CheckResult, Hit, Relation, Screening, Verdict};
pub use dataset::Dataset;
pub use error::{Error, QueryError};
pub use zones::{zones_at, ZoneHit};

/// The current calendar year (UTC), the default for temporal queries.
pub fn current_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    year_of_unix_days(secs.div_euclid(86_400))
}

/// Civil year of a day count since 1970-01-01.
fn year_of_unix_days(days: i64) -> i32 {
    civil_from_days(days).0 as i32
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's civil-from-days).
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_years_from_day_counts() {
        // Day numbers checked with `date -d @$((N*86400)) +%F`.
        assert_eq!(super::year_of_unix_days(0), 1970);
        assert_eq!(super::year_of_unix_days(20_453), 2025); // 2025-12-31
        assert_eq!(super::year_of_unix_days(20_454), 2026); // 2026-01-01
        assert_eq!(super::year_of_unix_days(11_016), 2000); // 2000-02-29
    }
}
