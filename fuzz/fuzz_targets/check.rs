//! Fuzzes `ecospace::check` against the bundled Jiaxing dataset with sites that can hit zones.
//!
//! Random bytes almost never make valid GeoJSON, so the input is structured (`arbitrary`): a
//! geometry kind, a centre inside the Jiaxing bbox, a scale, and a few vertices given either as
//! quantised offsets from the centre or as (optionally nudged) vertices of the dataset's own
//! features, so that shared vertices and collinear edges — where boolean operations break —
//! come up often. The site is written as GeoJSON text and goes through the same path as the
//! service (`site::parse`, `site::check_vertices`, options validated by `check`), then `check`.
//!
//! Invariants asserted on every result: measures finite and non-negative; overlap ratios in
//! [0, 1]; overlap area ≤ site area and ≤ the zone's area; overlap length ≤ the site's (line
//! sites) or the feature's (line features) length; `near` hits only with a buffer and within
//! it, other hits at distance 0; a site within a zone overlaps it fully; layer totals between
//! the largest hit and the sum of hits; and the verdict agreeing with the hits.
#![no_main]

use arbitrary::Arbitrary;
use ecospace::site::{self, SiteInput};
use ecospace::LayerKind;
use ecospace::MAX_BUFFER_M;
use ecospace::{check, CheckOptions, CheckResult, Dataset, Relation, Verdict};
use geo::{Coord, CoordsIter, Geometry};
use libfuzzer_sys::fuzz_target;
use std::fmt::Write;
use std::sync::LazyLock;

const MAX_BATCH: usize = 10_000;
const MAX_VERTICES: usize = 100_000;
/// Vertices per ring or line (keeps each run fast).
const MAX_RING: usize = 64;

struct Data {
    ds: Dataset,
    /// Every vertex of every feature, to build sites that share vertices with the zones.
    vertices: Vec<Coord>,
}

static DATA: LazyLock<Data> = LazyLock::new(|| {
    let ds = Dataset::bundled().expect("bundled dataset loads");
    let vertices = ds
        .layers
        .iter()
        .flat_map(|l| l.features.iter())
        .flat_map(|f| f.geometry.coords_iter())
        .collect();
    Data { ds, vertices }
});

#[derive(Arbitrary, Debug)]
enum Kind {
    Point,
    MultiPoint,
    LineString,
    MultiLineString,
    Polygon,
    PolygonWithHole(Hole),
    MultiPolygon { parts: u8, spread: bool },
}

