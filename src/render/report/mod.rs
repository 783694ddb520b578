//! The printable screening report: one self-contained HTML page a planner can file.
//!
//! Everything is drawn on the server — the map is inline SVG in a metric frame centred on the
//! site, so it prints, archives and opens offline without JavaScript or tiles. The page names
//! the data version and a digest of the request, so the same answer can be asked for again.

use super::escape::esc;
use crate::data::hash::Fnv1a;
use crate::data::plan::rules::ProjectClass;
use crate::data::Dataset;
use crate::params::now_rfc3339;
use crate::query::check::Verdict;
use crate::query::screen::{Screened, ScreenedHit};
use geo::Geometry;
use words::{decision, fmt_m, fmt_m2, relation, unbroken};

pub use words::Lang;

mod map;
mod paint;
mod words;
use std::fmt::Write;

/// A digest of what was asked: the site as sent plus every option, so a report can be matched
/// to the request that reproduces it (FNV-1a 64: an identity, not a signature).
pub fn request_digest(body: &[u8], r: &Screened) -> String {
    let mut h = Fnv1a::default();
    h.write(body);
    let opts = format!(
        "year={};buffer_m={};type={};rings={:?}",
        r.year,
        r.buffer_m,
        r.project_type.as_deref().unwrap_or(""),
        r.rings
            .as_ref()
            .map(|v| v.iter().map(|x| x.distance_m).collect::<Vec<_>>())
    );
    h.write(opts.as_bytes());
    format!("{:016x}", h.0)
}

