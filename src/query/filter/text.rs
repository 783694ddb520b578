//! cql2-text: a lexer and a recursive-descent parser over the CQL2 1.0 BNF
//! (precedence OR < AND < NOT < predicates), with the WKT literals it embeds.

use super::json::coordinates;
use super::{
    bbox, check_comparable, check_numeric, check_string, date, label, like_pattern, property,
    timestamp, typed, CmpOp, Expr, FilterError, GeomArg, Queryables, Scalar, SpatialOp, Ty, Typed,
    MAX_DEPTH,
};
use geo::{Geometry, GeometryCollection};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A bare identifier or keyword.
    Word(String),
    /// A double-quoted property name.
    Quoted(String),
    Str(String),
    Num(f64),
    /// `( ) , = <> < > <= >= - +`
    Sym(&'static str),
    End,
}

/// A token, its 1-based character offset, and its source text (for messages).
#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
    text: String,
}

impl Token {
    fn new(tok: Tok, pos: usize, text: &[char]) -> Token {
        let text = text.iter().collect();
        Token { tok, pos, text }
    }
}

type R<T> = Result<T, FilterError>;

/// An `invalid_filter` error at `pos`, for `map_err`.
fn at(pos: usize) -> impl Fn(String) -> FilterError {
    move |m| FilterError::invalid(pos, m)
}

const RESERVED: &[&str] = &[
    "and", "or", "not", "like", "ilike", "between", "in", "is", "null",
];
const PREDICATE_WORDS: &[&str] = &["not", "like", "ilike", "between", "in", "is"];
/// WKT's words and GeoJSON's types; GEOMETRYCOLLECTION and BBOX are read apart.
const GEOMETRIES: &[(&str, &str)] = &[
    ("point", "Point"),
    ("linestring", "LineString"),
    ("polygon", "Polygon"),
    ("multipoint", "MultiPoint"),
    ("multilinestring", "MultiLineString"),
    ("multipolygon", "MultiPolygon"),
];
const SYMBOLS: &[&str] = &["<>", "<=", ">=", "(", ")", ",", "=", "<", ">", "-", "+"];

fn is_geometry_word(w: &str) -> bool {
    let special = ["geometrycollection", "bbox"];
    GEOMETRIES
        .iter()
        .map(|(k, _)| k)
        .chain(&special)
        .any(|k| w.eq_ignore_ascii_case(k))
}

fn ident_start(c: char) -> bool {
    c == ':' || c == '_' || c.is_alphabetic()
}

fn ident_part(c: char) -> bool {
    let combining = ('\u{300}'..='\u{36f}').contains(&c) || ('\u{203f}'..='\u{2040}').contains(&c);
    ident_start(c) || c == '.' || c.is_ascii_digit() || combining
}

fn lex(s: &str) -> R<Vec<Token>> {
    let cs: Vec<char> = s.chars().collect();
    let digit = |i: usize| cs.get(i).is_some_and(char::is_ascii_digit);
    let (mut out, mut i) = (Vec::new(), 0);
    while i < cs.len() {
        let (c, start) = (cs[i], i);
        let tok = if c.is_whitespace() {
            i += 1;
            continue;
        } else if c == '\'' {
            let mut v = String::new();
            i += 1;
            loop {
                let Some(&ch) = cs.get(i) else {
                    return Err(FilterError::invalid(start + 1, "unterminated string"));
                };
                let next = cs.get(i + 1).copied();
                i += 1;
                match (ch, next) {
                    // `''` and `\'` are a quote; other backslashes stay, for LIKE's `\%`, `\\`.
                    ('\'' | '\\', Some('\'')) => v.push('\''),
                    ('\'', _) => break,
                    ('\\', Some(n)) => v.extend(['\\', n]),
                    _ => {
                        v.push(ch);
                        continue;
                    }
                }
                i += 1;
            }
            Tok::Str(v)
        } else if c == '"' {
            let Some(end) = cs[i + 1..].iter().position(|&ch| ch == '"') else {
                return Err(FilterError::invalid(
                    start + 1,
                    "unterminated property name",
                ));
            };
            i += end + 2;
            Tok::Quoted(cs[start + 1..i - 1].iter().collect())
        } else if c.is_ascii_digit() || (c == '.' && digit(i + 1)) {
            while digit(i) || (cs.get(i) == Some(&'.') && !cs[start..i].contains(&'.')) {
                i += 1;
            }
            let sign = usize::from(matches!(cs.get(i + 1), Some('+' | '-')));
            if matches!(cs.get(i), Some('e' | 'E')) && digit(i + 1 + sign) {
                i += 1 + sign;
                while digit(i) {
                    i += 1;
                }
            }
            let text: String = cs[start..i].iter().collect();
            match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Tok::Num(n),
                _ => return Err(at(start + 1)(format!("number out of range: {text}"))),
            }
        } else if ident_start(c) {
            while cs.get(i).is_some_and(|&ch| ident_part(ch)) {
                i += 1;
            }
            Tok::Word(cs[start..i].iter().collect())
        } else {
            let two: String = cs[i..cs.len().min(i + 2)].iter().collect();
            let sym = SYMBOLS.iter().find(|s| two.starts_with(*s));
            let sym = sym.ok_or_else(|| at(start + 1)(format!("unexpected character '{c}'")))?;
            i += sym.len();
            Tok::Sym(sym)
        };
        out.push(Token::new(tok, start + 1, &cs[start..i]));
    }
    out.push(Token::new(Tok::End, cs.len() + 1, &[]));
    Ok(out)
}

