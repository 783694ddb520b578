//! 三区三线 on the bundled data: the farmland, urban-boundary, forest and water figures against
//! an independent measure (shapely unions, pyproj's geodesic areas), rulings that depend on the
//! project class and on which side of the urban boundary a site lies, verdicts that mean a
//! constraint is met or near, and the counties a site lies in.
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;
use common::*;
use ecospace::indicator::compute;
use ecospace::{check, screen, CheckOptions, Dataset, Limits, ProjectClass, Screening, Verdict};
use geo::{Contains, Coord, Geometry, InteriorPoint, LineString, MultiPolygon, Point, Polygon};
use serde_json::Value;
use std::sync::OnceLock;

fn ds() -> &'static Dataset {
    static DS: OnceLock<Dataset> = OnceLock::new();
    DS.get_or_init(|| Dataset::bundled().unwrap())
}

fn data_dir() -> String {
    format!("{}/data/jiaxing", env!("CARGO_MANIFEST_DIR"))
}

fn opts(layers: Option<&[&str]>, buffer_m: f64) -> CheckOptions {
    CheckOptions {
        year: 2025,
        buffer_m,
        layers: layers.map(|l| l.iter().map(ToString::to_string).collect()),
    }
}

fn ask(ty: &str, class: ProjectClass) -> Screening {
    Screening {
        project_type: Some(ty.into()),
        project_class: Some(class),
        ..Default::default()
    }
}

/// A square of side `2 d` degrees (lat) around `c`.
fn square(c: Coord, d: f64) -> Geometry {
    let dx = d / c.y.to_radians().cos();
    Geometry::Polygon(Polygon::new(
        LineString::from(vec![
            (c.x - dx, c.y - d),
            (c.x + dx, c.y - d),
            (c.x + dx, c.y + d),
            (c.x - dx, c.y + d),
            (c.x - dx, c.y - d),
        ]),
        vec![],
    ))
}

fn zones(layer: &str) -> Vec<(String, MultiPolygon)> {
    ds().layer(layer)
        .unwrap()
        .features_in(2025)
        .map(|f| {
            let mp = match &f.geometry {
                Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
                Geometry::MultiPolygon(m) => m.clone(),
                _ => unreachable!("zones"),
            };
            (f.id.clone(), mp)
        })
        .collect()
}

