//! The binary as a user runs it: `serve` on an ephemeral port, `check`, `layers`.

mod common;
use common::*;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecospace"))
}

#[test]
fn serve_binds_an_ephemeral_port_and_answers() {
    let mut cmd = bin();
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(fixture("mini"));
    let (mut child, addr, _) = spawn_serve(cmd);
    let v = get(addr, "/health").json();
    assert_eq!(v["features"], 5);
    let r = post(
        addr,
        "/check?year=2025",
        &std::fs::read_to_string(fixture("site_in_a.geojson")).unwrap(),
    );
    assert_eq!(r.json()["id"], "plot-7");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn check_prints_a_table_and_json() {
    let out = bin()
        .args(["check", "--year", "2025", "--data"])
        .arg(fixture("mini"))
        .arg(fixture("site_in_a.geojson"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("CONFLICT 冲突"), "{text}");
    assert!(text.contains("方块A") && text.contains("within"), "{text}");

    let out = bin()
        .args(["check", "--json", "--year", "2025", "--data"])
        .arg(fixture("mini"))
        .arg(fixture("site_in_a.geojson"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    close(
        v["hits"][0]["overlap_area_m2"].as_f64().unwrap(),
        band_area(30.705, 30.715, 0.01),
        1e-6,
    );
}

#[test]
fn bad_input_fails_with_a_message_not_a_panic() {
    let dir = std::env::temp_dir().join(format!("ecospace-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.geojson");
    std::fs::write(&bad, r#"{"type":"Point","coordinates":[576600,3386000]}"#).unwrap();
    let out = bin()
        .args(["check", "--data"])
        .arg(fixture("mini"))
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("looks projected") && !err.contains("panicked"),
        "{err}"
    );
    let out = bin()
        .args(["layers", "--data", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/layers.toml"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn layers_lists_each_layer_with_its_total() {
    let out = bin()
        .args(["layers", "--year", "2019", "--data"])
        .arg(fixture("mini"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let want = format!("{:.3} km²", band_area(30.70, 30.72, 0.02) / 1e6);
    assert!(
        text.contains(&want) && text.contains("2 (1 in 2019)"),
        "{want} in\n{text}"
    );
}

/// The same site, the same options: `ecospace check --json` prints exactly what `POST /check`
/// answers, and `check --batch` exactly the rows `POST /check/batch` streams — for one Feature
/// and for a FeatureCollection of sites with their own project types, with rulings and rings.
#[test]
fn the_cli_and_http_give_the_same_json() {
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/jiaxing/samples");
    let http = app(
        ecospace::Dataset::bundled().unwrap(),
        ecospace::Limits::default(),
    );
    for (file, query, flags) in [
        (
            "site_qianmudang.geojson",
            "year=2025&buffer_m=500&type=industrial&rings=default",
            vec![
                "--year",
                "2025",
                "--buffer-m",
                "500",
                "--type",
                "industrial",
                "--rings",
                "default",
            ],
        ),
        (
            "site_qianmudang.geojson",
            "year=2018",
            vec!["--year", "2018"],
        ),
        (
            "key_projects.geojson",
            "year=2025&layers=redline,water_source&rings=0,1000",
            vec![
                "--year",
                "2025",
                "--layers",
                "redline,water_source",
                "--rings",
                "0,1000",
            ],
        ),
    ] {
        let path = samples.join(file);
        let cli = stdout_of(bin().arg("check").arg(&path).arg("--json").args(&flags));
        let served = post(
            http,
            &format!("/check?{query}"),
            &std::fs::read_to_string(&path).unwrap(),
        );
        assert_eq!(served.status, 200, "{}", served.body);
        let (a, b): (serde_json::Value, serde_json::Value) = (
            serde_json::from_str(&cli).unwrap(),
            serde_json::from_str(&served.body).unwrap(),
        );
        assert!(a == b, "{file} {query}: CLI\n{cli}\nHTTP\n{}", served.body);
        assert!(
            !cli.contains("-0.0") && !served.body.contains("-0.0"),
            "{file} {query}: a negative zero"
        );
        // The batch form: one NDJSON row per site, the same from both.
        let cli_rows = stdout_of(bin().arg("check").arg("--batch").arg(&path).args(&flags));
        let rows = post(
            http,
            &format!("/check/batch?{query}"),
            &std::fs::read_to_string(&path).unwrap(),
        );
        assert_eq!(rows.status, 200, "{}", rows.body);
        let parse = |t: &str| -> Vec<serde_json::Value> {
            t.lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        let (a, b) = (parse(&cli_rows), parse(&rows.body));
        assert!(!a.is_empty());
        assert!(a == b, "{file} {query}: batch rows differ");
    }
}

#[test]
fn the_table_shows_the_decision_and_the_rings_when_asked() {
    let site = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/jiaxing/samples/site_qianmudang.geojson");
    let text = stdout_of(
        bin()
            .args([
                "check",
                "--year",
                "2025",
                "--type",
                "industrial",
                "--rings",
                "0,1000",
            ])
            .arg(&site),
    );
    // The same screening in process: the table must say what it says.
    let ds = ecospace::Dataset::bundled().unwrap();
    let g = ecospace::site::parse(&std::fs::read(&site).unwrap(), 1).unwrap();
    let ecospace::site::SiteInput::One(s) = g else {
        panic!("one site")
    };
    let r = ecospace::screen(
        &ds,
        &s.geometry,
        &ecospace::CheckOptions {
            year: 2025,
            buffer_m: 0.0,
            layers: None,
        },
        &ecospace::Screening {
            project_type: Some("industrial".into()),
            rings_m: Some(vec![0.0, 1000.0]),
            ..Default::default()
        },
    )
    .unwrap();
    let decision = r.decision.unwrap().as_str().to_uppercase();
    assert!(
        text.contains(&format!(
            "decision 审查结论 for industrial (ordinary): {decision}"
        )),
        "{text}"
    );
    for h in &r.hits {
        let ruled = h.ruling.as_ref().map_or("-", |x| x.decision.as_str());
        let row = text
            .lines()
            .find(|l| l.contains(&h.hit.id))
            .unwrap_or_else(|| panic!("no row for {}: {text}", h.hit.id));
        assert!(row.trim_end().ends_with(ruled), "{row}");
    }
    let rings = r.rings.unwrap();
    assert!(text.contains("proximity rings 邻近范围"), "{text}");
    assert!(
        text.contains(&format!("{:.0}", rings[1].ring_area_m2)),
        "ring area {} in {text}",
        rings[1].ring_area_m2
    );
}
