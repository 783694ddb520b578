//! The report's map: the site, the zones it meets and its rings over the context layers (land,
//! sea, county outlines and names), drawn as SVG in an azimuthal equidistant frame centred on
//! the site, so the scale bar is true in every direction.
//!
//! Every shape is cut to the view and carries the key of its legend entry (`data-legend`); the
//! legend is the list of keys drawn, in drawing order, so it cannot name a layer the map does
//! not show nor miss one it does.

use super::paint::{layer_infos, level_of, paint, Key, LayerInfo};
use super::words::{fmt_m, Lang};
use crate::data::{Dataset, Feature, LayerKind};
use crate::query::screen::Screened;
use crate::render::escape::esc;
use crate::spatial::buffer::buffer_lonlat;
use crate::spatial::frames::{Aeqd, LocalFrame};
use crate::spatial::geodesy;
use geo::{BooleanOps, Coord, Geometry, InteriorPoint, Intersects, LineString, MultiLineString};
use geo::{MapCoords, MultiPolygon, Polygon, Rect};
use std::collections::HashSet;
use std::fmt::Write;

/// The map and the legend of what it drew.
pub(super) struct Drawn {
    /// The `<svg>` element.
    pub svg: String,
    /// One entry per kind of shape drawn, in drawing order.
    pub legend: Vec<Key>,
}

fn square(h: f64) -> MultiPolygon {
    MultiPolygon(vec![Rect::new(
        Coord { x: -h, y: -h },
        Coord { x: h, y: h },
    )
    .to_polygon()])
}

/// A lon/lat geometry in the frame (metres, y up), cut to the view square of half-side `half`;
/// `None` when none of it is in view (then it is not drawn, and not in the legend). Polygons are
/// cut a little beyond the view, so the cut's own edges fall outside the SVG's clip and are
/// never stroked as if they were a boundary.
fn in_view(g: &Geometry, frame: &Aeqd, half: f64) -> Option<Geometry> {
    let view = square(half);
    let local = g.map_coords(|c| frame.forward(c));
    let polys = |m: MultiPolygon| {
        let cut = m.intersection(&square(half * 1.05));
        (!cut.0.is_empty() && cut.intersects(&view)).then_some(Geometry::MultiPolygon(cut))
    };
    match local {
        Geometry::Polygon(p) => polys(MultiPolygon(vec![p])),
        Geometry::MultiPolygon(m) => polys(m),
        Geometry::LineString(l) => lines_in(&view, MultiLineString(vec![l])),
        Geometry::MultiLineString(m) => lines_in(&view, m),
        Geometry::Point(p) => {
            (p.x().abs() <= half && p.y().abs() <= half).then_some(Geometry::Point(p))
        }
        _ => None,
    }
}

fn lines_in(view: &MultiPolygon, m: MultiLineString) -> Option<Geometry> {
    let cut = view.clip(&m, false);
    (!cut.0.is_empty()).then_some(Geometry::MultiLineString(cut))
}

/// The boundary of a polygonal geometry (already in the frame) as lines, cut to the view, less
/// the segments already drawn (`seen`): what an outline-only layer (the county outlines) shows.
/// Two neighbours' rings both hold their shared border, in opposite directions; drawn twice,
/// its dashes would interleave into a solid line. `None` when nothing new is in view.
fn boundary_in_view(g: &Geometry, half: f64, seen: &mut HashSet<[i64; 4]>) -> Option<Geometry> {
    let Geometry::MultiPolygon(m) = g else {
        return None;
    };
    let rings =
        m.0.iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .cloned()
            .collect();
    let Some(Geometry::MultiLineString(cut)) = lines_in(&square(half), MultiLineString(rings))
    else {
        return None;
    };
    // Segments keyed by their ends to the centimetre, either way round.
    let cm = |c: Coord| [(c.x * 100.0).round() as i64, (c.y * 100.0).round() as i64];
    let mut runs = Vec::new();
    for line in &cut.0 {
        let mut run: Vec<Coord> = Vec::new();
        for seg in line.lines() {
            let (a, b) = (cm(seg.start), cm(seg.end));
            let key = if a <= b {
                [a[0], a[1], b[0], b[1]]
            } else {
                [b[0], b[1], a[0], a[1]]
            };
            if seen.insert(key) {
                if run.is_empty() {
                    run.push(seg.start);
                }
                run.push(seg.end);
            } else if run.len() >= 2 {
                runs.push(LineString(std::mem::take(&mut run)));
            } else {
                run.clear();
            }
        }
        if run.len() >= 2 {
            runs.push(LineString(run));
        }
    }
    (!runs.is_empty()).then_some(Geometry::MultiLineString(MultiLineString(runs)))
}

