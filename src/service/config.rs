//! The service's settings: limits, web settings, and where they come from — flags over
//! `ECOSPACE_*` environment variables over a TOML file over defaults. One struct declares every
//! setting once, as a flag (clap) and as a file key (serde); [`ServeConfig::resolve`] checks the
//! ranges and fills in the defaults.

use std::path::{Path, PathBuf};

/// Limits of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body, bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Most sites in one batch.
    pub max_batch: usize,
    /// Most vertices in one site (413 beyond).
    pub max_vertices: usize,
    /// Deepest nesting of arrays/objects in a JSON body (400 `nesting_too_deep` beyond; at
    /// most 128, the JSON parser's own bound).
    pub max_depth: usize,
    /// A request still running after this is answered 504.
    pub request_timeout: std::time::Duration,
    /// Requests in flight at once; beyond this, 503 + Retry-After.
    pub max_concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 16 * 1024 * 1024,
            max_batch: 10_000,
            max_vertices: 100_000,
            max_depth: 32,
            request_timeout: std::time::Duration::from_secs(30),
            max_concurrency: 256,
        }
    }
}

/// Settings of the map endpoints.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Build absolute URLs from `X-Forwarded-Proto`/`-Host` (only behind a trusted proxy).
    pub trust_forwarded: bool,
    /// A MapLibre GL JS `dist` folder to serve instead of the copy embedded at build time.
    pub maplibre_dir: Option<std::path::PathBuf>,
    /// Byte budget of the tile cache.
    pub tile_cache_bytes: usize,
    /// An admin token named `admin` (`ECOSPACE_ADMIN_TOKEN`; never logged).
    pub admin_token: Option<String>,
    /// The config file's named tokens, each with its role.
    pub tokens: Vec<Token>,
    /// Origins allowed by CORS; empty or `*` = any.
    pub cors_origins: Vec<String>,
    /// The font the labels' glyph ranges are drawn from (a collection's SC face is preferred).
    pub font: PathBuf,
    /// The Tianditu base map, when a key is configured: proxied at `/basemap/tianditu/…` so
    /// the key stays on the server.
    pub tianditu: Option<super::basemap::Tianditu>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            trust_forwarded: false,
            maplibre_dir: None,
            tile_cache_bytes: 64 * 1024 * 1024,
            admin_token: None,
            tokens: Vec::new(),
            cors_origins: Vec::new(),
            font: PathBuf::from(crate::tiles::glyphs::DEFAULT_FONT),
            tianditu: None,
        }
    }
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The project registry: register, list, change, re-screen projects.
    Planner,
    /// Everything a planner may, and the layers (`/admin/*`: reload, updates, rollback, audit).
    Admin,
}

/// A bearer token with a name (what records and logs show, never the token) and a role.
#[derive(Clone)]
pub struct Token {
    /// What records and logs show.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The secret.
    pub secret: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// A `[[tokens]]` entry of the config file: the secret inline or in a file.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// What records and logs show.
    pub name: String,
    /// `admin` or `planner`.
    pub role: Role,
    /// The secret.
    pub token: Option<String>,
    /// A file holding the secret (trimmed).
    pub token_file: Option<PathBuf>,
}

impl WebConfig {
    /// Every token: the config file's, and `admin_token` as an admin token named `admin`.
    pub fn all_tokens(&self) -> impl Iterator<Item = Token> + '_ {
        self.admin_token
            .iter()
            .map(|t| Token {
                name: "admin".into(),
                role: Role::Admin,
                secret: t.clone(),
            })
            .chain(self.tokens.iter().cloned())
    }

    /// Whether any admin token is configured (the admin routes exist only then).
    pub fn has_admin(&self) -> bool {
        self.all_tokens().any(|t| t.role == Role::Admin)
    }
}

