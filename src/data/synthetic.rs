//! Synthetic layer sets for scale measurements (`ecospace gen-scale`).
//!
//! Real red-line layers are many irregular, non-overlapping parcels, some with holes (villages,
//! reservoirs cut out). We cannot ship a province's layer, so we grow one: one parcel per cell
//! of a regular grid, each a star-shaped polygon around its cell centre whose radius wanders
//! with a few random harmonics. Non-overlap and validity hold by construction, not by luck:
//! - every outer vertex lies within 0.46 of the half-cell from the centre, so parcels stay
//!   inside their own cells;
//! - angles strictly increase around the centre, so a ring cannot cross itself;
//! - a hole's largest radius is below the shell's smallest, so holes lie inside their shell.
//!
//! The output is an ordinary data folder (`layers.toml` + one GeoJSON FeatureCollection with
//! one feature per line), loadable with `--data`.

use crate::data::dataset::MANIFEST;
use std::f64::consts::TAU;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Parcel cell size, degrees (≈ 1 km): 10⁶ parcels cover 10° × 10°.
pub const CELL_DEG: f64 = 0.01;
/// South-west corner of the grid (inland China, away from the antimeridian and poles).
pub const ORIGIN: [f64; 2] = [105.0, 25.0];
/// File name of the generated layer.
pub const LAYER_FILE: &str = "parcels.geojson";

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct ScaleSpec {
    /// Number of parcels (features) to generate.
    pub features: usize,
    /// Distinct positions per feature, shell and hole together (closing positions not counted).
    pub vertices_per_feature: usize,
    /// Seed of the generator: the same seed gives the same parcels.
    pub seed: u64,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScaleSummary {
    /// Features (parcels) written.
    pub features: usize,
    /// Distinct positions written (closing positions not counted).
    pub vertices: u64,
    /// Positions written including each ring's closing one.
    pub positions: u64,
    /// `positions × 16`: the size of the coordinates as `f64` pairs, the yardstick for memory.
    pub raw_coordinate_bytes: u64,
    /// Size of the written `parcels.geojson`, bytes.
    pub file_bytes: u64,
}

/// Smallest useful parcel: a triangle shell.
pub const MIN_VERTICES: usize = 3;
/// A parcel gets a hole when it has at least this many vertices and its dice say so.
const HOLE_MIN_VERTICES: usize = 12;

/// Grid columns for `n` parcels (near-square grid).
pub fn columns(n: usize) -> usize {
    ((n as f64).sqrt().ceil() as usize).max(1)
}

/// splitmix64: a fixed seed gives the same numbers everywhere (generators, benches, scale
/// measurements). Parcels seed one each, so any parcel can be built independently (and in
/// parallel).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn for_parcel(seed: u64, i: usize) -> Rng {
        let mut r = Rng(seed ^ (i as u64).wrapping_mul(0xD1B5_4A32_D192_ED03));
        r.next();
        r
    }

    /// Uniform in [0, 1).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next()
    }
}

/// One parcel: shell (counter-clockwise) and optional hole (clockwise), lon/lat, open rings
/// (the closing position is added when written).
#[derive(Debug, Clone)]
pub struct Parcel {
    /// The outer ring, counter-clockwise.
    pub shell: Vec<[f64; 2]>,
    /// The hole, clockwise, when the parcel has one (about half of those with ≥ 12 vertices).
    pub hole: Option<Vec<[f64; 2]>>,
}

/// A radius function `r(θ) = base · (1 + Σ aₖ sin(kθ + φₖ))` with `Σ|aₖ| ≤ spread`.
fn wobble(rng: &mut Rng, base: f64, spread: f64) -> impl Fn(f64) -> f64 {
    let ks = [2.0, 3.0, 5.0, 7.0];
    let raw: Vec<f64> = ks.iter().map(|_| rng.next() + 0.1).collect();
    let total: f64 = raw.iter().sum();
    let amps: Vec<f64> = raw.iter().map(|a| a / total * spread).collect();
    let phases: Vec<f64> = ks.iter().map(|_| rng.next() * TAU).collect();
    move |t: f64| {
        let s: f64 = ks
            .iter()
            .zip(&amps)
            .zip(&phases)
            .map(|((k, a), p)| a * (k * t + p).sin())
            .sum();
        base * (1.0 + s)
    }
}

