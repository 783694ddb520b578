//! The printable screening report: one self-contained HTML page a planner can file.
//!
//! Everything is drawn on the server — the map is inline SVG in a metric frame centred on the
//! site, so it prints, archives and opens offline without JavaScript or tiles. The page names
//! the data version and a digest of the request, so the same answer can be asked for again.

use crate::check::{CheckResult, Relation, Verdict};
use crate::dataset::Dataset;
use crate::geodesy;
use crate::rings::Aeqd;
use crate::rules::Decision;
use geo::{BooleanOps, Coord, Geometry, LineString, MultiPolygon, Polygon};
use std::fmt::Write;

/// Language of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Result<Lang, String> {
        match s {
            "zh" | "zh-CN" => Ok(Lang::Zh),
            "en" => Ok(Lang::En),
            other => Err(format!("lang {other:?}: use zh or en")),
        }
    }
    fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A digest of what was asked: the site as sent plus every option, so a report can be matched
/// to the request that reproduces it (FNV-1a 64: an identity, not a signature).
pub fn request_digest(body: &[u8], r: &CheckResult) -> String {
    let mut h = crate::dataset::Fnv1a::default();
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

fn fmt_m2(a: f64, lang: Lang) -> String {
    if a >= 1e6 {
        format!("{:.3} km²", a / 1e6)
    } else if a >= 1e4 {
        format!("{:.0} m² ({:.2} {})", a, a / 1e4, lang.t("公顷", "ha"))
    } else {
        format!("{a:.1} m²")
    }
}

fn fmt_m(d: f64) -> String {
    if d >= 1000.0 {
        format!("{:.2} km", d / 1000.0)
    } else {
        format!("{d:.1} m")
    }
}

fn relation(r: Relation, lang: Lang) -> &'static str {
    match r {
        Relation::Within => lang.t("位于其内", "within"),
        Relation::Contains => lang.t("包含", "contains"),
        Relation::Overlaps => lang.t("部分重叠", "overlaps"),
        Relation::Crosses => lang.t("穿越", "crosses"),
        Relation::Touches => lang.t("边界相接", "touches"),
        Relation::Near => lang.t("邻近", "near"),
    }
}

fn decision(d: Decision, lang: Lang) -> &'static str {
    match d {
        Decision::Prohibited => lang.t("禁止", "prohibited"),
        Decision::Restricted => lang.t("限制（有条件）", "restricted (conditional)"),
        Decision::Allowed => lang.t("允许", "allowed"),
    }
}

/// Colours for layers the manifest gives none.
const PALETTE: [&str; 6] = [
    "#e53935", "#43a047", "#1e63b4", "#00897b", "#8e24aa", "#f57c00",
];

/// A layer's colour: the manifest's, else a palette colour by position.
fn layer_colour(ds: &Dataset, index: usize) -> String {
    ds.layers
        .get(index)
        .and_then(|l| ds.manifest.layer(l.id()))
        .and_then(|s| s.colour.clone())
        .unwrap_or_else(|| PALETTE[index % PALETTE.len()].to_string())
}

/// `#rrggbb` at an opacity, as CSS `rgba()`.
fn rgba(hex: &str, alpha: f64) -> String {
    let c = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(128);
    format!("rgba({},{},{},{alpha})", c(1), c(3), c(5))
}

/// Fill, stroke and stroke width of a feature: zones filled in their layer's colour (stronger
/// for stricter `level`s: 1 is the strictest), lines in the layer's colour when they are a
/// constraint and grey when not (artificial shoreline, unprotected banks).
fn style(colour: &str, f: &crate::layer::Feature, stroke: f64) -> (String, String, f64) {
    match &f.geometry {
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
            let alpha = match f.properties.get("level").and_then(|v| v.as_i64()) {
                Some(1) => 0.45,
                Some(2) => 0.3,
                Some(_) => 0.18,
                None => 0.22,
            };
            (rgba(colour, alpha), colour.to_string(), stroke)
        }
        _ if f.constraint => ("none".into(), colour.to_string(), stroke * 3.0),
        _ => ("none".into(), "#9e9e9e".into(), stroke * 2.0),
    }
}

