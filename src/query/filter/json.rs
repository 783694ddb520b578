//! cql2-json: the JSON value (as the CQL2 1.0 JSON schema shapes it) read into the AST.
//! Errors carry position 0 and start with the JSON path of the offending value (`args[1]`).

use super::ast::{
    bbox, check_comparable, check_numeric, check_string, coord, date, is_null, label, line,
    property, ring, timestamp, CmpOp, Expr, FilterError, GeomArg, Queryables, Scalar, SpatialOp,
    Ty, Typed, MAX_DEPTH,
};
use super::eval::like_pattern;
use geo::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};
use serde_json::{Map, Value};

type R<T> = Result<T, FilterError>;

/// Reads a whole cql2-json filter from its text.
pub(super) fn parse(s: &str, q: &impl Queryables) -> R<Expr> {
    let v: Value = serde_json::from_str(s)
        .map_err(|e| FilterError::invalid(0, format!("the filter is not JSON: {e}")))?;
    Reader { q, depth: 0 }.expr(&v, "")
}

fn err(path: &str, msg: impl std::fmt::Display) -> FilterError {
    let at = if path.is_empty() { "the filter" } else { path };
    FilterError::invalid(0, format!("{at}: {msg}"))
}

fn child(path: &str, i: usize) -> String {
    match path {
        "" => format!("args[{i}]"),
        _ => format!("{path}.args[{i}]"),
    }
}

/// What a JSON value is, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `{"op": …, "args": […]}`: the op and its args.
fn op_args<'v>(o: &'v Map<String, Value>, path: &str) -> R<Option<(&'v str, &'v [Value])>> {
    let Some(op) = o.get("op") else {
        return Ok(None);
    };
    let op = op
        .as_str()
        .ok_or_else(|| err(path, "\"op\" must be a string"))?;
    let args = o
        .get("args")
        .and_then(Value::as_array)
        .ok_or_else(|| err(path, format!("\"{op}\" needs an \"args\" array")))?;
    Ok(Some((op, args)))
}

fn arity(args: &[Value], n: usize, op: &str, path: &str) -> R<()> {
    match args.len() == n {
        true => Ok(()),
        false => Err(err(
            path,
            format!("\"{op}\" takes {n} args, not {}", args.len()),
        )),
    }
}

struct Reader<'q, Q> {
    q: &'q Q,
    depth: usize,
}

