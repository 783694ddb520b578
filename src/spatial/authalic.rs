//! Geodesic areas of small polygons, several times cheaper than Karney's polygon area and
//! within 1e-9 of it (plus 1e-4 m², Karney's own rounding floor): the area of a polygon whose
//! edges are ellipsoidal geodesics, for polygons up to [`MAX_EXTENT_M`] across or of edges up
//! to that long ([`suits`]).
//!
//! Why: a site check measures every overlap of the site with a zone, and Karney's algorithm
//! solves an inverse geodesic problem per edge — iterative, dozens of transcendental functions —
//! which was a third of a check. Overlaps are small polygons of many short edges.
//!
//! How: the authalic (equal-area) sphere maps the ellipsoid onto a sphere of radius `Rq` with
//! every area kept. On it, the polygon with great-circle edges has a closed-form area (the sum
//! of the spherical trapezoids between each edge and the equator). The image of an ellipsoidal
//! geodesic is not quite a great circle: the authalic map is not conformal, so the image bends
//! with a small geodesic curvature `κ` (of order f/R), and the region it bounds differs from the
//! great-circle polygon by the sliver between image and great circle, `κ L³ / 12` per edge of
//! length `L` (the area between a chord and an arc of constant curvature, to third order; the
//! linear change of `κ` along the edge cancels by symmetry about its midpoint). `κ` follows from
//! Liouville's formula for both metrics, `E dφ² + G dλ²`, at the edge's midpoint: the azimuth
//! changes along an ellipsoidal geodesic as `dα/ds = sin α tan φ / N` (Clairaut), and the map
//! turns azimuths by `tan α₂ = (k_λ/k_φ) tan α₁` with scales `k_λ = 1/k_φ = Rq cos β/(N cos φ)`.
//! Without the correction, a thin 3 km polygon is off by 4e-5; with it, by ~1e-9.
//! `tests/geodesy_test.rs` holds it to Karney's result on random polygons.

use super::ellipsoid::{WGS84_A, WGS84_F};

/// Polygons at most this far across (their box's diagonal, m), or whose every edge is at most
/// this long, are measured here; others by Karney's algorithm, since the third-order
/// correction of an edge stops being enough beyond ~10 km.
pub const MAX_EXTENT_M: f64 = 10_000.0;

const E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// `q(φ)` of the authalic latitude (Snyder 3-12), from `sin φ`.
fn q(s: f64) -> f64 {
    let e = E2.sqrt();
    (1.0 - E2) * (s / (1.0 - E2 * s * s) - (1.0 / (2.0 * e)) * ((1.0 - e * s) / (1.0 + e * s)).ln())
}

/// Constants of the authalic sphere: `q(90°)`, the radius `Rq`, and the coefficients of the
/// series from authalic to geodetic latitude (Snyder 3-18).
struct Sphere {
    qp: f64,
    rq: f64,
    c2: f64,
    c4: f64,
    c6: f64,
}

fn sphere() -> &'static Sphere {
    static S: std::sync::OnceLock<Sphere> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let qp = q(1.0);
        let (e4, e6) = (E2 * E2, E2 * E2 * E2);
        Sphere {
            qp,
            rq: WGS84_A * (qp / 2.0).sqrt(),
            c2: E2 / 3.0 + 31.0 * e4 / 180.0 + 517.0 * e6 / 5040.0,
            c4: 23.0 * e4 / 360.0 + 251.0 * e6 / 3780.0,
            c6: 761.0 * e6 / 45360.0,
        }
    })
}

/// A vertex on the authalic sphere: `tan(β/2)`, the longitude (radians, relative to the
/// ring's first vertex) and the unit vector.
#[derive(Clone, Copy)]
struct Vertex {
    tb2: f64,
    lon: f64,
    v: [f64; 3],
}

fn vertex(s: &Sphere, lon_deg: f64, lat_deg: f64, lon0_deg: f64) -> Vertex {
    let sb = (q(lat_deg.to_radians().sin()) / s.qp).clamp(-1.0, 1.0);
    let cb = (1.0 - sb * sb).max(0.0).sqrt();
    let lon = (lon_deg - lon0_deg).to_radians();
    let (sl, cl) = lon.sin_cos();
    Vertex {
        tb2: sb / (1.0 + cb),
        lon,
        v: [cb * cl, cb * sl, sb],
    }
}

