//! `scripts/spark_screen.sh` (spark/screen.py on PySpark, local mode): 400 seeded sites, as a
//! GeoJSON FeatureCollection and as a CSV with WKT, screened on Spark in 4 partitions, each by
//! one `ecospace check --batch -` process. The rows must be the single-process rows of the same
//! file (same index too), the partitions spatially compact, and the GeoParquet output (read back
//! with pyarrow and shapely) must hold the same sites with the county and decision the rows say.
//! Needs Java 17+ and PySpark in `.venv/` (scripts/setup.sh installs both; spark_screen.sh
//! installs PySpark itself when it is missing).
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

mod common;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const N: usize = 400;
const PARTITIONS: usize = 4;
/// Where the invalid (bow-tie) sites go: near the four corners and the centre of the extent,
/// so that they fall into different partitions.
const BOW_TIES: [(usize, f64, f64); 5] = [
    (0, 120.34, 30.39),
    (97, 121.25, 30.39),
    (199, 120.34, 31.00),
    (301, 121.25, 31.00),
    (399, 120.80, 30.70),
];

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ecospace-spark-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// splitmix64: a seeded generator, so the sites are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [a, b).
    fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

enum Geom {
    Point(f64, f64),
    Ring(Vec<(f64, f64)>),
}

struct Site {
    id: String,
    name: String,
    ty: Option<&'static str>,
    geom: Geom,
}

/// Rectangles (sides 100–2,000 m), small convex polygons and points over the Jiaxing extent
/// (lon 120.30–121.30, lat 30.35–31.05), every tenth with its own project type, a few names
/// that need CSV quoting (a comma, quotes, a newline), and the bow-ties of [`BOW_TIES`].
fn sites() -> Vec<Site> {
    let mut rng = Rng(18);
    (0..N)
        .map(|i| {
            let (x, y) = (rng.uniform(120.30, 121.30), rng.uniform(30.35, 31.05));
            let kind = rng.uniform(0.0, 1.0);
            let m_lon = 111_320.0 * y.to_radians().cos();
            let geom = if let Some(&(_, bx, by)) = BOW_TIES.iter().find(|b| b.0 == i) {
                let d = 0.003;
                Geom::Ring(vec![
                    (bx, by),
                    (bx + d, by + d),
                    (bx + d, by),
                    (bx, by + d),
                    (bx, by),
                ])
            } else if kind < 0.6 {
                let w = rng.uniform(100.0, 2000.0) / m_lon;
                let h = rng.uniform(100.0, 2000.0) / 110_900.0;
                Geom::Ring(vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)])
            } else if kind < 0.8 {
                let r = rng.uniform(80.0, 800.0) / 110_900.0;
                let k = 5 + (rng.next() % 4) as usize;
                let mut ring: Vec<(f64, f64)> = (0..k)
                    .map(|j| {
                        let a = std::f64::consts::TAU * j as f64 / k as f64;
                        (x + r * a.cos() * 110_900.0 / m_lon, y + r * a.sin())
                    })
                    .collect();
                ring.push(ring[0]);
                Geom::Ring(ring)
            } else {
                Geom::Point(x, y)
            };
            let name = match i {
                123 => "two\nlines".to_string(),
                i if i % 50 == 7 => format!("仓库 \"A\", 第{i}号"),
                i => format!("site {i}"),
            };
            Site {
                id: format!("S-{i:04}"),
                name,
                ty: (i % 10 == 3).then_some("road"),
                geom,
            }
        })
        .collect()
}

fn geojson_geometry(g: &Geom) -> Value {
    match g {
        Geom::Point(x, y) => json!({"type": "Point", "coordinates": [x, y]}),
        Geom::Ring(r) => json!({
            "type": "Polygon",
            "coordinates": [r.iter().map(|(x, y)| json!([x, y])).collect::<Vec<_>>()],
        }),
    }
}

fn write_geojson(sites: &[Site], path: &Path) {
    let features: Vec<Value> = sites
        .iter()
        .map(|st| {
            let mut props = json!({"name": st.name});
            if let Some(t) = st.ty {
                props["type"] = json!(t);
            }
            json!({"type": "Feature", "id": st.id, "properties": props,
                   "geometry": geojson_geometry(&st.geom)})
        })
        .collect();
    let fc = json!({"type": "FeatureCollection", "features": features});
    std::fs::write(path, serde_json::to_vec(&fc).unwrap()).unwrap();
}

