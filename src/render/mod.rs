//! Output that is not JSON, free of HTTP: the printable report, the indicator chart, the CLI's
//! tables, batch rows (CSV, NDJSON), GeoParquet and the map style's sprite; one HTML escape for
//! all of them.

pub mod chart;
pub mod escape;
pub mod geoparquet;
pub mod report;
pub mod rows;
pub mod sprite;
pub mod table;
