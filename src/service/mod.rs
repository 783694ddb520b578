//! The service runtime, free of HTTP: the Tianditu base-map proxy's fetch, the live snapshot (reload, layer updates, watching the data
//! folder), the registry's background re-screening, and the settings (limits, web settings, flags over environment over file).

pub mod basemap;
pub mod config;
pub mod live;
pub mod rescreen;

pub use config::{ConfigError, Limits, Role, ServeConfig, ServeSettings, Token, WebConfig};
pub use live::Live;