/// Reads a whole cql2-text filter.
pub(super) fn parse(s: &str, q: &impl Queryables) -> R<Expr> {
    let mut p = Parser {
        toks: lex(s)?,
        i: 0,
        q,
        depth: 0,
    };
    let e = p.or()?;
    match p.peek().tok {
        Tok::End => Ok(e),
        _ => Err(p.expected("AND, OR or the end of the filter")),
    }
}

struct Parser<'q, Q> {
    toks: Vec<Token>,
    i: usize,
    q: &'q Q,
    depth: usize,
}

impl<Q: Queryables> Parser<'_, Q> {
    fn peek(&self) -> &Token {
        // `lex` ends every list with `End`, and `bump` never moves past it.
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        self.i += usize::from(t.tok != Tok::End);
        t
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(x) if x.eq_ignore_ascii_case(w))
    }

    fn eat(&mut self, w: &str) -> bool {
        let yes = match &self.peek().tok {
            Tok::Word(x) => x.eq_ignore_ascii_case(w),
            Tok::Sym(s) => *s == w,
            _ => false,
        };
        self.i += usize::from(yes);
        yes
    }

    fn expected(&self, what: &str) -> FilterError {
        let t = self.peek();
        let found = match t.tok {
            Tok::End => "the end of the filter".to_owned(),
            _ => format!("'{}'", t.text.chars().take(30).collect::<String>()),
        };
        FilterError::invalid(t.pos, format!("expected {what}, found {found}"))
    }

    fn expect(&mut self, sym: &str) -> R<()> {
        match self.eat(sym) {
            true => Ok(()),
            false => Err(self.expected(&format!("'{sym}'"))),
        }
    }

    /// Runs `f` one nesting level deeper, refusing input that nests past [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        if self.depth >= MAX_DEPTH {
            let m = format!("the filter nests deeper than {MAX_DEPTH} levels");
            return Err(FilterError::invalid(self.peek().pos, m));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// `item {word item}`, one node when there is one item.
    fn chain(
        &mut self,
        word: &str,
        item: fn(&mut Self) -> R<Expr>,
        node: fn(Vec<Expr>) -> Expr,
    ) -> R<Expr> {
        let mut v = vec![item(self)?];
        while self.eat(word) {
            v.push(item(self)?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { node(v) })
    }

    fn or(&mut self) -> R<Expr> {
        self.chain("or", Self::and, Expr::Or)
    }

    fn and(&mut self) -> R<Expr> {
        self.chain("and", Self::not, Expr::And)
    }

    fn not(&mut self) -> R<Expr> {
        match self.eat("not") {
            true => self.nested(|p| Ok(Expr::Not(Box::new(p.not()?)))),
            false => self.primary(),
        }
    }

    fn primary(&mut self) -> R<Expr> {
        if self.eat("(") {
            let e = self.nested(|p| p.or())?;
            self.expect(")")?;
            return match self.is_word("is") {
                true => self.is_null(Expr::IsUnknown(Box::new(e))),
                false => Ok(e),
            };
        }
        let call = matches!(self.toks.get(self.i + 1), Some(t) if t.tok == Tok::Sym("("));
        if let (Tok::Word(w), true) = (&self.peek().tok, call) {
            if let Some(op) = SpatialOp::from_name(w) {
                return self.spatial(op);
            }
            if is_geometry_word(w) {
                self.geometry()?;
                return self.is_null(Expr::Literal(false));
            }
        }
        let pos = self.peek().pos;
        let lhs = self.scalar()?;
        let cmp = matches!(self.peek().tok, Tok::Sym(s) if CmpOp::from_symbol(s).is_some());
        if cmp || PREDICATE_WORDS.iter().any(|w| self.is_word(w)) {
            return self.predicate(lhs, pos);
        }
        match lhs.s {
            Scalar::Bool(b) => Ok(Expr::Literal(b)),
            _ => Err(self.expected(&format!("an operator after {}", label(&lhs)))),
        }
    }

    fn is_null(&mut self, e: Expr) -> R<Expr> {
        if !self.eat("is") {
            return Err(self.expected("IS"));
        }
        let negated = self.eat("not");
        match self.eat("null") {
            true => Ok(if negated { Expr::Not(Box::new(e)) } else { e }),
            false => Err(self.expected("NULL")),
        }
    }

    /// A scalar and the position of its first token.
    fn operand(&mut self) -> R<(Typed, usize)> {
        let pos = self.peek().pos;
        Ok((self.scalar()?, pos))
    }

    fn predicate(&mut self, lhs: Typed, lpos: usize) -> R<Expr> {
        if let Tok::Sym(sym) = self.peek().tok {
            if let Some(op) = CmpOp::from_symbol(sym) {
                self.i += 1;
                let (rhs, rpos) = self.operand()?;
                check_comparable(&lhs, &rhs).map_err(at(rpos))?;
                return Ok(Expr::Compare(op, lhs.s, rhs.s));
            }
        }
        if self.is_word("is") {
            return self.is_null(Expr::IsNull(lhs.s));
        }
        let negated = self.eat("not");
        let ilike = self.eat("ilike");
        let e = if ilike || self.eat("like") {
            check_string(&lhs, "LIKE").map_err(at(lpos))?;
            let (mut pat, ppos) = self.operand()?;
            let mut value = lhs.s;
            if ilike {
                value = Scalar::CaseI(Box::new(value));
                pat.s = Scalar::CaseI(Box::new(pat.s));
            }
            Expr::Like(value, like_pattern(&pat).map_err(at(ppos))?)
        } else if self.eat("between") {
            check_numeric(&lhs).map_err(at(lpos))?;
            let (lo, lo_pos) = self.operand()?;
            check_numeric(&lo).map_err(at(lo_pos))?;
            if !self.eat("and") {
                return Err(self.expected("AND of BETWEEN"));
            }
            let (hi, hi_pos) = self.operand()?;
            check_numeric(&hi).map_err(at(hi_pos))?;
            Expr::Between(lhs.s, lo.s, hi.s)
        } else if self.eat("in") {
            let items = self.list(|p| {
                let (item, pos) = p.operand()?;
                check_comparable(&lhs, &item).map_err(at(pos))?;
                Ok(item.s)
            })?;
            Expr::In(lhs.s, items)
        } else {
            let what = if negated {
                "LIKE, BETWEEN or IN"
            } else {
                "a comparison operator"
            };
            return Err(self.expected(what));
        };
        Ok(if negated { Expr::Not(Box::new(e)) } else { e })
    }

    /// A property, literal, CASEI(...), DATE(...) or TIMESTAMP(...): what comparisons compare.
    fn scalar(&mut self) -> R<Typed> {
        let t = self.bump();
        match t.tok.clone() {
            Tok::Str(v) => Ok(typed(Scalar::Str(v), Ty::Str)),
            Tok::Num(n) => Ok(typed(Scalar::Num(n), Ty::Num)),
            Tok::Sym("-" | "+") => {
                self.i -= 1;
                Ok(typed(Scalar::Num(self.number()?), Ty::Num))
            }
            Tok::Quoted(name) => {
                property(self.q, &name).ok_or_else(|| FilterError::unknown(t.pos, &name))
            }
            Tok::Word(w) if self.eat("(") => self.call(&w, t.pos),
            Tok::Word(w) => match w.to_ascii_lowercase().as_str() {
                b @ ("true" | "false") => Ok(typed(Scalar::Bool(b == "true"), Ty::Bool)),
                k if RESERVED.contains(&k) => Err(at(t.pos)(format!(
                    "expected a property or a literal, found '{w}'"
                ))),
                _ => property(self.q, &w).ok_or_else(|| FilterError::unknown(t.pos, &w)),
            },
            Tok::Sym(_) | Tok::End => {
                self.i -= usize::from(t.tok != Tok::End);
                Err(self.expected("a property or a literal"))
            }
        }
    }

    /// `CASEI(x)`, `DATE('…')`, `TIMESTAMP('…')` after their '('; no other function is known.
    fn call(&mut self, name: &str, pos: usize) -> R<Typed> {
        let r = match name.to_ascii_lowercase().as_str() {
            "casei" => self.nested(|p| {
                let (x, xpos) = p.operand()?;
                check_string(&x, "CASEI").map_err(at(xpos))?;
                Ok(typed(Scalar::CaseI(Box::new(x.s)), Ty::Str))
            })?,
            kind @ ("date" | "timestamp") => {
                let arg = self.bump();
                let bad = || at(arg.pos)(format!("expected a {kind} string, found '{}'", arg.text));
                let Tok::Str(v) = &arg.tok else {
                    return Err(bad());
                };
                match kind {
                    "date" => typed(Scalar::Date(date(v).ok_or_else(bad)?), Ty::Date),
                    _ => timestamp(v)
                        .map(|(t, n)| typed(Scalar::Timestamp(t, n), Ty::Ts))
                        .ok_or_else(bad)?,
                }
            }
            _ => return Err(at(pos)(format!("function {name}() is not supported here"))),
        };
        self.expect(")")?;
        Ok(r)
    }

    fn spatial(&mut self, op: SpatialOp) -> R<Expr> {
        let name = self.bump().text;
        self.i += 1; // the '('
        let a = self.geom_arg(&name)?;
        self.expect(",")?;
        let b = self.geom_arg(&name)?;
        self.expect(")")?;
        Ok(Expr::Spatial(op, a, b))
    }

    fn geom_arg(&mut self, func: &str) -> R<GeomArg> {
        if matches!(&self.peek().tok, Tok::Word(w) if is_geometry_word(w)) {
            return self.geometry().map(GeomArg::Literal);
        }
        let (t, pos) = self.operand()?;
        match t.ty {
            Ty::Geom => Ok(GeomArg::Property),
            _ => Err(at(pos)(format!(
                "{func} needs geometries, not {}",
                label(&t)
            ))),
        }
    }

    /// A WKT literal or `BBOX(...)`. The coordinates are read as nested arrays, the shape
    /// GeoJSON gives them, and built by the cql2-json reader's code.
    fn geometry(&mut self) -> R<Geometry> {
        let t = self.bump();
        let kind = t.text.to_ascii_lowercase();
        if kind == "bbox" {
            let v = self.list(Self::number)?;
            return bbox(&v).map_err(at(t.pos));
        }
        self.eat("z");
        if self.is_word("empty") {
            return Err(at(self.peek().pos)(
                "EMPTY geometries are not supported".into(),
            ));
        }
        let Some(&(_, geojson)) = GEOMETRIES.iter().find(|(w, _)| *w == kind) else {
            let parts = self.list(|p| match &p.peek().tok {
                Tok::Word(w) if GEOMETRIES.iter().any(|(k, _)| w.eq_ignore_ascii_case(k)) => {
                    p.geometry()
                }
                _ => Err(p.expected("a POINT, LINESTRING, POLYGON or MULTI* literal")),
            })?;
            return Ok(Geometry::GeometryCollection(GeometryCollection(parts)));
        };
        // POINT(x y) and MULTIPOINT((x y), …) wrap a position once more than GeoJSON does.
        let unwrap = |v: Value| match v {
            Value::Array(mut a) if a.len() == 1 && a[0].is_array() => a.remove(0),
            v => v,
        };
        let c = match (geojson, self.coords()?) {
            ("Point", c) => unwrap(c),
            ("MultiPoint", Value::Array(a)) => Value::Array(a.into_iter().map(unwrap).collect()),
            (_, c) => c,
        };
        coordinates(geojson, &c).map_err(at(t.pos))
    }

    /// `( item {, item} )`
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> R<T>) -> R<Vec<T>> {
        self.expect("(")?;
        let mut v = vec![item(self)?];
        while self.eat(",") {
            v.push(item(self)?);
        }
        self.expect(")")?;
        Ok(v)
    }

    /// `( x y [z], … )` or lists of those, as JSON arrays.
    fn coords(&mut self) -> R<Value> {
        let item = |p: &mut Self| match p.peek().tok {
            Tok::Sym("(") => p.coords(),
            _ => {
                let mut v = vec![p.number()?, p.number()?];
                if matches!(p.peek().tok, Tok::Num(_) | Tok::Sym("-" | "+")) {
                    v.push(p.number()?);
                }
                Ok(Value::from(v))
            }
        };
        self.nested(|p| p.list(item).map(Value::Array))
    }

    fn number(&mut self) -> R<f64> {
        let sign = if self.eat("-") { -1.0 } else { 1.0 };
        if sign > 0.0 {
            self.eat("+");
        }
        match self.peek().tok {
            Tok::Num(n) => {
                self.i += 1;
                Ok(sign * n)
            }
            _ => Err(self.expected("a number")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::Q;
    use super::super::LikeTok;
    use super::*;

    fn p(s: &str) -> R<Expr> {
        parse(s, &Q)
    }

    fn prop(n: &str) -> Scalar {
        Scalar::Property(n.into())
    }

    fn eq(n: &str, v: &str) -> Expr {
        Expr::Compare(CmpOp::Eq, prop(n), Scalar::Str(v.into()))
    }

    #[test]
    fn or_binds_looser_than_and_looser_than_not() {
        let want = Expr::Or(vec![
            eq("name", "a"),
            Expr::And(vec![
                eq("county", "b"),
                Expr::Not(Box::new(eq("name", "c"))),
            ]),
        ]);
        assert_eq!(p("name = 'a' or county = 'b' AND not name = 'c'"), Ok(want));
        let grouped = Expr::And(vec![
            Expr::Or(vec![eq("name", "a"), eq("county", "b")]),
            eq("name", "c"),
        ]);
        assert_eq!(
            p("(name = 'a' OR county = 'b') AND name = 'c'"),
            Ok(grouped)
        );
    }

    #[test]
    fn literals_and_names() {
        assert_eq!(p("\"name\" = 'it''s'"), Ok(eq("name", "it's")));
        let num = |s: &str| match p(s) {
            Ok(Expr::Compare(_, _, Scalar::Num(n))) => Some(n),
            _ => None,
        };
        assert_eq!(num("area > -1.5e2"), Some(-150.0));
        assert_eq!(num("area > .25"), Some(0.25));
        assert_eq!(num("valid_from >= +2020"), Some(2020.0));
        assert_eq!(
            p("protected = true"),
            Ok(Expr::Compare(
                CmpOp::Eq,
                prop("protected"),
                Scalar::Bool(true)
            ))
        );
        assert_eq!(p("FALSE"), Ok(Expr::Literal(false)));
        assert_eq!(
            p("name IS NOT NULL"),
            Ok(Expr::Not(Box::new(Expr::IsNull(prop("name")))))
        );
        assert_eq!(
            p("name ILIKE 'ab%'"),
            Ok(Expr::Like(
                Scalar::CaseI(Box::new(prop("name"))),
                vec![LikeTok::Lit('a'), LikeTok::Lit('b'), LikeTok::Any]
            ))
        );
        // A backslash escapes the wildcard after it.
        assert_eq!(
            p(r"name LIKE 'a\%_'"),
            Ok(Expr::Like(
                prop("name"),
                vec![LikeTok::Lit('a'), LikeTok::Lit('%'), LikeTok::One]
            ))
        );
    }

    #[test]
    fn errors_name_the_token_and_what_was_expected() {
        let e = p("name = 'a' AND (county = 'b'").unwrap_err();
        assert_eq!(
            (e.position, e.message.as_str()),
            (29, "expected ')', found the end of the filter")
        );
        let e = p("(name = 'a' AND county = 'b' name").unwrap_err();
        assert_eq!(
            (e.position, e.message.as_str()),
            (30, "expected ')', found 'name'")
        );
        let e = p("name = 'a' AND nmae = 'b'").unwrap_err();
        assert_eq!((e.position, e.code), (16, "unknown_property"));
        let e = p("county = 330402").unwrap_err();
        assert_eq!((e.position, e.code), (10, "invalid_filter"));
        assert_eq!(
            e.message,
            "cannot compare county (a string) with 330402 (a number)"
        );
        assert_eq!(p("valid_from LIKE '2%'").unwrap_err().position, 1);
        assert_eq!(p("S_WITHIN(geometry, name)").unwrap_err().position, 20);
        assert_eq!(p("name BETWEEN 'a' AND 'b'").unwrap_err().position, 1);
        assert_eq!(p("valid_from IN (1, 'x')").unwrap_err().position, 19);
        assert_eq!(p("name = 'a").unwrap_err().position, 8);
        assert_eq!(p("lower(name) = 'a'").unwrap_err().position, 1);
        assert_eq!(p("name = 'a' # 1").unwrap_err().position, 12);
    }

    #[test]
    fn wkt_literals() {
        let lit = |s: &str| match p(&format!("S_INTERSECTS(geometry, {s})")) {
            Ok(Expr::Spatial(_, _, GeomArg::Literal(g))) => Ok(g),
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.message),
        };
        assert_eq!(
            lit("POINT Z (1 2 3)"),
            Ok(Geometry::Point(geo::Point::new(1.0, 2.0)))
        );
        assert_eq!(
            lit("multipoint((1 2), (3 -4))"),
            lit("MULTIPOINT(1 2, 3 -4)")
        );
        let square = lit("POLYGON((0 0, 2 0, 2 2, 0 2, 0 0), (0.5 0.5, 1 0.5, 1 1, 0.5 0.5))");
        assert!(matches!(square, Ok(Geometry::Polygon(ref g)) if g.interiors().len() == 1));
        assert!(
            matches!(lit("MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5)))"), Ok(Geometry::MultiPolygon(ref m)) if m.0.len() == 2)
        );
        assert!(
            matches!(lit("MULTILINESTRING((0 0, 1 1), (2 2, 3 3))"), Ok(Geometry::MultiLineString(ref m)) if m.0.len() == 2)
        );
        assert!(
            matches!(lit("GEOMETRYCOLLECTION(POINT(0 0), LINESTRING(0 0, 1 1))"), Ok(Geometry::GeometryCollection(ref c)) if c.0.len() == 2)
        );
        assert_eq!(lit("BBOX(0, 0, 5, 1, 1, 9)"), lit("BBOX(0,0,1,1)"));
        assert_eq!(
            lit("POLYGON((0 0, 1 0, 0 0))"),
            Err("a polygon ring needs at least four positions".into())
        );
        assert_eq!(
            lit("LINESTRING(0 0)"),
            Err("a line string needs at least two positions".into())
        );
        assert!(lit("GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(POINT(0 0)))").is_err());
        assert!(lit("POINT EMPTY").is_err());
        assert_eq!(
            p("POINT(1 2) IS NOT NULL"),
            Ok(Expr::Not(Box::new(Expr::Literal(false))))
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}name = 'a'{}", "(".repeat(200), ")".repeat(200));
        assert!(p(&deep).unwrap_err().message.contains("deeper than"));
        assert!(p(&format!("{}name = 'a'", "NOT ".repeat(200))).is_err());
        assert!(p(&format!(
            "{}'a'{} = name",
            "CASEI(".repeat(200),
            ")".repeat(200)
        ))
        .is_err());
        assert!(p(&format!("{}name = 'a'{}", "(".repeat(60), ")".repeat(60))).is_ok());
    }

    #[test]
    fn truncated_and_mangled_input_is_an_error_not_a_panic() {
        let valid = [
            "name LIKE '南%' AND NOT (county IN ('330402', '330411') OR valid_from NOT BETWEEN 1 AND 2e3)",
            "S_WITHIN(geometry, POLYGON((120 30, 121 30, 121 31, 120 30))) OR S_INTERSECTS(BBOX(1,2,3,4), geometry)",
            "CASEI(name) = CASEI('Ab') AND name IS NOT NULL AND \"area\" <= -.5 AND protected <> FALSE",
            "S_CROSSES(geometry, GEOMETRYCOLLECTION(MULTIPOINT((1 2)), MULTILINESTRING((0 0, 1 1))))",
            "DATE('2024-02-29') < DATE('2025-01-01') AND (name = 'x') IS NULL",
        ];
        for v in valid {
            assert!(p(v).is_ok(), "{v}");
            let chars: Vec<char> = v.chars().collect();
            for n in 0..chars.len() {
                let _ = p(&chars[..n].iter().collect::<String>());
                let mut dropped = chars.clone();
                dropped.remove(n);
                let _ = p(&dropped.iter().collect::<String>());
            }
        }
    }
}
