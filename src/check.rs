//! Site checks: which features a proposed site touches or comes near, by how much, and whether
//! that is a conflict with the constraint layers.

use crate::dataset::Dataset;
use crate::error::QueryError;
use crate::geodesy::{self, LocalFrame};
use crate::geometry::{self, dimension};
use crate::layer::{Feature, Layer, Location};
use crate::manifest::LayerKind;
use geo::{
    BooleanOps, Centroid, Coord, Geometry, Intersects, MultiLineString, MultiPolygon, Relate,
};
use rstar::AABB;
use serde::Serialize;
use std::collections::BTreeMap;

/// Largest buffer accepted, in metres: beyond this a "near" report stops meaning anything.
pub const MAX_BUFFER_M: f64 = 100_000.0;

/// Options of a check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Features valid in this year are considered.
    pub year: i32,
    /// Also report features within this many metres of the site.
    pub buffer_m: f64,
    /// Only these layers (all when `None`).
    pub layers: Option<Vec<String>>,
}

impl CheckOptions {
    /// Defaults: the current year, no buffer, all layers.
    pub fn new() -> Self {
        CheckOptions {
            year: crate::current_year(),
            buffer_m: 0.0,
            layers: None,
        }
    }
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// How the site relates to a feature (DE-9IM, site first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The site lies inside the feature.
    Within,
    /// The site contains the whole feature.
    Contains,
    /// Interiors overlap, neither contains the other (same dimension).
    Overlaps,
    /// Interiors meet in a lower dimension (a line passing through a zone, a site cut by a line).
    Crosses,
    /// Only boundaries meet.
    Touches,
    /// No contact, but within the buffer.
    Near,
}

/// The site-level answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Touches or enters at least one constraint feature.
    Conflict,
    /// Only near (within the buffer of) features, or only non-constraint hits nearby.
    Near,
    /// Nothing within the buffer.
    Clear,
}

/// What the site is.
#[derive(Debug, Clone, Serialize)]
pub struct SiteSummary {
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Geodesic area, m² (0 for points and lines).
    pub area_m2: f64,
    /// Geodesic length, m (perimeter for polygons, 0 for points).
    pub length_m: f64,
    pub bbox: [f64; 4],
}

/// One feature the site meets or comes near.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub layer: String,
    pub id: String,
    pub name: String,
    pub relation: Relation,
    /// Whether this hit is on a constraint feature.
    pub constraint: bool,
    /// Geodesic area of site ∩ zone, m² (zones and areal sites only).
    pub overlap_area_m2: Option<f64>,
    /// `overlap_area_m2` / site area (areal sites only).
    pub overlap_ratio: Option<f64>,
    /// Length of line inside the other geometry, m (line feature in an areal site, or a line site in a zone).
    pub overlap_length_m: Option<f64>,
    /// Geodesic distance, m: 0 when they meet.
    pub distance_m: f64,
    pub properties: serde_json::Map<String, serde_json::Value>,
    /// What the rules say for the project type asked about (`decision`, conditions, `basis`).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub ruling: Option<crate::rules::Ruling>,
}

/// Totals for one layer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LayerSummary {
    pub hits: usize,
    /// Hits that meet the site (not `near`) on constraint features.
    pub conflicts: usize,
    /// Area of the site inside the layer's zones (overlaps within the layer counted once), m².
    pub overlap_area_m2: f64,
    /// `overlap_area_m2` / site area (null for non-areal sites).
    pub overlap_ratio: Option<f64>,
    /// Sum of per-hit overlap lengths, m.
    pub overlap_length_m: f64,
    /// Smallest distance to any hit, m.
    pub min_distance_m: Option<f64>,
}

/// The answer to a check.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub site: SiteSummary,
    pub verdict: Verdict,
    pub year: i32,
    pub buffer_m: f64,
    pub hits: Vec<Hit>,
    /// Per layer checked, keyed by layer id.
    pub summary: BTreeMap<String, LayerSummary>,
    /// The project type the rulings are for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_type: Option<String>,
    /// The strictest ruling over the hits (`allowed` when none applies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<crate::rules::Decision>,
    /// Proximity rings, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rings: Option<Vec<crate::rings::Ring>>,
}

