//! The project registry (issue #16, first part): registered projects, every screening of them
//! and an append-only, hash-chained audit log, kept in an embedded SQLite database in a state
//! folder ([`Registry::open`]).
//!
//! What is here: the records, the schema and its versioned migrations (`migrations/*.sql`), and
//! writes that are one transaction each (a project with its first screening and its audit
//! entry, or nothing). What is not here yet: the HTTP routes, roles, re-screening on data
//! changes, impacts, replay and the PostgreSQL backend — the registry knows nothing of HTTP and
//! stores answers as the JSON the front ends send.

mod record;
mod sqlite;

pub use record::{AuditEntry, Project, ProjectStatus, RegistryError, StoredScreening, Trigger};
pub use sqlite::{NewProject, NewScreening, Registry, FILE};
