//! The planner's workflow: rulings per project type, proximity rings, batch screening.
//! `tests/fixtures/rules/` has decisions that can be read off its rules.toml by hand.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::Limits;
use ecospace::{screen, CheckOptions, Dataset, Screening};
use geo::{line_string, polygon, Geometry, Point};
use serde_json::Value;

fn rules_ds() -> Dataset {
    Dataset::from_dir(&fixture("rules")).expect("fixture loads")
}

fn opts() -> CheckOptions {
    CheckOptions {
        year: 2025,
        buffer_m: 0.0,
        layers: None,
    }
}

fn ruled(ds: &Dataset, g: &Geometry, ty: &str) -> ecospace::Screened {
    let ask = Screening {
        project_type: Some(ty.into()),
        rings_m: None,
        ..Default::default()
    };
    screen(ds, g, &opts(), &ask).unwrap()
}

fn pt(x: f64, y: f64) -> Geometry {
    Geometry::Point(Point::new(x, y))
}

/// (hit id, decision, first basis) of every hit with a ruling.
fn rulings(r: &ecospace::Screened) -> Vec<(String, String, String)> {
    r.hits
        .iter()
        .filter_map(|h| {
            h.ruling.as_ref().map(|x| {
                (
                    h.hit.id.clone(),
                    x.decision.as_str().to_string(),
                    x.basis[0].clone(),
                )
            })
        })
        .collect()
}

fn t(id: &str, d: &str, b: &str) -> (String, String, String) {
    (id.into(), d.into(), b.into())
}

#[test]
fn each_water_source_level_is_ruled_as_the_table_says() {
    let ds = rules_ds();
    let (w1, w2, w3) = (
        pt(120.805, 30.805),
        pt(120.815, 30.805),
        pt(120.825, 30.805),
    );
    // Level 1: the specific rule for water supply, the catch-all for the rest.
    assert_eq!(
        rulings(&ruled(&ds, &w1, "industrial")),
        [t("W1", "prohibited", "B-w1")]
    );
    let r = ruled(&ds, &w1, "water_supply");
    assert_eq!(rulings(&r), [t("W1", "restricted", "B-w1-supply")]);
    let ruling = r.hits[0].ruling.as_ref().unwrap();
    assert_eq!(
        ruling.conditions_en.as_deref(),
        Some("water-supply works only")
    );
    // Level 2 and 3.
    assert_eq!(
        rulings(&ruled(&ds, &w2, "industrial")),
        [t("W2", "prohibited", "B-w2-industry")]
    );
    assert_eq!(
        rulings(&ruled(&ds, &w2, "ecological_restoration")),
        [t("W2", "restricted", "B-w2")]
    );
    assert_eq!(
        rulings(&ruled(&ds, &w3, "industrial")),
        [t("W3", "restricted", "B-w3-industry")]
    );
    let r = ruled(&ds, &w3, "water_supply");
    assert_eq!(rulings(&r), [t("W3", "allowed", "B-w3")]);
    assert_eq!(r.decision.unwrap().as_str(), "allowed");
}

#[test]
fn the_site_decision_is_the_strictest_and_only_what_the_site_is_on_counts() {
    let ds = rules_ds();
    // Across the level-2/level-3 boundary at 120.82: prohibited (W2) beats restricted (W3).
    let across = Geometry::Polygon(polygon![
        (x: 120.815, y: 30.803), (x: 120.825, y: 30.803), (x: 120.825, y: 30.807), (x: 120.815, y: 30.807)
    ]);
    let r = ruled(&ds, &across, "industrial");
    let mut got = rulings(&r);
    got.sort();
    assert_eq!(
        got,
        [
            t("W2", "prohibited", "B-w2-industry"),
            t("W3", "restricted", "B-w3-industry")
        ]
    );
    assert_eq!(r.decision.unwrap().as_str(), "prohibited");
    // Allowed inside the red line for restoration, prohibited for anything else.
    assert_eq!(
        ruled(&ds, &pt(120.71, 30.71), "ecological_restoration")
            .decision
            .unwrap()
            .as_str(),
        "allowed"
    );
    assert_eq!(
        ruled(&ds, &pt(120.71, 30.71), "water_supply")
            .decision
            .unwrap()
            .as_str(),
        "prohibited"
    );
    // Only touching the red line's east edge: listed, not ruled; the site is allowed.
    let touching = Geometry::Polygon(polygon![
        (x: 120.72, y: 30.705), (x: 120.73, y: 30.705), (x: 120.73, y: 30.715), (x: 120.72, y: 30.715)
    ]);
    let r = ruled(&ds, &touching, "industrial");
    assert_eq!(r.hits.len(), 1);
    assert_eq!(r.hits[0].hit.relation, ecospace::Relation::Touches);
    assert!(r.hits[0].ruling.is_none());
    assert_eq!(r.decision.unwrap().as_str(), "allowed");
    // A road across the natural coast: prohibited by the natural-shoreline rule; the artificial
    // stretch next to it is allowed.
    let road = Geometry::LineString(line_string![(x: 120.745, y: 30.71), (x: 120.765, y: 30.71)]);
    let mut got = rulings(&ruled(&ds, &road, "industrial"));
    got.sort();
    assert_eq!(
        got,
        [
            t("N1", "prohibited", "B-natural"),
            t("R1", "allowed", "B-artificial")
        ]
    );
    // Nothing there: allowed, no hits.
    let r = ruled(&ds, &pt(121.0, 31.0), "industrial");
    assert!(r.hits.is_empty());
    assert_eq!(r.decision.unwrap().as_str(), "allowed");
}

