//! The registry's records and its one error type.

use serde::{Deserialize, Serialize};

/// Where a project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    /// Proposed (the default).
    Proposed,
    /// Approved.
    Approved,
    /// Built.
    Built,
    /// Rejected: no longer re-screened.
    Rejected,
}

impl ProjectStatus {
    /// Every status, in order.
    pub const ALL: [ProjectStatus; 4] = [
        ProjectStatus::Proposed,
        ProjectStatus::Approved,
        ProjectStatus::Built,
        ProjectStatus::Rejected,
    ];

    /// The name used in requests, the database and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Proposed => "proposed",
            ProjectStatus::Approved => "approved",
            ProjectStatus::Built => "built",
            ProjectStatus::Rejected => "rejected",
        }
    }

    /// The status with this name.
    pub fn parse(s: &str) -> Result<ProjectStatus, RegistryError> {
        ProjectStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| {
                RegistryError::Invalid(format!(
                    "unknown status {s:?}; valid statuses: proposed, approved, built, rejected"
                ))
            })
    }
}

/// A registered project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    /// Unique id (given, or assigned at registration).
    pub id: String,
    /// Its name.
    pub name: String,
    /// A project type of the rules file.
    #[serde(rename = "type")]
    pub project_type: String,
    /// `ordinary`, `provincial_key` or `national_key`.
    pub class: String,
    /// Where it stands.
    pub status: ProjectStatus,
    /// The site: a GeoJSON geometry, lon/lat.
    pub site: serde_json::Value,
    /// When it was registered (RFC 3339, UTC).
    pub registered_at: String,
    /// Who registered it: a token's name.
    pub registered_by: String,
    /// When it last changed.
    pub updated_at: String,
    /// The year screened in, when one was asked for at registration (else the current year at
    /// each screening).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// The newest screening: its number, data version, decision, verdict and counties.
    pub latest: Latest,
}

/// A project's newest screening, in brief.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Latest {
    /// Its number (0: none yet).
    pub n: i64,
    /// The data version it was made against.
    pub data_version: Option<String>,
    /// Its decision.
    pub decision: Option<String>,
    /// Its verdict.
    pub verdict: Option<String>,
    /// The counties the site lies in (adcodes), largest share first.
    pub counties: Vec<String>,
}

/// What `GET /projects` selects: every condition given must hold.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    /// Of this status.
    pub status: Option<ProjectStatus>,
    /// Of this type.
    pub project_type: Option<String>,
    /// Lying (partly) in this county (adcode).
    pub county: Option<String>,
    /// Whose newest screening has this decision.
    pub decision: Option<String>,
    /// At most this many (by id).
    pub limit: i64,
    /// After skipping this many.
    pub offset: i64,
}

/// A change to a project (`PATCH /projects/{id}`): what is given changes.
#[derive(Debug, Clone, Default)]
pub struct ProjectPatch {
    /// A new name.
    pub name: Option<String>,
    /// A new status.
    pub status: Option<ProjectStatus>,
}

/// A data version the registry screened against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataVersion {
    /// The version (the dataset's hash).
    pub version: String,
    /// The files it is made of, with their content hashes.
    pub files: std::collections::BTreeMap<String, String>,
    /// When the registry first saw it.
    pub first_seen_at: String,
    /// When it last came into service.
    pub activated_at: String,
    /// The order versions came into service in (1, 2, …; raised again when a version returns).
    pub activation: i64,
}

/// Why a screening was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// At registration.
    Registered,
    /// After the data changed.
    DataChange,
    /// Asked for.
    Manual,
}

impl Trigger {
    /// The name used in the database and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Registered => "registered",
            Trigger::DataChange => "data_change",
            Trigger::Manual => "manual",
        }
    }

    pub(super) fn parse(s: &str) -> Trigger {
        match s {
            "registered" => Trigger::Registered,
            "data_change" => Trigger::DataChange,
            _ => Trigger::Manual,
        }
    }
}

/// One stored screening of a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredScreening {
    /// 1, 2, … per project.
    pub n: i64,
    /// The data version screened against.
    pub data_version: String,
    /// Digest of the request that asked for it.
    pub request_digest: String,
    /// When (RFC 3339, UTC).
    pub screened_at: String,
    /// Why.
    pub trigger: Trigger,
    /// The site's decision, when the answer has one.
    pub decision: Option<String>,
    /// The site's verdict.
    pub verdict: String,
    /// The full answer, exactly as `POST /check` gives it.
    pub answer: serde_json::Value,
}

