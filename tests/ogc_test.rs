//! OGC API – Features (core, geojson, oas30) on the `mini` fixture, whose answers are worked out
//! by hand from its files: zone A (120.70–120.72 × 30.70–30.72, all years), zone B
//! (120.80–120.81 × 30.70–30.71, from 2020); coast N1 (x = 120.75) and R1 (x = 120.76), lines
//! from 30.70 to 30.72; bank K1 (120.60–120.62 at 30.60). Also the OpenAPI document at `/api`,
//! checked for structure, against the parameters each route really accepts and against real
//! answers, and GDAL's own OGC API client (`ogrinfo`) reading the service.

mod common;

use common::{app, get, mini, request_with, serve, Response, Target};
use ecospace::Limits;
use serde_json::Value;
use std::collections::BTreeSet;

fn server() -> Target {
    app(mini(), Limits::default())
}

fn links(v: &Value) -> Vec<(String, String, String)> {
    v["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| {
            (
                l["rel"].as_str().unwrap_or("").to_string(),
                l["href"].as_str().unwrap_or("").to_string(),
                l["type"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn href(v: &Value, rel: &str) -> Option<String> {
    links(v)
        .into_iter()
        .find(|(r, _, _)| r == rel)
        .map(|(_, h, _)| h)
}

/// The path and query of an absolute link to this server.
fn local(addr: Target, url: &str) -> String {
    let prefix = format!("http://{addr}");
    url.strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{url} is not on {prefix}"))
        .to_string()
}

fn ids(v: &Value) -> Vec<String> {
    v["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["id"].as_str().expect("string id").to_string())
        .collect()
}

fn content_type(r: &Response) -> String {
    r.headers
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-type:")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default()
}

/// The head and body of the answer to `path` with `Accept: accept`.
fn get_with_accept(addr: Target, path: &str, accept: &str) -> String {
    let r = request_with(addr, "GET", path, &[("Accept", accept)], b"");
    format!("{}\r\n\r\n{}", r.headers, r.body)
}

#[test]
fn landing_page_links_the_api_conformance_and_data() {
    let addr = server();
    let r = get(addr, "/");
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert!(v["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(v["description"].as_str().is_some_and(|t| !t.is_empty()));
    let base = format!("http://{addr}");
    let l = links(&v);
    let find = |rel: &str| {
        l.iter()
            .find(|(r, _, _)| r == rel)
            .unwrap_or_else(|| panic!("no {rel} link in {v}"))
            .clone()
    };
    assert_eq!(find("self").1, format!("{base}/"));
    assert_eq!(
        find("service-desc"),
        (
            "service-desc".into(),
            format!("{base}/api"),
            "application/vnd.oai.openapi+json;version=3.0".into()
        )
    );
    assert_eq!(find("conformance").1, format!("{base}/conformance"));
    assert_eq!(find("data").1, format!("{base}/collections"));

    // A browser is sent to the map; `f=json` wins over its Accept header.
    let html = get_with_accept(addr, "/", "text/html,application/xhtml+xml;q=0.9");
    assert!(html.starts_with("HTTP/1.1 303"), "{html}");
    assert!(
        html.to_ascii_lowercase().contains("location: /map"),
        "{html}"
    );
    let json = get_with_accept(addr, "/?f=json", "text/html");
    assert!(json.starts_with("HTTP/1.1 200"), "{json}");
}

/// Exactly the classes implemented, each tested in its own file: Features Part 1 here, Part 2
/// in ogc_crs_test, Part 3 in ogc_filter_test, Tiles in ogc_tiles_test.
#[test]
fn conformance_lists_exactly_what_is_implemented() {
    let addr = server();
    let v = get(addr, "/conformance").json();
    let got: BTreeSet<&str> = v["conformsTo"]
        .as_array()
        .expect("conformsTo")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let spec = |part: &str, classes: &[&str]| -> Vec<String> {
        classes
            .iter()
            .map(|c| format!("http://www.opengis.net/spec/{part}/1.0/conf/{c}"))
            .collect()
    };
    let mut want = spec("ogcapi-features-1", &["core", "geojson", "oas30"]);
    want.extend(spec("ogcapi-features-2", &["crs"]));
    want.extend(spec(
        "ogcapi-features-3",
        &["queryables", "filter", "features-filter"],
    ));
    want.extend(spec(
        "cql2",
        &[
            "cql2-text",
            "cql2-json",
            "basic-cql2",
            "advanced-comparison-operators",
            "case-insensitive-comparison",
            "basic-spatial-functions",
            "basic-spatial-functions-plus",
            "spatial-functions",
            "property-property",
        ],
    ));
    want.extend(spec(
        "ogcapi-tiles-1",
        &[
            "core",
            "tileset",
            "tilesets-list",
            "geodata-tilesets",
            "mvt",
            "oas30",
        ],
    ));
    let want: BTreeSet<&str> = want.iter().map(String::as_str).collect();
    assert_eq!(got, want);
}

#[test]
fn one_collection_per_layer_with_extent_and_links() {
    let addr = server();
    let base = format!("http://{addr}");
    let v = get(addr, "/collections").json();
    assert_eq!(href(&v, "self"), Some(format!("{base}/collections")));
    let cols = v["collections"].as_array().expect("collections");
    let got: Vec<&str> = cols.iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(got, ["zone", "coast", "bank"]);

    let zone = &cols[0];
    assert_eq!(zone["title"], "红线 (Zone)");
    assert_eq!(zone["itemType"], "feature");
    // The whole list is ogc_crs_test's; CRS84 comes first and is what GeoJSON is stored in.
    assert_eq!(
        zone["crs"][0],
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    );
    assert_eq!(
        zone["storageCrs"],
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    );
    // Union of A and B's corners.
    assert_eq!(
        zone["extent"]["spatial"]["bbox"],
        serde_json::json!([[120.70, 30.70, 120.81, 30.72]])
    );
    assert_eq!(
        zone["extent"]["spatial"]["crs"],
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    );
    // A has no valid_from and neither has a valid_to: open at both ends.
    assert_eq!(
        zone["extent"]["temporal"]["interval"],
        serde_json::json!([[null, null]])
    );
    let l = links(zone);
    assert!(l.contains(&(
        "items".into(),
        format!("{base}/collections/zone/items"),
        "application/geo+json".into()
    )));
    assert!(l.contains(&(
        "self".into(),
        format!("{base}/collections/zone"),
        "application/json".into()
    )));
    assert_eq!(
        cols[2]["extent"]["spatial"]["bbox"],
        serde_json::json!([[120.60, 30.60, 120.62, 30.60]])
    );

    let one = get(addr, "/collections/coast");
    assert_eq!(one.status, 200);
    assert_eq!(one.json(), cols[1]);
    let none = get(addr, "/collections/nope");
    assert_eq!(none.status, 404);
    assert_eq!(none.json()["error"], "not_found");
    assert_eq!(get(addr, "/collections/nope/items").status, 404);
}

#[test]
fn validity_years_and_exact_bbox_tests_on_a_line_layer() {
    let dir = dataset_dir(
        "temporal",
        r#"{"type":"Feature","id":"a","properties":{"name":"a","valid_from":2019,"valid_to":2023},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}},
           {"type":"Feature","id":"b","properties":{"name":"b","valid_from":2021,"valid_to":2026},"geometry":{"type":"LineString","coordinates":[[0,1],[1,0]]}}"#,
    );
    let addr = serve(
        ecospace::Dataset::from_dir(&dir).expect("loads"),
        Limits::default(),
    );
    let v = get(addr, "/collections/l").json();
    // Earliest start; valid_to is exclusive, so the last feature stops at 2026-01-01.
    assert_eq!(
        v["extent"]["temporal"]["interval"],
        serde_json::json!([["2019-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]])
    );
    let n =
        |q: &str| get(addr, &format!("/collections/l/items?{q}")).json()["numberMatched"].clone();
    // a: 2019–2022, b: 2021–2025.
    assert_eq!(n("year=2020"), 1);
    assert_eq!(n("year=2022"), 2);
    assert_eq!(n("year=2023"), 1);
    assert_eq!(n("year=2026"), 0);
    assert_eq!(n("datetime=2023-01-01/2030-01-01"), 1);
    assert_eq!(n("datetime=2022-12-31/2030-01-01"), 2);
    // Two crossing diagonals: a box whose corner is inside both envelopes but off both lines.
    assert_eq!(n("bbox=0.8,0.4,1,0.6"), 0);
    assert_eq!(n("bbox=0.45,0.45,0.55,0.55"), 2);
    assert_eq!(n("bbox=0,0,0.1,0.1"), 1);
    let _ = std::fs::remove_dir_all(dir);
}

/// A one-layer line dataset `l` in a temporary folder.
fn dataset_dir(tag: &str, features: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ecospace-ogc-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("layers.toml"),
        "id = \"t\"\ntitle_zh = \"测\"\ntitle_en = \"t\"\n[[layer]]\nid = \"l\"\ntitle_zh = \"线\"\ntitle_en = \"L\"\nfile = \"l.geojson\"\nkind = \"line\"\nconstraint = false\n",
    )
    .expect("manifest");
    std::fs::write(
        dir.join("l.geojson"),
        format!(r#"{{"type":"FeatureCollection","features":[{features}]}}"#),
    )
    .expect("layer");
    dir
}

#[test]
fn items_page_through_next_links() {
    let addr = server();
    let first = get(addr, "/collections/zone/items?limit=1");
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(content_type(&first), "application/geo+json");
    let v = first.json();
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(ids(&v), ["A"]);
    assert_eq!(v["numberMatched"], 2);
    assert_eq!(v["numberReturned"], 1);
    assert!(v["timeStamp"]
        .as_str()
        .is_some_and(|t| t.len() == 20 && t.ends_with('Z')));
    assert_eq!(
        href(&v, "collection"),
        Some(format!("http://{addr}/collections/zone"))
    );
    assert!(href(&v, "prev").is_none());
    let f = &v["features"][0];
    assert_eq!(f["type"], "Feature");
    assert_eq!(
        f["geometry"],
        serde_json::json!({"type":"Polygon","coordinates":[[[120.70,30.70],[120.72,30.70],[120.72,30.72],[120.70,30.72],[120.70,30.70]]]})
    );
    assert_eq!(
        f["properties"],
        serde_json::json!({"name":"方块A","county":"330402"})
    );

    let next = href(&v, "next").expect("a next link");
    let second = get(addr, &local(addr, &next)).json();
    assert_eq!(ids(&second), ["B"]);
    assert_eq!(second["numberReturned"], 1);
    assert!(href(&second, "next").is_none(), "{second}");
    let prev = href(&second, "prev").expect("a prev link");
    assert_eq!(ids(&get(addr, &local(addr, &prev)).json()), ["A"]);

    // Default page (10) holds both; an offset past the end is an empty page.
    assert_eq!(
        ids(&get(addr, "/collections/zone/items").json()),
        ["A", "B"]
    );
    let past = get(addr, "/collections/zone/items?offset=5").json();
    assert_eq!(past["numberReturned"], 0);
    assert_eq!(past["numberMatched"], 2);

    // The next link keeps the filters.
    let v = get(
        addr,
        "/collections/coast/items?limit=1&bbox=120.7,30.6,120.8,30.8&datetime=2019-01-01/..",
    )
    .json();
    let next = href(&v, "next").expect("next");
    assert!(
        next.contains("bbox=120.7,30.6,120.8,30.8")
            && next.contains("datetime=2019-01-01/..")
            && next.contains("offset=1"),
        "{next}"
    );
    assert_eq!(ids(&get(addr, &local(addr, &next)).json()), ["R1"]);
}

#[test]
fn bbox_and_time_filters_count_what_they_match() {
    let addr = server();
    let n = |layer: &str, q: &str| {
        let r = get(addr, &format!("/collections/{layer}/items?{q}"));
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        let v = r.json();
        assert_eq!(v["numberReturned"].as_u64(), Some(ids(&v).len() as u64));
        (v["numberMatched"].as_u64().expect("numberMatched"), ids(&v))
    };
    // No temporal filter: every year's features.
    assert_eq!(n("zone", "").0, 2);
    // Inside A only; on B's west edge only; between them.
    assert_eq!(
        n("zone", "bbox=120.705,30.705,120.715,30.715"),
        (1, vec!["A".into()])
    );
    assert_eq!(
        n("zone", "bbox=120.79,30.69,120.80,30.705"),
        (1, vec!["B".into()])
    );
    assert_eq!(n("zone", "bbox=120.73,30.6,120.79,30.8").0, 0);
    assert_eq!(n("zone", "bbox=-180,-90,180,90").0, 2);
    assert_eq!(n("zone", "bbox=120.705,30.705,0,120.715,30.715,100").0, 1);
    // The coast lines are at x = 120.75 and 120.76.
    assert_eq!(
        n("coast", "bbox=120.745,30.6,120.755,30.8"),
        (1, vec!["N1".into()])
    );
    assert_eq!(n("coast", "bbox=120.745,30.6,120.765,30.8").0, 2);
    assert_eq!(n("coast", "bbox=120.745,30.73,120.765,30.8").0, 0);

    // B is in force from 2020.
    assert_eq!(n("zone", "year=2019"), (1, vec!["A".into()]));
    assert_eq!(n("zone", "year=2020").0, 2);
    assert_eq!(n("zone", "datetime=2019-06-01").0, 1);
    assert_eq!(n("zone", "datetime=2019-06-01T12:00:00Z").0, 1);
    assert_eq!(n("zone", "datetime=2020-06-01T12:00:00Z").0, 2);
    // 20:00 on 31 Dec 2019 at UTC−5 is 01:00 on 1 Jan 2020 in UTC.
    assert_eq!(n("zone", "datetime=2019-12-31T20:00:00-05:00").0, 2);
    assert_eq!(n("zone", "datetime=2019-12-31T20:00:00%2B05:00").0, 1);
    assert_eq!(n("zone", "datetime=2018-01-01/2019-12-31").0, 1);
    assert_eq!(n("zone", "datetime=2018-01-01/2020-01-01").0, 2);
    assert_eq!(n("zone", "datetime=../2019-12-31").0, 1);
    assert_eq!(n("zone", "datetime=2021-01-01/..").0, 2);
    // Both filters: around B, before it existed.
    assert_eq!(n("zone", "bbox=120.79,30.69,120.82,30.72&year=2019").0, 0);
    assert_eq!(n("zone", "bbox=120.79,30.69,120.82,30.72&year=2020").0, 1);
    // `f` is accepted; a large limit is clamped.
    assert_eq!(n("zone", "f=json").0, 2);
    assert_eq!(n("bank", "f=geojson").0, 1);
    let v = get(addr, "/collections/zone/items?limit=20000").json();
    assert!(
        href(&v, "self").is_some_and(|h| h.contains("limit=10000")),
        "{v}"
    );
}

#[test]
fn a_single_item_by_id() {
    let addr = server();
    let r = get(addr, "/collections/zone/items/B");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(content_type(&r), "application/geo+json");
    let v = r.json();
    assert_eq!(v["type"], "Feature");
    assert_eq!(v["id"], "B");
    assert_eq!(v["properties"]["valid_from"], 2020);
    assert_eq!(
        v["geometry"]["coordinates"][0][2],
        serde_json::json!([120.81, 30.71])
    );
    let base = format!("http://{addr}");
    assert_eq!(
        href(&v, "self"),
        Some(format!("{base}/collections/zone/items/B"))
    );
    assert_eq!(
        href(&v, "collection"),
        Some(format!("{base}/collections/zone"))
    );
    for path in ["/collections/zone/items/N1", "/collections/nope/items/A"] {
        let r = get(addr, path);
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json()["error"], "not_found");
    }
}

#[test]
fn bad_parameters_are_400_naming_the_parameter() {
    let addr = server();
    for (q, name) in [
        ("bbox=1,2,3", "bbox"),
        ("bbox=120.8,30,120.7,31", "bbox"),
        ("bbox=120,31,121,30", "bbox"),
        ("bbox=120,30,200,31", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("offset=x", "offset"),
        ("datetime=garbage", "datetime"),
        ("datetime=2025-13-01", "datetime"),
        ("datetime=../..", "datetime"),
        ("datetime=2022-01-01/2021-01-01", "datetime"),
        ("datetime=2020-01-01&year=2020", "year"),
        ("year=1800", "year"),
        ("f=html", "f"),
        ("foo=1", "foo"),
    ] {
        let r = get(addr, &format!("/collections/zone/items?{q}"));
        assert_eq!(r.status, 400, "{q}: {}", r.body);
        let v = r.json();
        assert_eq!(v["error"], "invalid_parameter", "{q}");
        let msg = v["message"].as_str().unwrap_or("");
        assert!(
            msg.contains(&format!("`{name}`")) || msg.contains(&format!("{name}:")),
            "{q}: {msg}"
        );
    }
    for path in [
        "/?foo=1",
        "/conformance?f=xml",
        "/collections?bbox=1,2,3,4",
        "/api?x=1",
    ] {
        assert_eq!(get(addr, path).status, 400, "{path}");
    }
}

// ---- the OpenAPI document ----

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let ptr = r.strip_prefix('#').expect("local $ref");
            let target = doc
                .pointer(ptr)
                .unwrap_or_else(|| panic!("dangling $ref {r}"));
            resolve(doc, target)
        }
        None => v,
    }
}

/// Whether `value` fits `schema` (the subset of OpenAPI 3.0 schemas the document uses): types,
/// nullable, required members, no members beyond `properties` (unless `additionalProperties`),
/// enums, arrays, allOf/oneOf. Returns where it does not.
fn fits(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    fits_with(doc, schema, value, at, &BTreeSet::new())
}

/// The names of the properties a schema declares, its `allOf` branches' included (a flattened
/// struct is an `allOf` of its parts: a member belongs to the object if any part declares it).
fn declared<'a>(doc: &'a Value, schema: &'a Value) -> BTreeSet<&'a str> {
    let s = resolve(doc, schema);
    let mut names: BTreeSet<&str> = s["properties"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.keys().map(String::as_str))
        .collect();
    for b in s["allOf"].as_array().into_iter().flatten() {
        names.extend(declared(doc, b));
    }
    names
}

/// [`fits`], where members named in `siblings` are declared by another part of an `allOf`.
fn fits_with(
    doc: &Value,
    schema: &Value,
    value: &Value,
    at: &str,
    siblings: &BTreeSet<&str>,
) -> Result<(), String> {
    let s = resolve(doc, schema);
    if value.is_null() && s["nullable"] == true {
        return Ok(());
    }
    if let Some(all) = s["allOf"].as_array() {
        let mut whole = declared(doc, schema);
        whole.extend(siblings.iter().copied());
        for b in all {
            // A nullable part of an `allOf` is a flattened `Option`: all of its members or none.
            let part = declared(doc, b);
            let absent = value
                .as_object()
                .is_some_and(|o| !o.keys().any(|k| part.contains(k.as_str())));
            if resolve(doc, b)["nullable"] == true && absent {
                continue;
            }
            fits_with(doc, b, value, at, &whole)?;
        }
    }
    if let Some(one) = s["oneOf"].as_array() {
        if !one.iter().any(|b| fits(doc, b, value, at).is_ok()) {
            return Err(format!("{at}: fits no oneOf branch: {value}"));
        }
    }
    if let Some(e) = s["enum"].as_array() {
        if !e.contains(value) {
            return Err(format!("{at}: {value} not in {e:?}"));
        }
    }
    let ok = match s["type"].as_str() {
        None => true,
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some(t) => return Err(format!("{at}: unknown type {t}")),
    };
    if !ok {
        return Err(format!("{at}: {value} is not of type {}", s["type"]));
    }
    if let (Some(obj), Some(props)) = (value.as_object(), s["properties"].as_object()) {
        for r in s["required"].as_array().into_iter().flatten() {
            let k = r.as_str().unwrap_or("");
            if !obj.contains_key(k) {
                return Err(format!("{at}: missing required {k:?}"));
            }
        }
        for (k, v) in obj {
            match props.get(k) {
                Some(p) => fits(doc, p, v, &format!("{at}.{k}"))?,
                None if s.get("additionalProperties").is_some() => {}
                None if siblings.contains(k.as_str()) => {}
                None => return Err(format!("{at}: member {k:?} is not in the schema")),
            }
        }
    }
    if let (Some(items), Some(arr)) = (s.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            fits(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    if let (Some(add), Some(obj)) = (s.get("additionalProperties"), value.as_object()) {
        if add.is_object() && s.get("properties").is_none() {
            for (k, v) in obj {
                fits(doc, add, v, &format!("{at}.{k}"))?;
            }
        }
    }
    Ok(())
}

fn api_doc(addr: Target) -> Value {
    let r = get(addr, "/api");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        content_type(&r),
        "application/vnd.oai.openapi+json;version=3.0"
    );
    r.json()
}

#[test]
fn api_is_an_openapi_30_document_of_every_route() {
    let addr = server();
    let doc = api_doc(addr);
    assert!(doc["openapi"]
        .as_str()
        .is_some_and(|v| v.starts_with("3.0.")));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(doc["servers"][0]["url"], format!("http://{addr}"));
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/",
        "/conformance",
        "/api",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
        "/health",
        "/layers",
        "/zones",
        "/check",
        "/indicators",
        "/indicators/series",
        "/changes",
        "/catalog",
        "/tiles/{layers}",
        "/tiles/{layers}/{z}/{x}/{y}.mvt",
        "/fonts/{stack}/{range}.pbf",
    ] {
        assert!(paths.contains_key(p), "{p} is not described");
    }
    let methods = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    for (p, item) in paths {
        let ops: Vec<_> = methods.iter().filter_map(|m| item.get(*m)).collect();
        assert!(!ops.is_empty(), "{p} has no operation");
        for op in ops {
            let responses = op["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{p}: no responses");
            for (code, r) in responses {
                assert!(resolve(&doc, r)["description"].is_string(), "{p} {code}");
            }
            // Every path template variable is a required path parameter, and vice versa.
            let vars: BTreeSet<String> = p
                .split('{')
                .skip(1)
                .filter_map(|s| s.split('}').next())
                .map(String::from)
                .collect();
            let in_path: BTreeSet<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|q| q["in"] == "path")
                .map(|q| {
                    assert_eq!(q["required"], true, "{p}: {q}");
                    q["name"].as_str().unwrap_or("").to_string()
                })
                .collect();
            assert_eq!(vars, in_path, "{p}");
        }
    }
    // Nothing of OpenAPI 3.1 is left, and every $ref resolves.
    fn walk(doc: &Value, v: &Value, path: &str) {
        match v {
            Value::Object(o) => {
                if let Some(t) = o.get("type") {
                    if !path.ends_with("/properties") {
                        assert!(t.is_string() && t != "null", "{path}: type {t}");
                    }
                }
                assert!(!o.contains_key("propertyNames"), "{path}");
                if o.contains_key("$ref") {
                    resolve(doc, v);
                }
                for (k, c) in o {
                    walk(doc, c, &format!("{path}/{k}"));
                }
            }
            Value::Array(a) => a.iter().for_each(|c| walk(doc, c, path)),
            _ => {}
        }
    }
    walk(&doc, &doc, "");
    // The OGC parameters clients look for.
    let items = &doc["paths"]["/collections/{collectionId}/items"]["get"]["parameters"];
    let limit = items
        .as_array()
        .and_then(|a| a.iter().find(|q| q["name"] == "limit"))
        .expect("limit");
    assert_eq!(limit["schema"]["maximum"], 10000);
    assert_eq!(limit["schema"]["default"], 10);
    let bbox = items
        .as_array()
        .and_then(|a| a.iter().find(|q| q["name"] == "bbox"))
        .expect("bbox");
    assert_eq!(bbox["style"], "form");
    assert_eq!(bbox["explode"], false);
    assert_eq!(bbox["schema"]["type"], "array");
}

/// A value to send for a documented parameter.
fn sample(name: &str) -> &'static str {
    match name {
        "collectionId" | "layers" => "zone",
        "featureId" => "A",
        "layer" => "vec",
        "tileMatrixSetId" => "WebMercatorQuad",
        "tileMatrix" | "tileRow" | "tileCol" => "0",
        "class" => "national_key",
        "z" | "x" | "y" => "0",
        "name" => "ecospace.json",
        "stack" => "Noto%20Sans%20CJK%20SC%20Regular",
        "range" => "0-255",
        "lon" => "120.71",
        "lat" => "30.71",
        "year" | "from" => "2020",
        "to" => "2021",
        "buffer_m" => "10",
        "bbox" => "120,30,121,31",
        "datetime" => "2020-01-01",
        "limit" => "5",
        "offset" => "0",
        "f" => "json",
        "crs" | "bbox-crs" | "filter-crs" => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "filter" => "name%20LIKE%20'%25'",
        "filter-lang" => "cql2-text",
        "type" => "industrial",
        "rings" => "0,500",
        "lang" => "en",
        "format" => "ndjson",
        other => panic!("no sample for {other}"),
    }
}

#[test]
fn api_parameters_are_exactly_what_each_route_accepts() {
    let addr = server();
    let doc = api_doc(addr);
    let mut checked = 0;
    for (p, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            // The registry's routes want a token and a registry: registry_http_test checks
            // their parameters the same way.
            if op.get("security").is_some() {
                continue;
            }
            let params: Vec<&Value> = op["parameters"].as_array().into_iter().flatten().collect();
            let mut path = p.clone();
            for q in params.iter().filter(|q| q["in"] == "path") {
                let n = q["name"].as_str().unwrap_or("");
                path = path.replace(&format!("{{{n}}}"), sample(n));
            }
            let query: BTreeSet<&str> = params
                .iter()
                .filter(|q| q["in"] == "query")
                .filter_map(|q| q["name"].as_str())
                .collect();
            let send = |qs: &str| {
                let url = format!("{path}?{qs}");
                match method.as_str() {
                    "get" => get(addr, &url),
                    "post" => common::post(addr, &url, &common::boxed(120.7, 30.7, 120.71, 30.71)),
                    "options" => common::request(addr, "OPTIONS", &url, b""),
                    m => panic!("{m}"),
                }
            };
            // Every documented query parameter together is accepted…
            let all: Vec<String> = query
                .iter()
                .filter(|n| **n != "datetime") // not with `year`
                .map(|n| format!("{n}={}", sample(n)))
                .collect();
            let r = send(&all.join("&"));
            assert!(
                // No style of that name; no Tianditu key configured here (basemap_test has one).
                r.status < 400
                    || r.status == 404 && (p == "/styles/{name}" || p.starts_with("/basemap/")),
                "{method} {path}?{}: {} {}",
                all.join("&"),
                r.status,
                r.body
            );
            // …and the route's own list of what it accepts (serde names it on an unknown
            // parameter) is the documented list.
            if query.is_empty() {
                continue;
            }
            let r = send("zz_unknown=1");
            assert_eq!(r.status, 400, "{method} {path} took an unknown parameter");
            let msg = r.json()["message"].as_str().unwrap_or("").to_string();
            let expected = msg.split("expected").nth(1).unwrap_or("");
            let accepted: BTreeSet<&str> = expected.split('`').skip(1).step_by(2).collect();
            assert_eq!(accepted, query, "{method} {p}: {msg}");
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "only {checked} operations with query parameters"
    );
}

#[test]
fn api_response_schemas_fit_real_answers() {
    let addr = server();
    let doc = api_doc(addr);
    for (path, url) in [
        ("/", "/"),
        ("/conformance", "/conformance"),
        ("/collections", "/collections"),
        ("/collections/{collectionId}", "/collections/zone"),
        (
            "/collections/{collectionId}/items",
            "/collections/zone/items?limit=1",
        ),
        (
            "/collections/{collectionId}/items",
            "/collections/coast/items",
        ),
        (
            "/collections/{collectionId}/items/{featureId}",
            "/collections/zone/items/B",
        ),
        ("/health", "/health"),
        ("/layers", "/layers?year=2020"),
        ("/zones", "/zones?lon=120.71&lat=30.71&year=2020"),
        ("/indicators", "/indicators?year=2020"),
        ("/indicators/series", "/indicators/series?from=2019&to=2020"),
        ("/changes", "/changes?from=2019&to=2020"),
        ("/catalog", "/catalog"),
        ("/tiles/{layers}", "/tiles/zone,coast"),
    ] {
        let r = get(addr, url);
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        let op = &doc["paths"][path]["get"];
        let content = op["responses"]["200"]["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{path}: no 200 content"));
        let (media, body) = content.iter().next().expect("a media type");
        assert_eq!(&content_type(&r), media, "{url}");
        fits(&doc, &body["schema"], &r.json(), url).unwrap_or_else(|e| panic!("{e}"));
    }
    // The check endpoint, one site and a batch.
    let one = common::post(
        addr,
        "/check?year=2020",
        &common::boxed(120.71, 30.71, 120.8, 30.72),
    );
    let batch = common::post(
        addr,
        "/check?year=2020",
        &format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","id":"s","properties":{{}},"geometry":{}}}]}}"#,
            common::boxed(120.71, 30.71, 120.8, 30.72)
        ),
    );
    // With rulings (flattened into each hit) and rings.
    let ruled = common::post(
        addr,
        "/check?year=2020&type=industrial&rings=0,500",
        &common::boxed(120.71, 30.71, 120.8, 30.72),
    );
    assert!(ruled.body.contains("\"basis\"") && ruled.body.contains("\"rings\""));
    let schema = &doc["paths"]["/check"]["post"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    for r in [one, batch, ruled] {
        assert_eq!(r.status, 200, "{}", r.body);
        fits(&doc, schema, &r.json(), "/check").unwrap_or_else(|e| panic!("{e}"));
    }
    // And errors have the error shape.
    let r = get(addr, "/collections/zone/items?limit=0");
    let schema = &doc["paths"]["/collections/{collectionId}/items"]["get"]["responses"]["400"]
        ["content"]["application/json"]["schema"];
    fits(&doc, schema, &r.json(), "error").unwrap_or_else(|e| panic!("{e}"));
}

// ---- GDAL's OGC API – Features client ----

fn ogrinfo(args: &[&str]) -> String {
    let out = std::process::Command::new("ogrinfo")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run ogrinfo ({e}): GDAL's command-line tools are needed; run `bash scripts/setup.sh` (installs gdal-bin)")
        });
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "ogrinfo {args:?} failed:\n{text}");
    text
}

#[test]
fn gdal_reads_the_service_as_ogc_api_features() {
    // GDAL's own client needs a real socket.
    let addr = serve(mini(), Limits::default());
    let url = format!("OAPIF:http://{addr}");
    let summary = ogrinfo(&["-ro", "-so", &url]);
    for (i, id) in ["zone", "coast", "bank"].iter().enumerate() {
        assert!(
            summary.contains(&format!("{}: {id} ", i + 1)),
            "{id} missing:\n{summary}"
        );
    }
    // One feature per page, so GDAL has to follow the `next` link.
    let zone = ogrinfo(&["-ro", "-oo", "PAGE_SIZE=1", &url, "zone"]);
    assert_eq!(zone.matches("OGRFeature(zone):").count(), 2, "{zone}");
    assert!(zone.contains("Feature Count: 2"), "{zone}");
    assert!(
        zone.contains("name (String) = 方块A") && zone.contains("name (String) = 方块B"),
        "{zone}"
    );
    assert!(
        zone.contains("POLYGON ((120.8 30.7,120.81 30.7,120.81 30.71,120.8 30.71,120.8 30.7))"),
        "{zone}"
    );
}
