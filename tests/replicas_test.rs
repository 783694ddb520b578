//! Replicas behind nginx on one data folder and one PostgreSQL registry (`bench/replicas.sh`,
//! the CI-sized run of it): three replicas, clients through nginx, layer updates through nginx
//! to the writer. Every answer must carry `X-Data-Version` and show that version's content at
//! the probe (the updates rename one feature; the load tool knows which version has which name
//! from the updates' own answers), every replica must serve each new version within the bound,
//! and the registry must hold exactly one screening per project and swap although all three
//! replicas re-screen: registration + one per update, counted by hand here.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

use std::path::Path;
use std::process::Command;

/// The number after `label` in `text` (`"… 12 made by updates"` → 12 for `" made by updates"`
/// searched backwards from the label).
fn number_before(text: &str, label: &str) -> Option<u64> {
    let at = text.find(label)?;
    let digits: String = text[..at]
        .chars()
        .rev()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

#[test]
fn three_replicas_behind_nginx_swap_together_and_never_mix_versions() {
    let bin = Path::new(env!("CARGO_BIN_EXE_ecospace"));
    // `cargo test` builds the examples next to the binaries.
    let load = bin.parent().unwrap().join("examples").join("load");
    assert!(
        load.exists(),
        "{} is missing: cargo test builds the examples",
        load.display()
    );
    let projects = 40;
    let out = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/bench/replicas.sh"))
        // A debug build under 16 clients on 2 cores takes 4–6 s for the writer's PUT alone
        // and up to ~10 s until the last replica serves it (a release build: 0.4–3 s with 256
        // clients, bench/replicas.sh): updates 15 s apart, the bound each replica gets.
        .args(["--replicas", "3", "--seconds", "50", "--clients", "16"])
        .args(["--update-every", "15", "--projects", &projects.to_string()])
        .env("ECOSPACE_BIN", bin)
        .env("LOAD_BIN", &load)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}\n{err}");
    assert!(text.contains("failed 0, 5xx 0"), "{text}");
    // The content at the probe agrees with the version each answer names, every time.
    assert_eq!(
        number_before(&text, " showing another version's content"),
        Some(0),
        "{text}"
    );
    let probed = number_before(&text, " answers about the probe").unwrap();
    assert!(probed > 100, "too few answers about the probe: {text}");
    assert_eq!(
        number_before(&text, " valid answers without X-Data-Version"),
        Some(0)
    );
    // Both contents were served: the updates really alternated what the replicas answer.
    let updates = number_before(&text, " made by updates)").unwrap();
    assert!(updates >= 3, "{text}");
    assert_eq!(number_before(&text, " served ("), Some(2), "{text}");
    // Every replica took up every update within the bound (3 replicas × updates pairs).
    let pairs = format!("{} of {} (replica, update) pairs", 3 * updates, 3 * updates);
    assert!(text.contains(&pairs), "expected {pairs}: {text}");
    assert_eq!(number_before(&text, " not within the bound"), Some(0));
    // Registration screens each project once; each update changes the version once, and one
    // replica's re-screening of each project is kept.
    let screenings = number_before(&text, " screenings on ").unwrap();
    assert_eq!(screenings, projects * (1 + updates), "{text}");
    assert_eq!(
        number_before(&text, " screenings repeating the one before them"),
        Some(0)
    );
    assert_eq!(
        number_before(&text, " projects not screened on the last version"),
        Some(0)
    );
}
