//! Generates the bundled, ILLUSTRATIVE Jiaxing (嘉兴) dataset in `data/jiaxing/`.
//!
//! ```sh
//! cargo run --release --example gen_jiaxing -- --reference ../shared/reference/geometry --out data/jiaxing
//! ```
//!
//! The zones and rivers are placed by hand at the real places' approximate positions and shaped
//! by a seeded PRNG; only the county outlines (Amap-derived, reference only), the land mask and
//! the mainland shoreline (GSHHG, LGPL-3) come from the reference files. Shapes are then
//! calibrated so that the files, measured geodesically on the WGS84 ellipsoid AFTER rounding to
//! 1e-7°, reproduce the plan's figures (red line 108.80 km², reserves 47.75 km², natural shore
//! 22.53 % → 25.00 %, protected banks 12.22 % → 14 % → 20 %). Same inputs, same bytes.

use geo::orient::Direction;
use geo::{
    unary_union, Area, BooleanOps, ChaikinSmoothing, Contains, Coord, Distance, Geodesic,
    GeodesicArea, Geometry, InteriorPoint, Intersects, Length, LineString, MultiLineString,
    MultiPolygon, Orient, Point, Polygon, Validation,
};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::f64::consts::{PI, TAU};
use std::path::{Path, PathBuf};

#[path = "land_use.rs"]
mod land_use;

// ---------------------------------------------------------------------------------------------
// The plan's figures (嘉兴市生态文明建设规划（修编）2019–2025, tables 1 and 2).

const REDLINE_KM2: f64 = 108.80;
const RESERVE_KM2: f64 = 47.75;
const SHORE_NATURAL_2018: f64 = 0.2253;
const SHORE_NATURAL_2025: f64 = 0.25;
/// Protected share of the river banks by year. The plan fixes 2018, 2020 and 2025; the years in
/// between grow in even steps (illustrative).
const BANK_PROTECTED: [(i32, f64); 8] = [
    (2018, 0.1222),
    (2019, 0.1311),
    (2020, 0.1400),
    (2021, 0.1520),
    (2022, 0.1640),
    (2023, 0.1760),
    (2024, 0.1880),
    (2025, 0.2000),
];
const FIRST_YEAR: i32 = 2018;
const LAST_YEAR: i32 = 2025;

const COUNTIES: [(&str, &str); 7] = [
    ("330402", "南湖区"),
    ("330411", "秀洲区"),
    ("330421", "嘉善县"),
    ("330424", "海盐县"),
    ("330481", "海宁市"),
    ("330482", "平湖市"),
    ("330483", "桐乡市"),
];

// ---------------------------------------------------------------------------------------------
// Command line.

struct Args {
    reference: PathBuf,
    out: PathBuf,
}

fn parse_args() -> Args {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = Args {
        reference: root.join("../shared/reference/geometry"),
        out: root.join("data/jiaxing"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            // Relative paths are taken from the crate root, like the defaults.
            "--reference" => args.reference = root.join(value),
            "--out" => args.out = root.join(value),
            _ => panic!("unknown argument {a}; use --reference DIR --out DIR"),
        }
    }
    args
}

// ---------------------------------------------------------------------------------------------
// A tiny deterministic PRNG (splitmix64), so the data never depends on a crate's algorithm.

struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.unit()
    }
}

// ---------------------------------------------------------------------------------------------
// A local metric frame (metres east/north of an origin) for shaping blobs and offsetting banks.
// Scale factors are the ellipsoid's radii of curvature at the origin: over the few km of a zone
// the distortion is far below what matters for shapes; all measuring is geodesic anyway.

#[derive(Clone, Copy)]
struct Frame {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl Frame {
    fn at(lon0: f64, lat0: f64) -> Frame {
        let (a, f) = (6_378_137.0, 1.0 / 298.257_223_563);
        let e2 = f * (2.0 - f);
        let s = lat0.to_radians().sin();
        let w = 1.0 - e2 * s * s;
        let n = a / w.sqrt();
        let m = a * (1.0 - e2) / w.powf(1.5);
        Frame {
            lon0,
            lat0,
            kx: n * lat0.to_radians().cos() * PI / 180.0,
            ky: m * PI / 180.0,
        }
    }

    fn to_xy(self, c: Coord) -> Coord {
        Coord {
            x: (c.x - self.lon0) * self.kx,
            y: (c.y - self.lat0) * self.ky,
        }
    }

