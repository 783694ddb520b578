//! What a registry database does, whichever it is: SQLite embedded (the default, one state
//! folder) or PostgreSQL (several replicas sharing one registry). Both run the same migrations
//! (`migrations/*.sql`) and give the same answers (tests/registry_pg_test.rs runs one sequence of
//! calls on both and compares them; tests/registry_test.rs holds the SQLite specifics).
//!
//! Every write is one transaction holding its audit entry: the row and its entry are written
//! together or not at all, and the chain is extended under the database's own write lock, so
//! two writers (two processes on one SQLite file, two replicas on one PostgreSQL) never fork it.

use super::record::{
    AuditEntry, DataVersion, Outcome, Project, ProjectFilter, ProjectPatch, ProjectStatus,
    RegistryError, StoredScreening, Trigger,
};
use sha2::{Digest, Sha256};

/// The schema's migrations, in order: version, SQL (files in `migrations/`).
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_registry.sql")),
    (2, include_str!("../../migrations/0002_rescreening.sql")),
    (3, include_str!("../../migrations/0003_answers.sql")),
];

/// The hash before the first audit entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
    /// The year to screen in (none: the current year at each screening).
    pub year: Option<i32>,
}

/// A screening to store: what the check answered, with what impacts and the filters read of it.
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
    /// Its decision, verdict and hits, compact.
    pub outcome: Outcome,
    /// The counties of the site (adcodes), largest share first.
    pub counties: Vec<String>,
}

