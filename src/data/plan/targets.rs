//! The plan's targets, as data: which rule applies to an indicator in a year, and whether the
//! measured value meets it.

use super::{PlanError, Problem};
use serde::{Deserialize, Serialize};

/// How a target is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TargetRule {
    /// Must not fall below the baseline value (applies from `baseline_year` on).
    NotReduced,
    /// Must not rise above the baseline value (applies from `baseline_year` on): the urban
    /// development boundary's "边界不突破".
    NotIncreased,
    /// Must reach at least `value` by `year` (a milestone).
    AtLeast,
    /// Must stay at most `value` by `year`.
    AtMost,
}

/// One target line of `targets.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    pub indicator: String,
    pub rule: TargetRule,
    /// The plan's figure. A `not_reduced` / `not_increased` target may leave it out when the
    /// plan gives none ("/"): the indicator measured in `baseline_year` is then the value.
    #[serde(default)]
    pub value: Option<f64>,
    /// Milestone year for `at_least` / `at_most`.
    #[serde(default)]
    pub year: Option<i32>,
    /// Year of the baseline for `not_reduced`.
    #[serde(default)]
    pub baseline_year: Option<i32>,
    /// Slack for rounding: the plan publishes two decimals, so 0.005 by default.
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    /// Where the target comes from (plan table and line).
    pub source: String,
}

fn default_tolerance() -> f64 {
    0.005
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    #[serde(rename = "target", default)]
    targets: Vec<TargetSpec>,
}

/// All targets of a dataset.
#[derive(Debug, Clone, Default)]
pub struct Targets(pub Vec<TargetSpec>);

/// The target that applies to a value, as reported with it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppliedTarget {
    pub rule: TargetRule,
    pub value: f64,
    /// True when `value` is the indicator measured in `baseline_year` (the plan gives no figure).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub measured: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_year: Option<i32>,
    pub source: String,
    #[serde(skip)]
    pub tolerance: f64,
}

/// Whether the value meets its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The value meets its target (within the tolerance).
    Met,
    /// The value misses its target by more than the tolerance.
    NotMet,
    /// No target applies to the indicator in this year.
    NoTarget,
}

impl Targets {
    /// Parses a targets file; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Targets, PlanError> {
        let f: TargetFile = toml::from_str(text).map_err(|e| PlanError::new(file, e.into()))?;
        for t in &f.targets {
            let ok = match t.rule {
                TargetRule::NotReduced | TargetRule::NotIncreased => t.baseline_year.is_some(),
                TargetRule::AtLeast | TargetRule::AtMost => t.year.is_some() && t.value.is_some(),
            };
            if !ok
                || !t.value.is_none_or(f64::is_finite)
                || !t.tolerance.is_finite()
                || t.tolerance < 0.0
            {
                return Err(PlanError::new(
                    file,
                    Problem::BadTarget {
                        indicator: t.indicator.clone(),
                    },
                ));
            }
        }
        Ok(Targets(f.targets))
    }

    /// The target that applies to `indicator` in `year`; `baseline` measures the indicator in a
    /// year, for targets whose value is the baseline year's measure.
    ///
    /// A `not_reduced` rule applies from its baseline year on. Among milestones, the next one
    /// due (the first whose year is ≥ `year`) applies; after the last milestone it keeps
    /// applying. When both kinds exist the milestone wins, as the more specific promise.
    pub fn applicable(
        &self,
        indicator: &str,
        year: i32,
        baseline: impl FnOnce(i32) -> f64,
    ) -> Option<AppliedTarget> {
        let mine: Vec<&TargetSpec> = self.0.iter().filter(|t| t.indicator == indicator).collect();
        let mut milestones: Vec<&&TargetSpec> = mine.iter().filter(|t| t.year.is_some()).collect();
        milestones.sort_by_key(|t| t.year);
        let chosen = milestones
            .iter()
            .find(|t| t.year.is_some_and(|y| y >= year))
            .or(milestones.last())
            .map(|t| **t)
            .or_else(|| {
                mine.iter()
                    .filter(|t| {
                        matches!(t.rule, TargetRule::NotReduced | TargetRule::NotIncreased)
                            && t.baseline_year.is_some_and(|b| b <= year)
                    })
                    .max_by_key(|t| t.baseline_year)
                    .copied()
            })?;
        let (value, measured) = match (chosen.value, chosen.baseline_year) {
            (Some(v), _) => (v, false),
            (None, Some(b)) => (baseline(b), true),
            (None, None) => return None,
        };
        Some(AppliedTarget {
            rule: chosen.rule,
            value,
            measured,
            year: chosen.year,
            baseline_year: chosen.baseline_year,
            source: chosen.source.clone(),
            tolerance: chosen.tolerance,
        })
    }
}