    fn to_lonlat(self, p: Coord) -> Coord {
        Coord {
            x: self.lon0 + p.x / self.kx,
            y: self.lat0 + p.y / self.ky,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reference inputs.

struct Reference {
    /// County adcode → Amap outline (WGS84); coastal counties' outlines run into the bay.
    admin: BTreeMap<String, MultiPolygon>,
    /// County adcode → outline ∩ GSHHG land.
    land: BTreeMap<String, MultiPolygon>,
    /// (county adcode, parts) of the GSHHG mainland shore; the city "total" feature is skipped.
    shore: Vec<(String, Vec<LineString>)>,
}

fn read_features(path: &Path) -> Vec<geojson::Feature> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    match text.parse::<geojson::GeoJson>() {
        Ok(geojson::GeoJson::FeatureCollection(fc)) => fc.features,
        Ok(_) => panic!("{}: not a FeatureCollection", path.display()),
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

fn geometry_of(f: &geojson::Feature) -> Geometry {
    let g = f
        .geometry
        .as_ref()
        .expect("reference feature without geometry");
    Geometry::<f64>::try_from(&g.value).expect("reference geometry converts to geo")
}

fn string_property(f: &geojson::Feature, key: &str) -> String {
    match f.property(key) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => panic!("reference feature without `{key}`"),
    }
}

fn as_multipolygon(g: Geometry) -> MultiPolygon {
    match g {
        Geometry::Polygon(p) => MultiPolygon(vec![p]),
        Geometry::MultiPolygon(mp) => mp,
        other => panic!("expected a polygon, found {other:?}"),
    }
}

fn as_lines(g: Geometry) -> Vec<LineString> {
    match g {
        Geometry::LineString(l) => vec![l],
        Geometry::MultiLineString(m) => m.0,
        other => panic!("expected a line, found {other:?}"),
    }
}

fn load_reference(dir: &Path) -> Reference {
    let by_adcode = |file: &str| -> BTreeMap<String, MultiPolygon> {
        read_features(&dir.join(file))
            .iter()
            .map(|f| (string_property(f, "adcode"), f))
            .filter(|(a, _)| COUNTIES.iter().any(|(c, _)| c == a))
            .map(|(a, f)| (a, as_multipolygon(geometry_of(f))))
            .collect()
    };
    let shore = read_features(&dir.join("jiaxing_shoreline_gshhg_wgs84.geojson"))
        .iter()
        .map(|f| (string_property(f, "county_adcode"), f))
        // The 330400 feature repeats the three county lines as a total: never use it twice.
        .filter(|(a, _)| a != "330400")
        .map(|(a, f)| (a, as_lines(geometry_of(f))))
        .collect();
    Reference {
        admin: by_adcode("jiaxing_admin_amap_wgs84.geojson"),
        land: by_adcode("jiaxing_land_wgs84.geojson"),
        shore,
    }
}

// ---------------------------------------------------------------------------------------------
// Rounding and cleaning: everything written is rounded to 1e-7° first and measured afterwards.

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Rounds coordinates and drops consecutive duplicates (zero-length segments).
fn rounded(coords: impl Iterator<Item = Coord>) -> Vec<Coord> {
    let mut out: Vec<Coord> = Vec::new();
    for c in coords {
        let r = Coord {
            x: round7(c.x),
            y: round7(c.y),
        };
        if out.last() != Some(&r) {
            out.push(r);
        }
    }
    out
}

fn clean_line(ls: &LineString) -> Option<LineString> {
    let v = rounded(ls.coords().copied());
    (v.len() >= 2).then(|| LineString::new(v))
}

/// Longest edge written for a zone (m). The files store straight lon/lat edges while areas are
/// measured on geodesic edges; on short edges the two agree to ~1e-9 relative, on the
/// multi-km offshore edges of the county outlines they would not.
const MAX_EDGE_M: f64 = 150.0;

/// Inserts evenly spaced points so that no edge is longer than about `MAX_EDGE_M`.
fn densified(ls: &LineString) -> Vec<Coord> {
    let mut out = Vec::with_capacity(ls.0.len());
    for w in ls.0.windows(2) {
        let d = Geodesic.distance(Point(w[0]), Point(w[1]));
        let n = (d / MAX_EDGE_M).ceil().max(1.0) as usize;
        out.extend((0..n).map(|k| w[0] + (w[1] - w[0]) * (k as f64 / n as f64)));
    }
    out.extend(ls.0.last().copied());
    out
}

fn clean_ring(ls: &LineString) -> Option<LineString> {
    let mut v = rounded(densified(ls).into_iter());
    if v.first() != v.last() {
        let first = v[0];
        v.push(first);
    }
    (v.len() >= 4).then(|| LineString::new(v))
}

/// Rounds a zone, drops slivers (< `min_m2`), orients it (exteriors CCW, holes CW) and makes
/// sure it is valid; a zone that rounding made invalid is re-normalised by a union and rounded
/// again.
fn clean_zone(mp: &MultiPolygon, min_m2: f64) -> MultiPolygon {
    let mut current = mp.clone();
    for _ in 0..4 {
        let polys: Vec<Polygon> = current
            .iter()
            .filter_map(|p| {
                let ext = clean_ring(p.exterior())?;
                let holes = p
                    .interiors()
                    .iter()
                    .filter_map(clean_ring)
                    .filter(|h| Polygon::new(h.clone(), vec![]).geodesic_area_unsigned() >= min_m2)
                    .collect();
                let poly = Polygon::new(ext, holes);
                (poly.geodesic_area_unsigned() >= min_m2).then_some(poly)
            })
            .collect();
        let out = MultiPolygon(polys).orient(Direction::Default);
        if out.is_valid() {
            return out;
        }
        current = out.union(&MultiPolygon(vec![]));
    }
    panic!("zone stays invalid after rounding: {:?}", current.0.len())
}

fn area_m2(mp: &MultiPolygon) -> f64 {
    mp.geodesic_area_unsigned()
}

fn length_m(lines: &[LineString]) -> f64 {
    lines.iter().map(|l| Geodesic.length(l)).sum()
}

// ---------------------------------------------------------------------------------------------
// Output features.

struct Feat {
    id: String,
    props: Map<String, Value>,
    geom: Geometry,
}

/// Hands out ids `PREFIX-COUNTY-NN`, numbered per county in creation order.
struct Ids {
    prefix: &'static str,
    next: BTreeMap<String, usize>,
}

impl Ids {
    fn new(prefix: &'static str) -> Ids {
        Ids {
            prefix,
            next: BTreeMap::new(),
        }
    }

    fn next(&mut self, county: &str) -> String {
        let n = self.next.entry(county.to_string()).or_insert(0);
        *n += 1;
        format!("{}-{}-{:02}", self.prefix, county, n)
    }
}

fn props(name: &str, county: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), json!(name));
    m.insert("county".into(), json!(county));
    m
}

fn zone_geometry(mp: MultiPolygon) -> Geometry {
    if mp.0.len() == 1 {
        Geometry::Polygon(mp.0[0].clone())
    } else {
        Geometry::MultiPolygon(mp)
    }
}

/// Writes a FeatureCollection, one feature per line so diffs stay readable.
fn write_layer(dir: &Path, layer: &str, feats: &[Feat]) {
    let mut text = String::from("{\"type\":\"FeatureCollection\",\"features\":[\n");
    for (i, f) in feats.iter().enumerate() {
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&f.geom));
        let feature = json!({
            "type": "Feature",
            "id": f.id,
            "properties": f.props,
            "geometry": serde_json::to_value(&geometry).expect("geometry serialises"),
        });
        text.push_str(&serde_json::to_string(&feature).expect("feature serialises"));
        text.push_str(if i + 1 < feats.len() { ",\n" } else { "\n" });
    }
    text.push_str("]}\n");
    let path = dir.join(format!("{layer}.geojson"));
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

// ---------------------------------------------------------------------------------------------
// Irregular zone shapes: star-shaped blobs with seeded noisy radii (a few low harmonics for the
// outline's lobes plus small per-vertex jitter), stretched and rotated in a local metric frame.

#[derive(Clone, Copy)]
struct Blob {
    lon: f64,
    lat: f64,
    radius_m: f64,
    /// Length/width ratio of the stretched blob (area kept at about π r²).
    aspect: f64,
    /// Direction of the long axis, degrees counter-clockwise from east.
    rotation_deg: f64,
    vertices: usize,
    seed: u64,
}

const fn blob(
    lon: f64,
    lat: f64,
    radius_m: f64,
    aspect: f64,
    rotation_deg: f64,
    seed: u64,
) -> Blob {
    Blob {
        lon,
        lat,
        radius_m,
        aspect,
        rotation_deg,
        vertices: 120,
        seed,
    }
}

/// The blob scaled by `scale` about its centre. Radii stay within ±33 % of the mean, so two blobs
/// on one centre whose radii differ by a factor > 2 are nested (used for water-source levels).
fn blob_polygon(b: &Blob, scale: f64) -> MultiPolygon {
    let mut rng = SplitMix64(b.seed);
    let harmonics: Vec<(f64, f64, f64)> = (2..=6)
        .map(|k| (f64::from(k), rng.range(0.02, 0.06), rng.range(0.0, TAU)))
        .collect();
    let frame = Frame::at(b.lon, b.lat);
    let (sx, sy) = (b.aspect.sqrt(), 1.0 / b.aspect.sqrt());
    let (sin_r, cos_r) = b.rotation_deg.to_radians().sin_cos();
    let mut ring: Vec<Coord> = (0..b.vertices)
        .map(|i| {
            let t = TAU * i as f64 / b.vertices as f64;
            let wobble: f64 = harmonics
                .iter()
                .map(|(k, a, p)| a * (k * t + p).sin())
                .sum();
            let r = b.radius_m * scale * (1.0 + wobble + rng.range(-0.03, 0.03));
            let (x, y) = (r * t.cos() * sx, r * t.sin() * sy);
            frame.to_lonlat(Coord {
                x: x * cos_r - y * sin_r,
                y: x * sin_r + y * cos_r,
            })
        })
        .collect();
    ring.push(ring[0]);
    MultiPolygon(vec![Polygon::new(LineString::new(ring), vec![])])
}

/// Finds the scale at which `area_at(scale)` (m², measured after rounding) equals the target, by
/// bisection. The area only grows with the scale (the clip mask is fixed), so this converges.
fn calibrate_scale(what: &str, target_m2: f64, area_at: impl Fn(f64) -> f64) -> f64 {
    bisect_scale(what, target_m2, (0.05, 4.0), 64, area_at)
}

/// The bisection behind [`calibrate_scale`], over `range` in `steps` halvings.
fn bisect_scale(
    what: &str,
    target_m2: f64,
    range: (f64, f64),
    steps: usize,
    area_at: impl Fn(f64) -> f64,
) -> f64 {
    let (mut lo, mut hi) = range;
    let (a_lo, a_hi) = (area_at(lo), area_at(hi));
    assert!(
        a_lo <= target_m2 && target_m2 <= a_hi,
        "{what}: target {:.4} km² outside [{:.4}, {:.4}]",
        target_m2 / 1e6,
        a_lo / 1e6,
        a_hi / 1e6
    );
    for _ in 0..steps {
        let mid = 0.5 * (lo + hi);
        if area_at(mid) < target_m2 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    if (area_at(lo) - target_m2).abs() < (area_at(hi) - target_m2).abs() {
        lo
    } else {
        hi
    }
}

/// Where a zone is clipped: to the county's land, or to its whole outline (sea included).
#[derive(Clone, Copy, PartialEq)]
enum Clip {
    Land,
    Outline,
}

fn clip_mask<'a>(r: &'a Reference, county: &str, clip: Clip) -> &'a MultiPolygon {
    let m = if clip == Clip::Land {
        &r.land
    } else {
        &r.admin
    };
    m.get(county)
        .unwrap_or_else(|| panic!("no county {county}"))
}

/// Slivers below this size (m²) left by clipping are dropped.
const MIN_PART_M2: f64 = 500.0;

// ---------------------------------------------------------------------------------------------
// Red line (生态保护红线).

struct ZoneSpec {
    name: &'static str,
    county: &'static str,
    shape: Blob,
    clip: Clip,
}

