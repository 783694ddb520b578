//! cql2-text: a lexer and a recursive-descent parser over the CQL2 1.0 BNF
//! (precedence OR < AND < NOT < predicates), with the WKT literals it embeds.

use super::ast::{
    bbox, check_comparable, check_numeric, check_string, date, is_null, label, property, timestamp,
    typed, CmpOp, Expr, FilterError, GeomArg, Queryables, Scalar, SpatialOp, Ty, Typed, MAX_DEPTH,
};
use super::eval::like_pattern;
use super::json::wkt;
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

/// Words that cannot be a bare property name; the first six continue a predicate.
const RESERVED: &str = "not like ilike between in is and or null";
/// WKT's words: six simple geometries, then the two read apart.
const WKT: &str =
    "point linestring polygon multipoint multilinestring multipolygon geometrycollection bbox";
const SYMBOLS: &[&str] = &["<>", "<=", ">=", "(", ")", ",", "=", "<", ">", "-", "+"];

fn is_geometry_word(w: &str) -> bool {
    WKT.split(' ').any(|k| w.eq_ignore_ascii_case(k))
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

    fn or(&mut self) -> R<Expr> {
        let mut v = vec![self.and()?];
        while self.eat("or") {
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::Or(v)
        })
    }

    fn and(&mut self) -> R<Expr> {
        let mut v = vec![self.not()?];
        while self.eat("and") {
            v.push(self.not()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::And(v)
        })
    }

    fn not(&mut self) -> R<Expr> {
        match self.eat("not") {
            true => self.nested(|p| Ok(Expr::Not(Box::new(p.not()?)))),
            false => self.primary(),
        }
    }

    fn primary(&mut self) -> R<Expr> {
        if self.eat("(") {
            let e = self.nested(Self::or)?;
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
        if cmp || RESERVED.split(' ').take(6).any(|w| self.is_word(w)) {
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
            return self.is_null(is_null(lhs));
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
                k if RESERVED.split(' ').any(|r| r == k) => Err(at(t.pos)(format!(
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

    /// A WKT literal or `BBOX(...)`. Coordinates are read as nested arrays, as GeoJSON has
    /// them, and built by the cql2-json reader's code.
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
        if kind == "geometrycollection" {
            let parts = self.list(|p| match &p.peek().tok {
                Tok::Word(w) if WKT.split(' ').take(6).any(|k| w.eq_ignore_ascii_case(k)) => {
                    p.geometry()
                }
                _ => Err(p.expected("a POINT, LINESTRING, POLYGON or MULTI* literal")),
            })?;
            return Ok(Geometry::GeometryCollection(GeometryCollection(parts)));
        }
        let c = self.coords()?;
        wkt(&kind, c).map_err(at(t.pos))
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
    use super::*;

    fn p(s: &str) -> R<Expr> {
        parse(s, &Q)
    }

    fn eq(n: &str, v: &str) -> Expr {
        Expr::Compare(CmpOp::Eq, Scalar::Property(n.into()), Scalar::Str(v.into()))
    }

    #[test]
    fn or_binds_looser_than_and_looser_than_not() {
        let not_c = Expr::Not(Box::new(eq("name", "c")));
        let and = Expr::And(vec![eq("county", "b"), not_c]);
        let want = Expr::Or(vec![eq("name", "a"), and]);
        assert_eq!(p("name = 'a' or county = 'b' AND not name = 'c'"), Ok(want));
        let or = Expr::Or(vec![eq("name", "a"), eq("county", "b")]);
        let grouped = Expr::And(vec![or, eq("name", "c")]);
        assert_eq!(
            p("(name = 'a' OR county = 'b') AND name = 'c'"),
            Ok(grouped)
        );
    }

    #[test]
    fn literals_and_names() {
        assert_eq!(p("\"name\" = 'it''s'"), Ok(eq("name", "it's")));
        assert_eq!(p(r"name = 'it\'s'"), Ok(eq("name", "it's")));
        let num = |s: &str| match p(s) {
            Ok(Expr::Compare(_, _, Scalar::Num(n))) => Some(n),
            _ => None,
        };
        assert_eq!(num("area > -1.5e2"), Some(-150.0));
        assert_eq!(num("area > .25"), Some(0.25));
        assert_eq!(num("valid_from >= +2020"), Some(2020.0));
        assert_eq!(p("FALSE"), Ok(Expr::Literal(false)));
        let null = Expr::IsNull(Scalar::Property("name".into()));
        assert_eq!(p("name IS NOT NULL"), Ok(Expr::Not(Box::new(null))));
    }

    #[test]
    fn errors_name_the_token_and_what_was_expected() {
        let messages = [
            (
                "name = 'a' AND (county = 'b'",
                29,
                "expected ')', found the end of the filter",
            ),
            (
                "(name = 'a' AND county = 'b' name",
                30,
                "expected ')', found 'name'",
            ),
            (
                "county = 330402",
                10,
                "cannot compare county (a string) with 330402 (a number)",
            ),
        ];
        for (s, pos, msg) in messages {
            let e = p(s).map_err(|e| (e.position, e.message));
            assert_eq!(e, Err((pos, msg.to_owned())), "{s}");
        }
        let e = p("name = 'a' AND nmae = 'b'").map_err(|e| (e.position, e.code));
        assert_eq!(e, Err((16, "unknown_property")));
        let positions = [
            ("valid_from LIKE '2%'", 1),
            ("S_WITHIN(geometry, name)", 20),
            ("name BETWEEN 'a' AND 'b'", 1),
            ("valid_from IN (1, 'x')", 19),
            ("name = 'a", 8),
            ("lower(name) = 'a'", 1),
            ("name = 'a' # 1", 12),
            ("S_INTERSECTS(geometry, LINESTRING(0 0))", 24),
        ];
        for (s, pos) in positions {
            assert_eq!(
                p(s).map_err(|e| (e.position, e.code)),
                Err((pos, "invalid_filter")),
                "{s}"
            );
        }
    }
}
