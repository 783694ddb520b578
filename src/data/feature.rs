//! One feature of a layer: its attributes, its validated lon/lat geometry, and what is built once
//! so that questions about it are cheap — its box, an edge index when it is large, the pieces of
//! a very large zone, and its geodesic measures on first use; and where a point lies against it.

use crate::spatial::geodesy;
use crate::spatial::geojson::dimension;
use crate::spatial::segments::{edge_ray, segments, EdgeRay};
use crate::spatial::subdivision::Subdivision;
use geo::{Coord, Geometry, Line};
use rstar::{RTree, AABB};
use serde_json::{Map, Value};

/// Whether a point lies inside, on the boundary of, or outside a polygonal feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Strictly inside (an odd number of edge crossings).
    Inside,
    /// On one of the feature's edges.
    Boundary,
    /// Outside, or the feature is not polygonal.
    Outside,
}

/// One feature of a layer, with the measures and indexes computed once at load.
#[derive(Debug)]
pub struct Feature {
    /// The feature's id (the GeoJSON Feature `id`), unique within its layer.
    pub id: String,
    /// Its `name` property (required, non-empty).
    pub name: String,
    /// County adcode, when the feature carries one.
    pub county: Option<String>,
    /// First year in force (inclusive).
    pub valid_from: Option<i32>,
    /// Year it stops being in force (exclusive).
    pub valid_to: Option<i32>,
    /// All properties as loaded (including name, county and validity).
    pub properties: Map<String, Value>,
    /// The validated lon/lat geometry (WGS84/CGCS2000 degrees).
    pub geometry: Geometry,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: [f64; 4],
    /// (geodesic area m², geodesic length m), measured on first use: a check never needs them,
    /// and at 10⁸ vertices the ellipsoidal measures are half the cost of loading.
    measures: std::sync::OnceLock<(f64, f64)>,
    /// Whether a hit on this feature is a planning constraint.
    pub constraint: bool,
    /// Edge index, for features large enough that scanning their edges costs more than a tree
    /// walk (see [`EDGE_INDEX_MIN`]); small ones (most parcels) scan, and save ~30 bytes a vertex.
    edges: Option<RTree<Line>>,
    /// Pieces of a very large zone, so a check costs what the site touches, not the zone.
    subdivision: Option<Subdivision>,
}

/// Features with at least this many edges get an edge R-tree.
pub const EDGE_INDEX_MIN: usize = 256;

/// What a feature is besides its geometry, as read from its GeoJSON.
#[derive(Debug)]
pub(crate) struct Attributes {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) county: Option<String>,
    pub(crate) valid_from: Option<i32>,
    pub(crate) valid_to: Option<i32>,
    pub(crate) properties: Map<String, Value>,
    pub(crate) constraint: bool,
}

impl Feature {
    /// A feature with its box, and its edge index and subdivision when it is large enough to
    /// need them; `None` for an empty geometry.
    pub(crate) fn new(a: Attributes, geometry: Geometry) -> Option<Feature> {
        let bbox = geodesy::bbox(&geometry)?;
        let segments = segments(&geometry);
        let edges = (segments.len() >= EDGE_INDEX_MIN).then(|| RTree::bulk_load(segments));
        let subdivision = match &geometry {
            Geometry::Polygon(p) => Subdivision::build(&geo::MultiPolygon(vec![p.clone()])),
            Geometry::MultiPolygon(mp) => Subdivision::build(mp),
            _ => None,
        };
        Some(Feature {
            id: a.id,
            name: a.name,
            county: a.county,
            valid_from: a.valid_from,
            valid_to: a.valid_to,
            measures: std::sync::OnceLock::new(),
            properties: a.properties,
            geometry,
            bbox,
            constraint: a.constraint,
            edges,
            subdivision,
        })
    }

    /// The subdivision of a very large zone (`None` for ordinary features).
    pub fn subdivision(&self) -> Option<&Subdivision> {
        self.subdivision.as_ref()
    }

    /// Geodesic area in m² (zones); 0 for lines.
    pub fn area_m2(&self) -> f64 {
        self.measures().0
    }

    /// Geodesic length in m (lines); the perimeter for zones.
    pub fn length_m(&self) -> f64 {
        self.measures().1
    }

    fn measures(&self) -> (f64, f64) {
        *self
            .measures
            .get_or_init(|| geodesy::area_and_length_m(&self.geometry))
    }

    /// Whether the feature is in force in `year` (`valid_from <= year < valid_to`).
    pub fn valid_in(&self, year: i32) -> bool {
        self.valid_from.is_none_or(|f| f <= year) && self.valid_to.is_none_or(|t| year < t)
    }

