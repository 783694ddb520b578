//! What the server writes to its log: never a secret, and losing the log never stops it.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// A copy of the fixture: admin requests may write to the data folder.
fn copy_mini() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    copy_fixture("mini", &format!("logs{n}"))
}

/// Kills the server when a test fails half way.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(
    args: &[&str],
    env: &[(&str, &str)],
) -> (Server, SocketAddr, BufReader<std::process::ChildStderr>) {
    let mut child = Server(
        Command::new(env!("CARGO_BIN_EXE_ecospace"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(copy_mini())
            .args(args)
            .envs(env.iter().copied())
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut log = BufReader::new(child.0.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(log.read_line(&mut line).unwrap() > 0, "server exited early");
        if let Some(rest) = line.split("addr=").nth(1) {
            let addr = rest.split_whitespace().next().unwrap().parse().unwrap();
            return (child, addr, log);
        }
    }
}

/// Every admin path a token travels through, at the most verbose log level, from the
/// environment and from the command line: neither the right token nor a wrong one is logged.
#[test]
fn tokens_never_appear_in_the_log() {
    for (args, env) in [
        (vec![], vec![("ECOSPACE_ADMIN_TOKEN", "env-S3CRET-71")]),
        (vec!["--admin-token", "flag-S3CRET-72"], vec![]),
    ] {
        let secret = args.get(1).copied().unwrap_or_else(|| env[0].1).to_string();
        let mut env = env.clone();
        env.push(("RUST_LOG", "trace"));
        let (mut child, addr, mut log) = spawn(&args, &env);
        let good = format!("Bearer {secret}");
        let bad = "Bearer WRONG-guess-9431";
        let r = request_with(
            addr,
            "GET",
            "/admin/status",
            &[("Authorization", &good)],
            b"",
        );
        assert_eq!(r.status, 200);
        let r = request_with(
            addr,
            "POST",
            "/admin/reload",
            &[("Authorization", bad)],
            b"",
        );
        assert_eq!(r.status, 403);
        let r = request_with(
            addr,
            "PUT",
            "/admin/layers/zone?author=ops",
            &[("Authorization", &good)],
            b"{not json",
        );
        assert_eq!(r.status, 422, "{}", r.body);
        let r = request_with(
            addr,
            "GET",
            "/admin/status",
            &[("Authorization", "Bearer")],
            b"",
        );
        assert_eq!(r.status, 401);
        // SIGTERM drains and exits; then the whole log is read.
        assert!(Command::new("kill")
            .args(["-TERM", &child.0.id().to_string()])
            .status()
            .unwrap()
            .success());
        child.0.wait().unwrap();
        let mut text = String::new();
        log.read_to_string(&mut text).unwrap();
        assert!(
            text.contains("/admin/status"),
            "requests are logged: {text}"
        );
        assert!(text.lines().count() > 10, "trace level logs a lot: {text}");
        for s in [secret.as_str(), "WRONG-guess-9431"] {
            assert!(!text.contains(s), "{s} leaked into the log:\n{text}");
        }
    }
}

/// A supervisor that stops reading the log (closed pipe) must not take the service down.
#[test]
fn a_closed_log_pipe_does_not_stop_the_server() {
    let (mut child, addr, log) = spawn(&[], &[("RUST_LOG", "debug")]);
    drop(log);
    for i in 0..200 {
        let r = get(addr, "/health");
        assert_eq!(r.status, 200, "request {i} after the log closed: {r:?}");
    }
    assert!(child.0.try_wait().unwrap().is_none(), "still running");
}
