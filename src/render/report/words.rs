//! The words of the report, in Chinese or English: labels, relations, decisions, and areas and
//! lengths in the units a planner reads (m², 公顷/ha, km²).

use crate::data::plan::rules::Decision;
use crate::params::QueryError;
use crate::query::check::Relation;

/// Language of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Chinese.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// `zh` (or `zh-CN`) or `en`.
    pub fn parse(s: &str) -> Result<Lang, QueryError> {
        match s {
            "zh" | "zh-CN" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            other => Err(QueryError::param(
                "lang",
                format!("{other:?}: use zh or en"),
            )),
        }
    }
    pub(super) fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

pub(super) fn fmt_m2(a: f64, lang: Lang) -> String {
    if a >= 1e6 {
        format!("{:.3} km²", a / 1e6)
    } else if a >= 1e4 {
        format!("{:.0} m² ({:.2} {})", a, a / 1e4, lang.t("公顷", "ha"))
    } else {
        format!("{a:.1} m²")
    }
}

pub(super) fn fmt_m(d: f64) -> String {
    if d >= 1000.0 {
        format!("{:.2} km", d / 1000.0)
    } else {
        format!("{d:.1} m")
    }
}

pub(super) fn relation(r: Relation, lang: Lang) -> &'static str {
    match r {
        Relation::Within => lang.t("位于其内", "within"),
        Relation::Contains => lang.t("包含", "contains"),
        Relation::Overlaps => lang.t("部分重叠", "overlaps"),
        Relation::Crosses => lang.t("穿越", "crosses"),
        Relation::Touches => lang.t("边界相接", "touches"),
        Relation::Near => lang.t("邻近", "near"),
    }
}

pub(super) fn decision(d: Decision, lang: Lang) -> &'static str {
    match d {
        Decision::Prohibited => lang.t("禁止", "prohibited"),
        Decision::Restricted => lang.t("限制（有条件）", "restricted (conditional)"),
        Decision::Allowed => lang.t("允许", "allowed"),
    }
}
