//! The words of the report, in Chinese or English: labels, relations, decisions, and areas and
//! lengths in the units a planner reads (m², 公顷/ha, km²).

use crate::data::plan::rules::Decision;
use crate::params::QueryError;
use crate::query::check::Relation;

/// Language of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(rename_all = "lowercase"))]
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

/// A zone's protection `level` (drinking-water source zones: 1 一级, 2 二级, 3 准保护区).
pub(super) fn level_name(level: i64, lang: Lang) -> String {
    match level {
        1 => lang.t("一级保护区", "level 1 zone").into(),
        2 => lang.t("二级保护区", "level 2 zone").into(),
        3 => lang.t("准保护区", "quasi-protection zone (level 3)").into(),
        n => match lang {
            Lang::Zh => format!("{n} 级"),
            Lang::En => format!("level {n}"),
        },
    }
}

/// A measure whose number and unit never part at a line end ("0.0 m", "12 m² (0.1 ha)" keeps
/// "12 m²" and "(0.1 ha)" whole): spaces inside each part become no-break spaces.
pub(super) fn unbroken(s: &str) -> String {
    s.split(" (")
        .map(|p| p.replace(' ', "\u{a0}"))
        .collect::<Vec<_>>()
        .join(" (")
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
