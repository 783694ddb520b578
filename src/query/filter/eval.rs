//! Evaluation of the AST against a feature, three-valued (`None` is unknown, from NULLs), and
//! the box a filter implies for the caller's R-tree.

use super::ast::{label, CmpOp, Expr, GeomArg, LikeTok, Scalar, SpatialOp, Subject, Typed};
use geo::{BoundingRect, Geometry, Intersects, Relate};
use serde_json::Value;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A scalar's value for one feature.
#[derive(Debug, PartialEq)]
enum Val<'a> {
    Str(Cow<'a, str>),
    Num(f64),
    Bool(bool),
    Date(i64),
    Ts(i64, u32),
}

pub(super) fn eval<S: Subject>(e: &Expr, s: &S) -> Option<bool> {
    match e {
        Expr::Literal(b) => Some(*b),
        Expr::And(v) => kleene(v.iter().map(|x| eval(x, s)), false),
        Expr::Or(v) => kleene(v.iter().map(|x| eval(x, s)), true),
        Expr::Not(x) => eval(x, s).map(|b| !b),
        Expr::Compare(op, a, b) => {
            let ord = compare(&value(a, s)?, &value(b, s)?)?;
            Some(match op {
                CmpOp::Eq => ord == Ordering::Equal,
                CmpOp::Ne => ord != Ordering::Equal,
                CmpOp::Lt => ord == Ordering::Less,
                CmpOp::Gt => ord == Ordering::Greater,
                CmpOp::Le => ord != Ordering::Greater,
                CmpOp::Ge => ord != Ordering::Less,
            })
        }
        Expr::Like(v, pattern) => match value(v, s)? {
            Val::Str(text) => Some(like(&text.chars().collect::<Vec<_>>(), pattern)),
            _ => None,
        },
        Expr::Between(x, lo, hi) => {
            let x = value(x, s)?;
            let above = value(lo, s)
                .and_then(|lo| compare(&x, &lo))
                .map(|o| o != Ordering::Less);
            let below = value(hi, s)
                .and_then(|hi| compare(&x, &hi))
                .map(|o| o != Ordering::Greater);
            kleene([above, below].into_iter(), false)
        }
        Expr::In(x, items) => {
            let x = value(x, s)?;
            let hits = items.iter().map(|i| {
                value(i, s)
                    .and_then(|i| compare(&x, &i))
                    .map(|o| o == Ordering::Equal)
            });
            kleene(hits, true)
        }
        Expr::IsNull(x) => Some(is_null(x, s)),
        Expr::IsUnknown(x) => Some(eval(x, s).is_none()),
        Expr::Spatial(op, a, b) => Some(spatial(*op, geometry(a, s), geometry(b, s))),
    }
}

/// AND (`decisive` false) or OR (`decisive` true) of three-valued operands: the decisive value
/// wins, else any unknown makes the result unknown.
fn kleene(v: impl Iterator<Item = Option<bool>>, decisive: bool) -> Option<bool> {
    let mut unknown = false;
    for x in v {
        match x {
            Some(b) if b == decisive => return Some(decisive),
            Some(_) => {}
            None => unknown = true,
        }
    }
    (!unknown).then_some(!decisive)
}

/// `None` for NULL: absent, JSON null, or a JSON type that is no scalar of CQL2.
fn value<'a, S: Subject>(x: &'a Scalar, s: &'a S) -> Option<Val<'a>> {
    Some(match x {
        Scalar::Property(name) => match s.property(name)? {
            Value::String(v) => Val::Str(Cow::Borrowed(v)),
            Value::Number(n) => Val::Num(n.as_f64()?),
            Value::Bool(b) => Val::Bool(*b),
            Value::Null | Value::Array(_) | Value::Object(_) => return None,
        },
        Scalar::Str(v) => Val::Str(Cow::Borrowed(v)),
        Scalar::Num(n) => Val::Num(*n),
        Scalar::Bool(b) => Val::Bool(*b),
        Scalar::Date(d) => Val::Date(*d),
        Scalar::Timestamp(t, n) => Val::Ts(*t, *n),
        Scalar::CaseI(inner) => match value(inner, s)? {
            Val::Str(v) => Val::Str(Cow::Owned(fold(&v))),
            _ => return None,
        },
    })
}

