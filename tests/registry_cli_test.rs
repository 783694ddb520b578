//! The registry from the command line (#16): `projects add` registers the key-project list,
//! `list`/`show` read it back, a revised red-line file in the data folder is re-screened by
//! `projects rescreen`, `projects impacts` names the two projects the revision affects, and
//! `audit verify` passes on the untouched log and exits non-zero, naming the entry, once a row
//! is changed behind the registry's back (through the test's own SQLite connection).
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Runs `ecospace ARGS --data DATA --state STATE`.
fn run(data: &Path, state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecospace"))
        .args(args)
        .arg("--data")
        .arg(data)
        .arg("--state")
        .arg(state)
        .env_remove("ECOSPACE_REGISTRY")
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn register_revise_rescreen_impacts_and_verify_from_the_command_line() {
    let tmp = std::env::temp_dir().join(format!("ecospace-registry-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let (data, state) = (tmp.join("data"), tmp.join("state"));
    copy_dir(&root().join("data/jiaxing"), &data);
    let samples = root().join("data/jiaxing/samples");
    let file = samples.join("key_projects.geojson");
    let features: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let ids: Vec<&str> = features["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();

    let added = json(&run(
        &data,
        &state,
        &[
            "projects",
            "add",
            file.to_str().unwrap(),
            "--status",
            "approved",
            "--year",
            "2025",
            "--as",
            "planner-li",
        ],
    ));
    let got: Vec<&str> = added
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["project"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, ids, "one project per feature, under the feature's id");
    assert_eq!(added[0]["project"]["registered_by"], "planner-li");
    let list = json(&run(&data, &state, &["projects", "list", "--json"]));
    assert_eq!(list["total"], ids.len());
    assert!(list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["status"] == "approved"));
    // The table names every project too.
    let table = run(&data, &state, &["projects", "list"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert_eq!(
        text.lines().count(),
        ids.len() + 1,
        "a header and a row each"
    );
    assert!(text.lines().any(|l| l.starts_with("KP-17 ")), "{text}");

    // Nothing changed yet: no earlier version to compare with, a clear error.
    let none = run(&data, &state, &["projects", "impacts"]);
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("no earlier data version"));

    // The revision (scripts/redline_revision.py, in shapely) puts KP-17 inside a new zone and
    // cuts RL-330402-02 back from KP-18's site.
    std::fs::copy(
        samples.join("redline_revision.geojson"),
        data.join("redline.geojson"),
    )
    .unwrap();
    let pass = json(&run(&data, &state, &["projects", "rescreen"]));
    assert_eq!(pass["screened"], ids.len());
    assert_eq!(pass["errors"], 0);
    let again = json(&run(&data, &state, &["projects", "rescreen"]));
    assert_eq!(again["screened"], 0, "nothing left to do");
    let imp = json(&run(&data, &state, &["projects", "impacts"]));
    let hit: Vec<&str> = imp["impacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["project"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(hit, ["KP-17", "KP-18"], "{imp}");
    assert_eq!(imp["compared"], ids.len());
    assert_eq!(imp["to"], pass["version"]);
    assert_eq!(imp["impacts"][0]["after"]["decision"], "prohibited");
    let show = json(&run(&data, &state, &["projects", "show", "KP-17"]));
    let ns: Vec<i64> = show["screenings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["n"].as_i64().unwrap())
        .collect();
    assert_eq!(ns, [2, 1]);
    assert_eq!(show["screenings"][0]["trigger"], "data_change");

    // The chain: one entry per registration and one per re-screening batch.
    let ok = run(&data, &state, &["audit", "verify"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let said = String::from_utf8(ok.stdout).unwrap();
    let c = rusqlite::Connection::open(state.join("registry.sqlite")).unwrap();
    let n: i64 = c
        .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get(0))
        .unwrap();
    assert!(n > ids.len() as i64, "registrations and the re-screening");
    assert!(said.contains(&format!("{n} entries")), "{said}");
    c.execute("UPDATE audit SET target = 'KP-99' WHERE seq = 3", [])
        .unwrap();
    let bad = run(&data, &state, &["audit", "verify"]);
    assert!(!bad.status.success(), "a changed entry fails the check");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("broken at entry 3"), "names the entry: {err}");
    let _ = std::fs::remove_dir_all(&tmp);
}
