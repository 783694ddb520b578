//! The registry on a shared PostgreSQL: several replicas (processes) on one database. The same
//! migrations as SQLite (`migrations/*.sql`, unchanged), the same answers, and the same rule for
//! writes: one transaction each, holding its audit entry.
//!
//! Where SQLite has one writer per file (`BEGIN IMMEDIATE`), PostgreSQL lets writers run side
//! by side; so every write transaction, and the migrations, start by taking one transaction-level
//! advisory lock ([`LOCK`]). It serialises the writers of every replica: the audit chain's last
//! hash, the next screening number of a project, an assigned id and the next activation are all
//! read under it, and the lock is released by the commit (or the rollback) itself, so a replica
//! that dies mid-write leaves nothing held. Reads take no lock: each statement sees the writes
//! committed before it, as on SQLite.
//!
//! What differs from SQLite's dialect is kept here, in the statements, not in a second schema:
//! `$n` parameters (typed `::text` where only `IS NULL` would see them), `ORDER BY … COLLATE "C"`
//! (SQLite orders TEXT by its bytes, PostgreSQL by the database's collation unless told), `LIKE …
//! ESCAPE ''` (SQLite's LIKE has no escape character), and a negative LIMIT meaning none and a
//! negative OFFSET meaning zero, as SQLite reads them. One difference is left: SQLite's LIKE
//! ignores the case of ASCII letters, PostgreSQL's does not; the county filter compares adcodes
//! (digits), where the two agree.
//!
//! Length: the statement-for-statement twin of `sqlite.rs` (about 600 lines with the URL's
//! redaction and its test); kept in one file so each statement reads beside its SQLite twin.

use super::backend::{
    batch_digest, check_new, check_text, entry_hash, patch_action, unscreened, Backend, NewProject,
    NewScreening, Outcomes, ScreeningBatch, GENESIS, MIGRATIONS,
};
use super::record::{
    AuditEntry, DataVersion, Latest, Outcome, Project, ProjectFilter, ProjectPatch, ProjectStatus,
    RegistryError, StoredScreening, Trigger,
};
use super::sqlite::split_counties;
use crate::params::now_rfc3339;
use postgres::{Client, Config, GenericClient, NoTls, Row, Transaction};
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// The advisory lock every write transaction takes first (`pg_advisory_xact_lock`): "ecospace"
/// in ASCII. Advisory locks are per database, so two registries on two databases of one server
/// do not wait on each other.
pub const LOCK: i64 = 0x6563_6f73_7061_6365;

/// The registry on one PostgreSQL database.
pub struct Postgres {
    /// One connection, as SQLite has one; `None` only while being dropped.
    client: Mutex<Option<Client>>,
    config: Config,
    location: String,
}

const PROJECT_COLUMNS: &str = "id, name, type, class, status, site, registered_at, registered_by, updated_at, year, last_n, last_version, last_decision, last_verdict, last_counties";

const SCREENING_COLUMNS: &str =
    "n, data_version, request_digest, screened_at, trigger, decision, verdict, COALESCE(a.body, s.answer)";

/// A screening with its answer: kept once in `answer`, or inline in rows older than migration 3.
const SCREENING_FROM: &str = "screening s LEFT JOIN answer a ON a.digest = s.answer_digest";

/// The list filters: `$1` status, `$2` type, `$3` county, `$4` decision (null = any).
const FILTER: &str =
    "($1::text IS NULL OR status = $1::text) AND ($2::text IS NULL OR type = $2::text)
     AND ($3::text IS NULL OR last_counties LIKE '%,' || $3::text || ',%' ESCAPE '')
     AND ($4::text IS NULL OR last_decision = $4::text)";

/// Not rejected, newest screening not against `$1`.
const PENDING: &str = "status <> 'rejected' AND (last_version IS NULL OR last_version <> $1)";

