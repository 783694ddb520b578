//! The registry on embedded SQLite: WAL, `synchronous = FULL` (a write acknowledged is a write
//! that survives a power cut), one `BEGIN IMMEDIATE` transaction per write (the chain's last
//! hash is read under the write lock, so the CLI and the service on one file never fork it),
//! migrations applied in order once.

use super::backend::{
    batch_digest, check_new, entry_hash, patch_action, unscreened, Backend, NewProject,
    NewScreening, Outcomes, ScreeningBatch, GENESIS, MIGRATIONS,
};
use super::record::{
    AuditEntry, DataVersion, Latest, Outcome, Project, ProjectFilter, ProjectPatch, ProjectStatus,
    RegistryError, StoredScreening, Trigger,
};
use crate::params::now_rfc3339;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The database file in the state folder.
pub const FILE: &str = "registry.sqlite";

/// The registry of one state folder.
pub struct Sqlite {
    conn: Mutex<Connection>,
    path: PathBuf,
}

const PROJECT_COLUMNS: &str = "id, name, type, class, status, site, registered_at, registered_by, updated_at, year, last_n, last_version, last_decision, last_verdict, last_counties";

impl Sqlite {
    /// Opens (creating on first use) `DIR/registry.sqlite` and brings its schema up to date.
    pub fn open(dir: &Path) -> Result<Sqlite, RegistryError> {
        std::fs::create_dir_all(dir).map_err(|source| RegistryError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join(FILE);
        let mut conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        migrate(&mut conn)?;
        Ok(Sqlite {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (the transaction rolls back
        // when dropped), so a poisoned lock is still safe to use.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction, committed when it succeeds.
    fn write<T>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<T, RegistryError>,
    ) -> Result<T, RegistryError> {
        let mut c = self.lock();
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

impl Backend for Sqlite {
    fn location(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    fn schema_version(&self) -> Result<i64, RegistryError> {
        let c = self.lock();
        Ok(c.query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))?)
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
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7, ?9)",
                params![id, p.name, p.project_type, p.class, p.status.as_str(), p.site.to_string(), now, actor, p.year],
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
            super::backend::check_text("name", n, 500)?;
        }
        self.write(|tx| {
            let now = now_rfc3339();
            let n = tx.execute(
                "UPDATE project SET name = COALESCE(?2, name), status = COALESCE(?3, status), updated_at = ?4 WHERE id = ?1",
                params![id, patch.name, patch.status.map(ProjectStatus::as_str), now],
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
                    .query_row(
                        "SELECT last_version FROM project WHERE id = ?1",
                        params![id],
                        |r| r.get(0),
                    )
                    .optional()?;
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
        get(&self.lock(), id)
    }

    fn projects(&self, f: &ProjectFilter) -> Result<Vec<Project>, RegistryError> {
        let c = self.lock();
        let mut q = c.prepare_cached(&format!(
            "SELECT {PROJECT_COLUMNS} FROM project WHERE {FILTER} ORDER BY id LIMIT ?5 OFFSET ?6"
        ))?;
        let (status, ty, county, decision) = filter_params(f);
        let rows = q.query_map(
            params![status, ty, county, decision, f.limit, f.offset],
            row_project,
        )?;
        rows.map(|r| r?).collect()
    }

    fn count(&self, f: &ProjectFilter) -> Result<i64, RegistryError> {
        let c = self.lock();
        let (status, ty, county, decision) = filter_params(f);
        Ok(c.query_row(
            &format!("SELECT COUNT(*) FROM project WHERE {FILTER}"),
            params![status, ty, county, decision],
            |r| r.get(0),
        )?)
    }

    fn screenings(&self, id: &str) -> Result<Vec<StoredScreening>, RegistryError> {
        let c = self.lock();
        if !exists(&c, id)? {
            return Err(RegistryError::NotFound(id.to_string()));
        }
        let mut q = c.prepare_cached(&format!(
            "SELECT {SCREENING_COLUMNS} FROM {SCREENING_FROM} WHERE project_id = ?1 ORDER BY n DESC"
        ))?;
        let rows = q.query_map(params![id], row_screening)?;
        rows.map(|r| r?).collect()
    }

    fn screening(&self, id: &str, n: i64) -> Result<StoredScreening, RegistryError> {
        let c = self.lock();
        if !exists(&c, id)? {
            return Err(RegistryError::NotFound(id.to_string()));
        }
        c.query_row(
            &format!(
                "SELECT {SCREENING_COLUMNS} FROM {SCREENING_FROM} WHERE project_id = ?1 AND n = ?2"
            ),
            params![id, n],
            row_screening,
        )
        .optional()?
        .ok_or_else(|| RegistryError::NotFound(format!("{id}, screening {n}")))?
    }

    fn outcomes_at(&self, version: &str) -> Result<Outcomes, RegistryError> {
        let c = self.lock();
        let mut q = c.prepare_cached(
            "SELECT project_id, n, outcome FROM screening WHERE data_version = ?1 ORDER BY project_id, n",
        )?;
        let mut rows = q.query(params![version])?;
        let mut out = Outcomes::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let text: String = r.get(2)?;
            let o: Outcome = serde_json::from_str(&text)
                .map_err(|e| RegistryError::Corrupt(format!("{id}: outcome: {e}")))?;
            out.entry(id).or_default().push((r.get(1)?, o));
        }
        Ok(out)
    }

    fn pending(
        &self,
        version: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<Project>, RegistryError> {
        let c = self.lock();
        let mut q = c.prepare_cached(&format!(
            "SELECT {PROJECT_COLUMNS} FROM project WHERE id > ?3 AND {PENDING} ORDER BY id LIMIT ?2"
        ))?;
        let rows = q.query_map(params![version, limit, after], row_project)?;
        rows.map(|r| r?).collect()
    }

    fn pending_count(&self, version: &str) -> Result<i64, RegistryError> {
        let c = self.lock();
        Ok(c.query_row(
            &format!("SELECT COUNT(*) FROM project WHERE {PENDING}"),
            params![version],
            |r| r.get(0),
        )?)
    }

    fn audit(&self, since: i64, limit: i64) -> Result<Vec<AuditEntry>, RegistryError> {
        let c = self.lock();
        let mut q = c.prepare_cached(
            "SELECT seq, at, actor, action, target, digest, prev_hash, hash FROM audit
             WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = q.query_map(params![since, limit], |r| {
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
        self.write(|tx| {
            let newest: Option<String> = tx
                .query_row(
                    "SELECT version FROM data_version ORDER BY activation DESC LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            if newest.as_deref() == Some(version) {
                return Ok(false);
            }
            let next: i64 = tx.query_row(
                "SELECT COALESCE(MAX(activation), 0) + 1 FROM data_version",
                [],
                |r| r.get(0),
            )?;
            let now = now_rfc3339();
            let files = serde_json::to_string(files).map_err(|e| RegistryError::Corrupt(e.to_string()))?;
            tx.execute(
                "INSERT INTO data_version (version, files, first_seen_at, activated_at, activation)
                 VALUES (?1, ?2, ?3, ?3, ?4)
                 ON CONFLICT (version) DO UPDATE SET activated_at = excluded.activated_at, activation = excluded.activation",
                params![version, files, now, next],
            )?;
            Ok(true)
        })
    }

    fn versions(&self) -> Result<Vec<DataVersion>, RegistryError> {
        let c = self.lock();
        let mut q = c.prepare_cached(
            "SELECT version, files, first_seen_at, activated_at, activation FROM data_version ORDER BY activation",
        )?;
        let rows = q.query_map([], |r| {
            let files: String = r.get(1)?;
            let v = DataVersion {
                version: r.get(0)?,
                files: BTreeMap::new(),
                first_seen_at: r.get(2)?,
                activated_at: r.get(3)?,
                activation: r.get(4)?,
            };
            Ok((v, files))
        })?;
        // The files name what a replay rebuilds: unreadable, they are an error, not "none".
        rows.map(|row| {
            let (mut v, files) = row?;
            v.files = serde_json::from_str(&files).map_err(|e| {
                RegistryError::Corrupt(format!("data version {}: files: {e}", v.version))
            })?;
            Ok(v)
        })
        .collect()
    }
}

/// The list filters: `?1` status, `?2` type, `?3` county, `?4` decision (null = any).
const FILTER: &str = "(?1 IS NULL OR status = ?1) AND (?2 IS NULL OR type = ?2)
     AND (?3 IS NULL OR last_counties LIKE '%,' || ?3 || ',%') AND (?4 IS NULL OR last_decision = ?4)";

/// Not rejected, newest screening not against `?1`.
const PENDING: &str = "status <> 'rejected' AND (last_version IS NULL OR last_version <> ?1)";

const SCREENING_COLUMNS: &str =
    "n, data_version, request_digest, screened_at, trigger, decision, verdict, COALESCE(a.body, s.answer)";

/// A screening with its answer: kept once in `answer`, or inline in rows older than migration 3.
const SCREENING_FROM: &str = "screening s LEFT JOIN answer a ON a.digest = s.answer_digest";

fn filter_params(f: &ProjectFilter) -> (Option<&str>, Option<&str>, Option<&str>, Option<&str>) {
    (
        f.status.map(ProjectStatus::as_str),
        f.project_type.as_deref(),
        f.county.as_deref(),
        f.decision.as_deref(),
    )
}

fn migrate(conn: &mut Connection) -> Result<(), RegistryError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
    )?;
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
        &format!("SELECT {PROJECT_COLUMNS} FROM project WHERE id = ?1"),
        params![id],
        row_project,
    )
    .optional()?
    .ok_or_else(|| RegistryError::NotFound(id.to_string()))?
}

type Row<T> = Result<T, RegistryError>;

fn row_project(r: &rusqlite::Row) -> rusqlite::Result<Row<Project>> {
    let id: String = r.get(0)?;
    let status: String = r.get(4)?;
    let site: String = r.get(5)?;
    let counties: String = r.get(14)?;
    let year: Option<i64> = r.get(9)?;
    let status = match ProjectStatus::parse(&status) {
        Ok(s) => s,
        Err(e) => return Ok(Err(RegistryError::Corrupt(format!("{id}: {e}")))),
    };
    let site = match serde_json::from_str(&site) {
        Ok(s) => s,
        Err(e) => return Ok(Err(RegistryError::Corrupt(format!("{id}: site: {e}")))),
    };
    Ok(Ok(Project {
        name: r.get(1)?,
        project_type: r.get(2)?,
        class: r.get(3)?,
        status,
        site,
        registered_at: r.get(6)?,
        registered_by: r.get(7)?,
        updated_at: r.get(8)?,
        year: year.and_then(|y| i32::try_from(y).ok()),
        latest: Latest {
            n: r.get(10)?,
            data_version: r.get(11)?,
            decision: r.get(12)?,
            verdict: r.get(13)?,
            counties: split_counties(&counties),
        },
        id,
    }))
}

/// `,330402,330411,` → `["330402", "330411"]`.
pub(super) fn split_counties(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

fn row_screening(r: &rusqlite::Row) -> rusqlite::Result<Row<StoredScreening>> {
    let n: i64 = r.get(0)?;
    let answer: String = r.get(7)?;
    let trigger: String = r.get(4)?;
    let answer = match serde_json::from_str(&answer) {
        Ok(a) => a,
        Err(e) => return Ok(Err(RegistryError::Corrupt(format!("screening {n}: {e}")))),
    };
    Ok(Ok(StoredScreening {
        n,
        data_version: r.get(1)?,
        request_digest: r.get(2)?,
        screened_at: r.get(3)?,
        trigger: Trigger::parse(&trigger),
        decision: r.get(5)?,
        verdict: r.get(6)?,
        answer,
    }))
}

fn insert_screening(
    tx: &Transaction,
    id: &str,
    s: &NewScreening,
    now: &str,
) -> Result<i64, RegistryError> {
    let n: i64 = tx.query_row(
        "SELECT last_n + 1 FROM project WHERE id = ?1",
        params![id],
        |r| r.get(0),
    )?;
    let outcome =
        serde_json::to_string(&s.outcome).map_err(|e| RegistryError::Corrupt(e.to_string()))?;
    let (digest, body) = s.answer_row();
    tx.execute(
        "INSERT INTO answer (digest, body) VALUES (?1, ?2) ON CONFLICT (digest) DO NOTHING",
        params![digest, body],
    )?;
    tx.execute(
        "INSERT INTO screening (project_id, n, data_version, request_digest, screened_at, trigger, decision, verdict, answer, answer_digest, outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '', ?9, ?10)",
        params![id, n, s.data_version, s.request_digest, now, s.trigger.as_str(), s.decision, s.verdict, digest, outcome],
    )?;
    tx.execute(
        "UPDATE project SET last_n = ?2, last_version = ?3, last_decision = ?4, last_verdict = ?5, last_counties = ?6 WHERE id = ?1",
        params![id, n, s.data_version, s.decision, s.verdict, s.counties_column()],
    )?;
    Ok(n)
}

fn append(
    tx: &Transaction,
    at: &str,
    actor: &str,
    action: &str,
    target: &str,
    digest: &str,
) -> Result<AuditEntry, RegistryError> {
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
