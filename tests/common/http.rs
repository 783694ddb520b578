//! The one HTTP/1.1 client of the tests and the bench tools (`bench/compare/http_bench.rs`,
//! `bench/load/load.rs` include it with `#[path]`), for where the socket is the point: limits,
//! load, shutdown, browsers. Requests to the router alone go through `oneshot` instead
//! (`tests/common/mod.rs`).
//!
//! A hand-written client on purpose: it must send what a real client would not (a body after a
//! 413, raw bytes, a half-closed connection) and measure nothing but the server.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};

/// A response as read off the wire.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The status line and header lines, as sent.
    pub head: String,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    /// Whether the server keeps the connection open.
    pub keep_alive: bool,
}

impl Answer {
    /// The value of header `name` (case-insensitive), when it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// A request's head: method, path, `Host` and extra headers, and the body's length.
fn head(method: &str, path: &str, host: &str, headers: &[(&str, &str)], body: &[u8]) -> String {
    let mut h = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        h.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h
}

/// One request on a fresh connection that the client closes after the answer
/// (`Connection: close`). A server may answer (413) and close before reading a huge body, so a
/// failed write is not an error: the answer is read all the same.
pub fn once(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Answer> {
    let mut s = TcpStream::connect(addr)?;
    let mut h = head(method, path, &addr.to_string(), headers, body);
    h.push_str("Connection: close\r\n\r\n");
    s.write_all(h.as_bytes())?;
    let _ = s.write_all(body);
    read_answer(&mut BufReader::new(s))
}

/// Raw bytes on a fresh connection (not necessarily HTTP at all), and the answer.
pub fn raw(addr: SocketAddr, bytes: &[u8]) -> std::io::Result<Answer> {
    let mut s = TcpStream::connect(addr)?;
    s.write_all(bytes)?;
    read_answer(&mut BufReader::new(s))
}

/// A keep-alive connection, reopened when the server has closed it.
pub struct Conn {
    addr: SocketAddr,
    host: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    /// A connection to `addr`, opened on first use; requests carry `Host: host`.
    pub fn new(addr: SocketAddr, host: &str) -> Conn {
        Conn {
            addr,
            host: host.to_string(),
            stream: None,
        }
    }

    /// Sends one request and reads its answer. A kept-alive connection may have been closed by
    /// the server in between: the request is retried once on a fresh one when nothing at all
    /// came back.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Answer> {
        for attempt in 0..2 {
            let stream = match &mut self.stream {
                Some(s) => s,
                None => {
                    let s = TcpStream::connect(self.addr)?;
                    s.set_nodelay(true)?;
                    self.stream.insert(BufReader::new(s))
                }
            };
            let mut msg = head(method, path, &self.host, headers, body);
            msg.push_str("\r\n");
            let mut bytes = msg.into_bytes();
            bytes.extend_from_slice(body);
            match stream
                .get_mut()
                .write_all(&bytes)
                .and_then(|()| read_answer(stream))
            {
                Ok(a) => {
                    if !a.keep_alive {
                        self.stream = None;
                    }
                    return Ok(a);
                }
                Err(e) => {
                    self.stream = None;
                    if attempt == 1 || e.kind() != std::io::ErrorKind::UnexpectedEof {
                        return Err(e);
                    }
                }
            }
        }
        Err(std::io::Error::other("unreachable"))
    }
}

/// Reads one response: the status line, the headers, and a `Content-Length`, chunked, or
/// (with `Connection: close` and neither) read-to-end body.
pub fn read_answer(r: &mut impl BufRead) -> std::io::Result<Answer> {
    let eof = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed");
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(eof());
    }
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut head = line.trim_end().to_string();
    let (mut len, mut chunked, mut keep_alive) = (None, false, true);
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(eof());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        head.push_str("\r\n");
        head.push_str(l);
        let (k, v) = l.split_once(':').unwrap_or((l, ""));
        let (k, v) = (k.to_ascii_lowercase(), v.trim().to_ascii_lowercase());
        match k.as_str() {
            "content-length" => len = v.parse().ok(),
            "transfer-encoding" => chunked = v.contains("chunked"),
            "connection" => keep_alive = v != "close",
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let n = usize::from_str_radix(line.trim(), 16).map_err(std::io::Error::other)?;
            let mut chunk = vec![0; n + 2];
            r.read_exact(&mut chunk)?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = len {
        body.resize(n, 0);
        r.read_exact(&mut body)?;
    } else if !keep_alive {
        r.read_to_end(&mut body)?;
    }
    Ok(Answer {
        status,
        head,
        body,
        keep_alive,
    })
}