/// SVG path data of a geometry in the frame (y flipped for SVG).
fn path(g: &Geometry, f: &Aeqd) -> String {
    let mut d = String::new();
    let mut ring = |ls: &LineString, close: bool| {
        for (i, c) in ls.0.iter().enumerate() {
            let p = f.forward(*c);
            let _ = write!(
                d,
                "{}{:.1} {:.1}",
                if i == 0 { "M" } else { "L" },
                p.x,
                -p.y
            );
        }
        if close {
            d.push('Z');
        }
    };
    let mut poly = |p: &Polygon| {
        ring(p.exterior(), true);
        for h in p.interiors() {
            ring(h, true);
        }
    };
    match g {
        Geometry::Polygon(p) => poly(p),
        Geometry::MultiPolygon(mp) => mp.0.iter().for_each(&mut poly),
        Geometry::LineString(l) => ring(l, false),
        Geometry::MultiLineString(m) => m.0.iter().for_each(|l| ring(l, false)),
        _ => {}
    }
    d
}

/// The map: zones and lines around the site, the overlaps hatched, rings dashed, a scale bar.
fn map_svg(ds: &Dataset, site: &Geometry, r: &CheckResult, lang: Lang) -> String {
    let frame = Aeqd::at(site);
    let max_ring = r
        .rings
        .as_ref()
        .and_then(|v| v.iter().map(|x| x.distance_m).reduce(f64::max))
        .unwrap_or(0.0);
    // The extent: the site plus the largest ring (at least 300 m around), square.
    let [x0, y0, x1, y1] = geodesy::bbox(site).unwrap_or([0.0; 4]);
    let corners = [
        frame.forward(Coord { x: x0, y: y0 }),
        frame.forward(Coord { x: x1, y: y1 }),
        frame.forward(Coord { x: x0, y: y1 }),
        frame.forward(Coord { x: x1, y: y0 }),
    ];
    let half = corners
        .iter()
        .map(|c| c.x.abs().max(c.y.abs()))
        .fold(0.0, f64::max)
        + max_ring.max(300.0) * 1.1;
    let size = 2.0 * half;
    // Features whose bbox meets the extent (in lon/lat, padded generously).
    let c = frame.inverse(Coord { x: 0.0, y: 0.0 });
    let (dx, dy) = geodesy::LocalFrame::new(c).degrees_for(half * 1.5);
    let env = rstar::AABB::from_corners([c.x - dx, c.y - dy], [c.x + dx, c.y + dy]);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="{:.1} {:.1} {:.1} {:.1}" class="map" role="img" aria-label="{}">"##,
        -half,
        -half,
        size,
        size,
        lang.t("地块与生态空间图", "Site and ecological space map")
    );
    let stroke = size / 500.0;
    let _ = write!(
        s,
        r##"<defs><clipPath id="view"><rect x="{:.1}" y="{:.1}" width="{size:.1}" height="{size:.1}"/></clipPath><pattern id="hatch" width="{w:.1}" height="{w:.1}" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="{w:.1}" height="{w:.1}" fill="rgba(127,29,29,0.25)"/><line x1="0" y1="0" x2="0" y2="{w:.1}" stroke="#7f1d1d" stroke-width="{sw:.1}"/></pattern></defs><rect x="{:.1}" y="{:.1}" width="{size:.1}" height="{size:.1}" fill="#f8fafc"/><g clip-path="url(#view)">"##,
        -half,
        -half,
        -half,
        -half,
        w = size / 80.0,
        sw = size / 250.0,
    );
    for (i, layer) in ds.layers.iter().enumerate() {
        let colour = layer_colour(ds, i);
        for f in layer.candidates(&env).filter(|f| f.valid_in(r.year)) {
            let (fill, line, width) = style(&colour, f, stroke);
            let _ = write!(
                s,
                r#"<path class="feature layer-{}" data-id="{}" d="{}" fill="{fill}" stroke="{line}" stroke-width="{width:.1}" fill-rule="evenodd"><title>{}</title></path>"#,
                esc(layer.id()),
                esc(&f.id),
                path(&f.geometry, &frame),
                esc(&f.name)
            );
        }
    }
    // The overlaps: site ∩ zone, for every zone the site enters.
    if let Geometry::Polygon(_) | Geometry::MultiPolygon(_) = site {
        let site_mp = match site {
            Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
            Geometry::MultiPolygon(m) => m.clone(),
            _ => MultiPolygon(vec![]),
        };
        for h in r
            .hits
            .iter()
            .filter(|h| h.overlap_area_m2.unwrap_or(0.0) > 0.0)
        {
            let zone = ds
                .layer(&h.layer)
                .and_then(|l| l.features.iter().find(|f| f.id == h.id));
            let zone_mp = match zone.map(|f| &f.geometry) {
                Some(Geometry::Polygon(p)) => MultiPolygon(vec![p.clone()]),
                Some(Geometry::MultiPolygon(m)) => m.clone(),
                _ => continue,
            };
            let o = site_mp.intersection(&zone_mp);
            let _ = write!(
                s,
                r##"<path class="overlap" data-layer="{}" d="{}" fill="url(#hatch)" stroke="#7f1d1d" stroke-width="{stroke:.1}"/>"##,
                esc(&h.layer),
                path(&Geometry::MultiPolygon(o), &frame)
            );
        }
    }
    // Rings, dashed, labelled.
    for ring in r.rings.iter().flatten().filter(|x| x.distance_m > 0.0) {
        if let Some(b) = crate::rings::buffer_lonlat(site, ring.distance_m, &frame) {
            let _ = write!(
                s,
                r##"<path class="ring" d="{}" fill="none" stroke="#334155" stroke-width="{:.1}" stroke-dasharray="{:.1} {:.1}"/>"##,
                path(&Geometry::MultiPolygon(b), &frame),
                stroke,
                stroke * 6.0,
                stroke * 4.0
            );
            let _ = write!(
                s,
                r##"<text class="ring-label" x="{:.1}" y="{:.1}" font-size="{:.1}" fill="#334155">{}</text>"##,
                stroke * 4.0,
                -(ring.distance_m + corners[1].y.max(0.0)) - stroke * 4.0,
                size / 45.0,
                esc(&fmt_m(ring.distance_m))
            );
        }
    }
    // The site on top.
    match site {
        Geometry::Point(p) => {
            let q = frame.forward(p.0);
            let _ = write!(
                s,
                r##"<circle class="site" cx="{:.1}" cy="{:.1}" r="{:.1}" fill="#111827" stroke="#fff" stroke-width="{:.1}"/>"##,
                q.x,
                -q.y,
                size / 90.0,
                stroke
            );
        }
        g => {
            let _ = write!(
                s,
                r##"<path class="site" d="{}" fill="none" stroke="#111827" stroke-width="{:.1}"/>"##,
                path(g, &frame),
                stroke * 3.0
            );
        }
    }
    s.push_str("</g>");
    // Scale bar (a round length near a quarter of the width) and north arrow.
    let target = size / 4.0;
    let mag = 10f64.powf(target.log10().floor());
    let bar = [1.0, 2.0, 5.0]
        .iter()
        .map(|k| k * mag)
        .filter(|l| *l <= target)
        .fold(mag, f64::max);
    let (bx, by) = (-half + size * 0.05, half - size * 0.05);
    let _ = write!(
        s,
        r##"<g class="scale"><rect x="{bx:.1}" y="{:.1}" width="{bar:.1}" height="{:.1}" fill="#111827"/><text x="{bx:.1}" y="{:.1}" font-size="{:.1}" fill="#111827">{}</text></g>"##,
        by - stroke * 3.0,
        stroke * 3.0,
        by - stroke * 8.0,
        size / 40.0,
        esc(&fmt_m(bar))
    );
    let (nx, ny) = (half - size * 0.06, -half + size * 0.05);
    let _ = write!(
        s,
        r##"<g class="north"><path d="M{nx:.1} {ny:.1}L{:.1} {:.1}L{nx:.1} {:.1}L{:.1} {:.1}Z" fill="#111827"/><text x="{nx:.1}" y="{:.1}" font-size="{:.1}" text-anchor="middle" fill="#111827">N</text></g>"##,
        nx + size / 60.0,
        ny + size / 20.0,
        ny + size / 28.0,
        nx - size / 60.0,
        ny + size / 20.0,
        ny + size / 12.0,
        size / 40.0
    );
    s.push_str("</svg>");
    s
}