impl Postgres {
    /// Connects to the database of `url` (`postgres://user:password@host:port/db`) and brings
    /// its schema up to date. The database must exist; its tables are created on first use.
    pub fn open(url: &str) -> Result<Postgres, RegistryError> {
        let location = redact(url);
        let mut config: Config = url
            .parse()
            .map_err(|e| RegistryError::Invalid(format!("PostgreSQL URL {location}: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(30));
        }
        if config.get_application_name().is_none() {
            config.application_name("ecospace");
        }
        let pg = off_runtime(|| -> Result<Postgres, RegistryError> {
            let mut client = config.connect(NoTls)?;
            migrate(&mut client)?;
            Ok(Postgres {
                client: Mutex::new(Some(client)),
                config: config.clone(),
                location: location.clone(),
            })
        })?;
        Ok(pg)
    }

    /// Runs `f` on the connection, connecting again first when the last one broke (the server
    /// restarted, the network dropped): one failed call, not a dead registry.
    fn with<T: Send>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, RegistryError> + Send,
    ) -> Result<T, RegistryError> {
        off_runtime(|| {
            let mut guard = self.lock();
            let broken = guard.as_ref().is_none_or(Client::is_closed);
            if broken {
                *guard = Some(self.config.connect(NoTls)?);
            }
            let client = guard
                .as_mut()
                .ok_or_else(|| RegistryError::Postgres("no connection".into()))?;
            f(client)
        })
    }

    fn lock(&self) -> MutexGuard<'_, Option<Client>> {
        // A panic while holding the lock leaves the database consistent (the transaction rolls
        // back when dropped), so a poisoned lock is still safe to use.
        self.client
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` in one transaction that first takes the registry's write lock, committed when
    /// it succeeds (and rolled back, releasing the lock, when it fails).
    fn write<T: Send>(
        &self,
        f: impl FnOnce(&mut Transaction) -> Result<T, RegistryError> + Send,
    ) -> Result<T, RegistryError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])?;
            let out = f(&mut tx)?;
            tx.commit()?;
            Ok(out)
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Closing the connection drives the client's own runtime: not on a runtime's thread.
        let client = self.lock().take();
        off_runtime(move || drop(client));
    }
}

/// Runs `f` where the synchronous client may block: it drives a runtime of its own, which
/// tokio refuses to start on a thread already inside one (an async handler calling the
/// registry directly, a registry dropped by a task), so there `f` runs on a thread of its own.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(t) => t,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

impl From<postgres::Error> for RegistryError {
    fn from(e: postgres::Error) -> Self {
        // The server's own words when it answered (never the connection string).
        RegistryError::Postgres(match e.as_db_error() {
            Some(db) => format!("{}: {} ({})", db.severity(), db.message(), db.code().code()),
            None => e.to_string(),
        })
    }
}

/// The URL with its password, if any, replaced by `***` (in the user part and in a
/// `password=` parameter): what logs and `/admin/status` may show. The user part is read as
/// the client reads it: everything before the first `@`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let rest = match rest.split_once('@') {
        Some((creds, tail)) => match creds.split_once(':') {
            Some((user, _)) => format!("{user}:***@{tail}"),
            None => rest.to_string(),
        },
        None => rest.to_string(),
    };
    let rest = match rest.split_once('?') {
        Some((head, query)) => {
            let query = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k == "password" => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect::<Vec<_>>()
                .join("&");
            format!("{head}?{query}")
        }
        None => rest,
    };
    format!("{scheme}://{rest}")
}

impl Backend for Postgres {
    fn location(&self) -> String {
        self.location.clone()
    }

    fn schema_version(&self) -> Result<i64, RegistryError> {
        self.with(|c| {
            let v: Option<i64> = c
                .query_one("SELECT MAX(version) FROM schema_version", &[])?
                .try_get(0)?;
            Ok(v.unwrap_or(0))
        })
    }

    fn register(
        &self,
        p: &NewProject,
        s: &NewScreening,
        actor: &str,
        digest: &str,
    ) -> Result<Project, RegistryError> {
        check_new(p)?;
        self.write(|tx| {
            let id = match &p.id {
                Some(id) if exists(tx, id)? => return Err(RegistryError::Duplicate(id.clone())),
                Some(id) => id.clone(),
                None => next_id(tx)?,
            };
            let now = now_rfc3339();
            tx.execute(
                "INSERT INTO project (id, name, type, class, status, site, registered_at, registered_by, updated_at, year)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $9)",
                &[&id, &p.name, &p.project_type, &p.class, &p.status.as_str(), &p.site.to_string(), &now, &actor, &p.year.map(i64::from)],
            )?;
            insert_screening(tx, &id, s, &now)?;
            append(tx, &now, actor, "project.register", &id, digest)?;
            get(tx, &id)
        })
    }

    fn update(
        &self,
        id: &str,
        patch: &ProjectPatch,
        actor: &str,
        digest: &str,
    ) -> Result<Project, RegistryError> {
        let action = patch_action(patch)?;
        if let Some(n) = &patch.name {
            check_text("name", n, 500)?;
        }
        self.write(|tx| {
            let now = now_rfc3339();
            let n = tx.execute(
                "UPDATE project SET name = COALESCE($2, name), status = COALESCE($3, status), updated_at = $4 WHERE id = $1",
                &[&id, &patch.name, &patch.status.map(ProjectStatus::as_str), &now],
            )?;
            if n == 0 {
                return Err(RegistryError::NotFound(id.to_string()));
            }
            append(tx, &now, actor, &action, id, digest)?;
            get(tx, id)
        })
    }

    fn add_screenings(&self, batch: &ScreeningBatch) -> Result<Vec<i64>, RegistryError> {
        self.write(|tx| {
            let left = unscreened(batch, |id, version| {
                let last: Option<Option<String>> = tx
                    .query_opt("SELECT last_version FROM project WHERE id = $1", &[&id])?
                    .map(|r| r.try_get(0))
                    .transpose()?;
                Ok(last.flatten().as_deref() == Some(version))
            })?;
            let batch = left.as_ref().unwrap_or(batch);
            if batch.items.is_empty() {
                return Ok(Vec::new());
            }
            let now = now_rfc3339();
            let mut ns = Vec::with_capacity(batch.items.len());
            for (id, s) in &batch.items {
                if !exists(tx, id)? {
                    return Err(RegistryError::NotFound(id.clone()));
                }
                ns.push(insert_screening(tx, id, s, &now)?);
            }
            append(
                tx,
                &now,
                &batch.actor,
                &batch.action,
                &batch.target,
                &batch_digest(batch),
            )?;
            Ok(ns)
        })
    }

    fn project(&self, id: &str) -> Result<Project, RegistryError> {
        self.with(|c| get(c, id))
    }

    fn projects(&self, f: &ProjectFilter) -> Result<Vec<Project>, RegistryError> {
        let (status, ty, county, decision) = filter_params(f);
        let (limit, offset) = (no_limit_if_negative(f.limit), f.offset.max(0));
        self.with(|c| {
            c.query(
                &format!(
                    "SELECT {PROJECT_COLUMNS} FROM project WHERE {FILTER}
                     ORDER BY id COLLATE \"C\" LIMIT $5 OFFSET $6"
                ),
                &[&status, &ty, &county, &decision, &limit, &offset],
            )?
            .iter()
            .map(row_project)
            .collect()
        })
    }

    fn count(&self, f: &ProjectFilter) -> Result<i64, RegistryError> {
        let (status, ty, county, decision) = filter_params(f);
        self.with(|c| {
            Ok(c.query_one(
                &format!("SELECT COUNT(*) FROM project WHERE {FILTER}"),
                &[&status, &ty, &county, &decision],
            )?
            .try_get(0)?)
        })
    }

    fn screenings(&self, id: &str) -> Result<Vec<StoredScreening>, RegistryError> {
        self.with(|c| {
            if !exists(c, id)? {
                return Err(RegistryError::NotFound(id.to_string()));
            }
            c.query(
                &format!(
                    "SELECT {SCREENING_COLUMNS} FROM {SCREENING_FROM} WHERE project_id = $1 ORDER BY n DESC"
                ),
                &[&id],
            )?
            .iter()
            .map(row_screening)
            .collect()
        })
    }

    fn screening(&self, id: &str, n: i64) -> Result<StoredScreening, RegistryError> {
        self.with(|c| {
            if !exists(c, id)? {
                return Err(RegistryError::NotFound(id.to_string()));
            }
            let row = c.query_opt(
                &format!(
                    "SELECT {SCREENING_COLUMNS} FROM {SCREENING_FROM} WHERE project_id = $1 AND n = $2"
                ),
                &[&id, &n],
            )?;
            row.as_ref()
                .map(row_screening)
                .ok_or_else(|| RegistryError::NotFound(format!("{id}, screening {n}")))?
        })
    }

    fn outcomes_at(&self, version: &str) -> Result<Outcomes, RegistryError> {
        self.with(|c| {
            let rows = c.query(
                "SELECT project_id, n, outcome FROM screening WHERE data_version = $1
                 ORDER BY project_id COLLATE \"C\", n",
                &[&version],
            )?;
            let mut out = Outcomes::new();
            for r in &rows {
                let id: String = r.try_get(0)?;
                let text: String = r.try_get(2)?;
                let o: Outcome = serde_json::from_str(&text)
                    .map_err(|e| RegistryError::Corrupt(format!("{id}: outcome: {e}")))?;
                out.entry(id).or_default().push((r.try_get(1)?, o));
            }
            Ok(out)
        })
    }

    fn pending(
        &self,
        version: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<Project>, RegistryError> {
        let limit = no_limit_if_negative(limit);
        self.with(|c| {
            c.query(
                &format!(
                    "SELECT {PROJECT_COLUMNS} FROM project WHERE id COLLATE \"C\" > $3 AND {PENDING}
                     ORDER BY id COLLATE \"C\" LIMIT $2"
                ),
                &[&version, &limit, &after],
            )?
            .iter()
            .map(row_project)
            .collect()
        })
    }

    fn pending_count(&self, version: &str) -> Result<i64, RegistryError> {
        self.with(|c| {
            Ok(c.query_one(
                &format!("SELECT COUNT(*) FROM project WHERE {PENDING}"),
                &[&version],
            )?
            .try_get(0)?)
        })
    }

    fn audit(&self, since: i64, limit: i64) -> Result<Vec<AuditEntry>, RegistryError> {
        let limit = no_limit_if_negative(limit);
        self.with(|c| {
            c.query(
                "SELECT seq, at, actor, action, target, digest, prev_hash, hash FROM audit
                 WHERE seq >= $1 ORDER BY seq LIMIT $2",
                &[&since, &limit],
            )?
            .iter()
            .map(|r| {
                Ok(AuditEntry {
                    seq: r.try_get(0)?,
                    at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    target: r.try_get(4)?,
                    digest: r.try_get(5)?,
                    prev_hash: r.try_get(6)?,
                    hash: r.try_get(7)?,
                })
            })
            .collect()
        })
    }

    fn append_audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        digest: &str,
    ) -> Result<AuditEntry, RegistryError> {
        self.write(|tx| append(tx, &now_rfc3339(), actor, action, target, digest))
    }

    fn activate(
        &self,
        version: &str,
        files: &BTreeMap<String, String>,
    ) -> Result<bool, RegistryError> {
        let files =
            serde_json::to_string(files).map_err(|e| RegistryError::Corrupt(e.to_string()))?;
        self.write(|tx| {
            let newest: Option<String> = tx
                .query_opt(
                    "SELECT version FROM data_version ORDER BY activation DESC LIMIT 1",
                    &[],
                )?
                .map(|r| r.try_get(0))
                .transpose()?;
            if newest.as_deref() == Some(version) {
                return Ok(false);
            }
            let next: i64 = tx
                .query_one(
                    "SELECT COALESCE(MAX(activation), 0) + 1 FROM data_version",
                    &[],
                )?
                .try_get(0)?;
            let now = now_rfc3339();
            tx.execute(
                "INSERT INTO data_version (version, files, first_seen_at, activated_at, activation)
                 VALUES ($1, $2, $3, $3, $4)
                 ON CONFLICT (version) DO UPDATE SET activated_at = excluded.activated_at, activation = excluded.activation",
                &[&version, &files, &now, &next],
            )?;
            Ok(true)
        })
    }

    fn versions(&self) -> Result<Vec<DataVersion>, RegistryError> {
        self.with(|c| {
            c.query(
                "SELECT version, files, first_seen_at, activated_at, activation FROM data_version ORDER BY activation",
                &[],
            )?
            .iter()
            .map(|r| {
                let files: String = r.try_get(1)?;
                Ok(DataVersion {
                    version: r.try_get(0)?,
                    files: serde_json::from_str(&files).unwrap_or_default(),
                    first_seen_at: r.try_get(2)?,
                    activated_at: r.try_get(3)?,
                    activation: r.try_get(4)?,
                })
            })
            .collect()
        })
    }
}

/// SQLite reads a negative LIMIT as none; PostgreSQL refuses one and reads NULL as none.
fn no_limit_if_negative(limit: i64) -> Option<i64> {
    (limit >= 0).then_some(limit)
}

fn filter_params(f: &ProjectFilter) -> (Option<&str>, Option<&str>, Option<&str>, Option<&str>) {
    (
        f.status.map(ProjectStatus::as_str),
        f.project_type.as_deref(),
        f.county.as_deref(),
        f.decision.as_deref(),
    )
}

/// Applies the migrations not yet applied, in one transaction under the write lock: two
/// replicas starting together apply each migration once (the second finds it recorded).
fn migrate(client: &mut Client) -> Result<(), RegistryError> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
    let have: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])?
        .try_get(0)?;
    for (v, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > have) {
        tx.batch_execute(sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
            &[v, &now_rfc3339()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn exists(c: &mut impl GenericClient, id: &str) -> Result<bool, RegistryError> {
    Ok(c.query_opt("SELECT 1 FROM project WHERE id = $1", &[&id])?
        .is_some())
}

/// `P-000001`, `P-000002`, …: the first free number after the count.
fn next_id(tx: &mut Transaction) -> Result<String, RegistryError> {
    let mut n: i64 = tx
        .query_one("SELECT COUNT(*) FROM project", &[])?
        .try_get(0)?;
    loop {
        n += 1;
        let id = format!("P-{n:06}");
        if !exists(tx, &id)? {
            return Ok(id);
        }
    }
}

fn get(c: &mut impl GenericClient, id: &str) -> Result<Project, RegistryError> {
    let row = c.query_opt(
        &format!("SELECT {PROJECT_COLUMNS} FROM project WHERE id = $1"),
        &[&id],
    )?;
    row.as_ref()
        .map(row_project)
        .ok_or_else(|| RegistryError::NotFound(id.to_string()))?
}

fn row_project(r: &Row) -> Result<Project, RegistryError> {
    let id: String = r.try_get(0)?;
    let status: String = r.try_get(4)?;
    let site: String = r.try_get(5)?;
    let counties: String = r.try_get(14)?;
    let year: Option<i64> = r.try_get(9)?;
    let status =
        ProjectStatus::parse(&status).map_err(|e| RegistryError::Corrupt(format!("{id}: {e}")))?;
    let site = serde_json::from_str(&site)
        .map_err(|e| RegistryError::Corrupt(format!("{id}: site: {e}")))?;
    Ok(Project {
        name: r.try_get(1)?,
        project_type: r.try_get(2)?,
        class: r.try_get(3)?,
        status,
        site,
        registered_at: r.try_get(6)?,
        registered_by: r.try_get(7)?,
        updated_at: r.try_get(8)?,
        year: year.and_then(|y| i32::try_from(y).ok()),
        latest: Latest {
            n: r.try_get(10)?,
            data_version: r.try_get(11)?,
            decision: r.try_get(12)?,
            verdict: r.try_get(13)?,
            counties: split_counties(&counties),
        },
        id,
    })
}

fn row_screening(r: &Row) -> Result<StoredScreening, RegistryError> {
    let n: i64 = r.try_get(0)?;
    let answer: String = r.try_get(7)?;
    let trigger: String = r.try_get(4)?;
    let answer = serde_json::from_str(&answer)
        .map_err(|e| RegistryError::Corrupt(format!("screening {n}: {e}")))?;
    Ok(StoredScreening {
        n,
        data_version: r.try_get(1)?,
        request_digest: r.try_get(2)?,
        screened_at: r.try_get(3)?,
        trigger: Trigger::parse(&trigger),
        decision: r.try_get(5)?,
        verdict: r.try_get(6)?,
        answer,
    })
}

fn insert_screening(
    tx: &mut Transaction,
    id: &str,
    s: &NewScreening,
    now: &str,
) -> Result<i64, RegistryError> {
    let n: i64 = tx
        .query_one("SELECT last_n + 1 FROM project WHERE id = $1", &[&id])?
        .try_get(0)?;
    let outcome =
        serde_json::to_string(&s.outcome).map_err(|e| RegistryError::Corrupt(e.to_string()))?;
    let (digest, body) = s.answer_row();
    tx.execute(
        "INSERT INTO answer (digest, body) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING",
        &[&digest, &body],
    )?;
    tx.execute(
        "INSERT INTO screening (project_id, n, data_version, request_digest, screened_at, trigger, decision, verdict, answer, answer_digest, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9, $10)",
        &[&id, &n, &s.data_version, &s.request_digest, &now, &s.trigger.as_str(), &s.decision, &s.verdict, &digest, &outcome],
    )?;
    tx.execute(
        "UPDATE project SET last_n = $2, last_version = $3, last_decision = $4, last_verdict = $5, last_counties = $6 WHERE id = $1",
        &[&id, &n, &s.data_version, &s.decision, &s.verdict, &s.counties_column()],
    )?;
    Ok(n)
}

fn append(
    tx: &mut Transaction,
    at: &str,
    actor: &str,
    action: &str,
    target: &str,
    digest: &str,
) -> Result<AuditEntry, RegistryError> {
    let last: Option<(i64, String)> = tx
        .query_opt("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &[])?
        .map(|r| Ok::<_, postgres::Error>((r.try_get(0)?, r.try_get(1)?)))
        .transpose()?;
    let (seq, prev) = last.map_or((1, GENESIS.to_string()), |(s, h)| (s + 1, h));
    let hash = entry_hash(seq, at, actor, action, target, digest, &prev);
    tx.execute(
        "INSERT INTO audit (seq, at, actor, action, target, digest, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[&seq, &at, &actor, &action, &target, &digest, &prev, &hash],
    )?;
    Ok(AuditEntry {
        seq,
        at: at.to_string(),
        actor: actor.to_string(),
        action: action.to_string(),
        target: target.to_string(),
        digest: digest.to_string(),
        prev_hash: prev,
        hash,
    })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            redact("postgres://ecospace:s3cret@db.local:5432/registry"),
            "postgres://ecospace:***@db.local:5432/registry"
        );
        assert_eq!(
            redact("postgresql://u:p%40ss@h1,h2/db?sslmode=disable&password=x&user=u"),
            "postgresql://u:***@h1,h2/db?sslmode=disable&password=***&user=u"
        );
        assert_eq!(
            redact("postgres://ecospace@127.0.0.1:5433/db"),
            "postgres://ecospace@127.0.0.1:5433/db"
        );
        assert_eq!(
            redact("postgres://h?password=x"),
            "postgres://h?password=***"
        );
        // An unencoded `/` in the password: still everything before the first `@`.
        assert_eq!(redact("postgres://u:a/b@h/db"), "postgres://u:***@h/db");
    }
}
