//! The project registry's store (#16): what is registered reads back, after a reopen too; a
//! refused write writes nothing; screenings number per project and re-screening finds what is
//! pending; data versions keep their activation order; the audit chain verifies, and a changed,
//! a removed or a re-hashed entry is found at the right place. The database is also read and
//! tampered with through a connection of the test's own, not through the registry.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

use ecospace::registry::{
    NewProject, NewScreening, ProjectFilter, ProjectPatch, ProjectStatus, Registry, RegistryError,
    ScreeningBatch, Trigger, FILE, MIGRATIONS,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
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
        year: Some(2025),
    }
}

/// A screening as `POST /check` would answer, in the county given.
fn screening(version: &str, decision: &str, county: &str, trigger: Trigger) -> NewScreening {
    let answer = json!({
        "verdict": "conflict",
        "decision": decision,
        "hits": [{"layer": "redline", "id": "RL-1", "relation": "intersects",
                  "overlap_area_m2": 1234.5, "decision": decision}],
        "counties": [{"county": county, "share": 1.0}],
    });
    NewScreening::of(answer, version, "sha256:00", trigger)
}

fn batch(items: Vec<(&str, NewScreening)>) -> ScreeningBatch {
    ScreeningBatch {
        items: items
            .into_iter()
            .map(|(id, s)| (id.to_string(), s))
            .collect(),
        actor: "system".into(),
        action: "screening.data_change".into(),
        target: "v2".into(),
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

fn all() -> ProjectFilter {
    ProjectFilter {
        limit: 100,
        ..ProjectFilter::default()
    }
}

#[test]
fn a_registered_project_reads_back_with_its_screenings_after_a_reopen() {
    let dir = state("roundtrip");
    let latest = MIGRATIONS.last().unwrap().0;
    {
        let r = Registry::open_dir(&dir).unwrap();
        assert_eq!(r.schema_version().unwrap(), latest);
        let p = r
            .register(
                &project(Some("KP-14")),
                &screening("v1", "restricted", "330402", Trigger::Registered),
                "planner-li",
                "d1",
            )
            .unwrap();
        assert_eq!(
            (p.id.as_str(), p.status),
            ("KP-14", ProjectStatus::Proposed)
        );
        assert_eq!(p.registered_by, "planner-li");
        assert_eq!(p.year, Some(2025));
        let auto = r
            .register(
                &project(None),
                &screening("v1", "allowed", "330411", Trigger::Registered),
                "planner-li",
                "d2",
            )
            .unwrap();
        assert_eq!(
            auto.id, "P-000002",
            "the second project, numbered after the count"
        );
        let ns = r
            .add_screenings(&batch(vec![(
                "KP-14",
                screening("v2", "prohibited", "330402", Trigger::DataChange),
            )]))
            .unwrap();
        assert_eq!(ns, [2]);
    }
    // Reopened: the same rows, no migration applied twice.
    let r = Registry::open_dir(&dir).unwrap();
    assert_eq!(r.schema_version().unwrap(), latest);
    let p = r.project("KP-14").unwrap();
    assert_eq!(p.site["coordinates"][1][0], 120.80);
    assert_eq!(p.class, "provincial_key");
    // The project carries its newest screening.
    assert_eq!(p.latest.n, 2);
    assert_eq!(p.latest.data_version.as_deref(), Some("v2"));
    assert_eq!(p.latest.decision.as_deref(), Some("prohibited"));
    assert_eq!(p.latest.counties, ["330402"]);
    let s = r.screenings("KP-14").unwrap();
    assert_eq!(
        s.iter().map(|x| x.n).collect::<Vec<_>>(),
        [2, 1],
        "newest first"
    );
    assert_eq!(s[0].trigger, Trigger::DataChange);
    assert_eq!(s[1].answer["decision"], "restricted");
    assert_eq!(r.screening("KP-14", 1).unwrap().data_version, "v1");
    assert!(matches!(
        r.screening("KP-14", 3),
        Err(RegistryError::NotFound(_))
    ));
    // Filters: by county and by the newest decision, limit and offset, count beside them.
    let by = |f: ProjectFilter| -> Vec<String> {
        r.projects(&f).unwrap().into_iter().map(|p| p.id).collect()
    };
    assert_eq!(by(all()), ["KP-14", "P-000002"]);
    let county = ProjectFilter {
        county: Some("330411".into()),
        ..all()
    };
    assert_eq!(by(county.clone()), ["P-000002"]);
    assert_eq!(r.count(&county).unwrap(), 1);
    let decided = ProjectFilter {
        decision: Some("prohibited".into()),
        ..all()
    };
    assert_eq!(
        by(decided),
        ["KP-14"],
        "the newest screening's, not the first's"
    );
    let page = ProjectFilter {
        status: Some(ProjectStatus::Proposed),
        project_type: Some("road".into()),
        limit: 1,
        offset: 1,
        ..ProjectFilter::default()
    };
    assert_eq!(by(page.clone()), ["P-000002"], "limit and offset");
    assert_eq!(r.count(&page).unwrap(), 2, "count ignores limit and offset");
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
    let r = Registry::open_dir(&dir).unwrap();
    let s = || screening("v1", "allowed", "330402", Trigger::Registered);
    r.register(&project(Some("A")), &s(), "ops", "d").unwrap();
    let before = r.audit(1, 100).unwrap().len();
    let e = r
        .register(&project(Some("A")), &s(), "ops", "d")
        .unwrap_err();
    assert!(
        matches!(e, RegistryError::Duplicate(ref id) if id == "A"),
        "{e}"
    );
    let approve = ProjectPatch {
        status: Some(ProjectStatus::Approved),
        ..ProjectPatch::default()
    };
    let e = r.update("nope", &approve, "ops", "d").unwrap_err();
    assert!(matches!(e, RegistryError::NotFound(_)), "{e}");
    let e = r
        .update("A", &ProjectPatch::default(), "ops", "d")
        .unwrap_err();
    assert!(
        matches!(e, RegistryError::Invalid(_)),
        "an empty patch: {e}"
    );
    // One project gone refuses the whole batch: A gets no screening either.
    let e = r
        .add_screenings(&batch(vec![("A", s()), ("nope", s())]))
        .unwrap_err();
    assert!(matches!(e, RegistryError::NotFound(_)), "{e}");
    assert!(ProjectStatus::parse("finished")
        .unwrap_err()
        .to_string()
        .contains("proposed, approved, built, rejected"));
    assert_eq!(
        r.audit(1, 100).unwrap().len(),
        before,
        "no audit entry for a refused write"
    );
    assert_eq!(r.screenings("A").unwrap().len(), 1);
    assert_eq!(r.project("A").unwrap().latest.n, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pending_is_every_live_project_not_yet_screened_against_the_version() {
    let dir = state("pending");
    let r = Registry::open_dir(&dir).unwrap();
    for id in ["A", "B", "C"] {
        let s = screening("v1", "allowed", "330402", Trigger::Registered);
        r.register(&project(Some(id)), &s, "ops", "d").unwrap();
    }
    let reject = ProjectPatch {
        status: Some(ProjectStatus::Rejected),
        ..ProjectPatch::default()
    };
    r.update("C", &reject, "ops", "d").unwrap();
    let ids = |v: &str| -> Vec<String> {
        r.pending(v, "", 10)
            .unwrap()
            .into_iter()
            .map(|p| p.id)
            .collect()
    };
    assert_eq!(ids("v1"), Vec::<String>::new());
    assert_eq!(ids("v2"), ["A", "B"], "C is rejected");
    assert_eq!(r.pending_count("v2").unwrap(), 2);
    assert_eq!(r.pending("v2", "", 1).unwrap().len(), 1, "limit");
    let after_a: Vec<String> = r
        .pending("v2", "A", 10)
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(after_a, ["B"], "after an id");
    r.add_screenings(&batch(vec![(
        "A",
        screening("v2", "prohibited", "330402", Trigger::DataChange),
    )]))
    .unwrap();
    assert_eq!(ids("v2"), ["B"]);
    // Outcomes by version, oldest first; a later screening against v1 again (a rollback)
    // follows the v2 one.
    r.add_screenings(&batch(vec![(
        "A",
        screening("v1", "allowed", "330402", Trigger::DataChange),
    )]))
    .unwrap();
    let at1 = r.outcomes_at("v1").unwrap();
    let ns: Vec<i64> = at1["A"].iter().map(|(n, _)| *n).collect();
    assert_eq!(ns, [1, 3]);
    assert_eq!(at1.keys().collect::<Vec<_>>(), ["A", "B", "C"]);
    let at2 = r.outcomes_at("v2").unwrap();
    assert_eq!(at2["A"][0].1.decision.as_deref(), Some("prohibited"));
    assert_eq!(at2["A"][0].1.hits[0].overlap_area_m2, Some(1234.5));
    // Five screenings, two distinct answers: each kept once, and each screening reads its own.
    let c = rusqlite::Connection::open(dir.join(FILE)).unwrap();
    let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT COUNT(*) FROM screening"), 5);
    assert_eq!(count("SELECT COUNT(*) FROM answer"), 2);
    let s = r.screenings("A").unwrap();
    assert_eq!(
        s[0].answer, s[2].answer,
        "the rollback's answer is the registration's"
    );
    assert_eq!(s[1].answer["decision"], "prohibited");
    assert_eq!(
        s[1].answer,
        screening("v2", "prohibited", "330402", Trigger::DataChange).answer
    );
    // A row written before answers were kept apart holds its answer inline: still read.
    let b = r.screenings("B").unwrap()[0].answer.clone();
    c.execute(
        "UPDATE screening SET answer = (SELECT body FROM answer WHERE digest = answer_digest), answer_digest = NULL WHERE project_id = 'B'",
        [],
    )
    .unwrap();
    assert_eq!(r.screenings("B").unwrap()[0].answer, b);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn data_versions_keep_the_order_they_came_into_service_in() {
    let dir = state("versions");
    let r = Registry::open_dir(&dir).unwrap();
    let files = |h: &str| BTreeMap::from([("redline.geojson".to_string(), h.to_string())]);
    assert!(r.activate("v0", &files("a")).unwrap());
    assert!(
        !r.activate("v0", &files("a")).unwrap(),
        "already the newest"
    );
    assert!(r.activate("v1", &files("b")).unwrap());
    assert!(
        r.activate("v0", &files("a")).unwrap(),
        "a rollback is a new activation"
    );
    let v = r.versions().unwrap();
    let order: Vec<(&str, i64)> = v
        .iter()
        .map(|x| (x.version.as_str(), x.activation))
        .collect();
    assert_eq!(order, [("v1", 2), ("v0", 3)]);
    assert_eq!(v[1].files["redline.geojson"], "a");
    assert!(v[1].first_seen_at <= v[1].activated_at);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_audit_chain_verifies_and_finds_a_changed_a_removed_or_a_rehashed_entry() {
    let dir = state("audit");
    let r = Registry::open_dir(&dir).unwrap();
    let s = || screening("v1", "allowed", "330402", Trigger::Registered);
    r.register(&project(Some("A")), &s(), "ops", "d1").unwrap();
    let approve = ProjectPatch {
        status: Some(ProjectStatus::Approved),
        ..ProjectPatch::default()
    };
    r.update("A", &approve, "planner-li", "d2").unwrap();
    r.register(&project(Some("B")), &s(), "ops", "d3").unwrap();
    r.append_audit("ops", "layer.update", "redline", "d4")
        .unwrap();
    assert_eq!(r.verify().unwrap(), 4);
    let log = r.audit(1, 100).unwrap();
    assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(log[1].actor, "planner-li");
    assert_eq!(log[1].action, "project.update status=approved");
    assert_eq!(log[3].target, "redline");
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
    assert_eq!(r.audit(3, 100).unwrap().len(), 2, "since");
    assert_eq!(r.audit(1, 2).unwrap().len(), 2, "limit");
    drop(r);
    let c = rusqlite::Connection::open(dir.join(FILE)).unwrap();
    // A changed actor: entry 2 no longer matches its hash.
    c.execute("UPDATE audit SET actor = 'someone' WHERE seq = 2", [])
        .unwrap();
    let e = Registry::open_dir(&dir).unwrap().verify().unwrap_err();
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
    let e = Registry::open_dir(&dir).unwrap().verify().unwrap_err();
    assert!(matches!(e, RegistryError::Tampered { seq: 3, .. }), "{e}");
    // Removed: a gap.
    c.execute("DELETE FROM audit WHERE seq = 2", []).unwrap();
    let e = Registry::open_dir(&dir).unwrap().verify().unwrap_err();
    assert!(matches!(e, RegistryError::Tampered { seq: 3, .. }), "{e}");
    assert!(e.to_string().contains("expected entry 2"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
