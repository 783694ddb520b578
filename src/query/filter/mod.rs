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

mod ast;
mod eval;
mod json;
mod text;

use ast::Expr;
pub use ast::{FilterError, PropertyType, Queryables, Subject};

/// A parsed, type-checked CQL2 filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    root: Expr,
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

#[cfg(test)]
mod tests {
    use super::ast::*;
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
