//! The `ecospace` binary: a thin wrapper over the library's CLI.
use clap::Parser;
use std::io::Write;

/// mimalloc rather than glibc's malloc: the service allocates many small, short-lived buffers
/// per request and per site, on several threads (bench/README.md has the figures).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // A log nobody reads (closed pipe) must not stop the service: the default reports a
        // failed write with `eprintln!`, which panics on that same closed pipe.
        .log_internal_errors(false)
        // Colour only on a terminal (and never with NO_COLOR): logs are parsed by tools.
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .init();
    match ecospace::Cli::parse().run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
