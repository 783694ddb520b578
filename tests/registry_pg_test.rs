//! The project registry on PostgreSQL (#16), against a throw-away PostgreSQL 15 server that each
//! test starts itself (Debian's `postgresql-15`, on loopback, stopped when the test ends, even
//! when it fails). What is checked: the same calls give the same answers on SQLite and on
//! PostgreSQL, and the answers written out here; the audit chain verifies and a row changed
//! behind the registry's back is named; two handles (two replicas) writing at once from several
//! threads neither fork nor gap the chain nor number two screenings of a project alike; the
//! migrations apply once, also when two replicas start together.
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

use ecospace::registry::{
    self, Location, NewProject, NewScreening, Outcome, OutcomeHit, ProjectFilter, ProjectPatch,
    ProjectStatus, Registry, RegistryError, ScreeningBatch, Trigger, MIGRATIONS,
};
use ecospace::Dataset;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Barrier};

/// Where Debian's `postgresql-15` puts its server programs.
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A PostgreSQL server of its own in a temp folder, on a free loopback port; stopped and
/// removed when dropped. As root (CI), the server runs as the `postgres` user, since `initdb`
/// and `postgres` refuse to run as root.
struct Cluster {
    dir: PathBuf,
    port: u16,
    run_as_postgres: bool,
}

