//! The offsets of Chinese web maps (GCJ-02, BD-09) against the published algorithm, written out
//! in tests/common, not through the library.
#![allow(clippy::unwrap_used)]

mod common;
use ecospace::crs::WebOffset;

#[test]
fn gcj02_and_bd09_follow_the_published_algorithm_and_invert() {
    for name in ["GCJ02", "gcj-02", "BD09", "bd-09"] {
        assert!(WebOffset::parse(name).is_some(), "{name}");
    }
    assert!(WebOffset::parse("EPSG:4549").is_none());
    // Jiaxing's corners and centre: the library's forward offset is the formula's.
    for (lon, lat) in [
        (120.29, 30.27),
        (121.33, 31.03),
        (120.75, 30.75),
        (120.84, 30.58),
    ] {
        let (gx, gy) = WebOffset::Gcj02.from_lonlat(lon, lat);
        let (fx, fy) = common::gcj02_forward(lon, lat);
        assert!(
            (gx - fx).abs() < 1e-9 && (gy - fy).abs() < 1e-9,
            "{lon},{lat}"
        );
        // An offset of several hundred metres (~450 m in Jiaxing, as the issue says).
        let dx = (gx - lon) * 111_320.0 * lat.to_radians().cos();
        let dy = (gy - lat) * 110_574.0;
        let d = dx.hypot(dy);
        assert!((300.0..700.0).contains(&d), "{d} m at {lon},{lat}");
        // Round trips, by iteration, to below 1e-6°.
        for o in [WebOffset::Gcj02, WebOffset::Bd09] {
            let (x, y) = o.from_lonlat(lon, lat);
            let (bx, by) = o.to_lonlat(x, y);
            assert!(
                (bx - lon).abs() < 1e-6 && (by - lat).abs() < 1e-6,
                "{o:?} {lon},{lat}"
            );
        }
    }
    // BD-09 is GCJ-02 offset again by Baidu's published rotation (x_pi = π·3000/180).
    let (gx, gy) = common::gcj02_forward(120.75, 30.75);
    let x_pi = std::f64::consts::PI * 3000.0 / 180.0;
    let z = gx.hypot(gy) + 0.00002 * (gy * x_pi).sin();
    let t = gy.atan2(gx) + 0.000003 * (gx * x_pi).cos();
    let (bx, by) = WebOffset::Bd09.from_lonlat(120.75, 30.75);
    assert!((bx - (z * t.cos() + 0.0065)).abs() < 1e-9);
    assert!((by - (z * t.sin() + 0.006)).abs() < 1e-9);
    // Outside China: the identity.
    assert_eq!(WebOffset::Gcj02.from_lonlat(2.35, 48.85), (2.35, 48.85));
    assert_eq!(WebOffset::Bd09.to_lonlat(-74.0, 40.7), (-74.0, 40.7));
}
