//! Planar predicates on segments in lon/lat: which pairs of segments meet (one sweep, not every
//! pair), the crossing-number step of point-in-ring tests, and closest points. Exact orientation
//! tests decide sides, so a point next to an edge never lands on the wrong one by rounding.

use geo::{Coord, Geometry, Line, LineString};

/// Calls `f(i, j)` (with `i < j`) for every pair of segments whose bounding boxes overlap,
/// until `f` returns `Some`. Sweep and prune along the longer axis of the whole set: sort by
/// the segments' low end, keep the ones still reaching the sweep position. Real rings have short
/// edges, so the active set stays small and the cost is O(n log n); `geo`'s Bentley–Ottmann
/// sweep gives the same pairs' answers with a balanced tree per event, 3–4× slower on the
/// 10⁸ vertices of a national layer. (A ring of many long edges parallel to the sweep axis
/// degrades towards O(n²); no real boundary is drawn like that.)
pub(crate) fn overlapping_pairs<T>(
    segs: &[Line],
    mut f: impl FnMut(usize, usize) -> Option<T>,
) -> Option<T> {
    let (mut lo, mut hi) = (
        Coord {
            x: f64::MAX,
            y: f64::MAX,
        },
        Coord {
            x: f64::MIN,
            y: f64::MIN,
        },
    );
    for l in segs {
        for c in [l.start, l.end] {
            lo = Coord {
                x: lo.x.min(c.x),
                y: lo.y.min(c.y),
            };
            hi = Coord {
                x: hi.x.max(c.x),
                y: hi.y.max(c.y),
            };
        }
    }
    let along_x = hi.x - lo.x >= hi.y - lo.y;
    // (sweep low, sweep high, cross low, cross high) per segment.
    let spans: Vec<[f64; 4]> = segs
        .iter()
        .map(|l| {
            let (a, b) = if along_x {
                ((l.start.x, l.end.x), (l.start.y, l.end.y))
            } else {
                ((l.start.y, l.end.y), (l.start.x, l.end.x))
            };
            [a.0.min(a.1), a.0.max(a.1), b.0.min(b.1), b.0.max(b.1)]
        })
        .collect();
    let mut order: Vec<u32> = (0..segs.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| spans[a as usize][0].total_cmp(&spans[b as usize][0]));
    let mut active: Vec<u32> = Vec::new();
    for &i in &order {
        let si = spans[i as usize];
        active.retain(|&j| spans[j as usize][1] >= si[0]);
        for &j in &active {
            let sj = spans[j as usize];
            if sj[2] <= si[3] && sj[3] >= si[2] {
                let (a, b) = (i.min(j) as usize, i.max(j) as usize);
                if let Some(t) = f(a, b) {
                    return Some(t);
                }
            }
        }
        active.push(i);
    }
    None
}

/// Whether any segment of `a` meets (crosses or touches) any segment of `b`: one sweep over
/// both sets, O((n + m) log(n + m)) instead of every pair.
pub fn segments_meet(a: &[Line], b: &[Line]) -> bool {
    let mut all = Vec::with_capacity(a.len() + b.len());
    all.extend_from_slice(a);
    all.extend_from_slice(b);
    let n = a.len();
    overlapping_pairs(&all, |i, j| {
        (i < n && j >= n && geo::line_intersection::line_intersection(all[i], all[j]).is_some())
            .then_some(())
    })
    .is_some()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RingSide {
    Inside,
    Boundary,
    Outside,
}

/// How one edge `a`–`b` meets the ray from `p` due east: the step of every crossing-number test
/// here (rings at validation, features at point location).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EdgeRay {
    /// `p` lies on the edge.
    OnEdge,
    /// The edge crosses the ray east of `p`.
    Crosses,
    Misses,
}

/// Half-open rule: an edge counts when exactly one endpoint is above the ray, and it crosses
/// east of the point when the point lies left of an upward edge or right of a downward one —
/// decided with the exact orientation predicate, since a computed intersection x can round to
/// the wrong side for points next to the edge.
pub(crate) fn edge_ray(a: Coord, b: Coord, p: Coord) -> EdgeRay {
    use geo::kernels::RobustKernel;
    use geo::{Kernel, Orientation};
    let o = RobustKernel::orient2d(a, b, p);
    if o == Orientation::Collinear
        && p.x >= a.x.min(b.x)
        && p.x <= a.x.max(b.x)
        && p.y >= a.y.min(b.y)
        && p.y <= a.y.max(b.y)
    {
        return EdgeRay::OnEdge;
    }
    let upward = b.y > a.y;
    if (a.y > p.y) != (b.y > p.y)
        && ((upward && o == Orientation::CounterClockwise)
            || (!upward && o == Orientation::Clockwise))
    {
        EdgeRay::Crosses
    } else {
        EdgeRay::Misses
    }
}

/// Where `p` lies against a closed ring.
pub(crate) fn ring_location(ring: &LineString, p: Coord) -> RingSide {
    let mut inside = false;
    for l in ring.lines() {
        match edge_ray(l.start, l.end, p) {
            EdgeRay::OnEdge => return RingSide::Boundary,
            EdgeRay::Crosses => inside = !inside,
            EdgeRay::Misses => {}
        }
    }
    if inside {
        RingSide::Inside
    } else {
        RingSide::Outside
    }
}

/// Closest point to `p` on segment `l` (all in one planar frame).
pub(crate) fn closest_on_segment(p: Coord, l: &Line) -> Coord {
    let d = l.end - l.start;
    let len2 = d.x * d.x + d.y * d.y;
    if len2 == 0.0 {
        return l.start;
    }
    let t = (((p - l.start).x * d.x + (p - l.start).y * d.y) / len2).clamp(0.0, 1.0);
    l.start + d * t
}

pub(crate) fn dist2(a: Coord, b: Coord) -> f64 {
    let d = a - b;
    d.x * d.x + d.y * d.y
}

/// All segments of a geometry (points become zero-length segments), in lon/lat.
pub fn segments(geom: &Geometry) -> Vec<Line> {
    fn ring(ls: &LineString, out: &mut Vec<Line>) {
        if ls.0.len() == 1 {
            out.push(Line::new(ls.0[0], ls.0[0]));
        }
        out.extend(ls.lines());
    }
    let mut out = Vec::new();
    match geom {
        Geometry::Point(p) => out.push(Line::new(p.0, p.0)),
        Geometry::MultiPoint(mp) => out.extend(mp.iter().map(|p| Line::new(p.0, p.0))),
        Geometry::Line(l) => out.push(*l),
        Geometry::LineString(ls) => ring(ls, &mut out),
        Geometry::MultiLineString(mls) => mls.iter().for_each(|ls| ring(ls, &mut out)),
        Geometry::Polygon(p) => {
            ring(p.exterior(), &mut out);
            p.interiors().iter().for_each(|r| ring(r, &mut out));
        }
        Geometry::MultiPolygon(mp) => mp.iter().for_each(|p| {
            ring(p.exterior(), &mut out);
            p.interiors().iter().for_each(|r| ring(r, &mut out));
        }),
        Geometry::Rect(r) => ring(r.to_polygon().exterior(), &mut out),
        Geometry::Triangle(t) => ring(t.to_polygon().exterior(), &mut out),
        Geometry::GeometryCollection(gc) => gc.iter().for_each(|g| out.extend(segments(g))),
    }
    out
}
