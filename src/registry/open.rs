//! Where the registry lives and how it is opened; the checks that are the same on every backend.

use super::backend::{self, Backend, GENESIS};
use super::record::RegistryError;
use super::sqlite::Sqlite;
use std::path::{Path, PathBuf};

/// Where the registry lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `DIR/registry.sqlite` in a state folder.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://user@host/db`).
    Postgres(String),
}

impl Location {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; anything else is a state folder.
    pub fn parse(s: &str) -> Location {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Location::Postgres(s.to_string())
        } else {
            Location::Sqlite(PathBuf::from(s.strip_prefix("sqlite:").unwrap_or(s)))
        }
    }
}

/// The default state folder: beside the data folder (`DIR.state`), or for the bundled
/// dataset `$XDG_STATE_HOME/ecospace` (`~/.local/state/ecospace`), else `./ecospace-state`.
pub fn default_state(data: Option<&Path>) -> PathBuf {
    if let Some(d) = data {
        let mut name = d
            .file_name()
            .map(std::ffi::OsStr::to_os_string)
            .unwrap_or_else(|| "data".into());
        name.push(".state");
        return d.with_file_name(name);
    }
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("XDG_STATE_HOME")
        .or_else(|| env("HOME").map(|h| h.join(".local/state")))
        .map_or_else(|| PathBuf::from("ecospace-state"), |d| d.join("ecospace"))
}

/// The registry: a [`Backend`], with what is the same on every backend (the chain's check).
pub struct Registry {
    backend: Box<dyn Backend>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("location", &self.backend.location())
            .finish()
    }
}

impl std::ops::Deref for Registry {
    type Target = dyn Backend;
    fn deref(&self) -> &Self::Target {
        self.backend.as_ref()
    }
}

impl Registry {
    /// Opens the registry at `at`, creating it and bringing its schema up to date.
    pub fn open(at: &Location) -> Result<Registry, RegistryError> {
        let backend: Box<dyn Backend> =
            match at {
                Location::Sqlite(dir) => Box::new(Sqlite::open(dir)?),
                #[cfg(feature = "postgres")]
                Location::Postgres(url) => Box::new(super::postgres::Postgres::open(url)?),
                #[cfg(not(feature = "postgres"))]
                Location::Postgres(_) => return Err(RegistryError::Invalid(
                    "this ecospace is built without the `postgres` feature: no PostgreSQL registry"
                        .into(),
                )),
            };
        Ok(Registry { backend })
    }

    /// The registry of a state folder.
    pub fn open_dir(dir: &Path) -> Result<Registry, RegistryError> {
        Registry::open(&Location::Sqlite(dir.to_path_buf()))
    }

    /// Recomputes the audit chain from the first entry: the number of entries, or the first
    /// broken link (a gap, a changed field, a re-linked entry).
    pub fn verify(&self) -> Result<i64, RegistryError> {
        const PAGE: i64 = 10_000;
        let mut prev = GENESIS.to_string();
        let mut expect = 1;
        loop {
            let page = self.audit(expect, PAGE)?;
            let full = page.len() as i64 == PAGE;
            for e in page {
                let broken = |why: String| RegistryError::Tampered { seq: e.seq, why };
                if e.seq != expect {
                    return Err(broken(format!("expected entry {expect} (a gap)")));
                }
                if e.prev_hash != prev {
                    return Err(broken(
                        "its prev_hash is not the previous entry's hash".into(),
                    ));
                }
                let h = backend::entry_hash(
                    e.seq,
                    &e.at,
                    &e.actor,
                    &e.action,
                    &e.target,
                    &e.digest,
                    &e.prev_hash,
                );
                if h != e.hash {
                    return Err(broken("its hash does not match its fields".into()));
                }
                prev = e.hash;
                expect += 1;
            }
            if !full {
                return Ok(expect - 1);
            }
        }
    }
}
