//! The project registry over HTTP (#16), on a copy of the bundled Jiaxing data: the plan's 24 key
//! projects registered as approved, the red line revised so that one of them falls inside it and
//! another is released, and `/projects/impacts` naming exactly those two. Around that: roles, the
//! answer stored equal to what `POST /check` gives, bad input writing nothing, replay on a
//! version rebuilt from the layer history, and the audit chain recomputed here.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::registry::{Location, Registry, FILE};
use ecospace::{AppState, Limits, Role, Token, WebConfig};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const ADMIN: (&str, &str) = ("Authorization", "Bearer ops-secret-0001");
const PLANNER: (&str, &str) = ("Authorization", "Bearer li-secret-0002");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A writable copy of data/jiaxing (its files, not its samples) and an empty state folder.
fn jiaxing_copy(tag: &str) -> (PathBuf, PathBuf) {
    let base = std::env::temp_dir().join(format!("ecospace-reghttp-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let data = base.join("jiaxing");
    std::fs::create_dir_all(&data).unwrap();
    for e in std::fs::read_dir(root().join("data/jiaxing")).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, data.join(p.file_name().unwrap())).unwrap();
        }
    }
    (data, base.join("state"))
}

fn web() -> WebConfig {
    WebConfig {
        tokens: vec![
            Token {
                name: "ops".into(),
                role: Role::Admin,
                secret: "ops-secret-0001".into(),
            },
            Token {
                name: "planner-li".into(),
                role: Role::Planner,
                secret: "li-secret-0002".into(),
            },
        ],
        ..WebConfig::default()
    }
}

fn serve_registry(data: &Path, state: &Path) -> Target {
    let ds = ecospace::Dataset::from_dir(data).unwrap();
    let reg = Registry::open(&Location::Sqlite(state.to_path_buf())).unwrap();
    app_state(Arc::new(
        AppState::new(ds, Limits::default(), web()).with_registry(reg),
    ))
}

