//! The WGS84 ellipsoid (CGCS2000 differs from it by < 0.1 mm): its axes and radii of curvature,
//! which the geodesic measures and the local frames both build on.

/// WGS84 semi-major axis (m).
pub const WGS84_A: f64 = 6_378_137.0;
/// WGS84 flattening.
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// Radii of curvature of the ellipsoid at latitude `lat_deg`: (meridional M, prime vertical N), m.
pub fn radii_of_curvature(lat_deg: f64) -> (f64, f64) {
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let s = lat_deg.to_radians().sin();
    let w = (1.0 - e2 * s * s).sqrt();
    let n = WGS84_A / w;
    let m = WGS84_A * (1.0 - e2) / (w * w * w);
    (m, n)
}
