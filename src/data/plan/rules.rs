//! What the rules say about a kind of project on a kind of protected land.
//!
//! Planners ask "may this be built here?", not "does it intersect?". The answer depends on the
//! project type and on what the site meets (the red line, a reserve, a level-1 water-source
//! zone, natural shoreline…), and must cite the clause it rests on. The table is data
//! (`rules.toml`, named by the manifest) so lawyers, not programmers, maintain it:
//!
//! ```toml
//! [[type]]
//! id = "industrial"
//! title_zh = "工业项目"
//! title_en = "Industrial project"
//!
//! [[rule]]
//! layer = "water_source"
//! when = { level = 1 }          # optional: properties the feature must have
//! types = ["water_supply"]      # or ["*"]: every type no earlier rule matched
//! decision = "restricted"       # prohibited | restricted | allowed
//! conditions_zh = "…"           # required when restricted
//! conditions_en = "…"
//! basis = ["《中华人民共和国水污染防治法》第六十五条"]
//! ```
//!
//! The first rule (in file order) whose layer, `when` and types match decides. Loading checks
//! that every feature of every layer the rules name is decided for every type, so a gap in the
//! table is found when the data is loaded, not when a planner's site happens to fall into it.

use super::{PlanError, Problem, RuleAt};
use crate::data::layer::Layer;
use crate::params::{DEFAULT_RINGS_M, MAX_BUFFER_M};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How strict a decision is; the site's decision is the strictest of its hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The project may be built here.
    Allowed,
    /// It may be built only under the rule's conditions.
    Restricted,
    /// It may not be built here.
    Prohibited,
}

impl Decision {
    /// The name used in files and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Restricted => "restricted",
            Decision::Prohibited => "prohibited",
        }
    }
}

/// A project type.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProjectType {
    /// The type's id (`[a-z0-9_]`, unique), as rules and requests name it.
    pub id: String,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
}

/// One row of the table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub layer: String,
    /// Feature properties that must match (all of them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub when: BTreeMap<String, serde_json::Value>,
    pub types: Vec<String>,
    pub decision: Decision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions_zh: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions_en: Option<String>,
    pub basis: Vec<String>,
}

impl Rule {
    fn matches(
        &self,
        layer: &str,
        props: &serde_json::Map<String, serde_json::Value>,
        ty: &str,
    ) -> bool {
        self.layer == layer
            && self.when.iter().all(|(k, v)| props.get(k) == Some(v))
            && self.types.iter().any(|t| t == ty || t == "*")
    }
}

/// The rules file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// Proximity rings reported when a request asks for rings without listing them, m.
    #[serde(default = "default_rings")]
    pub default_rings_m: Vec<f64>,
    /// The declared project types (`[[type]]`), at least one.
    #[serde(rename = "type", default)]
    pub types: Vec<ProjectType>,
    /// The rules (`[[rule]]`), in file order: the first that matches decides.
    #[serde(rename = "rule", default)]
    pub rules: Vec<Rule>,
}

fn default_rings() -> Vec<f64> {
    DEFAULT_RINGS_M.to_vec()
}

/// A project type the rules file does not declare.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown project type {id:?}; valid types: {}", .valid.join(", "))]
pub struct UnknownProjectType {
    /// The type asked for.
    pub id: String,
    /// The declared types.
    pub valid: Vec<String>,
}

/// The decision on one hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ruling {
    /// Whether the project may be built on this hit.
    pub decision: Decision,
    /// The conditions it must meet, in Chinese (always set when restricted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions_zh: Option<String>,
    /// The conditions it must meet, in English (always set when restricted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions_en: Option<String>,
    /// The clauses the decision rests on (laws, regulations, plan articles).
    pub basis: Vec<String>,
}

