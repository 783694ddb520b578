//! Layers as feature collections: a feature as a GeoJSON Feature, the bbox and validity-year
//! filters of a feature query, RFC 3339 dates and the temporal extent of a layer.
//!
//! This is what a "features" front end (the OGC API – Features routes) needs from the core,
//! kept apart from `layer.rs` so the layer model stays about loading and indexing. Time is
//! coarse in ecospace — a feature is in force from a year to a year — so every instant or
//! interval a client sends is reduced here to a span of calendar years (UTC).

use crate::error::QueryError;
use crate::layer::{Feature, Layer};
use geo::{Intersects, Rect};
use rstar::AABB;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// A span of calendar years, both ends inclusive; `None` is an open end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearSpan {
    pub from: Option<i32>,
    pub to: Option<i32>,
}

impl YearSpan {
    /// The single year `y`.
    pub fn year(y: i32) -> Self {
        YearSpan {
            from: Some(y),
            to: Some(y),
        }
    }

    /// Whether `f` is in force in at least one year of the span (`valid_from <= Y < valid_to`
    /// for some `Y` in it): the latest possible start must not pass the earliest possible end.
    pub fn admits(&self, f: &Feature) -> bool {
        let lo =
            i64::from(self.from.unwrap_or(i32::MIN)).max(f.valid_from.map_or(i64::MIN, i64::from));
        let hi = i64::from(self.to.unwrap_or(i32::MAX))
            .min(f.valid_to.map_or(i64::MAX, |t| i64::from(t) - 1));
        lo <= hi
    }
}

/// A lon/lat box `[min_lon, min_lat, max_lon, max_lat]`, checked: finite, in range, min ≤ max.
pub fn check_bbox(b: [f64; 4]) -> Result<[f64; 4], QueryError> {
    let bad = |m: String| Err(QueryError::param("bbox", m));
    if b.iter().any(|v| !v.is_finite()) {
        return bad("numbers must be finite".into());
    }
    if b[0] < -180.0 || b[2] > 180.0 || b[1] < -90.0 || b[3] > 90.0 {
        return bad(format!(
            "{b:?} is out of range: lon must be in [-180, 180] and lat in [-90, 90]"
        ));
    }
    if b[0] > b[2] || b[1] > b[3] {
        return bad(format!(
            "{b:?}: the minimum must not exceed the maximum (boxes across the antimeridian are not supported)"
        ));
    }
    Ok(b)
}

/// The features of `layer` that meet `bbox` (when given) and are in force in some year of
/// `years` (when given), in layer order — the order of the source file, so that paging by
/// offset is stable.
///
/// The R-tree finds the features whose envelope meets the box; each is then tested exactly
/// (a diagonal line's envelope can meet a box the line itself misses).
pub fn select(layer: &Layer, bbox: Option<[f64; 4]>, years: Option<YearSpan>) -> Vec<&Feature> {
    let hits: Option<HashSet<&str>> = bbox.map(|b| {
        let rect = Rect::new(
            geo::coord! { x: b[0], y: b[1] },
            geo::coord! { x: b[2], y: b[3] },
        );
        layer
            .candidates(&AABB::from_corners([b[0], b[1]], [b[2], b[3]]))
            .filter(|f| f.geometry.intersects(&rect))
            .map(|f| f.id.as_str())
            .collect()
    });
    layer
        .features
        .iter()
        .filter(|f| hits.as_ref().is_none_or(|h| h.contains(f.id.as_str())))
        .filter(|f| years.is_none_or(|y| y.admits(f)))
        .collect()
}

/// The feature's loaded lon/lat geometry as a GeoJSON geometry object.
pub fn geometry_json(f: &Feature) -> Value {
    Value::from(&geojson::GeometryValue::from(&f.geometry))
}

/// A feature as a GeoJSON Feature object: string `id`, the loaded lon/lat geometry and every
/// property as loaded.
pub fn feature_object(f: &Feature) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("type".into(), Value::String("Feature".into()));
    m.insert("id".into(), Value::String(f.id.clone()));
    m.insert("geometry".into(), geometry_json(f));
    m.insert("properties".into(), Value::Object(f.properties.clone()));
    m
}

/// The years the layer's features span, as RFC 3339 instants `[start, end]`: the start of the
/// earliest `valid_from` year and the start of the latest `valid_to` year (exclusive, so the
/// instant the last feature stops); `None` at an end any feature leaves open.
pub fn temporal_extent(layer: &Layer) -> [Option<String>; 2] {
    let start = layer
        .features
        .iter()
        .map(|f| f.valid_from)
        .try_fold(i32::MAX, |acc, y| y.map(|y| acc.min(y)));
    let end = layer
        .features
        .iter()
        .map(|f| f.valid_to)
        .try_fold(i32::MIN, |acc, y| y.map(|y| acc.max(y)));
    let fmt = |y: i32| format!("{y:04}-01-01T00:00:00Z");
    match layer.features.is_empty() {
        true => [None, None],
        false => [start.map(fmt), end.map(fmt)],
    }
}