/// The whole page.
pub fn html(
    ds: &Dataset,
    site: &Geometry,
    r: &Screened,
    request_body: &[u8],
    lang: Lang,
) -> String {
    let t = |zh, en| lang.t(zh, en);
    let title_of = |layer: &str| {
        ds.manifest
            .layer(layer)
            .map(|l| match lang {
                Lang::Zh => l.title_zh.clone(),
                Lang::En => l.title_en.clone(),
            })
            .unwrap_or_else(|| layer.to_string())
    };
    let type_title = r.project_type.as_deref().map(|ty| {
        ds.rules
            .as_ref()
            .and_then(|rules| rules.project_type(ty).ok())
            .map(|p| match lang {
                Lang::Zh => format!("{} ({})", p.title_zh, p.id),
                Lang::En => format!("{} ({})", p.title_en, p.id),
            })
            .unwrap_or_else(|| ty.to_string())
    });
    let verdict = match r.verdict {
        Verdict::Conflict => t(
            "冲突：地块进入或接触管控空间，或位于城镇开发边界之外",
            "Conflict: the site enters or touches a constraint, or lies outside the urban development boundary",
        ),
        Verdict::Near => t(
            "邻近：缓冲范围内有管控空间",
            "Near: a constraint within the buffer",
        ),
        Verdict::Clear => t("无冲突", "Clear"),
    };
    let mut h = String::new();
    let lang_attr = t("zh-CN", "en");
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="{lang_attr}"><head><meta charset="utf-8"><title>{}</title><style>{CSS}</style></head><body>"#,
        esc(t(
            "生态空间合规性审查报告",
            "Ecological-space screening report"
        ))
    );
    let _ = write!(
        h,
        r#"<header><h1>{}</h1><p class="sub">{} · {}</p></header>"#,
        esc(t(
            "生态空间合规性审查报告",
            "Ecological-space screening report"
        )),
        esc(match lang {
            Lang::Zh => &ds.manifest.title_zh,
            Lang::En => &ds.manifest.title_en,
        }),
        esc(t(
            "示意数据，非法定依据",
            "illustrative data, not a legal basis"
        ))
    );
    // Facts of the request.
    let _ = write!(h, r#"<table class="facts"><tbody>"#);
    let mut fact = |k: &str, v: String| {
        let _ = write!(h, "<tr><th>{}</th><td>{}</td></tr>", esc(k), v);
    };
    if let Some(id) = &r.id {
        fact(t("地块编号", "Site id"), esc(id));
    }
    fact(
        t("地块", "Site"),
        format!(
            "{} · {} {} · {} {}",
            esc(r.site.summary.kind),
            t("面积", "area"),
            esc(&fmt_m2(r.site.summary.area_m2, lang)),
            t("周长/长度", "perimeter/length"),
            esc(&fmt_m(r.site.summary.length_m))
        ),
    );
    // Where the site is, in lon/lat and — when it was sent in another CRS (GCJ-02 from an Amap
    // drawing, a Gauss-Krüger DXF) — in that CRS too, so the printout can be laid on either map.
    let b = r.site.summary.bbox;
    fact(
        t("范围 (CGCS2000 经纬度)", "Extent (CGCS2000 lon/lat)"),
        esc(&format!(
            "{:.6}, {:.6} – {:.6}, {:.6}",
            b[0], b[1], b[2], b[3]
        )),
    );
    if let Some(c) = &r.site.bbox_in_crs {
        let b = c.bbox;
        fact(
            &format!("{} ({})", t("范围", "Extent"), c.crs),
            esc(&format!(
                "{:.6}, {:.6} – {:.6}, {:.6}",
                b[0], b[1], b[2], b[3]
            )),
        );
    }
    if let Some(tt) = &type_title {
        fact(t("项目类型", "Project type"), esc(tt));
    }
    if let Some(c) = r.project_class {
        let name = match c {
            ProjectClass::Ordinary => t("一般项目", "ordinary"),
            ProjectClass::ProvincialKey => t("省重点建设项目", "provincial key project"),
            ProjectClass::NationalKey => t("国家重大项目", "national key project"),
        };
        fact(
            t("项目类别", "Project class"),
            format!("{} ({})", esc(name), esc(c.as_str())),
        );
    }
    if !r.counties.is_empty() {
        let names: Vec<String> = r
            .counties
            .iter()
            .map(|c| format!("{} {:.1} %", esc(&c.name), c.share * 100.0))
            .collect();
        fact(t("所在县（市、区）", "County"), names.join(" · "));
    }
    for o in &r.outside {
        let ruling = o
            .ruling
            .as_ref()
            .map(|x| format!(" · {}", decision(x.decision, lang)))
            .unwrap_or_default();
        fact(
            &format!("{} {}", t("位于之外：", "Outside:"), title_of(&o.layer)),
            format!("{:.1} %{}", o.outside.ratio * 100.0, esc(&ruling)),
        );
    }
    fact(t("数据年份", "Year of the layers"), r.year.to_string());
    fact(t("缓冲距离", "Buffer"), esc(&fmt_m(r.buffer_m)));
    fact(
        t("数据版本", "Data version"),
        format!("<code>{}</code>", esc(&ds.version)),
    );
    fact(
        t("请求摘要 (FNV-1a 64)", "Request digest (FNV-1a 64)"),
        format!(
            "<code class=\"digest\">{}</code>",
            request_digest(request_body, r)
        ),
    );
    fact(t("生成时间", "Generated"), esc(&now_rfc3339()));
    h.push_str("</tbody></table>");
    // The answer.
    let (class, dec) = match r.decision {
        Some(d) => (
            d.as_str(),
            format!("{}: {}", t("审查结论", "Decision"), decision(d, lang)),
        ),
        None => (
            "none",
            t(
                "未指定项目类型，仅列出空间关系",
                "No project type given: spatial relations only",
            )
            .to_string(),
        ),
    };
    let _ = write!(
        h,
        r#"<section class="answer {class}"><p class="decision">{}</p><p class="verdict">{}</p></section>"#,
        esc(&dec),
        esc(verdict)
    );
    // Map + legend: one entry per kind of shape the map drew, as the map returns them.
    let drawn = map::map_svg(ds, site, r, lang);
    let legend: String = drawn
        .legend
        .iter()
        .map(|k| {
            format!(
                r#"<li data-legend="{}"><span class="sw" style="{}"></span>{}</li>"#,
                esc(&k.id),
                esc(&k.swatch),
                esc(&k.label)
            )
        })
        .collect();
    let _ = write!(
        h,
        r#"<section class="mapbox"><h2>{}</h2>{}<ul class="legend">{legend}</ul></section>"#,
        esc(t("位置图", "Map")),
        drawn.svg,
    );
    // Hits.
    let _ = write!(
        h,
        r#"<section class="with-table"><h2>{}</h2>"#,
        esc(t("涉及的生态空间要素", "Protected features met or near"))
    );
    if r.hits.is_empty() {
        let _ = write!(
            h,
            "<p>{}</p>",
            esc(t("缓冲范围内无要素。", "No features within the buffer."))
        );
    } else {
        let _ = write!(
            h,
            r#"<table class="hits"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
            t("图层", "Layer"),
            t("名称", "Name"),
            t("关系", "Relation"),
            t("重叠面积", "Overlap"),
            t("占地块比例", "Share of site"),
            t("距离", "Distance"),
            t("审查意见", "Decision"),
        );
        for ScreenedHit { hit, ruling } in &r.hits {
            let overlap = hit
                .overlap_area_m2
                .map(|a| fmt_m2(a, lang))
                .or(hit.overlap_length_m.map(fmt_m))
                .unwrap_or_else(|| "–".into());
            let share = hit
                .overlap_ratio
                .map(|x| format!("{:.2} %", x * 100.0))
                .unwrap_or_else(|| "–".into());
            let dec = ruling
                .as_ref()
                .map(|x| {
                    format!(
                        r#"<span class="d {}">{}</span>"#,
                        x.decision.as_str(),
                        esc(decision(x.decision, lang))
                    )
                })
                .unwrap_or_else(|| "–".into());
            let _ = write!(
                h,
                r#"<tr class="hit" data-layer="{}"><td>{}</td><td>{}</td><td class="rel">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num distance">{}</td><td>{}</td></tr>"#,
                esc(&hit.layer),
                esc(&title_of(&hit.layer)),
                esc(&hit.name),
                esc(relation(hit.relation, lang)),
                esc(&unbroken(&overlap)),
                esc(&unbroken(&share)),
                esc(&unbroken(&fmt_m(hit.distance_m))),
                dec
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>");
    // Rulings with their basis.
    let ruled: Vec<_> = r.hits.iter().filter(|x| x.ruling.is_some()).collect();
    if !ruled.is_empty() {
        let _ = write!(
            h,
            r#"<section><h2>{}</h2><ol class="rulings">"#,
            esc(t("审查意见及依据", "Decisions and their basis"))
        );
        for ScreenedHit { hit, ruling } in ruled {
            let Some(x) = ruling else { continue };
            let cond = match lang {
                Lang::Zh => x.conditions_zh.as_deref(),
                Lang::En => x.conditions_en.as_deref(),
            };
            let _ = write!(
                h,
                r#"<li><p><strong>{} · {}</strong>: <span class="d {}">{}</span></p>{}<ul class="basis">{}</ul></li>"#,
                esc(&title_of(&hit.layer)),
                esc(&hit.name),
                x.decision.as_str(),
                esc(decision(x.decision, lang)),
                cond.map(|c| format!(
                    "<p class=\"cond\">{}: {}</p>",
                    esc(t("条件", "Conditions")),
                    esc(c)
                ))
                .unwrap_or_default(),
                x.basis
                    .iter()
                    .map(|b| format!("<li>{}</li>", esc(b)))
                    .collect::<String>()
            );
        }
        h.push_str("</ol></section>");
    }
    // Rings.
    if let Some(rings) = &r.rings {
        let _ = write!(
            h,
            r#"<section class="with-table"><h2>{}</h2><table class="rings"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
            esc(t("邻近范围汇总", "Proximity rings")),
            t("范围", "Within"),
            t("范围面积", "Ring area"),
            t("图层", "Layer"),
            t("要素数", "Features"),
            t("面积 / 长度", "Area / length"),
        );
        for ring in rings {
            let label = if ring.distance_m == 0.0 {
                t("地块本身", "the site itself").to_string()
            } else {
                fmt_m(ring.distance_m)
            };
            if ring.layers.is_empty() {
                let _ = write!(
                    h,
                    r#"<tr class="ring-row"><td>{}</td><td class="num">{}</td><td colspan="3">{}</td></tr>"#,
                    esc(&label),
                    esc(&unbroken(&fmt_m2(ring.ring_area_m2, lang))),
                    esc(t("无", "none"))
                );
            }
            for (i, (layer, s)) in ring.layers.iter().enumerate() {
                let amount = if s.area_m2 > 0.0 {
                    fmt_m2(s.area_m2, lang)
                } else if s.length_m > 0.0 {
                    fmt_m(s.length_m)
                } else {
                    "–".into()
                };
                let _ = write!(
                    h,
                    r#"<tr class="ring-row"><td>{}</td><td class="num">{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
                    if i == 0 { esc(&label) } else { String::new() },
                    if i == 0 {
                        esc(&unbroken(&fmt_m2(ring.ring_area_m2, lang)))
                    } else {
                        String::new()
                    },
                    esc(&title_of(layer)),
                    s.features,
                    esc(&unbroken(&amount))
                );
            }
        }
        h.push_str("</tbody></table></section>");
    }
    let _ = write!(
        h,
        r"<footer><p>{}</p><p>{} <code>POST /check/report?year={}&amp;buffer_m={}{}{}</code></p></footer></body></html>",
        esc(t(
            "面积、长度与距离均按 WGS84/CGCS2000 椭球测地计算。审查意见依据规则表（rules.toml），仅供初步筛查，以主管部门意见为准。",
            "Areas, lengths and distances are geodesic on the WGS84/CGCS2000 ellipsoid. Decisions come from the rules table (rules.toml): a first screening, not a substitute for the authorities' opinion."
        )),
        esc(t("复现：以同一地块 GeoJSON 请求", "Reproduce: send the same site GeoJSON to")),
        r.year,
        r.buffer_m,
        r.project_type
            .as_deref()
            .map(|x| format!("&amp;type={}", esc(x)))
            .unwrap_or_default(),
        r.rings
            .as_ref()
            .map(|v| format!(
                "&amp;rings={}",
                v.iter().map(|x| x.distance_m.to_string()).collect::<Vec<_>>().join(",")
            ))
            .unwrap_or_default(),
    );
    h
}

const CSS: &str = r#"
@page { size: A4; margin: 14mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", sans-serif; color: #111827; max-width: 190mm; margin: 0 auto; font-size: 10.5pt; }
h1 { font-size: 17pt; margin: 0 0 2mm; } h2 { font-size: 12.5pt; margin: 5mm 0 2mm; border-bottom: 1px solid #cbd5e1; }
.sub { color: #475569; margin: 0 0 3mm; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #cbd5e1; padding: 1.2mm 2mm; text-align: left; vertical-align: top; }
.facts th { width: 35%; background: #f1f5f9; }
.answer { border: 2px solid #64748b; padding: 2mm 4mm; margin: 4mm 0; } .answer p { margin: 1mm 0; }
.answer.prohibited { border-color: #b91c1c; background: #fef2f2; } .answer.restricted { border-color: #b45309; background: #fffbeb; } .answer.allowed { border-color: #15803d; background: #f0fdf4; }
.decision { font-size: 14pt; font-weight: bold; }
.d.prohibited { color: #b91c1c; font-weight: bold; } .d.restricted { color: #b45309; font-weight: bold; } .d.allowed { color: #15803d; }
svg.map { width: 120mm; height: 120mm; border: 1px solid #94a3b8; display: block; }
.mapbox { break-inside: avoid; } .legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1mm 5mm; font-size: 9pt; }
.sw { display: inline-block; width: 5mm; height: 3mm; margin-right: 1.5mm; vertical-align: middle; box-sizing: border-box; }
.rulings li { margin-bottom: 2mm; } .basis { color: #334155; font-size: 9.5pt; } .cond { margin: 0.5mm 0; }
footer { margin-top: 6mm; color: #475569; font-size: 9pt; } code { font-size: 9pt; }
tr, li { break-inside: avoid; }
h2 { break-after: avoid; page-break-after: avoid; } .with-table > h2 + table { break-before: avoid; }
thead { display: table-header-group; } td.rel { white-space: nowrap; } td.num { white-space: nowrap; text-align: right; font-variant-numeric: tabular-nums; }
"#;