/// Gap (value − target) and status of a value against its target.
pub fn evaluate(target: Option<&AppliedTarget>, value: f64) -> (Option<f64>, Status) {
    let Some(t) = target else {
        return (None, Status::NoTarget);
    };
    let gap = value - t.value;
    let met = match t.rule {
        TargetRule::NotReduced | TargetRule::AtLeast => gap >= -t.tolerance,
        TargetRule::AtMost | TargetRule::NotIncreased => gap <= t.tolerance,
    };
    (Some(gap), if met { Status::Met } else { Status::NotMet })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"
[[target]]
indicator = "shore"
rule = "at_least"
value = 22.53
year = 2020
source = "table 2, line 25"
[[target]]
indicator = "shore"
rule = "at_least"
value = 25.0
year = 2025
source = "table 2, line 25"
[[target]]
indicator = "red"
rule = "not_reduced"
value = 108.80
baseline_year = 2018
source = "table 2, line 22"
"#;

    fn no_baseline(_: i32) -> f64 {
        panic!("these targets carry their values")
    }

    #[test]
    fn a_target_without_a_figure_takes_the_measured_baseline_and_not_increased_caps_it() {
        let t = Targets::parse(
            "[[target]]\nindicator = \"urban\"\nrule = \"not_increased\"\nbaseline_year = 2018\nsource = \"table 2, line 22\"\n",
            "targets.toml",
        )
        .unwrap();
        let mut asked = None;
        let a = t
            .applicable("urban", 2025, |y| {
                asked = Some(y);
                397.5
            })
            .unwrap();
        assert_eq!((asked, a.value, a.measured), (Some(2018), 397.5, true));
        assert_eq!(evaluate(Some(&a), 397.504).1, Status::Met, "within 0.005");
        assert_eq!(evaluate(Some(&a), 397.51).1, Status::NotMet, "enlarged");
        assert_eq!(evaluate(Some(&a), 300.0).1, Status::Met, "smaller is fine");
    }

    #[test]
    fn the_next_milestone_applies_and_the_last_one_keeps_applying() {
        let t = Targets::parse(T, "targets.toml").unwrap();
        assert_eq!(
            t.applicable("shore", 2018, no_baseline).unwrap().value,
            22.53
        );
        assert_eq!(
            t.applicable("shore", 2020, no_baseline).unwrap().value,
            22.53
        );
        assert_eq!(
            t.applicable("shore", 2021, no_baseline).unwrap().value,
            25.0
        );
        assert_eq!(
            t.applicable("shore", 2030, no_baseline).unwrap().value,
            25.0
        );
        assert!(
            t.applicable("red", 2017, no_baseline).is_none(),
            "before its baseline"
        );
        assert_eq!(
            t.applicable("red", 2025, no_baseline).unwrap().rule,
            TargetRule::NotReduced
        );
        assert!(t.applicable("other", 2025, no_baseline).is_none());
    }

    #[test]
    fn status_honours_rule_and_rounding_slack() {
        let t = Targets::parse(T, "targets.toml").unwrap();
        let red = t.applicable("red", 2020, no_baseline);
        assert_eq!(
            evaluate(red.as_ref(), 108.796).1,
            Status::Met,
            "within 0.005"
        );
        assert_eq!(evaluate(red.as_ref(), 108.79).1, Status::NotMet);
        let (gap, s) = evaluate(t.applicable("shore", 2022, no_baseline).as_ref(), 24.78);
        assert_eq!(s, Status::NotMet);
        assert!((gap.unwrap() + 0.22).abs() < 1e-12);
        assert_eq!(evaluate(None, 1.0).1, Status::NoTarget);
    }

    #[test]
    fn refuses_incomplete_targets() {
        let bad = T.replace("baseline_year = 2018\n", "");
        let e = Targets::parse(&bad, "targets.toml").unwrap_err();
        assert!(matches!(e.problem, Problem::BadTarget { .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with("targets.toml: target for \"red\""),
            "{e}"
        );
        assert!(e.to_string().contains("baseline_year"), "{e}");
    }
}