/// What impacts compare of a screening: its decision, verdict and hits (the full answer stays
/// in the screening).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outcome {
    /// The site's decision (with a project type).
    pub decision: Option<String>,
    /// The site's verdict.
    pub verdict: String,
    /// Every feature met or near.
    pub hits: Vec<OutcomeHit>,
}

/// One hit of an [`Outcome`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeHit {
    /// The feature's layer.
    pub layer: String,
    /// The feature's id.
    pub id: String,
    /// How the site relates to it.
    pub relation: String,
    /// The hit's own decision, when ruled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// Area of site ∩ feature, m².
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlap_area_m2: Option<f64>,
    /// Length inside, m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlap_length_m: Option<f64>,
}

impl Outcome {
    /// The outcome of an answer as `POST /check` gives it (a JSON value).
    pub fn of(answer: &serde_json::Value) -> Outcome {
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
        let hits = answer["hits"]
            .as_array()
            .map(|hs| {
                hs.iter()
                    .map(|h| OutcomeHit {
                        layer: text(&h["layer"]).unwrap_or_default(),
                        id: text(&h["id"]).unwrap_or_default(),
                        relation: text(&h["relation"]).unwrap_or_default(),
                        decision: text(&h["decision"]),
                        overlap_area_m2: h["overlap_area_m2"].as_f64(),
                        overlap_length_m: h["overlap_length_m"].as_f64(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Outcome {
            decision: text(&answer["decision"]),
            verdict: text(&answer["verdict"]).unwrap_or_default(),
            hits,
        }
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    /// 1, 2, … without gaps.
    pub seq: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who: a token's name.
    pub actor: String,
    /// What, e.g. `project.register`.
    pub action: String,
    /// On what, e.g. a project id.
    pub target: String,
    /// Digest of the request.
    pub digest: String,
    /// The previous entry's hash (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 (hex) over this entry's fields and `prev_hash`.
    pub hash: String,
}

/// Why the registry refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The id is taken.
    #[error("a project with id {0:?} is already registered")]
    Duplicate(String),
    /// No such project.
    #[error("no project with id {0:?}")]
    NotFound(String),
    /// A value the registry does not take.
    #[error("{0}")]
    Invalid(String),
    /// The audit chain is broken at this entry.
    #[error("audit chain broken at entry {seq}: {why}")]
    Tampered {
        /// The first entry that does not verify.
        seq: i64,
        /// What does not match.
        why: String,
    },
    /// The state folder cannot be made or read.
    #[error("state folder {path}: {source}")]
    Io {
        /// The folder.
        path: String,
        /// What went wrong.
        #[source]
        source: std::io::Error,
    },
    /// The database failed.
    #[error("registry database: {0}")]
    Db(#[from] rusqlite::Error),
    /// A stored value does not read back (a row changed behind the registry's back).
    #[error("registry row {0}")]
    Corrupt(String),
    /// The site of a project was refused.
    #[error(transparent)]
    Site(#[from] crate::query::site::SiteError),
    /// A parameter of a project (type, class, year) was refused.
    #[error(transparent)]
    Query(#[from] crate::params::QueryError),
    /// An earlier data version could not be rebuilt for a replay.
    #[error(transparent)]
    Store(#[from] crate::data::store::StoreError),
    /// The PostgreSQL registry failed.
    #[error("registry database (PostgreSQL): {0}")]
    Postgres(String),
}

impl RegistryError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::Duplicate(_) => "duplicate_id",
            RegistryError::NotFound(_) => "unknown_project",
            RegistryError::Invalid(_) => "invalid_parameter",
            RegistryError::Tampered { .. } => "audit_broken",
            RegistryError::Io { .. }
            | RegistryError::Db(_)
            | RegistryError::Corrupt(_)
            | RegistryError::Postgres(_) => "registry_failed",
            RegistryError::Site(e) => e.code(),
            RegistryError::Query(e) => e.code(),
            RegistryError::Store(e) => e.code(),
        }
    }
}

/// A page of projects (`GET /projects`, `ecospace projects list --json`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectList {
    /// Projects matching the filter, limit and offset aside.
    pub total: i64,
    /// The page's size asked for.
    pub limit: i64,
    /// Projects skipped.
    pub offset: i64,
    /// The page, by id.
    pub projects: Vec<Project>,
}

/// Every screening of a project (`GET /projects/{id}/screenings`, `ecospace projects show`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreeningList {
    /// The project's id.
    pub project: String,
    /// Newest first.
    pub screenings: Vec<StoredScreening>,
}

/// A page of the audit log (`GET /admin/audit`).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditLog {
    /// The first entry asked for.
    pub since: i64,
    /// At most this many entries.
    pub limit: i64,
    /// The entries, oldest first.
    pub entries: Vec<AuditEntry>,
}