impl<Q: Queryables> Reader<'_, Q> {
    fn enter(&mut self, path: &str) -> R<()> {
        self.depth += 1;
        match self.depth > MAX_DEPTH {
            true => Err(err(
                path,
                format!("the filter nests deeper than {MAX_DEPTH} levels"),
            )),
            false => Ok(()),
        }
    }

    fn expr(&mut self, v: &Value, path: &str) -> R<Expr> {
        self.enter(path)?;
        let e = self.expr_inner(v, path);
        self.depth -= 1;
        e
    }

    fn expr_inner(&mut self, v: &Value, path: &str) -> R<Expr> {
        let expected = || {
            err(
                path,
                format!(
                    "expected a boolean expression ({{\"op\", \"args\"}} or true/false), found {}",
                    kind(v)
                ),
            )
        };
        let o = match v {
            Value::Bool(b) => return Ok(Expr::Literal(*b)),
            Value::Object(o) => o,
            _ => return Err(expected()),
        };
        let (op, args) = op_args(o, path)?.ok_or_else(expected)?;
        let at = |i: usize, r: Result<(), String>| r.map_err(|m| err(&child(path, i), m));
        if let Some(cmp) = CmpOp::from_symbol(op) {
            arity(args, 2, op, path)?;
            let (a, b) = (
                self.scalar(&args[0], &child(path, 0))?,
                self.scalar(&args[1], &child(path, 1))?,
            );
            at(1, check_comparable(&a, &b))?;
            return Ok(Expr::Compare(cmp, a.s, b.s));
        }
        if let Some(sop) = SpatialOp::from_name(op).filter(|_| op.starts_with("s_")) {
            arity(args, 2, op, path)?;
            let a = self.geom_arg(&args[0], &child(path, 0), op)?;
            return Ok(Expr::Spatial(
                sop,
                a,
                self.geom_arg(&args[1], &child(path, 1), op)?,
            ));
        }
        Ok(match op {
            "and" | "or" => {
                if args.is_empty() {
                    return Err(err(path, format!("\"{op}\" needs at least one arg")));
                }
                let v = args
                    .iter()
                    .enumerate()
                    .map(|(i, a)| self.expr(a, &child(path, i)))
                    .collect::<R<Vec<_>>>()?;
                if op == "and" {
                    Expr::And(v)
                } else {
                    Expr::Or(v)
                }
            }
            "not" => {
                arity(args, 1, op, path)?;
                Expr::Not(Box::new(self.expr(&args[0], &child(path, 0))?))
            }
            "like" => {
                arity(args, 2, op, path)?;
                let value = self.scalar(&args[0], &child(path, 0))?;
                at(0, check_string(&value, "LIKE"))?;
                let pat = self.scalar(&args[1], &child(path, 1))?;
                Expr::Like(
                    value.s,
                    like_pattern(&pat).map_err(|m| err(&child(path, 1), m))?,
                )
            }
            "between" => {
                arity(args, 3, op, path)?;
                let mut t = Vec::with_capacity(3);
                for (i, a) in args.iter().enumerate() {
                    let x = self.scalar(a, &child(path, i))?;
                    at(i, check_numeric(&x))?;
                    t.push(x.s);
                }
                let [x, lo, hi]: [Scalar; 3] = t
                    .try_into()
                    .map_err(|_| err(path, "\"between\" takes 3 args"))?;
                Expr::Between(x, lo, hi)
            }
            "in" => {
                arity(args, 2, op, path)?;
                let value = self.scalar(&args[0], &child(path, 0))?;
                let list = args[1]
                    .as_array()
                    .ok_or_else(|| err(&child(path, 1), "\"in\" needs an array of values"))?;
                let mut items = Vec::with_capacity(list.len());
                for (k, item) in list.iter().enumerate() {
                    let p = format!("{}[{k}]", child(path, 1));
                    let x = self.scalar(item, &p)?;
                    check_comparable(&value, &x).map_err(|m| err(&p, m))?;
                    items.push(x.s);
                }
                Expr::In(value.s, items)
            }
            "isNull" => {
                arity(args, 1, op, path)?;
                self.null_operand(&args[0], &child(path, 0))?
            }
            "casei" | "accenti" => {
                return Err(err(
                    path,
                    format!("\"{op}\" is a value, not a boolean expression"),
                ))
            }
            _ => return Err(unsupported(op, path)),
        })
    }

    /// `isNull`'s operand: a value, a boolean expression (TRUE when unknown) or a geometry.
    fn null_operand(&mut self, v: &Value, path: &str) -> R<Expr> {
        if let Value::Object(o) = v {
            if o.contains_key("type") || o.contains_key("bbox") {
                geometry(v, path)?;
                return Ok(Expr::Literal(false));
            }
            if let Some((op, _)) = op_args(o, path)? {
                if op != "casei" && op != "accenti" {
                    return Ok(Expr::IsUnknown(Box::new(self.expr(v, path)?)));
                }
            }
        }
        Ok(is_null(self.scalar(v, path)?))
    }

    fn scalar(&mut self, v: &Value, path: &str) -> R<Typed> {
        let typed = |s, ty| Ok(Typed { s, ty });
        match v {
            Value::String(s) => typed(Scalar::Str(s.clone()), Ty::Str),
            Value::Bool(b) => typed(Scalar::Bool(*b), Ty::Bool),
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.is_finite() => typed(Scalar::Num(f), Ty::Num),
                _ => Err(err(path, "number out of range")),
            },
            Value::Object(o) => {
                if let Some(name) = o.get("property") {
                    let name = name
                        .as_str()
                        .ok_or_else(|| err(path, "\"property\" must be a string"))?;
                    return property(self.q, name).ok_or_else(|| FilterError {
                        message: format!("{path}: {}", FilterError::unknown(0, name).message),
                        ..FilterError::unknown(0, name)
                    });
                }
                if let Some(Value::String(s)) = o.get("date") {
                    return date(s).map_or_else(
                        || Err(err(path, format!("not a date: '{s}'"))),
                        |d| typed(Scalar::Date(d), Ty::Date),
                    );
                }
                if let Some(Value::String(s)) = o.get("timestamp") {
                    let (t, n) = timestamp(s)
                        .ok_or_else(|| err(path, format!("not a UTC timestamp: '{s}'")))?;
                    return typed(Scalar::Timestamp(t, n), Ty::Ts);
                }
                match op_args(o, path)? {
                    Some(("casei", args)) => {
                        arity(args, 1, "casei", path)?;
                        self.enter(path)?;
                        let x = self.scalar(&args[0], &child(path, 0))?;
                        self.depth -= 1;
                        check_string(&x, "CASEI").map_err(|m| err(&child(path, 0), m))?;
                        typed(Scalar::CaseI(Box::new(x.s)), Ty::Str)
                    }
                    Some((op, _)) => Err(unsupported(op, path)),
                    None => Err(err(path, "expected a value: a literal, {\"property\"}, {\"date\"}, {\"timestamp\"} or casei")),
                }
            }
            Value::Null | Value::Array(_) => {
                Err(err(path, format!("expected a value, found {}", kind(v))))
            }
        }
    }

    fn geom_arg(&mut self, v: &Value, path: &str, op: &str) -> R<GeomArg> {
        if let Value::Object(o) = v {
            if o.contains_key("type") || o.contains_key("bbox") {
                return geometry(v, path).map(GeomArg::Literal);
            }
        }
        let t = self.scalar(v, path)?;
        match t.ty {
            Ty::Geom => Ok(GeomArg::Property),
            _ => Err(err(
                path,
                format!("{op} needs geometries, not {}", label(&t)),
            )),
        }
    }
}