fn key_projects() -> Vec<Value> {
    let text =
        std::fs::read_to_string(root().join("data/jiaxing/samples/key_projects.geojson")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["features"].as_array().unwrap().clone()
}

fn send(to: Target, method: &str, path: &str, auth: (&str, &str), body: &[u8]) -> Response {
    request_with(to, method, path, &[auth], body)
}

/// Waits until re-screening against the current version is done; the impacts then.
fn impacts_when_complete(to: Target, query: &str) -> Value {
    for _ in 0..600 {
        let r = send(
            to,
            "GET",
            &format!("/projects/impacts{query}"),
            PLANNER,
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        if v["complete"] == true {
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("re-screening did not complete in 30 s");
}

fn audit_count(to: Target) -> usize {
    let r = send(to, "GET", "/admin/audit?limit=10000", ADMIN, b"");
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["entries"].as_array().unwrap().len()
}

#[test]
fn a_red_line_revision_names_exactly_the_two_projects_it_affects() {
    let (data, state) = jiaxing_copy("walk");
    let app = serve_registry(&data, &state);

    // Roles: the registry needs a token; a planner cannot touch /admin; the open API stays open.
    let kp = key_projects();
    let body = |f: &Value| serde_json::to_vec(f).unwrap();
    assert_eq!(request(app, "POST", "/projects", &body(&kp[0])).status, 401);
    assert_eq!(get(app, "/projects").status, 401);
    let r = request_with(
        app,
        "GET",
        "/projects",
        &[("Authorization", "Bearer nope-nope-nope")],
        b"",
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        send(app, "GET", "/admin/audit", PLANNER, b"").status,
        403,
        "a planner token cannot read /admin"
    );
    assert_eq!(get(app, "/health").status, 200);

    // The 24 key projects, registered as approved by the planner.
    let v0 = get(app, "/health").json()["version"]
        .as_str()
        .unwrap()
        .to_string();
    for f in &kp {
        let mut f = f.clone();
        f["properties"]["status"] = json!("approved");
        f["properties"]["year"] = json!(2025);
        let r = send(app, "POST", "/projects", PLANNER, &body(&f));
        assert_eq!(r.status, 201, "{}", r.body);
        let v = r.json();
        assert_eq!(v["project"]["id"], f["id"]);
        assert_eq!(v["project"]["registered_by"], "planner-li");
        assert_eq!(v["project"]["status"], "approved");
        assert_eq!(v["screening"]["trigger"], "registered");
        assert_eq!(v["screening"]["data_version"], v0.as_str());
        // The stored answer is what POST /check gives for the site, type and class: asked here
        // through the open route, a second path through the service.
        let q = format!(
            "/check?type={}&class={}&year=2025",
            f["properties"]["type"].as_str().unwrap(),
            f["properties"]["class"].as_str().unwrap()
        );
        let check = post(app, &q, &f["geometry"].to_string()).json();
        assert_eq!(v["screening"]["answer"], check, "{}", f["id"]);
        assert_eq!(v["screening"]["decision"], check["decision"]);
        assert_eq!(v["screening"]["verdict"], check["verdict"]);
    }
    let list = send(app, "GET", "/projects?limit=100", PLANNER, b"").json();
    assert_eq!(list["total"], 24);
    // Filters against the answers themselves.
    let prohibited: Vec<&str> = list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["latest"]["decision"] == "prohibited")
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let r = send(
        app,
        "GET",
        "/projects?decision=prohibited&limit=100",
        PLANNER,
        b"",
    )
    .json();
    let got: Vec<&str> = r["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, prohibited);
    assert!(!got.is_empty());
    let r = send(app, "GET", "/projects?county=330421", PLANNER, b"").json();
    assert!(r["projects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == "KP-17"));

    // Before: KP-17 meets no red-line zone, KP-18 overlaps RL-330402-02.
    let redline_hits = |v: &Value| -> Vec<String> {
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["layer"] == "redline")
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect()
    };
    let s17 = send(app, "GET", "/projects/KP-17/screenings", PLANNER, b"").json();
    assert!(redline_hits(&s17["screenings"][0]["answer"]).is_empty());
    let s18 = send(app, "GET", "/projects/KP-18/screenings", PLANNER, b"").json();
    assert_eq!(
        redline_hits(&s18["screenings"][0]["answer"]),
        ["RL-330402-02"]
    );

    // The revision, by the admin.
    let revision =
        std::fs::read(root().join("data/jiaxing/samples/redline_revision.geojson")).unwrap();
    assert_eq!(
        send(app, "PUT", "/admin/layers/redline", PLANNER, &revision).status,
        403
    );
    let r = send(
        app,
        "PUT",
        "/admin/layers/redline?message=revision%202026",
        ADMIN,
        &revision,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v1 = r.json()["version"].as_str().unwrap().to_string();
    assert_eq!(
        r.json()["layer_version"]["author"],
        "ops",
        "the token's name is the author"
    );

    let imp = impacts_when_complete(app, "");
    assert_eq!(
        (imp["from"].as_str(), imp["to"].as_str()),
        (Some(v0.as_str()), Some(v1.as_str()))
    );
    assert_eq!(imp["compared"], 24);
    let ids: Vec<&str> = imp["impacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["project"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["KP-17", "KP-18"], "{imp}");
    let i17 = &imp["impacts"][0];
    assert_eq!(i17["before"]["decision"], "allowed");
    assert_eq!(i17["after"]["decision"], "prohibited");
    assert_eq!(i17["after"]["verdict"], "conflict");
    assert!(i17["changes"]
        .as_array()
        .unwrap()
        .contains(&json!({"kind": "hit_added", "layer": "redline", "id": "RL-330421-90", "relation": "within"})));
    // KP-17 lies wholly in the new zone: the overlap is the site's own area, which the first
    // screening measured without any red line.
    let s17 = send(app, "GET", "/projects/KP-17/screenings", PLANNER, b"").json();
    let newest = &s17["screenings"][0];
    assert_eq!(newest["trigger"], "data_change");
    assert_eq!(newest["data_version"], v1.as_str());
    let hit = newest["answer"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "RL-330421-90")
        .unwrap()
        .clone();
    let site_area = s17["screenings"][1]["answer"]["site"]["area_m2"]
        .as_f64()
        .unwrap();
    close(hit["overlap_area_m2"].as_f64().unwrap(), site_area, 1e-9);
    let i18 = &imp["impacts"][1];
    assert_eq!(i18["before"]["decision"], "prohibited");
    assert!(i18["changes"].as_array().unwrap().contains(
        &json!({"kind": "hit_removed", "layer": "redline", "id": "RL-330402-02", "relation": "overlaps"})
    ));
    assert!(!i18["after"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["layer"] == "redline"));

    // Replay: the first screening of KP-18 was made against v0, which is no longer served: it
    // is rebuilt from the layer history and gives the same answer.
    let r = send(
        app,
        "POST",
        "/projects/KP-18/screenings/1/replay",
        PLANNER,
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let rp = r.json();
    assert_eq!(
        (&rp["rebuilt"], &rp["same"], &rp["same_request"]),
        (&json!(true), &json!(true), &json!(true)),
        "{rp}"
    );
    assert_eq!(rp["data_version"], v0.as_str());
    assert_eq!(redline_hits(&rp["answer"]), ["RL-330402-02"]);
    assert_eq!(
        send(
            app,
            "POST",
            "/projects/KP-18/screenings/9/replay",
            PLANNER,
            b""
        )
        .status,
        404
    );

    // A planner approves, rejects: recorded with who.
    let r = send(
        app,
        "PATCH",
        "/projects/KP-17",
        PLANNER,
        br#"{"status": "rejected"}"#,
    );
    assert_eq!(
        (r.status, r.json()["status"].as_str()),
        (200, Some("rejected"))
    );
    let r = send(
        app,
        "PATCH",
        "/projects/KP-17",
        PLANNER,
        br#"{"status": "done"}"#,
    );
    assert_eq!(r.status, 400);

    // Rolled back: KP-18 is caught again; KP-17, rejected, is not re-screened, so not compared.
    let r = send(
        app,
        "POST",
        "/admin/layers/redline/rollback?to=000001",
        ADMIN,
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["version"],
        v0.as_str(),
        "the same files, the same version"
    );
    let back = impacts_when_complete(app, "");
    assert_eq!(back["from"], v1.as_str());
    assert_eq!(back["to"], v0.as_str());
    let ids: Vec<&str> = back["impacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["project"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["KP-18"], "{back}");
    assert_eq!(back["not_compared"], 1, "KP-17, rejected");
    // Asked by version: v0 → v1 again.
    let again = impacts_when_complete(app, &format!("?from={v0}&to={v1}"));
    assert_eq!(again["impacts"].as_array().unwrap().len(), 2);
    assert_eq!(
        send(
            app,
            "GET",
            "/projects/impacts?from=feedfeedfeedfeed",
            PLANNER,
            b""
        )
        .status,
        400
    );

    // A manual screening: the next number, trigger manual, against the data in service, the
    // answer POST /check gives now for KP-18's site, type and class.
    let before = send(app, "GET", "/projects/KP-18", PLANNER, b"").json();
    let r = send(app, "POST", "/projects/KP-18/screenings", PLANNER, b"");
    assert_eq!(r.status, 201, "{}", r.body);
    let m = r.json();
    assert_eq!(m["n"], before["latest"]["n"].as_i64().unwrap() + 1);
    assert_eq!(m["trigger"], "manual");
    assert_eq!(m["data_version"], get(app, "/health").json()["version"]);
    let q = format!(
        "/check?type={}&class={}&year=2025",
        before["type"].as_str().unwrap(),
        before["class"].as_str().unwrap()
    );
    assert_eq!(
        m["answer"],
        post(app, &q, &before["site"].to_string()).json()
    );
    assert_eq!(
        send(app, "POST", "/projects/nope/screenings", PLANNER, b"").status,
        404
    );

    // The audit log: every write, chained; recomputed here from the documented rule.
    let log = send(app, "GET", "/admin/audit?limit=10000", ADMIN, b"").json();
    let entries = log["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "project.register").count(),
        24
    );
    assert!(actions.contains(&"layer.update"));
    assert!(actions.contains(&"layer.rollback"));
    assert!(actions.contains(&"project.update status=rejected"));
    assert!(actions.contains(&"screening.data_change"));
    let manual = entries
        .iter()
        .find(|e| e["action"] == "screening.manual")
        .expect("the manual screening's entry");
    assert_eq!(
        (manual["actor"].as_str(), manual["target"].as_str()),
        (Some("planner-li"), Some("KP-18"))
    );
    let mut prev = "0".repeat(64);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"], i as i64 + 1);
        assert_eq!(e["prev_hash"], prev.as_str());
        let seq = e["seq"].to_string();
        let f = |k: &str| e[k].as_str().unwrap().to_string();
        let want = sha256_fields(&[
            &seq,
            &f("at"),
            &f("actor"),
            &f("action"),
            &f("target"),
            &f("digest"),
            &prev,
        ]);
        assert_eq!(e["hash"], want.as_str(), "entry {seq}");
        prev = want;
    }
    // Token names, never tokens, in the database.
    let db = std::fs::read(state.join(FILE)).unwrap();
    let wal = std::fs::read(state.join(format!("{FILE}-wal"))).unwrap_or_default();
    for secret in ["ops-secret-0001", "li-secret-0002"] {
        assert!(
            !db.windows(secret.len()).any(|w| w == secret.as_bytes())
                && !wal.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "a token's secret is in the registry"
        );
    }
    let _ = std::fs::remove_dir_all(data.parent().unwrap());
}

/// SHA-256 (hex) of length-prefixed fields, written here from the documented rule with the
/// `sha2` crate directly.
fn sha256_fields(fields: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for f in fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn bad_input_is_a_4xx_that_writes_nothing() {
    let (data, state) = jiaxing_copy("bad");
    let ds = ecospace::Dataset::from_dir(&data).unwrap();
    let reg = Registry::open(&Location::Sqlite(state.clone())).unwrap();
    let limits = Limits {
        max_body_bytes: 4096,
        ..Limits::default()
    };
    let app = app_state(Arc::new(
        AppState::new(ds, limits, web()).with_registry(reg),
    ));
    let ok = json!({"type": "Feature", "id": "A-1", "properties": {"name": "厂房", "type": "industrial"},
        "geometry": {"type": "Point", "coordinates": [120.75, 30.75]}});
    let r = send(app, "POST", "/projects", PLANNER, ok.to_string().as_bytes());
    assert_eq!(r.status, 201, "{}", r.body);
    let before = audit_count(app);
    let with = |k: &str, v: Value| {
        let mut f = ok.clone();
        f["id"] = json!("B-1");
        f["properties"][k] = v;
        f.to_string().into_bytes()
    };
    let bowtie = json!({"type": "Polygon", "coordinates": [[[120.70, 30.70], [120.71, 30.71], [120.71, 30.70], [120.70, 30.71], [120.70, 30.70]]]});
    let mut bad_site = ok.clone();
    bad_site["id"] = json!("B-2");
    bad_site["geometry"] = bowtie;
    let big = {
        let mut f = ok.clone();
        f["id"] = json!("B-3");
        f["properties"]["note"] = json!("x".repeat(5000));
        f.to_string().into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "duplicate id",
            ok.to_string().into_bytes(),
            409,
            "duplicate_id",
        ),
        (
            "unknown type",
            with("type", json!("casino")),
            400,
            "invalid_parameter",
        ),
        (
            "unknown class",
            with("class", json!("royal")),
            400,
            "invalid_parameter",
        ),
        (
            "unknown status",
            with("status", json!("done")),
            400,
            "invalid_parameter",
        ),
        (
            "no name",
            with("name", Value::Null),
            400,
            "invalid_parameter",
        ),
        (
            "year out of range",
            with("year", json!(3000)),
            400,
            "invalid_parameter",
        ),
        (
            "self-intersecting site",
            bad_site.to_string().into_bytes(),
            422,
            "self_intersection",
        ),
        ("not JSON", b"{nope".to_vec(), 400, "invalid_json"),
        (
            "a bare geometry",
            br#"{"type":"Point","coordinates":[120.7,30.7]}"#.to_vec(),
            400,
            "invalid_geojson",
        ),
        ("oversize body", big, 413, "payload_too_large"),
    ];
    for (what, body, status, code) in cases {
        let r = send(app, "POST", "/projects", PLANNER, &body);
        assert_eq!(
            (r.status, r.json()["error"].as_str()),
            (status, Some(code)),
            "{what}: {}",
            r.body
        );
    }
    let r = send(
        app,
        "PATCH",
        "/projects/nope",
        PLANNER,
        br#"{"status": "built"}"#,
    );
    assert_eq!(r.status, 404);
    let r = send(
        app,
        "PATCH",
        "/projects/A-1",
        PLANNER,
        br#"{"colour": "red"}"#,
    );
    assert_eq!(r.status, 400);
    let r = send(app, "PATCH", "/projects/A-1", PLANNER, b"{}");
    assert_eq!(r.status, 400, "nothing to change");
    assert_eq!(audit_count(app), before, "no refused write left an entry");
    let list = send(app, "GET", "/projects", PLANNER, b"").json();
    assert_eq!(list["total"], 1);
    let s = send(app, "GET", "/projects/A-1/screenings", PLANNER, b"").json();
    assert_eq!(s["screenings"].as_array().unwrap().len(), 1);
    let _ = std::fs::remove_dir_all(data.parent().unwrap());
}

/// `/api` describes every registry route, behind the bearer token, and each route's documented
/// query parameters are exactly the ones it accepts (serde names them on an unknown one), as
/// ogc_test checks for the open routes.
#[test]
fn the_registry_routes_are_documented_with_the_parameters_they_accept() {
    let (data, state) = jiaxing_copy("openapi");
    let app = serve_registry(&data, &state);
    let doc = get(app, "/api").json();
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );
    let mut seen = 0;
    for (path, method) in [
        ("/projects", "post"),
        ("/projects", "get"),
        ("/projects/{id}", "get"),
        ("/projects/{id}", "patch"),
        ("/projects/{id}/screenings", "get"),
        ("/projects/{id}/screenings", "post"),
        ("/projects/{id}/screenings/{n}/replay", "post"),
        ("/projects/impacts", "get"),
        ("/admin/audit", "get"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not described");
        assert_eq!(op["security"][0]["token"], json!([]), "{method} {path}");
        let query: std::collections::BTreeSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|q| q["in"] == "query")
            .filter_map(|q| q["name"].as_str())
            .collect();
        if query.is_empty() {
            continue;
        }
        let r = send(app, "GET", &format!("{path}?zz_unknown=1"), ADMIN, b"");
        assert_eq!(r.status, 400, "{path} took an unknown parameter");
        let msg = r.json()["message"].as_str().unwrap_or("").to_string();
        let expected = msg.split("expected").nth(1).unwrap_or("");
        let accepted: std::collections::BTreeSet<&str> =
            expected.split('`').skip(1).step_by(2).collect();
        assert_eq!(accepted, query, "{path}: {msg}");
        seen += 1;
    }
    assert_eq!(
        seen, 3,
        "/projects, /projects/impacts and /admin/audit take parameters"
    );
    let _ = std::fs::remove_dir_all(state.parent().unwrap());
}
