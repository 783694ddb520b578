//! `ecospace serve`: settings from flags over environment over a config file over defaults
//! ([`crate::service::config`]), the data loaded, the snapshot watched if asked, then the HTTP
//! service until SIGINT/SIGTERM.

use super::error::CliError;
use super::io::load;
use crate::api::{self, AppState};
use crate::data::Origin;
use crate::registry::Registry;
use crate::service::{ConfigError, ServeConfig, ServeSettings};
use std::path::PathBuf;
use std::sync::Arc;

/// `serve` settings as flags/environment; unset ones come from the config file or defaults.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// A TOML file with any of the settings below (keys as the long flags, with `_`).
    #[arg(long, env = "ECOSPACE_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: ServeConfig,
}

impl ServeArgs {
    /// Flags and environment over the config file over defaults.
    pub fn resolve(self) -> Result<ServeSettings, ConfigError> {
        let file = match &self.config {
            Some(p) => ServeConfig::from_file(p)?,
            None => ServeConfig::default(),
        };
        self.settings.over(file).resolve()
    }
}

/// Runs the service.
pub fn run(args: ServeArgs) -> Result<(), CliError> {
    let ServeSettings {
        addr,
        data,
        limits,
        web,
        watch,
        workers,
        registry,
    } = args.resolve()?;
    let ds = load(data.as_deref())?;
    tracing::info!(
        layers = ds.layers.len(),
        features = ds.feature_count(),
        version = %ds.version,
        "dataset loaded"
    );
    let watched = matches!(ds.origin, Origin::Dir(_));
    let mut state = AppState::new(ds, limits, web);
    if let Some(at) = registry {
        let reg = Registry::open(&at).map_err(crate::error::Error::from)?;
        tracing::info!(registry = %reg.location(), schema = reg.schema_version().unwrap_or(0), "project registry open");
        state = state.with_registry(reg);
    }
    let state = Arc::new(state);
    if let Some(e) = state.glyphs.unavailable() {
        tracing::warn!("{e}; map labels keep only what the browser's local fonts draw");
    } else if let Some((face, path)) = state.glyphs.face() {
        tracing::info!(face, font = %path.display(), "glyph ranges drawn from");
    }
    match watch {
        Some(every) if watched => Arc::clone(&state.live).watch(every),
        Some(_) => tracing::warn!("--watch-s ignored: the bundled dataset cannot change"),
        None => {}
    }
    api::serve(state, addr, workers)
        .map_err(|e| CliError::Write(format!("cannot serve on {addr}: {e}")))
}

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use crate::service::Limits;
    use clap::Parser;

    #[test]
    fn flags_beat_the_config_file_which_beats_defaults() {
        let dir = std::env::temp_dir().join(format!("ecospace-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ecospace.toml");
        std::fs::write(&file, "max_batch = 7\nmax_vertices = 99\nrequest_timeout_s = 2.5\ncors_origins = [\"https://a.example\"]\n").unwrap();
        let cli = Cli::try_parse_from([
            "ecospace",
            "serve",
            "--config",
            file.to_str().unwrap(),
            "--max-batch",
            "3",
        ])
        .unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve")
        };
        let s = args.resolve().unwrap();
        assert_eq!(s.limits.max_batch, 3, "flag");
        assert_eq!(s.limits.max_vertices, 99, "file");
        assert_eq!(
            s.limits.request_timeout,
            std::time::Duration::from_millis(2500)
        );
        assert_eq!(
            s.limits.max_body_bytes,
            Limits::default().max_body_bytes,
            "default"
        );
        assert_eq!(s.web.cors_origins, vec!["https://a.example".to_string()]);
        std::fs::write(&file, "max_batch = 7\nmax_bach = 1\n").unwrap();
        let cli =
            Cli::try_parse_from(["ecospace", "serve", "--config", file.to_str().unwrap()]).unwrap();
        let Some(Command::Serve(args)) = cli.command else {
            panic!("serve")
        };
        let e = args.resolve().unwrap_err();
        assert!(
            e.to_string().contains("max_bach"),
            "unknown keys are refused: {e}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_font_is_the_flag_else_debians_noto_cjk() {
        let web = |args: &[&str]| {
            let Some(Command::Serve(a)) = Cli::try_parse_from(args).unwrap().command else {
                panic!("serve")
            };
            a.resolve().unwrap().web
        };
        let font = web(&["ecospace", "serve", "--font", "/srv/fonts/a.ttf"]).font;
        assert_eq!(font, std::path::Path::new("/srv/fonts/a.ttf"));
        if std::env::var_os("ECOSPACE_FONT").is_none() {
            let font = web(&["ecospace", "serve"]).font;
            assert_eq!(
                font,
                std::path::Path::new("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
            );
        }
    }
}