fn unsupported(op: &str, path: &str) -> FilterError {
    let what = match op {
        "accenti" => "accent-insensitive comparison (accenti) is not supported".to_owned(),
        _ if op.starts_with("t_") => format!("temporal predicates (\"{op}\") are not supported"),
        _ if op.starts_with("a_") => format!("array predicates (\"{op}\") are not supported"),
        "+" | "-" | "*" | "/" | "^" | "%" | "div" => {
            format!("arithmetic (\"{op}\") is not supported")
        }
        _ => format!("unknown or unsupported op \"{op}\""),
    };
    err(path, what)
}

/// A GeoJSON geometry object or `{"bbox": [...]}`.
fn geometry(v: &Value, path: &str) -> R<Geometry> {
    let at = |r: Result<Geometry, String>| r.map_err(|m| err(path, m));
    if let Some(b) = v.get("bbox").filter(|_| v.get("type").is_none()) {
        let nums = b
            .as_array()
            .map(|a| a.iter().map(Value::as_f64).collect::<Option<Vec<_>>>());
        let nums = nums
            .flatten()
            .ok_or_else(|| err(path, "\"bbox\" must be an array of numbers"))?;
        return at(bbox(&nums));
    }
    let ty = v.get("type").and_then(Value::as_str).unwrap_or_default();
    if ty == "GeometryCollection" {
        let parts = v
            .get("geometries")
            .and_then(Value::as_array)
            .ok_or_else(|| err(path, "a GeometryCollection needs \"geometries\""))?;
        let mut out = Vec::with_capacity(parts.len());
        for (i, p) in parts.iter().enumerate() {
            let p_path = format!("{path}.geometries[{i}]");
            match p.get("type").and_then(Value::as_str) {
                Some("GeometryCollection") => {
                    return Err(err(&p_path, "a GeometryCollection may not nest another"))
                }
                _ => out.push(geometry(p, &p_path)?),
            }
        }
        return Ok(Geometry::GeometryCollection(GeometryCollection(out)));
    }
    let c = v.get("coordinates").ok_or_else(|| {
        err(
            path,
            format!("expected a GeoJSON geometry with \"coordinates\" (type \"{ty}\")"),
        )
    })?;
    at(coordinates(ty, c))
}

