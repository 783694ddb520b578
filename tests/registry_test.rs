//! The project registry's store (#16, first part): what is registered reads back, after a
//! reopen too; a refused write writes nothing; the audit chain verifies, and a tampered entry,
//! a removed entry or a re-hashed entry is found at the right place. The file is also read and
//! tampered with through a second connection of the test's own, not through the registry.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

use ecospace::registry::{
    NewProject, NewScreening, ProjectStatus, Registry, RegistryError, Trigger, FILE,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn state(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ecospace-registry-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn project(id: Option<&str>) -> NewProject {
    NewProject {
        id: id.map(str::to_string),
        name: "嘉兴市区快速路环线工程".into(),
        project_type: "road".into(),
        class: "provincial_key".into(),
        status: ProjectStatus::Proposed,
        site: json!({"type": "LineString", "coordinates": [[120.70, 30.74], [120.80, 30.76]]}),
    }
}

fn screening(version: &str, decision: &str) -> NewScreening {
    NewScreening {
        data_version: version.into(),
        request_digest: "fnv1a64:0123456789abcdef".into(),
        trigger: Trigger::Registered,
        decision: Some(decision.into()),
        verdict: "conflict".into(),
        answer: json!({"verdict": "conflict", "decision": decision, "hits": []}),
    }
}

/// SHA-256 of the length-prefixed fields, written here from the documented rule.
fn sha(fields: &[&str]) -> String {
    let mut h = Sha256::new();
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_registered_project_reads_back_with_its_screening_after_a_reopen() {
    let dir = state("roundtrip");
    {
        let r = Registry::open(&dir).unwrap();
        assert_eq!(r.schema_version().unwrap(), 1);
        let p = r
            .register(
                project(Some("KP-14")),
                screening("v1", "restricted"),
                "planner-li",
                "d1",
            )
            .unwrap();
        assert_eq!(
            (p.id.as_str(), p.status),
            ("KP-14", ProjectStatus::Proposed)
        );
        assert_eq!(p.registered_by, "planner-li");
        let auto = r
            .register(
                project(None),
                screening("v1", "allowed"),
                "planner-li",
                "d2",
            )
            .unwrap();
        assert_eq!(
            auto.id, "P-000002",
            "two projects, the second numbered after the count"
        );
        r.add_screening(
            "KP-14",
            NewScreening {
                trigger: Trigger::DataChange,
                ..screening("v2", "prohibited")
            },
            "system",
        )
        .unwrap();
    }
    // Reopened: the same rows, the schema not applied twice.
    let r = Registry::open(&dir).unwrap();
    assert_eq!(r.schema_version().unwrap(), 1);
    let p = r.project("KP-14").unwrap();
    assert_eq!(p.site["coordinates"][1][0], 120.80);
    assert_eq!(p.class, "provincial_key");
    let s = r.screenings("KP-14").unwrap();
    assert_eq!(
        s.iter().map(|x| x.n).collect::<Vec<_>>(),
        [2, 1],
        "newest first"
    );
    assert_eq!(s[0].trigger, Trigger::DataChange);
    assert_eq!(s[0].data_version, "v2");
    assert_eq!(s[1].answer["decision"], "restricted");
    let all = r.projects(None, None, 10, 0).unwrap();
    assert_eq!(all.len(), 2);
    let roads = r
        .projects(Some(ProjectStatus::Proposed), Some("road"), 1, 1)
        .unwrap();
    assert_eq!(roads.len(), 1, "limit and offset");
    // Read independently: the file is SQLite with WAL, and holds what the registry says.
    let c = rusqlite::Connection::open(dir.join(FILE)).unwrap();
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let n: i64 = c
        .query_row("SELECT COUNT(*) FROM screening", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_refused_write_writes_nothing() {
    let dir = state("refused");
    let r = Registry::open(&dir).unwrap();
    r.register(project(Some("A")), screening("v1", "allowed"), "ops", "d")
        .unwrap();
    let before = r.audit(1).unwrap().len();
    let e = r
        .register(project(Some("A")), screening("v1", "allowed"), "ops", "d")
        .unwrap_err();
    assert!(
        matches!(e, RegistryError::Duplicate(ref id) if id == "A"),
        "{e}"
    );
    let e = r
        .set_status("nope", ProjectStatus::Approved, "ops", "d")
        .unwrap_err();
    assert!(matches!(e, RegistryError::NotFound(_)), "{e}");
    let e = r
        .add_screening("nope", screening("v2", "allowed"), "ops")
        .unwrap_err();
    assert!(matches!(e, RegistryError::NotFound(_)), "{e}");
    assert!(ProjectStatus::parse("finished")
        .unwrap_err()
        .to_string()
        .contains("proposed, approved, built, rejected"));
    assert_eq!(
        r.audit(1).unwrap().len(),
        before,
        "no audit entry for a refused write"
    );
    assert_eq!(r.screenings("A").unwrap().len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_audit_chain_verifies_and_finds_a_changed_a_removed_or_a_rehashed_entry() {
    let dir = state("audit");
    let r = Registry::open(&dir).unwrap();
    r.register(project(Some("A")), screening("v1", "allowed"), "ops", "d1")
        .unwrap();
    r.set_status("A", ProjectStatus::Approved, "planner-li", "d2")
        .unwrap();
    r.register(project(Some("B")), screening("v1", "allowed"), "ops", "d3")
        .unwrap();
    assert_eq!(r.verify().unwrap(), 3);
    let log = r.audit(1).unwrap();
    assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(log[1].actor, "planner-li");
    assert_eq!(log[1].action, "project.status=approved");
    // Each hash is SHA-256 over its length-prefixed fields and the previous hash.
    let mut prev = "0".repeat(64);
    for e in &log {
        let seq = e.seq.to_string();
        let want = sha(&[
            &seq, &e.at, &e.actor, &e.action, &e.target, &e.digest, &prev,
        ]);
        assert_eq!(e.hash, want, "entry {}", e.seq);
        assert_eq!(e.prev_hash, prev);
        prev = e.hash.clone();
    }
    assert_eq!(r.audit(3).unwrap().len(), 1, "since");
    drop(r);
    let c = rusqlite::Connection::open(dir.join(FILE)).unwrap();
    // A changed actor: entry 2 no longer matches its hash.
    c.execute("UPDATE audit SET actor = 'someone' WHERE seq = 2", [])
        .unwrap();
    let e = Registry::open(&dir).unwrap().verify().unwrap_err();
    assert!(matches!(e, RegistryError::Tampered { seq: 2, .. }), "{e}");
    // Re-hashed to match: then entry 3's link to it breaks.
    let h = sha(&[
        "2",
        &log[1].at,
        "someone",
        &log[1].action,
        &log[1].target,
        &log[1].digest,
        &log[1].prev_hash,
    ]);
    c.execute("UPDATE audit SET hash = ?1 WHERE seq = 2", [&h])
        .unwrap();
    let e = Registry::open(&dir).unwrap().verify().unwrap_err();
    assert!(matches!(e, RegistryError::Tampered { seq: 3, .. }), "{e}");
    // Removed: a gap.
    c.execute("DELETE FROM audit WHERE seq = 2", []).unwrap();
    let e = Registry::open(&dir).unwrap().verify().unwrap_err();
    assert!(matches!(e, RegistryError::Tampered { seq: 3, .. }), "{e}");
    assert!(e.to_string().contains("expected entry 2"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
