//! Clipping to an axis-aligned box in lon/lat, before a boolean operation: the part of a large
//! zone (or a long line) that can meet a small site is the part inside the site's box, and a
//! boolean operation costs what its inputs hold. `site ∩ zone = site ∩ (zone ∩ box)` for any box
//! that holds the site, so the answer does not change; only the work does.
//!
//! Rings go through Sutherland–Hodgman, which keeps a clipped ring as one ring: where the ring
//! leaves the box and comes back, the output runs along the box's edge and back (a zero-width
//! bridge). Under the even-odd rule of the boolean operations such a ring encloses exactly the
//! ring's part inside the box; the bridges lie on the box's boundary, outside the site.
//! Lines are cut by Liang–Barsky into the pieces inside the box.

use geo::{Coord, LineString, MultiLineString, MultiPolygon, Polygon};

/// `[min_x, min_y, max_x, max_y]`.
pub type Box2 = [f64; 4];

/// The smallest box holding both.
pub fn union(a: Box2, b: Box2) -> Box2 {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

/// `b` grown by `margin` on every side (a margin keeps the site's own edges off the box's).
pub fn grow(b: Box2, margin: f64) -> Box2 {
    [b[0] - margin, b[1] - margin, b[2] + margin, b[3] + margin]
}

fn ring_box(r: &LineString) -> Option<Box2> {
    let mut it = r.0.iter();
    let first = it.next()?;
    Some(it.fold([first.x, first.y, first.x, first.y], |b, c| {
        [b[0].min(c.x), b[1].min(c.y), b[2].max(c.x), b[3].max(c.y)]
    }))
}

fn inside_box(a: Box2, b: Box2) -> bool {
    a[0] >= b[0] && a[1] >= b[1] && a[2] <= b[2] && a[3] <= b[3]
}

fn apart(a: Box2, b: Box2) -> bool {
    a[2] < b[0] || a[0] > b[2] || a[3] < b[1] || a[1] > b[3]
}

/// One Sutherland–Hodgman pass: the part of the closed ring `pts` (first point not repeated)
/// on the inner side of the line `coord(axis) = at`.
fn half_plane(pts: &[Coord], axis: usize, at: f64, keep_below: bool, out: &mut Vec<Coord>) {
    out.clear();
    let get = |c: &Coord| if axis == 0 { c.x } else { c.y };
    let inside = |c: &Coord| {
        if keep_below {
            get(c) <= at
        } else {
            get(c) >= at
        }
    };
    let Some(mut prev) = pts.last().copied() else {
        return;
    };
    for &cur in pts {
        let (pin, cin) = (inside(&prev), inside(&cur));
        if pin != cin {
            let t = (at - get(&prev)) / (get(&cur) - get(&prev));
            let mut x = prev + (cur - prev) * t;
            // Exactly on the line, whatever the rounding of the interpolation.
            if axis == 0 {
                x.x = at;
            } else {
                x.y = at;
            }
            out.push(x);
        }
        if cin {
            out.push(cur);
        }
        prev = cur;
    }
}

/// A closed ring clipped to `b`: `None` when nothing of it is inside.
fn ring_to_box(r: &LineString, b: Box2) -> Option<LineString> {
    let rb = ring_box(r)?;
    if inside_box(rb, b) {
        return Some(r.clone());
    }
    if apart(rb, b) {
        return None;
    }
    let n = r.0.len().saturating_sub(1); // the ring repeats its first point
    let mut cur: Vec<Coord> = r.0[..n].to_vec();
    let mut next = Vec::with_capacity(cur.len() + 4);
    for (axis, at, below) in [
        (0, b[0], false),
        (0, b[2], true),
        (1, b[1], false),
        (1, b[3], true),
    ] {
        half_plane(&cur, axis, at, below, &mut next);
        std::mem::swap(&mut cur, &mut next);
        if cur.len() < 3 {
            return None;
        }
    }
    cur.push(cur[0]);
    Some(LineString(cur))
}

/// The parts of `mp` inside `b`, ring by ring (see the module's note on bridges).
pub fn polygons_to_box(mp: &MultiPolygon, b: Box2) -> MultiPolygon {
    MultiPolygon(
        mp.0.iter()
            .filter_map(|p| {
                let exterior = ring_to_box(p.exterior(), b)?;
                let holes = p
                    .interiors()
                    .iter()
                    .filter_map(|h| ring_to_box(h, b))
                    .collect();
                Some(Polygon::new(exterior, holes))
            })
            .collect(),
    )
}

/// The pieces of `lines` inside `b` (Liang–Barsky on each segment; consecutive pieces are
/// joined). Borrowed lines: a river is not copied to keep the few metres of it near a site.
pub fn lines_to_box<'a>(
    lines: impl IntoIterator<Item = &'a LineString>,
    b: Box2,
) -> MultiLineString {
    let mut out = Vec::new();
    for ls in lines {
        if ls.0.is_empty() {
            continue;
        }
        let mut piece: Vec<Coord> = Vec::new();
        for w in ls.0.windows(2) {
            match segment_to_box(w[0], w[1], b) {
                Some((p, q)) => {
                    if piece.last() != Some(&p) {
                        if piece.len() >= 2 {
                            out.push(LineString(std::mem::take(&mut piece)));
                        }
                        piece.clear();
                        piece.push(p);
                    }
                    piece.push(q);
                }
                None => {
                    if piece.len() >= 2 {
                        out.push(LineString(std::mem::take(&mut piece)));
                    }
                    piece.clear();
                }
            }
        }
        if piece.len() >= 2 {
            out.push(LineString(piece));
        }
    }
    MultiLineString(out)
}

