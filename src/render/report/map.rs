//! The report's map: the site, the zones it meets and its rings, drawn as SVG in an azimuthal
//! equidistant frame centred on the site, so the scale bar is true in every direction.

use super::words::{fmt_m, Lang};
use crate::data::{Dataset, Feature};
use crate::query::screen::Screened;
use crate::render::escape::esc;
use crate::spatial::buffer::buffer_lonlat;
use crate::spatial::frames::{Aeqd, LocalFrame};
use crate::spatial::geodesy;
use geo::{BooleanOps, Coord, Geometry, LineString, MultiPolygon, Polygon};
use std::fmt::Write;

/// Colours for layers the manifest gives none.
const PALETTE: [&str; 6] = [
    "#e53935", "#43a047", "#1e63b4", "#00897b", "#8e24aa", "#f57c00",
];

/// A layer's colour: the manifest's, else a palette colour by position.
pub(super) fn layer_colour(ds: &Dataset, index: usize) -> String {
    ds.layers
        .get(index)
        .and_then(|l| ds.manifest.layer(l.id()))
        .and_then(|s| s.colour.clone())
        .unwrap_or_else(|| PALETTE[index % PALETTE.len()].to_string())
}

/// `#rrggbb` at an opacity, as CSS `rgba()`.
pub(super) fn rgba(hex: &str, alpha: f64) -> String {
    let c = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(128);
    format!("rgba({},{},{},{alpha})", c(1), c(3), c(5))
}

/// Fill, stroke and stroke width of a feature: zones filled in their layer's colour (stronger
/// for stricter `level`s: 1 is the strictest), lines in the layer's colour when they are a
/// constraint and grey when not (artificial shoreline, unprotected banks).
fn style(colour: &str, f: &Feature, stroke: f64) -> (String, String, f64) {
    match &f.geometry {
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
            let alpha = match f
                .properties
                .get("level")
                .and_then(serde_json::Value::as_i64)
            {
                Some(1) => 0.45,
                Some(2) => 0.3,
                Some(_) => 0.18,
                None => 0.22,
            };
            (rgba(colour, alpha), colour.to_string(), stroke)
        }
        _ if f.constraint => ("none".into(), colour.to_string(), stroke * 3.0),
        _ => ("none".into(), "#9e9e9e".into(), stroke * 2.0),
    }
}

/// SVG path data of a geometry in the frame (y flipped for SVG).
fn path(g: &Geometry, f: &Aeqd) -> String {
    let mut d = String::new();
    let mut ring = |ls: &LineString, close: bool| {
        for (i, c) in ls.0.iter().enumerate() {
            let p = f.forward(*c);
            let _ = write!(
                d,
                "{}{:.1} {:.1}",
                if i == 0 { "M" } else { "L" },
                p.x,
                -p.y
            );
        }
        if close {
            d.push('Z');
        }
    };
    let mut poly = |p: &Polygon| {
        ring(p.exterior(), true);
        for h in p.interiors() {
            ring(h, true);
        }
    };
    match g {
        Geometry::Polygon(p) => poly(p),
        Geometry::MultiPolygon(mp) => mp.0.iter().for_each(&mut poly),
        Geometry::LineString(l) => ring(l, false),
        Geometry::MultiLineString(m) => m.0.iter().for_each(|l| ring(l, false)),
        _ => {}
    }
    d
}