fn is_null<S: Subject>(x: &Scalar, s: &S) -> bool {
    match x {
        Scalar::Property(name) => s.property(name).is_none_or(Value::is_null),
        Scalar::CaseI(inner) => is_null(inner, s),
        _ => false,
    }
}

/// Values of one type compare; a property holding another type than declared is unknown.
fn compare(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
        (Val::Num(a), Val::Num(b)) => a.partial_cmp(b),
        (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
        (Val::Date(a), Val::Date(b)) => Some(a.cmp(b)),
        (Val::Ts(a, an), Val::Ts(b, bn)) => Some((a, an).cmp(&(b, bn))),
        _ => None,
    }
}

/// A LIKE pattern is a string literal, possibly under CASEI (then it is case-folded here).
pub(super) fn like_pattern(t: &Typed) -> Result<Vec<LikeTok>, String> {
    fn literal(s: &Scalar) -> Option<String> {
        match s {
            Scalar::Str(v) => Some(v.clone()),
            Scalar::CaseI(x) => literal(x).map(|v| fold(&v)),
            _ => None,
        }
    }
    let text = literal(&t.s)
        .ok_or_else(|| format!("a LIKE pattern is a string literal, not {}", label(t)))?;
    let mut toks = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '%' => LikeTok::Any,
            '_' => LikeTok::One,
            '\\' => LikeTok::Lit(chars.next().unwrap_or('\\')),
            c => LikeTok::Lit(c),
        });
    }
    Ok(toks)
}

/// CASEI's folding: per character lower, upper, lower, which groups characters as Unicode full
/// case folding does (checked against Python's `str.casefold` over all code points) except the
/// dotless `ı`, kept apart here as folding keeps it.
pub(super) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == 'ı' {
            out.push(c);
            continue;
        }
        for l in c.to_lowercase() {
            for u in l.to_uppercase() {
                out.extend(u.to_lowercase());
            }
        }
    }
    out
}

/// `%`/`_` matching by the usual two-pointer walk with one backtrack point, so no pattern can
/// make it exponential.
fn like(text: &[char], pat: &[LikeTok]) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(LikeTok::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(LikeTok::One) => {
                t += 1;
                p += 1;
            }
            Some(LikeTok::Lit(c)) if *c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    star = Some((sp, st + 1));
                    p = sp + 1;
                    t = st + 1;
                }
                None => return false,
            },
        }
    }
    pat[p.min(pat.len())..].iter().all(|x| *x == LikeTok::Any)
}

fn geometry<'a, S: Subject>(g: &'a GeomArg, s: &'a S) -> &'a Geometry {
    match g {
        GeomArg::Property => s.geometry(),
        GeomArg::Literal(g) => g,
    }
}

/// The Simple Features predicates (OGC 06-103r4 6.1.15), via the DE-9IM matrix for all but
/// intersects/disjoint, which have a cheaper direct test.
fn spatial(op: SpatialOp, a: &Geometry, b: &Geometry) -> bool {
    match op {
        SpatialOp::Intersects => a.intersects(b),
        SpatialOp::Disjoint => !a.intersects(b),
        SpatialOp::Within => a.relate(b).is_within(),
        SpatialOp::Contains => a.relate(b).is_contains(),
        SpatialOp::Touches => a.relate(b).is_touches(),
        SpatialOp::Overlaps => a.relate(b).is_overlaps(),
        SpatialOp::Crosses => a.relate(b).is_crosses(),
        SpatialOp::Equals => a.relate(b).is_equal_topo(),
    }
}

