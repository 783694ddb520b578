//! An SVG chart of an indicator series with its targets: one small panel per indicator,
//! readable without JavaScript (plain SVG 1.1, text labels in zh and en).

use super::escape::esc;
use crate::data::plan::targets::{AppliedTarget, TargetRule};
use crate::query::indicator::YearIndicators;
use std::fmt::Write;

const PANEL_W: f64 = 420.0;
const PANEL_H: f64 = 220.0;
const MARGIN_L: f64 = 58.0;
const MARGIN_R: f64 = 16.0;
const MARGIN_T: f64 = 44.0;
const MARGIN_B: f64 = 34.0;
const COLS: usize = 2;

/// Renders the series (one entry per year, ascending) as an SVG document.
pub fn svg(series: &[std::sync::Arc<YearIndicators>]) -> String {
    let ids: Vec<String> = series.first().map(|y| y.order.clone()).unwrap_or_default();
    let rows = ids.len().div_ceil(COLS).max(1);
    let (w, h) = (PANEL_W * COLS as f64, PANEL_H * rows as f64 + 30.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="'Noto Sans CJK SC','Microsoft YaHei',sans-serif" font-size="11">
<title>ecospace indicators 生态空间指标</title>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="12" y="20" font-size="14" font-weight="bold">生态空间指标 Ecological-space indicators {}–{}</text>
"##,
        series.first().map_or(0, |y| y.year),
        series.last().map_or(0, |y| y.year)
    );
    for (k, id) in ids.iter().enumerate() {
        let (ox, oy) = (
            (k % COLS) as f64 * PANEL_W,
            30.0 + (k / COLS) as f64 * PANEL_H,
        );
        panel(&mut s, series, id, ox, oy);
    }
    s.push_str("</svg>\n");
    s
}

fn panel(s: &mut String, series: &[std::sync::Arc<YearIndicators>], id: &str, ox: f64, oy: f64) {
    let pts: Vec<(i32, f64)> = series
        .iter()
        .filter_map(|y| y.indicators.get(id).map(|i| (y.year, i.value.value)))
        .collect();
    let Some(first) = series.iter().find_map(|y| y.indicators.get(id)) else {
        return;
    };
    let targets: Vec<(i32, f64, Option<AppliedTarget>)> = series
        .iter()
        .filter_map(|y| {
            y.indicators
                .get(id)
                .map(|i| (y.year, i.value.value, i.target.clone()))
        })
        .collect();
    let mut lo = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let mut hi = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    for t in targets.iter().filter_map(|t| t.2.as_ref()) {
        lo = lo.min(t.value);
        hi = hi.max(t.value);
    }
    let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.01).max(1e-6);
    let (lo, hi) = (lo - pad, hi + pad);
    let (y0, y1) = (
        pts.first().map_or(0, |p| p.0),
        pts.last().map_or(0, |p| p.0),
    );
    let pw = PANEL_W - MARGIN_L - MARGIN_R;
    let ph = PANEL_H - MARGIN_T - MARGIN_B;
    let x = |year: f64| {
        ox + MARGIN_L
            + if y1 > y0 {
                (year - f64::from(y0)) / f64::from(y1 - y0) * pw
            } else {
                pw / 2.0
            }
    };
    let y = |v: f64| oy + MARGIN_T + (hi - v) / (hi - lo) * ph;
    let unit = first.value.unit;
    let _ = writeln!(
        s,
        r##"<g class="panel" data-indicator="{id}"><text x="{:.1}" y="{:.1}" font-weight="bold">{} {}</text><text x="{:.1}" y="{:.1}" fill="#555">{} ({unit})</text>"##,
        ox + 8.0,
        oy + 16.0,
        esc(&first.title_zh),
        esc(id),
        ox + 8.0,
        oy + 30.0,
        esc(&first.title_en)
    );
    let _ = writeln!(
        s,
        r##"<rect x="{:.1}" y="{:.1}" width="{pw:.1}" height="{ph:.1}" fill="none" stroke="#bbb"/>"##,
        ox + MARGIN_L,
        oy + MARGIN_T
    );
    for k in 0..=4 {
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#555">{}</text>"##,
            ox + MARGIN_L - 4.0,
            y(v) + 4.0,
            fmt(v)
        );
    }
    for yr in y0..=y1 {
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#555">{yr}</text>"##,
            x(f64::from(yr)),
            oy + PANEL_H - MARGIN_B + 14.0
        );
    }
    // Target lines: each year's applicable target drawn across that year's slot.
    for (yr, _, t) in &targets {
        if let Some(t) = t {
            let half = if y1 > y0 {
                pw / f64::from(y1 - y0) / 2.0
            } else {
                pw / 2.0
            };
            let colour = match t.rule {
                TargetRule::NotReduced => "#b00",
                _ => "#d67f00",
            };
            let _ = writeln!(
                s,
                r#"<line class="target" x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="{colour}" stroke-dasharray="5 3"><title>target {} {}</title></line>"#,
                (x(f64::from(*yr)) - half).max(ox + MARGIN_L),
                (x(f64::from(*yr)) + half).min(ox + MARGIN_L + pw),
                y(t.value),
                y(t.value),
                fmt(t.value),
                t.year.map(|y| y.to_string()).unwrap_or_default()
            );
        }
    }
    let path: Vec<String> = pts
        .iter()
        .map(|(yr, v)| format!("{:.1},{:.1}", x(f64::from(*yr)), y(*v)))
        .collect();
    let _ = writeln!(
        s,
        r##"<polyline class="series" points="{}" fill="none" stroke="#1f6f3f" stroke-width="2"/>"##,
        path.join(" ")
    );
    for (yr, v) in &pts {
        let _ = writeln!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#1f6f3f"><title>{yr}: {} {unit}</title></circle>"##,
            x(f64::from(*yr)),
            y(*v),
            fmt(*v)
        );
    }
    s.push_str("</g>\n");
}

fn fmt(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