/// A star-shaped ring of `n` vertices around `c`; angles increase (counter-clockwise) with a
/// jitter of under half a step, so they stay strictly ordered.
fn ring(rng: &mut Rng, c: [f64; 2], n: usize, r: impl Fn(f64) -> f64) -> Vec<[f64; 2]> {
    let step = TAU / n as f64;
    let start = rng.next() * step;
    (0..n)
        .map(|k| {
            let t = start + k as f64 * step + (rng.next() - 0.5) * 0.8 * step;
            let rad = r(t);
            // Longitude degrees are shorter than latitude ones; stretch so parcels look round.
            let kx = 1.0 / c[1].to_radians().cos();
            [c[0] + rad * t.cos() * kx.min(1.2), c[1] + rad * t.sin()]
        })
        .collect()
}

/// Builds parcel `i` of a grid with `cols` columns.
pub fn parcel(spec: &ScaleSpec, cols: usize, i: usize) -> Parcel {
    let mut rng = Rng::for_parcel(spec.seed, i);
    let (row, col) = (i / cols, i % cols);
    let c = [
        ORIGIN[0] + (col as f64 + 0.5) * CELL_DEG,
        ORIGIN[1] + (row as f64 + 0.5) * CELL_DEG,
    ];
    let half = CELL_DEG / 2.0;
    let v = spec.vertices_per_feature.max(MIN_VERTICES);
    let with_hole = v >= HOLE_MIN_VERTICES && rng.next() < 0.5;
    let hole_n = if with_hole { (v / 5).max(4) } else { 0 };
    let shell_n = v - hole_n;
    // Shell radius 0.465·half·(1 ± 0.4) = [0.28, 0.65]·half, east–west stretched by at most
    // 1.2 → within 0.78·half of the centre: inside the cell. Hole radius ≤ 0.14·1.3 = 0.18·half,
    // below the shell's smallest 0.28·half (same stretch): inside the shell.
    let shell_r = wobble(&mut rng, 0.62 * half * 0.75, 0.4);
    let shell = ring(&mut rng, c, shell_n, &shell_r);
    let hole = with_hole.then(|| {
        let hole_r = wobble(&mut rng, 0.14 * half, 0.3);
        let mut h = ring(&mut rng, c, hole_n, &hole_r);
        h.reverse();
        h
    });
    Parcel { shell, hole }
}

/// Writes `dir/layers.toml` and `dir/parcels.geojson`. Parcels are built in parallel, in
/// chunks, and written in order, so memory stays at a few chunks whatever `features` is.
pub fn write(dir: &Path, spec: &ScaleSpec) -> io::Result<ScaleSummary> {
    use rayon::prelude::*;
    std::fs::create_dir_all(dir)?;
    let cols = columns(spec.features);
    let path = dir.join(LAYER_FILE);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    const CHUNK: usize = 2048;
    let chunks = spec.features.div_ceil(CHUNK);
    let (mut vertices, mut positions) = (0u64, 0u64);
    // A few chunks per core at a time keeps memory flat.
    for group in (0..chunks).collect::<Vec<_>>().chunks(16) {
        let texts: Vec<(String, u64, u64)> = group
            .par_iter()
            .map(|&k| {
                let mut s = String::with_capacity(CHUNK * spec.vertices_per_feature * 26);
                let (mut v, mut p) = (0u64, 0u64);
                for i in k * CHUNK..((k + 1) * CHUNK).min(spec.features) {
                    let parcel = parcel(spec, cols, i);
                    let (dv, dp) = feature_json(&mut s, i, cols, &parcel, i + 1 == spec.features);
                    v += dv;
                    p += dp;
                }
                (s, v, p)
            })
            .collect();
        for (s, v, p) in texts {
            out.write_all(s.as_bytes())?;
            vertices += v;
            positions += p;
        }
    }
    out.write_all(b"]}\n")?;
    out.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()?;
    std::fs::write(dir.join(MANIFEST), manifest(spec))?;
    Ok(ScaleSummary {
        features: spec.features,
        vertices,
        positions,
        raw_coordinate_bytes: positions * 16,
        file_bytes: std::fs::metadata(&path)?.len(),
    })
}