/// Parses an OGC `datetime` value into years: an RFC 3339 instant (`2025-06-01T00:00:00Z`), a
/// full date (`2025-06-01`), or an interval of two of those separated by `/`, either end `..`
/// or empty for open (not both). Instants with an offset are taken in UTC; a space in the
/// offset is read as `+` (an unescaped `+` in a query string arrives as a space).
pub fn parse_datetime(s: &str) -> Result<YearSpan, QueryError> {
    let err = |m: String| QueryError::param("datetime", m);
    let Some((a, b)) = s.split_once('/') else {
        return instant_year(s).map(YearSpan::year).map_err(err);
    };
    let end = |p: &str| -> Result<Option<i32>, String> {
        match p {
            "" | ".." => Ok(None),
            _ => instant_year(p).map(Some),
        }
    };
    let span = YearSpan {
        from: end(a).map_err(err)?,
        to: end(b).map_err(err)?,
    };
    match (span.from, span.to) {
        (None, None) => Err(err(format!("{s:?}: an interval needs at least one end"))),
        (Some(f), Some(t)) if f > t => Err(err(format!("{s:?}: the start is after the end"))),
        _ => Ok(span),
    }
}

/// The UTC calendar year of an RFC 3339 date or date-time.
fn instant_year(s: &str) -> Result<i32, String> {
    let bad = || {
        format!("{s:?} is not an RFC 3339 date (2025-06-01), date-time (2025-06-01T00:00:00Z) or interval (2019-01-01/2021-12-31, `..` for an open end)")
    };
    let num = |t: &str| -> Result<i64, String> {
        if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let (y, m, d) = (num(&s[0..4])?, num(&s[5..7])?, num(&s[8..10])?);
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Err(format!("{s:?}: no such day"));
    }
    if b.len() == 10 {
        return Ok(y as i32);
    }
    // Time: [Tt]HH:MM:SS[.frac](Z|z|±HH:MM)
    if !matches!(b[10], b'T' | b't') || b.len() < 20 || b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let (hh, mm, ss) = (num(&s[11..13])?, num(&s[14..16])?, num(&s[17..19])?);
    if hh > 23 || mm > 59 || ss > 60 {
        return Err(format!("{s:?}: no such time of day"));
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        rest = &frac[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" => 0,
        _ => {
            let r = rest.as_bytes();
            if r.len() != 6 || r[3] != b':' {
                return Err(bad());
            }
            let sign = match r[0] {
                b'+' | b' ' => 1,
                b'-' => -1,
                _ => return Err(bad()),
            };
            let (oh, om) = (num(&rest[1..3])?, num(&rest[4..6])?);
            if oh > 23 || om > 59 {
                return Err(format!("{s:?}: no such UTC offset"));
            }
            sign * (oh * 60 + om)
        }
    };
    // Minutes since 1970 in UTC; the year is the one whose 1 January holds it.
    let t = days_from_civil(y, m, d) * 1440 + hh * 60 + mm - offset_min;
    let year = if t < days_from_civil(y, 1, 1) * 1440 {
        y - 1
    } else if t >= days_from_civil(y + 1, 1, 1) * 1440 {
        y + 1
    } else {
        y
    };
    Ok(year as i32)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days-from-civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `unix_secs` as an RFC 3339 UTC timestamp, to the second (Hinnant's civil-from-days).
pub fn rfc3339_utc(unix_secs: i64) -> String {
    let (days, secs) = (unix_secs.div_euclid(86_400), unix_secs.rem_euclid(86_400));
    let (y, m, d) = crate::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Now, as an RFC 3339 UTC timestamp.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    rfc3339_utc(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_dates_and_intervals_become_years() {
        let y = |s: &str| parse_datetime(s).unwrap();
        assert_eq!(y("2025-06-01T00:00:00Z"), YearSpan::year(2025));
        assert_eq!(y("2025-06-01"), YearSpan::year(2025));
        assert_eq!(y("2024-02-29T12:30:00.25z"), YearSpan::year(2024));
        // 08:00 on 1 January in Beijing is midnight UTC the same day; 07:59 is still last year.
        assert_eq!(y("2025-01-01T08:00:00+08:00"), YearSpan::year(2025));
        assert_eq!(y("2025-01-01T07:59:00 08:00"), YearSpan::year(2024));
        assert_eq!(y("2024-12-31T23:00:00-05:00"), YearSpan::year(2025));
        assert_eq!(
            y("2019-01-01/2021-12-31"),
            YearSpan {
                from: Some(2019),
                to: Some(2021)
            }
        );
        assert_eq!(
            y("../2021-12-31T10:00:00Z"),
            YearSpan {
                from: None,
                to: Some(2021)
            }
        );
        assert_eq!(
            y("2019-01-01/"),
            YearSpan {
                from: Some(2019),
                to: None
            }
        );
        for bad in [
            "",
            "2025",
            "2025-13-01",
            "2023-02-29",
            "2025-06-01T25:00:00Z",
            "2025-06-01T00:00:00",
            "2025-06-01T00:00Z",
            "../..",
            "2022-01-01/2021-01-01",
            "a/b",
            "2025-06-01T00:00:00.Z",
        ] {
            assert!(parse_datetime(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn day_counts_round_trip_through_timestamps() {
        // Known instants (`date -u -d @N +%FT%TZ`).
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_767_225_599), "2025-12-31T23:59:59Z");
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2025, 12, 31), (1900, 3, 1)] {
            let s = rfc3339_utc(days_from_civil(y, m, d) * 86_400);
            assert_eq!(s, format!("{y:04}-{m:02}-{d:02}T00:00:00Z"));
        }
    }
}
