//! The filter's tree, its types and the checks both parsers share: what `text` and `json`
//! read into and `eval` walks. Kept apart from `mod.rs` (which holds only [`super::Filter`]) so
//! the children import a sibling, not their parent.

use geo::{Coord, Geometry, LineString, MultiPolygon, Rect};

/// Why a filter was refused; `code` is the OGC API exception code the caller answers 400 with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (at character {position})")]
pub struct FilterError {
    /// 1-based character offset of the offending token in cql2-text; 0 for cql2-json, whose
    /// message then starts with the JSON path (e.g. `args[1]`).
    pub position: usize,
    /// What is wrong and, for syntax errors, what was expected.
    pub message: String,
    /// `"invalid_filter"` or `"unknown_property"`.
    pub code: &'static str,
}

impl FilterError {
    pub(super) fn invalid(position: usize, message: impl Into<String>) -> Self {
        FilterError {
            position,
            message: message.into(),
            code: "invalid_filter",
        }
    }

    pub(super) fn unknown(position: usize, name: &str) -> Self {
        FilterError {
            position,
            message: format!("unknown property '{name}' (not a queryable of this collection)"),
            code: "unknown_property",
        }
    }
}

/// The type of a queryable property, as the Queryables document states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyType {
    /// A JSON string.
    String,
    /// A JSON number without fraction (compared as a number).
    Integer,
    /// A JSON number.
    Number,
    /// A JSON boolean.
    Boolean,
    /// The feature's geometry ([`Subject::geometry`]).
    Geometry,
}

/// What a filter may name: property name -> type. The geometry queryable is named "geometry".
pub trait Queryables {
    /// The property's type, or `None` when the filter may not name it.
    fn property_type(&self, name: &str) -> Option<PropertyType>;
}

/// What a filter is evaluated against.
pub trait Subject {
    /// The property's value; `None` when absent (treated as NULL, as JSON `null` is).
    fn property(&self, name: &str) -> Option<&serde_json::Value>;
    /// The feature's geometry, which every property typed [`PropertyType::Geometry`] names.
    fn geometry(&self) -> &geo::Geometry<f64>;
}