/// The whole page.
pub fn html(
    ds: &Dataset,
    site: &Geometry,
    id: Option<&str>,
    r: &CheckResult,
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
            "冲突：地块进入或接触生态保护空间",
            "Conflict: the site enters or touches protected space",
        ),
        Verdict::Near => t(
            "邻近：缓冲范围内有生态保护空间",
            "Near: protected space within the buffer",
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
    if let Some(id) = id {
        fact(t("地块编号", "Site id"), esc(id));
    }
    fact(
        t("地块", "Site"),
        format!(
            "{} · {} {} · {} {}",
            esc(r.site.kind),
            t("面积", "area"),
            esc(&fmt_m2(r.site.area_m2, lang)),
            t("周长/长度", "perimeter/length"),
            esc(&fmt_m(r.site.length_m))
        ),
    );
    if let Some(tt) = &type_title {
        fact(t("项目类型", "Project type"), esc(tt));
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
    fact(
        t("生成时间", "Generated"),
        esc(&crate::feature_json::now_rfc3339()),
    );
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
    // Map + legend (one entry per layer, in its colour).
    let mut legend = format!(
        r#"<li><span class="sw site"></span>{}</li><li><span class="sw overlap"></span>{}</li><li><span class="sw ring"></span>{}</li>"#,
        esc(t("项目地块", "project site")),
        esc(t("重叠部分", "overlap")),
        esc(t("邻近范围环", "proximity rings")),
    );
    for (i, layer) in ds.layers.iter().enumerate() {
        let colour = layer_colour(ds, i);
        let swatch = match layer.kind() {
            crate::manifest::LayerKind::Zone => {
                format!("background:{};border-color:{colour}", rgba(&colour, 0.3))
            }
            _ => format!("height:0;border:0;border-top:3px solid {colour}"),
        };
        let _ = write!(
            legend,
            r#"<li><span class="sw" style="{swatch}"></span>{}</li>"#,
            esc(&title_of(layer.id()))
        );
    }
    let _ = write!(
        h,
        r#"<section class="mapbox"><h2>{}</h2>{}<ul class="legend">{legend}</ul></section>"#,
        esc(t("位置图", "Map")),
        map_svg(ds, site, r, lang),
    );
    // Hits.
    let _ = write!(
        h,
        r#"<section><h2>{}</h2>"#,
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
        for hit in &r.hits {
            let overlap = hit
                .overlap_area_m2
                .map(|a| fmt_m2(a, lang))
                .or(hit.overlap_length_m.map(fmt_m))
                .unwrap_or_else(|| "–".into());
            let share = hit
                .overlap_ratio
                .map(|x| format!("{:.2} %", x * 100.0))
                .unwrap_or_else(|| "–".into());
            let dec = hit
                .ruling
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
                r#"<tr class="hit" data-layer="{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                esc(&hit.layer),
                esc(&title_of(&hit.layer)),
                esc(&hit.name),
                esc(relation(hit.relation, lang)),
                esc(&overlap),
                esc(&share),
                esc(&fmt_m(hit.distance_m)),
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
        for hit in ruled {
            let Some(x) = &hit.ruling else { continue };
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
            r#"<section><h2>{}</h2><table class="rings"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>"#,
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
                    r#"<tr class="ring-row"><td>{}</td><td>{}</td><td colspan="3">{}</td></tr>"#,
                    esc(&label),
                    esc(&fmt_m2(ring.ring_area_m2, lang)),
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
                    r#"<tr class="ring-row"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                    if i == 0 { esc(&label) } else { String::new() },
                    if i == 0 {
                        esc(&fmt_m2(ring.ring_area_m2, lang))
                    } else {
                        String::new()
                    },
                    esc(&title_of(layer)),
                    s.features,
                    esc(&amount)
                );
            }
        }
        h.push_str("</tbody></table></section>");
    }
    let _ = write!(
        h,
        r#"<footer><p>{}</p><p>{} <code>POST /check/report?year={}&amp;buffer_m={}{}{}</code></p></footer></body></html>"#,
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
.sw { display: inline-block; width: 5mm; height: 3mm; margin-right: 1.5mm; vertical-align: middle; border: 1px solid #555; }
.sw.site { border: 2px solid #111827; } .sw.overlap { background: repeating-linear-gradient(45deg, #7f1d1d 0 1px, rgba(127,29,29,0.25) 1px 3px); }
.sw.ring { border: 1px dashed #334155; }
.rulings li { margin-bottom: 2mm; } .basis { color: #334155; font-size: 9.5pt; } .cond { margin: 0.5mm 0; }
footer { margin-top: 6mm; color: #475569; font-size: 9pt; } code { font-size: 9pt; }
tr, li { break-inside: avoid; }
"#;