/// The map: zones and lines around the site, the overlaps hatched, rings dashed, a scale bar.
pub(super) fn map_svg(ds: &Dataset, site: &Geometry, r: &Screened, lang: Lang) -> String {
    let frame = Aeqd::at(site);
    let max_ring = r
        .rings
        .as_ref()
        .and_then(|v| v.iter().map(|x| x.distance_m).reduce(f64::max))
        .unwrap_or(0.0);
    // The extent: the site plus the largest ring (at least 300 m around), square.
    let [x0, y0, x1, y1] = geodesy::bbox(site).unwrap_or([0.0; 4]);
    let corners = [
        frame.forward(Coord { x: x0, y: y0 }),
        frame.forward(Coord { x: x1, y: y1 }),
        frame.forward(Coord { x: x0, y: y1 }),
        frame.forward(Coord { x: x1, y: y0 }),
    ];
    let half = corners
        .iter()
        .map(|c| c.x.abs().max(c.y.abs()))
        .fold(0.0, f64::max)
        + max_ring.max(300.0) * 1.1;
    let size = 2.0 * half;
    // Features whose bbox meets the extent (in lon/lat, padded generously).
    let c = frame.inverse(Coord { x: 0.0, y: 0.0 });
    let (dx, dy) = LocalFrame::new(c).degrees_for(half * 1.5);
    let env = rstar::AABB::from_corners([c.x - dx, c.y - dy], [c.x + dx, c.y + dy]);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="{:.1} {:.1} {:.1} {:.1}" class="map" role="img" aria-label="{}">"#,
        -half,
        -half,
        size,
        size,
        lang.t("地块与生态空间图", "Site and ecological space map")
    );
    let stroke = size / 500.0;
    let _ = write!(
        s,
        r##"<defs><clipPath id="view"><rect x="{:.1}" y="{:.1}" width="{size:.1}" height="{size:.1}"/></clipPath><pattern id="hatch" width="{w:.1}" height="{w:.1}" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="{w:.1}" height="{w:.1}" fill="rgba(127,29,29,0.25)"/><line x1="0" y1="0" x2="0" y2="{w:.1}" stroke="#7f1d1d" stroke-width="{sw:.1}"/></pattern></defs><rect x="{:.1}" y="{:.1}" width="{size:.1}" height="{size:.1}" fill="#f8fafc"/><g clip-path="url(#view)">"##,
        -half,
        -half,
        -half,
        -half,
        w = size / 80.0,
        sw = size / 250.0,
    );
    for (i, layer) in ds.layers.iter().enumerate() {
        let colour = layer_colour(ds, i);
        for f in layer.candidates(&env).filter(|f| f.valid_in(r.year)) {
            let (fill, line, width) = style(&colour, f, stroke);
            let _ = write!(
                s,
                r#"<path class="feature layer-{}" data-id="{}" d="{}" fill="{fill}" stroke="{line}" stroke-width="{width:.1}" fill-rule="evenodd"><title>{}</title></path>"#,
                esc(layer.id()),
                esc(&f.id),
                path(&f.geometry, &frame),
                esc(&f.name)
            );
        }
    }
    // The overlaps: site ∩ zone, for every zone the site enters.
    if let Geometry::Polygon(_) | Geometry::MultiPolygon(_) = site {
        let site_mp = match site {
            Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
            Geometry::MultiPolygon(m) => m.clone(),
            _ => MultiPolygon(vec![]),
        };
        for h in r
            .hits
            .iter()
            .map(|x| &x.hit)
            .filter(|h| h.overlap_area_m2.unwrap_or(0.0) > 0.0)
        {
            let zone = ds
                .layer(&h.layer)
                .and_then(|l| l.features.iter().find(|f| f.id == h.id));
            let zone_mp = match zone.map(|f| &f.geometry) {
                Some(Geometry::Polygon(p)) => MultiPolygon(vec![p.clone()]),
                Some(Geometry::MultiPolygon(m)) => m.clone(),
                _ => continue,
            };
            let o = site_mp.intersection(&zone_mp);
            let _ = write!(
                s,
                r##"<path class="overlap" data-layer="{}" d="{}" fill="url(#hatch)" stroke="#7f1d1d" stroke-width="{stroke:.1}"/>"##,
                esc(&h.layer),
                path(&Geometry::MultiPolygon(o), &frame)
            );
        }
    }
    // Rings, dashed, labelled.
    for ring in r.rings.iter().flatten().filter(|x| x.distance_m > 0.0) {
        if let Some(b) = buffer_lonlat(site, ring.distance_m, &frame) {
            let _ = write!(
                s,
                r##"<path class="ring" d="{}" fill="none" stroke="#334155" stroke-width="{:.1}" stroke-dasharray="{:.1} {:.1}"/>"##,
                path(&Geometry::MultiPolygon(b), &frame),
                stroke,
                stroke * 6.0,
                stroke * 4.0
            );
            let _ = write!(
                s,
                r##"<text class="ring-label" x="{:.1}" y="{:.1}" font-size="{:.1}" fill="#334155">{}</text>"##,
                stroke * 4.0,
                -(ring.distance_m + corners[1].y.max(0.0)) - stroke * 4.0,
                size / 45.0,
                esc(&fmt_m(ring.distance_m))
            );
        }
    }
    // The site on top.
    match site {
        Geometry::Point(p) => {
            let q = frame.forward(p.0);
            let _ = write!(
                s,
                r##"<circle class="site" cx="{:.1}" cy="{:.1}" r="{:.1}" fill="#111827" stroke="#fff" stroke-width="{:.1}"/>"##,
                q.x,
                -q.y,
                size / 90.0,
                stroke
            );
        }
        g => {
            let _ = write!(
                s,
                r##"<path class="site" d="{}" fill="none" stroke="#111827" stroke-width="{:.1}"/>"##,
                path(g, &frame),
                stroke * 3.0
            );
        }
    }
    s.push_str("</g>");
    // Scale bar (a round length near a quarter of the width) and north arrow.
    let target = size / 4.0;
    let mag = 10f64.powf(target.log10().floor());
    let bar = [1.0, 2.0, 5.0]
        .iter()
        .map(|k| k * mag)
        .filter(|l| *l <= target)
        .fold(mag, f64::max);
    let (bx, by) = (-half + size * 0.05, half - size * 0.05);
    let _ = write!(
        s,
        r##"<g class="scale"><rect x="{bx:.1}" y="{:.1}" width="{bar:.1}" height="{:.1}" fill="#111827"/><text x="{bx:.1}" y="{:.1}" font-size="{:.1}" fill="#111827">{}</text></g>"##,
        by - stroke * 3.0,
        stroke * 3.0,
        by - stroke * 8.0,
        size / 40.0,
        esc(&fmt_m(bar))
    );
    let (nx, ny) = (half - size * 0.06, -half + size * 0.05);
    let _ = write!(
        s,
        r##"<g class="north"><path d="M{nx:.1} {ny:.1}L{:.1} {:.1}L{nx:.1} {:.1}L{:.1} {:.1}Z" fill="#111827"/><text x="{nx:.1}" y="{:.1}" font-size="{:.1}" text-anchor="middle" fill="#111827">N</text></g>"##,
        nx + size / 60.0,
        ny + size / 20.0,
        ny + size / 28.0,
        nx - size / 60.0,
        ny + size / 20.0,
        ny + size / 12.0,
        size / 40.0
    );
    s.push_str("</svg>");
    s
}