#[test]
fn unknown_types_and_incomplete_tables_are_refused_clearly() {
    let addr = app(rules_ds(), Limits::default());
    let r = post(
        addr,
        "/check?type=casino",
        r#"{"type":"Point","coordinates":[120.71,30.71]}"#,
    );
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["error"], "invalid_parameter");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("industrial, water_supply, ecological_restoration"),
        "{v}"
    );
    let rules = get(addr, "/rules").json();
    assert_eq!(rules["type"].as_array().unwrap().len(), 3);
    assert_eq!(
        rules["default_rings_m"],
        serde_json::json!([0.0, 400.0, 1000.0])
    );
    // Over HTTP the hit carries decision and basis, the site its decision.
    let r = post(
        addr,
        "/check?type=industrial&year=2025",
        r#"{"type":"Point","coordinates":[120.805,30.805]}"#,
    )
    .json();
    assert_eq!(r["decision"], "prohibited");
    assert_eq!(r["project_type"], "industrial");
    assert_eq!(r["hits"][0]["decision"], "prohibited");
    assert_eq!(r["hits"][0]["basis"][0], "B-w1");
    // Without the catch-all for level 3, the table has a hole: the load names it.
    let dir = copy_fixture("rules", "hole");
    let text = std::fs::read_to_string(dir.join("rules.toml")).unwrap();
    let holed = text.replace(
        "when = { level = 3 }\ntypes = [\"*\"]\ndecision = \"allowed\"",
        "when = { level = 3 }\ntypes = [\"water_supply\"]\ndecision = \"allowed\"",
    );
    assert_ne!(holed, text);
    std::fs::write(dir.join("rules.toml"), holed).unwrap();
    let e = Dataset::from_dir(&dir).unwrap_err().to_string();
    assert!(
        e.contains("rules.toml")
            && e.contains("\"ecological_restoration\"")
            && e.contains("\"W3\""),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Area of a disc of radius r cut by a straight line at distance d from its centre (d < r):
/// the disc minus the circular segment beyond the line.
fn disc_minus_segment(r: f64, d: f64) -> f64 {
    std::f64::consts::PI * r * r - (r * r * (d / r).acos() - d * (r * r - d * d).sqrt())
}

#[test]
fn ring_areas_and_lengths_match_the_disc_and_segment_formulas() {
    let ds = rules_ds();
    // A point 0.005° west of the red line's east edge (a meridian), well inside otherwise:
    // the north/south edges are 0.01° of latitude (≈1.1 km) away, the west edge 0.015°.
    let site = pt(120.715, 30.71);
    let d = parallel_arc(30.71, 0.005);
    let ask = Screening {
        project_type: None,
        rings_m: Some(vec![0.0, 400.0, 1000.0, 5000.0]),
        ..Default::default()
    };
    let r = screen(&ds, &site, &opts(), &ask).unwrap();
    let rings = r.rings.unwrap();
    assert_eq!(rings.len(), 4);
    // Ring 0 of a point: the zone it is in, no area.
    assert_eq!(rings[0].features.len(), 1);
    assert_eq!(rings[0].features[0].id, "Z");
    assert_eq!(rings[0].ring_area_m2, 0.0);
    // 400 m: the whole disc lies in the zone (d ≈ 479 m).
    let disc = std::f64::consts::PI * 400.0 * 400.0;
    close(rings[1].ring_area_m2, disc, 2e-4);
    close(rings[1].layers["zone"].area_m2, disc, 2e-4);
    // 1000 m: the disc is cut by the east edge only.
    close(
        rings[2].layers["zone"].area_m2,
        disc_minus_segment(1000.0, d),
        2e-4,
    );
    close(rings[2].ring_area_m2, std::f64::consts::PI * 1e6, 2e-4);
    // 5 km: the natural coast N1 (0.035° east, 0.02° long) lies wholly inside: its length is
    // the meridian arc between its ends.
    let n1 = rings[3]
        .features
        .iter()
        .find(|f| f.id == "N1")
        .expect("N1 within 5 km");
    close(
        n1.length_m.unwrap(),
        meridian_arc(30.72) - meridian_arc(30.70),
        1e-6,
    );
    close(n1.distance_m, parallel_arc(30.71, 0.035), 1e-3);
    // Distances match the features listed: N1 is not within 1 km.
    assert!(rings[2].features.iter().all(|f| f.id != "N1"));
}

/// Runs one site through `/check` and returns its JSON result.
fn single(addr: Target, query: &str, geometry: &str) -> Value {
    let r = post(addr, &format!("/check?{query}"), geometry);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

#[test]
fn batch_rows_equal_single_checks_for_geojson_and_csv() {
    let addr = app(rules_ds(), Limits::default());
    let sites = [
        (
            "a",
            "industrial",
            r#"{"type":"Point","coordinates":[120.805,30.805]}"#,
        ),
        (
            "b",
            "water_supply",
            r#"{"type":"Polygon","coordinates":[[[120.815,30.803],[120.825,30.803],[120.825,30.807],[120.815,30.807],[120.815,30.803]]]}"#,
        ),
        (
            "c",
            "",
            r#"{"type":"LineString","coordinates":[[120.745,30.71],[120.765,30.71]]}"#,
        ),
    ];
    let fc = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        sites
            .iter()
            .map(|(id, ty, g)| format!(
                r#"{{"type":"Feature","id":"{id}","properties":{{"type":"{ty}"}},"geometry":{g}}}"#
            ))
            .collect::<Vec<_>>()
            .join(",")
    );
    // Sites without their own type take the request's.
    let r = post(
        addr,
        "/check/batch?year=2025&type=ecological_restoration&rings=0,500",
        &fc,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .headers
        .to_ascii_lowercase()
        .contains("application/x-ndjson"));
    let rows: Vec<Value> = r.ndjson();
    assert_eq!(rows.len(), 3);
    for (row, (id, ty, g)) in rows.iter().zip(&sites) {
        let ty = if ty.is_empty() {
            "ecological_restoration"
        } else {
            ty
        };
        let one = single(addr, &format!("year=2025&type={ty}&rings=0,500"), g);
        assert_eq!(row["id"], *id);
        assert_eq!(row["type"], ty);
        assert_eq!(row["result"], one, "site {id}");
    }

    // The same sites as CSV: WKT for the polygon and the line, lon/lat for the point.
    let csv = "id,type,wkt,lon,lat\n\
        a,industrial,,120.805,30.805\n\
        b,water_supply,\"POLYGON((120.815 30.803,120.825 30.803,120.825 30.807,120.815 30.807,120.815 30.803))\",,\n\
        c,,\"LINESTRING(120.745 30.71,120.765 30.71)\",,\n";
    // A wkt column wins; rows without WKT need lon/lat: use two files.
    let wkt_csv: String = csv
        .lines()
        .filter(|l| !l.starts_with("a,"))
        .map(|l| format!("{l}\n"))
        .collect();
    let r = post(
        addr,
        "/check/batch?year=2025&type=ecological_restoration&format=csv",
        &wkt_csv,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let mut lines = r.body.lines();
    assert_eq!(lines.next().unwrap(), ecospace::rows::CSV_HEADER.trim_end());
    let csv_rows: Vec<&str> = lines.collect();
    assert_eq!(csv_rows.len(), 2);
    assert!(
        csv_rows[0].starts_with("0,b,,water_supply,conflict,restricted,"),
        "{}",
        csv_rows[0]
    );
    assert!(
        csv_rows[1].contains("coast:N1:crosses:prohibited"),
        "{}",
        csv_rows[1]
    );
    let r = post(
        addr,
        "/check/batch?year=2025",
        "id,type,lon,lat\na,industrial,120.805,30.805\n",
    );
    let row: Value = serde_json::from_str(r.body.lines().next().unwrap()).unwrap();
    assert_eq!(
        row["result"],
        single(addr, "year=2025&type=industrial", sites[0].2)
    );

    // A bad row is reported in its place; the others go on. A file that is not a list is refused.
    let r = post(
        addr,
        "/check/batch?year=2025",
        "id,lon,lat\nx,abc,30.8\ny,120.805,30.805\n",
    );
    let rows: Vec<Value> = r.ndjson();
    assert_eq!(rows[0]["error"]["error"], "invalid_geojson");
    // The row says which site (index and id); its message says what is wrong, not where.
    assert_eq!(
        (rows[0]["index"].as_u64(), rows[0]["id"].as_str()),
        (Some(0), Some("x"))
    );
    assert!(rows[0]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("lon \"abc\" is not a number"));
    assert_eq!(rows[1]["result"]["verdict"], "conflict");
    let r = post(addr, "/check/batch", "name,colour\nx,red\n");
    assert_eq!(
        (r.status, r.json()["error"].as_str()),
        (400, Some("invalid_csv"))
    );
    let r = post(addr, "/check/batch?type=casino", &fc);
    assert_eq!(r.status, 400);

    // In a FeatureCollection too, a bad feature is its own row (index, id, code) and the good
    // ones are screened as they are alone; its message does not say where it sat.
    let bow_tie = r#"{"type":"Feature","id":"bad","properties":{},"geometry":{"type":"Polygon","coordinates":[[[120.81,30.80],[120.82,30.81],[120.82,30.80],[120.81,30.81],[120.81,30.80]]]}}"#;
    let good = r#"{"type":"Feature","id":"good","properties":{},"geometry":{"type":"Point","coordinates":[120.805,30.805]}}"#;
    let body = format!(r#"{{"type":"FeatureCollection","features":[{good},{bow_tie}]}}"#);
    let r = post(addr, "/check/batch?year=2025&type=industrial", &body);
    assert_eq!(r.status, 200, "{}", r.body);
    let rows: Vec<Value> = r.ndjson();
    assert_eq!(
        rows[0]["result"],
        single(addr, "year=2025&type=industrial", sites[0].2)
    );
    assert_eq!(
        (rows[1]["index"].as_u64(), rows[1]["id"].as_str()),
        (Some(1), Some("bad"))
    );
    assert_eq!(
        rows[1]["error"]["error"], "self_intersection",
        "{}",
        rows[1]
    );
    let message = rows[1]["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("feature 1") && !message.contains("bad"),
        "{message}"
    );
}

#[test]
fn the_cli_screens_a_batch_with_a_progress_bar() {
    let dir = std::env::temp_dir().join(format!("ecospace-batch-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sites.csv");
    std::fs::write(&file, "id,type,lon,lat\na,industrial,120.805,30.805\nb,industrial,120.825,30.805\nc,industrial,121.0,31.0\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecospace"))
        .args([
            "check",
            "--year",
            "2025",
            "--progress",
            "--format",
            "csv",
            "--data",
        ])
        .arg(fixture("rules"))
        .arg("--batch")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let decisions: Vec<&str> = stdout
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(5).unwrap())
        .collect();
    assert_eq!(decisions, ["prohibited", "restricted", "allowed"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("3/3 sites · 2 in conflict · 0 errors"),
        "{stderr}"
    );
    assert!(stderr.contains("[##########"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_plans_key_projects_screen_and_the_coast_restorations_meet_the_shoreline() {
    let ds = Dataset::bundled().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/jiaxing/samples/key_projects.geojson");
    let body = std::fs::read(path).unwrap();
    let entries = ecospace::batch::read(&body, usize::MAX).unwrap();
    assert!(entries.len() >= 15, "{} sites", entries.len());
    let rules = ds.rules.as_ref().expect("the bundled data has rules");
    let mut restorations = Vec::new();
    for e in entries {
        let site = e.site.as_ref().expect("every site parses").clone();
        let ty = site
            .project_type()
            .expect("every site has a type")
            .to_string();
        assert!(rules.project_type(&ty).is_ok(), "{ty}");
        let row = ecospace::batch::screen_entry(&ds, e, &opts(), &Screening::default(), usize::MAX);
        assert!(row.error.is_none(), "{:?}", row.error);
        let r = row.result.unwrap();
        assert_eq!(r.project_type.as_deref(), Some(ty.as_str()));
        assert!(r.decision.is_some());
        let name = site.properties["name"].as_str().unwrap().to_string();
        if ["澉浦长墙山", "海盐东段围涂", "灯光山西南", "益山", "陈山"]
            .iter()
            .any(|n| name.contains(n))
        {
            assert_eq!(ty, "ecological_restoration", "{name}");
            let on_shore = r.hits.iter().any(|h| {
                h.hit.layer == "shoreline"
                    && !matches!(
                        h.hit.relation,
                        ecospace::Relation::Near | ecospace::Relation::Touches
                    )
                    && h.hit.overlap_length_m.unwrap_or(0.0) > 100.0
            });
            assert!(on_shore, "{name} meets the shoreline: {:?}", r.hits);
            restorations.push(name);
        }
    }
    assert_eq!(restorations.len(), 5, "{restorations:?}");
}

/// The bundled table against the law it cites: the Water Pollution Prevention Law's articles
/// 65, 66 and 67 govern level-1, level-2 and quasi-protection zones; the 2019 guideline on the
/// three control lines bars development in the red line but leaves room for restoration and
/// unavoidable linear infrastructure.
#[test]
fn the_bundled_rules_follow_the_water_law_by_level_and_the_red_line_guideline() {
    use geo::InteriorPoint;
    let ds = Dataset::bundled().unwrap();
    let inside = |layer: &str, level: Option<i64>| -> Geometry {
        let f = ds
            .layer(layer)
            .unwrap()
            .features
            .iter()
            .find(|f| f.valid_in(2025) && level.is_none_or(|l| f.properties["level"] == l))
            .unwrap();
        Geometry::Point(f.geometry.interior_point().unwrap())
    };
    let on = |g: &Geometry, layer: &str, ty: &str| -> (String, String) {
        let r = ruled(&ds, g, ty);
        let h = r
            .hits
            .iter()
            .find(|h| h.hit.layer == layer && h.ruling.is_some())
            .unwrap_or_else(|| panic!("no {layer} ruling: {:?}", r.hits));
        let x = h.ruling.as_ref().unwrap();
        (x.decision.as_str().to_string(), x.basis.join(" "))
    };
    let (l1, l2, l3) = (
        inside("water_source", Some(1)),
        inside("water_source", Some(2)),
        inside("water_source", Some(3)),
    );
    let (d, b) = on(&l1, "water_source", "industrial");
    assert_eq!(d, "prohibited");
    assert!(
        b.contains("水污染防治法") && b.contains("第六十五条"),
        "{b}"
    );
    let (d, b) = on(&l1, "water_source", "water_supply");
    assert_eq!(
        d, "restricted",
        "supply works are what a level-1 zone admits: {b}"
    );
    let (d, b) = on(&l2, "water_source", "industrial");
    assert_eq!(d, "prohibited");
    assert!(b.contains("第六十六条"), "{b}");
    let (d, b) = on(&l3, "water_source", "industrial");
    assert_eq!(
        d, "restricted",
        "quasi zones bar only seriously polluting projects"
    );
    assert!(b.contains("第六十七条"), "{b}");
    let red = inside("redline", None);
    let (d, b) = on(&red, "redline", "industrial");
    assert_eq!(d, "prohibited");
    assert!(b.contains("三条控制线"), "{b}");
    assert_eq!(on(&red, "redline", "road").0, "restricted");
    assert_eq!(on(&red, "redline", "ecological_restoration").0, "allowed");
    let r = ruled(&ds, &red, "road");
    let x = r.hits.iter().find_map(|h| h.ruling.as_ref()).unwrap();
    assert!(x.conditions_zh.is_some() && x.conditions_en.is_some());
}

/// Steiner's formula: buffering a convex polygon of area A and perimeter P by r adds a strip
/// of area P·r and four quarter-discs' worth of corners, π r² in all.
#[test]
fn ring_areas_of_a_convex_site_follow_steiners_formula() {
    let ds = rules_ds();
    let site = Geometry::Polygon(polygon![
        (x: 120.90, y: 30.90), (x: 120.93, y: 30.90), (x: 120.93, y: 30.92), (x: 120.90, y: 30.92)
    ]);
    let a = ecospace::geodesy::area_m2(&site);
    let p = ecospace::geodesy::length_m(&site);
    let ask = Screening {
        project_type: None,
        rings_m: Some(vec![0.0, 250.0, 2000.0]),
        ..Default::default()
    };
    let rings = screen(&ds, &site, &opts(), &ask).unwrap().rings.unwrap();
    close(rings[0].ring_area_m2, a, 1e-9);
    for ring in &rings[1..] {
        let r = ring.distance_m;
        close(
            ring.ring_area_m2,
            a + p * r + std::f64::consts::PI * r * r,
            2e-4,
        );
    }
}