/// Reads and checks the config file's tokens: a name and a secret each, no name or secret twice.
fn resolve_tokens(
    tokens: Vec<TokenConfig>,
    admin: Option<&str>,
) -> Result<Vec<Token>, ConfigError> {
    let mut out: Vec<Token> = Vec::new();
    for t in tokens {
        let secret = match (t.token, &t.token_file) {
            (Some(s), None) => s,
            (None, Some(f)) => std::fs::read_to_string(f)
                .map_err(|source| ConfigError::Io {
                    path: f.display().to_string(),
                    source,
                })?
                .trim()
                .to_string(),
            _ => {
                return Err(ConfigError::Range(format!(
                    "token {:?}: give exactly one of `token` and `token_file`",
                    t.name
                )))
            }
        };
        let name = t.name.trim().to_string();
        if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
            return Err(ConfigError::Range(
                "a token's name is 1–100 characters on one line".into(),
            ));
        }
        if secret.len() < 8 {
            return Err(ConfigError::Range(format!(
                "token {name:?}: the secret is shorter than 8 characters"
            )));
        }
        if out.iter().any(|o| o.name == name) || (admin.is_some() && name == "admin") {
            return Err(ConfigError::Range(format!("two tokens are named {name:?}")));
        }
        if out.iter().any(|o| o.secret == secret) || admin == Some(secret.as_str()) {
            return Err(ConfigError::Range(format!(
                "token {name:?} has the same secret as another token"
            )));
        }
        out.push(Token {
            name,
            role: t.role,
            secret,
        });
    }
    Ok(out)
}

/// Why the settings cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The config file is not TOML of this schema (unknown keys are refused).
    #[error("{path}: {source}")]
    Toml {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: toml::de::Error,
    },
    /// A setting out of its range.
    #[error("{0}")]
    Range(String),
}

/// Every setting of `ecospace serve`, each optional: as flags and environment variables, and as
/// the keys of the config file (the same names, with `_`).
#[derive(Debug, Default, Clone, clap::Args, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "ECOSPACE_ADDR")]
    pub addr: Option<std::net::SocketAddr>,
    /// Data folder holding layers.toml [default: the bundled Jiaxing dataset].
    #[arg(long, env = "ECOSPACE_DATA")]
    pub data: Option<PathBuf>,
    /// Largest request body in bytes, 413 beyond [default: 16 MiB].
    #[arg(long, env = "ECOSPACE_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Most sites in one batch, 413 beyond [default: 10000].
    #[arg(long, env = "ECOSPACE_MAX_BATCH")]
    pub max_batch: Option<usize>,
    /// Most vertices in one site, 413 beyond [default: 100000].
    #[arg(long, env = "ECOSPACE_MAX_VERTICES")]
    pub max_vertices: Option<usize>,
    /// Deepest nesting of arrays/objects in a JSON body, 400 beyond [default: 32, at most 128].
    #[arg(long, env = "ECOSPACE_MAX_DEPTH")]
    pub max_depth: Option<usize>,
    /// Seconds before a request is answered 504 [default: 30].
    #[arg(long, env = "ECOSPACE_REQUEST_TIMEOUT_S")]
    pub request_timeout_s: Option<f64>,
    /// Requests in flight at once; beyond, 503 + Retry-After [default: 256].
    #[arg(long, env = "ECOSPACE_MAX_CONCURRENCY")]
    pub max_concurrency: Option<usize>,
    /// Build absolute URLs from X-Forwarded-Proto/-Host (only behind a trusted proxy).
    #[arg(long, env = "ECOSPACE_TRUST_FORWARDED")]
    pub trust_forwarded: Option<bool>,
    /// A MapLibre GL JS dist folder to serve instead of the copy built into the binary.
    #[arg(long, env = "ECOSPACE_MAPLIBRE_DIR")]
    pub maplibre_dir: Option<PathBuf>,
    /// Byte budget of the in-memory tile cache [default: 64 MiB].
    #[arg(long, env = "ECOSPACE_TILE_CACHE_BYTES")]
    pub tile_cache_bytes: Option<usize>,
    /// Enables the admin routes (reload, status) behind `Authorization: Bearer <token>`.
    #[arg(long, env = "ECOSPACE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// Allowed CORS origins, comma-separated [default: any].
    #[arg(long, env = "ECOSPACE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Option<Vec<String>>,
    /// Font for the map's glyph ranges, a .ttf/.otf or a collection (.ttc) [default:
    /// /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc, Debian's fonts-noto-cjk].
    #[arg(long, env = "ECOSPACE_FONT")]
    pub font: Option<PathBuf>,
    /// Poll the data folder every this many seconds and reload when its files change [default: 0 = off].
    #[arg(long, env = "ECOSPACE_WATCH_S")]
    pub watch_s: Option<f64>,
    /// Threads answering HTTP, each with its own event loop [default: one per core].
    #[arg(long, env = "ECOSPACE_WORKERS")]
    pub workers: Option<usize>,
    /// State folder: the project registry's SQLite database [default: beside the data folder,
    /// `DATA.state`; for the bundled data `~/.local/state/ecospace`].
    #[arg(long, env = "ECOSPACE_STATE")]
    pub state: Option<PathBuf>,
    /// The project registry: `postgres://user@host/db` to share one between replicas, `off`
    /// for none [default: SQLite in the state folder].
    #[arg(long, env = "ECOSPACE_REGISTRY", hide_env_values = true)]
    pub registry: Option<String>,
    /// Tianditu (天地图) key: `/map?basemap=tianditu` then draws Tianditu's vector or image base
    /// map through this server, which adds the key (it never reaches the browser).
    #[arg(long, env = "ECOSPACE_TIANDITU_KEY", hide_env_values = true)]
    pub tianditu_key: Option<String>,
    /// Where Tianditu's tiles come from [default: `https://t0.tianditu.gov.cn`] (a mirror, or a
    /// stand-in for tests).
    #[arg(long, env = "ECOSPACE_TIANDITU_URL")]
    pub tianditu_url: Option<String>,
    /// Named tokens with roles (config file only: `[[tokens]]` with name, role, token or token_file).
    #[arg(skip)]
    pub tokens: Option<Vec<TokenConfig>>,
}

