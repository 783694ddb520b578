//! Streams a GeoJSON FeatureCollection: cuts the `features` array into one byte string per
//! feature without building the whole document in memory.
//!
//! Why: a province's layer is gigabytes of JSON. Parsing it into one `serde_json::Value` costs
//! ~15× the coordinates in memory and runs on one core. Cutting it into features is a cheap
//! byte scan (strings and nesting only); each feature is then parsed strictly by serde_json,
//! in parallel, and dropped as soon as it is converted. Everything outside `features` (the
//! `type` and any foreign members) is kept, small, and parsed strictly too, so nothing is
//! accepted that `serde_json::from_str` would refuse — except that the scan itself reports a
//! structural error by byte offset (the caller re-parses to give serde_json's own message).

use std::io::Read;

/// What lies outside the `features` array: the root object's other members, raw.
#[derive(Debug, Default)]
pub struct Skeleton {
    /// `(key, raw JSON value)` in file order.
    pub members: Vec<(String, Vec<u8>)>,
    /// Whether a `features` member was present and was an array.
    pub has_features: bool,
}

/// Reads bytes in large blocks, feeding every byte read to `tap` (the dataset's version hash).
struct Cursor<R, T> {
    r: R,
    tap: T,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    consumed: u64,
    eof: bool,
}

const BLOCK: usize = 4 << 20;

