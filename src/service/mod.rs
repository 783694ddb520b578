//! The service runtime, free of HTTP: the live snapshot (reload, layer updates, watching the data
//! folder) and the settings (limits, web settings, flags over environment over file).

pub mod config;
pub mod live;

pub use config::{ConfigError, Limits, ServeConfig, ServeSettings, WebConfig};
pub use live::Live;