/// The part of segment `a`–`c` inside `b` (Liang–Barsky), its ends exact where unclipped.
fn segment_to_box(a: Coord, c: Coord, b: Box2) -> Option<(Coord, Coord)> {
    let d = c - a;
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-d.x, a.x - b[0]),
        (d.x, b[2] - a.x),
        (-d.y, a.y - b[1]),
        (d.y, b[3] - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            c
        } else {
            a + d * t
        }
    };
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Area, BooleanOps};

    #[test]
    fn a_clipped_zone_meets_a_site_in_the_box_as_the_whole_zone_does() {
        // A C-shaped zone whose arms leave and re-enter the box: the clipped ring has bridges.
        let zone = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 2.0), (x: 2.0, y: 2.0),
            (x: 2.0, y: 8.0), (x: 10.0, y: 8.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)
        ]]);
        let site = MultiPolygon(vec![polygon![
            (x: 1.0, y: 1.0), (x: 5.0, y: 1.5), (x: 4.0, y: 9.0), (x: 1.5, y: 8.5)
        ]]);
        let b = grow([1.0, 1.0, 5.0, 9.0], 1e-6);
        let clipped = polygons_to_box(&zone, b);
        let whole = site.intersection(&zone).unsigned_area();
        let part = site.intersection(&clipped).unsigned_area();
        // Computed another way: the zone ∩ box by hand is the box minus the inner gap.
        assert!((whole - part).abs() < 1e-9 * whole, "{whole} vs {part}");
        assert!(whole > 1.0);
        // Area of the clipped ring under even-odd: zone ∩ box, [1,5]×[1,9] minus (2,5]×(2,8).
        let by_hand = 4.0 * 8.0 - 3.0 * 6.0;
        let got: f64 = clipped.unsigned_area();
        assert!((got - by_hand).abs() < 1e-4, "{got}");
    }

    #[test]
    fn lines_are_cut_at_the_box_and_kept_whole_inside() {
        let l = MultiLineString(vec![LineString::from(vec![
            (-1.0, 0.5),
            (0.5, 0.5),
            (0.5, 2.0),
            (0.8, 0.2),
        ])]);
        let cut = lines_to_box(&l.0, [0.0, 0.0, 1.0, 1.0]);
        let pieces: Vec<Vec<(f64, f64)>> = cut
            .0
            .iter()
            .map(|ls| ls.0.iter().map(|c| (c.x, c.y)).collect())
            .collect();
        // In at x=0, up to y=1, then out; back in at y=1 on the way down.
        assert_eq!(pieces.len(), 2, "{pieces:?}");
        assert_eq!(pieces[0], [(0.0, 0.5), (0.5, 0.5), (0.5, 1.0)]);
        assert!((pieces[1][0].1 - 1.0).abs() < 1e-12 && pieces[1][1] == (0.8, 0.2));
        assert!(lines_to_box(&l.0, [5.0, 5.0, 6.0, 6.0]).0.is_empty());
    }
}