/// Red-line zones at the real places (positions approximate). The last one, the 长山河 corridor,
/// is scaled so that the union comes to exactly 108.80 km².
const REDLINE: [ZoneSpec; 12] = [
    ZoneSpec {
        name: "南北湖风景名胜区生态保护红线",
        county: "330424",
        shape: blob(120.912, 30.428, 4250.0, 1.35, 20.0, 101),
        clip: Clip::Land,
    },
    ZoneSpec {
        name: "九龙山—外蒲山生态保护红线",
        county: "330482",
        shape: blob(121.128, 30.600, 2300.0, 1.6, 15.0, 102),
        clip: Clip::Outline,
    },
    ZoneSpec {
        name: "王盘山岛群生态保护红线",
        county: "330482",
        shape: blob(121.318, 30.495, 3500.0, 1.2, 30.0, 103),
        clip: Clip::Outline,
    },
    ZoneSpec {
        name: "运河湾湿地生态保护红线",
        county: "330411",
        shape: blob(120.716, 30.878, 1900.0, 2.0, 95.0, 104),
        clip: Clip::Land,
    },
    ZoneSpec {
        name: "湘家荡生态保护红线",
        county: "330402",
        shape: blob(120.835, 30.795, 1650.0, 1.4, 40.0, 105),
        clip: Clip::Land,
    },
    ZoneSpec {
        name: "南湖生态保护红线",
        county: "330402",
        shape: blob(120.760, 30.752, 620.0, 1.3, 0.0, 106),
        clip: Clip::Land,
    },
    ZoneSpec {
        name: "长白荡生态保护红线",
        county: "330421",
        shape: blob(120.962, 30.972, 1500.0, 1.5, 70.0, 107),
        clip: Clip::Land,
    },
    ZoneSpec {
        name: "祥符荡生态保护红线",
        county: "330421",
        shape: blob(120.875, 30.962, 1150.0, 1.3, 10.0, 108),
        clip: Clip::Land,
    },
    ZoneSpec {
        name: "鹃湖生态保护红线",
        county: "330481",
        shape: blob(120.700, 30.545, 1100.0, 1.3, 60.0, 109),
        clip: Clip::Land,
    },
    ZoneSpec {
        name: "千亩荡生态保护红线",
        county: "330424",
        shape: blob(120.840, 30.575, 1200.0, 1.3, 120.0, 110),
        clip: Clip::Land,
    },
    ZoneSpec {
        name: "京杭运河（桐乡石门段）生态保护红线",
        county: "330483",
        shape: blob(120.470, 30.615, 1400.0, 2.5, 60.0, 111),
        clip: Clip::Land,
    },
    ZoneSpec {
        name: "长山河生态廊道生态保护红线",
        county: "330481",
        shape: blob(120.755, 30.455, 2400.0, 3.5, -35.0, 112),
        clip: Clip::Land,
    },
];

fn zone_at(r: &Reference, s: &ZoneSpec, scale: f64) -> MultiPolygon {
    let clipped = blob_polygon(&s.shape, scale).intersection(clip_mask(r, s.county, s.clip));
    clean_zone(&clipped, MIN_PART_M2)
}

/// Red-line zones (name, county, geometry); their union is 108.80 km².
fn build_redline(r: &Reference) -> Vec<(&'static ZoneSpec, MultiPolygon)> {
    let (fixed, calibrated) = REDLINE.split_at(REDLINE.len() - 1);
    let mut zones: Vec<(&ZoneSpec, MultiPolygon)> =
        fixed.iter().map(|s| (s, zone_at(r, s, 1.0))).collect();
    let fixed_m2: f64 = zones.iter().map(|(_, g)| area_m2(g)).sum();
    let s = &calibrated[0];
    let scale = calibrate_scale(s.name, REDLINE_KM2 * 1e6 - fixed_m2, |k| {
        area_m2(&zone_at(r, s, k))
    });
    zones.push((s, zone_at(r, s, scale)));
    zones
}

// ---------------------------------------------------------------------------------------------
// Nature reserves (自然保护地): each lies inside one red-line zone (so they never overlap and are
// 100 % inside the red line). 九龙山 and 运河湾 are scaled to their published areas; 南北湖 takes
// the rest of 47.75 km².

struct ReserveSpec {
    name: &'static str,
    /// Index into REDLINE of the zone it lies in.
    within: usize,
    shape: Blob,
    /// Published area to hit (km²), or None for the remainder / a fixed shape.
    target_km2: Option<f64>,
    calibrated_last: bool,
}

const RESERVES: [ReserveSpec; 4] = [
    ReserveSpec {
        name: "九龙山国家森林公园",
        within: 1,
        shape: blob(121.125, 30.603, 1300.0, 1.5, 15.0, 201),
        target_km2: Some(4.37),
        calibrated_last: false,
    },
    ReserveSpec {
        name: "运河湾国家湿地公园",
        within: 3,
        shape: blob(120.716, 30.878, 1700.0, 1.8, 95.0, 202),
        target_km2: Some(6.96),
        calibrated_last: false,
    },
    ReserveSpec {
        name: "平湖王盘山省级海洋自然公园（岛屿部分）",
        within: 2,
        shape: blob(121.318, 30.495, 3500.0, 1.2, 30.0, 203),
        target_km2: None,
        calibrated_last: false,
    },
    ReserveSpec {
        name: "南北湖省级风景名胜区（核心景区）",
        within: 0,
        shape: blob(120.912, 30.428, 3800.0, 1.3, 25.0, 204),
        target_km2: None,
        calibrated_last: true,
    },
];

fn reserve_at(r: &Reference, s: &ReserveSpec, red: &MultiPolygon, scale: f64) -> MultiPolygon {
    let county = REDLINE[s.within].county;
    // The island park keeps the sea the outline includes; the others are land parks.
    let clip = if s.within == 2 {
        Clip::Outline
    } else {
        Clip::Land
    };
    let clipped = blob_polygon(&s.shape, scale)
        .intersection(clip_mask(r, county, clip))
        .intersection(red);
    clean_zone(&clipped, MIN_PART_M2)
}