/// What a planner asks beyond the geometry.
#[derive(Debug, Clone, Default)]
pub struct Screening {
    /// Rule the hits for this project type (an id from the rules file).
    pub project_type: Option<String>,
    /// Report these proximity rings, m.
    pub rings_m: Option<Vec<f64>>,
}

impl Screening {
    /// The screening of one site of a request: the site's own `type` property wins over the
    /// request's. (A batch also treats an empty `type` as none: a blank CSV cell.)
    pub fn for_site(&self, site: &crate::site::Site) -> Screening {
        Screening {
            project_type: site
                .project_type()
                .map(str::to_string)
                .or_else(|| self.project_type.clone()),
            rings_m: self.rings_m.clone(),
        }
    }
}

/// A check with rulings for a project type and proximity rings, as asked.
pub fn screen(
    ds: &Dataset,
    site: &Geometry,
    opts: &CheckOptions,
    ask: &Screening,
) -> Result<CheckResult, QueryError> {
    let rules = match (&ask.project_type, &ds.rules) {
        (None, _) => None,
        (Some(_), None) => return Err(QueryError::param(
            "type",
            "this dataset has no rules file (manifest key `rules`), so there is nothing to rule by",
        )),
        (Some(t), Some(r)) => {
            r.project_type(t)
                .map_err(|m| QueryError::param("type", m))?;
            Some((r, t))
        }
    };
    let rings = ask
        .rings_m
        .as_deref()
        .map(crate::rings::validate)
        .transpose()?;
    let mut result = check(ds, site, opts)?;
    if let Some((r, t)) = rules {
        r.apply(&mut result, t);
    }
    if let Some(radii) = rings {
        result.rings = Some(crate::rings::rings(ds, site, opts, &radii)?);
    }
    Ok(result)
}

/// Validates options against the dataset; returns the layers to check.
fn resolve<'a>(ds: &'a Dataset, opts: &CheckOptions) -> Result<Vec<&'a Layer>, QueryError> {
    check_year(opts.year)?;
    if !opts.buffer_m.is_finite() || opts.buffer_m < 0.0 || opts.buffer_m > MAX_BUFFER_M {
        return Err(QueryError::param(
            "buffer_m",
            format!(
                "must be a number of metres from 0 to {MAX_BUFFER_M}, got {}",
                opts.buffer_m
            ),
        ));
    }
    select_layers(ds, opts.layers.as_deref())
}

/// The layers named (all when `None`), refusing unknown names with the list of valid ones.
pub fn select_layers<'a>(
    ds: &'a Dataset,
    names: Option<&[String]>,
) -> Result<Vec<&'a Layer>, QueryError> {
    match names {
        None => Ok(ds.layers.iter().collect()),
        Some(names) => names
            .iter()
            .map(|n| {
                ds.layer(n).ok_or_else(|| QueryError::UnknownLayer {
                    name: n.clone(),
                    valid: ds.layer_ids().iter().map(|s| s.to_string()).collect(),
                })
            })
            .collect(),
    }
}

/// Years outside this range are typos, not plans.
pub fn check_year(year: i32) -> Result<(), QueryError> {
    if (1900..=2200).contains(&year) {
        Ok(())
    } else {
        Err(QueryError::param(
            "year",
            format!("must be between 1900 and 2200, got {year}"),
        ))
    }
}