impl Rules {
    /// Parses and checks the file against the loaded layers; `file` names it in messages.
    pub fn parse(text: &str, file: &str, layers: &[Layer]) -> Result<Rules, PlanError> {
        let r: Rules = toml::from_str(text).map_err(|e| PlanError::new(file, e.into()))?;
        let bad = |p: Problem| Err(PlanError::new(file, p));
        if r.types.is_empty() {
            return bad(Problem::NoTypes);
        }
        let mut ids = std::collections::BTreeSet::new();
        for t in &r.types {
            let ok = !t.id.is_empty()
                && t.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok || !ids.insert(t.id.as_str()) {
                return bad(Problem::BadTypeId(t.id.clone()));
            }
        }
        for (i, d) in r.default_rings_m.iter().enumerate() {
            if !d.is_finite() || *d < 0.0 || *d > MAX_BUFFER_M {
                return bad(Problem::BadDefaultRing {
                    index: i,
                    value: *d,
                });
            }
        }
        for (i, rule) in r.rules.iter().enumerate() {
            let at = RuleAt {
                rule: i + 1,
                layer: rule.layer.clone(),
            };
            if !layers.iter().any(|l| l.id() == rule.layer) {
                return bad(Problem::RuleUnknownLayer(at));
            }
            if rule.types.is_empty() {
                return bad(Problem::RuleNoTypes(at));
            }
            if let Some(t) = rule
                .types
                .iter()
                .find(|t| *t != "*" && !ids.contains(t.as_str()))
            {
                return bad(Problem::RuleUnknownType { at, ty: t.clone() });
            }
            if rule.basis.iter().all(|b| b.trim().is_empty()) {
                return bad(Problem::RuleNoBasis(at));
            }
            if rule.decision == Decision::Restricted
                && (rule.conditions_zh.is_none() || rule.conditions_en.is_none())
            {
                return bad(Problem::RuleNoConditions(at));
            }
        }
        // Completeness: every feature of every layer the rules name, for every type.
        for layer in layers {
            if !r.rules.iter().any(|x| x.layer == layer.id()) {
                continue;
            }
            for f in &layer.features {
                for t in &r.types {
                    if r.rule_for(layer.id(), &f.properties, &t.id).is_none() {
                        return bad(Problem::Undecided {
                            ty: t.id.clone(),
                            layer: layer.id().to_string(),
                            feature: f.id.clone(),
                            properties: serde_json::Value::Object(f.properties.clone()).to_string(),
                        });
                    }
                }
            }
        }
        Ok(r)
    }

    fn rule_for(
        &self,
        layer: &str,
        props: &serde_json::Map<String, serde_json::Value>,
        ty: &str,
    ) -> Option<&Rule> {
        self.rules.iter().find(|r| r.matches(layer, props, ty))
    }

    /// The type with this id, or an error listing the valid ones.
    pub fn project_type(&self, id: &str) -> Result<&ProjectType, UnknownProjectType> {
        self.types
            .iter()
            .find(|t| t.id == id)
            .ok_or_else(|| UnknownProjectType {
                id: id.to_string(),
                valid: self.types.iter().map(|t| t.id.clone()).collect(),
            })
    }

    /// The ruling on a project of type `ty` meeting a feature of `layer` with `props`.
    pub fn ruling(
        &self,
        layer: &str,
        props: &serde_json::Map<String, serde_json::Value>,
        ty: &str,
    ) -> Option<Ruling> {
        self.rule_for(layer, props, ty).map(|r| Ruling {
            decision: r.decision,
            conditions_zh: r.conditions_zh.clone(),
            conditions_en: r.conditions_en.clone(),
            basis: r.basis.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_order_from_allowed_to_prohibited() {
        assert!(Decision::Prohibited > Decision::Restricted);
        assert!(Decision::Restricted > Decision::Allowed);
        assert_eq!(
            [
                Decision::Restricted,
                Decision::Allowed,
                Decision::Prohibited
            ]
            .into_iter()
            .max(),
            Some(Decision::Prohibited)
        );
    }
}