/// Appends one feature (one line); returns (distinct vertices, positions written).
fn feature_json(s: &mut String, i: usize, cols: usize, p: &Parcel, last: bool) -> (u64, u64) {
    let (row, col) = (i / cols, i % cols);
    // A "county" per 50 × 50 block of parcels, so per-county indicators have something to do.
    let county = 100_000 + (row / 50) * 100 + col / 50;
    let _ = write!(
        s,
        "{{\"type\":\"Feature\",\"id\":\"p{i}\",\"properties\":{{\"name\":\"parcel {i}\",\"county\":\"{county}\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":["
    );
    let mut ring_json = |r: &[[f64; 2]], first: bool| {
        if !first {
            s.push(',');
        }
        s.push('[');
        for c in r.iter().chain(std::iter::once(&r[0])) {
            let _ = write!(s, "[{:.7},{:.7}],", c[0], c[1]);
        }
        s.pop();
        s.push(']');
    };
    ring_json(&p.shell, true);
    let mut v = p.shell.len() as u64;
    if let Some(h) = &p.hole {
        ring_json(h, false);
        v += h.len() as u64;
    }
    let rings = 1 + u64::from(p.hole.is_some());
    s.push_str("]}}");
    if !last {
        s.push(',');
    }
    s.push('\n');
    (v, v + rings)
}

fn manifest(spec: &ScaleSpec) -> String {
    format!(
        "# Synthetic scale data: `ecospace gen-scale --features {} --vertices-per-feature {} --seed {}`.\n\
         # Irregular, non-overlapping parcels on a {}° grid from lon {} lat {}; about half have a hole.\n\
         id = \"scale\"\ntitle_zh = \"合成规模测试数据\"\ntitle_en = \"Synthetic scale data\"\n\n\
         [[layer]]\nid = \"parcels\"\ntitle_zh = \"合成红线地块\"\ntitle_en = \"Synthetic red-line parcels\"\n\
         file = \"{LAYER_FILE}\"\nkind = \"zone\"\nconstraint = true\ncolour = \"#e53935\"\n\
         [layer.properties]\nname = \"Parcel name\"\ncounty = \"Synthetic block code (one per 50 × 50 parcels)\"\n",
        spec.features, spec.vertices_per_feature, spec.seed, CELL_DEG, ORIGIN[0], ORIGIN[1]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, LineString, Polygon, Validation};

    fn poly(p: &Parcel) -> Polygon {
        let close = |r: &Vec<[f64; 2]>| {
            let mut c: Vec<(f64, f64)> = r.iter().map(|c| (c[0], c[1])).collect();
            c.push(c[0]);
            LineString::from(c)
        };
        Polygon::new(close(&p.shell), p.hole.iter().map(close).collect())
    }

    #[test]
    fn parcels_are_valid_stay_in_their_cells_and_have_the_vertices_asked() {
        let spec = ScaleSpec {
            features: 400,
            vertices_per_feature: 60,
            seed: 7,
        };
        let cols = columns(spec.features);
        let mut holes = 0;
        for i in 0..spec.features {
            let p = parcel(&spec, cols, i);
            let g = poly(&p);
            assert!(g.is_valid(), "parcel {i}: {:?}", g.validation_errors());
            assert_eq!(p.shell.len() + p.hole.as_ref().map_or(0, Vec::len), 60);
            holes += usize::from(p.hole.is_some());
            // Its own grid cell contains it: neighbours cannot overlap.
            let (row, col) = (i / cols, i % cols);
            let x0 = ORIGIN[0] + col as f64 * CELL_DEG;
            let y0 = ORIGIN[1] + row as f64 * CELL_DEG;
            let cell = geo::Rect::new((x0, y0), (x0 + CELL_DEG, y0 + CELL_DEG));
            assert!(cell.to_polygon().contains(&g), "parcel {i} leaves its cell");
            // Shell counter-clockwise (positive signed area), hole clockwise.
            use geo::Area;
            assert!(Polygon::new(g.exterior().clone(), vec![]).signed_area() > 0.0);
        }
        assert!((150..250).contains(&holes), "{holes} of 400 have a hole");
    }

    #[test]
    fn the_same_seed_gives_the_same_parcels_another_does_not() {
        let a = ScaleSpec {
            features: 10,
            vertices_per_feature: 20,
            seed: 1,
        };
        let b = ScaleSpec { seed: 2, ..a };
        assert_eq!(parcel(&a, 4, 3).shell, parcel(&a, 4, 3).shell);
        assert_ne!(parcel(&a, 4, 3).shell, parcel(&b, 4, 3).shell);
    }
}