/// Checks a site against the dataset.
///
/// # Examples
/// ```
/// use ecospace::{check, CheckOptions, Dataset};
/// use geo::{Geometry, Point};
/// let ds = Dataset::bundled().unwrap();
/// // Open sea far east of Jiaxing: nothing there.
/// let r = check(&ds, &Geometry::Point(Point::new(122.5, 30.0)), &CheckOptions::new()).unwrap();
/// assert_eq!(r.verdict, ecospace::Verdict::Clear);
/// ```
pub fn check(
    ds: &Dataset,
    site: &Geometry,
    opts: &CheckOptions,
) -> Result<CheckResult, QueryError> {
    let layers = resolve(ds, opts)?;
    // Area and perimeter in one pass over the rings (each is an inverse geodesic per edge).
    let (site_area, site_length) = geodesy::area_and_length_m(site);
    let prepared = PreparedSite::new(site, site_area, site_length);
    let bbox = prepared.bbox;
    let centre = site.centroid().map(|p| p.0).unwrap_or(Coord {
        x: bbox[0],
        y: bbox[1],
    });
    // Pad the envelope by the buffer (plus 1 %, and a hair for rounding) in degrees at the site.
    let (dx, dy) = LocalFrame::new(centre).degrees_for(opts.buffer_m * 1.01 + 0.01);
    let env = AABB::from_corners([bbox[0] - dx, bbox[1] - dy], [bbox[2] + dx, bbox[3] + dy]);

    let mut hits = Vec::new();
    let mut summary = BTreeMap::new();
    for layer in layers {
        let mut s = LayerSummary::default();
        let mut overlaps: Vec<(MultiPolygon, f64)> = Vec::new();
        let mut candidates: Vec<&Feature> = layer
            .candidates(&env)
            .filter(|f| f.valid_in(opts.year))
            .collect();
        candidates.sort_by(|a, b| a.id.cmp(&b.id));
        for f in candidates {
            let Some((hit, overlap)) = examine(&prepared, layer, f, opts.buffer_m, &env) else {
                continue;
            };
            if let Some(o) = overlap {
                overlaps.push((o, hit.overlap_area_m2.unwrap_or(0.0)));
            }
            s.hits += 1;
            s.conflicts += usize::from(hit.constraint && hit.relation != Relation::Near);
            s.overlap_length_m += hit.overlap_length_m.unwrap_or(0.0);
            s.min_distance_m = Some(
                s.min_distance_m
                    .map_or(hit.distance_m, |d: f64| d.min(hit.distance_m)),
            );
            hits.push(hit);
        }
        s.overlap_area_m2 = clamp_to_site(layer_overlap_m2(overlaps), site_area);
        s.overlap_ratio = (site_area > 0.0).then(|| s.overlap_area_m2 / site_area);
        summary.insert(layer.id().to_string(), s);
    }
    let verdict = if hits
        .iter()
        .any(|h| h.constraint && h.relation != Relation::Near)
    {
        Verdict::Conflict
    } else if hits.is_empty() {
        Verdict::Clear
    } else {
        Verdict::Near
    };
    Ok(CheckResult {
        site: SiteSummary {
            kind: geometry::type_name(site),
            area_m2: site_area,
            length_m: prepared.length_m,
            bbox,
        },
        verdict,
        year: opts.year,
        buffer_m: opts.buffer_m,
        hits,
        summary,
        project_type: None,
        decision: None,
        rings: None,
    })
}

/// The site in the forms the predicates need, computed once per check.
struct PreparedSite<'a> {
    geom: &'a Geometry,
    area_m2: f64,
    dim: u8,
    polygons: Option<MultiPolygon>,
    lines: Option<MultiLineString>,
    segments: Vec<geo::Line>,
    bbox: [f64; 4],
    length_m: f64,
}

impl PreparedSite<'_> {
    fn part_vertices(&self) -> Vec<Coord> {
        part_vertices(self.geom)
    }
}

impl<'a> PreparedSite<'a> {
    fn new(geom: &'a Geometry, area_m2: f64, length_m: f64) -> Self {
        PreparedSite {
            geom,
            area_m2,
            dim: dimension(geom),
            polygons: as_multipolygon(geom),
            lines: as_multilinestring(geom),
            segments: geodesy::segments(geom),
            bbox: geodesy::bbox(geom).unwrap_or([0.0; 4]),
            length_m,
        }
    }
}

fn as_multipolygon(g: &Geometry) -> Option<MultiPolygon> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(mp) => Some(mp.clone()),
        _ => None,
    }
}

fn as_multilinestring(g: &Geometry) -> Option<MultiLineString> {
    match g {
        Geometry::LineString(ls) => Some(MultiLineString(vec![ls.clone()])),
        Geometry::MultiLineString(mls) => Some(mls.clone()),
        _ => None,
    }
}

/// How a site and a feature meet, found from the feature's edges near the site (its edge index)
/// and point location, without building either shape's full intersection graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contact {
    /// No point in common.
    Disjoint,
    /// No edges meet and the site lies in the zone's interior.
    SiteInside,
    /// No edges meet and the feature lies in the (areal) site's interior.
    FeatureInside,
    /// Edges meet or cross (or parts lie on both sides): the general case.
    Edges,
}