/// Everything `serve` needs, resolved.
#[derive(Debug)]
pub struct ServeSettings {
    /// Where to listen.
    pub addr: std::net::SocketAddr,
    /// The data folder (the bundled dataset when `None`).
    pub data: Option<PathBuf>,
    /// Limits of the HTTP layer.
    pub limits: Limits,
    /// Settings of the map endpoints and admin routes.
    pub web: WebConfig,
    /// Poll interval of the data folder, when watching.
    pub watch: Option<std::time::Duration>,
    /// Threads answering HTTP.
    pub workers: usize,
    /// Where the project registry is (none: `--registry off`).
    pub registry: Option<crate::registry::Location>,
}

impl ServeConfig {
    /// Reads a config file.
    pub fn from_file(path: &Path) -> Result<ServeConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.display().to_string(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Toml {
            path: path.display().to_string(),
            source,
        })
    }

    /// These settings where given, `under` where not.
    pub fn over(self, under: ServeConfig) -> ServeConfig {
        ServeConfig {
            addr: self.addr.or(under.addr),
            data: self.data.or(under.data),
            max_body_bytes: self.max_body_bytes.or(under.max_body_bytes),
            max_batch: self.max_batch.or(under.max_batch),
            max_vertices: self.max_vertices.or(under.max_vertices),
            max_depth: self.max_depth.or(under.max_depth),
            request_timeout_s: self.request_timeout_s.or(under.request_timeout_s),
            max_concurrency: self.max_concurrency.or(under.max_concurrency),
            trust_forwarded: self.trust_forwarded.or(under.trust_forwarded),
            maplibre_dir: self.maplibre_dir.or(under.maplibre_dir),
            tile_cache_bytes: self.tile_cache_bytes.or(under.tile_cache_bytes),
            admin_token: self.admin_token.or(under.admin_token),
            cors_origins: self.cors_origins.or(under.cors_origins),
            font: self.font.or(under.font),
            watch_s: self.watch_s.or(under.watch_s),
            workers: self.workers.or(under.workers),
            state: self.state.or(under.state),
            registry: self.registry.or(under.registry),
            tianditu_key: self.tianditu_key.or(under.tianditu_key),
            tianditu_url: self.tianditu_url.or(under.tianditu_url),
            tokens: self.tokens.or(under.tokens),
        }
    }

    /// The settings with defaults for what is unset; out-of-range values are refused.
    pub fn resolve(self) -> Result<ServeSettings, ConfigError> {
        let (dl, dw) = (Limits::default(), WebConfig::default());
        let timeout = self
            .request_timeout_s
            .unwrap_or(dl.request_timeout.as_secs_f64());
        if !(timeout.is_finite() && timeout > 0.0 && timeout <= 86_400.0) {
            return Err(ConfigError::Range(format!(
                "request_timeout_s must be in (0, 86400], got {timeout}"
            )));
        }
        let limits = Limits {
            max_body_bytes: self.max_body_bytes.unwrap_or(dl.max_body_bytes),
            max_batch: self.max_batch.unwrap_or(dl.max_batch),
            max_vertices: self.max_vertices.unwrap_or(dl.max_vertices),
            max_depth: match self.max_depth.unwrap_or(dl.max_depth) {
                d @ 1..=128 => d,
                d => {
                    return Err(ConfigError::Range(format!(
                        "max_depth must be 1 to 128, got {d}"
                    )))
                }
            },
            request_timeout: std::time::Duration::from_secs_f64(timeout),
            max_concurrency: self.max_concurrency.unwrap_or(dl.max_concurrency).max(1),
        };
        let admin_token = self.admin_token.filter(|t| !t.is_empty());
        let tokens = resolve_tokens(self.tokens.unwrap_or_default(), admin_token.as_deref())?;
        let registry = match (self.registry, self.state) {
            (Some(r), _) if r == "off" => None,
            (Some(r), _) => Some(crate::registry::Location::parse(&r)),
            (None, Some(dir)) => Some(crate::registry::Location::Sqlite(dir)),
            (None, None) => Some(crate::registry::Location::Sqlite(
                crate::registry::default_state(self.data.as_deref()),
            )),
        };
        let web = WebConfig {
            trust_forwarded: self.trust_forwarded.unwrap_or(dw.trust_forwarded),
            maplibre_dir: self.maplibre_dir.or(dw.maplibre_dir),
            tile_cache_bytes: self.tile_cache_bytes.unwrap_or(dw.tile_cache_bytes),
            admin_token,
            tokens,
            cors_origins: self.cors_origins.unwrap_or_default(),
            font: self.font.unwrap_or(dw.font),
            tianditu: match self.tianditu_key.filter(|k| !k.trim().is_empty()) {
                Some(key) => Some(
                    super::basemap::Tianditu::new(key.trim(), self.tianditu_url.as_deref())
                        .map_err(ConfigError::Range)?,
                ),
                None => None,
            },
        };
        let watch = match self.watch_s.unwrap_or(0.0) {
            0.0 => None,
            w if w.is_finite() && (0.05..=86_400.0).contains(&w) => {
                Some(std::time::Duration::from_secs_f64(w))
            }
            w => {
                return Err(ConfigError::Range(format!(
                    "watch_s must be 0 (off) or in [0.05, 86400], got {w}"
                )))
            }
        };
        let workers = match self.workers {
            None => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            Some(n @ 1..=1024) => n,
            Some(n) => {
                return Err(ConfigError::Range(format!(
                    "workers must be 1 to 1024, got {n}"
                )))
            }
        };
        Ok(ServeSettings {
            registry,
            watch,
            workers,
            addr: self
                .addr
                .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 8080))),
            data: self.data,
            limits,
            web,
        })
    }
}
