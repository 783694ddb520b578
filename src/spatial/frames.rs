//! Local frames in metres, one home for each: the sinusoidal [`LocalFrame`] that picks closest
//! pairs, the azimuthal equidistant [`Aeqd`] that buffers sites metrically, and Web Mercator for
//! tiles. Everything inside ecospace is lon/lat; these are the only places it becomes metres.

use super::ellipsoid::{radii_of_curvature, WGS84_A, WGS84_F};
use geo::{Centroid, Coord, Geometry};

/// A local sinusoidal frame in metres around an origin: north-south distances use the meridional
/// radius at the origin, east-west distances the exact parallel scale at each point's latitude.
///
/// Over tens of kilometres (and small longitude spans) its error is well under 1 %, which is
/// all we need to choose the closest pair of points; the distance itself is then measured
/// geodesically between that pair. Exact parallel scale matters: it makes the frame pick the
/// poleward (shorter) of two otherwise equal east-west gaps.
#[derive(Debug, Clone, Copy)]
pub struct LocalFrame {
    lon0: f64,
    lat0: f64,
    ky: f64,
}

impl LocalFrame {
    /// A frame centred on `origin` (lon/lat degrees).
    pub fn new(origin: Coord) -> Self {
        let (m, _) = radii_of_curvature(origin.y);
        LocalFrame {
            lon0: origin.x,
            lat0: origin.y,
            ky: m * std::f64::consts::PI / 180.0,
        }
    }

    /// Metres per degree of longitude at latitude `lat`.
    fn kx(lat: f64) -> f64 {
        let (_, n) = radii_of_curvature(lat);
        n * lat.to_radians().cos() * std::f64::consts::PI / 180.0
    }

    /// lon/lat → metres east/north of the origin.
    pub fn project(&self, c: Coord) -> Coord {
        Coord {
            x: (c.x - self.lon0) * Self::kx(c.y),
            y: (c.y - self.lat0) * self.ky,
        }
    }

    /// Metres east/north of the origin → lon/lat.
    pub fn unproject(&self, c: Coord) -> Coord {
        let lat = c.y / self.ky + self.lat0;
        Coord {
            x: c.x / Self::kx(lat) + self.lon0,
            y: lat,
        }
    }

    /// Degrees of longitude and latitude that `metres` spans at the origin (for envelope padding).
    pub fn degrees_for(&self, metres: f64) -> (f64, f64) {
        (metres / Self::kx(self.lat0), metres / self.ky)
    }
}

/// Azimuthal equidistant projection centred on a site, on Gauss's conformal sphere.
///
/// Geodetic latitude cannot simply be used on a sphere: east–west distances come out 0.25 %
/// short at 30°N. Gauss's conformal sphere (the first step of the "double stereographic"
/// projection) maps the ellipsoid onto a sphere of radius √(MN) with scale exactly 1 in every
/// direction at the centre; the azimuthal equidistant projection of that sphere then keeps
/// distances from the centre to a few parts in 10⁷ over tens of kilometres.
#[derive(Debug, Clone, Copy)]
pub struct Aeqd {
    lon0: f64,
    /// Conformal latitude of the centre.
    psi0: f64,
    /// Longitude scale `c` and latitude constant `k` of the conformal sphere.
    c: f64,
    k: f64,
    radius: f64,
}

const E2: f64 = WGS84_F * (2.0 - WGS84_F);

impl Aeqd {
    /// Centred on the site's centroid (its first vertex when it has none).
    pub fn at(site: &Geometry) -> Aeqd {
        let c = site
            .centroid()
            .map(|p| p.0)
            .or_else(|| geo::BoundingRect::bounding_rect(site).map(geo::Rect::min))
            .unwrap_or(Coord { x: 0.0, y: 0.0 });
        Aeqd::new(c)
    }

    pub fn new(centre: Coord) -> Aeqd {
        let e = E2.sqrt();
        let phi0 = centre.y.to_radians();
        let (m, n) = radii_of_curvature(centre.y);
        let c = (1.0 + E2 * phi0.cos().powi(4) / (1.0 - E2)).sqrt();
        let psi0 = (phi0.sin() / c).asin();
        let k = (std::f64::consts::FRAC_PI_4 + psi0 / 2.0).tan()
            / ((std::f64::consts::FRAC_PI_4 + phi0 / 2.0).tan().powf(c)
                * ((1.0 - e * phi0.sin()) / (1.0 + e * phi0.sin())).powf(c * e / 2.0));
        Aeqd {
            lon0: centre.x.to_radians(),
            psi0,
            c,
            k,
            radius: (m * n).sqrt(),
        }
    }

