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
//! The first rule (in file order) whose layer, `when`, types and `classes` (the project class:
//! ordinary, provincial_key, national_key; all when absent) match decides. A rule with
//! `where = "outside"` rules the part of a site outside a layer whose constraint is its outside
//! (the urban development boundary): it fires when the site is not wholly within the layer.
//! Loading checks that every feature of every layer the rules name is decided for every type
//! and class (and every outside layer's outside likewise), so a gap in the table is found when
//! the data is loaded, not when a planner's site happens to fall into it.

use super::{PlanError, Problem, RuleAt};
use crate::data::layer::Layer;
use crate::data::manifest::ConstraintOn;
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

/// The class of a project: rules may grant key projects exceptions (土地管理法 art. 35 for
/// farmland, 自然资发〔2022〕142号 for the red line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProjectClass {
    /// An ordinary project (一般项目).
    #[default]
    Ordinary,
    /// A provincial key project (省重点建设项目).
    ProvincialKey,
    /// A national key project (国家重大项目).
    NationalKey,
}

impl ProjectClass {
    /// Every class, in order.
    pub const ALL: [ProjectClass; 3] = [
        ProjectClass::Ordinary,
        ProjectClass::ProvincialKey,
        ProjectClass::NationalKey,
    ];

    /// The name used in requests, files and answers.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectClass::Ordinary => "ordinary",
            ProjectClass::ProvincialKey => "provincial_key",
            ProjectClass::NationalKey => "national_key",
        }
    }
}

/// A project class that is not one of the three.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("unknown project class {0:?}; valid classes: ordinary, provincial_key, national_key")]
pub struct UnknownProjectClass(pub String);

impl std::str::FromStr for ProjectClass {
    type Err = UnknownProjectClass;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProjectClass::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownProjectClass(s.to_string()))
    }
}

/// Which side of a layer a rule rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RuleWhere {
    /// Where the site's interior meets a feature (the default).
    #[default]
    Inside,
    /// The part of the site outside all the layer's zones.
    Outside,
}

impl RuleWhere {
    fn is_inside(&self) -> bool {
        *self == RuleWhere::Inside
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
    /// Project classes the rule is for (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<ProjectClass>,
    /// `outside`: rules the part of the site outside the layer (default `inside`).
    #[serde(
        default,
        rename = "where",
        skip_serializing_if = "RuleWhere::is_inside"
    )]
    pub place: RuleWhere,
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
        class: ProjectClass,
    ) -> bool {
        self.place == RuleWhere::Inside
            && self.matches_outside(layer, ty, class)
            && self.when.iter().all(|(k, v)| props.get(k) == Some(v))
    }

    /// Layer, type and class match (the side is the caller's to check).
    fn matches_outside(&self, layer: &str, ty: &str, class: ProjectClass) -> bool {
        self.layer == layer
            && self.types.iter().any(|t| t == ty || t == "*")
            && (self.classes.is_empty() || self.classes.contains(&class))
    }

    fn ruling(&self) -> Ruling {
        Ruling {
            decision: self.decision,
            conditions_zh: self.conditions_zh.clone(),
            conditions_en: self.conditions_en.clone(),
            basis: self.basis.clone(),
        }
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
            let Some(layer) = layers.iter().find(|l| l.id() == rule.layer) else {
                return bad(Problem::RuleUnknownLayer(at));
            };
            let outside_layer =
                layer.spec.constraint && layer.spec.constraint_on == ConstraintOn::Outside;
            if rule.place == RuleWhere::Outside && (!outside_layer || !rule.when.is_empty()) {
                return bad(Problem::RuleBadOutside(at));
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
        // Completeness: every feature of every layer the inside rules name, and the outside of
        // every layer the outside rules name, for every type and class.
        for layer in layers {
            let named = |p: RuleWhere| {
                r.rules
                    .iter()
                    .any(|x| x.layer == layer.id() && x.place == p)
            };
            let (inside, outside) = (named(RuleWhere::Inside), named(RuleWhere::Outside));
            if !inside && !outside {
                continue;
            }
            for t in &r.types {
                for class in ProjectClass::ALL {
                    if outside && r.outside_rule(layer.id(), &t.id, class).is_none() {
                        return bad(Problem::UndecidedOutside {
                            ty: t.id.clone(),
                            class: class.as_str(),
                            layer: layer.id().to_string(),
                        });
                    }
                    if !inside {
                        continue;
                    }
                    for f in &layer.features {
                        if r.rule_for(layer.id(), &f.properties, &t.id, class)
                            .is_none()
                        {
                            return bad(Problem::Undecided {
                                ty: t.id.clone(),
                                class: class.as_str(),
                                layer: layer.id().to_string(),
                                feature: f.id.as_str().into(),
                                properties: serde_json::Value::Object(f.properties.clone())
                                    .to_string()
                                    .into(),
                            });
                        }
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
        class: ProjectClass,
    ) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.matches(layer, props, ty, class))
    }

    fn outside_rule(&self, layer: &str, ty: &str, class: ProjectClass) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.place == RuleWhere::Outside && r.matches_outside(layer, ty, class))
    }

    /// The ruling on a project of type `ty` and `class` lying partly outside `layer` (an
    /// outside-constraint layer), if the rules say anything about it.
    pub fn outside_ruling(&self, layer: &str, ty: &str, class: ProjectClass) -> Option<Ruling> {
        self.outside_rule(layer, ty, class).map(Rule::ruling)
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

    /// The ruling on a project of type `ty` and `class` meeting a feature of `layer` with
    /// `props`.
    pub fn ruling(
        &self,
        layer: &str,
        props: &serde_json::Map<String, serde_json::Value>,
        ty: &str,
        class: ProjectClass,
    ) -> Option<Ruling> {
        self.rule_for(layer, props, ty, class).map(Rule::ruling)
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