fn contact(site: &PreparedSite, f: &Feature) -> Contact {
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
    let edges = if site.segments.len() <= 64 && f.has_edge_index() {
        // The zone's edges near each site edge, not all those in the site's box.
        let mut e = Vec::new();
        for l in site.segments.iter().filter(|l| boxes_meet(l)) {
            let (x0, x1) = (l.start.x.min(l.end.x), l.start.x.max(l.end.x));
            let (y0, y1) = (l.start.y.min(l.end.y), l.start.y.max(l.end.y));
            e.extend(f.edges_in(&AABB::from_corners([x0, y0], [x1, y1])));
        }
        e
    } else {
        f.edges_in(&AABB::from_corners([b[0], b[1]], [b[2], b[3]]))
    };
    if !edges.is_empty() && crate::geometry::segments_meet(&site.segments, &edges) {
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

/// Relative slack when comparing an overlap with the whole (boolean-op snapping is ~1e-9).
const SAME_AREA: f64 = 1e-7;

/// Relates the site to one feature; `None` when it is neither met nor within the buffer.
/// Also returns the site ∩ zone polygons for the layer total.
///
/// The relation is read from how the shapes meet and what their intersection measures, not
/// from a DE-9IM matrix: `geo`'s `relate` rebuilds the zone's edge graph on every call and was
/// half of a check's time. For areal sites against zones, "within" is an overlap equal to the
/// site, "contains" one equal to the zone, "touches" a contact of zero area; lines likewise
/// with lengths. Other pairs (point and line sites against lines) still use `relate`.
fn examine(
    site: &PreparedSite,
    layer: &Layer,
    f: &Feature,
    buffer_m: f64,
    env: &AABB<[f64; 2]>,
) -> Option<(Hit, Option<MultiPolygon>)> {
    let zone = layer.kind() == LayerKind::Zone;
    let c = match site.geom {
        Geometry::Point(p) if zone => match f.locate(p.0) {
            Location::Inside => Contact::SiteInside,
            Location::Boundary => Contact::Edges,
            Location::Outside => Contact::Disjoint,
        },
        _ => contact(site, f),
    };
    if c == Contact::Disjoint {
        if buffer_m <= 0.0 {
            return None;
        }
        let d = geodesy::segments_distance_m(&site.segments, &f.edges_in(env))?;
        if d > buffer_m {
            return None;
        }
        // A near hit measures nothing inside, in the measures that apply to the pair.
        let (a, r, l) = match (site.dim, zone) {
            (2, true) => (Some(0.0), Some(0.0), None),
            (0, true) => (Some(0.0), None, None),
            (2, false) | (1, true) => (None, None, Some(0.0)),
            _ => (None, None, None),
        };
        return Some((hit(layer, f, Relation::Near, d, a, r, l), None));
    }
    // A very large zone is represented by its pieces near the site (see `subdivision`); they
    // tile the zone, so intersections with them add up to the intersection with the zone.
    let zone_polys = || match f.subdivision() {
        Some(s) => s.near(site.bbox),
        None => as_multipolygon(&f.geometry).unwrap_or_else(|| MultiPolygon(vec![])),
    };
    let mut overlap = None;
    let (mut area, mut ratio, mut length) = (None, None, None);
    let point = matches!(site.geom, Geometry::Point(_));
    let relation = match (site.dim, zone, c) {
        (0, true, Contact::SiteInside) if point => {
            area = Some(0.0);
            Relation::Within
        }
        (0, true, _) if point => {
            area = Some(0.0);
            Relation::Touches
        }
        (2, true, Contact::SiteInside) => {
            area = Some(site.area_m2);
            overlap = site.polygons.clone();
            Relation::Within
        }
        (2, true, Contact::FeatureInside) => {
            let a = clamp_to_site(f.area_m2(), site.area_m2);
            area = Some(a);
            overlap = as_multipolygon(&f.geometry);
            Relation::Contains
        }
        (2, true, _) => {
            let sp = site.polygons.as_ref()?;
            let inter = sp.intersection(&zone_polys());
            let a = clamp_to_site(
                geodesy::area_m2(&Geometry::MultiPolygon(inter.clone())),
                site.area_m2,
            );
            area = Some(a);
            overlap = (a > 0.0).then_some(inter);
            if a <= 0.0 {
                Relation::Touches
            } else if (site.area_m2 - a).abs() <= SAME_AREA * site.area_m2 {
                Relation::Within
            } else if (f.area_m2() - a).abs() <= SAME_AREA * f.area_m2() {
                Relation::Contains
            } else {
                Relation::Overlaps
            }
        }
        (1, true, Contact::SiteInside) => {
            length = Some(site.length_m);
            Relation::Within
        }
        (1, true, _) => {
            let sl = site.lines.as_ref()?;
            let l = geodesy::lines_length_m(&zone_polys().clip(sl, false));
            length = Some(l);
            if l <= 0.0 {
                Relation::Touches
            } else if (site.length_m - l).abs() <= SAME_AREA * site.length_m {
                Relation::Within
            } else {
                Relation::Crosses
            }
        }
        (2, false, Contact::FeatureInside) => {
            length = Some(f.length_m());
            Relation::Contains
        }
        (2, false, _) => {
            let sp = site.polygons.as_ref()?;
            let l = geodesy::lines_length_m(&sp.clip(&feature_lines(f), false));
            length = Some(l);
            if l <= 0.0 {
                Relation::Touches
            } else if (f.length_m() - l).abs() <= SAME_AREA * f.length_m() {
                Relation::Contains
            } else {
                Relation::Crosses
            }
        }
        _ => {
            if !site.geom.intersects(&f.geometry) {
                return None;
            }
            if site.dim == 0 && zone {
                area = Some(0.0);
            }
            relation_of(site.geom.relate(&f.geometry))
        }
    };
    if site.dim == 2 && zone {
        let a = area.unwrap_or(0.0);
        ratio = Some(if site.area_m2 > 0.0 {
            a / site.area_m2
        } else {
            0.0
        });
    }
    Some((hit(layer, f, relation, 0.0, area, ratio, length), overlap))
}

fn hit(
    layer: &Layer,
    f: &Feature,
    relation: Relation,
    distance_m: f64,
    overlap_area_m2: Option<f64>,
    overlap_ratio: Option<f64>,
    overlap_length_m: Option<f64>,
) -> Hit {
    Hit {
        layer: layer.id().to_string(),
        id: f.id.clone(),
        name: f.name.clone(),
        relation,
        constraint: f.constraint,
        overlap_area_m2,
        overlap_ratio,
        overlap_length_m,
        distance_m,
        properties: f.properties.clone(),
        ruling: None,
    }
}

/// Area of the site inside a layer's zones, counting overlaps between zones once. Overlaps
/// whose envelopes are apart cannot share area, so their measured areas just add up; only when
/// some meet is the union taken (pairwise: `unary_union` was seen to stall on parts that share
/// edges).
fn layer_overlap_m2(overlaps: Vec<(MultiPolygon, f64)>) -> f64 {
    use geo::BoundingRect;
    let boxes: Vec<Option<geo::Rect>> = overlaps.iter().map(|(o, _)| o.bounding_rect()).collect();
    let apart = boxes.iter().enumerate().all(|(i, a)| {
        boxes[i + 1..].iter().all(|b| match (a, b) {
            (Some(a), Some(b)) => {
                a.max().x < b.min().x
                    || b.max().x < a.min().x
                    || a.max().y < b.min().y
                    || b.max().y < a.min().y
            }
            _ => true,
        })
    });
    if apart {
        return overlaps.iter().map(|(_, a)| a).sum();
    }
    let union = overlaps
        .into_iter()
        .map(|(o, _)| o)
        .reduce(|acc, o| acc.union(&o))
        .unwrap_or_else(|| MultiPolygon(vec![]));
    geodesy::area_m2(&Geometry::MultiPolygon(union))
}

/// An overlap cannot exceed the site: boolean-op and summation rounding (~1e-7) is cut off so
/// ratios stay within [0, 1].
fn clamp_to_site(overlap_m2: f64, site_m2: f64) -> f64 {
    overlap_m2.clamp(0.0, site_m2)
}

fn feature_lines(f: &Feature) -> MultiLineString {
    as_multilinestring(&f.geometry).unwrap_or_else(|| MultiLineString(vec![]))
}

/// Maps a DE-9IM matrix (site, feature) to the relation names planners read.
fn relation_of(m: geo::relate::IntersectionMatrix) -> Relation {
    if m.is_within() {
        Relation::Within
    } else if m.is_contains() {
        Relation::Contains
    } else if m.is_touches() {
        Relation::Touches
    } else if m.is_crosses() {
        Relation::Crosses
    } else {
        Relation::Overlaps
    }
}