fn build_reserves(
    r: &Reference,
    red: &[(&'static ZoneSpec, MultiPolygon)],
) -> Vec<(&'static ReserveSpec, MultiPolygon)> {
    let mut out = Vec::new();
    for s in RESERVES.iter().filter(|s| !s.calibrated_last) {
        let mask = &red[s.within].1;
        let scale = match s.target_km2 {
            Some(t) => calibrate_scale(s.name, t * 1e6, |k| area_m2(&reserve_at(r, s, mask, k))),
            None => 1.0,
        };
        out.push((s, reserve_at(r, s, mask, scale)));
    }
    let done: f64 = out.iter().map(|(_, g)| area_m2(g)).sum();
    for s in RESERVES.iter().filter(|s| s.calibrated_last) {
        let mask = &red[s.within].1;
        let scale = calibrate_scale(s.name, RESERVE_KM2 * 1e6 - done, |k| {
            area_m2(&reserve_at(r, s, mask, k))
        });
        out.push((s, reserve_at(r, s, mask, scale)));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Drinking-water source protection zones (饮用水水源保护区): 8 sources, each a level-1 core, a
// level-2 ring around it (a hole where level 1 is) and a quasi zone (准保护区, level 3) around
// that. Radii grow by 2.5× and 2.2×, so the noisy outlines (±33 %) stay nested.

struct SourceSpec {
    source: &'static str,
    short: &'static str,
    county: &'static str,
    lon: f64,
    lat: f64,
    /// Level-1 radius (m); level 2 is 2.5×, quasi 5.5×.
    r1_m: f64,
    aspect: f64,
    rotation_deg: f64,
    seed: u64,
}

const SOURCES: [SourceSpec; 8] = [
    SourceSpec {
        source: "嘉兴市区贯泾港水源",
        short: "贯泾港",
        county: "330411",
        lon: 120.650,
        lat: 30.805,
        r1_m: 450.0,
        aspect: 2.0,
        rotation_deg: 80.0,
        seed: 301,
    },
    SourceSpec {
        source: "嘉兴石臼漾水源",
        short: "石臼漾",
        county: "330411",
        lon: 120.712,
        lat: 30.768,
        r1_m: 380.0,
        aspect: 1.4,
        rotation_deg: 30.0,
        seed: 302,
    },
    SourceSpec {
        source: "嘉善太浦河长白荡水源",
        short: "长白荡",
        county: "330421",
        lon: 120.965,
        lat: 30.982,
        r1_m: 420.0,
        aspect: 1.6,
        rotation_deg: 10.0,
        seed: 303,
    },
    SourceSpec {
        source: "海宁长山河水源",
        short: "长山河",
        county: "330481",
        lon: 120.600,
        lat: 30.516,
        r1_m: 450.0,
        aspect: 3.0,
        rotation_deg: -15.0,
        seed: 304,
    },
    SourceSpec {
        source: "海宁盐官下河水源",
        short: "盐官下河",
        county: "330481",
        lon: 120.530,
        lat: 30.440,
        r1_m: 400.0,
        aspect: 2.2,
        rotation_deg: 5.0,
        seed: 305,
    },
    SourceSpec {
        source: "海盐千亩荡水源",
        short: "千亩荡",
        county: "330424",
        lon: 120.842,
        lat: 30.577,
        r1_m: 480.0,
        aspect: 1.3,
        rotation_deg: 120.0,
        seed: 306,
    },
    SourceSpec {
        source: "平湖广陈塘水源（示意）",
        short: "广陈塘",
        county: "330482",
        lon: 121.095,
        lat: 30.775,
        r1_m: 420.0,
        aspect: 2.5,
        rotation_deg: 60.0,
        seed: 307,
    },
    SourceSpec {
        source: "桐乡康泾塘水源（示意）",
        short: "康泾塘",
        county: "330483",
        lon: 120.550,
        lat: 30.662,
        r1_m: 420.0,
        aspect: 2.5,
        rotation_deg: 100.0,
        seed: 308,
    },
];

/// (source, level, geometry) for all sources; later sources give way to earlier ones.
fn build_water_sources(r: &Reference) -> Vec<(&'static SourceSpec, u8, MultiPolygon)> {
    let mut out = Vec::new();
    let mut taken = MultiPolygon::<f64>(vec![]);
    for s in &SOURCES {
        let land = clip_mask(r, s.county, Clip::Land).difference(&taken);
        let shape = |k: f64| {
            let b = blob(s.lon, s.lat, s.r1_m * k, s.aspect, s.rotation_deg, s.seed);
            clean_zone(&blob_polygon(&b, 1.0).intersection(&land), MIN_PART_M2)
        };
        let (l1, l2, l3) = (shape(1.0), shape(2.5), shape(5.5));
        let ring2 = clean_zone(&l2.difference(&l1), MIN_PART_M2);
        let ring3 = clean_zone(&l3.difference(&l2), MIN_PART_M2);
        taken = taken.union(&l3);
        out.push((s, 1, l1));
        out.push((s, 2, ring2));
        out.push((s, 3, ring3));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Lines: cumulative geodesic distance and cutting a line at exact distances.

/// Cumulative geodesic distance (m) at each vertex.
fn chainage(ls: &LineString) -> Vec<f64> {
    let mut acc = vec![0.0];
    for w in ls.0.windows(2) {
        let d = Geodesic.distance(Point(w[0]), Point(w[1]));
        acc.push(acc.last().copied().unwrap_or(0.0) + d);
    }
    acc
}

/// The point at distance `d` along the line: linear interpolation inside the segment by its
/// share of the segment's geodesic length (segments are ≤ a few hundred m, where the geodesic
/// and the lon/lat chord agree to well under a millimetre).
fn point_at(ls: &LineString, ch: &[f64], d: f64) -> (usize, Coord) {
    let i = ch.partition_point(|&c| c <= d).clamp(1, ch.len() - 1);
    let seg = ch[i] - ch[i - 1];
    let t = if seg > 0.0 {
        ((d - ch[i - 1]) / seg).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (a, b) = (ls.0[i - 1], ls.0[i]);
    (i, a + (b - a) * t)
}

/// The stretch of `ls` between distances `from` and `to` (m), rounded and cleaned.
fn cut(ls: &LineString, ch: &[f64], from: f64, to: f64) -> Option<LineString> {
    let (i, start) = point_at(ls, ch, from);
    let (j, end) = point_at(ls, ch, to);
    let mut v = vec![start];
    v.extend(ls.0[i..j].iter().copied());
    v.push(end);
    clean_line(&LineString::new(v))
}

// ---------------------------------------------------------------------------------------------
// Shoreline (自然/人工岸线). The GSHHG mainland shore is cut into named stretches by distance
// along each county's line (km from the line's first vertex, in the file's direction).

#[derive(Clone, Copy)]
enum ShoreKind {
    Artificial,
    Natural,
    /// One of the plan's restoration segments: natural from `natural_from` (None: it stays an
    /// artificial, rebuilt seawall); `restored_year` is when the works were finished.
    Restoration {
        segment: &'static str,
        natural_from: Option<i32>,
        restored_year: i32,
    },
}

/// A stretch ends at a fixed distance, at the line's end, or at a distance the calibration
/// solves for.
#[derive(Clone, Copy)]
enum End {
    Km(f64),
    Last,
    /// End of the 南北湖–澉浦 bedrock coast: sets the 2018 natural share (22.53 %).
    Natural2018,
    /// End of the natural stretch in front of 长墙山: sets the 2025 share (25.00 %).
    Natural2025,
}

struct Stretch {
    end: End,
    name: &'static str,
    kind: ShoreKind,
}

const fn st(end: End, name: &'static str, kind: ShoreKind) -> Stretch {
    Stretch { end, name, kind }
}

const GANPU: &str = "澉浦长墙山工业园岸段";
const WEITU: &str = "海盐东段围涂二期外侧海塘岸段";
const DENGGUANG_SW: &str = "灯光山西南端北侧沿海段";
const YISHAN: &str = "益山沿海段";
const DENGGUANG_CHENSHAN: &str = "灯光山至陈山沿海段";
/// Start of the 澉浦长墙山 segment (km along the 海盐 line) and its length.
const GANPU_START_KM: f64 = 43.0;
const GANPU_LEN_KM: f64 = 0.800;

const fn restoration(segment: &'static str, natural_from: Option<i32>, year: i32) -> ShoreKind {
    ShoreKind::Restoration {
        segment,
        natural_from,
        restored_year: year,
    }
}

/// The shore plan: (county, part index, stretches in order along the part).
fn shore_plan() -> Vec<(&'static str, usize, Vec<Stretch>)> {
    use End::*;
    use ShoreKind::*;
    vec![
        // 海宁: the Qiantang estuary's north bank, from the 海盐 border westwards; seawall except
        // the foot of 尖山 (黄湾).
        (
            "330481",
            0,
            vec![
                st(Km(3.6), "黄湾海塘", Artificial),
                st(Km(6.3), "尖山基岩岸段", Natural),
                st(Km(30.0), "钱塘江北岸海塘（黄湾—盐官）", Artificial),
                st(Last, "钱塘江北岸海塘（盐官—许村）", Artificial),
            ],
        ),
        // 海盐: from the 平湖 border (独山港) south-west past 武原, 秦山 and 南北湖 to 澉浦.
        (
            "330424",
            0,
            vec![
                st(Km(2.0), "海盐东段海塘（独山港侧）", Artificial),
                st(Km(6.5), WEITU, restoration(WEITU, None, 2023)),
                st(Km(16.5), "武原海塘", Artificial),
                st(
                    Km(17.248),
                    DENGGUANG_SW,
                    restoration(DENGGUANG_SW, Some(2020), 2020),
                ),
                st(Km(18.0), "秦山海塘（灯光山段）", Artificial),
                st(
                    Km(19.0),
                    DENGGUANG_CHENSHAN,
                    restoration(DENGGUANG_CHENSHAN, Some(2018), 2018),
                ),
                st(
                    Km(20.78),
                    DENGGUANG_CHENSHAN,
                    restoration(DENGGUANG_CHENSHAN, Some(2021), 2021),
                ),
                st(Km(24.5), "秦山核电厂区海塘", Artificial),
                st(Km(25.003), YISHAN, restoration(YISHAN, Some(2020), 2020)),
                st(Km(29.5), "秦山—南北湖基岩岸段", Natural),
                st(Km(30.0), "南北湖海塘", Artificial),
                st(Natural2018, "南北湖—澉浦基岩岸段", Natural),
                st(Km(GANPU_START_KM), "澉浦海塘", Artificial),
                st(Natural2025, GANPU, restoration(GANPU, Some(2022), 2022)),
                st(
                    Km(GANPU_START_KM + GANPU_LEN_KM),
                    GANPU,
                    restoration(GANPU, None, 2022),
                ),
                st(Last, "澉浦西段海塘（长山闸）", Artificial),
            ],
        ),
        // 平湖: part 0 runs from 九龙山 west past 乍浦 to the 海盐 border; part 1 is a stub at
        // 外蒲山; part 2 runs from the 金山 border south-west to the north side of 九龙山.
        (
            "330482",
            0,
            vec![
                st(Km(5.0), "九龙山南侧基岩岸段", Natural),
                st(Last, "乍浦港区岸线", Artificial),
            ],
        ),
        ("330482", 1, vec![st(Last, "外蒲山基岩岸段", Natural)]),
        (
            "330482",
            2,
            vec![
                st(Km(12.0), "全塘—独山港海塘", Artificial),
                st(Last, "九龙山北侧基岩岸段", Natural),
            ],
        ),
    ]
}

/// Cut positions the calibration solves for (m along the 海盐 line).
#[derive(Clone, Copy)]
struct ShoreCuts {
    natural_2018_end: f64,
    natural_2025_end: f64,
}

fn build_shoreline(r: &Reference, cuts: ShoreCuts) -> Vec<Feat> {
    let mut ids = Ids::new("SL");
    let mut out = Vec::new();
    for (county, part, stretches) in shore_plan() {
        let line = &r
            .shore
            .iter()
            .find(|(c, _)| c == county)
            .unwrap_or_else(|| panic!("no shoreline for {county}"))
            .1[part];
        let ch = chainage(line);
        let total = ch[ch.len() - 1];
        let mut from = 0.0;
        for s in stretches {
            let to = match s.end {
                End::Km(k) => k * 1e3,
                End::Last => total,
                End::Natural2018 => cuts.natural_2018_end,
                End::Natural2025 => cuts.natural_2025_end,
            };
            assert!(
                to > from && to <= total + 1e-6,
                "{}: stretch ends out of order",
                s.name
            );
            let geom = cut(line, &ch, from, to.min(total)).expect("a stretch has a length");
            out.extend(shore_features(&mut ids, county, s.name, s.kind, geom));
            from = to;
        }
    }
    out
}

/// One stretch as features: a class change in year Y is two features on the same geometry,
/// the artificial one ending in Y and the natural one (naming it in `replaces`) starting in Y.
fn shore_features(
    ids: &mut Ids,
    county: &str,
    name: &str,
    kind: ShoreKind,
    geom: LineString,
) -> Vec<Feat> {
    let feature = |ids: &mut Ids, class: &str, extra: &[(&str, Value)]| {
        let mut p = props(name, county);
        p.insert("class".into(), json!(class));
        for (k, v) in extra {
            p.insert((*k).into(), v.clone());
        }
        Feat {
            id: ids.next(county),
            props: p,
            geom: Geometry::LineString(geom.clone()),
        }
    };
    match kind {
        ShoreKind::Artificial => vec![feature(ids, "artificial", &[])],
        ShoreKind::Natural => vec![feature(ids, "natural", &[])],
        ShoreKind::Restoration {
            segment,
            natural_from,
            restored_year,
        } => {
            let seg = ("restoration", json!(segment));
            let year = ("restored_year", json!(restored_year));
            match natural_from {
                None => vec![feature(ids, "artificial", &[seg, year])],
                Some(y) if y <= FIRST_YEAR => vec![feature(ids, "natural", &[seg, year])],
                Some(y) => {
                    let before = feature(ids, "artificial", &[seg.clone(), ("valid_to", json!(y))]);
                    let replaces = ("replaces", json!(before.id.clone()));
                    let after = feature(
                        ids,
                        "natural",
                        &[seg, year, ("valid_from", json!(y)), replaces],
                    );
                    vec![before, after]
                }
            }
        }
    }
}

/// Solves the two calibrated cuts so that the rounded features give exactly 22.53 % natural in
/// 2018 and 25.00 % in 2025. Natural length grows one for one with each cut, so a few Newton
/// steps (slope 1) settle any rounding residue.
fn calibrate_shoreline(r: &Reference) -> (ShoreCuts, Vec<Feat>) {
    let mut cuts = ShoreCuts {
        natural_2018_end: 35_000.0,
        natural_2025_end: (GANPU_START_KM + 0.3) * 1e3,
    };
    for _ in 0..4 {
        let feats = build_shoreline(r, cuts);
        let (n18, t18) = line_share(&feats, 2018, is_natural);
        cuts.natural_2018_end += SHORE_NATURAL_2018 * t18 - n18;
        let feats = build_shoreline(r, cuts);
        let (n25, t25) = line_share(&feats, 2025, is_natural);
        cuts.natural_2025_end += SHORE_NATURAL_2025 * t25 - n25;
        assert!(
            cuts.natural_2018_end < GANPU_START_KM * 1e3
                && cuts.natural_2025_end > GANPU_START_KM * 1e3
                && cuts.natural_2025_end < (GANPU_START_KM + GANPU_LEN_KM) * 1e3,
            "shore calibration left its stretch"
        );
    }
    (cuts, build_shoreline(r, cuts))
}

fn is_natural(p: &Map<String, Value>) -> bool {
    p.get("class") == Some(&json!("natural"))
}

fn is_protected(p: &Map<String, Value>) -> bool {
    p.get("protected") == Some(&json!(true))
}

fn valid_in(p: &Map<String, Value>, year: i32) -> bool {
    let from = p.get("valid_from").and_then(Value::as_i64);
    let to = p.get("valid_to").and_then(Value::as_i64);
    from.is_none_or(|a| a <= i64::from(year)) && to.is_none_or(|b| i64::from(year) < b)
}

fn feature_lines(g: &Geometry) -> Vec<LineString> {
    match g {
        Geometry::LineString(l) => vec![l.clone()],
        Geometry::MultiLineString(m) => m.0.clone(),
        _ => vec![],
    }
}

/// (matching length, total length) in m of the line features in force in `year`.
fn line_share(feats: &[Feat], year: i32, pred: fn(&Map<String, Value>) -> bool) -> (f64, f64) {
    let mut part = 0.0;
    let mut total = 0.0;
    for f in feats.iter().filter(|f| valid_in(&f.props, year)) {
        let l = length_m(&feature_lines(&f.geom));
        total += l;
        if pred(&f.props) {
            part += l;
        }
    }
    (part, total)
}

// ---------------------------------------------------------------------------------------------
// River banks (河湖岸线). Rivers are routed by hand through waypoints listed downstream (lon/lat
// read off general maps; NOT derived from any river dataset), smoothed, given gentle seeded
// meanders, and offset by ± half their width in a local metric frame into a left and a right
// bank ("left" looking downstream). Banks are clipped to each county's land.

struct River {
    name: &'static str,
    width_m: f64,
    /// Peak-to-peak scale of the meanders (m): small for dug channels.
    meander_m: f64,
    seed: u64,
    waypoints: &'static [(f64, f64)],
}

const RIVERS: [River; 8] = [
    River {
        name: "京杭运河",
        width_m: 80.0,
        meander_m: 120.0,
        seed: 401,
        waypoints: &[
            (120.335, 30.503),
            (120.370, 30.520),
            (120.405, 30.533),
            (120.435, 30.548),
            (120.452, 30.578),
            (120.468, 30.612),
            (120.500, 30.637),
            (120.545, 30.662),
            (120.590, 30.690),
            (120.635, 30.718),
            (120.680, 30.745),
            (120.712, 30.760),
            (120.728, 30.785),
            (120.722, 30.825),
            (120.716, 30.862),
            (120.712, 30.895),
            (120.708, 30.935),
        ],
    },
    River {
        name: "长山河",
        width_m: 60.0,
        meander_m: 200.0,
        seed: 402,
        waypoints: &[
            (120.440, 30.556),
            (120.480, 30.545),
            (120.530, 30.533),
            (120.580, 30.522),
            (120.630, 30.508),
            (120.680, 30.494),
            (120.730, 30.470),
            (120.780, 30.440),
            (120.820, 30.412),
            (120.850, 30.392),
            (120.872, 30.376),
            (120.878, 30.366),
        ],
    },
    River {
        name: "太浦河",
        width_m: 150.0,
        meander_m: 40.0,
        seed: 403,
        waypoints: &[
            (120.800, 30.998),
            (120.840, 30.988),
            (120.878, 30.992),
            (120.905, 31.008),
            (120.940, 31.004),
            (120.972, 31.010),
            (120.984, 31.003),
        ],
    },
    River {
        name: "海盐塘",
        width_m: 45.0,
        meander_m: 250.0,
        seed: 404,
        waypoints: &[
            (120.935, 30.525),
            (120.900, 30.570),
            (120.870, 30.610),
            (120.840, 30.650),
            (120.800, 30.690),
            (120.770, 30.728),
            (120.762, 30.742),
        ],
    },
    River {
        name: "平湖塘",
        width_m: 45.0,
        meander_m: 250.0,
        seed: 405,
        waypoints: &[
            (120.778, 30.752),
            (120.820, 30.746),
            (120.870, 30.735),
            (120.920, 30.722),
            (120.965, 30.708),
            (121.005, 30.700),
        ],
    },
    River {
        name: "红旗塘",
        width_m: 60.0,
        meander_m: 150.0,
        seed: 406,
        waypoints: &[
            (120.850, 30.842),
            (120.890, 30.846),
            (120.930, 30.851),
            (120.970, 30.858),
            (121.010, 30.862),
        ],
    },
    River {
        name: "嘉善塘",
        width_m: 40.0,
        meander_m: 200.0,
        seed: 407,
        waypoints: &[
            (120.775, 30.768),
            (120.810, 30.785),
            (120.850, 30.803),
            (120.885, 30.820),
            (120.915, 30.836),
        ],
    },
    River {
        name: "乍浦塘",
        width_m: 40.0,
        meander_m: 200.0,
        seed: 408,
        waypoints: &[
            (121.088, 30.612),
            (121.075, 30.635),
            (121.055, 30.660),
            (121.035, 30.682),
            (121.018, 30.698),
        ],
    },
];

/// Which stretches get protected first: (river, county) in order, both banks each. Protection
/// spreads along this list year by year until it covers the year's share of all banks.
const PROTECTION_ORDER: [(&str, &str); 10] = [
    ("太浦河", "330421"),
    ("京杭运河", "330411"),
    ("长山河", "330481"),
    ("京杭运河", "330483"),
    ("红旗塘", "330421"),
    ("海盐塘", "330424"),
    ("京杭运河", "330402"),
    ("长山河", "330483"),
    ("乍浦塘", "330482"),
    ("平湖塘", "330482"),
];

/// Left and right bank of a river, in lon/lat.
fn river_banks(river: &River) -> [(&'static str, LineString); 2] {
    let (lon0, lat0) = river.waypoints[0];
    let frame = Frame::at(lon0, lat0);
    let xy: LineString = river
        .waypoints
        .iter()
        .map(|&(x, y)| frame.to_xy(Coord { x, y }))
        .collect();
    // Smooth the corners, then resample every ~100 m so meanders and offsets are smooth.
    let smooth = xy.chaikin_smoothing(3);
    let mut dense: Vec<Coord> = vec![smooth.0[0]];
    for w in smooth.0.windows(2) {
        let d = (w[1] - w[0]).x.hypot((w[1] - w[0]).y);
        let n = (d / 100.0).ceil().max(1.0) as usize;
        dense.extend((1..=n).map(|k| w[0] + (w[1] - w[0]) * (k as f64 / n as f64)));
    }
    // Meanders: a sum of three long sine waves across the course, fading in at the ends.
    let mut rng = SplitMix64(river.seed);
    let waves: Vec<(f64, f64, f64)> = (0..3)
        .map(|_| {
            (
                rng.range(0.2, 0.5) * river.meander_m,
                rng.range(1800.0, 6000.0),
                rng.range(0.0, TAU),
            )
        })
        .collect();
    let across = normals(&dense);
    let mut s = 0.0;
    let course: Vec<Coord> = dense
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            if i > 0 {
                s += (p - dense[i - 1]).x.hypot((p - dense[i - 1]).y);
            }
            let offset: f64 = waves
                .iter()
                .map(|(a, l, ph)| a * (TAU * s / l + ph).sin())
                .sum();
            p + across[i] * offset
        })
        .collect();
    let course_normals = normals(&course);
    let bank = |sign: f64| -> LineString {
        course
            .iter()
            .zip(&course_normals)
            .map(|(&p, &n)| frame.to_lonlat(p + n * (sign * river.width_m / 2.0)))
            .collect()
    };
    [("left", bank(1.0)), ("right", bank(-1.0))]
}

/// Unit left-hand normals at each vertex (from the neighbouring vertices).
fn normals(pts: &[Coord]) -> Vec<Coord> {
    (0..pts.len())
        .map(|i| {
            let a = pts[i.saturating_sub(1)];
            let b = pts[(i + 1).min(pts.len() - 1)];
            let d = b - a;
            let len = d.x.hypot(d.y);
            Coord {
                x: -d.y / len,
                y: d.x / len,
            }
        })
        .collect()
}

/// A bank stretch inside one county.
struct BankPiece {
    river: &'static str,
    side: &'static str,
    county: &'static str,
    line: LineString,
}

/// All bank pieces, in protection order (prioritised stretches first, then the rest).
fn bank_pieces(r: &Reference) -> Vec<BankPiece> {
    let mut pieces = Vec::new();
    for river in &RIVERS {
        for (side, bank) in river_banks(river) {
            for (county, _) in COUNTIES {
                let land = clip_mask(r, county, Clip::Land);
                let clipped = land.clip(&MultiLineString(vec![bank.clone()]), false);
                for part in clipped.iter().filter_map(clean_line) {
                    // Crossings of a county border leave stubs of a few metres: drop them.
                    if Geodesic.length(&part) >= 50.0 {
                        pieces.push(BankPiece {
                            river: river.name,
                            side,
                            county,
                            line: part,
                        });
                    }
                }
            }
        }
    }
    let rank = |p: &BankPiece| {
        PROTECTION_ORDER
            .iter()
            .position(|&(river, county)| river == p.river && county == p.county)
            .unwrap_or(PROTECTION_ORDER.len())
    };
    // Stable sort: within a rank, river order, then left before right, then along the bank.
    pieces.sort_by_key(rank);
    pieces
}

/// Builds the bank features for protected prefix lengths `reach[y]` (m along the ordered
/// pieces) per year: a stretch whose end lies within year Y's reach is protected from Y on.
fn build_banks(pieces: &[BankPiece], reach: &[(i32, f64)]) -> Vec<Feat> {
    let mut ids = Ids::new("RB");
    let mut out = Vec::new();
    let mut start = 0.0;
    for p in pieces {
        let ch = chainage(&p.line);
        let len = ch[ch.len() - 1];
        // Cut where a year's reach ends inside this piece.
        let mut cuts: Vec<f64> = reach
            .iter()
            .map(|&(_, d)| d - start)
            .filter(|&d| d > 1.0 && d < len - 1.0)
            .collect();
        cuts.dedup_by(|a, b| (*a - *b).abs() < 1.0);
        let bounds: Vec<f64> = std::iter::once(0.0).chain(cuts).chain([len]).collect();
        for w in bounds.windows(2) {
            let end = start + w[1];
            let from_year = reach
                .iter()
                .find(|&&(_, d)| d >= end - 1e-6)
                .map(|&(y, _)| y);
            let Some(geom) = cut(&p.line, &ch, w[0], w[1]) else {
                continue;
            };
            out.extend(bank_features(&mut ids, p, from_year, geom));
        }
        start += len;
    }
    out
}

fn bank_features(
    ids: &mut Ids,
    p: &BankPiece,
    from_year: Option<i32>,
    geom: LineString,
) -> Vec<Feat> {
    let side_zh = if p.side == "left" { "左" } else { "右" };
    let name = format!("{}{}岸", p.river, side_zh);
    let feature = |ids: &mut Ids, protected: bool, extra: &[(&str, Value)]| {
        let mut m = props(&name, p.county);
        m.insert("river".into(), json!(p.river));
        m.insert("side".into(), json!(p.side));
        m.insert("protected".into(), json!(protected));
        for (k, v) in extra {
            m.insert((*k).into(), v.clone());
        }
        Feat {
            id: ids.next(p.county),
            props: m,
            geom: Geometry::LineString(geom.clone()),
        }
    };
    match from_year {
        None => vec![feature(ids, false, &[])],
        Some(y) if y <= FIRST_YEAR => vec![feature(ids, true, &[])],
        Some(y) => {
            let before = feature(ids, false, &[("valid_to", json!(y))]);
            let replaces = ("replaces", json!(before.id.clone()));
            let after = feature(ids, true, &[("valid_from", json!(y)), replaces]);
            vec![before, after]
        }
    }
}

/// Solves each year's reach so the rounded features give exactly the year's protected share.
fn calibrate_banks(r: &Reference) -> Vec<Feat> {
    let pieces = bank_pieces(r);
    let total: f64 = pieces.iter().map(|p| Geodesic.length(&p.line)).sum();
    let mut reach: Vec<(i32, f64)> = BANK_PROTECTED
        .iter()
        .map(|&(y, s)| (y, s * total))
        .collect();
    for _ in 0..3 {
        let feats = build_banks(&pieces, &reach);
        for (y, d) in &mut reach {
            let share = BANK_PROTECTED
                .iter()
                .find(|(yy, _)| yy == y)
                .map(|(_, s)| *s);
            let (n, t) = line_share(&feats, *y, is_protected);
            *d += share.unwrap_or(0.0) * t - n;
        }
    }
    build_banks(&pieces, &reach)
}

// ---------------------------------------------------------------------------------------------
// Assembling the zone layers as features.

fn redline_features(zones: &[(&'static ZoneSpec, MultiPolygon)]) -> Vec<Feat> {
    let mut ids = Ids::new("RL");
    zones
        .iter()
        .map(|(s, g)| Feat {
            id: ids.next(s.county),
            props: props(s.name, s.county),
            geom: zone_geometry(g.clone()),
        })
        .collect()
}

fn reserve_features(reserves: &[(&'static ReserveSpec, MultiPolygon)]) -> Vec<Feat> {
    let mut ids = Ids::new("NR");
    reserves
        .iter()
        .map(|(s, g)| {
            let county = REDLINE[s.within].county;
            Feat {
                id: ids.next(county),
                props: props(s.name, county),
                geom: zone_geometry(g.clone()),
            }
        })
        .collect()
}

fn water_features(zones: &[(&'static SourceSpec, u8, MultiPolygon)]) -> Vec<Feat> {
    let mut ids = Ids::new("WS");
    zones
        .iter()
        .map(|(s, level, g)| {
            let what = match level {
                1 => "一级保护区",
                2 => "二级保护区",
                _ => "准保护区",
            };
            let mut p = props(&format!("{}饮用水水源{}", s.short, what), s.county);
            p.insert("source".into(), json!(s.source));
            p.insert("level".into(), json!(level));
            Feat {
                id: ids.next(s.county),
                props: p,
                geom: zone_geometry(g.clone()),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Checking the written files: read back, validate, measure, print the calibration report.

struct ReadBack {
    id: String,
    props: Map<String, Value>,
    geom: Geometry,
}

fn read_back(dir: &Path, layer: &str) -> Vec<ReadBack> {
    read_features(&dir.join(format!("{layer}.geojson")))
        .iter()
        .map(|f| ReadBack {
            id: match &f.id {
                Some(geojson::feature::Id::String(s)) => s.clone(),
                other => panic!("{layer}: feature id {other:?} is not a string"),
            },
            props: f.properties.clone().unwrap_or_default(),
            geom: geometry_of(f),
        })
        .collect()
}

fn zone_mp(g: &Geometry) -> MultiPolygon {
    as_multipolygon(g.clone())
}

/// Validity, unique ids, county membership and year sanity for every feature of a layer.
fn check_layer(r: &Reference, layer: &str, feats: &[ReadBack]) {
    let mut seen = BTreeSet::new();
    for f in feats {
        assert!(seen.insert(f.id.clone()), "{layer}: duplicate id {}", f.id);
        assert!(f.geom.is_valid(), "{layer} {}: invalid geometry", f.id);
        let county = f.props.get("county").and_then(Value::as_str).unwrap_or("");
        let outline = r
            .admin
            .get(county)
            .unwrap_or_else(|| panic!("{layer} {}: county {county}", f.id));
        let point = f.geom.interior_point().expect("non-empty geometry");
        let inside = match &f.geom {
            Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
                let mp = zone_mp(&f.geom);
                // Rounding may move a vertex that sits on the county border by up to ~5 mm:
                // allow a 1 cm band along the zone's outline, nothing more.
                let perimeter: f64 = mp
                    .iter()
                    .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                    .map(|ring| Geodesic.length(ring))
                    .sum();
                // Slivers this thin can confuse the geodesic area's orientation; a planar
                // estimate (deg² → m² at Jiaxing's latitude) is plenty for a check.
                let outside = mp.difference(outline).unsigned_area() * 111_320.0_f64.powi(2) * 0.86;
                outline.contains(&point) && outside < 0.01 * perimeter
            }
            _ => outline.intersects(&point),
        };
        assert!(inside, "{layer} {}: not inside county {county}", f.id);
        if let (Some(a), Some(b)) = (
            f.props.get("valid_from").and_then(Value::as_i64),
            f.props.get("valid_to").and_then(Value::as_i64),
        ) {
            assert!(a < b, "{layer} {}: valid_from {a} ≥ valid_to {b}", f.id);
        }
    }
}

fn zone_report(layer: &str, feats: &[ReadBack], target_km2: Option<f64>) -> String {
    let mut s = String::new();
    for year in FIRST_YEAR..=LAST_YEAR {
        let live: Vec<MultiPolygon> = feats
            .iter()
            .filter(|f| valid_in(&f.props, year))
            .map(|f| zone_mp(&f.geom))
            .collect();
        let sum: f64 = live.iter().map(area_m2).sum::<f64>() / 1e6;
        let union = area_m2(&unary_union(&live)) / 1e6;
        if let Some(t) = target_km2 {
            assert!(
                (union - t).abs() < 1e-4,
                "{layer} {year}: union {union} vs {t}"
            );
            assert!(
                (union - sum).abs() < 1e-4,
                "{layer} {year}: features overlap"
            );
        }
        if year == FIRST_YEAR || year == LAST_YEAR {
            s += &format!(
                "  {year}: union {union:.6} km², sum of features {sum:.6} km² ({} features)\n",
                live.len()
            );
        }
    }
    s
}

fn share_report(
    layer: &str,
    feats: &[ReadBack],
    pred: fn(&Map<String, Value>) -> bool,
    targets: &[(i32, f64)],
) -> String {
    let as_feats: Vec<Feat> = feats
        .iter()
        .map(|f| Feat {
            id: f.id.clone(),
            props: f.props.clone(),
            geom: f.geom.clone(),
        })
        .collect();
    let mut s = String::new();
    let mut last = f64::NEG_INFINITY;
    for year in FIRST_YEAR..=LAST_YEAR {
        let (n, t) = line_share(&as_feats, year, pred);
        let pct = n / t * 100.0;
        assert!(pct >= last - 1e-9, "{layer}: share falls in {year}");
        last = pct;
        let target = targets
            .iter()
            .find(|(y, _)| *y == year)
            .map(|(_, v)| v * 100.0);
        if let Some(want) = target {
            assert!(
                (pct - want).abs() < 1e-4,
                "{layer} {year}: {pct} % vs {want} %"
            );
        }
        s += &format!(
            "  {year}: {:.3} km of {:.3} km = {pct:.5} %{}\n",
            n / 1e3,
            t / 1e3,
            target
                .map(|w| format!("  (plan {w:.2} %)"))
                .unwrap_or_default()
        );
    }
    s
}

fn report(r: &Reference, dir: &Path) -> String {
    let mut out = String::from(
        "Calibration report (files read back, WGS84 geodesic, after 1e-7° rounding)\n",
    );
    let layers = [
        "redline",
        "nature_reserve",
        "water_source",
        "shoreline",
        "river_bank",
    ];
    let data: BTreeMap<&str, Vec<ReadBack>> =
        layers.iter().map(|l| (*l, read_back(dir, l))).collect();
    for l in layers {
        check_layer(r, l, &data[l]);
    }
    out += "All features valid, ids unique, each inside the county it names.\n\n";

    out += &format!("redline (plan {REDLINE_KM2:.2} km², constant 2018–2025)\n");
    out += &zone_report("redline", &data["redline"], Some(REDLINE_KM2));
    for f in &data["redline"] {
        out += &format!(
            "    {} {} {:.4} km²\n",
            f.id,
            f.props["name"].as_str().unwrap_or(""),
            area_m2(&zone_mp(&f.geom)) / 1e6
        );
    }
    out += &format!("nature_reserve (plan {RESERVE_KM2:.2} km², constant)\n");
    out += &zone_report("nature_reserve", &data["nature_reserve"], Some(RESERVE_KM2));
    for f in &data["nature_reserve"] {
        out += &format!(
            "    {} {} {:.4} km²\n",
            f.id,
            f.props["name"].as_str().unwrap_or(""),
            area_m2(&zone_mp(&f.geom)) / 1e6
        );
    }
    let red: Vec<MultiPolygon> = data["redline"].iter().map(|f| zone_mp(&f.geom)).collect();
    let res: Vec<MultiPolygon> = data["nature_reserve"]
        .iter()
        .map(|f| zone_mp(&f.geom))
        .collect();
    let (red_u, res_u) = (unary_union(&red), unary_union(&res));
    let inside = area_m2(&red_u.intersection(&res_u)) / area_m2(&res_u) * 100.0;
    assert!(
        inside >= 80.0,
        "reserves only {inside:.1} % inside the red line"
    );
    out += &format!("  reserve area inside the red line: {inside:.3} %\n");

    out += "water_source (8 sources × levels 1, 2, 3; no area target)\n";
    out += &zone_report("water_source", &data["water_source"], None);
    let mut by_level: BTreeMap<i64, f64> = BTreeMap::new();
    for f in &data["water_source"] {
        *by_level
            .entry(f.props["level"].as_i64().unwrap_or(0))
            .or_default() += area_m2(&zone_mp(&f.geom)) / 1e6;
    }
    for (l, a) in by_level {
        out += &format!("    level {l}: {a:.4} km²\n");
    }
    let ws: Vec<MultiPolygon> = data["water_source"]
        .iter()
        .map(|f| zone_mp(&f.geom))
        .collect();
    let ws_sum: f64 = ws.iter().map(area_m2).sum();
    assert!(
        (area_m2(&unary_union(&ws)) - ws_sum).abs() < 100.0,
        "water-source zones overlap"
    );

    out += "shoreline: natural / total (plan 22.53 % in 2018 and 2020, 25.00 % in 2025)\n";
    out += &share_report(
        "shoreline",
        &data["shoreline"],
        is_natural,
        &[(2018, SHORE_NATURAL_2018), (2025, SHORE_NATURAL_2025)],
    );
    for f in data["shoreline"]
        .iter()
        .filter(|f| f.props.contains_key("restoration"))
    {
        out += &format!(
            "    {} {} {} {:.1} m{}{}\n",
            f.id,
            f.props["restoration"].as_str().unwrap_or(""),
            f.props["class"].as_str().unwrap_or(""),
            length_m(&feature_lines(&f.geom)),
            f.props
                .get("valid_from")
                .map(|v| format!(" from {v}"))
                .unwrap_or_default(),
            f.props
                .get("valid_to")
                .map(|v| format!(" until {v}"))
                .unwrap_or_default(),
        );
    }
    out += "river_bank: protected / total (plan 12.22 % 2018, 14.00 % 2020, 20.00 % 2025)\n";
    let plan: Vec<(i32, f64)> = BANK_PROTECTED
        .iter()
        .copied()
        .filter(|(y, _)| [2018, 2020, 2025].contains(y))
        .collect();
    out += &share_report("river_bank", &data["river_bank"], is_protected, &plan);
    let mut by_river: BTreeMap<String, f64> = BTreeMap::new();
    for f in data["river_bank"]
        .iter()
        .filter(|f| valid_in(&f.props, 2025))
    {
        *by_river
            .entry(f.props["river"].as_str().unwrap_or("").to_string())
            .or_default() += length_m(&feature_lines(&f.geom)) / 1e3;
    }
    for (river, km) in by_river {
        out += &format!("    {river}: {km:.3} km of bank\n");
    }
    for (layer, fs) in &data {
        out += &format!("{layer}: {} features\n", fs.len());
    }
    out
}

// ---------------------------------------------------------------------------------------------

fn main() {
    let args = parse_args();
    let r = load_reference(&args.reference);
    std::fs::create_dir_all(&args.out).expect("output folder");

    let red = build_redline(&r);
    let reserves = build_reserves(&r, &red);
    let water = build_water_sources(&r);
    let (cuts, shore) = calibrate_shoreline(&r);
    let banks = calibrate_banks(&r);

    write_layer(&args.out, "redline", &redline_features(&red));
    write_layer(&args.out, "nature_reserve", &reserve_features(&reserves));
    write_layer(&args.out, "water_source", &water_features(&water));
    write_layer(&args.out, "shoreline", &shore);
    write_layer(&args.out, "river_bank", &banks);
    let bay = as_multipolygon(geometry_of(
        &read_features(
            &args
                .reference
                .join("hangzhou_bay_water_gshhg_wgs84.geojson"),
        )[0],
    ));
    let lu = land_use::build(&r, &bay, &red);
    write_layer(&args.out, "farmland", &lu.farmland);
    write_layer(&args.out, "urban_boundary", &lu.urban_boundary);
    write_layer(&args.out, "forest", &lu.forest);
    write_layer(&args.out, "water", &lu.water);
    write_layer(&args.out, "county", &lu.county);
    write_layer(&args.out, "land_sea", &lu.land_sea);
    write_manifest(&args.out);

    println!("{}", report(&r, &args.out));
    println!("{}", land_use::report(&r, &args.out));
    println!(
        "Shore cuts on the 海盐 line: 南北湖—澉浦 bedrock coast ends at {:.1} m; the natural stretch of {GANPU} is {:.1} m of {:.0} m.",
        cuts.natural_2018_end,
        cuts.natural_2025_end - GANPU_START_KM * 1e3,
        GANPU_LEN_KM * 1e3
    );
}

// ---------------------------------------------------------------------------------------------
// The manifest.

/// What the manifest says about one layer.
struct LayerDoc {
    id: &'static str,
    zh: &'static str,
    en: &'static str,
    kind: &'static str,
    constraint: bool,
    /// Map colour (the report's map; the MapLibre style has its own, matching).
    colour: &'static str,
    /// The `class` a shoreline feature needs to be a constraint.
    constraint_if: Option<&'static str>,
    /// Layer-specific properties: name → meaning.
    extra: &'static [(&'static str, &'static str)],
    /// `outside` for the urban boundary (the constraint is leaving it).
    constraint_on: Option<&'static str>,
    /// Drawn and served, never screened (counties, land/sea).
    context: bool,
}

fn write_manifest(dir: &Path) {
    let mut t = String::from(
        "# Manifest of the bundled, ILLUSTRATIVE Jiaxing dataset (not official zoning).\n\
         # Generated by `cargo run --release --example gen_jiaxing`; see data/README.md.\n\
         # Schema: README.md (\"Data manifest\").\n\
         id = \"jiaxing\"\n\
         title_zh = \"嘉兴市生态空间（示意数据）\"\n\
         title_en = \"Jiaxing ecological space (illustrative data)\"\n\
         indicators = \"indicators.toml\"\n\
         targets = \"targets.toml\"\n\
         rules = \"rules.toml\"\n\
         county_layer = \"county\"\n\n[counties]\n",
    );
    for (code, name) in COUNTIES {
        t += &format!("{code} = \"{name}\"\n");
    }
    let common = [
        ("name", "Name (zh)"),
        ("county", "County adcode (6 digits) the feature lies in"),
        (
            "valid_from",
            "First year the feature is in force (inclusive), optional",
        ),
        (
            "valid_to",
            "Year the feature stops being in force (exclusive), optional",
        ),
    ];
    let layers = [
        LayerDoc {
            id: "redline",
            colour: "#e53935",
            zh: "生态保护红线",
            en: "Ecological protection red line",
            kind: "zone",
            constraint: true,
            constraint_if: None,
            extra: &[],
            constraint_on: None,
            context: false,
        },
        LayerDoc {
            id: "nature_reserve",
            colour: "#43a047",
            zh: "自然保护地",
            en: "Nature protected areas",
            kind: "zone",
            constraint: true,
            constraint_if: None,
            extra: &[],
            constraint_on: None,
            context: false,
        },
        LayerDoc {
            id: "water_source",
            colour: "#1e63b4",
            zh: "饮用水水源保护区",
            en: "Drinking-water source protection zones",
            kind: "zone",
            constraint: true,
            constraint_if: None,
            extra: &[
                ("source", "Which drinking-water source the zone protects (zh)"),
                ("level", "1 = 一级保护区, 2 = 二级保护区, 3 = 准保护区 (quasi-protection zone)"),
            ],
            constraint_on: None,
            context: false,
        },
        LayerDoc {
            id: "shoreline",
            colour: "#00897b",
            zh: "海岸线",
            en: "Shoreline",
            kind: "line",
            constraint: true,
            constraint_if: Some("natural"),
            extra: &[
                ("class", "natural | artificial"),
                ("restoration", "The plan's restoration segment (整治修复岸段) the stretch belongs to, optional"),
                ("restored_year", "Year the restoration works were finished, optional"),
                ("replaces", "Id of the feature this one succeeds (same stretch, changed class), optional"),
            ],
            constraint_on: None,
            context: false,
        },
        LayerDoc {
            id: "river_bank",
            colour: "#0288d1",
            zh: "河湖岸线",
            en: "River and lake banks",
            kind: "line",
            constraint: false,
            constraint_if: None,
            extra: &[
                ("river", "River name (zh)"),
                ("side", "left | right, looking downstream"),
                ("protected", "true when the bank stretch is protected (counts towards 河湖岸线保护率)"),
                ("replaces", "Id of the feature this one succeeds (same stretch, now protected), optional"),
            ],
            constraint_on: None,
            context: false,
        },
        LayerDoc {
            id: "farmland",
            colour: "#c8a03c",
            zh: "永久基本农田",
            en: "Permanent basic farmland",
            kind: "zone",
            constraint: true,
            constraint_if: None,
            extra: &[
                ("grid_cell", "Generator grid cell (m east, north of 120.75E 30.65N), illustrative"),
                ("replaces", "Id of the parcel this one replaces (占补平衡: same area, same county), optional"),
            ],
            constraint_on: None,
            context: false,
        },
        LayerDoc {
            id: "urban_boundary",
            colour: "#7b1fa2",
            zh: "城镇开发边界",
            en: "Urban development boundary",
            kind: "zone",
            constraint: true,
            constraint_if: None,
            extra: &[],
            constraint_on: Some("outside"),
            context: false,
        },
        LayerDoc {
            id: "forest",
            colour: "#2e7d32",
            zh: "林地",
            en: "Forest land",
            kind: "zone",
            constraint: false,
            constraint_if: None,
            extra: &[("grid_cell", "Generator grid cell (m east, north of 120.75E 30.65N), illustrative")],
            constraint_on: None,
            context: false,
        },
        LayerDoc {
            id: "water",
            colour: "#4fa3e0",
            zh: "水域",
            en: "Water (rivers and lakes)",
            kind: "zone",
            constraint: false,
            constraint_if: None,
            extra: &[("class", "river | lake")],
            constraint_on: None,
            context: false,
        },
        LayerDoc {
            id: "county",
            colour: "#616161",
            zh: "县级行政区（示意，高德数据派生）",
            en: "Counties (illustrative outlines derived from Amap data, not official boundaries)",
            kind: "zone",
            constraint: false,
            constraint_if: None,
            extra: &[],
            constraint_on: None,
            context: true,
        },
        LayerDoc {
            id: "land_sea",
            colour: "#d9d4c7",
            zh: "陆域与海域（示意）",
            en: "Land and sea (illustrative: Amap outline ∩ GSHHG land; Hangzhou Bay water from GSHHG, LGPL-3)",
            kind: "zone",
            constraint: false,
            constraint_if: None,
            extra: &[("class", "land | sea")],
            constraint_on: None,
            context: true,
        },
    ];
    for l in layers {
        let (id, zh, en, kind, constraint, colour) =
            (l.id, l.zh, l.en, l.kind, l.constraint, l.colour);
        t += &format!(
            "\n[[layer]]\nid = \"{id}\"\ntitle_zh = \"{zh}\"\ntitle_en = \"{en}\"\nfile = \"{id}.geojson\"\nkind = \"{kind}\"\nconstraint = {constraint}\ncolour = \"{colour}\"\n"
        );
        if let Some(on) = l.constraint_on {
            t += &format!("constraint_on = \"{on}\"\n");
        }
        if l.context {
            t += "context = true\n";
        }
        if let Some(class) = l.constraint_if {
            t += &format!("[layer.constraint_if]\nclass = \"{class}\"\n");
        }
        t += "[layer.properties]\n";
        for (k, v) in common.iter().chain(l.extra.iter()) {
            t += &format!("{k} = \"{v}\"\n");
        }
    }
    std::fs::write(dir.join("layers.toml"), t).expect("write layers.toml");
}
