//! Inputs found by the fuzz targets (fuzz/, scripts/fuzz.sh), minimised, with the answer they
//! must get. Each went through `site::parse` as the service would have received it.

use ecospace::site::{self, SiteInput};
use ecospace::{check, CheckOptions, Dataset};
use geo::Geometry;

fn one(body: &str) -> Geometry {
    match site::parse(body.as_bytes(), 10_000).expect("a valid site") {
        SiteInput::One(s) => s.geometry,
        SiteInput::Batch(_) => panic!("one site expected"),
    }
}

fn opts(buffer_m: f64) -> CheckOptions {
    CheckOptions {
        year: 2025,
        buffer_m,
        layers: None,
    }
}

/// fuzz `check`: a ~1 cm triangle with a hole (the shell shrunk by 3/16 about its centroid).
/// Its area is 2.83e-5 − 0.10e-5 = 2.73e-5 m² (shoelace in a local frame, by hand), below the
/// ~1e-5 m² rounding of the geodesic area of each ring: exterior minus hole came out as
/// −1.9e-6 m², and with a zone in the buffer `clamp(0.0, site_area)` panicked (min > max).
#[test]
fn tiny_polygon_with_a_hole_has_no_negative_area_and_checks_without_panic() {
    let g = one(
        r#"{"type":"Polygon","coordinates":[[[120.49604791332875,30.38055542839704],[120.49604799145375,30.38055542839704],[120.49604787426625,30.38055549636579],[120.49604791332875,30.38055542839704]],[[120.49604792390816,30.380555446805243],[120.49604793855661,30.380555446805243],[120.49604791658395,30.380555459549385],[120.49604792390816,30.380555446805243]]]}"#,
    );
    let ds = Dataset::bundled().unwrap();
    // This call panicked.
    let r = check(&ds, &g, &opts(100_000.0)).expect("valid options");
    assert!((0.0..1e-4).contains(&r.site.area_m2), "{:?}", r.site);
    // The panic was on a zone hit: make sure there is one, and that its numbers are sane.
    let zone_hits: Vec<_> = r
        .hits
        .iter()
        .filter(|h| h.overlap_area_m2.is_some())
        .collect();
    assert!(!zone_hits.is_empty(), "no zone within 100 km?");
    for h in zone_hits {
        assert_eq!(h.overlap_area_m2, Some(0.0), "{h:?}");
        assert!(
            h.overlap_ratio.is_some_and(|q| (0.0..=1.0).contains(&q)),
            "{h:?}"
        );
    }
}

/// fuzz `check` (minimised): a valid ~1 cm triangle of 7.8e-6 m² (by hand). Its geodesic
/// signed area rounds below zero, and the unsigned area read that as the rest of the Earth:
/// the site measured 5.1e14 m².
#[test]
fn centimetre_triangle_is_not_measured_as_the_whole_earth() {
    let g = one(
        r#"{"type":"MultiPolygon","coordinates":[[[[120.49617006362892,30.450551613641565],[120.49617002066017,30.450551651141566],[120.49616994644143,30.450551681610314],[120.49617006362892,30.450551613641565]]]]}"#,
    );
    let area = ecospace::geodesy::area_m2(&g);
    assert!((0.0..1e-4).contains(&area), "area {area}");
    let ds = Dataset::bundled().unwrap();
    let r = check(&ds, &g, &opts(0.0)).expect("valid options");
    assert!((0.0..1e-4).contains(&r.site.area_m2), "{:?}", r.site);
}

/// Same root cause at a planner's scale: a 7 km sliver of 320.5 m² (shoelace in a local frame,
/// by hand) whose geodesic edges cross although its lon/lat edges do not, so its geodesic
/// winding is clockwise and the unsigned area was 5.1e14 m². Whatever a self-crossing geodesic
/// ring measures, it cannot be more than the lon/lat polygon (plus the edges' bulge, well under
/// 1 %).
#[test]
fn kilometre_sliver_is_not_measured_as_the_whole_earth() {
    let g = one(
        r#"{"type":"Polygon","coordinates":[[[120.32378194985003,31.043458511280654],[120.33847678644425,30.97987735177098],[120.32568092379515,31.035246216580823],[120.32378194985003,31.043458511280654]]]}"#,
    );
    let area = ecospace::geodesy::area_m2(&g);
    assert!((0.0..=330.0).contains(&area), "area {area}");
}
