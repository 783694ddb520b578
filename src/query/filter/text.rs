//! cql2-text: a lexer and a recursive-descent parser over the CQL2 1.0 BNF
//! (precedence OR < AND < NOT < predicates), with the WKT literals it embeds.

use super::{
    bbox, check_comparable, check_numeric, check_string, coord, date, label, like_pattern, line,
    property, ring, timestamp, CmpOp, Expr, FilterError, GeomArg, Queryables, Scalar, SpatialOp,
    Ty, Typed, MAX_DEPTH,
};
use geo::{Coord, Geometry, GeometryCollection, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

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

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// 1-based character offset.
    pos: usize,
    /// The source text, for messages.
    text: String,
}

type R<T> = Result<T, FilterError>;

fn ident_start(c: char) -> bool {
    c == ':' || c == '_' || c.is_alphabetic()
}

fn ident_part(c: char) -> bool {
    ident_start(c) || c == '.' || c.is_ascii_digit() || ('\u{300}'..='\u{36f}').contains(&c) || ('\u{203f}'..='\u{2040}').contains(&c)
}

fn lex(s: &str) -> R<Vec<Token>> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        let start = i;
        let tok = if c.is_whitespace() {
            i += 1;
            continue;
        } else if c == '\'' {
            let mut v = String::new();
            i += 1;
            loop {
                match (cs.get(i), cs.get(i + 1)) {
                    (None, _) => return Err(FilterError::invalid(start + 1, "unterminated string: expected a closing '")),
                    (Some('\''), Some('\'')) | (Some('\\'), Some('\'')) => {
                        v.push('\'');
                        i += 2;
                    }
                    (Some('\''), _) => {
                        i += 1;
                        break;
                    }
                    // A backslash and what follows stay for LIKE, which reads `\%`, `\_`, `\\`.
                    (Some('\\'), Some(&n)) => {
                        v.extend(['\\', n]);
                        i += 2;
                    }
                    (Some(&ch), _) => {
                        v.push(ch);
                        i += 1;
                    }
                }
            }
            Tok::Str(v)
        } else if c == '"' {
            let end = cs[i + 1..].iter().position(|&ch| ch == '"');
            let end = end.ok_or_else(|| FilterError::invalid(start + 1, "unterminated property name: expected a closing \""))?;
            let name: String = cs[i + 1..i + 1 + end].iter().collect();
            i += end + 2;
            Tok::Quoted(name)
        } else if c.is_ascii_digit() || (c == '.' && cs.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let digits = |i: &mut usize| {
                while cs.get(*i).is_some_and(char::is_ascii_digit) {
                    *i += 1;
                }
            };
            digits(&mut i);
            if cs.get(i) == Some(&'.') {
                i += 1;
                digits(&mut i);
            }
            if matches!(cs.get(i), Some('e' | 'E')) {
                let sign = usize::from(matches!(cs.get(i + 1), Some('+' | '-')));
                if cs.get(i + 1 + sign).is_some_and(char::is_ascii_digit) {
                    i += 1 + sign;
                    digits(&mut i);
                }
            }
            let text: String = cs[start..i].iter().collect();
            match text.parse::<f64>() {
                Ok(n) if n.is_finite() => Tok::Num(n),
                _ => return Err(FilterError::invalid(start + 1, format!("number out of range: {text}"))),
            }
        } else if ident_start(c) {
            while cs.get(i).is_some_and(|&ch| ident_part(ch)) {
                i += 1;
            }
            Tok::Word(cs[start..i].iter().collect())
        } else {
            let two: String = cs[i..cs.len().min(i + 2)].iter().collect();
            let sym = ["<>", "<=", ">="].into_iter().find(|s| *s == two);
            let sym = sym.or_else(|| ["(", ")", ",", "=", "<", ">", "-", "+"].into_iter().find(|s| s.starts_with(c)));
            let sym = sym.ok_or_else(|| FilterError::invalid(start + 1, format!("unexpected character '{c}'")))?;
            i += sym.chars().count();
            Tok::Sym(sym)
        };
        out.push(Token { tok, pos: start + 1, text: cs[start..i].iter().collect() });
    }
    out.push(Token { tok: Tok::End, pos: cs.len() + 1, text: String::new() });
    Ok(out)
}

/// Reads a whole cql2-text filter.
pub(super) fn parse(s: &str, q: &impl Queryables) -> R<Expr> {
    let mut p = Parser { toks: lex(s)?, i: 0, q, depth: 0 };
    let e = p.or()?;
    match p.peek().tok {
        Tok::End => Ok(e),
        _ => Err(p.expected("AND, OR or the end of the filter")),
    }
}

