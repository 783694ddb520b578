//! OGC API – Features Part 3 filtering: CQL2 (OGC 21-065r2, CQL2 1.0) in both encodings,
//! `cql2-text` ([`Filter::parse_text`]) and `cql2-json` ([`Filter::parse_json`]), read into one
//! AST and evaluated against a feature ([`Filter::matches`]).
//!
//! Written here rather than taken from the `cql2` crate, which brings a SQL parser, a JSON-schema
//! validator and turns on serde_json's `preserve_order` for the whole build (changing our JSON
//! digests). What is implemented is exactly what [`Filter::CONFORMANCE`] lists.
//!
//! Properties are checked against the layer's [`Queryables`] when the filter is parsed: an
//! unknown name (`unknown_property`) or a type clash that needs no data to see (`county = 1`,
//! `LIKE` on a number, `S_WITHIN` on a string) is refused then, so a typo is a 400 rather than an
//! empty answer.
//!
//! # NULL
//! A property that is absent, JSON `null`, or of another JSON type than its queryable states is
//! NULL. As the standard asks, evaluation is three-valued (Kleene): a comparison, `LIKE`,
//! `BETWEEN` or `IN` with a NULL operand is *unknown*, `NOT unknown` is unknown, `unknown AND
//! false` is false, `unknown OR true` is true; `IS NULL` is never unknown; a feature matches
//! only when the filter is TRUE. So `NOT (valid_from < 2020)` does not select a feature without
//! `valid_from` (pygeofilter's native evaluator, two-valued, would).
//!
//! # Beside the standard
//! `a ILIKE 'p'` (GDAL and ECQL clients send it; not CQL2) is read as `CASEI(a) LIKE CASEI('p')`.
//! `MULTIPOINT(1 2, 3 4)` is read as well as `MULTIPOINT((1 2), (3 4))`. Z ordinates are read
//! and dropped: the predicates are 2D. DATE and TIMESTAMP literals compare with each other only,
//! as no queryable here is temporal. Not implemented (refused with `invalid_filter`): other
//! functions, arithmetic, temporal and array predicates, ACCENTI, EMPTY geometries, `filter-crs`.
//!
//! # Examples
//! ```
//! use ecospace::filter::{Filter, PropertyType, Queryables};
//! struct Q;
//! impl Queryables for Q {
//!     fn property_type(&self, name: &str) -> Option<PropertyType> {
//!         match name {
//!             "name" | "county" => Some(PropertyType::String),
//!             "geometry" => Some(PropertyType::Geometry),
//!             _ => None,
//!         }
//!     }
//! }
//! let text = "county = '330402' AND S_INTERSECTS(geometry, BBOX(120.7, 30.7, 120.9, 30.9))";
//! let f = Filter::parse_text(text, &Q)?;
//! assert_eq!(f.envelope(), Some([120.7, 30.7, 120.9, 30.9]));
//! let e = Filter::parse_text("cuonty = '330402'", &Q).unwrap_err();
//! assert_eq!((e.code, e.position), ("unknown_property", 1));
//! # Ok::<(), ecospace::filter::FilterError>(())
//! ```

mod eval;
mod json;
mod text;

use eval::like_pattern;

use geo::{Coord, Geometry, LineString, MultiPolygon, Rect};

