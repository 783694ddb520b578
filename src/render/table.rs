//! Tables for people at a terminal: a screening, a year's indicators (city and counties), a
//! series, the layer catalogue; and the CSV of indicators. Chinese and English labels side by
//! side; CJK characters count two columns wide so the columns line up.

use crate::data::plan::rules::Decision;
use crate::data::plan::targets::{AppliedTarget, Status, TargetRule};
use crate::data::Dataset;
use crate::query::catalog::Catalog;
use crate::query::check::Verdict;
use crate::query::indicator::YearIndicators;
use crate::query::screen::{Screened, ScreenedHit};

/// A readable report of one screening (zh + en labels): the site, the verdict and, with a
/// project type, the decision; one row per hit (with its decision when ruled); the rings.
pub fn screening_table(r: &Screened) -> String {
    let mut out = String::new();
    let verdict = match r.verdict {
        Verdict::Conflict => "CONFLICT 冲突",
        Verdict::Near => "NEAR 邻近",
        Verdict::Clear => "CLEAR 无冲突",
    };
    let s = &r.site.summary;
    out.push_str(&format!(
        "site 地块{}: {} · area 面积 {:.1} m² · length 长度 {:.1} m · year {} · buffer {} m\nverdict 结论: {verdict}\n",
        r.id.as_deref().map(|i| format!(" {i}")).unwrap_or_default(),
        s.kind,
        s.area_m2,
        s.length_m,
        r.year,
        r.buffer_m
    ));
    if let (Some(t), Some(d)) = (&r.project_type, r.decision) {
        out.push_str(&format!(
            "decision 审查结论 for {t} ({}): {} {}\n",
            r.project_class.unwrap_or_default().as_str(),
            d.as_str().to_uppercase(),
            decision_zh(d)
        ));
    }
    if !r.counties.is_empty() {
        let c: Vec<String> = r
            .counties
            .iter()
            .map(|c| format!("{} {} {:.1} %", c.county, c.name, c.share * 100.0))
            .collect();
        out.push_str(&format!("county 所在县(市、区): {}\n", c.join(" · ")));
    }
    for o in &r.outside {
        out.push_str(&format!(
            "outside 位于{}之外: {:.1} %{}{}\n",
            o.layer,
            o.outside.ratio * 100.0,
            o.outside
                .area_m2
                .map(|a| format!(" ({a:.1} m²)"))
                .unwrap_or_default(),
            o.ruling
                .as_ref()
                .map(|x| format!(" → {}", x.decision.as_str()))
                .unwrap_or_default()
        ));
    }
    if r.hits.is_empty() {
        out.push_str("no features within the buffer 缓冲范围内无要素\n\n");
        return out;
    }
    let ruled = r.project_type.is_some();
    let mut head = vec![
        "layer 图层".to_string(),
        "id".into(),
        "name 名称".into(),
        "relation 关系".into(),
        "overlap 重叠 m²".into(),
        "share 占比".into(),
        "length 长度 m".into(),
        "distance 距离 m".into(),
    ];
    if ruled {
        head.push("decision 结论".into());
    }
    let mut rows = vec![head];
    let num =
        |v: Option<f64>, p: usize| v.map(|x| format!("{x:.p$}")).unwrap_or_else(|| "-".into());
    for ScreenedHit { hit: h, ruling } in &r.hits {
        let mut row = vec![
            format!("{}{}", h.layer, if h.constraint { " *" } else { "" }),
            h.id.clone(),
            h.name.clone(),
            name_of(h.relation),
            num(h.overlap_area_m2, 1),
            h.overlap_ratio
                .map(|x| format!("{:.2} %", x * 100.0))
                .unwrap_or_else(|| "-".into()),
            num(h.overlap_length_m, 1),
            format!("{:.1}", h.distance_m),
        ];
        if ruled {
            row.push(
                ruling
                    .as_ref()
                    .map(|x| x.decision.as_str().to_string())
                    .unwrap_or_else(|| "-".into()),
            );
        }
        rows.push(row);
    }
    out.push_str(&render(&rows));
    out.push_str("* constraint feature 管控要素\n");
    if let Some(rings) = &r.rings {
        out.push_str("\nproximity rings 邻近范围\n");
        let mut rows = vec![vec![
            "within 范围 m".to_string(),
            "ring area 范围面积 m²".into(),
            "layer 图层".into(),
            "features 要素".into(),
            "area 面积 m² / length 长度 m".into(),
        ]];
        for ring in rings {
            let mut first = true;
            for (layer, l) in &ring.layers {
                rows.push(vec![
                    if first {
                        format!("{:.0}", ring.distance_m)
                    } else {
                        String::new()
                    },
                    if first {
                        format!("{:.0}", ring.ring_area_m2)
                    } else {
                        String::new()
                    },
                    layer.clone(),
                    l.features.to_string(),
                    if l.area_m2 > 0.0 {
                        format!("{:.0}", l.area_m2)
                    } else {
                        format!("{:.0}", l.length_m)
                    },
                ]);
                first = false;
            }
            if first {
                rows.push(vec![
                    format!("{:.0}", ring.distance_m),
                    format!("{:.0}", ring.ring_area_m2),
                    "-".into(),
                    "0".into(),
                    "-".into(),
                ]);
            }
        }
        out.push_str(&render(&rows));
    }
    out.push('\n');
    out
}

