//! The checks between the rings of a polygon and between the parts of a multipolygon, and a
//! ring's own self-intersection: one sweep over all edges, O((n + k) log n).

use super::segments::{overlapping_pairs, ring_location, RingSide};
use geo::{Coord, Geometry, Line, LineIntersection, LineString, MultiPolygon, Polygon, Validation};

/// Where a ring or line crosses itself, if it does (adjacent segments meeting at their shared
/// joint are fine).
pub(crate) fn self_intersection(ls: &LineString) -> Option<Coord> {
    let segs: Vec<Line> = ls.lines().collect();
    let n = segs.len();
    let closed = ls.is_closed();
    overlapping_pairs(&segs, |a, b| {
        let x = geo::line_intersection::line_intersection(segs[a], segs[b])?;
        let joint = if b == a + 1 {
            Some(segs[a].end)
        } else if closed && a == 0 && b == n - 1 {
            Some(segs[a].start)
        } else {
            None
        };
        match x {
            LineIntersection::SinglePoint { intersection, .. } => {
                (Some(intersection) != joint).then_some(intersection)
            }
            LineIntersection::Collinear { intersection } => Some(intersection.start),
        }
    })
}

/// Rings with at most this many vertices in all go to `geo`'s full validation when two rings
/// touch (its pairwise test is O(n²)); larger ones with touching rings are accepted on the
/// sweep's word.
const FULL_VALIDATION_MAX: usize = 20_000;

/// The ring checks between rings of valid rings (each already free of self-intersections):
/// no two rings cross or share an edge, every hole lies inside its shell and outside the other
/// holes, and no part lies inside another. The crossings come from one sweep over all edges,
/// O((n + k) log n), where `geo`'s validation compares every pair of edges — hours for a
/// 10⁶-vertex polygon. Rings that merely touch at a point are legal in OGC terms but can still
/// disconnect an interior; those (rare) polygons get `geo`'s full validation too when small
/// enough.
pub(crate) fn check_parts(parts: &[Polygon]) -> Result<(), String> {
    let rings: Vec<(usize, &LineString)> = parts
        .iter()
        .enumerate()
        .flat_map(|(k, p)| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(move |r| (k, r))
        })
        .collect();
    let mut touch = false;
    if rings.len() > 1 {
        let (mut segs, mut ring_of) = (Vec::new(), Vec::new());
        for (i, (_, r)) in rings.iter().enumerate() {
            segs.extend(r.lines());
            ring_of.resize(segs.len(), i);
        }
        let crossing = overlapping_pairs(&segs, |a, b| {
            if ring_of[a] == ring_of[b] {
                return None;
            }
            match geo::line_intersection::line_intersection(segs[a], segs[b])? {
                LineIntersection::SinglePoint {
                    intersection,
                    is_proper: true,
                } => Some(format!(
                    "two rings cross at [{}, {}]",
                    intersection.x, intersection.y
                )),
                LineIntersection::Collinear { intersection } => Some(format!(
                    "two rings share an edge near [{}, {}]",
                    intersection.start.x, intersection.start.y
                )),
                LineIntersection::SinglePoint { .. } => {
                    touch = true;
                    None
                }
            }
        });
        if let Some(e) = crossing {
            return Err(e);
        }
    }
    // Without crossings, one vertex off a ring's boundary tells where the whole ring lies.
    let side = |ring: &LineString, of: &LineString| -> Option<bool> {
        ring.0.iter().find_map(|c| match ring_location(of, *c) {
            RingSide::Inside => Some(true),
            RingSide::Outside => Some(false),
            RingSide::Boundary => None,
        })
    };
    for (k, p) in parts.iter().enumerate() {
        for (h, hole) in p.interiors().iter().enumerate() {
            if side(hole, p.exterior()) == Some(false) {
                return Err(format!(
                    "hole {h} of polygon {k} lies outside its exterior ring"
                ));
            }
            for (g, other) in p.interiors().iter().enumerate() {
                if g != h && side(hole, other) == Some(true) {
                    return Err(format!("hole {h} of polygon {k} lies inside hole {g}"));
                }
            }
        }
        for (j, q) in parts.iter().enumerate() {
            // Part k inside part j's shell, and not inside one of j's holes.
            if j != k
                && side(p.exterior(), q.exterior()) == Some(true)
                && !q
                    .interiors()
                    .iter()
                    .any(|h| side(p.exterior(), h) == Some(true))
            {
                return Err(format!("polygon {k} lies inside polygon {j}"));
            }
        }
    }
    let vertices: usize = rings.iter().map(|(_, r)| r.0.len()).sum();
    if touch && vertices <= FULL_VALIDATION_MAX {
        let g = if parts.len() == 1 {
            Geometry::Polygon(parts[0].clone())
        } else {
            Geometry::MultiPolygon(MultiPolygon(parts.to_vec()))
        };
        g.check_validation().map_err(|e| e.to_string())?;
    }
    Ok(())
}
