//! Yearly indicators: zone areas (true unions) and line-length shares, for the city and per
//! county, set against the plan's targets ([`compute`](mod@compute)); kept per data version ([`cache`]);
//! and what changed between two years ([`change`]).
//!
//! What each indicator measures is data (`indicators.toml`), not code: a layer, a measure, and
//! for shares the property values that make a feature count in the numerator.

pub mod cache;
pub mod change;
pub mod compute;

pub use cache::Cache;
pub use compute::{
    compute, default_span, union_area_m2, Indicator, Measured, Series, YearIndicators, NO_COUNTY,
};
