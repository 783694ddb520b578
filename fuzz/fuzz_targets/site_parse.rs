//! Fuzzes site parsing: arbitrary bytes → `site::parse` → `site::check_vertices`, with the
//! service's limits (16 MiB body, 10,000 sites, 100,000 vertices per site).
//!
//! Beyond "no panic", it asserts what `geometry::from_geojson` promises for every geometry it
//! accepts: finite lon/lat in range, no GeometryCollection, lines with at least two distinct
//! positions, closed rings of at least four positions, exteriors counter-clockwise and holes
//! clockwise, and geometries that `geo`'s own validation accepts (holes inside shells,
//! non-overlapping MultiPolygon parts).
#![no_main]

use ecospace::site::{self, Site, SiteInput};
use geo::winding_order::{Winding, WindingOrder};
use geo::{CoordsIter, Geometry, LineString, Validation};
use libfuzzer_sys::fuzz_target;

const MAX_BODY: usize = 16 * 1024 * 1024;
const MAX_BATCH: usize = 10_000;
const MAX_VERTICES: usize = 100_000;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_BODY {
        return;
    }
    let Ok(input) = site::parse(data, MAX_BATCH) else {
        return;
    };
    let sites: &[Site] = match &input {
        SiteInput::One(s) => std::slice::from_ref(s),
        SiteInput::Batch(v) => {
            assert!(
                !v.is_empty() && v.len() <= MAX_BATCH,
                "batch of {}",
                v.len()
            );
            v
        }
    };
    let mut most = 0;
    for s in sites {
        assert_site(&s.geometry);
        most = most.max(s.geometry.coords_count());
    }
    // `check_vertices` refuses exactly when some site is over the limit.
    for max in [MAX_VERTICES, most, most.saturating_sub(1)] {
        let r = site::check_vertices(&input, max);
        assert_eq!(r.is_ok(), most <= max, "most {most}, max {max}: {r:?}");
        if let Err(e) = r {
            assert_eq!(e.code(), "too_many_vertices");
        }
    }
});

fn assert_site(g: &Geometry) {
    for c in g.coords_iter() {
        assert!(c.x.is_finite() && c.y.is_finite(), "{c:?}");
        assert!((-180.0..=180.0).contains(&c.x), "lon {c:?}");
        assert!((-90.0..=90.0).contains(&c.y), "lat {c:?}");
    }
    assert!(g.coords_count() > 0, "empty geometry accepted: {g:?}");
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => {}
        Geometry::LineString(ls) => assert_line(ls),
        Geometry::MultiLineString(mls) => {
            assert!(!mls.0.is_empty());
            mls.iter().for_each(assert_line);
        }
        Geometry::Polygon(p) => assert_polygon(p),
        Geometry::MultiPolygon(mp) => {
            assert!(!mp.0.is_empty());
            mp.iter().for_each(assert_polygon);
        }
        other => panic!("parse produced an unexpected geometry type: {other:?}"),
    }
    if let Err(e) = g.check_validation() {
        panic!("accepted an invalid geometry ({e}): {g:?}");
    }
}

fn assert_line(ls: &LineString) {
    assert!(ls.0.len() >= 2, "{ls:?}");
    assert!(
        ls.0.windows(2).all(|w| w[0] != w[1]),
        "repeated position kept: {ls:?}"
    );
}

fn assert_ring(r: &LineString) {
    assert!(r.0.len() >= 4, "short ring {r:?}");
    assert!(r.is_closed(), "unclosed ring {r:?}");
}

fn assert_polygon(p: &geo::Polygon) {
    assert_ring(p.exterior());
    assert_ne!(
        p.exterior().winding_order(),
        Some(WindingOrder::Clockwise),
        "exterior not counter-clockwise: {p:?}"
    );
    for h in p.interiors() {
        assert_ring(h);
        assert_ne!(
            h.winding_order(),
            Some(WindingOrder::CounterClockwise),
            "hole not clockwise: {p:?}"
        );
    }
}