    /// Locates a point against a polygonal feature by ray casting over the edge index:
    /// only edges whose envelope meets the ray to the east are visited.
    pub fn locate(&self, p: Coord) -> Location {
        if dimension(&self.geometry) < 2
            || p.x < self.bbox[0]
            || p.x > self.bbox[2]
            || p.y < self.bbox[1]
            || p.y > self.bbox[3]
        {
            return Location::Outside;
        }
        let mut crossings = 0usize;
        let mut visit = |a: Coord, b: Coord| match edge_ray(a, b, p) {
            EdgeRay::OnEdge => true,
            EdgeRay::Crosses => {
                crossings += 1;
                false
            }
            EdgeRay::Misses => false,
        };
        let on_edge = match (&self.edges, &self.geometry) {
            // Small polygons: walk the rings' coordinates; an edge whose envelope misses the
            // ray to the east (the index's filter, inlined) is skipped.
            (None, Geometry::Polygon(poly)) => rings_cross(std::iter::once(poly), p, &mut visit),
            (None, Geometry::MultiPolygon(mp)) => rings_cross(mp.0.iter(), p, &mut visit),
            _ => {
                let ray = AABB::from_corners(geo::Point(p), geo::Point::new(self.bbox[2], p.y));
                let hit = self.edges_meeting(&ray).any(|e| visit(e.start, e.end));
                hit
            }
        };
        if on_edge {
            Location::Boundary
        } else if crossings % 2 == 1 {
            Location::Inside
        } else {
            Location::Outside
        }
    }

    /// Edges (lon/lat segments) whose envelope meets `env`.
    pub fn edges_in(&self, env: &AABB<[f64; 2]>) -> Vec<Line> {
        let mut out = Vec::new();
        self.edges_into(env, &mut out);
        out
    }

    /// Appends the edges whose envelope meets `env` to `out` (callers asking many small boxes
    /// reuse one buffer: a vector per box was a fifth of a line site's check).
    pub fn edges_into(&self, env: &AABB<[f64; 2]>, out: &mut Vec<Line>) {
        let (lo, hi) = (env.lower(), env.upper());
        let env = AABB::from_corners(geo::Point::new(lo[0], lo[1]), geo::Point::new(hi[0], hi[1]));
        match &self.edges {
            Some(t) => out.extend(t.locate_in_envelope_intersecting(&env).copied()),
            None => {
                out.extend(lines_of(&self.geometry).filter(|l| {
                    rstar::Envelope::intersects(&env, &rstar::RTreeObject::envelope(l))
                }));
            }
        }
    }

    /// Edges whose envelope meets `env`: a tree walk when indexed, a scan otherwise.
    fn edges_meeting<'a>(
        &'a self,
        env: &'a AABB<geo::Point>,
    ) -> Box<dyn Iterator<Item = Line> + 'a> {
        match &self.edges {
            Some(t) => Box::new(t.locate_in_envelope_intersecting(env).copied()),
            None => Box::new(lines_of(&self.geometry).filter(move |l| {
                rstar::Envelope::intersects(env, &rstar::RTreeObject::envelope(l))
            })),
        }
    }

    /// Whether the feature has an edge index (so ≥ `EDGE_INDEX_MIN` edges): then asking it
    /// for the edges near a small box is cheaper than scanning them.
    pub fn has_edge_index(&self) -> bool {
        self.edges.is_some()
    }

    /// Number of edges (segments) in the feature.
    pub fn edge_count(&self) -> usize {
        match &self.edges {
            Some(t) => t.size(),
            None => lines_of(&self.geometry).count(),
        }
    }
}

/// Feeds `visit` every ring edge of `polys` whose envelope meets the ray from `p` to the east,
/// until it answers true (the point is on that edge).
fn rings_cross<'a>(
    polys: impl Iterator<Item = &'a geo::Polygon>,
    p: Coord,
    visit: &mut impl FnMut(Coord, Coord) -> bool,
) -> bool {
    for poly in polys {
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            for w in ring.0.windows(2) {
                let (a, b) = (w[0], w[1]);
                if p.y < a.y.min(b.y) || p.y > a.y.max(b.y) || p.x > a.x.max(b.x) {
                    continue;
                }
                if visit(a, b) {
                    return true;
                }
            }
        }
    }
    false
}

/// The edges of a feature's geometry without collecting them (a point lookup scans the edges
/// of every small feature it meets, so this path should not allocate). Layers hold only
/// (multi)polygons and (multi)lines; anything else falls back to [`geodesy::segments`].
fn lines_of(g: &Geometry) -> Box<dyn Iterator<Item = Line> + '_> {
    use geo::LinesIter;
    match g {
        Geometry::Polygon(p) => Box::new(p.lines_iter()),
        Geometry::MultiPolygon(mp) => Box::new(mp.lines_iter()),
        Geometry::LineString(ls) => Box::new(ls.lines_iter()),
        Geometry::MultiLineString(mls) => Box::new(mls.lines_iter()),
        g => Box::new(segments(g).into_iter()),
    }
}