const RESERVED: &[&str] = &["and", "or", "not", "like", "ilike", "between", "in", "is", "null"];

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

    fn peek2(&self) -> &Tok {
        self.toks.get(self.i + 1).map_or(&Tok::End, |t| &t.tok)
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if t.tok != Tok::End {
            self.i += 1;
        }
        t
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(x) if x.eq_ignore_ascii_case(w))
    }

    fn eat_word(&mut self, w: &str) -> bool {
        let yes = self.is_word(w);
        if yes {
            self.i += 1;
        }
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

    fn expect(&mut self, sym: &'static str) -> R<()> {
        match self.peek().tok == Tok::Sym(sym) {
            true => {
                self.i += 1;
                Ok(())
            }
            false => Err(self.expected(&format!("'{sym}'"))),
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        match self.depth > MAX_DEPTH {
            true => Err(FilterError::invalid(self.peek().pos, format!("the filter nests deeper than {MAX_DEPTH} levels"))),
            false => Ok(()),
        }
    }

    fn or(&mut self) -> R<Expr> {
        let mut v = vec![self.and()?];
        while self.eat_word("or") {
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Expr::Or(v) })
    }

    fn and(&mut self) -> R<Expr> {
        let mut v = vec![self.not()?];
        while self.eat_word("and") {
            v.push(self.not()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Expr::And(v) })
    }

    fn not(&mut self) -> R<Expr> {
        if !self.eat_word("not") {
            return self.primary();
        }
        self.enter()?;
        let e = Expr::Not(Box::new(self.not()?));
        self.depth -= 1;
        Ok(e)
    }

    fn primary(&mut self) -> R<Expr> {
        if self.peek().tok == Tok::Sym("(") {
            self.i += 1;
            self.enter()?;
            let e = self.or()?;
            self.expect(")")?;
            self.depth -= 1;
            return match self.is_word("is") {
                true => self.is_null(|| Expr::IsUnknown(Box::new(e))),
                false => Ok(e),
            };
        }
        if let (Tok::Word(w), Tok::Sym("(")) = (&self.peek().tok, self.peek2()) {
            if let Some(op) = SpatialOp::from_name(w) {
                return self.spatial(op);
            }
            if is_geometry_keyword(w) {
                self.geometry()?;
                return self.is_null(|| Expr::Literal(false));
            }
        }
        let pos = self.peek().pos;
        let lhs = self.scalar()?;
        let next = self.peek();
        let tail = matches!(next.tok, Tok::Sym("=" | "<>" | "<" | ">" | "<=" | ">="))
            || ["not", "like", "ilike", "between", "in", "is"].iter().any(|w| self.is_word(w));
        match (&lhs.s, tail) {
            (_, true) => self.predicate(lhs, pos),
            (Scalar::Bool(b), false) => Ok(Expr::Literal(*b)),
            _ => Err(self.expected(&format!("a comparison, LIKE, BETWEEN, IN or IS NULL after {}", label(&lhs)))),
        }
    }

    fn is_null(&mut self, e: impl FnOnce() -> Expr) -> R<Expr> {
        if !self.eat_word("is") {
            return Err(self.expected("IS"));
        }
        let negated = self.eat_word("not");
        if !self.eat_word("null") {
            return Err(self.expected("NULL"));
        }
        Ok(if negated { Expr::Not(Box::new(e())) } else { e() })
    }

    fn predicate(&mut self, lhs: Typed, lpos: usize) -> R<Expr> {
        if let Tok::Sym(sym) = self.peek().tok {
            if let Some(op) = CmpOp::from_symbol(sym) {
                self.i += 1;
                let rpos = self.peek().pos;
                let rhs = self.scalar()?;
                check_comparable(&lhs, &rhs).map_err(|m| FilterError::invalid(rpos, m))?;
                return Ok(Expr::Compare(op, lhs.s, rhs.s));
            }
        }
        if self.is_word("is") {
            return self.is_null(|| Expr::IsNull(lhs.s));
        }
        let negated = self.eat_word("not");
        let e = if self.is_word("like") || self.is_word("ilike") {
            let ilike = self.eat_word("ilike");
            self.i += usize::from(!ilike);
            check_string(&lhs, "LIKE").map_err(|m| FilterError::invalid(lpos, m))?;
            let ppos = self.peek().pos;
            let mut pat = self.scalar()?;
            let mut value = lhs.s;
            if ilike {
                value = Scalar::CaseI(Box::new(value));
                pat.s = Scalar::CaseI(Box::new(pat.s));
            }
            Expr::Like(value, like_pattern(&pat).map_err(|m| FilterError::invalid(ppos, m))?)
        } else if self.eat_word("between") {
            let at = |pos, r: Result<(), String>| r.map_err(|m| FilterError::invalid(pos, m));
            at(lpos, check_numeric(&lhs))?;
            let lo_pos = self.peek().pos;
            let lo = self.scalar()?;
            at(lo_pos, check_numeric(&lo))?;
            if !self.eat_word("and") {
                return Err(self.expected("AND of BETWEEN"));
            }
            let hi_pos = self.peek().pos;
            let hi = self.scalar()?;
            at(hi_pos, check_numeric(&hi))?;
            Expr::Between(lhs.s, lo.s, hi.s)
        } else if self.eat_word("in") {
            self.expect("(")?;
            let mut items = Vec::new();
            loop {
                let pos = self.peek().pos;
                let item = self.scalar()?;
                check_comparable(&lhs, &item).map_err(|m| FilterError::invalid(pos, m))?;
                items.push(item.s);
                if self.peek().tok != Tok::Sym(",") {
                    break;
                }
                self.i += 1;
            }
            self.expect(")")?;
            Expr::In(lhs.s, items)
        } else {
            return Err(self.expected(if negated { "LIKE, BETWEEN or IN after NOT" } else { "a comparison operator" }));
        };
        Ok(if negated { Expr::Not(Box::new(e)) } else { e })
    }

    /// A property, literal or CASEI(...): the operands of comparisons.
    fn scalar(&mut self) -> R<Typed> {
        let t = self.bump();
        let typed = |s, ty| Ok(Typed { s, ty });
        match t.tok {
            Tok::Str(v) => typed(Scalar::Str(v), Ty::Str),
            Tok::Num(n) => typed(Scalar::Num(n), Ty::Num),
            Tok::Sym(sign @ ("-" | "+")) => match self.bump().tok {
                Tok::Num(n) => typed(Scalar::Num(if sign == "-" { -n } else { n }), Ty::Num),
                _ => Err(FilterError::invalid(t.pos, format!("expected a number after '{sign}'"))),
            },
            Tok::Quoted(name) => property(self.q, &name).ok_or_else(|| FilterError::unknown(t.pos, &name)),
            Tok::Word(w) => {
                let lower = w.to_ascii_lowercase();
                if self.peek().tok == Tok::Sym("(") {
                    return self.call(&lower, &t);
                }
                match lower.as_str() {
                    "true" | "false" => typed(Scalar::Bool(lower == "true"), Ty::Bool),
                    k if RESERVED.contains(&k) => {
                        Err(FilterError::invalid(t.pos, format!("expected a property or a literal, found '{w}'")))
                    }
                    _ => property(self.q, &w).ok_or_else(|| FilterError::unknown(t.pos, &w)),
                }
            }
            Tok::Sym(_) | Tok::End => {
                self.i -= usize::from(t.tok != Tok::End);
                Err(self.expected("a property or a literal"))
            }
        }
    }

    /// `CASEI(x)`, `DATE('…')`, `TIMESTAMP('…')`; other functions are not supported.
    fn call(&mut self, name: &str, t: &Token) -> R<Typed> {
        self.i += 1; // the '('
        let r = match name {
            "casei" => {
                self.enter()?;
                let pos = self.peek().pos;
                let x = self.scalar()?;
                check_string(&x, "CASEI").map_err(|m| FilterError::invalid(pos, m))?;
                self.depth -= 1;
                Typed { s: Scalar::CaseI(Box::new(x.s)), ty: Ty::Str }
            }
            "date" | "timestamp" => {
                let arg = self.bump();
                let bad = || FilterError::invalid(arg.pos, format!("expected a {} string, found '{}'", name.to_uppercase(), arg.text));
                let Tok::Str(v) = &arg.tok else { return Err(bad()) };
                match name {
                    "date" => Typed { s: Scalar::Date(date(v).ok_or_else(bad)?), ty: Ty::Date },
                    _ => {
                        let (t, n) = timestamp(v).ok_or_else(bad)?;
                        Typed { s: Scalar::Timestamp(t, n), ty: Ty::Ts }
                    }
                }
            }
            _ => {
                let why = match name {
                    "accenti" => "ACCENTI (accent-insensitive comparison) is not supported".to_owned(),
                    _ if SpatialOp::from_name(name).is_some() => format!("{} is a predicate, not a value", t.text),
                    _ if is_geometry_keyword(name) => "a geometry literal is only a spatial function's argument".to_owned(),
                    _ => format!("function '{}' is not supported (only CASEI, DATE, TIMESTAMP and S_*)", t.text),
                };
                return Err(FilterError::invalid(t.pos, why));
            }
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
        if let Tok::Word(w) = &self.peek().tok {
            if is_geometry_keyword(w) {
                return self.geometry().map(GeomArg::Literal);
            }
        }
        let pos = self.peek().pos;
        let t = self.scalar()?;
        match t.ty {
            Ty::Geom => Ok(GeomArg::Property),
            _ => Err(FilterError::invalid(pos, format!("{func} needs geometries, not {}", label(&t)))),
        }
    }

    /// A WKT literal or `BBOX(...)`.
    fn geometry(&mut self) -> R<Geometry> {
        let t = self.bump();
        let kind = t.text.to_ascii_uppercase();
        if kind == "BBOX" {
            self.expect("(")?;
            let mut v = vec![self.number()?];
            while self.peek().tok == Tok::Sym(",") {
                self.i += 1;
                v.push(self.number()?);
            }
            self.expect(")")?;
            return bbox(&v).map_err(|m| FilterError::invalid(t.pos, m));
        }
        self.eat_word("z");
        if self.is_word("empty") {
            return Err(FilterError::invalid(self.peek().pos, "EMPTY geometries are not supported"));
        }
        let at = |r: Result<_, String>| r.map_err(|m| FilterError::invalid(t.pos, m));
        Ok(match kind.as_str() {
            "POINT" => {
                self.expect("(")?;
                let c = self.position()?;
                self.expect(")")?;
                Geometry::Point(Point(c))
            }
            "LINESTRING" => Geometry::LineString(at(line(self.positions()?))?),
            "POLYGON" => Geometry::Polygon(self.polygon(t.pos)?),
            "MULTIPOINT" => {
                let pts = self.list(|p| {
                    let paren = p.peek().tok == Tok::Sym("(");
                    if paren {
                        p.i += 1;
                    }
                    let c = p.position()?;
                    if paren {
                        p.expect(")")?;
                    }
                    Ok(Point(c))
                })?;
                Geometry::MultiPoint(MultiPoint(pts))
            }
            "MULTILINESTRING" => {
                let lines = self.list(|p| p.positions().and_then(|v| line(v).map_err(|m| FilterError::invalid(t.pos, m))))?;
                Geometry::MultiLineString(MultiLineString(lines))
            }
            "MULTIPOLYGON" => Geometry::MultiPolygon(MultiPolygon(self.list(|p| p.polygon(t.pos))?)),
            "GEOMETRYCOLLECTION" => {
                let parts = self.list(|p| match &p.peek().tok {
                    Tok::Word(w) if is_geometry_keyword(w) && !w.eq_ignore_ascii_case("geometrycollection") && !w.eq_ignore_ascii_case("bbox") => p.geometry(),
                    _ => Err(p.expected("a POINT, LINESTRING, POLYGON or MULTI* literal")),
                })?;
                Geometry::GeometryCollection(GeometryCollection(parts))
            }
            _ => return Err(FilterError::invalid(t.pos, format!("unknown geometry '{}'", t.text))),
        })
    }

    /// `( item {, item} )`
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> R<T>) -> R<Vec<T>> {
        self.expect("(")?;
        let mut v = vec![item(self)?];
        while self.peek().tok == Tok::Sym(",") {
            self.i += 1;
            v.push(item(self)?);
        }
        self.expect(")")?;
        Ok(v)
    }

    fn polygon(&mut self, pos: usize) -> R<Polygon> {
        let mut rings = self.list(|p| p.positions().and_then(|v| ring(v).map_err(|m| FilterError::invalid(pos, m))))?;
        let outer = rings.remove(0);
        Ok(Polygon::new(outer, rings))
    }

    fn positions(&mut self) -> R<Vec<Coord>> {
        self.list(Self::position)
    }

    /// `x y [z]`
    fn position(&mut self) -> R<Coord> {
        let pos = self.peek().pos;
        let mut v = vec![self.number()?, self.number()?];
        if matches!(self.peek().tok, Tok::Num(_) | Tok::Sym("-" | "+")) {
            v.push(self.number()?);
        }
        coord(&v).map_err(|m| FilterError::invalid(pos, m))
    }

    fn number(&mut self) -> R<f64> {
        let sign = match self.peek().tok {
            Tok::Sym("-") => -1.0,
            Tok::Sym("+") => 1.0,
            Tok::Num(n) => {
                self.i += 1;
                return Ok(n);
            }
            _ => return Err(self.expected("a number")),
        };
        self.i += 1;
        match self.peek().tok {
            Tok::Num(n) => {
                self.i += 1;
                Ok(sign * n)
            }
            _ => Err(self.expected("a number")),
        }
    }
}

fn is_geometry_keyword(w: &str) -> bool {
    ["point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "bbox"]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
}
