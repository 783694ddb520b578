//! The part of a site outside a layer whose outside is the constraint (the urban development
//! boundary), which binds only inside the plan's counties.

use super::answer::{CheckOptions, LayerSummary, Outside, SAME_AREA};
use super::contact::PreparedSite;
use crate::data::Feature;
use crate::spatial::geodesy;
use rstar::AABB;

/// The part of the site outside an outside-constraint layer's zones but inside the territory
/// (`territory`: the share of the site in the plan's counties), from the layer's summary and
/// the features `met` (meeting the site, not only near it): the area outside is the site's in
/// the territory less the union inside; a line's likewise with lengths (the layer's zones do
/// not overlap in sensible data; overlaps are clamped); a point is outside when in the
/// territory and no zone holds it (a zone's boundary counts as inside).
pub(super) fn outside(
    site: &PreparedSite,
    s: &LayerSummary,
    met: &[&Feature],
    opts: &CheckOptions,
    env: &AABB<[f64; 2]>,
    territory: f64,
) -> Outside {
    // A site's measure (area, or length for a line) in the territory, less its measure inside
    // the layer's zones (the layer summary's: the union for areas, the sum for lengths).
    let part = |whole: f64, inside: f64| {
        let out = (whole * territory - inside).max(0.0);
        let ratio = if whole > 0.0 { out / whole } else { 0.0 };
        // Boolean-op rounding leaves ~1e-9 of the site "outside" a zone that holds it.
        if ratio <= SAME_AREA {
            (0.0, 0.0)
        } else {
            (ratio, out)
        }
    };
    let mut o = match site.dim {
        2 => {
            let (ratio, a) = part(site.area_m2, s.overlap_area_m2);
            Outside {
                ratio,
                area_m2: Some(a),
                ..Outside::default()
            }
        }
        1 => {
            let (ratio, l) = part(site.length_m, s.overlap_length_m);
            Outside {
                ratio,
                length_m: Some(l),
                ..Outside::default()
            }
        }
        _ => Outside {
            ratio: if met.is_empty() { territory } else { 0.0 },
            ..Outside::default()
        },
    };
    o.distance_m = if o.ratio > 0.0 {
        Some(0.0)
    } else if opts.buffer_m > 0.0 {
        // Wholly inside: the outside begins at the nearest edge of the zones that hold it.
        met.iter()
            .filter_map(|f| geodesy::segments_distance_m(&site.segments, &f.edges_in(env)))
            .reduce(f64::min)
            .filter(|d| *d <= opts.buffer_m)
    } else {
        None
    };
    o
}