impl NewScreening {
    /// The screening of an answer (a JSON value as `POST /check` gives it).
    pub fn of(
        answer: serde_json::Value,
        data_version: &str,
        request_digest: &str,
        trigger: Trigger,
    ) -> NewScreening {
        let outcome = Outcome::of(&answer);
        let counties = answer["counties"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c["county"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        NewScreening {
            data_version: data_version.to_string(),
            request_digest: request_digest.to_string(),
            trigger,
            decision: outcome.decision.clone(),
            verdict: outcome.verdict.clone(),
            outcome,
            counties,
            answer,
        }
    }

    /// The answer as stored (its JSON text) and its SHA-256: the key under which each distinct
    /// answer is kept once (`migrations/0003_answers.sql`).
    pub fn answer_row(&self) -> (String, String) {
        let body = self.answer.to_string();
        (sha256(body.as_bytes()), body)
    }

    /// The counties as stored: `,330402,330411,` (so `LIKE '%,330402,%'` finds one).
    pub fn counties_column(&self) -> String {
        format!(",{},", self.counties.join(","))
    }
}

/// A group of screenings written in one transaction with one audit entry.
#[derive(Debug, Clone)]
pub struct ScreeningBatch {
    /// Project id and its new screening.
    pub items: Vec<(String, NewScreening)>,
    /// Who: a token's name, or `system` for re-screening.
    pub actor: String,
    /// The audit entry's action (`screening.data_change`, `screening.manual`).
    pub action: String,
    /// The audit entry's target.
    pub target: String,
}

/// Each project's screenings against one data version, oldest first, by project id.
pub type Outcomes = std::collections::BTreeMap<String, Vec<(i64, Outcome)>>;

/// A registry database.
pub trait Backend: Send + Sync {
    /// Where it is, for logs (never a password).
    fn location(&self) -> String;

    /// The schema version applied (the last migration's).
    fn schema_version(&self) -> Result<i64, RegistryError>;

    /// Registers a project with its first screening and the audit entry, all or nothing. A
    /// taken id is [`RegistryError::Duplicate`].
    fn register(
        &self,
        p: &NewProject,
        s: &NewScreening,
        actor: &str,
        digest: &str,
    ) -> Result<Project, RegistryError>;

    /// Changes a project's name or status, with an audit entry naming what changed.
    fn update(
        &self,
        id: &str,
        patch: &ProjectPatch,
        actor: &str,
        digest: &str,
    ) -> Result<Project, RegistryError>;

    /// Stores screenings of several projects and one audit entry whose digest covers them all;
    /// each stored screening's number. A project that is gone refuses the whole batch. A
    /// data-change screening on the version the project was last screened on is dropped (another
    /// replica on the same registry recorded it): its number is not in the answer, and a batch
    /// left empty writes nothing.
    fn add_screenings(&self, batch: &ScreeningBatch) -> Result<Vec<i64>, RegistryError>;

    /// One project.
    fn project(&self, id: &str) -> Result<Project, RegistryError>;

    /// Projects matching the filter, by id.
    fn projects(&self, f: &ProjectFilter) -> Result<Vec<Project>, RegistryError>;

    /// How many projects match the filter (limit and offset aside).
    fn count(&self, f: &ProjectFilter) -> Result<i64, RegistryError>;

    /// Every screening of a project, newest first.
    fn screenings(&self, id: &str) -> Result<Vec<StoredScreening>, RegistryError>;

    /// Screening `n` of a project.
    fn screening(&self, id: &str, n: i64) -> Result<StoredScreening, RegistryError>;

    /// For each project screened against `version`: its screenings there (number and outcome),
    /// oldest first, by project id.
    fn outcomes_at(&self, version: &str) -> Result<Outcomes, RegistryError>;

    /// Up to `limit` projects with ids after `after` (`""` for the first), not rejected, whose
    /// newest screening is not against `version`, by id: what re-screening still has to do.
    /// A pass goes on after the last id of the chunk it just did, so each chunk reads its own
    /// rows rather than every row before it again (10^5 projects: n²/2·chunk rows otherwise).
    fn pending(
        &self,
        version: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<Project>, RegistryError>;

    /// How many projects [`pending`](Self::pending) would give without a limit.
    fn pending_count(&self, version: &str) -> Result<i64, RegistryError>;

    /// The audit log from entry `since` on (1 for all), at most `limit` entries.
    fn audit(&self, since: i64, limit: i64) -> Result<Vec<AuditEntry>, RegistryError>;

    /// Appends an audit entry for a write the registry does not hold itself (a layer update,
    /// a reload); the entry written.
    fn append_audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        digest: &str,
    ) -> Result<AuditEntry, RegistryError>;

    /// Records that `version` (made of `files`) is in service: a new version is added, and a
    /// version that follows another one in service gets the next activation number. True when
    /// this changed anything.
    fn activate(
        &self,
        version: &str,
        files: &std::collections::BTreeMap<String, String>,
    ) -> Result<bool, RegistryError>;

    /// Every data version seen, by activation (the newest last).
    fn versions(&self) -> Result<Vec<DataVersion>, RegistryError>;
}

/// SHA-256 (hex) over an audit entry's fields, each length-prefixed so no two entries share a
/// text: the link of the chain.
pub fn entry_hash(
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    target: &str,
    digest: &str,
    prev: &str,
) -> String {
    let seq = seq.to_string();
    sha256_fields(&[seq.as_str(), at, actor, action, target, digest, prev])
}

/// SHA-256 (hex) over length-prefixed fields.
pub fn sha256_fields(fields: &[&str]) -> String {
    let mut h = Sha256::new();
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    hex(&h.finalize())
}

/// SHA-256 (hex) of bytes: request digests.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter().fold(String::with_capacity(64), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

/// The digest of a batch's audit entry: over every project id, screening digest and outcome.
/// `batch` without the data-change screenings whose project is already screened on that data
/// version (`done(project, version)`, asked inside the write transaction): replicas sharing
/// one registry each re-screen after a swap, and the first to commit a project's screening
/// makes the others' redundant. `None` when nothing is left out.
pub fn unscreened(
    batch: &ScreeningBatch,
    mut done: impl FnMut(&str, &str) -> Result<bool, RegistryError>,
) -> Result<Option<ScreeningBatch>, RegistryError> {
    let mut kept = Vec::with_capacity(batch.items.len());
    for item in &batch.items {
        let (id, s) = item;
        if s.trigger == Trigger::DataChange && done(id, &s.data_version)? {
            continue;
        }
        kept.push(item.clone());
    }
    if kept.len() == batch.items.len() {
        return Ok(None);
    }
    let left = batch.items.len() - kept.len();
    Ok(Some(ScreeningBatch {
        target: format!(
            "{} ({left} already screened by another replica)",
            batch.target
        ),
        items: kept,
        ..batch.clone()
    }))
}

pub fn batch_digest(batch: &ScreeningBatch) -> String {
    let mut h = Sha256::new();
    for (id, s) in &batch.items {
        for f in [id.as_str(), s.request_digest.as_str(), s.verdict.as_str()] {
            h.update((f.len() as u64).to_be_bytes());
            h.update(f.as_bytes());
        }
    }
    hex(&h.finalize())
}

/// The audit action of a patch: `project.update name,status=approved`.
pub fn patch_action(patch: &ProjectPatch) -> Result<String, RegistryError> {
    let mut parts = Vec::new();
    if patch.name.is_some() {
        parts.push("name".to_string());
    }
    if let Some(s) = patch.status {
        parts.push(format!("status={}", s.as_str()));
    }
    if parts.is_empty() {
        return Err(RegistryError::Invalid(
            "nothing to change: give `name` or `status`".into(),
        ));
    }
    Ok(format!("project.update {}", parts.join(",")))
}

/// Checks a project's id and name before anything is written.
pub fn check_new(p: &NewProject) -> Result<(), RegistryError> {
    if let Some(id) = &p.id {
        check_text("id", id, 128)?;
    }
    check_text("name", &p.name, 500)
}

/// A one-line text of 1 to `max` characters.
pub fn check_text(what: &str, s: &str, max: usize) -> Result<(), RegistryError> {
    if s.trim().is_empty() || s.chars().count() > max || s.chars().any(char::is_control) {
        return Err(RegistryError::Invalid(format!(
            "a project {what} is 1–{max} characters on one line"
        )));
    }
    Ok(())
}
