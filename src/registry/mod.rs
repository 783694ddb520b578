//! The project registry (#16): registered projects, every screening of them, re-screening when
//! the data changes, the impacts of a change, replay of a stored screening on the data version it
//! names, and an append-only, hash-chained audit log of every admin and registry write.
//!
//! The database is SQLite in a state folder by default, PostgreSQL when several replicas share
//! one registry ([`Location`]); both behind [`Backend`], with the same migrations
//! (`migrations/*.sql`). What needs the data (screening, impacts, replay) is here too, on top of
//! the query layer; the registry knows nothing of HTTP and stores answers as the JSON the front
//! ends send. The background re-screening thread is the service runtime's
//! (`service::rescreen`).

mod backend;
mod impacts;
mod open;
#[cfg(feature = "postgres")]
mod postgres;
mod record;
mod replay;
mod screen;
mod sqlite;

#[cfg(feature = "postgres")]
pub use self::postgres::{redact, Postgres};
pub use backend::{
    sha256, Backend, NewProject, NewScreening, Outcomes, ScreeningBatch, GENESIS, MIGRATIONS,
};
pub use impacts::{impacts, Change, Impact, Impacts};
pub use open::{default_state, Location, Registry};
pub use record::{
    AuditEntry, AuditLog, DataVersion, Latest, Outcome, OutcomeHit, Project, ProjectFilter,
    ProjectList, ProjectPatch, ProjectStatus, RegistryError, ScreeningList, StoredScreening,
    Trigger,
};
pub use replay::{replay, Replay};
pub use screen::{register, rescreen, screen_manually, screen_project, Pass, Registration};
pub use sqlite::{Sqlite, FILE};
