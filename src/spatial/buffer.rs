//! Metric buffers of lon/lat sites: projected into an azimuthal equidistant frame centred on the
//! site, buffered there with round joins of 1°, densified, and brought back to lon/lat, so a
//! 500 m ring is 500 m in every direction (a degree of longitude is 14 % shorter than one of
//! latitude at 30.7°N).

use super::frames::Aeqd;
use geo::algorithm::buffer::{BufferStyle, LineCap, LineJoin};
use geo::{Buffer, Geometry, MapCoords, MultiPolygon};

/// Longest edge of a buffer outline, m: short enough that a straight edge in lon/lat and in
/// the projected frame are the same line to well under a metre.
const MAX_EDGE_M: f64 = 100.0;

/// The site buffered by `r` metres, in lon/lat.
pub fn buffer_lonlat(site: &Geometry, r: f64, frame: &Aeqd) -> Option<MultiPolygon> {
    let local: Geometry = site.map_coords(|c| frame.forward(c));
    let style = BufferStyle::new(r)
        .line_join(LineJoin::Round(1f64.to_radians()))
        .line_cap(LineCap::Round(1f64.to_radians()));
    let buffered = local.buffer_with_style(style);
    let dense = densify(&buffered, MAX_EDGE_M);
    let back = dense.map_coords(|c| frame.inverse(c));
    (!back.0.is_empty()).then_some(back)
}

fn densify(mp: &MultiPolygon, max: f64) -> MultiPolygon {
    let ring = |ls: &geo::LineString| {
        let mut out = Vec::with_capacity(ls.0.len());
        for w in ls.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            let n = ((b - a).x.hypot((b - a).y) / max).ceil().max(1.0) as usize;
            for i in 0..n {
                let t = i as f64 / n as f64;
                out.push(a + (b - a) * t);
            }
        }
        if let Some(last) = ls.0.last() {
            out.push(*last);
        }
        geo::LineString(out)
    };
    MultiPolygon(
        mp.0.iter()
            .map(|p| {
                geo::Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
            })
            .collect(),
    )
}