/// The sliver between the image of the ellipsoidal geodesic `a`–`b` on the authalic sphere and
/// the great circle `a`–`b` (m², signed as the great-circle term of the edge).
fn sliver(s: &Sphere, a: &Vertex, b: &Vertex) -> f64 {
    let d = [b.v[0] - a.v[0], b.v[1] - a.v[1], b.v[2] - a.v[2]];
    let chord = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
    if chord == 0.0 {
        return 0.0;
    }
    // Arc length on the sphere: 2 asin(c/2) = c (1 + c²/24 + …) for the short edges here.
    let l = s.rq * chord * (1.0 + chord * chord / 24.0);
    // The great circle's midpoint and its direction there.
    let m = [a.v[0] + b.v[0], a.v[1] + b.v[1], a.v[2] + b.v[2]];
    let nm = (m[0] * m[0] + m[1] * m[1] + m[2] * m[2]).sqrt();
    let (mx, my, sbm) = (m[0] / nm, m[1] / nm, m[2] / nm);
    let cbm = (mx * mx + my * my).sqrt();
    let east = (-my * d[0] + mx * d[1]) / cbm;
    let north = (-sbm * (mx * d[0] + my * d[1])) / cbm + cbm * d[2];
    let h = east.hypot(north);
    let (s2, c2) = (east / h, north / h);
    // Geodetic latitude of the midpoint from the authalic one (a few ulps suffice here).
    let sin2b = 2.0 * sbm * cbm;
    let cos2b = cbm * cbm - sbm * sbm;
    let sin4b = 2.0 * sin2b * cos2b;
    let sin6b = sin4b * cos2b + (2.0 * cos2b * cos2b - 1.0) * sin2b;
    let phi = sbm.atan2(cbm) + s.c2 * sin2b + s.c4 * sin4b + s.c6 * sin6b;
    let (sp, cp) = phi.sin_cos();
    let w2 = 1.0 - E2 * sp * sp;
    let n = WGS84_A / w2.sqrt();
    let mrad = WGS84_A * (1.0 - E2) / (w2 * w2.sqrt());
    // Scales of the authalic map along parallels (k_λ) and meridians (1/k_λ); r = k_λ/k_φ.
    let kv = s.rq * cbm / (n * cp);
    let r = kv * kv;
    let (tan_phi, tan_b) = (sp / cp, sbm / cbm);
    // The ellipsoidal azimuth of the edge: tan α₁ = tan α₂ / r.
    let h1 = s2.hypot(r * c2);
    let (s1, c1) = (s2 / h1, r * c2 / h1);
    let bp = mrad * n * cp / (s.rq * s.rq * cbm);
    let rp = 2.0 * r * (-tan_b * bp + (mrad / n) * tan_phi);
    let den = c1 * c1 + r * r * s1 * s1;
    let dth1 = tan_phi * s1 / n;
    let dth2 = (r / den) * dth1 + (s1 * c1 / den) * rp * (c1 / mrad);
    let ds2 = ((c1 * c1) / r + r * s1 * s1).sqrt();
    let kappa = dth2 / ds2 - tan_b * s2 / s.rq;
    kappa * l * l * l / 12.0
}

/// Signed geodesic area of the ring (lon/lat degrees, closed or not), m²: positive for a
/// counter-clockwise ring, as `geo`'s `geodesic_area_signed`.
pub fn ring_area_m2(ring: &[geo::Coord]) -> f64 {
    let s = sphere();
    let Some(first) = ring.first() else {
        return 0.0;
    };
    let mut prev = vertex(s, first.x, first.y, first.x);
    let start = prev;
    let (mut excess, mut slivers) = (0.0, 0.0);
    let mut edge = |a: &Vertex, b: &Vertex| {
        let dl = b.lon - a.lon;
        excess += 2.0 * ((dl / 2.0).tan() * (a.tb2 + b.tb2)).atan2(1.0 + a.tb2 * b.tb2);
        slivers += sliver(s, a, b);
    };
    for c in &ring[1..] {
        let cur = vertex(s, c.x, c.y, first.x);
        edge(&prev, &cur);
        prev = cur;
    }
    if ring.last() != Some(first) {
        edge(&prev, &start);
    }
    // The trapezoid sum runs clockwise-positive: counter-clockwise rings come out negative.
    -(excess * s.rq * s.rq + slivers)
}

/// Whether a polygon with this lon/lat box and these rings suits [`ring_area_m2`]: away from
/// the poles, and either small ([`small_enough`]) or of edges each at most `MAX_EXTENT_M`
/// across. The approximation is per edge (the sliver between an edge's image and its great
/// circle), so a large site or zone drawn with short edges is measured as exactly as a small
/// one (`tests/geodesy_test.rs` holds 300 km polygons and 200 km corridors to Karney).
pub fn suits<'a>(b: [f64; 4], mut rings: impl Iterator<Item = &'a [geo::Coord]>) -> bool {
    if small_enough(b) {
        return true;
    }
    if b[3].abs().max(b[1].abs()) >= 80.0 {
        return false;
    }
    let (kx, ky) = metres_per_degree(b);
    let max2 = MAX_EXTENT_M * MAX_EXTENT_M;
    rings.all(|r| {
        r.windows(2).all(|w| {
            let (dx, dy) = ((w[1].x - w[0].x) * kx, (w[1].y - w[0].y) * ky);
            dx * dx + dy * dy <= max2
        })
    })
}

/// Metres per degree of longitude and latitude, rounded up over the box: on its parallel
/// nearest the equator, 111,320 m per degree on the equator, 111,700 m of meridian.
fn metres_per_degree(b: [f64; 4]) -> (f64, f64) {
    let lat = if b[1] <= 0.0 && b[3] >= 0.0 {
        0.0
    } else {
        b[1].abs().min(b[3].abs())
    };
    (111_320.0 * lat.to_radians().cos(), 111_700.0)
}

/// Whether a polygon with this lon/lat box is small enough for [`ring_area_m2`].
pub fn small_enough(b: [f64; 4]) -> bool {
    let (kx, ky) = metres_per_degree(b);
    let (dx, dy) = ((b[2] - b[0]) * kx, (b[3] - b[1]) * ky);
    b[3].abs().max(b[1].abs()) < 80.0 && dx.hypot(dy) <= MAX_EXTENT_M
}
