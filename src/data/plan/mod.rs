//! The plan as typed tables: indicator definitions ([`indicators`]), targets ([`targets`]) and the
//! decision table of project types on protected land ([`rules`]). Each is parsed from the TOML
//! file the manifest names and checked against the layers when the data loads, so a mistake in a
//! table is found then, named with its file, not when a planner's question runs into it.

pub mod indicators;
pub mod rules;
pub mod targets;

/// Where in the rules file a rule stands (1-based) and the layer it names.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleAt {
    /// Position of the rule in the file, from 1.
    pub rule: usize,
    /// The layer the rule names.
    pub layer: String,
}

impl std::fmt::Display for RuleAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rule {} (layer {:?})", self.rule, self.layer)
    }
}

/// A plan file that cannot be used, and why; nothing is loaded from a dataset with one.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct PlanError {
    /// The file, as the manifest names it.
    pub file: String,
    /// What is wrong in it.
    pub problem: Problem,
}

impl PlanError {
    pub(crate) fn new(file: &str, problem: Problem) -> Self {
        PlanError {
            file: file.to_string(),
            problem,
        }
    }
}

/// What is wrong in a plan file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// Not TOML, or not the schema (unknown keys are refused).
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    /// An indicator names a layer the manifest lacks.
    #[error("indicator {indicator:?} names unknown layer {layer:?}")]
    UnknownLayer {
        /// The indicator's id.
        indicator: String,
        /// The layer it names.
        layer: String,
    },
    /// An indicator's measure does not fit its layer's kind.
    #[error("indicator {indicator:?}: union_area needs a zone layer; length_share needs a line layer and a numerator")]
    MeasureMismatch {
        /// The indicator's id.
        indicator: String,
    },
    /// A target lacks its year, or has a value or tolerance that is not a number.
    #[error("target for {indicator:?}: not_reduced needs baseline_year, at_least/at_most need year; value and tolerance must be finite, tolerance ≥ 0")]
    BadTarget {
        /// The indicator the target is for.
        indicator: String,
    },
    /// A rules file without project types.
    #[error("no [[type]] entries")]
    NoTypes,
    /// A project type id that is empty, repeated or not `[a-z0-9_]`.
    #[error("type id {0:?} must be unique and [a-z0-9_]")]
    BadTypeId(String),
    /// A default ring distance out of range.
    #[error("default_rings_m[{index}] = {value} is not 0..=100000 m")]
    BadDefaultRing {
        /// Its position in the list, from 0.
        index: usize,
        /// The distance given.
        value: f64,
    },
    /// A rule names a layer the manifest lacks.
    #[error("{0}: no such layer in the manifest")]
    RuleUnknownLayer(RuleAt),
    /// A rule for no project type.
    #[error("{0}: `types` is empty")]
    RuleNoTypes(RuleAt),
    /// A rule for a type no `[[type]]` declares.
    #[error("{at}: unknown type {ty:?} (declare it as a [[type]])")]
    RuleUnknownType {
        /// The rule.
        at: RuleAt,
        /// The undeclared type.
        ty: String,
    },
    /// A rule that cites no regulation.
    #[error("{0}: `basis` must cite at least one regulation")]
    RuleNoBasis(RuleAt),
    /// A restricted decision without its conditions in both languages.
    #[error("{0}: a restricted decision needs conditions_zh and conditions_en")]
    RuleNoConditions(RuleAt),
    /// An `outside` rule on a layer whose constraint is not its outside, or with `when` keys.
    #[error(
        "{0}: `where = \"outside\"` needs a layer with constraint_on = \"outside\" and no `when`"
    )]
    RuleBadOutside(RuleAt),
    /// An outside-constraint layer on which no outside rule decides some type and class.
    #[error("no `where = \"outside\"` rule decides type {ty:?} class {class:?} outside layer {layer:?}; add one, or a [\"*\"] rule")]
    UndecidedOutside {
        /// The project type.
        ty: String,
        /// The project class.
        class: &'static str,
        /// The layer.
        layer: String,
    },
    /// A feature that no rule decides for some project type: a hole in the table.
    #[error("no rule decides type {ty:?} class {class:?} on layer {layer:?} feature {feature:?} (properties {properties}); add one, or a [\"*\"] rule for the layer")]
    Undecided {
        /// The project type.
        ty: String,
        /// The project class.
        class: &'static str,
        /// The layer.
        layer: String,
        /// The feature's id (boxed, like the properties: errors stay small to return).
        feature: Box<str>,
        /// The feature's properties, as JSON.
        properties: Box<str>,
    },
}