impl Cluster {
    fn start(tag: &str) -> Cluster {
        let bin = Path::new(PG_BIN);
        assert!(
            bin.join("initdb").exists() && bin.join("pg_ctl").exists(),
            "PostgreSQL 15 is not installed ({PG_BIN}/initdb is missing): run `bash scripts/setup.sh`, \
             which installs Debian's postgresql-15 for the registry's tests"
        );
        let dir = std::env::temp_dir().join(format!("ecospace-pg-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let run_as_postgres = is_root();
        if run_as_postgres {
            let id = |flag: &str| -> u32 {
                let out = Command::new("id")
                    .args([flag, "postgres"])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "no `postgres` user (it comes with postgresql-15): run `bash scripts/setup.sh`"
                );
                String::from_utf8(out.stdout)
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap()
            };
            std::os::unix::fs::chown(&dir, Some(id("-u")), Some(id("-g"))).unwrap();
        }
        let mut cluster = Cluster {
            dir,
            port: 0,
            run_as_postgres,
        };
        let data = cluster.dir.join("data");
        cluster.run(
            "initdb",
            &[
                "-D",
                &data.to_string_lossy(),
                "--auth=trust",
                "-U",
                "ecospace",
                "--no-locale",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        // A free port can be taken between asking and starting: try a few.
        for attempt in 0.. {
            cluster.port = free_port();
            let opts = format!(
                "-k {} -p {} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB",
                cluster.dir.display(),
                cluster.port
            );
            let log = cluster.dir.join("server.log");
            let ok = cluster.try_run(
                "pg_ctl",
                &[
                    "-D",
                    &data.to_string_lossy(),
                    "-l",
                    &log.to_string_lossy(),
                    "-o",
                    &opts,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            );
            match ok {
                Ok(()) => break,
                Err(e) if attempt < 4 => eprintln!("pg_ctl start failed ({e}); another port"),
                Err(e) => panic!(
                    "cannot start PostgreSQL: {e}\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                ),
            }
        }
        cluster
    }

    fn command(&self, program: &str) -> Command {
        let path = Path::new(PG_BIN).join(program);
        if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn try_run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let out = self
            .command(program)
            .args(args)
            .current_dir(&self.dir)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} {args:?}: {}\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        if let Err(e) = self.try_run(program, args) {
            panic!("{e}");
        }
    }

    /// The URL of database `db` on this server.
    fn url(&self, db: &str) -> String {
        format!("postgres://ecospace@127.0.0.1:{}/{db}", self.port)
    }

    /// A direct connection, for what the registry must not do itself (tampering, counting).
    fn sql(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(&self.url(db), postgres::NoTls).unwrap()
    }

    /// A new, empty database; its URL. `icu`: ordered by an ICU English collation (where
    /// `a` sorts before `B`), so that an ORDER BY without `COLLATE "C"` shows.
    fn database(&self, name: &str, icu: bool) -> String {
        let extra = if icu {
            " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"
        } else {
            ""
        };
        self.sql("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}{extra}"))
            .unwrap();
        self.url(name)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        if self.port != 0 {
            let _ = self.try_run(
                "pg_ctl",
                &["-D", &data.to_string_lossy(), "-m", "fast", "-w", "stop"],
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn open(url: &str) -> Registry {
    Registry::open(&Location::Postgres(url.to_string())).unwrap()
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ecospace-pgsql-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn mini() -> Dataset {
    Dataset::from_dir(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini"))
        .unwrap()
}

/// A screening as a check answers it, built by hand: a verdict, a decision, hits and counties.
fn screening(
    version: &str,
    verdict: &str,
    decision: Option<&str>,
    counties: &[&str],
) -> NewScreening {
    let hits = if verdict == "clear" {
        json!([])
    } else {
        json!([{"layer": "zone", "id": "A", "relation": "overlaps", "decision": decision,
                "overlap_area_m2": 1234.5, "share": 0.25}])
    };
    let answer = json!({
        "verdict": verdict,
        "decision": decision,
        "hits": hits,
        "counties": counties.iter().map(|c| json!({"county": c, "share": 1.0})).collect::<Vec<_>>(),
        "site": {"area_m2": 4938.0},
    });
    NewScreening::of(
        answer,
        version,
        &registry::sha256(verdict.as_bytes()),
        Trigger::Registered,
    )
}

fn project(id: Option<&str>, name: &str, ty: &str, status: ProjectStatus) -> NewProject {
    NewProject {
        id: id.map(str::to_string),
        name: name.to_string(),
        project_type: ty.to_string(),
        class: "ordinary".into(),
        status,
        site: json!({"type": "Point", "coordinates": [120.71, 30.71]}),
        year: Some(2025),
    }
}

fn filter(f: impl FnOnce(&mut ProjectFilter)) -> ProjectFilter {
    let mut pf = ProjectFilter {
        limit: 100,
        ..ProjectFilter::default()
    };
    f(&mut pf);
    pf
}

fn ids(ps: &[registry::Project]) -> Vec<&str> {
    ps.iter().map(|p| p.id.as_str()).collect()
}

/// SHA-256 (hex) over fields, each prefixed by its length in bytes (u64, big-endian).
fn length_prefixed_sha256(fields: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// An error as the trace records it.
fn err(e: RegistryError) -> Value {
    json!({"error": e.code(), "message": e.to_string()})
}

/// The value with every time (and the hashes over it) taken out, after checking each is an
/// RFC 3339 UTC second: the one thing two runs may legitimately differ in.
fn timeless(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for k in [
                    "registered_at",
                    "updated_at",
                    "screened_at",
                    "at",
                    "first_seen_at",
                    "activated_at",
                ] {
                    if let Some(t) = m.remove(k) {
                        let t = t.as_str().unwrap_or_default().to_string();
                        let b = t.as_bytes();
                        assert!(
                            b.len() == 20 && b[4] == b'-' && b[10] == b'T' && b[19] == b'Z',
                            "{k} = {t:?} is not RFC 3339 UTC"
                        );
                    }
                }
                m.remove("hash");
                m.remove("prev_hash");
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

/// One sequence of registry calls, the answers checked against values worked out by hand, and
/// every answer recorded (without its times) for comparing two backends.
fn scenario(reg: &Registry, ds: &Dataset) -> Vec<Value> {
    let mut trace = Vec::new();
    let mut rec = |v: Value| trace.push(timeless(v));
    let v1 = ds.version.clone();
    assert_eq!(reg.schema_version().unwrap(), MIGRATIONS.last().unwrap().0);

    // Registered the way POST /projects does: screened on the mini data, with a given id and
    // with an assigned one. The site lies in zone A, where industry is prohibited and
    // restoration allowed.
    let feature = |id: Option<&str>, name: &str, ty: &str| {
        let mut f = json!({"type": "Feature", "properties": {"name": name, "type": ty, "year": 2025},
            "geometry": {"type": "Polygon", "coordinates": [[[120.705, 30.705], [120.706, 30.705], [120.706, 30.706], [120.705, 30.706], [120.705, 30.705]]]}});
        if let Some(id) = id {
            f["id"] = json!(id);
        }
        serde_json::to_vec(&f).unwrap()
    };
    let r = registry::register(
        reg,
        ds,
        &feature(Some("P-000001"), "厂房一期", "industrial"),
        10_000,
        "planner-li",
    )
    .unwrap();
    assert_eq!((r.project.id.as_str(), r.screening.n), ("P-000001", 1));
    assert_eq!(r.screening.decision.as_deref(), Some("prohibited"));
    rec(serde_json::to_value(&r).unwrap());
    let r = registry::register(
        reg,
        ds,
        &feature(None, "湿地修复", "ecological_restoration"),
        10_000,
        "planner-li",
    )
    .unwrap();
    assert_eq!(
        r.project.id, "P-000002",
        "the first free number after the count"
    );
    assert_eq!(r.screening.decision.as_deref(), Some("allowed"));
    rec(serde_json::to_value(&r).unwrap());

    // Registered directly, with ids whose byte order is not a dictionary's ("B" < "_" < "a").
    let direct = [
        (
            "a-1",
            "小写",
            "industrial",
            ProjectStatus::Proposed,
            "conflict",
            Some("prohibited"),
            &["330402"][..],
        ),
        (
            "B-2",
            "大写",
            "industrial",
            ProjectStatus::Approved,
            "clear",
            Some("allowed"),
            &["330411", "330402"][..],
        ),
        (
            "_x",
            "下划线",
            "ecological_restoration",
            ProjectStatus::Proposed,
            "near",
            None,
            &[][..],
        ),
        (
            "中-3",
            "中文编号",
            "industrial",
            ProjectStatus::Built,
            "conflict",
            Some("prohibited"),
            &["330411"][..],
        ),
    ];
    for (id, name, ty, status, verdict, decision, counties) in direct {
        let p = reg
            .register(
                &project(Some(id), name, ty, status),
                &screening(&v1, verdict, decision, counties),
                "ops",
                &registry::sha256(id.as_bytes()),
            )
            .unwrap();
        assert_eq!(p.latest.n, 1);
        assert_eq!(p.latest.counties, counties);
        assert_eq!(p.year, Some(2025));
        rec(serde_json::to_value(&p).unwrap());
    }

    // Refusals write nothing.
    let before = reg.audit(1, 1000).unwrap().len();
    let e = reg
        .register(
            &project(Some("a-1"), "again", "industrial", ProjectStatus::Proposed),
            &screening(&v1, "clear", None, &[]),
            "ops",
            "d",
        )
        .unwrap_err();
    assert!(
        matches!(&e, RegistryError::Duplicate(id) if id == "a-1"),
        "{e:?}"
    );
    rec(err(e));
    let e = reg
        .register(
            &project(Some("bad"), " ", "industrial", ProjectStatus::Proposed),
            &screening(&v1, "clear", None, &[]),
            "ops",
            "d",
        )
        .unwrap_err();
    assert!(matches!(e, RegistryError::Invalid(_)), "{e:?}");
    rec(err(e));
    let e = reg
        .update(
            "nope",
            &ProjectPatch {
                name: Some("x".into()),
                status: None,
            },
            "ops",
            "d",
        )
        .unwrap_err();
    assert!(
        matches!(&e, RegistryError::NotFound(id) if id == "nope"),
        "{e:?}"
    );
    rec(err(e));
    let e = reg
        .update("a-1", &ProjectPatch::default(), "ops", "d")
        .unwrap_err();
    assert!(matches!(e, RegistryError::Invalid(_)), "{e:?}");
    rec(err(e));
    assert_eq!(reg.audit(1, 1000).unwrap().len(), before);
    assert_eq!(reg.count(&filter(|_| {})).unwrap(), 6);

    // Updates.
    let p = reg
        .update(
            "a-1",
            &ProjectPatch {
                name: None,
                status: Some(ProjectStatus::Approved),
            },
            "ops",
            "d1",
        )
        .unwrap();
    assert_eq!(
        (p.status, p.name.as_str()),
        (ProjectStatus::Approved, "小写")
    );
    rec(serde_json::to_value(&p).unwrap());
    let p = reg
        .update(
            "_x",
            &ProjectPatch {
                name: Some("下划线（驳回）".into()),
                status: Some(ProjectStatus::Rejected),
            },
            "ops",
            "d2",
        )
        .unwrap();
    assert_eq!(p.status, ProjectStatus::Rejected);
    rec(serde_json::to_value(&p).unwrap());

    // Data versions: v1 came with the first registration; v2 follows, v1 returns.
    let files2 = BTreeMap::from([("zone.geojson".to_string(), "00ff00ff00ff00ff".to_string())]);
    assert!(!reg.activate(&v1, &ds.files).unwrap(), "already in service");
    assert!(reg.activate("v2", &files2).unwrap());
    assert!(!reg.activate("v2", &files2).unwrap());
    let vs = reg.versions().unwrap();
    assert_eq!(
        vs.iter()
            .map(|v| (v.version.as_str(), v.activation))
            .collect::<Vec<_>>(),
        [(v1.as_str(), 1), ("v2", 2)]
    );
    assert_eq!(vs[0].files, ds.files);
    rec(serde_json::to_value(&vs).unwrap());

    // Re-screening against v2: pending first.
    let pending = reg.pending("v2", "", 100).unwrap();
    assert_eq!(
        ids(&pending),
        ["B-2", "P-000001", "P-000002", "a-1", "中-3"],
        "not rejected, by byte order"
    );
    assert_eq!(reg.pending_count("v2").unwrap(), 5);
    assert_eq!(ids(&reg.pending("v2", "", 2).unwrap()), ["B-2", "P-000001"]);
    assert_eq!(
        ids(&reg.pending("v2", "a-1", 100).unwrap()),
        ["中-3"],
        "after an id, by byte order"
    );
    rec(serde_json::to_value(&pending).unwrap());
    let batch = ScreeningBatch {
        items: vec![
            (
                "a-1".into(),
                screening("v2", "clear", Some("allowed"), &["330411"]),
            ),
            (
                "B-2".into(),
                screening("v2", "conflict", Some("prohibited"), &["330402"]),
            ),
            (
                "P-000001".into(),
                // Manual: a data-change one on v1, the version it was last screened on, would
                // be dropped as another replica's (below).
                registry::screen_project(
                    ds,
                    &reg.project("P-000001").unwrap(),
                    Trigger::Manual,
                    10_000,
                ),
            ),
        ],
        actor: "system".into(),
        action: "screening.data_change".into(),
        target: "data version v2 (3 projects)".into(),
    };
    assert_eq!(reg.add_screenings(&batch).unwrap(), [2, 2, 2]);
    // A data-change re-screening on the version a project was last screened on is what another
    // replica already recorded: dropped, nothing written (not even an audit entry).
    let audit_before = reg.audit(1, 100_000).unwrap().len();
    let repeat = ScreeningBatch {
        items: vec![(
            "P-000001".into(),
            registry::screen_project(
                ds,
                &reg.project("P-000001").unwrap(),
                Trigger::DataChange,
                10_000,
            ),
        )],
        ..batch.clone()
    };
    assert_eq!(reg.add_screenings(&repeat).unwrap(), Vec::<i64>::new());
    assert_eq!(reg.screenings("P-000001").unwrap().len(), 2);
    assert_eq!(reg.audit(1, 100_000).unwrap().len(), audit_before);
    let mut gone = batch.clone();
    gone.items
        .push(("gone".into(), screening("v2", "clear", None, &[])));
    let e = reg.add_screenings(&gone).unwrap_err();
    assert!(
        matches!(&e, RegistryError::NotFound(id) if id == "gone"),
        "{e:?}"
    );
    rec(err(e));
    assert_eq!(
        reg.screenings("a-1").unwrap().len(),
        2,
        "the refused batch wrote nothing"
    );
    // P-000001 was screened again, but on the mini data (v1): still pending for v2.
    assert_eq!(
        ids(&reg.pending("v2", "", 100).unwrap()),
        ["P-000001", "P-000002", "中-3"]
    );
    assert_eq!(reg.pending_count("v2").unwrap(), 3);
    assert!(reg.activate(&v1, &ds.files).unwrap(), "v1 back in service");
    let vs = reg.versions().unwrap();
    assert_eq!(
        vs.iter()
            .map(|v| (v.version.as_str(), v.activation))
            .collect::<Vec<_>>(),
        [("v2", 2), (v1.as_str(), 3)]
    );
    rec(serde_json::to_value(&vs).unwrap());

    // Lists and filters.
    let all = reg.projects(&filter(|_| {})).unwrap();
    assert_eq!(
        ids(&all),
        ["B-2", "P-000001", "P-000002", "_x", "a-1", "中-3"]
    );
    rec(serde_json::to_value(&all).unwrap());
    let cases: Vec<(ProjectFilter, Vec<&str>, i64)> = vec![
        (
            filter(|f| f.status = Some(ProjectStatus::Approved)),
            vec!["B-2", "a-1"],
            2,
        ),
        (
            filter(|f| f.project_type = Some("industrial".into())),
            vec!["B-2", "P-000001", "a-1", "中-3"],
            4,
        ),
        (
            filter(|f| f.county = Some("330411".into())),
            vec!["a-1", "中-3"],
            2,
        ),
        (filter(|f| f.county = Some("33041".into())), vec![], 0),
        (
            filter(|f| f.decision = Some("prohibited".into())),
            vec!["B-2", "P-000001", "中-3"],
            3,
        ),
        (
            filter(|f| {
                f.decision = Some("prohibited".into());
                f.county = Some("330402".into());
            }),
            vec!["B-2"],
            1,
        ),
        (
            filter(|f| {
                f.limit = 2;
                f.offset = 1;
            }),
            vec!["P-000001", "P-000002"],
            6,
        ),
        (
            filter(|f| {
                f.limit = 10;
                f.offset = 5;
            }),
            vec!["中-3"],
            6,
        ),
    ];
    for (f, want, count) in cases {
        let got = reg.projects(&f).unwrap();
        assert_eq!(ids(&got), want, "{f:?}");
        assert_eq!(reg.count(&f).unwrap(), count, "{f:?}");
        rec(serde_json::to_value(&got).unwrap());
    }

    // Screenings.
    let ss = reg.screenings("a-1").unwrap();
    assert_eq!(
        ss.iter()
            .map(|s| (s.n, s.data_version.as_str(), s.trigger))
            .collect::<Vec<_>>(),
        [
            (2, "v2", Trigger::Registered),
            (1, v1.as_str(), Trigger::Registered)
        ]
    );
    rec(serde_json::to_value(&ss).unwrap());
    let s = reg.screening("P-000001", 2).unwrap();
    assert_eq!(
        (s.trigger, s.data_version.as_str()),
        (Trigger::Manual, ds.version.as_str())
    );
    rec(serde_json::to_value(&s).unwrap());
    let e = reg.screening("a-1", 9).unwrap_err();
    assert!(
        matches!(&e, RegistryError::NotFound(what) if what == "a-1, screening 9"),
        "{e:?}"
    );
    rec(err(e));
    rec(err(reg.screenings("zzz").unwrap_err()));
    rec(err(reg.screening("zzz", 1).unwrap_err()));
    rec(err(reg.project("zzz").unwrap_err()));

    // Outcomes per version: P-000001 was screened twice against v1 (the re-screening of the
    // batch used the mini data, whose version is v1).
    let at1 = reg.outcomes_at(&v1).unwrap();
    assert_eq!(
        at1.keys().map(String::as_str).collect::<Vec<_>>(),
        ["B-2", "P-000001", "P-000002", "_x", "a-1", "中-3"]
    );
    assert_eq!(
        at1["P-000001"].iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(
        at1["_x"][0].1,
        Outcome {
            decision: None,
            verdict: "near".into(),
            hits: vec![OutcomeHit {
                layer: "zone".into(),
                id: "A".into(),
                relation: "overlaps".into(),
                decision: None,
                overlap_area_m2: Some(1234.5),
                overlap_length_m: None
            }]
        }
    );
    rec(serde_json::to_value(&at1).unwrap());
    let at2 = reg.outcomes_at("v2").unwrap();
    assert_eq!(
        at2.keys().map(String::as_str).collect::<Vec<_>>(),
        ["B-2", "a-1"]
    );
    rec(serde_json::to_value(&at2).unwrap());
    assert!(reg.outcomes_at("v9").unwrap().is_empty());

    // The audit log.
    let e = reg
        .append_audit("ops", "data.reload", &v1, &registry::sha256(b""))
        .unwrap();
    assert_eq!(e.seq, 10);
    rec(serde_json::to_value(&e).unwrap());
    let log = reg.audit(1, 1000).unwrap();
    assert_eq!(
        log.iter()
            .map(|e| (
                e.seq,
                e.actor.as_str(),
                e.action.as_str(),
                e.target.as_str()
            ))
            .collect::<Vec<_>>(),
        [
            (1, "planner-li", "project.register", "P-000001"),
            (2, "planner-li", "project.register", "P-000002"),
            (3, "ops", "project.register", "a-1"),
            (4, "ops", "project.register", "B-2"),
            (5, "ops", "project.register", "_x"),
            (6, "ops", "project.register", "中-3"),
            (7, "ops", "project.update status=approved", "a-1"),
            (8, "ops", "project.update name,status=rejected", "_x"),
            (
                9,
                "system",
                "screening.data_change",
                "data version v2 (3 projects)"
            ),
            (10, "ops", "data.reload", v1.as_str()),
        ]
    );
    assert_eq!(
        log[8].digest,
        length_prefixed_sha256(
            &batch
                .items
                .iter()
                .flat_map(|(id, s)| [id.as_str(), s.request_digest.as_str(), s.verdict.as_str()])
                .collect::<Vec<_>>()
        )
    );
    // The chain, recomputed here: SHA-256 over the length-prefixed fields and the previous hash.
    let mut prev = "0".repeat(64);
    for e in &log {
        assert_eq!(e.prev_hash, prev, "entry {}", e.seq);
        let seq = e.seq.to_string();
        assert_eq!(
            e.hash,
            length_prefixed_sha256(&[
                &seq,
                &e.at,
                &e.actor,
                &e.action,
                &e.target,
                &e.digest,
                &e.prev_hash
            ]),
            "entry {}",
            e.seq
        );
        prev = e.hash.clone();
    }
    rec(serde_json::to_value(&log).unwrap());
    let page = reg.audit(3, 2).unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
    assert_eq!(page[0].prev_hash, log[1].hash);
    assert_eq!(reg.audit(11, 10).unwrap().len(), 0);
    assert_eq!(reg.verify().unwrap(), 10);
    trace
}

/// (a) The same calls on SQLite and on PostgreSQL: each answer as worked out by hand, and the
/// two backends' answers equal, times aside. The PostgreSQL database orders text by an ICU
/// English collation, so an ordering left to the database would show.
#[test]
fn postgres_answers_as_sqlite_does() {
    let pg = Cluster::start("same");
    let ds = mini();
    let dir = temp_dir("same");
    let on_sqlite = scenario(
        &Registry::open(&Location::Sqlite(dir.clone())).unwrap(),
        &ds,
    );
    let on_postgres = scenario(&open(&pg.database("same", true)), &ds);
    assert_eq!(on_sqlite.len(), on_postgres.len());
    for (i, (s, p)) in on_sqlite.iter().zip(&on_postgres).enumerate() {
        assert_eq!(s, p, "answer {i} differs between SQLite and PostgreSQL");
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// (b) The chain verifies on PostgreSQL and names the entry changed behind the registry's
/// back; the location never shows the password; a broken connection costs one call; the
/// registry can be called and dropped on an async runtime's thread.
#[test]
fn postgres_chain_verifies_and_names_a_tampered_entry() {
    let pg = Cluster::start("chain");
    let url = pg.database("chain", false);
    // Trust authentication takes any password: this one must never be shown.
    let with_password = url.replacen("ecospace@", "ecospace:hunter2@", 1);
    let reg = open(&with_password);
    assert!(!reg.location().contains("hunter2"), "{}", reg.location());
    assert!(
        reg.location().contains("ecospace:***@127.0.0.1"),
        "{}",
        reg.location()
    );
    assert!(!format!("{reg:?}").contains("hunter2"));
    assert_eq!(reg.verify().unwrap(), 0, "an empty log verifies");
    for i in 1..=6 {
        let id = format!("T-{i}");
        reg.register(
            &project(Some(&id), "站点", "industrial", ProjectStatus::Proposed),
            &screening("v1", "clear", None, &["330402"]),
            "ops",
            &registry::sha256(id.as_bytes()),
        )
        .unwrap();
    }
    reg.append_audit("ops", "layer.update", "zone", "d")
        .unwrap();
    assert_eq!(reg.verify().unwrap(), 7);

    let mut sql = pg.sql("chain");
    sql.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3", &[])
        .unwrap();
    match reg.verify() {
        Err(RegistryError::Tampered { seq, why }) => {
            assert_eq!(seq, 3);
            assert!(why.contains("hash does not match"), "{why}");
        }
        other => panic!("a changed actor must break the chain at 3: {other:?}"),
    }
    sql.execute("UPDATE audit SET actor = 'ops' WHERE seq = 3", &[])
        .unwrap();
    assert_eq!(reg.verify().unwrap(), 7, "restored");
    sql.execute("DELETE FROM audit WHERE seq = 5", &[]).unwrap();
    match reg.verify() {
        Err(RegistryError::Tampered { seq, why }) => {
            assert_eq!(seq, 6);
            assert!(why.contains("gap"), "{why}");
        }
        other => panic!("a deleted entry must break the chain at 6: {other:?}"),
    }

    // The server drops the registry's connection: the next call may fail, the one after works.
    let n = sql
        .query_one("SELECT COUNT(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE datname = 'chain' AND application_name = 'ecospace'", &[])
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(n, 1, "one registry connection");
    let _ = reg.project("T-1");
    assert_eq!(reg.project("T-1").unwrap().id, "T-1");

    // On an async runtime's own thread (an admin handler records its write directly).
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let reg = rt.block_on(async move {
        reg.append_audit("ops", "data.reload", "v1", "d").unwrap();
        assert_eq!(reg.audit(1, 100).unwrap().len(), 7);
        let again = open(&url);
        drop(again);
        reg
    });
    rt.block_on(async move { drop(reg) });
}

/// (c) Two handles, two connections: two replicas. Four threads, two on each, register 50
/// projects each (ids assigned) and screen each again: 400 entries, one chain, no gap, every
/// project numbered 1 and 2.
#[test]
fn two_replicas_writing_at_once_keep_one_chain() {
    const THREADS: usize = 4;
    const EACH: usize = 50;
    let pg = Cluster::start("replicas");
    let url = pg.database("replicas", false);
    let replicas = [Arc::new(open(&url)), Arc::new(open(&url))];
    let start = Arc::new(Barrier::new(THREADS));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let reg = Arc::clone(&replicas[t % 2]);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                let mut mine = Vec::new();
                for i in 0..EACH {
                    let name = format!("thread {t} project {i}");
                    let p = reg
                        .register(
                            &project(None, &name, "industrial", ProjectStatus::Proposed),
                            &screening("v1", "conflict", Some("prohibited"), &["330402"]),
                            &format!("replica-{}", t % 2),
                            &registry::sha256(name.as_bytes()),
                        )
                        .unwrap();
                    let ns = reg
                        .add_screenings(&ScreeningBatch {
                            items: vec![(
                                p.id.clone(),
                                screening("v2", "clear", Some("allowed"), &["330411"]),
                            )],
                            actor: "system".into(),
                            action: "screening.manual".into(),
                            target: p.id.clone(),
                        })
                        .unwrap();
                    assert_eq!(ns, [2], "{}", p.id);
                    mine.push(p.id);
                }
                mine
            })
        })
        .collect();
    let mut all: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    all.sort();
    let want: Vec<String> = (1..=THREADS * EACH).map(|n| format!("P-{n:06}")).collect();
    assert_eq!(all, want, "every assigned id once");

    let total = (THREADS * EACH * 2) as i64;
    for reg in &replicas {
        assert_eq!(
            reg.verify().unwrap(),
            total,
            "one unbroken chain, seen by both replicas"
        );
    }
    let mut sql = pg.sql("replicas");
    let row = sql
        .query_one(
            "SELECT COUNT(*), COUNT(DISTINCT (project_id, n)), MIN(n), MAX(n) FROM screening",
            &[],
        )
        .unwrap();
    let (rows, distinct, min, max): (i64, i64, i64, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3));
    assert_eq!((rows, distinct, min, max), (total, total, 1, 2));
    let row = sql.query_one("SELECT COUNT(*), COUNT(DISTINCT seq), MIN(seq), MAX(seq), COUNT(DISTINCT prev_hash) FROM audit", &[]).unwrap();
    let counts: (i64, i64, i64, i64, i64) =
        (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
    assert_eq!(
        counts,
        (total, total, 1, total, total),
        "no fork: no two entries follow the same one"
    );
    let p = replicas[1].project("P-000123").unwrap();
    assert_eq!(
        (
            p.latest.n,
            p.latest.data_version.as_deref(),
            p.latest.counties.as_slice()
        ),
        (2, Some("v2"), &["330411".to_string()][..])
    );
}

/// (d) Opening twice applies nothing twice; two replicas opening a fresh database at once
/// both succeed, and each migration is recorded once.
#[test]
fn migrations_apply_once_also_when_replicas_start_together() {
    let pg = Cluster::start("migrate");
    let latest = MIGRATIONS.last().unwrap().0;
    let versions = |db: &str| -> Vec<(i64, String)> {
        pg.sql(db)
            .query(
                "SELECT version, applied_at FROM schema_version ORDER BY version",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    };
    let url = pg.database("twice", false);
    let first = open(&url);
    assert_eq!(first.schema_version().unwrap(), latest);
    let applied = versions("twice");
    assert_eq!(
        applied.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        (1..=latest).collect::<Vec<_>>()
    );
    first
        .register(
            &project(Some("kept"), "留存", "industrial", ProjectStatus::Proposed),
            &screening("v1", "clear", None, &[]),
            "ops",
            "d",
        )
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100)); // a second opening would stamp a later second
    let second = open(&url);
    assert_eq!(second.schema_version().unwrap(), latest);
    assert_eq!(versions("twice"), applied, "nothing applied again");
    assert_eq!(
        second.project("kept").unwrap().name,
        "留存",
        "the data survives a second opening"
    );

    for round in 0..3 {
        let db = format!("race{round}");
        let url = pg.database(&db, false);
        let start = Arc::new(Barrier::new(2));
        let openers: Vec<_> = (0..2)
            .map(|_| {
                let (url, start) = (url.clone(), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    Registry::open(&Location::Postgres(url)).map(|r| r.schema_version().unwrap())
                })
            })
            .collect();
        for o in openers {
            assert_eq!(o.join().unwrap().unwrap(), latest, "{db}");
        }
        assert_eq!(
            versions(&db).iter().map(|(v, _)| *v).collect::<Vec<_>>(),
            (1..=latest).collect::<Vec<_>>(),
            "{db}"
        );
    }
}