    /// Geodetic → conformal-sphere latitude and longitude (radians).
    fn onto_sphere(&self, c: Coord) -> (f64, f64) {
        let e = E2.sqrt();
        let phi = c.y.to_radians();
        let t = (std::f64::consts::FRAC_PI_4 + phi / 2.0).tan().powf(self.c)
            * ((1.0 - e * phi.sin()) / (1.0 + e * phi.sin())).powf(self.c * e / 2.0);
        let psi = 2.0 * (self.k * t).atan() - std::f64::consts::FRAC_PI_2;
        (psi, self.c * (c.x.to_radians() - self.lon0))
    }

    fn off_sphere(&self, psi: f64, lam: f64) -> Coord {
        let e = E2.sqrt();
        let target = ((std::f64::consts::FRAC_PI_4 + psi / 2.0).tan() / self.k).powf(1.0 / self.c);
        // Fixed point on φ: converges to 1e-15 in a handful of steps for |φ| < 89°.
        let mut phi = psi;
        for _ in 0..20 {
            let s = phi.sin();
            let next = 2.0 * (target / ((1.0 - e * s) / (1.0 + e * s)).powf(e / 2.0)).atan()
                - std::f64::consts::FRAC_PI_2;
            let done = (next - phi).abs() < 1e-15;
            phi = next;
            if done {
                break;
            }
        }
        Coord {
            x: (self.lon0 + lam / self.c).to_degrees(),
            y: phi.to_degrees(),
        }
    }

    /// lon/lat degrees → metres east/north.
    pub fn forward(&self, c: Coord) -> Coord {
        let (lat, dlon) = self.onto_sphere(c);
        let cos_c = self.psi0.sin() * lat.sin() + self.psi0.cos() * lat.cos() * dlon.cos();
        let cc = cos_c.clamp(-1.0, 1.0).acos();
        let k = if cc < 1e-12 { 1.0 } else { cc / cc.sin() };
        Coord {
            x: self.radius * k * lat.cos() * dlon.sin(),
            y: self.radius
                * k
                * (self.psi0.cos() * lat.sin() - self.psi0.sin() * lat.cos() * dlon.cos()),
        }
    }

    /// Metres east/north → lon/lat degrees.
    pub fn inverse(&self, p: Coord) -> Coord {
        let rho = p.x.hypot(p.y);
        if rho < 1e-9 {
            return self.off_sphere(self.psi0, 0.0);
        }
        let c = rho / self.radius;
        let lat = (c.cos() * self.psi0.sin() + p.y * c.sin() * self.psi0.cos() / rho).asin();
        let lam = (p.x * c.sin())
            .atan2(rho * self.psi0.cos() * c.cos() - p.y * self.psi0.sin() * c.sin());
        self.off_sphere(lat, lam)
    }
}

/// Half the Web Mercator world's width, m (πR with R = the WGS84 semi-major axis).
pub const MERCATOR_HALF_WORLD: f64 = std::f64::consts::PI * WGS84_A;

/// lon/lat → Web Mercator metres (latitude clamped to the Mercator limit).
pub fn mercator_project(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-85.051_128_78, 85.051_128_78);
    (
        WGS84_A * lon.to_radians(),
        WGS84_A
            * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
                .tan()
                .ln(),
    )
}

/// Web Mercator metres → lon/lat.
pub fn mercator_unproject(x: f64, y: f64) -> (f64, f64) {
    (
        (x / WGS84_A).to_degrees(),
        (2.0 * (y / WGS84_A).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::geodesy::point_distance_m;
    use approx::assert_relative_eq;

    #[test]
    fn local_frame_round_trips() {
        let f = LocalFrame::new(Coord {
            x: 120.75,
            y: 30.75,
        });
        let c = Coord {
            x: 120.91,
            y: 30.52,
        };
        let back = f.unproject(f.project(c));
        assert_relative_eq!(back.x, c.x, epsilon = 1e-12);
        assert_relative_eq!(back.y, c.y, epsilon = 1e-12);
    }

    #[test]
    fn the_projection_round_trips_and_keeps_distances_from_the_centre() {
        let f = Aeqd::new(Coord {
            x: 120.75,
            y: 30.75,
        });
        for c in [
            Coord {
                x: 120.80,
                y: 30.70,
            },
            Coord {
                x: 120.70,
                y: 30.80,
            },
            Coord { x: 121.2, y: 30.4 },
            Coord {
                x: 120.80,
                y: 30.75,
            },
            Coord {
                x: 120.75,
                y: 30.80,
            },
        ] {
            let b = f.inverse(f.forward(c));
            assert!(
                (b.x - c.x).abs() < 1e-10 && (b.y - c.y).abs() < 1e-10,
                "{b:?}"
            );
            // Distance from the centre: projected vs geodesic (Karney), within 1e-5.
            let p = f.forward(c);
            let g = point_distance_m(
                Coord {
                    x: 120.75,
                    y: 30.75,
                },
                c,
            );
            assert!(
                (p.x.hypot(p.y) / g - 1.0).abs() < 1e-5,
                "{} vs {g}",
                p.x.hypot(p.y)
            );
        }
    }
}
