//! Geodesic lengths of short segments from their 3-D chord, within 1e-9 of Karney's result
//! (plus 10 nm, the rounding of Earth-centred coordinates) and ~10× cheaper: the lengths of a
//! site's edges, of the pieces of a line inside a zone, of a small polygon's perimeter.
//!
//! Why: Karney's inverse solution is iterative and was a tenth of a line site's check; a line
//! site and its overlaps are many edges of tens to hundreds of metres.
//!
//! How: a geodesic is a curve whose curvature is the surface's normal curvature in its
//! direction, `κ = cos²α / M + sin²α / N` (Euler). For any smooth curve of arc length `s`
//! between points a chord `c` apart, `c = s − κ² s³ / 24 + O(s⁵)` with `κ` taken at the arc's
//! midpoint (the `s⁴` term, `κκ'`, cancels there by symmetry). So `s = c + κ² c³ / 24`, and
//! the dropped terms are of order `s⁵ / R⁴` — 3e-10 m for a 10 km edge. The correction itself
//! is 1 mm at 10 km, so `κ` is needed to 1 % only: the azimuth is read from the chord in the
//! tangent plane at the mean of the ends' normals. `tests/geodesy_test.rs` holds the result to
//! Karney's on random segments.

use super::ellipsoid::{WGS84_A, WGS84_F};
use geo::Coord;

/// Segments at most this long (their chord, m) are measured here; longer ones by Karney's
/// algorithm, where the dropped `s⁵` terms would start to matter.
pub const MAX_CHORD_M: f64 = 10_000.0;

const E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// A point on the ellipsoid: its Earth-centred position and its unit normal.
#[derive(Clone, Copy)]
struct Ecef {
    x: [f64; 3],
    n: [f64; 3],
}

fn ecef(c: Coord) -> Ecef {
    let (sp, cp) = c.y.to_radians().sin_cos();
    let (sl, cl) = c.x.to_radians().sin_cos();
    let big_n = WGS84_A / (1.0 - E2 * sp * sp).sqrt();
    let n = [cp * cl, cp * sl, sp];
    Ecef {
        x: [big_n * n[0], big_n * n[1], big_n * (1.0 - E2) * sp],
        n,
    }
}

/// The geodesic length between two ends, or `None` when the chord is longer than
/// [`MAX_CHORD_M`] (or the segment passes a pole, where the azimuth is undefined).
fn between(a: &Ecef, b: &Ecef) -> Option<f64> {
    let d = [b.x[0] - a.x[0], b.x[1] - a.x[1], b.x[2] - a.x[2]];
    let c2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    if c2 > MAX_CHORD_M * MAX_CHORD_M {
        return None;
    }
    if c2 == 0.0 {
        return Some(0.0);
    }
    // The midpoint's normal, latitude and local north/east.
    let m = [a.n[0] + b.n[0], a.n[1] + b.n[1], a.n[2] + b.n[2]];
    let mn = (m[0] * m[0] + m[1] * m[1] + m[2] * m[2]).sqrt();
    let (mx, my, sp) = (m[0] / mn, m[1] / mn, m[2] / mn);
    let cp = (mx * mx + my * my).sqrt();
    if cp < 1e-9 {
        return None;
    }
    let (cl, sl) = (mx / cp, my / cp);
    let north = -sp * (cl * d[0] + sl * d[1]) + cp * d[2];
    let east = -sl * d[0] + cl * d[1];
    let h2 = north * north + east * east;
    let w2 = 1.0 - E2 * sp * sp;
    let inv_m = w2 * w2.sqrt() / (WGS84_A * (1.0 - E2));
    let inv_n = w2.sqrt() / WGS84_A;
    let kappa = if h2 > 0.0 {
        (north * north * inv_m + east * east * inv_n) / h2
    } else {
        inv_n
    };
    Some(c2.sqrt() * (1.0 + kappa * kappa * c2 / 24.0))
}

/// Geodesic length in m of the segment `a`–`b`, or `None` when it is longer than
/// [`MAX_CHORD_M`] and needs Karney's algorithm.
pub fn segment_length_m(a: Coord, b: Coord) -> Option<f64> {
    between(&ecef(a), &ecef(b))
}

/// Geodesic length in m of the path through `coords`: short edges here, long ones by `long`
/// (each end converted once, shared by the two edges it ends).
pub fn path_length_m(coords: &[Coord], long: impl Fn(Coord, Coord) -> f64) -> f64 {
    let Some(first) = coords.first() else {
        return 0.0;
    };
    let mut prev = (*first, ecef(*first));
    let mut total = 0.0;
    for &c in &coords[1..] {
        let e = ecef(c);
        total += between(&prev.1, &e).unwrap_or_else(|| long(prev.0, c));
        prev = (c, e);
    }
    total
}
