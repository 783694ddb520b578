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
    pub(super) fn as_str(self) -> &'static str {
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
}