/// A WKT literal of the geometry `word` names (not a collection), from its coordinates read
/// as nested arrays: `POINT(1 2)` is `[[1, 2]]`, `MULTIPOINT((1 2))` is `[[[1, 2]]]`.
pub(super) fn wkt(word: &str, c: Value) -> Result<Geometry, String> {
    const TYPES: [&str; 6] = [
        "Point",
        "LineString",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
    ];
    let ty = TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(word))
        .ok_or("not a WKT geometry")?;
    // POINT and MULTIPOINT's parenthesised points wrap a position once more than GeoJSON does.
    let unwrap = |v: Value| match v {
        Value::Array(mut a) if a.len() == 1 && a[0].is_array() => a.remove(0),
        v => v,
    };
    let c = match (*ty, c) {
        ("Point", c) => unwrap(c),
        ("MultiPoint", Value::Array(a)) => Value::Array(a.into_iter().map(unwrap).collect()),
        (_, c) => c,
    };
    coordinates(ty, &c)
}

/// A geometry of GeoJSON type `ty` from its `coordinates`.
fn coordinates(ty: &str, c: &Value) -> Result<Geometry, String> {
    fn arr(v: &Value) -> Result<&Vec<Value>, String> {
        v.as_array()
            .ok_or_else(|| "coordinates must be arrays".to_owned())
    }
    fn pos(v: &Value) -> Result<Coord, String> {
        let nums = arr(v)?
            .iter()
            .map(Value::as_f64)
            .collect::<Option<Vec<_>>>();
        coord(&nums.ok_or("a position is an array of numbers")?)
    }
    fn positions(v: &Value) -> Result<Vec<Coord>, String> {
        arr(v)?.iter().map(pos).collect()
    }
    fn polygon(v: &Value) -> Result<Polygon, String> {
        let mut rings = arr(v)?
            .iter()
            .map(|r| ring(positions(r)?))
            .collect::<Result<Vec<LineString>, _>>()?;
        match rings.is_empty() {
            true => Err("a polygon needs a ring".into()),
            false => Ok(Polygon::new(rings.remove(0), rings)),
        }
    }
    Ok(match ty {
        "Point" => Geometry::Point(Point(pos(c)?)),
        "LineString" => Geometry::LineString(line(positions(c)?)?),
        "Polygon" => Geometry::Polygon(polygon(c)?),
        "MultiPoint" => {
            Geometry::MultiPoint(MultiPoint(positions(c)?.into_iter().map(Point).collect()))
        }
        "MultiLineString" => Geometry::MultiLineString(MultiLineString(
            arr(c)?
                .iter()
                .map(|l| line(positions(l)?))
                .collect::<Result<_, _>>()?,
        )),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(
            arr(c)?.iter().map(polygon).collect::<Result<_, _>>()?,
        )),
        _ => return Err(format!("unknown geometry type \"{ty}\"")),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::Q;
    use super::*;

    fn p(s: &str) -> R<Expr> {
        parse(s, &Q)
    }

    #[test]
    fn errors_name_the_json_path() {
        let e = p(r#"{"op":"and","args":[true,{"op":"=","args":[{"property":"county"},330402]}]}"#)
            .unwrap_err();
        assert_eq!((e.position, e.code), (0, "invalid_filter"));
        assert_eq!(
            e.message,
            "args[1].args[1]: cannot compare county (a string) with 330402 (a number)"
        );
        let e = p(r#"{"op":"in","args":[{"property":"county"},["330402",{"property":"cnty"}]]}"#)
            .unwrap_err();
        assert_eq!(e.code, "unknown_property");
        assert!(
            e.message.starts_with("args[1][1]: unknown property 'cnty'"),
            "{}",
            e.message
        );
        let e = p(r#"{"op":"between","args":[{"property":"area"},1]}"#).unwrap_err();
        assert_eq!(e.message, "the filter: \"between\" takes 3 args, not 2");
        assert!(p(r#"{"op":"t_after","args":[]}"#)
            .unwrap_err()
            .message
            .contains("temporal"));
        assert!(p(r#"{"op":"like","args":[{"property":"name"},{"property":"county"}]}"#).is_err());
        assert!(p("{\"op\":")
            .unwrap_err()
            .message
            .starts_with("the filter is not JSON"));
        assert!(p("\"name\"").is_err());
    }

    #[test]
    fn shapes_of_the_schema() {
        assert_eq!(p("true"), Ok(Expr::Literal(true)));
        let unknown = p(r#"{"op":"isNull","args":[{"op":"=","args":[{"property":"area"},1]}]}"#);
        assert!(matches!(unknown, Ok(Expr::IsUnknown(_))));
        assert_eq!(
            p(r#"{"op":"isNull","args":[{"type":"Point","coordinates":[1,2]}]}"#),
            Ok(Expr::Literal(false))
        );
        let g = |s: &str| match p(&format!(
            r#"{{"op":"s_intersects","args":[{{"property":"geometry"}},{s}]}}"#
        )) {
            Ok(Expr::Spatial(SpatialOp::Intersects, GeomArg::Property, GeomArg::Literal(g))) => {
                Ok(g)
            }
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.message),
        };
        assert_eq!(
            g(r#"{"type":"Point","coordinates":[1,2,3]}"#),
            Ok(Geometry::Point(Point::new(1.0, 2.0)))
        );
        assert!(
            matches!(g(r#"{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}"#), Ok(Geometry::MultiPoint(ref m)) if m.0.len() == 2)
        );
        assert!(matches!(
            g(r#"{"type":"MultiLineString","coordinates":[[[0,0],[1,1]]]}"#),
            Ok(Geometry::MultiLineString(_))
        ));
        assert!(matches!(
            g(r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}"#),
            Ok(Geometry::MultiPolygon(ref m)) if m.0.len() == 2
        ));
        let gc = r#"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[0,0]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}"#;
        assert!(matches!(g(gc), Ok(Geometry::GeometryCollection(ref c)) if c.0.len() == 2));
        assert_eq!(g(r#"{"bbox":[0,0,5,1,1,9]}"#), g(r#"{"bbox":[0,0,1,1]}"#));
        assert_eq!(
            g(r#"{"type":"LineString","coordinates":[[0,0]]}"#),
            Err("args[1]: a line string needs at least two positions".into())
        );
        assert!(g(r#"{"type":"Point","coordinates":[1]}"#).is_err());
        assert!(g(r#"{"type":"Curve","coordinates":[1,2]}"#).is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!(
            "{}true{}",
            r#"{"op":"not","args":["#.repeat(100),
            "]}".repeat(100)
        );
        assert!(p(&deep).is_err());
        let casei = format!(
            "{}\"a\"{}",
            r#"{"op":"casei","args":["#.repeat(100),
            "]}".repeat(100)
        );
        assert!(p(&format!(
            r#"{{"op":"=","args":[{{"property":"name"}},{casei}]}}"#
        ))
        .is_err());
        let fine = format!(
            "{}true{}",
            r#"{"op":"not","args":["#.repeat(30),
            "]}".repeat(30)
        );
        assert!(p(&fine).is_ok());
    }
}