impl<R: Read, T: FnMut(&[u8])> Cursor<R, T> {
    fn fill(&mut self) -> std::io::Result<bool> {
        if self.pos < self.len {
            return Ok(true);
        }
        if self.eof {
            return Ok(false);
        }
        self.consumed += self.len as u64;
        self.pos = 0;
        self.len = 0;
        loop {
            match self.r.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    (self.tap)(&self.buf[..n]);
                    self.len = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn offset(&self) -> u64 {
        self.consumed + self.pos as u64
    }

    /// The next non-whitespace byte, not consumed.
    fn peek_token(&mut self) -> std::io::Result<Option<u8>> {
        while self.fill()? {
            while self.pos < self.len {
                let b = self.buf[self.pos];
                if !b.is_ascii_whitespace() {
                    return Ok(Some(b));
                }
                self.pos += 1;
            }
        }
        Ok(None)
    }

    /// Consumes one JSON value (any kind), appending its bytes to `out`. Strings and nesting are
    /// tracked; everything else is left for serde_json to judge.
    fn value(&mut self, out: &mut Vec<u8>) -> Result<(), Failure> {
        let (mut depth, mut in_str, mut esc) = (0usize, false, false);
        let mut scalar = false;
        let mut started = false;
        while self.fill()? {
            let start = self.pos;
            let bytes = &self.buf[start..self.len];
            let mut end = None;
            for (i, &b) in bytes.iter().enumerate() {
                if in_str {
                    if esc {
                        esc = false;
                    } else if b == b'\\' {
                        esc = true;
                    } else if b == b'"' {
                        in_str = false;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    continue;
                }
                if scalar {
                    if matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace() {
                        end = Some(i);
                        break;
                    }
                    continue;
                }
                match b {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        if depth == 0 {
                            return Err(Failure::Scan("unbalanced brackets"));
                        }
                        depth -= 1;
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                    _ if !started && !b.is_ascii_whitespace() => scalar = true,
                    _ => {}
                }
                if !b.is_ascii_whitespace() {
                    started = true;
                }
            }
            match end {
                Some(e) => {
                    out.extend_from_slice(&self.buf[start..start + e]);
                    self.pos = start + e;
                    return Ok(());
                }
                None => {
                    out.extend_from_slice(&self.buf[start..self.len]);
                    self.pos = self.len;
                }
            }
        }
        if scalar && depth == 0 && !in_str {
            Ok(())
        } else {
            Err(Failure::Scan("the file ends inside a value"))
        }
    }

    fn expect(&mut self, want: u8, problem: &'static str) -> Result<(), Failure> {
        match self.peek_token()? {
            Some(b) if b == want => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(Failure::Scan(problem)),
        }
    }
}

/// Why the scan stopped.
#[derive(Debug)]
pub enum Failure {
    Io(std::io::Error),
    /// The document is not a JSON object at all (an array, a scalar, nothing).
    NotObject,
    Scan(&'static str),
    /// The feature sink refused a batch (its own error, passed through).
    Sink,
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

/// Scans a FeatureCollection from `r`, calling `sink` with batches of raw features (in order,
/// about `batch_bytes` each). `tap` sees every byte read. A `sink` returning `false` stops the
/// scan with [`Failure::Sink`].
pub fn scan<R: Read>(
    r: R,
    batch_bytes: usize,
    tap: impl FnMut(&[u8]),
    mut sink: impl FnMut(Vec<Vec<u8>>) -> bool,
) -> Result<Skeleton, (Failure, u64)> {
    let mut c = Cursor {
        r,
        tap,
        buf: vec![0; BLOCK],
        pos: 0,
        len: 0,
        consumed: 0,
        eof: false,
    };
    let mut skeleton = Skeleton::default();
    let mut run = || -> Result<(), Failure> {
        if c.peek_token()? != Some(b'{') {
            return Err(Failure::NotObject);
        }
        c.pos += 1;
        if c.peek_token()? == Some(b'}') {
            c.pos += 1;
        } else {
            loop {
                let mut key = Vec::new();
                if c.peek_token()? != Some(b'"') {
                    return Err(Failure::Scan("expected a member name"));
                }
                c.value(&mut key)?;
                let key: String =
                    serde_json::from_slice(&key).map_err(|_| Failure::Scan("bad member name"))?;
                c.expect(b':', "expected ':' after a member name")?;
                if key == "features" && c.peek_token()? == Some(b'[') {
                    c.pos += 1;
                    skeleton.has_features = true;
                    let mut batch = Vec::new();
                    let mut size = 0usize;
                    if c.peek_token()? == Some(b']') {
                        c.pos += 1;
                    } else {
                        loop {
                            let mut f = Vec::new();
                            c.value(&mut f)?;
                            size += f.len();
                            batch.push(f);
                            if size >= batch_bytes {
                                if !sink(std::mem::take(&mut batch)) {
                                    return Err(Failure::Sink);
                                }
                                size = 0;
                            }
                            match c.peek_token()? {
                                Some(b',') => c.pos += 1,
                                Some(b']') => {
                                    c.pos += 1;
                                    break;
                                }
                                _ => {
                                    return Err(Failure::Scan(
                                        "expected ',' or ']' after a feature",
                                    ))
                                }
                            }
                        }
                    }
                    if !batch.is_empty() && !sink(batch) {
                        return Err(Failure::Sink);
                    }
                    // Keep the member (empty) so the skeleton parses to the same keys.
                    skeleton.members.push((key, b"[]".to_vec()));
                } else {
                    let mut v = Vec::new();
                    c.value(&mut v)?;
                    skeleton.members.push((key, v));
                }
                match c.peek_token()? {
                    Some(b',') => c.pos += 1,
                    Some(b'}') => {
                        c.pos += 1;
                        break;
                    }
                    _ => return Err(Failure::Scan("expected ',' or '}' after a member")),
                }
            }
        }
        if c.peek_token()?.is_some() {
            return Err(Failure::Scan("trailing characters after the JSON object"));
        }
        Ok(())
    };
    match run() {
        Ok(()) => Ok(skeleton),
        Err(f) => Err((f, c.offset())),
    }
}

impl Skeleton {
    /// The root object without its features, as JSON text (for a strict parse).
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = b"{".to_vec();
        for (i, (k, v)) in self.members.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(
                serde_json::to_string(k)
                    .unwrap_or_else(|_| "\"\"".into())
                    .as_bytes(),
            );
            out.push(b':');
            out.extend_from_slice(v);
        }
        out.push(b'}');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(text: &str, batch: usize) -> Result<(Vec<String>, Skeleton), (Failure, u64)> {
        let mut got = Vec::new();
        let mut seen = Vec::new();
        let sk = scan(
            text.as_bytes(),
            batch,
            |b| seen.extend_from_slice(b),
            |b| {
                got.extend(b.into_iter().map(|f| String::from_utf8(f).unwrap()));
                true
            },
        )?;
        assert_eq!(seen, text.as_bytes(), "the tap sees every byte once");
        Ok((got, sk))
    }

    #[test]
    fn cuts_features_exactly_as_serde_json_reads_them() {
        let text = r#" {"type": "FeatureCollection", "name": "x\"}]", "features": [
            {"type":"Feature","id":"a","properties":{"s":"]}\\\"{"},"geometry":null} ,
            {"type":"Feature","id":2,"properties":{"n":[1,[2,{}]]},"geometry":null}
        ], "bbox": [1, 2, 3, 4], "z": -1.5e3 } "#;
        let parsed: serde_json::Value = serde_json::from_str(text).unwrap();
        for batch in [1, 10, 1 << 20] {
            let (fs, sk) = features(text, batch).unwrap();
            let want = parsed["features"].as_array().unwrap();
            assert_eq!(fs.len(), want.len());
            for (f, w) in fs.iter().zip(want) {
                assert_eq!(&serde_json::from_str::<serde_json::Value>(f).unwrap(), w);
            }
            let mut rest: serde_json::Value = serde_json::from_slice(&sk.to_json()).unwrap();
            rest["features"] = parsed["features"].clone();
            assert_eq!(rest, parsed);
        }
    }

    #[test]
    fn tells_a_non_object_from_a_broken_one() {
        for bad in ["[1,2]", "", "  3", "\"x\""] {
            assert!(
                matches!(features(bad, 1), Err((Failure::NotObject, _))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn refuses_broken_structure() {
        for bad in [
            r#"{"type":"FeatureCollection","features":[{"a":1} {"b":2}]}"#,
            r#"{"type":"FeatureCollection","features":[{"a":1}"#,
            r#"{"type":"FeatureCollection","features":[{"a":"unterminated}]}"#,
            r#"{"type":"FeatureCollection","features":[]} trailing"#,
            r#"{"type" "FeatureCollection"}"#,
        ] {
            assert!(
                matches!(features(bad, 1), Err((Failure::Scan(_), _))),
                "{bad}"
            );
        }
    }
}
