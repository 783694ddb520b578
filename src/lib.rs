//! ecospace: guards a city's ecological space.
//!
//! Loads the layers of an ecological-space plan (red line, nature reserves, drinking-water
//! protection zones, shoreline, river/lake banks) described by a manifest, validates and indexes
//! them, and answers the questions planners ask of a proposed site — with geodesic areas,
//! lengths and distances on the WGS84/CGCS2000 ellipsoid.
//!
//! The house, bottom up (each layer imports only what lies below it; `docs/ARCHITECTURE.md`):
//! parameters → lon/lat geometry and geodesy → data loading → questions (check, screening,
//! rings, zones, indicators) and tiles → rendering and the service runtime → HTTP (`api`, axum
//! only) and the command line. The modules are private; what a library user needs is exported
//! here.
//!
//! # Examples
//! ```
//! use ecospace::{check, CheckOptions, Dataset, Verdict};
//! use geo::{Geometry, Point};
//! let ds = Dataset::bundled().unwrap();
//! // A point on the 千亩荡 drinking-water source in 海盐 lies in the red line.
//! let r = check(&ds, &Geometry::Point(Point::new(120.84193, 30.57686)), &CheckOptions::new()).unwrap();
//! assert_eq!(r.verdict, Verdict::Conflict);
//! ```

mod api;
mod assets;
mod cli;
mod data;
mod error;
mod params;
mod query;
pub mod registry;
mod render;
mod service;
mod spatial;
pub mod tiles;

// The data: a manifest, its layers and the plan's tables, loaded all or nothing.
pub use data::plan::rules::{Decision, ProjectClass, ProjectType, Rules, Ruling};
pub use data::plan::targets::{Status, Targets};
pub use data::plan::PlanError;
pub use data::store::{Change, Store, StoreError};
pub use data::{
    synthetic, ConstraintOn, Dataset, Feature, Layer, LayerError, LayerKind, LayerSpec, LoadError,
    Location, Manifest, Origin,
};

// The questions.
pub use params::{current_year, QueryError, MAX_BUFFER_M};
pub use query::check::{
    check, CheckOptions, CheckResult, CountyShare, Hit, LayerSummary, Outside, Relation,
    SiteSummary, Verdict,
};
pub use query::rings::Ring;
pub use query::screen::{
    screen, screen_input, Answer, CheckParams, Screened, ScreenedHit, ScreenedOutside,
    ScreenedSite, Screening,
};
pub use query::zones::{zones_at, ZoneHit, Zones};
pub use query::{batch, filter, indicator, site};

// Geometry at the edges: GeoJSON in, geodesic measures, CRS conversions.
pub use spatial::geojson::{from_geojson, GeometryError};
pub use spatial::subdivision::Subdivision;
pub use spatial::{crs, geodesy};

// Files out: batch rows as text, layers to GIS files.
#[cfg(feature = "gdal")]
pub use data::source::gdal::{export as export_layer, ExportError};
pub use render::rows;

// The service: its settings, the live snapshot, the HTTP app, the command line.
pub use api::{app, serve, ApiError, AppState};
pub use cli::{Cli, CliError};
pub use error::Error;
pub use service::basemap::Tianditu;
pub use service::{ConfigError, Limits, Live, Role, ServeConfig, ServeSettings, Token, WebConfig};
