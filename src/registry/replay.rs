//! Replaying a stored screening: the same request (site, type, class, year) on the data version
//! it names, rebuilt from the layer history when it is no longer in service, by today's code.
//! A report made in 2026 can be defended in 2028 while that version's files are kept.

use super::open::Registry;
use super::record::RegistryError;
use super::screen::{request_digest, screen_site};
use crate::data::store::Store;
use crate::data::Dataset;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

/// Most differences listed.
const MAX_DIFFERENCES: usize = 50;

/// What a replay found.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Replay {
    /// The project.
    pub project: String,
    /// The screening replayed.
    pub n: i64,
    /// The data version it was made against, and replayed on.
    pub data_version: String,
    /// Whether that version was rebuilt from the layer history (false: it is in service).
    pub rebuilt: bool,
    /// Whether the request is the one stored (its digest recomputed).
    pub same_request: bool,
    /// Whether today's code gives the same answer, value for value.
    pub same: bool,
    /// Where the answers differ (JSON pointers, the first 50).
    pub differences: Vec<String>,
    /// Today's answer.
    pub answer: Value,
}

/// Replays screening `n` of project `id`; `current` is the dataset in service.
pub fn replay(
    reg: &Registry,
    current: &Arc<Dataset>,
    id: &str,
    n: i64,
    max_vertices: usize,
) -> Result<Replay, RegistryError> {
    let p = reg.project(id)?;
    let s = reg.screening(id, n)?;
    let (ds, rebuilt) = if s.data_version == current.version {
        (Arc::clone(current), false)
    } else {
        let dv = reg
            .versions()?
            .into_iter()
            .find(|v| v.version == s.data_version)
            .ok_or_else(|| {
                RegistryError::Invalid(format!(
                    "data version {} was never recorded",
                    s.data_version
                ))
            })?;
        let store = Store::of(current)?;
        (Arc::new(store.rebuild(&dv.version, &dv.files)?), true)
    };
    // The year the stored answer was made for (a project without a year of its own is
    // screened in the year of each screening).
    let year = s.answer["year"]
        .as_i64()
        .and_then(|y| i32::try_from(y).ok())
        .or(p.year)
        .unwrap_or_else(crate::params::current_year);
    let digest = request_digest(&p.site, &p.project_type, &p.class, year);
    let answer = screen_site(&ds, &p.site, &p.project_type, &p.class, year, max_vertices)
        .unwrap_or_else(|e| serde_json::json!({"error": e.code(), "message": e.to_string(), "verdict": "error"}));
    let mut differences = Vec::new();
    diff("", &s.answer, &answer, &mut differences);
    Ok(Replay {
        project: p.id,
        n,
        data_version: s.data_version,
        rebuilt,
        same_request: digest == s.request_digest,
        same: differences.is_empty(),
        differences,
        answer,
    })
}

/// The JSON pointers where `a` and `b` differ.
fn diff(at: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    if out.len() >= MAX_DIFFERENCES || a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let path = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                diff(
                    &path,
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                diff(&format!("{at}/{i}"), u, v, out);
            }
        }
        _ => out.push(if at.is_empty() {
            "/".into()
        } else {
            at.to_string()
        }),
    }
}