/// The independent measure (`tests/tools/geodesic_areas.py`: shapely + pyproj) as JSON.
fn geodesic_areas(args: &[String]) -> Value {
    let out = python()
        .arg(fixture("../tools/geodesic_areas.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A point of a forest patch outside every town (geo's own point-in-polygon decides).
fn rural_forest_point() -> Coord {
    let urban = zones("urban_boundary");
    let farmland = zones("farmland");
    zones("forest")
        .into_iter()
        .filter_map(|(_, g)| g.interior_point())
        .find(|p| {
            !urban.iter().any(|(_, u)| u.contains(p))
                && !farmland.iter().any(|(_, f)| f.contains(p))
        })
        .unwrap()
        .0
}

#[test]
fn farmland_forest_water_and_urban_figures_match_shapely_and_pyproj() {
    let years = [2018, 2020, 2021, 2025];
    let mut args = vec!["indicators".to_string(), data_dir()];
    args.extend(years.map(|y| y.to_string()));
    let theirs = geodesic_areas(&args);
    for y in years {
        let ours = compute(ds(), y).unwrap();
        for id in [
            "farmland_area_km2",
            "urban_boundary_area_km2",
            "forest_coverage_pct",
            "water_surface_ratio_pct",
        ] {
            let a = ours.indicators[id].value.value;
            let b = theirs[y.to_string()][id].as_f64().unwrap();
            assert!(
                (a - b).abs() < 0.005,
                "{id} {y}: ecospace {a} vs pyproj {b}"
            );
        }
        // Every new indicator meets its target in every year, as the plan (and the data) say.
        for id in [
            "farmland_area_km2",
            "urban_boundary_area_km2",
            "water_surface_ratio_pct",
        ] {
            assert_eq!(
                ours.indicators[id].status,
                ecospace::Status::Met,
                "{id} {y}"
            );
        }
    }
    // The plan's figures, read off the plan's tables.
    let f = |y: i32, id: &str| theirs[y.to_string()][id].as_f64().unwrap();
    assert!((f(2018, "farmland_area_km2") - 1730.0).abs() < 0.005);
    assert!((f(2025, "farmland_area_km2") - 1730.0).abs() < 0.005);
    assert!((f(2018, "forest_coverage_pct") - 12.7).abs() < 0.005);
    assert!(f(2020, "forest_coverage_pct") >= 19.0 - 0.005);
    assert!((f(2025, "forest_coverage_pct") - 20.0).abs() < 0.005);
    let forest_2020 = &compute(ds(), 2020).unwrap().indicators["forest_coverage_pct"];
    assert_eq!(forest_2020.status, ecospace::Status::Met);
    let forest_2018 = &compute(ds(), 2018).unwrap().indicators["forest_coverage_pct"];
    assert_eq!(
        forest_2018.status,
        ecospace::Status::NotMet,
        "12.7 % < 19 %"
    );
}

#[test]
fn the_farmland_swaps_of_2021_show_in_changes_with_the_area_kept() {
    let c = ecospace::indicator::change::changes(ds(), 2020, 2021).unwrap();
    let farm = &c.layers["farmland"];
    assert_eq!(farm.changed.len(), 3, "three 占补平衡 swaps");
    assert_eq!(farm.reductions, 0, "no parcel shrank or vanished");
    assert!(farm.removed.is_empty() && farm.added.is_empty());
    for ch in &farm.changed {
        assert!((0.0..1.5).contains(&ch.size_delta), "{ch:?}");
        assert_ne!(ch.from_id, ch.to_id);
    }
}

#[test]
fn farmland_is_prohibited_for_ordinary_industry_and_restricted_for_national_key() {
    let (id, parcel) = zones("farmland").swap_remove(100);
    let site = square(parcel.interior_point().unwrap().0, 0.0001);
    let only = opts(Some(&["farmland"]), 0.0);
    let ordinary = screen(
        ds(),
        &site,
        &only,
        &ask("industrial", ProjectClass::Ordinary),
    )
    .unwrap();
    let key = screen(
        ds(),
        &site,
        &only,
        &ask("industrial", ProjectClass::NationalKey),
    )
    .unwrap();
    for (r, want) in [(&ordinary, "prohibited"), (&key, "restricted")] {
        assert_eq!(r.verdict, Verdict::Conflict);
        let hit = r.hits.iter().find(|h| h.hit.id == id).unwrap();
        let ruling = hit.ruling.as_ref().unwrap();
        assert_eq!(ruling.decision.as_str(), want);
        assert!(
            ruling
                .basis
                .iter()
                .any(|b| b.contains("土地管理法》第三十五条")),
            "{:?}",
            ruling.basis
        );
        assert_eq!(r.decision.unwrap().as_str(), want);
    }
    assert!(key.hits[0]
        .ruling
        .as_ref()
        .unwrap()
        .conditions_zh
        .as_ref()
        .unwrap()
        .contains("国务院批准"));
    // Crops are farmland's use: restricted to crops, never prohibited.
    let farm = screen(
        ds(),
        &site,
        &only,
        &ask("agriculture", ProjectClass::Ordinary),
    )
    .unwrap();
    assert_eq!(farm.decision.unwrap().as_str(), "restricted");
}

#[test]
fn industry_outside_the_urban_boundary_is_flagged_inside_it_is_not_and_a_road_outside_is_not() {
    let only = opts(Some(&["urban_boundary"]), 0.0);
    let outside = Geometry::Point(Point(rural_forest_point()));
    let r = screen(
        ds(),
        &outside,
        &only,
        &ask("industrial", ProjectClass::Ordinary),
    )
    .unwrap();
    assert_eq!(r.verdict, Verdict::Conflict, "outside is the constraint");
    assert_eq!(r.outside.len(), 1);
    assert_eq!(r.outside[0].outside.ratio, 1.0);
    assert_eq!(r.decision.unwrap().as_str(), "prohibited");

    let (_, town) = zones("urban_boundary").swap_remove(0);
    let inside = Geometry::Point(town.interior_point().unwrap());
    let r = screen(
        ds(),
        &inside,
        &only,
        &ask("industrial", ProjectClass::Ordinary),
    )
    .unwrap();
    assert_eq!(r.verdict, Verdict::Clear);
    assert!(r.outside.is_empty());
    assert_eq!(
        r.summary["urban_boundary"].outside.as_ref().unwrap().ratio,
        0.0
    );
    assert_eq!(r.decision.unwrap().as_str(), "allowed");

    let c = rural_forest_point();
    let road = Geometry::LineString(LineString::from(vec![
        (c.x - 0.0005, c.y),
        (c.x + 0.0005, c.y),
    ]));
    let r = screen(ds(), &road, &only, &ask("road", ProjectClass::Ordinary)).unwrap();
    assert_eq!(r.outside[0].outside.ratio, 1.0);
    assert_eq!(
        r.outside[0].ruling.as_ref().unwrap().decision.as_str(),
        "allowed"
    );
    assert_eq!(
        r.decision.unwrap().as_str(),
        "allowed",
        "a road outside is not flagged"
    );
}

/// The share outside, and the county shares, of a square straddling an urban boundary and a
/// county border, against shapely + pyproj.
#[test]
fn shares_outside_the_urban_boundary_and_per_county_match_pyproj() {
    // A vertex shared by 南湖区 and 秀洲区's outlines, away from the sea: a county border.
    let ring = |id: &str| -> Vec<Coord> {
        let f = ds()
            .layer("county")
            .unwrap()
            .features
            .iter()
            .find(|f| f.county.as_deref() == Some(id))
            .unwrap();
        match &f.geometry {
            Geometry::Polygon(p) => p.exterior().0.clone(),
            Geometry::MultiPolygon(m) => m.0[0].exterior().0.clone(),
            _ => unreachable!("counties are zones"),
        }
    };
    let (nanhu, xiuzhou) = (ring("330402"), ring("330411"));
    // …at least ~1 km from every vertex of the other five counties (not a triple point).
    let others: Vec<Coord> = ["330421", "330424", "330481", "330482", "330483"]
        .iter()
        .flat_map(|c| ring(c))
        .collect();
    let border = *nanhu
        .iter()
        .filter(|c| xiuzhou.contains(c))
        .find(|c| others.iter().all(|o| (o.x - c.x).hypot(o.y - c.y) > 0.01))
        .unwrap();
    // The town edge: the urban polygon's first vertex.
    let (_, town) = zones("urban_boundary").swap_remove(0);
    let edge = town.0[0].exterior().0[0];
    // …and a square in the open country, inside one county (the check's shortcut: no county edge
    // meets the site's box).
    let rural = rural_forest_point();
    for (what, centre) in [
        ("county border", border),
        ("town edge", edge),
        ("open country", rural),
    ] {
        let site = square(centre, 0.003);
        let path = std::env::temp_dir().join(format!(
            "ecospace-share-{}-{what}.geojson",
            std::process::id()
        ));
        let f = serde_json::json!({"type": "Feature", "properties": {}, "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&site))});
        std::fs::write(&path, f.to_string()).unwrap();
        let theirs = geodesic_areas(&[
            "shares".into(),
            path.to_string_lossy().into_owned(),
            data_dir(),
            "2025".into(),
        ]);
        let r = check(ds(), &site, &opts(None, 0.0)).unwrap();
        let ours: f64 = r.summary["urban_boundary"].outside.as_ref().unwrap().ratio;
        let want = theirs["outside_urban"].as_f64().unwrap();
        // geo's boolean ops (i_overlay) snap to a fixed-point grid: the overlap's edges sit
        // ~0.2 mm off shapely's here, 2e-6 of the square's area. Hence 1e-5, not 1e-9.
        assert!(
            (ours - want).abs() < 1e-5,
            "{what}: outside {ours} vs {want}"
        );
        // The Amap-derived outlines of neighbouring counties overlap by a sliver along their
        // border (3.7e-6 of this square), so the shares sum to 1 within 1e-5, and to what
        // pyproj's sum is within 1e-6.
        let sum: f64 = r.counties.iter().map(|c| c.share).sum();
        assert!(
            (sum - 1.0).abs() < 1e-5,
            "{what}: county shares sum to {sum}"
        );
        let theirs_sum: f64 = theirs["counties"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_f64().unwrap())
            .sum();
        assert!(
            (sum - theirs_sum).abs() < 1e-6,
            "{what}: {sum} vs {theirs_sum}"
        );
        let theirs_c = theirs["counties"].as_object().unwrap();
        assert_eq!(
            r.counties.len(),
            theirs_c.len(),
            "{what}: {:?} vs {theirs_c:?}",
            r.counties
        );
        for c in &r.counties {
            let want = theirs_c[&c.county].as_f64().unwrap();
            assert!(
                (c.share - want).abs() < 1e-6,
                "{what} {}: {} vs {want}",
                c.county,
                c.share
            );
        }
        if what == "county border" {
            assert_eq!(r.counties.len(), 2, "{:?}", r.counties);
            assert!(r.counties.iter().all(|c| c.share > 0.05));
        } else if what == "open country" {
            assert_eq!(r.counties.len(), 1, "{:?}", r.counties);
            assert!(want > 0.999, "wholly outside the towns: {want}");
        } else {
            assert!(
                want > 0.05 && want < 0.95,
                "the square straddles the edge: {want}"
            );
        }
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn near_means_a_constraint_within_the_buffer_and_unprotected_banks_never_make_a_site_near() {
    // 300 m east of the red line's easternmost vertex: every point of the zone is at least that
    // far west, and that vertex is exactly that far (parallel_arc is the closed form).
    let (_, zone) = zones("redline").swap_remove(0);
    let east = zone
        .0
        .iter()
        .flat_map(|p| p.exterior().0.iter())
        .copied()
        .fold(
            Coord {
                x: f64::MIN,
                y: 0.0,
            },
            |a, c| if c.x > a.x { c } else { a },
        );
    let dlon = 300.0 / parallel_arc(east.y, 1.0);
    let p = Geometry::Point(Point::new(east.x + dlon, east.y));
    let red = |b| {
        check(ds(), &p, &opts(Some(&["redline"]), b))
            .unwrap()
            .verdict
    };
    assert_eq!(red(350.0), Verdict::Near);
    assert_eq!(red(250.0), Verdict::Clear);

    // A site across an unprotected bank only: the hit is listed, the verdict is clear.
    let bank = ds()
        .layer("river_bank")
        .unwrap()
        .features_in(2025)
        .find(|f| f.properties.get("protected") == Some(&Value::Bool(false)))
        .unwrap();
    let Geometry::LineString(l) = &bank.geometry else {
        panic!("banks are lines")
    };
    let site = square(l.0[l.0.len() / 2], 0.0002);
    let r = check(
        ds(),
        &site,
        &opts(Some(&["river_bank", "redline", "shoreline"]), 0.0),
    )
    .unwrap();
    assert!(
        r.hits.iter().any(|h| h.id == bank.id && !h.constraint),
        "{:?}",
        r.hits
    );
    assert!(r.hits.iter().all(|h| !h.constraint));
    assert_eq!(r.verdict, Verdict::Clear);

    // Inside a town, 100 m from its edge: near the outside with a 150 m buffer, clear without.
    let (_, town) = zones("urban_boundary").swap_remove(0);
    let ring = &town.0[0].exterior().0;
    let east = ring.iter().copied().fold(
        Coord {
            x: f64::MIN,
            y: 0.0,
        },
        |a, c| if c.x > a.x { c } else { a },
    );
    let inside = Point::new(east.x - 100.0 / parallel_arc(east.y, 1.0), east.y);
    assert!(
        town.contains(&inside),
        "the point is inside the town (geo decides)"
    );
    let urban = |b| {
        check(
            ds(),
            &Geometry::Point(inside),
            &opts(Some(&["urban_boundary"]), b),
        )
        .unwrap()
    };
    assert_eq!(urban(150.0).verdict, Verdict::Near);
    let d = urban(150.0).summary["urban_boundary"]
        .outside
        .as_ref()
        .unwrap()
        .distance_m
        .unwrap();
    assert!(d <= 100.0 + 0.01, "{d}");
    assert_eq!(urban(0.0).verdict, Verdict::Clear);
}

#[test]
fn classes_are_checked_over_http_and_per_site_in_a_batch() {
    let to = app(Dataset::bundled().unwrap(), Limits::default());
    let c = rural_forest_point();
    let site = serde_json::json!({"type": "Point", "coordinates": [c.x, c.y]}).to_string();
    let r = request(
        to,
        "POST",
        "/check?type=industrial&class=bogus",
        site.as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let e = r.json();
    assert_eq!(e["error"], "invalid_parameter", "{e}");
    for c in ["ordinary", "provincial_key", "national_key"] {
        assert!(e["message"].as_str().unwrap().contains(c), "{e}");
    }
    let r = request(
        to,
        "POST",
        "/check?type=industrial&class=national_key&layers=urban_boundary",
        site.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["class"], "national_key");
    assert_eq!(r.json()["decision"], "restricted");
    assert_eq!(r.json()["counties"][0]["share"], 1.0);
    // A context layer is not screened.
    let r = request(to, "POST", "/check?layers=county", site.as_bytes());
    assert_eq!(r.status, 400, "{}", r.body);
    // In a batch each site's own class wins, and a bad one is that row's error only.
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "a", "properties": {"class": "national_key"}, "geometry": {"type": "Point", "coordinates": [c.x, c.y]}},
        {"type": "Feature", "id": "b", "properties": {}, "geometry": {"type": "Point", "coordinates": [c.x, c.y]}},
        {"type": "Feature", "id": "c", "properties": {"class": "mega"}, "geometry": {"type": "Point", "coordinates": [c.x, c.y]}}
    ]});
    let r = request(
        to,
        "POST",
        "/check/batch?type=industrial&layers=urban_boundary",
        fc.to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let rows: Vec<Value> = r.ndjson();
    assert_eq!(rows[0]["result"]["decision"], "restricted");
    assert_eq!(rows[1]["result"]["decision"], "prohibited");
    assert_eq!(
        rows[2]["error"]["error"], "invalid_parameter",
        "{}",
        rows[2]
    );
}

#[test]
fn the_report_shows_the_class_the_counties_and_the_part_outside_the_urban_boundary() {
    let to = app(Dataset::bundled().unwrap(), Limits::default());
    let c = rural_forest_point();
    let site = square(c, 0.002);
    let body = serde_json::json!({"type": "Feature", "properties": {},
        "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&site))})
    .to_string();
    let r = request(
        to,
        "POST",
        "/check/report?type=industrial&class=national_key&year=2025",
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let answer = check(ds(), &site, &opts(None, 0.0)).unwrap();
    assert!(
        r.body.contains("国家重大项目 (national_key)"),
        "class missing"
    );
    for county in &answer.counties {
        assert!(
            r.body.contains(&county.name),
            "county {} missing",
            county.name
        );
    }
    let outside = answer.summary["urban_boundary"]
        .outside
        .as_ref()
        .unwrap()
        .ratio;
    assert!(outside > 0.99, "a rural site: {outside}");
    assert!(
        r.body.contains(&format!("{:.1} %", outside * 100.0)),
        "outside share missing"
    );
}