/// A CSV cell, quoted (doubled quotes) when it needs to be.
fn cell(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

fn write_csv(sites: &[Site], path: &Path) {
    // f64's Display is the shortest text that reads back as the same f64, as serde_json's.
    let mut out = String::from("id,name,type,wkt\n");
    for st in sites {
        let wkt = match &st.geom {
            Geom::Point(x, y) => format!("POINT ({x} {y})"),
            Geom::Ring(r) => {
                let pts: Vec<String> = r.iter().map(|(x, y)| format!("{x} {y}")).collect();
                format!("POLYGON (({}))", pts.join(", "))
            }
        };
        out += &format!(
            "{},{},{},{}\n",
            cell(&st.id),
            cell(&st.name),
            st.ty.unwrap_or(""),
            cell(&wkt)
        );
    }
    std::fs::write(path, out).unwrap();
}

fn parse_ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `ecospace check --batch FILE` run directly: the rows Spark must reproduce.
fn direct_rows(input: &Path, args: &[&str]) -> Vec<Value> {
    parse_ndjson(&common::stdout_of(
        Command::new(env!("CARGO_BIN_EXE_ecospace"))
            .args(["check", "--batch", s(input)])
            .args(args),
    ))
}

fn spark_screen(input: &Path, out: &Path, args: &[&str]) -> Output {
    Command::new("bash")
        .arg(root().join("scripts/spark_screen.sh"))
        .arg(input)
        .arg(out)
        .args(args)
        .env("ECOSPACE_BIN", env!("CARGO_BIN_EXE_ecospace"))
        .output()
        .unwrap()
}

/// The part files of OUT/ndjson, by name, with their rows.
fn parts(out: &Path) -> BTreeMap<String, Vec<Value>> {
    std::fs::read_dir(out.join("ndjson"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            (name, parse_ndjson(&std::fs::read_to_string(&p).unwrap()))
        })
        .collect()
}

fn by_id(rows: &[Value]) -> BTreeMap<String, &Value> {
    let m: BTreeMap<String, &Value> = rows
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r))
        .collect();
    assert_eq!(m.len(), rows.len(), "ids are distinct");
    m
}

/// Sum of the areas (degrees²) of the boxes of each group of rows, from the rows' own
/// `result.site.bbox`.
fn bbox_area_sum<'a>(groups: impl Iterator<Item = Vec<&'a Value>>) -> f64 {
    groups
        .map(|rows| {
            let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
            for r in rows {
                if let Some(bb) = r["result"]["site"]["bbox"].as_array() {
                    let v: Vec<f64> = bb.iter().map(|x| x.as_f64().unwrap()).collect();
                    b = [
                        b[0].min(v[0]),
                        b[1].min(v[1]),
                        b[2].max(v[2]),
                        b[3].max(v[3]),
                    ];
                }
            }
            (b[2] - b[0]) * (b[3] - b[1])
        })
        .sum()
}

/// The county and decision a row's GeoParquet partition must have.
fn expected_keys(row: &Value) -> (String, String) {
    let r = &row["result"];
    if r.is_null() {
        return ("none".into(), "error".into());
    }
    let county = r["counties"][0]["county"]
        .as_str()
        .unwrap_or("none")
        .to_string();
    let decision = r["decision"]
        .as_str()
        .or(r["verdict"].as_str())
        .unwrap()
        .to_string();
    (county, decision)
}

/// Reads OUT/geoparquet with pyarrow (Hive partitions as strings) and shapely: per row its
/// partition values and whether its WKB is the input geometry; per file its `geo` metadata.
const READ_GEOPARQUET: &str = r#"
import glob, json, os, sys
import pyarrow as pa, pyarrow.dataset as ds, pyarrow.parquet as pq
import shapely
from shapely.geometry import shape
root, sites = sys.argv[1], sys.argv[2]
features = {f["id"]: f for f in json.load(open(sites, encoding="utf-8"))["features"]}
part = ds.partitioning(pa.schema([("county", pa.string()), ("decision", pa.string())]), flavor="hive")
rows = []
for r in ds.dataset(root, format="parquet", partitioning=part).to_table().to_pylist():
    g = shapely.from_wkb(r.pop("geometry"))
    want = shape(features[r["id"]]["geometry"])
    # A bow-tie is invalid: `equals` is topological and needs valid input; compare it vertex by vertex.
    r["equals"] = bool(g.equals(want)) if want.is_valid else bool(shapely.equals_exact(g, want, 0.0))
    r["vertex_exact"] = bool(shapely.equals_exact(g, want, 0.0))
    rows.append(r)
files = []
for p in sorted(glob.glob(os.path.join(root, "*", "*", "*.parquet"))):
    t = pq.read_table(p, partitioning=None)
    files.append({"path": os.path.relpath(p, root), "ids": t.column("id").to_pylist(),
                  "geo": json.loads(pq.ParquetFile(p).schema_arrow.metadata[b"geo"])})
