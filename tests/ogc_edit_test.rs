//! OGC API – Features Part 4 on a copy of the `mini` fixture (zone A 120.70–120.72 ×
//! 30.70–30.72, zone B 120.80–120.81 × 30.70–30.71): OPTIONS, create, replace, merge-patch and
//! delete behind the admin token, each a new version in the layer's history, answered by
//! `/zones` as worked out by hand; If-Match with a stale ETag is a 412; refused edits leave the
//! file byte for byte as it was.

#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;

use common::*;
use ecospace::{AppState, Limits, WebConfig};
use std::sync::Arc;

const AUTH: (&str, &str) = ("Authorization", "Bearer ed1t-Tok3n");

fn serve_copy(tag: &str) -> (Target, std::path::PathBuf) {
    let dir = copy_fixture("mini", tag);
    let ds = ecospace::Dataset::from_dir(&dir).unwrap();
    let web = WebConfig {
        admin_token: Some("ed1t-Tok3n".into()),
        ..WebConfig::default()
    };
    (
        app_state(Arc::new(AppState::new(ds, Limits::default(), web))),
        dir,
    )
}

fn header(r: &Response, name: &str) -> Option<String> {
    r.headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

fn history(t: Target) -> Vec<serde_json::Value> {
    let r = request_with(t, "GET", "/admin/layers/zone/history", &[AUTH], b"");
    r.json()["versions"].as_array().unwrap().clone()
}

const C: &str = r#"{"type":"Feature","id":"C","properties":{"name":"方块C","county":"330402"},"geometry":{"type":"Polygon","coordinates":[[[120.90,30.70],[120.91,30.70],[120.91,30.71],[120.90,30.71],[120.90,30.70]]]}}"#;

#[test]
fn options_say_which_methods_an_editor_may_use() {
    let (t, _) = serve_copy("options");
    let r = request(t, "OPTIONS", "/collections/zone/items", b"");
    assert_eq!(r.status, 204);
    assert_eq!(header(&r, "allow").unwrap(), "GET, HEAD, OPTIONS, POST");
    let r = request(t, "OPTIONS", "/collections/zone/items/A", b"");
    assert_eq!(
        header(&r, "allow").unwrap(),
        "GET, HEAD, OPTIONS, PUT, PATCH, DELETE"
    );
    let classes = get(t, "/conformance").json()["conformsTo"].to_string();
    for c in [
        "create-replace-delete",
        "update",
        "optimistic-locking-etags",
    ] {
        assert!(
            classes.contains(&format!("ogcapi-features-4/1.0/conf/{c}")),
            "{c}"
        );
    }
    // Without an admin token configured, reading only (and the write methods are 405), and
    // /conformance does not claim Part 4 (ogc_test checks its whole list).
    let open = app(mini(), Limits::default());
    let r = request(open, "OPTIONS", "/collections/zone/items", b"");
    assert_eq!(header(&r, "allow").unwrap(), "GET, HEAD, OPTIONS");
    assert_eq!(
        request(open, "POST", "/collections/zone/items", C.as_bytes()).status,
        405
    );
}

#[test]
fn create_patch_replace_delete_each_become_a_version_and_are_served() {
    let (t, dir) = serve_copy("cycle");
    assert!(zone_ids_at(t, 120.905, 30.705).is_empty());
    // No token, or a body that is not a Feature: refused, nothing written.
    let before = std::fs::read(dir.join("zone.geojson")).unwrap();
    assert_eq!(
        request(t, "POST", "/collections/zone/items", C.as_bytes()).status,
        401
    );
    let r = request_with(
        t,
        "POST",
        "/collections/zone/items",
        &[AUTH],
        b"{\"type\":\"Point\"}",
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_feature");
    assert_eq!(std::fs::read(dir.join("zone.geojson")).unwrap(), before);
    let tag0 = header(&get(t, "/collections/zone/items/A"), "etag").unwrap();

    // Create C: 201, Location, served at once, a version authored by the token's name.
    let r = request_with(t, "POST", "/collections/zone/items", &[AUTH], C.as_bytes());
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(header(&r, "location")
        .unwrap()
        .ends_with("/collections/zone/items/C"));
    assert_eq!(zone_ids_at(t, 120.905, 30.705), ["C"]);
    let h = history(t);
    let last = h.last().unwrap();
    assert_eq!(last["author"], "admin");
    assert_eq!(last["message"], "feature C created");
    assert_eq!(last["features"], 3);
    let n_versions = h.len();

    // A PATCH carrying the tag from before the creation is stale: 412, nothing written.
    let patch = r#"{"properties":{"name":"方块C改"}}"#.as_bytes();
    let on_disk = std::fs::read(dir.join("zone.geojson")).unwrap();
    let r = request_with(
        t,
        "PATCH",
        "/collections/zone/items/C",
        &[AUTH, ("If-Match", &tag0)],
        patch,
    );
    assert_eq!(r.status, 412, "{}", r.body);
    assert_eq!(std::fs::read(dir.join("zone.geojson")).unwrap(), on_disk);
    assert_eq!(history(t).len(), n_versions);
    // With the current tag it lands; the county stays (merge patch), the name changes.
    let tag1 = header(&get(t, "/collections/zone/items/C"), "etag").unwrap();
    assert_ne!(tag1, tag0);
    let r = request_with(
        t,
        "PATCH",
        "/collections/zone/items/C",
        &[AUTH, ("If-Match", &tag1)],
        patch,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let c = get(t, "/collections/zone/items/C").json();
    assert_eq!(c["properties"]["name"], "方块C改");
    assert_eq!(c["properties"]["county"], "330402");
    assert_eq!(
        header(&r, "etag"),
        header(&get(t, "/collections/zone/items/C"), "etag")
    );

    // Replace C by a bow-tie: 422 from validation, nothing written.
    let bowtie = C.replace(
        "[[120.90,30.70],[120.91,30.70],[120.91,30.71],[120.90,30.71],[120.90,30.70]]",
        "[[120.90,30.70],[120.91,30.71],[120.91,30.70],[120.90,30.71],[120.90,30.70]]",
    );
    let on_disk = std::fs::read(dir.join("zone.geojson")).unwrap();
    let r = request_with(
        t,
        "PUT",
        "/collections/zone/items/C",
        &[AUTH],
        bowtie.as_bytes(),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(std::fs::read(dir.join("zone.geojson")).unwrap(), on_disk);
    // Replace C by a box moved 0.05° east: served there, not where it was.
    let moved = C.replace("120.90", "120.95").replace("120.91", "120.96");
    let r = request_with(
        t,
        "PUT",
        "/collections/zone/items/C",
        &[AUTH],
        moved.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(zone_ids_at(t, 120.905, 30.705).is_empty());
    assert_eq!(zone_ids_at(t, 120.955, 30.705), ["C"]);

    // Delete C; a second delete is 404; a duplicate create of A is 409.
    let r = request_with(t, "DELETE", "/collections/zone/items/C", &[AUTH], b"");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(zone_ids_at(t, 120.955, 30.705).is_empty());
    assert_eq!(get(t, "/collections/zone/items/C").status, 404);
    assert_eq!(
        request_with(t, "DELETE", "/collections/zone/items/C", &[AUTH], b"").status,
        404
    );
    let dup = C.replace("\"id\":\"C\"", "\"id\":\"A\"");
    assert_eq!(
        request_with(
            t,
            "POST",
            "/collections/zone/items",
            &[AUTH],
            dup.as_bytes()
        )
        .status,
        409
    );
    // Four edits landed, each its own version; the file now holds A and B as at the start.
    let h = history(t);
    let msgs: Vec<&str> = h.iter().filter_map(|v| v["message"].as_str()).collect();
    assert!(
        msgs.ends_with(&[
            "feature C created",
            "feature C updated",
            "feature C replaced",
            "feature C deleted"
        ]),
        "{msgs:?}"
    );
    let ids: Vec<String> = get(t, "/collections/zone/items").json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["A", "B"]);
}

#[test]
fn the_bundled_read_only_data_refuses_edits() {
    let web = WebConfig {
        admin_token: Some("ed1t-Tok3n".into()),
        ..WebConfig::default()
    };
    let t = app_state(Arc::new(AppState::new(
        mini_bundled(),
        Limits::default(),
        web,
    )));
    let r = request_with(
        t,
        "POST",
        "/collections/redline/items",
        &[AUTH],
        C.as_bytes(),
    );
    assert_eq!(r.status, 409, "{}", r.body);
}

fn mini_bundled() -> ecospace::Dataset {
    ecospace::Dataset::bundled().unwrap()
}
