//! The registry on embedded SQLite: WAL, `synchronous = FULL` (a write acknowledged is a write
//! that survives a power cut), one transaction per write, migrations applied in order once.

use super::record::{AuditEntry, Project, ProjectStatus, RegistryError, StoredScreening, Trigger};
use crate::params::now_rfc3339;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The schema's migrations, in order: version, SQL (files in `migrations/`).
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../../migrations/0001_registry.sql"))];

/// The database file in the state folder.
pub const FILE: &str = "registry.sqlite";

/// The hash before the first audit entry.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A project to register: what the request gives.
#[derive(Debug, Clone)]
pub struct NewProject {
    /// The id asked for, or `None` to have one assigned.
    pub id: Option<String>,
    /// Its name.
    pub name: String,
    /// A project type of the rules file.
    pub project_type: String,
    /// `ordinary`, `provincial_key` or `national_key`.
    pub class: String,
    /// Where it stands.
    pub status: ProjectStatus,
    /// The site: a GeoJSON geometry.
    pub site: serde_json::Value,
}

/// A screening to store: what the check answered.
#[derive(Debug, Clone)]
pub struct NewScreening {
    /// The data version screened against.
    pub data_version: String,
    /// Digest of the request.
    pub request_digest: String,
    /// Why.
    pub trigger: Trigger,
    /// The site's decision, when the answer has one.
    pub decision: Option<String>,
    /// The site's verdict.
    pub verdict: String,
    /// The full answer.
    pub answer: serde_json::Value,
}