#[derive(Arbitrary, Debug)]
enum Hole {
    /// The exterior shrunk towards the centre by `k/256` (inside a star-shaped shell).
    Shrunk(u8),
    /// Its own vertices.
    Free(Vec<Vertex>),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Vertex {
    /// Offset from the centre, in units of scale/128.
    Grid(i8, i8),
    /// A vertex of the dataset.
    Data(u16),
    /// A dataset vertex moved by a few ulps-to-micrometres.
    Nudged(u16, i8, i8),
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Scale {
    Micro,  // 1e-7° ≈ 1 cm
    Metre,  // 1e-5° ≈ 1 m
    Block,  // 1e-3° ≈ 100 m
    Town,   // 1e-2° ≈ 1 km
    County, // 1e-1° ≈ 10 km
    City,   // 0.5°
}

impl Scale {
    fn degrees(self) -> f64 {
        match self {
            Scale::Micro => 1e-7,
            Scale::Metre => 1e-5,
            Scale::Block => 1e-3,
            Scale::Town => 1e-2,
            Scale::County => 1e-1,
            Scale::City => 0.5,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Buffer {
    Zero,
    /// Subnormal and tiny positive values.
    Tiny(u8),
    Metres(u16),
    Fraction(u32),
    Max,
}

impl Buffer {
    fn metres(&self) -> f64 {
        match *self {
            Buffer::Zero => 0.0,
            Buffer::Tiny(k) => match k % 4 {
                0 => f64::from_bits(1),
                1 => f64::MIN_POSITIVE,
                2 => 1e-12,
                _ => 1e-3 * f64::from(k),
            },
            Buffer::Metres(m) => f64::from(m),
            Buffer::Fraction(f) => MAX_BUFFER_M * (f64::from(f) / f64::from(u32::MAX)),
            Buffer::Max => MAX_BUFFER_M,
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Wrap {
    Geometry,
    Feature,
    Collection,
}

#[derive(Arbitrary, Debug)]
struct Input {
    kind: Kind,
    /// Centre, quantised over lon 120.3..121.3, lat 30.3..31.1.
    centre: (u16, u16),
    scale: Scale,
    /// Sort ring vertices by angle around the centre (a star-shaped, simple ring).
    sort: bool,
    vertices: Vec<Vertex>,
    buffer: Buffer,
    year: u8,
    /// Bit i selects layer i; `None` means all layers.
    layers: Option<u8>,
    wrap: Wrap,
}

struct Builder<'a> {
    step: f64,
    vertices: &'a [Coord],
}

impl Builder<'_> {
    fn at(&self, v: Vertex, centre: Coord) -> Coord {
        let data = |i: u16| self.vertices[usize::from(i) % self.vertices.len()];
        match v {
            Vertex::Grid(dx, dy) => Coord {
                x: centre.x + f64::from(dx) * self.step,
                y: centre.y + f64::from(dy) * self.step,
            },
            Vertex::Data(i) => data(i),
            Vertex::Nudged(i, dx, dy) => {
                let c = data(i);
                // Tiny nudges: a few ulps (dx, dy small) up to ~1e-6° (large).
                let nudge = |x: f64, d: i8| {
                    if d.unsigned_abs() < 16 {
                        f64::from_bits((x.to_bits() as i64 + i64::from(d)) as u64)
                    } else {
                        x + f64::from(d) * 1e-8
                    }
                };
                Coord {
                    x: nudge(c.x, dx),
                    y: nudge(c.y, dy),
                }
            }
        }
    }

    fn points(&self, vs: &[Vertex], centre: Coord) -> Vec<Coord> {
        vs.iter()
            .take(MAX_RING)
            .map(|&v| self.at(v, centre))
            .collect()
    }

    /// A closed ring; with `sort`, vertices ordered by angle around their mean.
    fn ring(&self, vs: &[Vertex], centre: Coord, sort: bool) -> Vec<Coord> {
        let mut cs = self.points(vs, centre);
        // Too few vertices for a ring: complete it with a triangle around the centre, so that
        // short inputs still make polygons.
        let triangle = [
            Vertex::Grid(100, 0),
            Vertex::Grid(-50, 87),
            Vertex::Grid(-50, -87),
        ];
        for &v in &triangle[..3usize.saturating_sub(cs.len())] {
            cs.push(self.at(v, centre));
        }
        if sort && !cs.is_empty() {
            let n = cs.len() as f64;
            let (mx, my) = cs
                .iter()
                .fold((0.0, 0.0), |(x, y), c| (x + c.x / n, y + c.y / n));
            cs.sort_by(|a, b| {
                let (ta, tb) = ((a.y - my).atan2(a.x - mx), (b.y - my).atan2(b.x - mx));
                ta.total_cmp(&tb)
            });
        }
        if let Some(&first) = cs.first() {
            cs.push(first);
        }
        cs
    }
}

fn write_pos(out: &mut String, c: Coord) {
    // `{:?}` of f64 is the shortest text that round-trips, always with a `.` or exponent.
    write!(out, "[{:?},{:?}]", c.x, c.y).unwrap();
}

fn write_list(out: &mut String, cs: &[Coord]) {
    out.push('[');
    for (i, &c) in cs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_pos(out, c);
    }
    out.push(']');
}

fn write_rings(out: &mut String, rings: &[Vec<Coord>]) {
    out.push('[');
    for (i, r) in rings.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_list(out, r);
    }
    out.push(']');
}

fn geojson(input: &Input, vertices: &[Coord]) -> String {
    let centre = Coord {
        x: 120.3 + f64::from(input.centre.0) / f64::from(u16::MAX),
        y: 30.3 + 0.8 * f64::from(input.centre.1) / f64::from(u16::MAX),
    };
    let step = input.scale.degrees() / 128.0;
    let b = Builder { step, vertices };
    let vs = &input.vertices;
    let mut out = String::new();
    let ty = match &input.kind {
        Kind::Point => {
            let v = vs.first().copied().unwrap_or(Vertex::Grid(0, 0));
            write_pos(&mut out, b.at(v, centre));
            "Point"
        }
        Kind::MultiPoint => {
            write_list(&mut out, &b.points(vs, centre));
            "MultiPoint"
        }
        Kind::LineString => {
            write_list(&mut out, &b.points(vs, centre));
            "LineString"
        }
        Kind::MultiLineString => {
            let parts: Vec<Vec<Coord>> = vs.chunks(4).map(|c| b.points(c, centre)).collect();
            write_rings(&mut out, &parts);
            "MultiLineString"
        }
        Kind::Polygon => {
            write_rings(&mut out, &[b.ring(vs, centre, input.sort)]);
            "Polygon"
        }
        Kind::PolygonWithHole(hole) => {
            let shell = b.ring(vs, centre, input.sort);
            let hole = match hole {
                Hole::Shrunk(k) => {
                    // Shrink towards the mean of the shell (its star centre when sorted).
                    let n = shell.len().saturating_sub(1).max(1) as f64;
                    let (mx, my) = shell[..shell.len().saturating_sub(1)]
                        .iter()
                        .fold((0.0, 0.0), |(x, y), c| (x + c.x / n, y + c.y / n));
                    let t = f64::from(*k) / 256.0;
                    shell
                        .iter()
                        .map(|c| Coord {
                            x: mx + (c.x - mx) * t,
                            y: my + (c.y - my) * t,
                        })
                        .collect()
                }
                Hole::Free(hv) => b.ring(hv, centre, input.sort),
            };
            write_rings(&mut out, &[shell, hole]);
            "Polygon"
        }
        Kind::MultiPolygon { parts, spread } => {
            let n = usize::from(parts % 4) + 1;
            let per = vs.len().div_ceil(n).max(1);
            out.push('[');
            for (i, chunk) in vs.chunks(per).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                // Spread parts 2.5 scales apart so that they cannot overlap.
                let c = if *spread {
                    Coord {
                        x: centre.x + 2.5 * input.scale.degrees() * i as f64,
                        y: centre.y,
                    }
                } else {
                    centre
                };
                write_rings(&mut out, &[b.ring(chunk, c, input.sort)]);
            }
            out.push(']');
            "MultiPolygon"
        }
    };
    let geometry = format!(r#"{{"type":"{ty}","coordinates":{out}}}"#);
    let feature = format!(
        r#"{{"type":"Feature","id":"fz","properties":{{"name":"fuzz"}},"geometry":{geometry}}}"#
    );
    match input.wrap {
        Wrap::Geometry => geometry,
        Wrap::Feature => feature,
        Wrap::Collection => {
            // A second, fixed site: a point inside the dataset area.
            let point = r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[120.76,30.75]}}"#;
            format!(r#"{{"type":"FeatureCollection","features":[{feature},{point}]}}"#)
        }
    }
}

/// `FUZZ_TRACE=1` prints each input's GeoJSON and outcome to stderr (to reproduce a finding
/// outside the fuzzer, or see what the corpus covers: run the target on a corpus with `-runs=0`).
static TRACE: LazyLock<bool> = LazyLock::new(|| std::env::var_os("FUZZ_TRACE").is_some());

fuzz_target!(|input: Input| {
    let data = &*DATA;
    let body = geojson(&input, &data.vertices);
    if *TRACE {
        eprintln!("BODY {body}");
    }
    // The service's path: parse, vertex limit, then check (which validates the options).
    let parsed = match site::parse(body.as_bytes(), MAX_BATCH) {
        Ok(p) => p,
        Err(e) => {
            if *TRACE {
                eprintln!("PARSE {}", e.code());
            }
            return;
        }
    };
    if site::check_vertices(&parsed, MAX_VERTICES).is_err() {
        return;
    }
    let ids: Vec<String> = data.ds.layers.iter().map(|l| l.id().to_string()).collect();
    let opts = CheckOptions {
        year: 2015 + i32::from(input.year % 16),
        buffer_m: input.buffer.metres(),
        layers: input.layers.map(|bits| {
            ids.iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, id)| id.clone())
                .collect()
        }),
    };
    let sites = match parsed {
        SiteInput::One(s) => vec![s],
        SiteInput::Batch(v) => v,
    };
    for s in &sites {
        if *TRACE {
            eprintln!("OPTS {opts:?}");
        }
        let r = check(&data.ds, &s.geometry, &opts).expect("valid options are accepted");
        if *TRACE {
            eprintln!(
                "CHECK {} area={} {:?} hits={:?}",
                type_name(&s.geometry),
                r.site.area_m2,
                r.verdict,
                r.hits
                    .iter()
                    .map(|h| (h.layer.as_str(), h.relation))
                    .collect::<Vec<_>>()
            );
        }
        assert_result(&data.ds, &s.geometry, &opts, &r);
    }
});

/// `a ≤ b` up to rounding: relative `1e-6`, plus `abs`.
fn close_le(a: f64, b: f64, abs: f64) -> bool {
    a <= b + 1e-6 * b.abs() + abs
}

/// An upper bound of the geodesic area of anything inside a lon/lat bbox (0 when empty):
/// east-west geodesics bulge poleward out of the bbox by ~(Δlon/2)²·sin·cos/2 (< 1e-2·Δlon for
/// the spans fuzzed here), and the metres per degree of longitude are largest at the
/// equatorward edge.
fn bbox_area_bound(b: [f64; 4]) -> f64 {
    let (dlon, dlat) = (b[2] - b[0], b[3] - b[1]);
    if dlon < 0.0 || dlat < 0.0 {
        return 0.0;
    }
    let slack = 1e-2 * dlon;
    let lat = if b[1] > 0.0 {
        (b[1] - slack).max(0.0)
    } else if b[3] < 0.0 {
        (b[3] + slack).min(0.0)
    } else {
        0.0
    };
    let kx = 111_320.0 * lat.to_radians().cos();
    let ky = 111_700.0;
    1.01 * (dlon * kx) * ((dlat + 2.0 * slack) * ky)
}

fn assert_result(ds: &Dataset, site: &Geometry, opts: &CheckOptions, r: &CheckResult) {
    let site_area = r.site.area_m2;
    let site_len = r.site.length_m;
    assert!(
        site_area.is_finite() && site_area >= 0.0,
        "site area {site_area}"
    );
    assert!(
        site_len.is_finite() && site_len >= 0.0,
        "site length {site_len}"
    );
    let dim = dimension(site);
    // Absolute rounding of a geodesic area: Karney's algorithm sums, per edge, the area between
    // the edge and the equator (~ edge length × 3,400 km here), so a polygon's area carries an
    // error of some ulps of (its perimeter × the Earth's radius): ~1e-4 m² for a 100 km ring.
    // Overlaps are bounded by the site, so the site's perimeter sets the scale. Even tiny rings
    // carry ~2e-5 m² (measured on cm-sized triangles): hence the 1 cm² floor.
    let area_eps = 1e-4 + 1e-13 * site_len * ecospace::geodesy::WGS84_A;
    // Boolean operations work on straight lon/lat edges, areas on geodesic ones. Where a union
    // or intersection splits or merges a site edge of length L, the geodesic polygon changes by
    // up to the area between the chord and the geodesic, ~L·δ with the geodesic's bulge
    // δ ≈ L²·tan(lat)/(8R): ~100 m² per 10 km edge (zone edges are ≤ 150 m: negligible).
    let tan_lat = r.site.bbox[3]
        .abs()
        .max(r.site.bbox[1].abs())
        .to_radians()
        .tan();
    let geo_eps: f64 = segments(site)
        .iter()
        .map(|l| {
            let len = ecospace::geodesy::point_distance_m(l.start, l.end);
            len.powi(3) * tan_lat / (8.0 * ecospace::geodesy::WGS84_A)
        })
        .sum();
    let parts_eps = area_eps + geo_eps;
    // Lengths: the boolean operations snap vertices to an integer grid (~1e-9°).
    let len_eps = 1e-3;
    assert!(
        close_le(site_area, bbox_area_bound(r.site.bbox), area_eps),
        "site area {site_area} exceeds its bbox {:?}",
        r.site.bbox
    );
    for h in &r.hits {
        let ctx = || format!("hit {h:#?}\nsite area {site_area}, length {site_len}");
        let layer = ds.layer(&h.layer).expect("hit on a known layer");
        let f = layer
            .features
            .iter()
            .find(|f| f.id == h.id)
            .expect("hit on a known feature");
        assert!(
            h.distance_m.is_finite() && h.distance_m >= 0.0,
            "distance: {}",
            ctx()
        );
        if h.relation == Relation::Near {
            assert!(opts.buffer_m > 0.0, "near without buffer: {}", ctx());
            assert!(
                h.distance_m <= opts.buffer_m,
                "near beyond buffer: {}",
                ctx()
            );
        } else {
            assert_eq!(h.distance_m, 0.0, "met at a distance: {}", ctx());
        }
        if let Some(a) = h.overlap_area_m2 {
            assert!(a.is_finite() && a >= 0.0, "overlap area: {}", ctx());
            assert!(
                close_le(a, site_area, area_eps),
                "overlap > site: {}",
                ctx()
            );
            assert!(
                close_le(a, f.area_m2(), parts_eps),
                "overlap > zone: {}",
                ctx()
            );
            // site ∩ zone lies in the intersection of their bboxes.
            let (sb, fb) = (r.site.bbox, f.bbox);
            let both = [
                sb[0].max(fb[0]),
                sb[1].max(fb[1]),
                sb[2].min(fb[2]),
                sb[3].min(fb[3]),
            ];
            assert!(
                close_le(a, bbox_area_bound(both), parts_eps),
                "overlap exceeds the bboxes' intersection {both:?}: {}",
                ctx()
            );
        }
        if let Some(q) = h.overlap_ratio {
            assert!(
                q.is_finite() && (0.0..=1.0 + 1e-9).contains(&q),
                "ratio: {}",
                ctx()
            );
            if h.relation == Relation::Within && dim == 2 {
                // The whole site is inside the zone.
                assert!(
                    close_le(site_area, q * site_area, parts_eps),
                    "within but ratio {q}: {}",
                    ctx()
                );
            }
        }
        if let Some(l) = h.overlap_length_m {
            assert!(l.is_finite() && l >= 0.0, "overlap length: {}", ctx());
            let bound = if layer.kind() == LayerKind::Zone {
                site_len
            } else {
                f.length_m()
            };
            assert!(
                close_le(l, bound, len_eps),
                "overlap length > line: {}",
                ctx()
            );
        }
    }
    for (id, s) in &r.summary {
        let hits: Vec<_> = r.hits.iter().filter(|h| &h.layer == id).collect();
        assert_eq!(s.hits, hits.len(), "layer {id}");
        let a = s.overlap_area_m2;
        assert!(
            a.is_finite() && a >= 0.0 && a <= site_area,
            "layer {id}: {s:?}"
        );
        let areas = hits.iter().filter_map(|h| h.overlap_area_m2);
        let (sum, max) = areas.fold((0.0, 0.0f64), |(s, m), a| (s + a, m.max(a)));
        assert!(
            close_le(a, sum, parts_eps),
            "layer {id}: union > sum: {s:?}"
        );
        assert!(
            close_le(max, a, parts_eps),
            "layer {id}: union < part: {s:?}"
        );
        if let Some(q) = s.overlap_ratio {
            assert!(
                q.is_finite() && (0.0..=1.0 + 1e-9).contains(&q),
                "layer {id}: {s:?}"
            );
        }
        if let Some(d) = s.min_distance_m {
            assert!(d.is_finite() && d >= 0.0, "layer {id}: {s:?}");
        }
        assert!(s.overlap_length_m.is_finite() && s.overlap_length_m >= 0.0);
    }
    let conflict = r
        .hits
        .iter()
        .any(|h| h.constraint && h.relation != Relation::Near);
    let expected = if conflict {
        Verdict::Conflict
    } else if r.hits.is_empty() {
        Verdict::Clear
    } else {
        Verdict::Near
    };
    assert_eq!(r.verdict, expected);
}

/// The GeoJSON type name of a site (for the panic message).
fn type_name(g: &Geometry) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::LineString(_) | Geometry::Line(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}

/// Topological dimension: 0 points, 1 lines, 2 polygons.
fn dimension(g: &Geometry) -> u8 {
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => 0,
        Geometry::Line(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => 1,
        _ => 2,
    }
}

/// The edges of a site (none for points).
fn segments(g: &Geometry) -> Vec<geo::Line> {
    use geo::LinesIter;
    match g {
        Geometry::LineString(l) => l.lines_iter().collect(),
        Geometry::MultiLineString(l) => l.lines_iter().collect(),
        Geometry::Polygon(p) => p.lines_iter().collect(),
        Geometry::MultiPolygon(p) => p.lines_iter().collect(),
        _ => Vec::new(),
    }
}
