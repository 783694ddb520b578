//! Parameters and their checks, shared by every front end: years and dates (the current year,
//! civil dates, RFC 3339), distances, ring lists, layer lists, boxes, and [`QueryError`], the
//! answer to a parameter that is out of range or malformed.
//!
//! It imports nothing of the crate: every layer above may use it.

/// A query that cannot be answered as asked (bad parameter, unknown layer).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    /// A layer named in the query is not in the dataset.
    #[error("unknown layer {name:?}; valid layers: {}", .valid.join(", "))]
    UnknownLayer {
        /// The name asked for.
        name: String,
        /// The dataset's layer ids.
        valid: Vec<String>,
    },
    /// A parameter is malformed or out of range.
    #[error("parameter `{name}`: {message}")]
    InvalidParameter {
        /// The parameter's name.
        name: String,
        /// What is wrong with it, and what is accepted.
        message: String,
    },
    /// The parameters are right but a result cannot be given in the coordinates asked for (a
    /// site's box in a `crs` whose domain it leaves): what and where.
    #[error("{0}")]
    Coordinates(String),
}

impl QueryError {
    /// Stable machine-readable code (`unknown_layer`, `invalid_parameter`, `invalid_coordinates`).
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::UnknownLayer { .. } => "unknown_layer",
            QueryError::InvalidParameter { .. } => "invalid_parameter",
            QueryError::Coordinates(_) => "invalid_coordinates",
        }
    }

    pub(crate) fn param(name: &str, message: impl Into<String>) -> Self {
        QueryError::InvalidParameter {
            name: name.to_string(),
            message: message.into(),
        }
    }
}

/// The current calendar year (UTC), the default for temporal queries.
pub fn current_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    year_of_unix_days(secs.div_euclid(86_400))
}

/// Civil year of a day count since 1970-01-01.
fn year_of_unix_days(days: i64) -> i32 {
    civil_from_days(days).0 as i32
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's civil-from-days).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Years outside this range are typos, not plans.
pub fn check_year(year: i32) -> Result<i32, QueryError> {
    if (1900..=2200).contains(&year) {
        Ok(year)
    } else {
        Err(QueryError::param(
            "year",
            format!("must be between 1900 and 2200, got {year}"),
        ))
    }
}

/// Longest series served in one call.
pub const MAX_SERIES_YEARS: i32 = 100;

/// A year range must be ordered, valid and not absurdly long.
pub fn check_range(from: i32, to: i32) -> Result<(), QueryError> {
    check_year(from)?;
    check_year(to)?;
    if from > to {
        return Err(QueryError::param(
            "from",
            format!("must not be after `to` ({from} > {to})"),
        ));
    }
    if to - from >= MAX_SERIES_YEARS {
        return Err(QueryError::param(
            "to",
            format!("a series spans at most {MAX_SERIES_YEARS} years"),
        ));
    }
    Ok(())
}

/// Largest buffer accepted, in metres: beyond this a "near" report stops meaning anything.
pub const MAX_BUFFER_M: f64 = 100_000.0;

/// Checks a buffer distance: finite metres from 0 to [`MAX_BUFFER_M`].
pub fn check_buffer(buffer_m: f64) -> Result<f64, QueryError> {
    if buffer_m.is_finite() && (0.0..=MAX_BUFFER_M).contains(&buffer_m) {
        Ok(buffer_m)
    } else {
        Err(QueryError::param(
            "buffer_m",
            format!("must be a number of metres from 0 to {MAX_BUFFER_M}, got {buffer_m}"),
        ))
    }
}

/// Most rings in one request.
pub const MAX_RINGS: usize = 10;

/// The rings reported when neither the request nor the rules file lists any, m.
pub const DEFAULT_RINGS_M: [f64; 4] = [0.0, 500.0, 1000.0, 5000.0];

/// Parses a `rings` parameter: comma-separated metres, or empty / `default` for `default` (the
/// rules file's `default_rings_m`, else [`DEFAULT_RINGS_M`]).
pub fn parse_rings(param: &str, default: &[f64]) -> Result<Vec<f64>, QueryError> {
    match param.trim() {
        "" | "default" => Ok(default.to_vec()),
        list => list
            .split(',')
            .map(|x| {
                x.trim().parse::<f64>().map_err(|_| {
                    QueryError::param("rings", format!("{x:?} is not a distance in metres"))
                })
            })
            .collect(),
    }
}

/// Checks a list of ring distances: 1..=MAX_RINGS values in 0..=MAX_BUFFER_M, sorted, unique.
pub fn validate_rings(radii: &[f64]) -> Result<Vec<f64>, QueryError> {
    if radii.is_empty() || radii.len() > MAX_RINGS {
        return Err(QueryError::param(
            "rings",
            format!("give 1 to {MAX_RINGS} distances in metres, e.g. rings=0,500,1000,5000"),
        ));
    }
    let mut v = radii.to_vec();
    for d in &v {
        if !d.is_finite() || *d < 0.0 || *d > MAX_BUFFER_M {
            return Err(QueryError::param(
                "rings",
                format!("each distance must be 0 to {MAX_BUFFER_M} m, got {d}"),
            ));
        }
    }
    v.sort_by(f64::total_cmp);
    v.dedup();
    Ok(v)
}

/// A comma-separated list of layer ids (`redline,water_source`), blanks dropped.
pub fn parse_layer_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
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
    // RFC 3339 is ASCII; the slicing below cuts at byte offsets, inside a wider character a panic.
    if !s.is_ascii() || b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
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
    let (y, m, d) = civil_from_days(days);
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
            // Non-ASCII where the digits are looked for (was a panic: a slice inside `é`).
            "2020-01-0é",
            "2020-01-01T00:00:0é",
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

    #[test]
    fn civil_years_from_day_counts() {
        // Day numbers checked with `date -d @$((N*86400)) +%F`.
        assert_eq!(super::year_of_unix_days(0), 1970);
        assert_eq!(super::year_of_unix_days(20_453), 2025); // 2025-12-31
        assert_eq!(super::year_of_unix_days(20_454), 2026); // 2026-01-01
        assert_eq!(super::year_of_unix_days(11_016), 2000); // 2000-02-29
    }

    #[test]
    fn ring_distances_are_checked_sorted_and_deduplicated() {
        assert_eq!(
            validate_rings(&[1000.0, 0.0, 500.0, 500.0]).unwrap(),
            [0.0, 500.0, 1000.0]
        );
        assert!(validate_rings(&[]).is_err());
        assert!(validate_rings(&[-1.0]).is_err());
        assert!(validate_rings(&[f64::NAN]).is_err());
        assert!(validate_rings(&[200_000.0]).is_err());
        assert!(validate_rings(&[1.0; 11]).is_err());
    }
}