/// SVG path data of a geometry already in the frame (y flipped for SVG).
fn path(g: &Geometry) -> String {
    let mut d = String::new();
    let mut ring = |ls: &LineString, close: bool| {
        for (i, p) in ls.0.iter().enumerate() {
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

/// Where to name a county cut to the view: inside it, off the square of half-side `clear`
/// around the site (the site and its overlaps are what the reader looks at), or anywhere in it
/// when it has no room outside that square.
fn away_from_site(g: &Geometry, clear: f64) -> Option<geo::Point> {
    let Geometry::MultiPolygon(m) = g else {
        return None;
    };
    let square = MultiPolygon(vec![Rect::new(
        Coord {
            x: -clear,
            y: -clear,
        },
        Coord { x: clear, y: clear },
    )
    .to_polygon()]);
    m.difference(&square)
        .interior_point()
        .or_else(|| m.interior_point())
}

/// Collects the legend while drawing: each key once, in the order first drawn.
#[derive(Default)]
struct Legend(Vec<Key>);

impl Legend {
    fn note(&mut self, k: Key) -> String {
        let id = k.id.clone();
        if !self.0.iter().any(|x| x.id == k.id) {
            self.0.push(k);
        }
        id
    }

    /// The entries, each layer's together where the layer was first drawn, and within a layer
    /// by key (`level-1` before `level-2`, whichever was drawn first).
    fn finish(mut self) -> Vec<Key> {
        let group = |id: &str| id.split(':').next().unwrap_or(id).to_string();
        let mut groups: Vec<String> = Vec::new();
        for k in &self.0 {
            let g = group(&k.id);
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        self.0.sort_by_cached_key(|k| {
            let g = group(&k.id);
            (groups.iter().position(|x| *x == g), k.id.clone())
        });
        self.0
    }
}

/// Text with a white halo, so it reads over whatever lies below.
fn halo_text(s: &mut String, class: &str, attrs: &str, x: f64, y: f64, size: f64, text: &str) {
    let _ = write!(
        s,
        r##"<text class="{class}" {attrs} x="{x:.1}" y="{y:.1}" font-size="{size:.1}" text-anchor="middle" dominant-baseline="central" stroke="#ffffff" stroke-width="{:.1}" stroke-linejoin="round" paint-order="stroke">{}</text>"##,
        size / 5.0,
        esc(text)
    );
}

/// The map: context layers, zones and lines around the site, the overlaps hatched, rings
/// dashed and labelled on their line, a scale bar; and the legend of what was drawn.
pub(super) fn map_svg(ds: &Dataset, site: &Geometry, r: &Screened, lang: Lang) -> Drawn {
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
    let site_half = corners
        .iter()
        .map(|c| c.x.abs().max(c.y.abs()))
        .fold(0.0, f64::max);
    let half = site_half + max_ring.max(300.0) * 1.1;
    let size = 2.0 * half;
    // Features whose bbox meets the extent (in lon/lat, padded generously).
    let c = frame.inverse(Coord { x: 0.0, y: 0.0 });
    let (dx, dy) = LocalFrame::new(c).degrees_for(half * 1.5);
    let env = rstar::AABB::from_corners([c.x - dx, c.y - dy], [c.x + dx, c.y + dy]);
    let mut legend = Legend::default();
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
        r##"<defs><clipPath id="view"><rect x="{:.1}" y="{:.1}" width="{size:.1}" height="{size:.1}"/></clipPath><pattern id="hatch" width="{w:.1}" height="{w:.1}" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="{w:.1}" height="{w:.1}" fill="rgba(127,29,29,0.25)"/><line x1="0" y1="0" x2="0" y2="{w:.1}" stroke="#7f1d1d" stroke-width="{sw:.1}"/></pattern></defs><rect x="{:.1}" y="{:.1}" width="{size:.1}" height="{size:.1}" fill="{}"/><g clip-path="url(#view)">"##,
        -half,
        -half,
        -half,
        -half,
        // Outside the context layers' land and sea (another city), or the page when none.
        if ds.manifest.layers.iter().any(|l| l.context) {
            "#e9e6df"
        } else {
            "#f8fafc"
        },
        w = size / 80.0,
        sw = size / 250.0,
    );
    let infos = layer_infos(ds, lang);
    // Ground first (context layers but the counties), then county outlines, then land cover
    // (zones that are no constraint: water, forest), then the constraint zones, then lines, each
    // group in manifest order; within a layer, weaker levels below stricter ones.
    let rank = |l: &LayerInfo| match (l.context, l.county, l.layer.kind(), l.constraint) {
        (true, false, ..) => 0,
        (true, true, ..) => 1,
        (false, _, LayerKind::Zone, false) => 2,
        (false, _, LayerKind::Zone, true) => 3,
        (false, _, LayerKind::Line, _) => 4,
    };
    let mut order: Vec<&LayerInfo> = infos.iter().collect();
    order.sort_by_key(|l| rank(l));
    let mut county_names = Vec::new();
    let mut county_segments = HashSet::new();
    for l in order {
        let mut fs: Vec<&Feature> = l
            .layer
            .candidates(&env)
            .filter(|f| f.valid_in(r.year))
            .collect();
        fs.sort_by_key(|f| std::cmp::Reverse(level_of(f).unwrap_or(0)));
        for f in fs {
            let Some(g) = in_view(&f.geometry, &frame, half) else {
                continue;
            };
            if l.county {
                if let Some(at) = away_from_site(&g, site_half + half * 0.2) {
                    county_names.push((at, f.name.clone()));
                }
            }
            // Outlines are lines: the boundary in view, not the outline of the part in view.
            let g = if l.county {
                match boundary_in_view(&g, half, &mut county_segments) {
                    Some(b) => b,
                    None => continue,
                }
            } else {
                g
            };
            let p = paint(l, f, stroke, lang);
            let key = legend.note(p.key);
            let dash = p
                .dash
                .map(|(a, b)| format!(r#" stroke-dasharray="{a:.1} {b:.1}""#))
                .unwrap_or_default();
            let _ = write!(
                s,
                r#"<path class="feature layer-{}" data-layer="{}" data-legend="{}" data-id="{}" d="{}" fill="{}" stroke="{}" stroke-width="{:.1}"{dash} fill-rule="evenodd"><title>{}</title></path>"#,
                esc(l.layer.id()),
                esc(l.layer.id()),
                esc(&key),
                esc(&f.id),
                path(&g),
                p.fill,
                p.stroke,
                p.width,
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
            let o = Geometry::MultiPolygon(site_mp.intersection(&zone_mp));
            let Some(g) = in_view(&o, &frame, half) else {
                continue;
            };
            let key = legend.note(Key {
                id: "overlap".into(),
                label: lang.t("重叠部分", "overlap").into(),
                swatch: "background:repeating-linear-gradient(45deg,#7f1d1d 0 1px,rgba(127,29,29,0.25) 1px 3px)".into(),
            });
            let _ = write!(
                s,
                r##"<path class="overlap" data-layer="{}" data-legend="{key}" d="{}" fill="url(#hatch)" stroke="#7f1d1d" stroke-width="{stroke:.1}"/>"##,
                esc(&h.layer),
                path(&g)
            );
        }
    }
    // Rings, dashed, each labelled at its northernmost point, on its line.
    let mut ring_labels = String::new();
    for ring in r.rings.iter().flatten().filter(|x| x.distance_m > 0.0) {
        let Some(g) = buffer_lonlat(site, ring.distance_m, &frame)
            .and_then(|b| in_view(&Geometry::MultiPolygon(b), &frame, half))
        else {
            continue;
        };
        let key = legend.note(Key {
            id: "ring".into(),
            label: lang.t("邻近范围环", "proximity rings").into(),
            swatch: "border:1px dashed #334155".into(),
        });
        let _ = write!(
            s,
            r##"<path class="ring" data-ring="{}" data-legend="{key}" d="{}" fill="none" stroke="#334155" stroke-width="{:.1}" stroke-dasharray="{:.1} {:.1}"/>"##,
            ring.distance_m,
            path(&g),
            stroke,
            stroke * 6.0,
            stroke * 4.0
        );
        let top = match &g {
            Geometry::MultiPolygon(m) => {
                m.0.iter()
                    .flat_map(|p| p.exterior().0.iter())
                    .copied()
                    .reduce(|a, b| if b.y > a.y { b } else { a })
            }
            _ => None,
        };
        if let Some(t) = top {
            halo_text(
                &mut ring_labels,
                "ring-label",
                &format!(r##"data-ring="{}" fill="#334155""##, ring.distance_m),
                t.x,
                -t.y,
                size / 45.0,
                &fmt_m(ring.distance_m),
            );
        }
    }
    // The site on top.
    let site_key = legend.note(Key {
        id: "site".into(),
        label: lang.t("项目地块", "project site").into(),
        swatch: "border:2px solid #111827".into(),
    });
    match site {
        Geometry::Point(p) => {
            let q = frame.forward(p.0);
            let _ = write!(
                s,
                r##"<circle class="site" data-legend="{site_key}" cx="{:.1}" cy="{:.1}" r="{:.1}" fill="#111827" stroke="#fff" stroke-width="{:.1}"/>"##,
                q.x,
                -q.y,
                size / 90.0,
                stroke
            );
        }
        g => {
            let local = g.map_coords(|c| frame.forward(c));
            let _ = write!(
                s,
                r##"<path class="site" data-legend="{site_key}" d="{}" fill="none" stroke="#111827" stroke-width="{:.1}"/>"##,
                path(&local),
                stroke * 3.0
            );
        }
    }
    // Names last, over everything: counties, then the rings' distances.
    for (at, name) in county_names {
        halo_text(
            &mut s,
            "county-label",
            r##"fill="#616161" letter-spacing="0.2em""##,
            at.x(),
            -at.y(),
            size / 32.0,
            &name,
        );
    }
    s.push_str(&ring_labels);
    s.push_str("</g>");
    scale_and_north(&mut s, half, size, stroke);
    s.push_str("</svg>");
    Drawn {
        svg: s,
        legend: legend.finish(),
    }
}

/// Scale bar (a round length near a quarter of the width) and north arrow.
fn scale_and_north(s: &mut String, half: f64, size: f64, stroke: f64) {
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
}