json.dump({"rows": rows, "files": files}, sys.stdout, ensure_ascii=False)
"#;

fn read_geoparquet(dir: &Path, sites: &Path) -> Value {
    let text = common::stdout_of(
        common::python()
            .arg("-c")
            .arg(READ_GEOPARQUET)
            .arg(dir)
            .arg(sites),
    );
    serde_json::from_str(&text).unwrap()
}

/// One input format end to end: Spark's rows against the direct run's, the partitions, the
/// summary and the GeoParquet output.
fn screen_on_spark(tag: &str, csv: bool) {
    let dir = tmp(tag);
    let sites = sites();
    let geojson = dir.join("sites.geojson");
    write_geojson(&sites, &geojson);
    let input = if csv {
        let p = dir.join("sites.csv");
        write_csv(&sites, &p);
        p
    } else {
        geojson.clone()
    };
    let out_dir = dir.join("out");
    let run = spark_screen(
        &input,
        &out_dir,
        &[
            "--master",
            "local[2]",
            "--partitions",
            &PARTITIONS.to_string(),
            "--year",
            "2025",
            "--type",
            "industrial",
            "--geoparquet",
        ],
    );
    assert!(
        run.status.success(),
        "spark_screen.sh failed:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );

    // The rows: what `check --batch` prints for the same file, value for value, index too.
    let direct = direct_rows(&input, &["--year", "2025", "--type", "industrial"]);
    assert_eq!(direct.len(), N);
    let parts = parts(&out_dir);
    let spark: Vec<Value> = parts.values().flatten().cloned().collect();
    assert_eq!(spark.len(), N, "one row per site");
    let (want, got) = (by_id(&direct), by_id(&spark));
    assert_eq!(
        want.keys().collect::<Vec<_>>(),
        got.keys().collect::<Vec<_>>()
    );
    for (id, w) in &want {
        assert_eq!(got[id], *w, "{tag}: row of {id}");
    }
    let indices: BTreeSet<u64> = spark.iter().map(|r| r["index"].as_u64().unwrap()).collect();
    assert_eq!(indices, (0..N as u64).collect());
    // The site's own type wins over --type, in both runs.
    assert_eq!(want["S-0003"]["type"], "road");
    assert_eq!(want["S-0004"]["type"], "industrial");
    assert_eq!(want["S-0123"]["name"], "two\nlines");

    // The bow-ties are error rows (not a failed task), and the only ones.
    let bow_ties: BTreeSet<String> = BOW_TIES.iter().map(|b| format!("S-{:04}", b.0)).collect();
    let errors: BTreeSet<String> = spark
        .iter()
        .filter(|r| !r["error"].is_null())
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(errors, bow_ties, "{tag}");
    for id in &bow_ties {
        assert_eq!(
            got[id]["error"]["error"], "self_intersection",
            "{tag}: {id}"
        );
        assert!(got[id]["result"].is_null());
    }
    // ... and they were screened by different partitions (their corners of the extent).
    let parts_with_errors = parts
        .values()
        .filter(|rows| rows.iter().any(|r| !r["error"].is_null()))
        .count();
    assert!(
        parts_with_errors >= 3,
        "{tag}: bow-ties in {parts_with_errors} partitions"
    );

    // Partitions: exactly the ones asked for, each a compact area. The boxes of 4 spatial
    // partitions overlap little; 4 runs of the input order (what a split that ignores
    // geometry gives) each span about the whole extent.
    let names: Vec<&str> = parts.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "part-00000.ndjson",
            "part-00001.ndjson",
            "part-00002.ndjson",
            "part-00003.ndjson"
        ]
    );
    assert!(parts.values().all(|rows| !rows.is_empty()));
    let spatial = bbox_area_sum(parts.values().map(|rows| rows.iter().collect()));
    let mut in_order: Vec<&Value> = direct.iter().collect();
    in_order.sort_by_key(|r| r["index"].as_u64());
    let naive = bbox_area_sum(in_order.chunks(N / PARTITIONS).map(<[&Value]>::to_vec));
    let whole = bbox_area_sum(std::iter::once(direct.iter().collect()));
    assert!(
        spatial < 0.5 * naive && spatial < 1.6 * whole,
        "{tag}: partition boxes {spatial:.3} deg², input-order runs {naive:.3}, extent {whole:.3}"
    );

    // The summary agrees with the rows.
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["sites"], N);
    assert_eq!(summary["partitions"], PARTITIONS);
    assert_eq!(summary["errors"], bow_ties.len());
    let per_part: Vec<u64> = summary["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sites"].as_u64().unwrap())
        .collect();
    let files: Vec<u64> = parts.values().map(|r| r.len() as u64).collect();
    assert_eq!(per_part, files);

    // GeoParquet: the same sites, in the partition their row says, with the input geometry.
    let gp = read_geoparquet(&out_dir.join("geoparquet"), &geojson);
    let rows = gp["rows"].as_array().unwrap();
    assert_eq!(rows.len(), N);
    let gp_ids: BTreeSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(gp_ids.len(), N);
    for r in rows {
        let id = r["id"].as_str().unwrap();
        let w = want[id];
        let (county, decision) = expected_keys(w);
        assert_eq!(r["county"], county.as_str(), "{tag}: {id}");
        assert_eq!(r["decision"], decision.as_str(), "{tag}: {id}");
        assert_eq!(r["index"], w["index"], "{tag}: {id}");
        assert_eq!(r["name"], w["name"], "{tag}: {id}");
        assert_eq!(r["type"], w["type"], "{tag}: {id}");
        assert_eq!(r["verdict"], w["result"]["verdict"], "{tag}: {id}");
        assert_eq!(
            r["site_area_m2"], w["result"]["site"]["area_m2"],
            "{tag}: {id}"
        );
        assert_eq!(r["error"], w["error"]["error"], "{tag}: {id}");
        assert_eq!(r["error_message"], w["error"]["message"], "{tag}: {id}");
        if let Some(hits) = w["result"]["hits"].as_array() {
            assert_eq!(r["hit_count"], hits.len(), "{tag}: {id}");
            let text: Value = serde_json::from_str(r["hits"].as_str().unwrap()).unwrap();
            assert_eq!(&text, &w["result"]["hits"], "{tag}: {id}");
        }
        assert_eq!(
            r["equals"], true,
            "{tag}: {id}: WKB is not the input geometry"
        );
        assert_eq!(r["vertex_exact"], true, "{tag}: {id}");
    }
    let keys: BTreeSet<(String, String)> = want.values().map(|w| expected_keys(w)).collect();
    assert!(keys.len() > 3, "{tag}: only {keys:?}");
    assert!(keys.contains(&("none".to_string(), "error".to_string())));
    // Each file's `geo` metadata: GeoParquet 1.1, WKB, its own geometry types and box, from
    // the input sites it holds.
    let by_site: BTreeMap<&str, &Site> = sites.iter().map(|st| (st.id.as_str(), st)).collect();
    for f in gp["files"].as_array().unwrap() {
        let geo = &f["geo"];
        assert_eq!(geo["version"], "1.1.0");
        assert_eq!(geo["primary_column"], "geometry");
        let col = &geo["columns"]["geometry"];
        assert_eq!(col["encoding"], "WKB");
        let mut types = BTreeSet::new();
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for id in f["ids"].as_array().unwrap() {
            let pts = match &by_site[id.as_str().unwrap()].geom {
                Geom::Point(x, y) => {
                    types.insert("Point");
                    vec![(*x, *y)]
                }
                Geom::Ring(r) => {
                    types.insert("Polygon");
                    r.clone()
                }
            };
            for (x, y) in pts {
                b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
            }
        }
        assert_eq!(col["geometry_types"], json!(types), "{}", f["path"]);
        assert_eq!(col["bbox"], json!(b), "{}", f["path"]);
        let path = f["path"].as_str().unwrap();
        assert!(
            path.starts_with("county=") && path.contains("/decision="),
            "{path}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn geojson_on_spark_gives_the_single_process_rows() {
    screen_on_spark("geojson", false);
}

#[test]
fn csv_on_spark_gives_the_single_process_rows() {
    screen_on_spark("csv", true);
}

/// A partition whose ecospace fails as a whole (here: a year it refuses) fails the job, with
/// ecospace's own message, and writes no summary.
#[test]
fn a_failing_ecospace_fails_the_job_with_its_message() {
    let dir = tmp("fail");
    let sites = sites();
    let input = dir.join("sites.geojson");
    write_geojson(&sites[..40], &input);
    let direct = Command::new(env!("CARGO_BIN_EXE_ecospace"))
        .args(["check", "--batch", s(&input), "--year", "1800"])
        .output()
        .unwrap();
    assert!(!direct.status.success());
    let message = String::from_utf8(direct.stderr).unwrap();
    let message = message.trim();
    assert!(message.contains("1800"), "{message}");

    let out_dir = dir.join("out");
    let run = spark_screen(&input, &out_dir, &["--partitions", "2", "--year", "1800"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{stderr}");
    assert!(stderr.contains(message), "{stderr}");
    assert!(
        stderr.contains("spark_screen.sh: the Spark job failed"),
        "{stderr}"
    );
    assert!(!out_dir.join("summary.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
