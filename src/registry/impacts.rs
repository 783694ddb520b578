//! "Which projects does this change affect?": every project screened against both versions
//! whose decision, verdict or hits differ between them.

use super::open::Registry;
use super::record::{Outcome, OutcomeHit, Project, RegistryError};
use serde::Serialize;

/// An overlap counts as changed beyond both 1 m² (1 m for lengths) and 0.1 % of the larger
/// one: boolean operations on a re-saved layer move areas by ~1e-9 relative, which is not a
/// change a planner should read about, while a zone edge moved by a metre along a site is.
const ABS_TOLERANCE: f64 = 1.0;
const REL_TOLERANCE: f64 = 1e-3;

/// The impacts of going from one data version to another.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Impacts {
    /// The earlier version.
    pub from: String,
    /// The later version.
    pub to: String,
    /// False while re-screening against `to` is still to do for some project.
    pub complete: bool,
    /// Projects still to be screened against `to` (0 when complete).
    pub pending: i64,
    /// Projects screened against `from` but not since against `to` (re-screened straight
    /// against a later version, or rejected meanwhile so not re-screened): not compared.
    pub not_compared: usize,
    /// Projects compared.
    pub compared: usize,
    /// The projects whose screening changed, by id.
    pub impacts: Vec<Impact>,
}

/// One project whose screening changed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Impact {
    /// The project.
    pub project: Project,
    /// Its screening against `from`: number, decision, verdict, hits.
    pub before: Brief,
    /// Its screening against `to`.
    pub after: Brief,
    /// What changed.
    pub changes: Vec<Change>,
}

/// A screening in brief.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Brief {
    /// The screening's number (`GET /projects/{id}/screenings`).
    pub n: i64,
    /// Decision, verdict and hits.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// One difference between two screenings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// The site's decision changed.
    Decision {
        /// Before.
        before: Option<String>,
        /// After.
        after: Option<String>,
    },
    /// The site's verdict changed.
    Verdict {
        /// Before.
        before: String,
        /// After.
        after: String,
    },
    /// The site meets or nears a feature it did not.
    HitAdded {
        /// Layer.
        layer: String,
        /// Feature id.
        id: String,
        /// How it relates now.
        relation: String,
    },
    /// The site no longer meets or nears a feature.
    HitRemoved {
        /// Layer.
        layer: String,
        /// Feature id.
        id: String,
        /// How it related.
        relation: String,
    },
    /// A hit's relation, ruling or overlap changed.
    HitChanged {
        /// Layer.
        layer: String,
        /// Feature id.
        id: String,
        /// What it was.
        before: Box<OutcomeHit>,
        /// What it is.
        after: Box<OutcomeHit>,
    },
}

fn moved(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            let d = (a - b).abs();
            d > ABS_TOLERANCE && d > REL_TOLERANCE * a.abs().max(b.abs())
        }
        (None, None) => false,
        _ => true,
    }
}

/// The differences between two outcomes.
pub fn compare(before: &Outcome, after: &Outcome) -> Vec<Change> {
    let mut out = Vec::new();
    if before.decision != after.decision {
        out.push(Change::Decision {
            before: before.decision.clone(),
            after: after.decision.clone(),
        });
    }
    if before.verdict != after.verdict {
        out.push(Change::Verdict {
            before: before.verdict.clone(),
            after: after.verdict.clone(),
        });
    }
    let key = |h: &OutcomeHit| (h.layer.clone(), h.id.clone());
    let old: std::collections::BTreeMap<_, _> = before.hits.iter().map(|h| (key(h), h)).collect();
    let new: std::collections::BTreeMap<_, _> = after.hits.iter().map(|h| (key(h), h)).collect();
    for (k, a) in &new {
        match old.get(k) {
            None => out.push(Change::HitAdded {
                layer: k.0.clone(),
                id: k.1.clone(),
                relation: a.relation.clone(),
            }),
            Some(b) => {
                if b.relation != a.relation
                    || b.decision != a.decision
                    || moved(b.overlap_area_m2, a.overlap_area_m2)
                    || moved(b.overlap_length_m, a.overlap_length_m)
                {
                    out.push(Change::HitChanged {
                        layer: k.0.clone(),
                        id: k.1.clone(),
                        before: Box::new((*b).clone()),
                        after: Box::new((*a).clone()),
                    });
                }
            }
        }
    }
    for (k, b) in &old {
        if !new.contains_key(k) {
            out.push(Change::HitRemoved {
                layer: k.0.clone(),
                id: k.1.clone(),
                relation: b.relation.clone(),
            });
        }
    }
    out
}

/// The impacts of going from `from` to `to` (defaults: the version in service before the
/// current one, and the current one). `current` is the version in service now.
pub fn impacts(
    reg: &Registry,
    current: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Impacts, RegistryError> {
    let versions = reg.versions()?;
    let known = |v: &str| -> Result<String, RegistryError> {
        if versions.iter().any(|x| x.version == v) {
            Ok(v.to_string())
        } else {
            Err(RegistryError::Invalid(format!(
                "no project was ever screened against data version {v:?}; known versions: {}",
                versions
                    .iter()
                    .map(|x| x.version.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )))
        }
    };
    let to = match to {
        Some(v) => known(v)?,
        None => current.to_string(),
    };
    let from = match from {
        Some(v) => known(v)?,
        None => {
            // The version in service before `to` came in last. The current version may not be
            // recorded yet (re-screening records it as it starts): then the newest recorded
            // one was in service before it.
            let newest = versions.last().map(|x| x.version.as_str());
            let before = if to == current && newest != Some(to.as_str()) {
                versions.last()
            } else {
                let at = versions.iter().position(|x| x.version == to);
                at.and_then(|i| versions[..i].last())
            };
            before
                .map(|x| x.version.clone())
                .ok_or_else(|| {
                    RegistryError::Invalid(
                        "there is no earlier data version yet: the data has not changed since the first project was registered".into(),
                    )
                })?
        }
    };
    let pending = if to == current {
        reg.pending_count(&to)?
    } else {
        0
    };
    let before = reg.outcomes_at(&from)?;
    let after = reg.outcomes_at(&to)?;
    let mut out = Vec::new();
    let (mut compared, mut not_compared) = (0, 0);
    for (id, at_from) in &before {
        // The newest screening against `to`, and the newest against `from` made before it: after
        // a rollback, a project's newest screening against the older version follows the one
        // against the newer, and its original one precedes it.
        let pair = after.get(id).and_then(|v| v.last()).and_then(|(na, oa)| {
            at_from
                .iter()
                .rev()
                .find(|(nb, _)| nb < na)
                .map(|(nb, ob)| (nb, ob, na, oa))
        });
        let Some((nb, ob, na, oa)) = pair else {
            not_compared += 1;
            continue;
        };
        compared += 1;
        let changes = compare(ob, oa);
        if !changes.is_empty() {
            out.push(Impact {
                project: reg.project(id)?,
                before: Brief {
                    n: *nb,
                    outcome: ob.clone(),
                },
                after: Brief {
                    n: *na,
                    outcome: oa.clone(),
                },
                changes,
            });
        }
    }
    Ok(Impacts {
        complete: pending == 0,
        pending,
        not_compared,
        compared,
        from,
        to,
        impacts: out,
    })
}
