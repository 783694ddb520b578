//! How a site and a feature meet — apart, site inside, feature inside, or edges meeting — found
//! from the feature's edges near the site (its edge index) and point location, without building
//! either shape's full intersection graph. Only the last case needs a boolean operation.

use crate::data::{Feature, Location};
use crate::spatial::geodesy;
use crate::spatial::geojson::{as_multilinestring, as_multipolygon, dimension};
use crate::spatial::linework::Lines;
use crate::spatial::segments::{ray_location, segments, RingSide, SweepIndex};
use geo::{Coord, Geometry, Intersects, MultiPolygon};
use rstar::AABB;

/// Sites of at most this many edges are located against by scanning their rings.
const SCAN_EDGES_MAX: usize = 32;

/// The site in the forms the predicates need, computed once per check.
pub(super) struct PreparedSite<'a> {
    pub(super) geom: &'a Geometry,
    pub(super) area_m2: f64,
    pub(super) dim: u8,
    pub(super) polygons: Option<MultiPolygon>,
    pub(super) segments: Vec<geo::Line>,
    pub(super) bbox: [f64; 4],
    pub(super) length_m: f64,
    /// The site's segments sorted once for the sweeps against each feature.
    pub(super) sweep: SweepIndex,
    /// A line site prepared for [`crate::spatial::linework::relate_lines`].
    pub(super) linework: Option<Lines>,
    /// The site's edges in an R-tree, for [`PreparedSite::side`] on sites of many edges.
    edge_tree: std::cell::OnceCell<rstar::RTree<geo::Line>>,
    /// The site's noded edge graph for `relate`, built on first use and shared by the features
    /// related to it (building it was most of a line-against-line check).
    related: std::cell::OnceCell<geo::PreparedGeometry<'a, &'a Geometry>>,
}

impl<'a> PreparedSite<'a> {
    pub(super) fn part_vertices(&self) -> Vec<Coord> {
        part_vertices(self.geom)
    }

    /// Where `p` lies against the (areal) site, by ray parity over its edges. A site of many
    /// edges casts the ray over an R-tree of them, built on first use (a large site's pieces of
    /// a river were each located by scanning all its rings).
    pub(super) fn side(&self, p: Coord) -> RingSide {
        if self.polygons.is_none() {
            return RingSide::Outside;
        }
        if self.segments.len() > SCAN_EDGES_MAX {
            let tree = self
                .edge_tree
                .get_or_init(|| rstar::RTree::bulk_load(self.segments.clone()));
            let ray = AABB::from_corners(geo::Point(p), geo::Point::new(self.bbox[2], p.y));
            ray_location(tree.locate_in_envelope_intersecting(&ray).copied(), p)
        } else {
            ray_location(self.segments.iter().copied(), p)
        }
    }

    /// The DE-9IM matrix of the site against `other`.
    pub(super) fn relate(&self, other: &Geometry) -> geo::relate::IntersectionMatrix {
        use geo::Relate;
        self.related
            .get_or_init(|| geo::PreparedGeometry::from(self.geom))
            .relate(other)
    }
}

impl<'a> PreparedSite<'a> {
    pub(super) fn new(geom: &'a Geometry, area_m2: f64, length_m: f64) -> Self {
        let segs = segments(geom);
        PreparedSite {
            geom,
            area_m2,
            dim: dimension(geom),
            polygons: as_multipolygon(geom),
            sweep: SweepIndex::new(&segs),
            linework: as_multilinestring(geom).as_ref().map(Lines::new),
            segments: segs,
            bbox: geodesy::bbox(geom).unwrap_or([0.0; 4]),
            length_m,
            edge_tree: std::cell::OnceCell::new(),
            related: std::cell::OnceCell::new(),
        }
    }
}

/// How a site and a feature meet, found from the feature's edges near the site (its edge index)
/// and point location, without building either shape's full intersection graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Contact {
    /// No point in common.
    Disjoint,
    /// No edges meet and the site lies in the zone's interior.
    SiteInside,
    /// No edges meet and the feature lies in the (areal) site's interior.
    FeatureInside,
    /// Edges meet or cross (or parts lie on both sides): the general case.
    Edges,
}

