//! Subdivision of very large zones into small pieces (the idea of PostGIS's `ST_Subdivide`).
//!
//! A site check relates the site to a zone (DE-9IM) and intersects them: both cost at least
//! the zone's vertex count, so a 10⁶-vertex red-line polygon would cost ~1 s per check. Cut
//! once at load into pieces of at most [`MAX_PIECE_VERTICES`] (recursive halving of the
//! bounding box), the zone answers a check from the few pieces near the site: their union is
//! the zone clipped to a box around the site, and within that box it has the same interior and
//! boundary as the zone — so intersection areas and relations come out the same (see
//! [`Subdivision::near`]), at a cost that depends on the site, not on the zone.

use geo::{BooleanOps, BoundingRect, CoordsIter, MultiPolygon, Polygon, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};

/// Zones with at least this many vertices are subdivided at load.
pub const MIN_VERTICES: usize = 4096;
/// Largest piece, in vertices.
pub const MAX_PIECE_VERTICES: usize = 512;
/// Recursion stops here whatever the piece size (a pathological knot of vertices).
const MAX_DEPTH: u32 = 24;

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// The pieces of one zone, indexed by their envelopes.
#[derive(Debug)]
pub struct Subdivision {
    pieces: Vec<Polygon>,
    index: RTree<Entry>,
}

impl Subdivision {
    /// Cuts `zone` into pieces; `None` when it is small enough to use whole.
    pub fn build(zone: &MultiPolygon) -> Option<Subdivision> {
        if zone.coords_count() < MIN_VERTICES {
            return None;
        }
        let bbox = zone.bounding_rect()?;
        let mut pieces = Vec::new();
        split(zone.clone(), bbox, 0, &mut pieces);
        let index = RTree::bulk_load(
            pieces
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let r = p.bounding_rect()?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i,
                    ))
                })
                .collect(),
        );
        Some(Subdivision { pieces, index })
    }

    /// Number of pieces.
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    /// Whether there are no pieces (a zone of zero area).
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The pieces whose envelopes meet a box `[min_lon, min_lat, max_lon, max_lat]`, as one
    /// MultiPolygon whose parts share cut edges but never overlap.
    ///
    /// Why it stands in for the zone for anything inside the box: the pieces tile the zone and
    /// the ones kept cover every point of it in the box, so intersecting a site in the box with
    /// them gives the site ∩ zone (the boolean operations fill by winding, so a cut edge shared
    /// by two kept pieces cancels out). Not unioned: `geo`'s `unary_union` of many pieces with
    /// shared edges was seen to stall; the intersection that follows merges them anyway.
    pub fn near(&self, bbox: [f64; 4]) -> MultiPolygon {
        let env = AABB::from_corners([bbox[0], bbox[1]], [bbox[2], bbox[3]]);
        MultiPolygon(
            self.index
                .locate_in_envelope_intersecting(&env)
                .map(|e| self.pieces[e.data].clone())
                .collect(),
        )
    }
}

/// Halves `part` across the longer side of `rect` until pieces are small enough.
fn split(part: MultiPolygon, rect: Rect, depth: u32, out: &mut Vec<Polygon>) {
    if part.coords_count() <= MAX_PIECE_VERTICES || depth >= MAX_DEPTH {
        out.extend(part.0);
        return;
    }
    let (min, max) = (rect.min(), rect.max());
    let (a, b) = if max.x - min.x >= max.y - min.y {
        let mid = (min.x + max.x) / 2.0;
        (
            Rect::new(min, geo::coord! { x: mid, y: max.y }),
            Rect::new(geo::coord! { x: mid, y: min.y }, max),
        )
    } else {
        let mid = (min.y + max.y) / 2.0;
        (
            Rect::new(min, geo::coord! { x: max.x, y: mid }),
            Rect::new(geo::coord! { x: min.x, y: mid }, max),
        )
    };
    // The two halves are independent: cut them on both cores (one zone has no other work to
    // share the machine with while it loads).
    let cut = |half: Rect| {
        let mut out = Vec::new();
        let piece = part.intersection(&half.to_polygon());
        if !piece.0.is_empty() {
            split(piece, half, depth + 1, &mut out);
        }
        out
    };
    let (pa, pb) = rayon::join(|| cut(a), || cut(b));
    out.extend(pa);
    out.extend(pb);
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, LineString};

    /// A star with `n` vertices and a square hole.
    fn star(n: usize) -> MultiPolygon {
        let ring: Vec<(f64, f64)> = (0..n)
            .map(|k| {
                let t = k as f64 / n as f64 * std::f64::consts::TAU;
                let r = 1.0 + 0.3 * (7.0 * t).sin() + 0.05 * (211.0 * t).cos();
                (120.0 + r * t.cos(), 30.0 + r * t.sin())
            })
            .collect();
        let hole = vec![(120.1, 30.1), (120.1, 30.2), (120.2, 30.2), (120.2, 30.1)];
        MultiPolygon(vec![Polygon::new(
            LineString::from(ring),
            vec![LineString::from(hole)],
        )])
    }

    #[test]
    fn pieces_are_small_and_tile_the_zone() {
        let z = star(20_000);
        let s = Subdivision::build(&z).expect("large enough to cut");
        assert!(s.len() >= 20_000 / MAX_PIECE_VERTICES, "{} pieces", s.len());
        assert!(s
            .pieces
            .iter()
            .all(|p| p.coords_count() <= MAX_PIECE_VERTICES));
        // The pieces' areas add up to the zone's (planar, in degrees²: an independent sum).
        let sum: f64 = s.pieces.iter().map(Area::unsigned_area).sum();
        assert!(
            (sum - z.unsigned_area()).abs() < 1e-9 * z.unsigned_area(),
            "{sum}"
        );
    }

    #[test]
    fn a_site_meets_the_pieces_near_it_as_it_meets_the_zone() {
        let z = star(20_000);
        let s = Subdivision::build(&z).expect("large enough to cut");
        // Sites: inside, across the boundary, across the hole, outside, covering the zone.
        for b in [
            [120.3, 30.3, 120.35, 30.32],
            [120.9, 29.95, 121.6, 30.2],
            [120.05, 30.05, 120.25, 30.25],
            [119.0, 29.0, 119.3, 29.2],
            [118.0, 28.0, 122.0, 32.0],
        ] {
            let site = Rect::new(
                geo::coord! {x: b[0], y: b[1]},
                geo::coord! {x: b[2], y: b[3]},
            )
            .to_polygon();
            let near = s.near(b);
            assert!(
                near.0.len() < s.len() || b[0] == 118.0,
                "{b:?} kept every piece"
            );
            let want = z.intersection(&site).unsigned_area();
            let got = site.intersection(&near).unsigned_area();
            // The boolean operations snap to an integer grid (~1e-9 of the extent): 1e-7.
            assert!(
                (want - got).abs() <= 1e-7 * want.max(1e-6),
                "{b:?}: {got} vs {want}"
            );
        }
    }
}
