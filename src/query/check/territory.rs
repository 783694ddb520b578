//! The part of a site outside a layer whose outside is the constraint (the urban development
//! boundary), which binds only inside the plan's counties.

use super::answer::{CheckOptions, Hit, LayerSummary, Outside, Relation, SAME_AREA};
use super::contact::PreparedSite;
use crate::data::Layer;
use crate::spatial::geodesy;
use rstar::AABB;

/// The part of the site outside an outside-constraint layer's zones but inside the territory
/// (`territory`: the share of the site in the plan's counties), from the layer's hits: the area
/// outside is the site's in the territory less the union inside; a line's likewise with lengths
/// (the layer's zones do not overlap in sensible data; overlaps are clamped); a point is
/// outside when in the territory and no zone holds it (a zone's boundary counts as inside).
pub(super) fn outside(
    site: &PreparedSite,
    layer: &Layer,
    s: &LayerSummary,
    hits: &[Hit],
    opts: &CheckOptions,
    env: &AABB<[f64; 2]>,
    territory: f64,
) -> Outside {
    let meets = |h: &&Hit| h.relation != Relation::Near;
    let mut o = match site.dim {
        2 => {
            let a = (site.area_m2 * territory - s.overlap_area_m2).max(0.0);
            let ratio = if site.area_m2 > 0.0 {
                a / site.area_m2
            } else {
                0.0
            };
            // Boolean-op rounding leaves ~1e-9 of the site "outside" a zone that holds it.
            let ratio = if ratio <= SAME_AREA { 0.0 } else { ratio };
            Outside {
                ratio,
                area_m2: Some(if ratio == 0.0 { 0.0 } else { a }),
                ..Outside::default()
            }
        }
        1 => {
            let inside: f64 = hits
                .iter()
                .filter(meets)
                .filter_map(|h| h.overlap_length_m)
                .sum();
            let l = (site.length_m * territory - inside).max(0.0);
            let ratio = if site.length_m > 0.0 {
                l / site.length_m
            } else {
                0.0
            };
            let ratio = if ratio <= SAME_AREA { 0.0 } else { ratio };
            Outside {
                ratio,
                length_m: Some(if ratio == 0.0 { 0.0 } else { l }),
                ..Outside::default()
            }
        }
        _ => Outside {
            ratio: if hits.iter().any(|h| meets(&h)) {
                0.0
            } else {
                territory
            },
            ..Outside::default()
        },
    };
    o.distance_m = if o.ratio > 0.0 {
        Some(0.0)
    } else if opts.buffer_m > 0.0 {
        // Wholly inside: the outside begins at the nearest edge of the zones that hold it.
        hits.iter()
            .filter(meets)
            .filter_map(|h| layer.features.iter().find(|f| f.id == h.id))
            .filter_map(|f| geodesy::segments_distance_m(&site.segments, &f.edges_in(env)))
            .reduce(f64::min)
            .filter(|d| *d <= opts.buffer_m)
    } else {
        None
    };
    o
}