/// How the site meets feature `f`. Leaves in `edges` the feature's edges that can meet the
/// site's (all that do, some that do not), for the measures that cut the site at them.
pub(super) fn contact(site: &PreparedSite, f: &Feature, edges: &mut Vec<geo::Line>) -> Contact {
    let b = site.bbox;
    let fb = f.bbox;
    let boxes_meet = |l: &geo::Line| {
        l.start.x.min(l.end.x) <= fb[2]
            && l.start.x.max(l.end.x) >= fb[0]
            && l.start.y.min(l.end.y) <= fb[3]
            && l.start.y.max(l.end.y) >= fb[1]
    };
    // A long line or a large site has a box that meets many features its edges pass far from:
    // for a line (nothing inside it), no edge box meeting the feature's box settles it.
    if site.dim < 2 && !site.segments.iter().any(boxes_meet) {
        return Contact::Disjoint;
    }
    edges.clear();
    if f.has_edge_index() {
        // The zone's edges near each run of site edges (at most 64 runs), not all those in
        // the site's box: a long diagonal line's box holds many edges it passes far from.
        let run = site.segments.len().div_ceil(64).max(1);
        for r in site.segments.chunks(run) {
            let mut lo = [f64::MAX; 2];
            let mut hi = [f64::MIN; 2];
            for c in r
                .iter()
                .filter(|l| boxes_meet(l))
                .flat_map(|l| [l.start, l.end])
            {
                lo = [lo[0].min(c.x), lo[1].min(c.y)];
                hi = [hi[0].max(c.x), hi[1].max(c.y)];
            }
            if lo[0] <= hi[0] {
                f.edges_into(&AABB::from_corners(lo, hi), edges);
            }
        }
    } else {
        f.edges_into(&AABB::from_corners([b[0], b[1]], [b[2], b[3]]), edges);
    }
    let edges = &*edges;
    let meet = |i: usize, j: usize| {
        geo::line_intersection::line_intersection(site.segments[i], edges[j])
            .is_some()
            .then_some(())
    };
    if !edges.is_empty() && site.sweep.pairs_with(edges, meet).is_some() {
        return Contact::Edges;
    }
    // No edges meet: each part of one shape lies wholly inside or outside the other, so one
    // vertex per part decides.
    let site_parts = site.part_vertices();
    let inside = site_parts
        .iter()
        .filter(|c| f.locate(**c) == Location::Inside)
        .count();
    if inside == site_parts.len() && inside > 0 {
        // ... unless a hole of the zone lies in the site (a ring wholly inside, as no edges
        // meet): then the site only overlaps the zone.
        let hole_in_site = site.polygons.as_ref().is_some_and(|sp| {
            hole_vertices(&f.geometry)
                .iter()
                .any(|c| sp.intersects(&geo::Point(*c)))
        });
        return if hole_in_site {
            Contact::Edges
        } else {
            Contact::SiteInside
        };
    }
    if inside > 0 {
        return Contact::Edges;
    }
    let Some(sp) = &site.polygons else {
        return Contact::Disjoint;
    };
    if fb[0] > b[2] || fb[2] < b[0] || fb[1] > b[3] || fb[3] < b[1] {
        return Contact::Disjoint;
    }
    let parts = part_vertices(&f.geometry);
    let within = parts
        .iter()
        .filter(|c| sp.intersects(&geo::Point(**c)))
        .count();
    match within {
        0 => Contact::Disjoint,
        // Likewise a hole of the site inside the feature.
        n if n == parts.len()
            && !hole_vertices(site.geom)
                .iter()
                .any(|c| f.locate(*c) == Location::Inside) =>
        {
            Contact::FeatureInside
        }
        _ => Contact::Edges,
    }
}

/// One vertex of each hole of a polygonal geometry.
fn hole_vertices(g: &Geometry) -> Vec<Coord> {
    let of = |p: &geo::Polygon| -> Vec<Coord> {
        p.interiors()
            .iter()
            .filter_map(|r| r.0.first().copied())
            .collect()
    };
    match g {
        Geometry::Polygon(p) => of(p),
        Geometry::MultiPolygon(m) => m.iter().flat_map(of).collect(),
        _ => vec![],
    }
}

/// One vertex of each part (polygon or line) of a geometry.
fn part_vertices(g: &Geometry) -> Vec<Coord> {
    match g {
        Geometry::Point(p) => vec![p.0],
        Geometry::MultiPoint(mp) => mp.iter().map(|p| p.0).collect(),
        Geometry::LineString(ls) => ls.0.first().copied().into_iter().collect(),
        Geometry::MultiLineString(m) => m.iter().filter_map(|l| l.0.first().copied()).collect(),
        Geometry::Polygon(p) => p.exterior().0.first().copied().into_iter().collect(),
        Geometry::MultiPolygon(m) => m
            .iter()
            .filter_map(|p| p.exterior().0.first().copied())
            .collect(),
        _ => vec![],
    }
}