/// The registry of one state folder.
pub struct Registry {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl Registry {
    /// Opens (creating on first use) `DIR/registry.sqlite` and brings its schema up to date.
    pub fn open(dir: &Path) -> Result<Registry, RegistryError> {
        std::fs::create_dir_all(dir).map_err(|source| RegistryError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join(FILE);
        let mut conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Registry {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version applied (the last migration's).
    pub fn schema_version(&self) -> Result<i64, RegistryError> {
        let c = self.lock();
        Ok(c.query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))?)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (the transaction rolls back
        // when dropped), so a poisoned lock is still safe to use.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a project with its first screening and the audit entry, in one transaction:
    /// all three are written, or none.
    pub fn register(
        &self,
        p: NewProject,
        s: NewScreening,
        actor: &str,
        digest: &str,
    ) -> Result<Project, RegistryError> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        let id = match p.id {
            Some(id) => {
                if id.is_empty() || id.len() > 128 {
                    return Err(RegistryError::Invalid(
                        "a project id is 1–128 characters".into(),
                    ));
                }
                if exists(&tx, &id)? {
                    return Err(RegistryError::Duplicate(id));
                }
                id
            }
            None => next_id(&tx)?,
        };
        let now = now_rfc3339();
        tx.execute(
            "INSERT INTO project (id, name, type, class, status, site, registered_at, registered_by, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7)",
            params![id, p.name, p.project_type, p.class, p.status.as_str(), p.site.to_string(), now, actor],
        )?;
        insert_screening(&tx, &id, &s, &now)?;
        append_audit(&tx, &now, actor, "project.register", &id, digest)?;
        let project = get(&tx, &id)?;
        tx.commit()?;
        Ok(project)
    }

    /// Changes a project's status, recorded in the audit log with who.
    pub fn set_status(
        &self,
        id: &str,
        status: ProjectStatus,
        actor: &str,
        digest: &str,
    ) -> Result<Project, RegistryError> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        let now = now_rfc3339();
        let n = tx.execute(
            "UPDATE project SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, status.as_str(), now],
        )?;
        if n == 0 {
            return Err(RegistryError::NotFound(id.to_string()));
        }
        append_audit(
            &tx,
            &now,
            actor,
            &format!("project.status={}", status.as_str()),
            id,
            digest,
        )?;
        let project = get(&tx, id)?;
        tx.commit()?;
        Ok(project)
    }

    /// Stores another screening of a project (after a data change, or asked for); its number.
    pub fn add_screening(
        &self,
        id: &str,
        s: NewScreening,
        actor: &str,
    ) -> Result<i64, RegistryError> {
        let mut c = self.lock();
        let tx = c.transaction()?;
        if !exists(&tx, id)? {
            return Err(RegistryError::NotFound(id.to_string()));
        }
        let now = now_rfc3339();
        let n = insert_screening(&tx, id, &s, &now)?;
        append_audit(
            &tx,
            &now,
            actor,
            &format!("screening.{}", s.trigger.as_str()),
            id,
            &s.request_digest,
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// One project.
    pub fn project(&self, id: &str) -> Result<Project, RegistryError> {
        let c = self.lock();
        get(&c, id)
    }

    /// Projects, by id, optionally of one status and type.
    pub fn projects(
        &self,
        status: Option<ProjectStatus>,
        project_type: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Project>, RegistryError> {
        let c = self.lock();
        let mut q = c.prepare(
            "SELECT id, name, type, class, status, site, registered_at, registered_by, updated_at
             FROM project WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR type = ?2)
             ORDER BY id LIMIT ?3 OFFSET ?4",
        )?;
        let rows = q.query_map(
            params![
                status.map(ProjectStatus::as_str),
                project_type,
                limit,
                offset
            ],
            row_project,
        )?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r??);
        }
        Ok(out)
    }

    /// Every screening of a project, newest first.
    pub fn screenings(&self, id: &str) -> Result<Vec<StoredScreening>, RegistryError> {
        let c = self.lock();
        if !exists(&c, id)? {
            return Err(RegistryError::NotFound(id.to_string()));
        }
        let mut q = c.prepare(
            "SELECT n, data_version, request_digest, screened_at, trigger, decision, verdict, answer
             FROM screening WHERE project_id = ?1 ORDER BY n DESC",
        )?;
        let rows = q.query_map(params![id], |r| {
            let answer: String = r.get(7)?;
            let trigger: String = r.get(4)?;
            Ok(StoredScreening {
                n: r.get(0)?,
                data_version: r.get(1)?,
                request_digest: r.get(2)?,
                screened_at: r.get(3)?,
                trigger: Trigger::parse(&trigger),
                decision: r.get(5)?,
                verdict: r.get(6)?,
                answer: serde_json::from_str(&answer).unwrap_or(serde_json::Value::Null),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The audit log from entry `since` on (1 for all).
    pub fn audit(&self, since: i64) -> Result<Vec<AuditEntry>, RegistryError> {
        let c = self.lock();
        let mut q = c.prepare(
            "SELECT seq, at, actor, action, target, digest, prev_hash, hash FROM audit
             WHERE seq >= ?1 ORDER BY seq",
        )?;
        let rows = q.query_map(params![since], |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                target: r.get(4)?,
                digest: r.get(5)?,
                prev_hash: r.get(6)?,
                hash: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Recomputes the audit chain from the first entry; the number of entries, or the first
    /// broken link.
    pub fn verify(&self) -> Result<i64, RegistryError> {
        let mut prev = GENESIS.to_string();
        let mut expect = 1;
        for e in self.audit(1)? {
            let broken = |why: String| RegistryError::Tampered { seq: e.seq, why };
            if e.seq != expect {
                return Err(broken(format!("expected entry {expect} (a gap)")));
            }
            if e.prev_hash != prev {
                return Err(broken(
                    "its prev_hash is not the previous entry's hash".into(),
                ));
            }
            let h = entry_hash(
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
        Ok(expect - 1)
    }
}

fn migrate(conn: &mut Connection) -> Result<(), RegistryError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    let tx = conn.transaction()?;
    let have: i64 = tx.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )?;
    for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > have) {
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            params![v, now_rfc3339()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn exists(c: &Connection, id: &str) -> Result<bool, RegistryError> {
    Ok(
        c.query_row("SELECT 1 FROM project WHERE id = ?1", params![id], |_| {
            Ok(())
        })
        .optional()?
        .is_some(),
    )
}

/// `P-000001`, `P-000002`, …: the first free number after the count.
fn next_id(tx: &Transaction) -> Result<String, RegistryError> {
    let mut n: i64 = tx.query_row("SELECT COUNT(*) FROM project", [], |r| r.get(0))?;
    loop {
        n += 1;
        let id = format!("P-{n:06}");
        if !exists(tx, &id)? {
            return Ok(id);
        }
    }
}

fn get(c: &Connection, id: &str) -> Result<Project, RegistryError> {
    c.query_row(
        "SELECT id, name, type, class, status, site, registered_at, registered_by, updated_at
         FROM project WHERE id = ?1",
        params![id],
        row_project,
    )
    .optional()?
    .ok_or_else(|| RegistryError::NotFound(id.to_string()))?
}

type Row<T> = Result<T, RegistryError>;

fn row_project(r: &rusqlite::Row) -> rusqlite::Result<Row<Project>> {
    let status: String = r.get(4)?;
    let site: String = r.get(5)?;
    let status = match ProjectStatus::parse(&status) {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    Ok(Ok(Project {
        id: r.get(0)?,
        name: r.get(1)?,
        project_type: r.get(2)?,
        class: r.get(3)?,
        status,
        site: serde_json::from_str(&site).unwrap_or(serde_json::Value::Null),
        registered_at: r.get(6)?,
        registered_by: r.get(7)?,
        updated_at: r.get(8)?,
    }))
}

fn insert_screening(
    tx: &Transaction,
    id: &str,
    s: &NewScreening,
    now: &str,
) -> Result<i64, RegistryError> {
    let n: i64 = tx.query_row(
        "SELECT COALESCE(MAX(n), 0) + 1 FROM screening WHERE project_id = ?1",
        params![id],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO screening (project_id, n, data_version, request_digest, screened_at, trigger, decision, verdict, answer)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![id, n, s.data_version, s.request_digest, now, s.trigger.as_str(), s.decision, s.verdict, s.answer.to_string()],
    )?;
    Ok(n)
}

fn append_audit(
    tx: &Transaction,
    at: &str,
    actor: &str,
    action: &str,
    target: &str,
    digest: &str,
) -> Result<(), RegistryError> {
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = last.map_or((1, GENESIS.to_string()), |(s, h)| (s + 1, h));
    let hash = entry_hash(seq, at, actor, action, target, digest, &prev);
    tx.execute(
        "INSERT INTO audit (seq, at, actor, action, target, digest, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![seq, at, actor, action, target, digest, prev, hash],
    )?;
    Ok(())
}

/// SHA-256 (hex) over the entry's fields, each length-prefixed so no two entries share a text.
fn entry_hash(
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    target: &str,
    digest: &str,
    prev: &str,
) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    for f in [seq.as_str(), at, actor, action, target, digest, prev] {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
