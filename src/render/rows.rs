//! Batch rows as text: CSV for spreadsheets (one line a site, hits folded into one cell) and
//! NDJSON (one screening answer a line).

use crate::query::batch::Row;
use crate::query::screen::ScreenedHit;

/// The CSV header of [`csv_line`].
pub const CSV_HEADER: &str =
    "index,id,name,type,verdict,decision,site_area_m2,constraint_hits,overlap_m2,min_distance_m,hits,error\n";

/// One row as CSV: the site's answer in a line, hits as `layer:id:relation[:decision]` joined
/// with `;` (a spreadsheet shows it; the NDJSON has everything).
pub fn csv_line(row: &Row) -> String {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let num = |x: f64| format!("{x:.1}");
    let (verdict, decision, area, conflicts, overlap, min_d, hits) = match &row.result {
        Some(r) => {
            let conflicts: usize = r.summary.values().map(|s| s.conflicts).sum();
            let overlap: f64 = r.summary.values().map(|s| s.overlap_area_m2).sum();
            let min_d = r
                .summary
                .values()
                .filter_map(|s| s.min_distance_m)
                .fold(f64::INFINITY, f64::min);
            let hits: Vec<String> = r
                .hits
                .iter()
                .map(|ScreenedHit { hit: h, ruling }| {
                    let rel = serde_json::to_value(h.relation)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    match ruling {
                        Some(x) => format!("{}:{}:{rel}:{}", h.layer, h.id, x.decision.as_str()),
                        None => format!("{}:{}:{rel}", h.layer, h.id),
                    }
                })
                .collect();
            (
                serde_json::to_value(r.verdict)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                r.decision
                    .map(|d| d.as_str().to_string())
                    .unwrap_or_default(),
                num(r.site.summary.area_m2),
                conflicts.to_string(),
                num(overlap),
                if min_d.is_finite() {
                    num(min_d)
                } else {
                    String::new()
                },
                hits.join(";"),
            )
        }
        None => Default::default(),
    };
    let error = row
        .error
        .as_ref()
        .map(|e| format!("{}: {}", e.error, e.message))
        .unwrap_or_default();
    let _ = w.write_record([
        row.index.to_string(),
        row.id.clone().unwrap_or_default(),
        row.name.clone().unwrap_or_default(),
        row.project_type.clone().unwrap_or_default(),
        verdict,
        decision,
        area,
        conflicts,
        overlap,
        min_d,
        hits,
        error,
    ]);
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// One row as an NDJSON line.
pub fn ndjson_line(row: &Row) -> String {
    let mut s = serde_json::to_string(row).unwrap_or_else(|e| {
        format!(
            r#"{{"index":{},"error":{{"error":"internal","message":"{e}"}}}}"#,
            row.index
        )
    });
    s.push('\n');
    s
}