/// The serialised (snake_case) name of a unit enum, e.g. `overlaps`, `met`.
pub fn name_of(v: impl serde::Serialize) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn decision_zh(d: Decision) -> &'static str {
    match d {
        Decision::Allowed => "允许",
        Decision::Restricted => "限制（附条件）",
        Decision::Prohibited => "禁止",
    }
}

/// The dataset's layers in a year, as `ecospace layers` prints them.
pub fn catalog_table(c: &Catalog, title_zh: &str, title_en: &str) -> String {
    let mut out = format!(
        "{} — {title_zh} / {title_en} (version {}, year {})\n",
        c.dataset, c.version, c.year
    );
    let mut rows = vec![vec![
        "id".to_string(),
        "名称 title".into(),
        "kind".into(),
        "constraint".into(),
        "features".into(),
        "total".into(),
    ]];
    for l in &c.layers {
        let total = match (l.area_km2, l.length_km) {
            (Some(a), _) => format!("{a:.3} km²"),
            (None, Some(len)) => format!("{len:.3} km"),
            (None, None) => "-".into(),
        };
        rows.push(vec![
            l.id.clone(),
            format!("{} {}", l.title_zh, l.title_en),
            name_of(l.kind),
            match (l.constraint, l.constraint_on.is_some(), l.context) {
                (true, true, _) => "outside".into(),
                (true, false, _) => "yes".into(),
                (false, _, true) => "context".into(),
                _ => "no".into(),
            },
            format!("{} ({} in {})", l.features, l.features_in_year, c.year),
            total,
        ]);
    }
    out.push_str(&render(&rows));
    out
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Met => "met 达标",
        Status::NotMet => "NOT MET 未达标",
        Status::NoTarget => "no target 无目标",
    }
}

fn target_label(t: &AppliedTarget) -> String {
    match t.rule {
        TargetRule::NotReduced => format!(
            "≥ {:.2} (not reduced since {})",
            t.value,
            t.baseline_year.unwrap_or_default()
        ),
        TargetRule::NotIncreased => format!(
            "≤ {:.2} (not enlarged since {})",
            t.value,
            t.baseline_year.unwrap_or_default()
        ),
        TargetRule::AtLeast => format!("≥ {:.2} by {}", t.value, t.year.unwrap_or_default()),
        TargetRule::AtMost => format!("≤ {:.2} by {}", t.value, t.year.unwrap_or_default()),
    }
}

