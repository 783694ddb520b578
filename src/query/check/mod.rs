//! Site checks: which features a proposed site touches or comes near, by how much, and whether
//! that is a conflict with the constraint layers.

mod answer;
mod contact;
mod relation;
mod territory;

use crate::data::{ConstraintOn, Dataset, Feature, Layer, LayerKind, Location};
use crate::params::{check_buffer, check_year, QueryError};
use crate::spatial::clip::{grow, lines_to_box, polygons_to_box};
use crate::spatial::frames::LocalFrame;
use crate::spatial::geodesy;
use crate::spatial::geojson;
use crate::spatial::geojson::as_multipolygon;
use crate::spatial::linework::{length_in_m, relate_lines, Indexed};
use answer::SAME_AREA;
pub use answer::{
    CheckOptions, CheckResult, CountyShare, Hit, LayerSummary, Outside, Relation, SiteSummary,
    Verdict,
};
use contact::{contact, Contact, PreparedSite};
use geo::{BooleanOps, Centroid, Coord, Geometry, Intersects, MultiPolygon};
use relation::{line_relation, relation_of, side_of};
use rstar::AABB;
use std::collections::BTreeMap;
use territory::outside;

/// Validates options against the dataset; returns the layers to check. Context layers (county
/// outlines, land and sea) are never screened; naming one is an error.
fn resolve<'a>(ds: &'a Dataset, opts: &CheckOptions) -> Result<Vec<&'a Layer>, QueryError> {
    check_year(opts.year)?;
    check_buffer(opts.buffer_m)?;
    let layers = ds.select(opts.layers.as_deref())?;
    if let Some(l) = layers.iter().find(|l| l.spec.context) {
        if opts.layers.is_some() {
            return Err(QueryError::param(
                "layers",
                format!(
                    "{:?} is a context layer (drawn on maps, not screened); screened layers: {}",
                    l.id(),
                    ds.layers
                        .iter()
                        .filter(|l| !l.spec.context)
                        .map(Layer::id)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(layers.into_iter().filter(|l| !l.spec.context).collect())
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

    let counties = counties(ds, &prepared, opts.year, &env);
    // The part of the site inside the plan's territory (the county layer's union): an outside
    // constraint binds there, not in the open sea or a neighbouring city.
    let territory = if ds.manifest.county_layer.is_some() {
        counties.iter().map(|c| c.share).sum::<f64>().min(1.0)
    } else {
        1.0
    };
    let mut hits = Vec::new();
    let mut summary = BTreeMap::new();
    let mut constraint_near = false;
    let mut outside_met = false;
    for layer in layers {
        let mut s = LayerSummary::default();
        let outside_layer =
            layer.spec.constraint && layer.spec.constraint_on == ConstraintOn::Outside;
        // On an outside-constraint layer, the features the site meets (not only near): where
        // the constraint is not met.
        let mut met: Vec<&Feature> = Vec::new();
        let mut overlaps: Vec<(usize, MultiPolygon, f64)> = Vec::new();
        let mut candidates: Vec<(usize, &Feature)> = layer
            .indexed_candidates(&env)
            .filter(|(_, f)| f.valid_in(opts.year))
            .collect();
        candidates.sort_by(|a, b| a.1.id.cmp(&b.1.id));
        for (i, f) in candidates {
            let Some((hit, overlap)) = examine(&prepared, layer, f, opts.buffer_m, &env) else {
                continue;
            };
            if let Some(o) = overlap {
                overlaps.push((i, o, hit.overlap_area_m2.unwrap_or(0.0)));
            }
            if outside_layer && hit.relation != Relation::Near {
                met.push(f);
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
        s.overlap_area_m2 = clamp_to_site(layer_overlap_m2(layer, overlaps), site_area);
        s.overlap_ratio = (site_area > 0.0).then(|| s.overlap_area_m2 / site_area);
        if outside_layer {
            let o = outside(&prepared, &s, &met, opts, &env, territory);
            outside_met |= o.ratio > 0.0;
            constraint_near |= o.distance_m.is_some_and(|d| d <= opts.buffer_m);
            s.outside = Some(o);
        }
        summary.insert(layer.id().to_string(), s);
    }
    constraint_near |= hits
        .iter()
        .any(|h| h.constraint && h.relation == Relation::Near);
    let verdict = if outside_met
        || hits
            .iter()
            .any(|h| h.constraint && h.relation != Relation::Near)
    {
        Verdict::Conflict
    } else if constraint_near {
        Verdict::Near
    } else {
        Verdict::Clear
    };
    Ok(CheckResult {
        site: SiteSummary {
            kind: geojson::type_name(site),
            area_m2: site_area,
            length_m: prepared.length_m,
            bbox,
        },
        verdict,
        year: opts.year,
        buffer_m: opts.buffer_m,
        hits,
        summary,
        counties,
    })
}

/// How far the box a feature is clipped to reaches beyond the site's box, degrees (~1 cm): the
/// site's own edges stay off the box's edges, where clipped rings run their bridges.
const CLIP_MARGIN_DEG: f64 = 1e-7;

/// Relates the site to one feature; `None` when it is neither met nor within the buffer.
/// Also returns the site ∩ zone polygons for the layer total.
///
/// The relation is read from how the shapes meet and what their intersection measures, not
/// from a DE-9IM matrix: `geo`'s `relate` rebuilds the zone's edge graph on every call and was
/// half of a check's time. For areal sites against zones, "within" is an overlap equal to the
/// site, "contains" one equal to the zone, "touches" a contact of zero area; lines likewise
/// with lengths; line sites against lines by [`relate_lines`]. Other pairs (points against
/// lines) still use `relate`, on the part of the line inside the site's box.
fn examine(
    site: &PreparedSite,
    layer: &Layer,
    f: &Feature,
    buffer_m: f64,
    env: &AABB<[f64; 2]>,
) -> Option<(Hit, Option<MultiPolygon>)> {
    let zone = layer.kind() == LayerKind::Zone;
    let mut edges = Vec::new();
    let c = match site.geom {
        Geometry::Point(p) if zone => match f.locate(p.0) {
            Location::Inside => Contact::SiteInside,
            Location::Boundary => Contact::Edges,
            Location::Outside => Contact::Disjoint,
        },
        _ => contact(site, f, &mut edges),
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
    // Only the part of a zone or line inside the site's box can meet the site: the boolean
    // operations get that part (see `spatial::clip`), not the whole feature.
    let reach = grow(site.bbox, CLIP_MARGIN_DEG);
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
            let inter = sp.intersection(&polygons_to_box(&zone_polys(), reach));
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
            // The line's length in the closed zone; the relation from its interior. The
            // zone's edges that `contact` found near the line hold all that cut it.
            let (inside, on_edge) =
                length_in_m(&site.segments, &edges, Indexed::Lines(&site.sweep), |p| {
                    side_of(f.locate(p))
                });
            let l = inside + on_edge;
            length = Some(l);
            if inside <= 0.0 {
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
            // The feature's length in the closed site; the relation from the site's interior.
            let near = f.edges_in(&AABB::from_corners(
                [site.bbox[0], site.bbox[1]],
                [site.bbox[2], site.bbox[3]],
            ));
            let (inside, on_edge) =
                length_in_m(&near, &site.segments, Indexed::Edges(&site.sweep), |p| {
                    site.side(p)
                });
            let l = inside + on_edge;
            length = Some(l);
            if inside <= 0.0 {
                Relation::Touches
            } else if (f.length_m() - l).abs() <= SAME_AREA * f.length_m() {
                Relation::Contains
            } else {
                Relation::Crosses
            }
        }
        // A line feature against a point or line site: related within the site's box. The
        // relation does not change: the pieces' new ends lie on the box, off the site, and
        // near the site the pieces are the feature (with its own ends and the mod-2 rule's
        // shared vertices as before). `relate` builds both shapes' edge graphs, so this makes
        // a check cost what the site's box holds, not the whole river.
        // They intersect: `contact` found edges that meet (a line feature has no inside).
        _ if !zone => {
            let near = lines_to_box(feature_lines(f), reach);
            match &site.linework {
                Some(sl) => line_relation(relate_lines(sl, &near))?,
                None => relation_of(site.relate(&Geometry::MultiLineString(near))),
            }
        }
        _ => {
            if !site.geom.intersects(&f.geometry) {
                return None;
            }
            if site.dim == 0 {
                area = Some(0.0);
            }
            relation_of(site.relate(&f.geometry))
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
    }
}

/// Area of the site inside a layer's zones, counting overlaps between zones once. Overlaps
/// whose envelopes are apart cannot share area, nor can those of zones whose interiors do not
/// meet (neighbours sharing an edge, [`Layer::interiors_meet`]): their measured areas just add
/// up. Only when two zones that overlap each other both meet the site is the union taken
/// (pairwise: `unary_union` was seen to stall on parts that share edges).
fn layer_overlap_m2(layer: &Layer, overlaps: Vec<(usize, MultiPolygon, f64)>) -> f64 {
    use geo::BoundingRect;
    let boxes: Vec<Option<geo::Rect>> =
        overlaps.iter().map(|(_, o, _)| o.bounding_rect()).collect();
    let apart = boxes.iter().enumerate().all(|(i, a)| {
        boxes[i + 1..]
            .iter()
            .enumerate()
            .all(|(k, b)| match (a, b) {
                (Some(a), Some(b)) => {
                    a.max().x < b.min().x
                        || b.max().x < a.min().x
                        || a.max().y < b.min().y
                        || b.max().y < a.min().y
                        || !layer.interiors_meet(overlaps[i].0, overlaps[i + 1 + k].0)
                }
                _ => true,
            })
    });
    if apart {
        return overlaps.iter().map(|(_, _, a)| a).sum();
    }
    let union = overlaps
        .into_iter()
        .map(|(_, o, _)| o)
        .reduce(|acc, o| acc.union(&o))
        .unwrap_or_else(|| MultiPolygon(vec![]));
    geodesy::area_m2(&Geometry::MultiPolygon(union))
}

/// An overlap cannot exceed the site: boolean-op and summation rounding (~1e-7) is cut off so
/// ratios stay within [0, 1]. `+ 0.0` turns the -0.0 of an empty float sum into 0.0, which
/// answers would otherwise print as `-0.0`.
fn clamp_to_site(overlap_m2: f64, site_m2: f64) -> f64 {
    (overlap_m2 + 0.0).clamp(0.0, site_m2)
}

/// The feature's lines, borrowed (none for a polygon).
fn feature_lines(f: &Feature) -> &[geo::LineString] {
    match &f.geometry {
        Geometry::LineString(ls) => std::slice::from_ref(ls),
        Geometry::MultiLineString(m) => &m.0,
        _ => &[],
    }
}

/// The counties the site lies in, from the manifest's county layer, with shares.
fn counties(
    ds: &Dataset,
    site: &PreparedSite,
    year: i32,
    env: &AABB<[f64; 2]>,
) -> Vec<CountyShare> {
    let Some(layer) = ds
        .manifest
        .county_layer
        .as_deref()
        .and_then(|c| ds.layer(c))
    else {
        return Vec::new();
    };
    let entry = |f: &Feature, share: f64| CountyShare {
        county: f.county.clone().unwrap_or_else(|| f.id.clone()),
        name: f.name.clone(),
        share,
    };
    let mut out: Vec<CountyShare> = Vec::new();
    let mut candidates: Vec<&Feature> =
        layer.candidates(env).filter(|f| f.valid_in(year)).collect();
    candidates.sort_by(|a, b| a.id.cmp(&b.id));
    // Most sites lie well inside one county: when no edge of a county meets the site's box,
    // the box is wholly inside it or wholly outside, and one point tells which. Only sites on a
    // border pay for the overlay.
    let b = grow(site.bbox, CLIP_MARGIN_DEG);
    let site_box = AABB::from_corners([b[0], b[1]], [b[2], b[3]]);
    let centre = Coord {
        x: 0.5 * (b[0] + b[2]),
        y: 0.5 * (b[1] + b[3]),
    };
    let mut edges = Vec::new();
    for f in candidates {
        edges.clear();
        f.edges_into(&site_box, &mut edges);
        if edges.is_empty() {
            if f.locate(centre) == Location::Inside {
                return vec![entry(f, 1.0)];
            }
            continue;
        }
        let Some((h, _)) = examine(site, layer, f, 0.0, env) else {
            continue;
        };
        let share = match site.dim {
            2 => h.overlap_ratio.unwrap_or(0.0),
            1 if site.length_m > 0.0 => h.overlap_length_m.unwrap_or(0.0) / site.length_m,
            _ => f64::from(u8::from(h.relation == Relation::Within)),
        };
        // A point on a border is kept with share 0 until we know no county holds it.
        if share > 0.0 || (site.dim == 0 && h.relation == Relation::Touches) {
            out.push(entry(f, share.min(1.0)));
        }
    }
    // A point on a border belongs to the counties that meet there, evenly.
    if site.dim == 0 && !out.is_empty() && out.iter().all(|c| c.share == 0.0) {
        let n = out.len() as f64;
        for c in &mut out {
            c.share = 1.0 / n;
        }
    }
    out.retain(|c| c.share > 0.0);
    out.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then_with(|| a.county.cmp(&b.county))
    });
    out
}