/// The AST both encodings read into; `NOT LIKE`, `IS NOT NULL` etc. are `Not` of the positive
/// form, as cql2-json writes them, so the two encodings of one filter give equal trees.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Literal(bool),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Compare(CmpOp, Scalar, Scalar),
    Like(Scalar, Vec<LikeTok>),
    Between(Scalar, Scalar, Scalar),
    In(Scalar, Vec<Scalar>),
    IsNull(Scalar),
    /// `IS NULL` of a boolean expression: TRUE when it evaluates to unknown.
    IsUnknown(Box<Expr>),
    Spatial(SpatialOp, GeomArg, GeomArg),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl CmpOp {
    pub(super) fn from_symbol(s: &str) -> Option<CmpOp> {
        Some(match s {
            "=" => CmpOp::Eq,
            "<>" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            ">" => CmpOp::Gt,
            "<=" => CmpOp::Le,
            ">=" => CmpOp::Ge,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SpatialOp {
    Intersects,
    Disjoint,
    Within,
    Contains,
    Touches,
    Overlaps,
    Crosses,
    Equals,
}

impl SpatialOp {
    /// From `S_INTERSECTS` (text, any case) or `s_intersects` (JSON).
    pub(super) fn from_name(s: &str) -> Option<SpatialOp> {
        Some(match s.to_ascii_lowercase().as_str() {
            "s_intersects" => SpatialOp::Intersects,
            "s_disjoint" => SpatialOp::Disjoint,
            "s_within" => SpatialOp::Within,
            "s_contains" => SpatialOp::Contains,
            "s_touches" => SpatialOp::Touches,
            "s_overlaps" => SpatialOp::Overlaps,
            "s_crosses" => SpatialOp::Crosses,
            "s_equals" => SpatialOp::Equals,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scalar {
    Property(String),
    Str(String),
    Num(f64),
    Bool(bool),
    /// `yyyymmdd`, so that integer order is date order.
    Date(i64),
    /// `yyyymmddhhmmss` and nanoseconds.
    Timestamp(i64, u32),
    CaseI(Box<Scalar>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum GeomArg {
    Property,
    Literal(Geometry<f64>),
}

/// A compiled LIKE pattern: `%`, `_`, and literal characters (`\` escapes the next one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LikeTok {
    Any,
    One,
    Lit(char),
}

/// A scalar and its static type, as the parsers check them.
#[derive(Debug, Clone)]
pub(super) struct Typed {
    pub(super) s: Scalar,
    pub(super) ty: Ty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
    Str,
    Int,
    Num,
    Bool,
    Geom,
    Date,
    Ts,
}

impl Ty {
    pub(super) fn noun(self) -> &'static str {
        match self {
            Ty::Str => "a string",
            Ty::Int => "an integer",
            Ty::Num => "a number",
            Ty::Bool => "a boolean",
            Ty::Geom => "a geometry",
            Ty::Date => "a date",
            Ty::Ts => "a timestamp",
        }
    }

    pub(super) fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Num)
    }
}

pub(super) fn typed(s: Scalar, ty: Ty) -> Typed {
    Typed { s, ty }
}

/// Looks `name` up in the queryables; `None` when unknown (the caller places the error).
pub(super) fn property(q: &impl Queryables, name: &str) -> Option<Typed> {
    let ty = match q.property_type(name)? {
        PropertyType::String => Ty::Str,
        PropertyType::Integer => Ty::Int,
        PropertyType::Number => Ty::Num,
        PropertyType::Boolean => Ty::Bool,
        PropertyType::Geometry => Ty::Geom,
    };
    Some(typed(Scalar::Property(name.to_owned()), ty))
}

/// `x IS NULL`; the feature's geometry is never NULL (a Subject always has one).
pub(super) fn is_null(t: Typed) -> Expr {
    match t.ty {
        Ty::Geom => Expr::Literal(false),
        _ => Expr::IsNull(t.s),
    }
}

/// How an operand is named in a message: `county (a string)`, `'abc' (a string)`.
pub(super) fn label(t: &Typed) -> String {
    pub(super) fn inner(s: &Scalar) -> String {
        match s {
            Scalar::Property(n) => n.clone(),
            Scalar::Str(v) => format!("'{}'", v.chars().take(30).collect::<String>()),
            Scalar::Num(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string().to_uppercase(),
            Scalar::Date(_) => "DATE(...)".into(),
            Scalar::Timestamp(..) => "TIMESTAMP(...)".into(),
            Scalar::CaseI(x) => format!("CASEI({})", inner(x)),
        }
    }
    format!("{} ({})", inner(&t.s), t.ty.noun())
}

/// Both sides of `=`, `<` … or of `IN` must be of one type (integers and numbers are one).
pub(super) fn check_comparable(a: &Typed, b: &Typed) -> Result<(), String> {
    let same = a.ty == b.ty || (a.ty.numeric() && b.ty.numeric());
    if same && a.ty != Ty::Geom {
        Ok(())
    } else if a.ty == Ty::Geom || b.ty == Ty::Geom {
        Err(format!(
            "cannot compare {} with {}; geometries are compared with S_EQUALS",
            label(a),
            label(b)
        ))
    } else {
        Err(format!("cannot compare {} with {}", label(a), label(b)))
    }
}

/// The operand of LIKE or CASEI must be a string.
pub(super) fn check_string(t: &Typed, what: &str) -> Result<(), String> {
    match t.ty {
        Ty::Str => Ok(()),
        _ => Err(format!("{what} needs a string, not {}", label(t))),
    }
}

/// The operands of BETWEEN must be numbers.
pub(super) fn check_numeric(t: &Typed) -> Result<(), String> {
    match t.ty.numeric() {
        true => Ok(()),
        false => Err(format!("BETWEEN needs numbers, not {}", label(t))),
    }
}

/// `DATE('2024-02-29')`'s string, checked, as `yyyymmdd`.
pub(super) fn date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let max = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    (1..=max).contains(&d).then_some(y * 10_000 + m * 100 + d)
}

/// `TIMESTAMP('2024-02-29T08:30:00.5Z')`'s string, checked (UTC, as CQL2 requires).
pub(super) fn timestamp(s: &str) -> Option<(i64, u32)> {
    let day = date(s.get(..10)?)?;
    let rest = s.get(10..)?.strip_prefix('T')?.strip_suffix('Z')?;
    let (hms, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let mut parts = hms.split(':');
    let mut field = |max: i64| -> Option<i64> {
        let p = parts.next()?;
        let v =
            (p.len() == 2 && p.bytes().all(|c| c.is_ascii_digit())).then(|| p.parse().ok())??;
        (v <= max).then_some(v)
    };
    let (h, m, sec) = (field(23)?, field(59)?, field(60)?);
    if parts.next().is_some()
        || (rest.contains('.') && frac.is_empty())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let nanos = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
    Some((day * 1_000_000 + h * 10_000 + m * 100 + sec, nanos))
}

/// A finite coordinate; further ordinates (z) are dropped: every predicate here is 2D.
pub(super) fn coord(xy: &[f64]) -> Result<Coord, String> {
    match xy {
        [x, y, ..] if x.is_finite() && y.is_finite() => Ok(Coord { x: *x, y: *y }),
        [_, _, ..] => Err("coordinates must be finite numbers".into()),
        _ => Err("a position needs at least two numbers".into()),
    }
}

/// A line string of at least two positions.
pub(super) fn line(points: Vec<Coord>) -> Result<LineString, String> {
    match points.len() {
        0 | 1 => Err("a line string needs at least two positions".into()),
        _ => Ok(LineString(points)),
    }
}

/// A polygon ring: at least four positions, as the grammar and the JSON schema ask.
pub(super) fn ring(points: Vec<Coord>) -> Result<LineString, String> {
    match points.len() {
        0..=3 => Err("a polygon ring needs at least four positions".into()),
        _ => Ok(LineString(points)),
    }
}

/// `BBOX(w, s, e, n)` or with heights `BBOX(w, s, zmin, e, n, zmax)`; a box whose west edge
/// lies east of its east edge crosses the antimeridian and becomes two.
pub(super) fn bbox(v: &[f64]) -> Result<Geometry, String> {
    let ([w, s, e, n] | [w, s, _, e, n, _]) = *v else {
        return Err(format!("a bbox has 4 or 6 numbers, not {}", v.len()));
    };
    if ![w, s, e, n].iter().all(|c| c.is_finite()) || s > n {
        return Err("a bbox needs finite numbers and south <= north".into());
    }
    let rect = |w: f64, e: f64| Rect::new(Coord { x: w, y: s }, Coord { x: e, y: n }).to_polygon();
    Ok(if w <= e {
        Geometry::Polygon(rect(w, e))
    } else {
        Geometry::MultiPolygon(MultiPolygon(vec![rect(w, 180.0), rect(-180.0, e)]))
    })
}

/// How deep parentheses, NOT and CASEI may nest: deeper input is refused, not a stack overflow.
pub(super) const MAX_DEPTH: usize = 64;