/// A parsed, type-checked CQL2 filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    root: Expr,
}

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
    fn invalid(position: usize, message: impl Into<String>) -> Self {
        FilterError {
            position,
            message: message.into(),
            code: "invalid_filter",
        }
    }

    fn unknown(position: usize, name: &str) -> Self {
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

impl Filter {
    /// The conformance classes (CQL2 1.0) implemented in full, for `/conformance`.
    pub const CONFORMANCE: &'static [&'static str] = &[
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
        "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
        "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    ];

    /// Reads a cql2-text filter (`filter-lang=cql2-text`, the default of `filter=`).
    pub fn parse_text(s: &str, q: &impl Queryables) -> Result<Filter, FilterError> {
        text::parse(s, q).map(|root| Filter { root })
    }

    /// Reads a cql2-json filter from its JSON text.
    pub fn parse_json(s: &str, q: &impl Queryables) -> Result<Filter, FilterError> {
        json::parse(s, q).map(|root| Filter { root })
    }

    /// Whether the filter is TRUE for `s` (unknown, from NULLs, does not match).
    pub fn matches(&self, s: &impl Subject) -> bool {
        eval::eval(&self.root, s) == Some(true)
    }

    /// A lon/lat box every matching feature's geometry must meet, when the filter implies one
    /// (an S_INTERSECTS/S_WITHIN/... on geometry at the top level or under AND), so the caller can
    /// first ask its R-tree; None when no such box follows (e.g. under OR/NOT).
    ///
    /// Under AND the smallest of the boxes is given, not their intersection: a line may meet two
    /// boxes without meeting where they overlap. An OR whose every branch implies a box gives
    /// their union. Literals are taken as CRS84 lon/lat (`filter-crs` is not read).
    pub fn envelope(&self) -> Option<[f64; 4]> {
        eval::envelope(&self.root)
    }
}

/// The AST both encodings read into; `NOT LIKE`, `IS NOT NULL` etc. are `Not` of the positive
/// form, as cql2-json writes them, so the two encodings of one filter give equal trees.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
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
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl CmpOp {
    fn from_symbol(s: &str) -> Option<CmpOp> {
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
enum SpatialOp {
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
    fn from_name(s: &str) -> Option<SpatialOp> {
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
enum Scalar {
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
enum GeomArg {
    Property,
    Literal(Geometry<f64>),
}

/// A compiled LIKE pattern: `%`, `_`, and literal characters (`\` escapes the next one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LikeTok {
    Any,
    One,
    Lit(char),
}

/// A scalar and its static type, as the parsers check them.
#[derive(Debug, Clone)]
struct Typed {
    s: Scalar,
    ty: Ty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Str,
    Int,
    Num,
    Bool,
    Geom,
    Date,
    Ts,
}

impl Ty {
    fn noun(self) -> &'static str {
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

    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Num)
    }
}

fn typed(s: Scalar, ty: Ty) -> Typed {
    Typed { s, ty }
}

/// Looks `name` up in the queryables; `None` when unknown (the caller places the error).
fn property(q: &impl Queryables, name: &str) -> Option<Typed> {
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
fn is_null(t: Typed) -> Expr {
    match t.ty {
        Ty::Geom => Expr::Literal(false),
        _ => Expr::IsNull(t.s),
    }
}

/// How an operand is named in a message: `county (a string)`, `'abc' (a string)`.
fn label(t: &Typed) -> String {
    fn inner(s: &Scalar) -> String {
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
fn check_comparable(a: &Typed, b: &Typed) -> Result<(), String> {
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
fn check_string(t: &Typed, what: &str) -> Result<(), String> {
    match t.ty {
        Ty::Str => Ok(()),
        _ => Err(format!("{what} needs a string, not {}", label(t))),
    }
}

/// The operands of BETWEEN must be numbers.
fn check_numeric(t: &Typed) -> Result<(), String> {
    match t.ty.numeric() {
        true => Ok(()),
        false => Err(format!("BETWEEN needs numbers, not {}", label(t))),
    }
}

/// `DATE('2024-02-29')`'s string, checked, as `yyyymmdd`.
fn date(s: &str) -> Option<i64> {
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
fn timestamp(s: &str) -> Option<(i64, u32)> {
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
fn coord(xy: &[f64]) -> Result<Coord, String> {
    match xy {
        [x, y, ..] if x.is_finite() && y.is_finite() => Ok(Coord { x: *x, y: *y }),
        [_, _, ..] => Err("coordinates must be finite numbers".into()),
        _ => Err("a position needs at least two numbers".into()),
    }
}

/// A line string of at least two positions.
fn line(points: Vec<Coord>) -> Result<LineString, String> {
    match points.len() {
        0 | 1 => Err("a line string needs at least two positions".into()),
        _ => Ok(LineString(points)),
    }
}

/// A polygon ring: at least four positions, as the grammar and the JSON schema ask.
fn ring(points: Vec<Coord>) -> Result<LineString, String> {
    match points.len() {
        0..=3 => Err("a polygon ring needs at least four positions".into()),
        _ => Ok(LineString(points)),
    }
}

/// `BBOX(w, s, e, n)` or with heights `BBOX(w, s, zmin, e, n, zmax)`; a box whose west edge
/// lies east of its east edge crosses the antimeridian and becomes two.
fn bbox(v: &[f64]) -> Result<Geometry, String> {
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
const MAX_DEPTH: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) struct Q;
    impl Queryables for Q {
        fn property_type(&self, name: &str) -> Option<PropertyType> {
            match name {
                "name" | "county" => Some(PropertyType::String),
                "valid_from" => Some(PropertyType::Integer),
                "area" => Some(PropertyType::Number),
                "protected" => Some(PropertyType::Boolean),
                "geometry" => Some(PropertyType::Geometry),
                _ => None,
            }
        }
    }

    #[test]
    fn text_and_json_read_into_one_tree() {
        let pairs = [
            (
                "county = '330402' AND NOT name LIKE CASEI('南%')",
                r#"{"op":"and","args":[{"op":"=","args":[{"property":"county"},"330402"]},
                   {"op":"not","args":[{"op":"like","args":[{"property":"name"},{"op":"casei","args":["南%"]}]}]}]}"#,
            ),
            (
                "valid_from NOT BETWEEN 2000 AND 2020.5 OR area IN (1, -2e1)",
                r#"{"op":"or","args":[{"op":"not","args":[{"op":"between","args":[{"property":"valid_from"},2000,2020.5]}]},
                   {"op":"in","args":[{"property":"area"},[1,-20]]}]}"#,
            ),
            (
                "S_WITHIN(geometry, BBOX(120, 30, 121, 31)) AND name IS NOT NULL",
                r#"{"op":"and","args":[{"op":"s_within","args":[{"property":"geometry"},{"bbox":[120,30,121,31]}]},
                   {"op":"not","args":[{"op":"isNull","args":[{"property":"name"}]}]}]}"#,
            ),
            (
                "S_INTERSECTS(POLYGON((0 0, 1 0, 1 1, 0 0)), geometry)",
                r#"{"op":"s_intersects","args":[{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},{"property":"geometry"}]}"#,
            ),
            (
                "TIMESTAMP('2024-01-01T00:00:00Z') > TIMESTAMP('2023-12-31T23:59:59.5Z')",
                r#"{"op":">","args":[{"timestamp":"2024-01-01T00:00:00Z"},{"timestamp":"2023-12-31T23:59:59.5Z"}]}"#,
            ),
        ];
        for (t, j) in pairs {
            assert_eq!(Filter::parse_text(t, &Q), Filter::parse_json(j, &Q), "{t}");
        }
    }

    #[test]
    fn dates_and_timestamps_are_checked() {
        assert_eq!(date("2024-02-29"), Some(20_240_229));
        assert_eq!(date("2023-02-29"), None);
        assert_eq!(date("2023-13-01"), None);
        assert_eq!(
            timestamp("2024-02-29T08:30:05.25Z"),
            Some((20_240_229_083_005, 250_000_000))
        );
        assert_eq!(timestamp("2024-02-29T24:00:00Z"), None);
        assert_eq!(timestamp("2024-02-29T08:30:05."), None);
    }

    #[test]
    fn envelope_takes_the_smallest_box_under_and_the_union_under_or() {
        let f = |s: &str| Filter::parse_text(s, &Q).map(|f| f.envelope());
        let and = "S_INTERSECTS(geometry, BBOX(0,0,10,10)) AND S_WITHIN(geometry, BBOX(5,5,6,7))";
        assert_eq!(f(and), Ok(Some([5.0, 5.0, 6.0, 7.0])));
        let or = "S_INTERSECTS(geometry, POINT(1 2)) OR S_TOUCHES(geometry, BBOX(3,-1,4,0))";
        assert_eq!(f(or), Ok(Some([1.0, -1.0, 4.0, 2.0])));
        assert_eq!(
            f("S_INTERSECTS(geometry, POINT(1 2)) OR name = 'x'"),
            Ok(None)
        );
        assert_eq!(f("NOT S_INTERSECTS(geometry, POINT(1 2))"), Ok(None));
        assert_eq!(f("S_DISJOINT(geometry, POINT(1 2))"), Ok(None));
        // Across the antimeridian: the box of both halves.
        assert_eq!(
            f("S_INTERSECTS(geometry, BBOX(170, 0, -170, 1))"),
            Ok(Some([-180.0, 0.0, 180.0, 1.0]))
        );
    }
}