/// See [`super::Filter::envelope`]. Every predicate but S_DISJOINT implies that the two
/// geometries intersect, so the feature meets the literal's box.
pub(super) fn envelope(e: &Expr) -> Option<[f64; 4]> {
    let area = |b: &[f64; 4]| (b[2] - b[0]) * (b[3] - b[1]);
    match e {
        Expr::Spatial(SpatialOp::Disjoint, ..) => None,
        Expr::Spatial(_, GeomArg::Property, GeomArg::Literal(g))
        | Expr::Spatial(_, GeomArg::Literal(g), GeomArg::Property) => g
            .bounding_rect()
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
        Expr::And(v) => v
            .iter()
            .filter_map(envelope)
            .min_by(|a, b| area(a).total_cmp(&area(b))),
        Expr::Or(v) => v
            .iter()
            .map(envelope)
            .try_fold(None, |acc: Option<[f64; 4]>, b| {
                let b = b?;
                Some(Some(acc.map_or(b, |a| crate::spatial::clip::union(a, b))))
            })?,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::Q;
    use super::super::Filter;
    use super::*;
    use geo::{polygon, Point};
    use serde_json::{json, Map};

    struct F {
        props: Map<String, Value>,
        geom: Geometry,
    }

    impl Subject for F {
        fn property(&self, name: &str) -> Option<&Value> {
            self.props.get(name)
        }
        fn geometry(&self) -> &Geometry {
            &self.geom
        }
    }

    /// A 2×2 square at the origin named 南湖生态保护红线, county 330402, area 12.5, no valid_from.
    fn lake() -> F {
        let props = json!({"name": "南湖生态保护红线", "county": "330402", "area": 12.5, "protected": true, "valid_from": null});
        let Value::Object(props) = props else {
            unreachable!()
        };
        F {
            props,
            geom: Geometry::Polygon(
                polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)],
            ),
        }
    }

    fn t(s: &str) -> bool {
        Filter::parse_text(s, &Q)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .matches(&lake())
    }

    #[test]
    fn fold_groups_as_case_folding_does() {
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("STRASSE"), "strasse");
        assert_eq!(fold("ẞ"), "ss");
        assert_eq!(fold("ı"), "ı");
        assert_eq!(fold("南湖"), "南湖");
    }

    #[test]
    fn null_is_unknown_and_not_unknown_stays_unknown() {
        assert!(t("valid_from IS NULL"));
        assert!(t("geometry IS NOT NULL") && !t("name IS NULL"));
        assert!(!t("valid_from < 2020"));
        assert!(!t("NOT (valid_from < 2020)"));
        assert!(!t("valid_from <> 2020"));
        assert!(!t("valid_from NOT IN (1, 2)"));
        assert!(!t("NOT (valid_from BETWEEN 1 AND 2)"));
        // unknown OR true is true; unknown AND false is false, so its NOT is true.
        assert!(t("valid_from = 1 OR county = '330402'"));
        assert!(t("NOT (valid_from = 1 AND county = 'x')"));
        assert!(t("(valid_from = 1) IS NULL"));
        assert!(!t("(county = 'x') IS NULL"));
    }

    #[test]
    fn comparisons_like_between_in() {
        assert!(t("county >= '330402' AND county < '330411'"));
        assert!(
            t("area BETWEEN 12.5 AND 13")
                && !t("area NOT BETWEEN 12.5 AND 13")
                && !t("area BETWEEN 1 AND 12")
        );
        assert!(t("area IN (1, 12.5)") && !t("county IN ('330411', '330421')"));
        assert!(t("protected = TRUE") && !t("protected <> TRUE"));
        assert!(
            t("name LIKE '南%'")
                && t("name LIKE '_湖%红线'")
                && !t("name LIKE '_湖'")
                && !t("name LIKE '湖%'")
        );
        assert!(t("name NOT LIKE '%湘家荡%'"));
        assert!(t("'B' > 'A' AND 'a' > 'B'"));
        assert!(t("DATE('2024-03-01') > DATE('2024-02-29')"));
        // A property holding another type than declared is unknown either way.
        let mut odd = lake();
        odd.props.insert("area".into(), json!("12.5"));
        let f = |s: &str| Filter::parse_text(s, &Q).map(|f| f.matches(&odd));
        assert_eq!(
            (f("area = 12.5"), f("NOT (area = 12.5)"), f("area IS NULL")),
            (Ok(false), Ok(false), Ok(false))
        );
    }

    #[test]
    fn like_walks_wildcards_and_escapes() {
        let m = |text: &str, pat: &str| {
            let f = Filter::parse_text(&format!("'{text}' LIKE '{pat}'"), &Q)
                .unwrap_or_else(|e| panic!("{e}"));
            f.matches(&lake())
        };
        assert!(m("abcabd", "%abd") && m("abc", "a%%c") && m("", "%") && !m("", "_"));
        assert!(m("a%c", r"a\%c") && !m("abc", r"a\%c") && m("a_c", r"a\_c") && !m("abc", r"a\_c"));
        assert!(m(r"a\b", r"a\\b"));
        let ci = |s: &str| Filter::parse_text(s, &Q).map(|f| f.matches(&lake()));
        assert_eq!(ci("CASEI('Straße') = CASEI('STRASSE')"), Ok(true));
        assert_eq!(ci("'ABC' ILIKE 'a_c'"), Ok(true));
        assert_eq!(ci("'ABC' LIKE 'a_c'"), Ok(false));
        assert_eq!(ci("CASEI('ABC') LIKE 'A%'"), Ok(false));
    }

    #[test]
    fn spatial_predicates_follow_de9im() {
        assert!(t(
            "S_INTERSECTS(geometry, POINT(1 1)) AND S_CONTAINS(geometry, POINT(1 1))"
        ));
        assert!(t("S_TOUCHES(geometry, POINT(2 1))") && !t("S_CONTAINS(geometry, POINT(2 1))"));
        assert!(t("S_DISJOINT(geometry, POINT(3 3))") && !t("S_INTERSECTS(geometry, POINT(3 3))"));
        assert!(
            t("S_WITHIN(geometry, BBOX(-1, -1, 3, 3))")
                && !t("S_WITHIN(geometry, BBOX(1, -1, 3, 3))")
        );
        assert!(
            t("S_OVERLAPS(geometry, BBOX(1, 1, 3, 3))")
                && !t("S_OVERLAPS(geometry, BBOX(-1, -1, 3, 3))")
        );
        assert!(
            t("S_CROSSES(LINESTRING(-1 1, 3 1), geometry)")
                && !t("S_CROSSES(LINESTRING(0.5 1, 1.5 1), geometry)")
        );
        assert!(t("S_EQUALS(geometry, POLYGON((2 2, 0 2, 0 0, 2 0, 2 2)))"));
        assert!(!t("S_INTERSECTS(geometry, BBOX(179, -1, -179, 1))"));
        let far = F {
            geom: Geometry::Point(Point::new(179.5, 0.0)),
            ..lake()
        };
        let f = Filter::parse_text("S_INTERSECTS(geometry, BBOX(179, -1, -179, 1))", &Q);
        assert_eq!(f.map(|f| f.matches(&far)), Ok(true));
    }

    #[test]
    fn wkt_literals_read_as_their_geojson_twins() {
        let text = |s: &str| Filter::parse_text(&format!("S_INTERSECTS(geometry, {s})"), &Q);
        let json = |s: &str| {
            let j = format!(r#"{{"op":"s_intersects","args":[{{"property":"geometry"}},{s}]}}"#);
            Filter::parse_json(&j, &Q)
        };
        let pairs = [
            ("POINT Z (1 2 3)", r#"{"type":"Point","coordinates":[1,2]}"#),
            (
                "MULTIPOINT((1 2), (3 -4))",
                r#"{"type":"MultiPoint","coordinates":[[1,2],[3,-4]]}"#,
            ),
            (
                "multipoint(1 2, 3 -4)",
                r#"{"type":"MultiPoint","coordinates":[[1,2],[3,-4]]}"#,
            ),
            (
                "LINESTRING(0 0, 1 1)",
                r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#,
            ),
            (
                "POLYGON((0 0, 2 0, 2 2, 0 0), (0.5 0.5, 1 0.5, 1 1, 0.5 0.5))",
                r#"{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,0]],[[0.5,0.5],[1,0.5],[1,1],[0.5,0.5]]]}"#,
            ),
            (
                "MULTILINESTRING((0 0, 1 1))",
                r#"{"type":"MultiLineString","coordinates":[[[0,0],[1,1]]]}"#,
            ),
            (
                "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)))",
                r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}"#,
            ),
            (
                "GEOMETRYCOLLECTION(POINT(0 0), LINESTRING(0 0, 1 1))",
                r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[0,0]},
                   {"type":"LineString","coordinates":[[0,0],[1,1]]}]}"#,
            ),
            ("BBOX(0, 0, 5, 1, 1, 9)", r#"{"bbox":[0,0,1,1]}"#),
        ];
        for (t, j) in pairs {
            assert!(text(t).is_ok(), "{t}");
            assert_eq!(text(t), json(j), "{t}");
        }
        for bad in [
            "POINT(1 2, 3 4)",
            "POINT((1 2))",
            "POLYGON((0 0, 1 0, 0 0))",
            "POINT EMPTY",
        ] {
            assert!(text(bad).is_err(), "{bad}");
        }
        assert!(text("GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(POINT(0 0)))").is_err());
    }

    #[test]
    fn truncated_and_mangled_input_is_an_error_or_evaluates_but_never_panics() {
        let valid = [
            "name LIKE '南%' AND NOT (county IN ('330402', '330411') OR valid_from NOT BETWEEN 1 AND 2e3)",
            "S_WITHIN(geometry, POLYGON((120 30, 121 30, 121 31, 120 30))) OR S_OVERLAPS(BBOX(1,2,3,4), geometry)",
            "CASEI(name) = CASEI('Ab') AND name IS NOT NULL AND \"area\" <= -.5 AND protected <> FALSE",
            "S_CROSSES(geometry, GEOMETRYCOLLECTION(MULTIPOINT((1 2)), MULTILINESTRING((0 0, 1 1))))",
            "DATE('2024-02-29') < DATE('2025-01-01') AND (name = 'x') IS NULL OR S_TOUCHES(geometry, POINT(0 0))",
        ];
        for v in valid {
            let chars: Vec<char> = v.chars().collect();
            for n in 0..=chars.len() {
                let mut dropped = chars.clone();
                if n < chars.len() {
                    dropped.remove(n);
                }
                for s in [
                    chars[..n].iter().collect::<String>(),
                    dropped.into_iter().collect(),
                ] {
                    if let Ok(f) = Filter::parse_text(&s, &Q) {
                        f.matches(&lake());
                    }
                }
            }
            assert!(Filter::parse_text(v, &Q).is_ok(), "{v}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let n = 200;
        let deep = [
            format!("{}name = 'a'{}", "(".repeat(n), ")".repeat(n)),
            format!("{}name = 'a'", "NOT ".repeat(n)),
            format!("{}'a'{} = name", "CASEI(".repeat(n), ")".repeat(n)),
            format!(
                "S_INTERSECTS(geometry, POLYGON{}0 0{})",
                "(".repeat(n),
                ")".repeat(n)
            ),
        ];
        for s in deep {
            let e = Filter::parse_text(&s, &Q).map(|_| ()).unwrap_err();
            assert!(e.message.contains("deeper than 64"), "{}", e.message);
        }
        let ok = format!("{}name = 'a'{}", "(".repeat(60), ")".repeat(60));
        assert!(Filter::parse_text(&ok, &Q).is_ok());
    }
}
