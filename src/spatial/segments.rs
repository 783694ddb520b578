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
    let along_x = longer_along_x(segs);
    // (sweep low, sweep high, cross low, cross high) per segment.
    let spans: Vec<[f64; 4]> = segs.iter().map(|l| span(l, along_x)).collect();
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

/// One set of segments sorted once for sweeps against many others (a site against each feature
/// near it): [`overlapping_pairs`] over the union would sort the site's segments again for every
/// feature and compare them with each other, which was half of a line site's check.
#[derive(Debug, Clone, Default)]
pub struct SweepIndex {
    along_x: bool,
    /// (sweep low, sweep high, cross low, cross high) and the segment's index, by sweep low.
    items: Vec<([f64; 4], u32)>,
}

impl SweepIndex {
    /// Sorts `segs` along the longer axis of their extent.
    pub fn new(segs: &[Line]) -> Self {
        let along_x = longer_along_x(segs);
        let mut items: Vec<([f64; 4], u32)> = segs
            .iter()
            .enumerate()
            .map(|(i, l)| (span(l, along_x), i as u32))
            .collect();
        items.sort_unstable_by(|a, b| a.0[0].total_cmp(&b.0[0]));
        Self { along_x, items }
    }

    /// Calls `f(i, j)` for every segment `i` of the indexed set and `j` of `other` whose
    /// bounding boxes overlap, until `f` returns `Some`: one merged sweep of the two sorted
    /// sets that only ever compares segments of different sets.
    pub fn pairs_with<T>(
        &self,
        other: &[Line],
        mut f: impl FnMut(usize, usize) -> Option<T>,
    ) -> Option<T> {
        let mut theirs: Vec<([f64; 4], u32)> = other
            .iter()
            .enumerate()
            .map(|(j, l)| (span(l, self.along_x), j as u32))
            .collect();
        theirs.sort_unstable_by(|a, b| a.0[0].total_cmp(&b.0[0]));
        let (ours, mut next_ours, mut next_theirs) = (&self.items, 0, 0);
        let (mut active_ours, mut active_theirs): (Vec<usize>, Vec<usize>) = (vec![], vec![]);
        let overlap = |a: &[f64; 4], b: &[f64; 4]| a[2] <= b[3] && a[3] >= b[2];
        loop {
            let take_ours = match (ours.get(next_ours), theirs.get(next_theirs)) {
                (Some(a), Some(b)) => a.0[0] <= b.0[0],
                (Some(_), None) if !active_theirs.is_empty() => true,
                (None, Some(_)) if !active_ours.is_empty() => false,
                _ => return None,
            };
            if take_ours {
                let (s, i) = ours[next_ours];
                active_theirs.retain(|&k| theirs[k].0[1] >= s[0]);
                for &k in &active_theirs {
                    if overlap(&s, &theirs[k].0) {
                        if let Some(t) = f(i as usize, theirs[k].1 as usize) {
                            return Some(t);
                        }
                    }
                }
                active_ours.push(next_ours);
                next_ours += 1;
            } else {
                let (s, j) = theirs[next_theirs];
                active_ours.retain(|&k| ours[k].0[1] >= s[0]);
                for &k in &active_ours {
                    if overlap(&ours[k].0, &s) {
                        if let Some(t) = f(ours[k].1 as usize, j as usize) {
                            return Some(t);
                        }
                    }
                }
                active_theirs.push(next_theirs);
                next_theirs += 1;
            }
        }
    }
}

/// Whether the segments' extent is at least as wide (x) as it is tall (y): the axis to sweep.
fn longer_along_x(segs: &[Line]) -> bool {
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for c in segs.iter().flat_map(|l| [l.start, l.end]) {
        lo = [lo[0].min(c.x), lo[1].min(c.y)];
        hi = [hi[0].max(c.x), hi[1].max(c.y)];
    }
    hi[0] - lo[0] >= hi[1] - lo[1]
}

/// A segment's (sweep low, sweep high, cross low, cross high).
fn span(l: &Line, along_x: bool) -> [f64; 4] {
    let (a, b) = if along_x {
        ((l.start.x, l.end.x), (l.start.y, l.end.y))
    } else {
        ((l.start.y, l.end.y), (l.start.x, l.end.x))
    };
    [a.0.min(a.1), a.0.max(a.1), b.0.min(b.1), b.0.max(b.1)]
}

/// Where a point lies against a ring or a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RingSide {
    /// In the interior.
    Inside,
    /// On the boundary.
    Boundary,
    /// Outside.
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
    ray_location(ring.lines(), p)
}

/// Where `p` lies against the region the `edges` bound, by the parity of their crossings with
/// the ray from `p` to the east. The edges may be all of a valid polygon's rings (which never
/// cross, so the parity over all of them is exterior-minus-holes), or only those near the ray.
pub(crate) fn ray_location(edges: impl IntoIterator<Item = Line>, p: Coord) -> RingSide {
    let mut inside = false;
    for l in edges {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn segs(max: usize) -> impl Strategy<Value = Vec<Line>> {
        prop::collection::vec((0i32..20, 0i32..20, -4i32..5, -4i32..5), 0..max).prop_map(|v| {
            v.into_iter()
                .map(|(x, y, dx, dy)| {
                    let c = |x: i32, y: i32| Coord {
                        x: f64::from(x),
                        y: f64::from(y),
                    };
                    Line::new(c(x, y), c(x + dx, y + dy))
                })
                .collect()
        })
    }

    fn boxes_overlap(a: &Line, b: &Line) -> bool {
        a.start.x.min(a.end.x) <= b.start.x.max(b.end.x)
            && a.start.x.max(a.end.x) >= b.start.x.min(b.end.x)
            && a.start.y.min(a.end.y) <= b.start.y.max(b.end.y)
            && a.start.y.max(a.end.y) >= b.start.y.min(b.end.y)
    }

    proptest! {
        /// Every pair once, against all pairs compared one by one.
        #[test]
        fn the_sweep_finds_every_overlapping_pair_once(a in segs(30), b in segs(30)) {
            let mut got = Vec::new();
            let _: Option<()> = SweepIndex::new(&a).pairs_with(&b, |i, j| {
                got.push((i, j));
                None
            });
            got.sort_unstable();
            let mut want = Vec::new();
            for (i, x) in a.iter().enumerate() {
                for (j, y) in b.iter().enumerate() {
                    if boxes_overlap(x, y) {
                        want.push((i, j));
                    }
                }
            }
            prop_assert_eq!(got, want);
        }
    }
}