/// A year's indicators as the analyst reads them: city table, then per county.
pub fn indicators_table(ds: &Dataset, y: &YearIndicators) -> String {
    let mut rows = vec![vec![
        "indicator 指标".to_string(),
        "value 数值".into(),
        "numerator / denominator 分子/分母".into(),
        "target 目标".into(),
        "gap 差距".into(),
        "status 状态".into(),
    ]];
    for (id, i) in y.ordered() {
        let v = &i.value;
        let parts = match v.denominator {
            Some(d) => format!("{:.3} / {:.3} {}", v.numerator, d, v.parts_unit),
            None => match &v.by {
                Some(by) => {
                    let key = spec_by(ds, id);
                    let split: Vec<String> = by
                        .iter()
                        .map(|(k, a)| format!("{key} {k}: {a:.3}"))
                        .collect();
                    format!("{:.3} {} ({})", v.numerator, v.parts_unit, split.join(", "))
                }
                None => format!("{:.3} {}", v.numerator, v.parts_unit),
            },
        };
        rows.push(vec![
            format!("{} {}", i.title_zh, i.title_en),
            format!("{:.2} {}", v.value, v.unit),
            parts,
            i.target
                .as_ref()
                .map(target_label)
                .unwrap_or_else(|| "-".into()),
            i.gap
                .map(|g| format!("{:+.2}", no_negative_zero(g)))
                .unwrap_or_else(|| "-".into()),
            status_label(i.status).into(),
        ]);
    }
    let mut out = format!(
        "{} indicators 指标 {} (data {})\n",
        ds.manifest.title_zh, y.year, ds.version
    );
    out.push_str(&render(&rows));
    let ids: Vec<&String> = y.ordered().map(|(id, _)| id).collect();
    let mut rows = vec![std::iter::once("county 县(市、区)".to_string())
        .chain(ids.iter().copied().cloned())
        .collect::<Vec<_>>()];
    for (county, m) in &y.by_county_detail {
        let name = ds
            .manifest
            .counties
            .get(county)
            .map(|n| format!("{county} {n}"))
            .unwrap_or_else(|| county.clone());
        rows.push(
            std::iter::once(name)
                .chain(ids.iter().map(|id| {
                    m.get(*id)
                        .map(|v| format!("{:.2}", no_negative_zero(v.value)))
                        .unwrap_or_else(|| "-".into())
                }))
                .collect(),
        );
    }
    out.push_str("\nby county 分县 (km² for areas, % for shares)\n");
    out.push_str(&render(&rows));
    out
}

/// Rounds to the two decimals shown, so -0.000001 prints as 0.00, not -0.00.
fn no_negative_zero(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

fn spec_by(ds: &Dataset, id: &str) -> String {
    ds.indicators
        .iter()
        .find(|s| s.id == id)
        .and_then(|s| s.by.clone())
        .unwrap_or_default()
}

/// A series: indicators down, years across.
pub fn series_table(years: &[std::sync::Arc<YearIndicators>]) -> String {
    let mut rows = vec![std::iter::once("indicator 指标".to_string())
        .chain(years.iter().map(|y| y.year.to_string()))
        .collect::<Vec<_>>()];
    if let Some(first) = years.first() {
        for (id, i) in first.ordered() {
            let mut row = vec![format!("{} {} ({})", i.title_zh, i.title_en, i.value.unit)];
            for y in years {
                row.push(
                    y.indicators
                        .get(id)
                        .map(|i| {
                            format!(
                                "{:.2}{}",
                                i.value.value,
                                if i.status == Status::NotMet { "!" } else { "" }
                            )
                        })
                        .unwrap_or_else(|| "-".into()),
                );
            }
            rows.push(row);
        }
    }
    render(&rows) + "! = below its target 未达目标\n"
}

/// CSV, one row per (year, scope, indicator); scope is `city` or a county adcode.
pub fn indicators_csv(years: &[std::sync::Arc<YearIndicators>]) -> String {
    let mut out =
        String::from("year,scope,indicator,value,unit,numerator,denominator,target,gap,status\n");
    let f = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for y in years {
        for (id, i) in &y.indicators {
            let status = serde_json::to_value(i.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            out.push_str(&format!(
                "{},city,{id},{},{},{},{},{},{},{status}\n",
                y.year,
                i.value.value,
                i.value.unit,
                i.value.numerator,
                f(i.value.denominator),
                f(i.target.as_ref().map(|t| t.value)),
                f(i.gap)
            ));
        }
        for (county, m) in &y.by_county_detail {
            for (id, v) in m {
                out.push_str(&format!(
                    "{},{county},{id},{},{},{},{},,,\n",
                    y.year,
                    v.value,
                    v.unit,
                    v.numerator,
                    f(v.denominator)
                ));
            }
        }
    }
    out
}

/// Display width: CJK and full-width characters take two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

pub fn render(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| width(s))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(c, s)| format!("{s}{}", " ".repeat(widths[c] - width(s))))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(
                &widths
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("  "),
            );
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn cjk_counts_double() {
        assert_eq!(super::width("红线ab"), 6);
        let t = super::render(&[
            vec!["名称".into(), "x".into()],
            vec!["ab".into(), "y".into()],
        ]);
        assert_eq!(t, "名称  x\n----  -\nab    y\n");
    }
}
