//! CRSs as OGC API clients name them (OGC API – Features Part 2, "CRS by reference"): a URI
//! such as `http://www.opengis.net/def/crs/EPSG/0/4490`, with the axis order *its definition*
//! gives. That is the trap Part 2 sets: CRS84 is lon/lat, but EPSG:4326 and CGCS2000's
//! EPSG:4490 are lat/lon, and the Chinese Gauss-Krüger CRSs (EPSG:4528, EPSG:4549) are
//! northing/easting. PROJ, as ecospace uses it everywhere else, normalises to east/north; here
//! the axis order is asked of GDAL's OSR and applied on top.
//!
//! The Chinese web-map offsets (GCJ-02, BD-09) have no URI; `GCJ02`/`BD09` are accepted as
//! ecospace's own names, in lon/lat order, in every build.

use super::{CrsError, WebOffset};

/// OGC's lon/lat CRS: WGS84 with longitude first, what GeoJSON means.
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// What every collection offers besides its storage CRS (with the `gdal` feature):
/// WGS84 both ways round, CGCS2000 geographic, and CGCS2000 Gauss-Krüger 3° zone 40 with and
/// without the zone prefix (Jiaxing's zone).
pub const OFFERED_EPSG: [u32; 4] = [4326, 4490, 4528, 4549];

/// A CRS named by a client, in canonical URI form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrsRef {
    /// CRS84: lon/lat, nothing to do.
    Crs84,
    /// An EPSG CRS, by code.
    Epsg(u32),
    /// A Chinese web map's offset lon/lat.
    Web(WebOffset),
}

impl CrsRef {
    /// Reads the URI forms (`http://www.opengis.net/def/crs/EPSG/0/4549`,
    /// `…/OGC/1.3/CRS84`), the URN forms (`urn:ogc:def:crs:EPSG::4549`), safe CURIEs
    /// (`[EPSG:4549]`), `EPSG:4549`, `CRS84`, and `GCJ02`/`BD09`.
    pub fn parse(s: &str) -> Result<CrsRef, CrsError> {
        let t = s.trim();
        let t = t
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .unwrap_or(t);
        if let Some(w) = WebOffset::parse(t) {
            return Ok(CrsRef::Web(w));
        }
        let u = t.to_ascii_uppercase();
        let u = u
            .strip_prefix("HTTPS://")
            .or_else(|| u.strip_prefix("HTTP://"))
            .map(|r| r.replace("WWW.OPENGIS.NET/DEF/CRS/", "URN:OGC:DEF:CRS:"))
            .map(|r| r.replace('/', ":"))
            .unwrap_or(u);
        let parts: Vec<&str> = u.split(':').filter(|p| !p.is_empty()).collect();
        let (auth, code) = match parts[..] {
            ["URN", "OGC", "DEF", "CRS", auth, .., code] => (auth, code),
            [auth, code] => (auth, code),
            [code] => ("OGC", code),
            _ => return Err(CrsError::Unknown(s.to_string())),
        };
        match (auth, code) {
            ("OGC", "CRS84") => Ok(CrsRef::Crs84),
            ("EPSG", n) => n
                .parse::<u32>()
                .map(CrsRef::Epsg)
                .map_err(|_| CrsError::Unknown(s.to_string())),
            _ => Err(CrsError::Unknown(s.to_string())),
        }
    }

    /// The canonical name: the OGC URI, or `GCJ02`/`BD09`.
    pub fn uri(&self) -> String {
        match self {
            CrsRef::Crs84 => CRS84.to_string(),
            CrsRef::Epsg(n) => format!("http://www.opengis.net/def/crs/EPSG/0/{n}"),
            CrsRef::Web(WebOffset::Gcj02) => "GCJ02".into(),
            CrsRef::Web(WebOffset::Bd09) => "BD09".into(),
        }
    }

    /// The CRS a layer source was in (`EPSG:4549` as GDAL reported it), when it names an EPSG
    /// code; WKT without an authority has no URI to serve.
    pub fn of_source(crs: &str) -> Option<CrsRef> {
        match CrsRef::parse(crs).ok()? {
            CrsRef::Epsg(4326) => None,
            c @ CrsRef::Epsg(_) => Some(c),
            _ => None,
        }
    }

    /// Writes lon/lat positions in this CRS, in its axis order.
    pub fn writer(&self) -> Result<Axes, CrsError> {
        Axes::new(self, Direction::FromLonlat)
    }

    /// Reads positions given in this CRS (its axis order) as lon/lat.
    pub fn reader(&self) -> Result<Axes, CrsError> {
        Axes::new(self, Direction::ToLonlat)
    }

    /// A box given in this CRS (`bbox-crs`), in its axis order, as the lon/lat envelope of its
    /// corners and edge midpoints.
    pub fn bbox_to_lonlat(&self, b: [f64; 4]) -> Result<[f64; 4], CrsError> {
        let read = self.reader()?;
        super::envelope_through(b, |x, y| read.convert(x, y))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    FromLonlat,
    ToLonlat,
}

/// A position converter between lon/lat and a [`CrsRef`] in that CRS's own axis order. Not
/// Send (PROJ's handle is not): make one where it is used.
pub struct Axes {
    direction: Direction,
    /// Whether the CRS's first axis points north (lat/lon, northing/easting).
    north_first: bool,
    how: How,
}

enum How {
    Identity,
    Web(WebOffset),
    #[cfg(feature = "gdal")]
    Proj(super::Transformer),
}

impl Axes {
    fn new(crs: &CrsRef, direction: Direction) -> Result<Axes, CrsError> {
        let (north_first, how) = match crs {
            CrsRef::Crs84 => (false, How::Identity),
            CrsRef::Web(w) => (false, How::Web(*w)),
            #[cfg(feature = "gdal")]
            CrsRef::Epsg(n) => {
                let name = format!("EPSG:{n}");
                let t = match direction {
                    Direction::FromLonlat => super::Transformer::from_lonlat(&name)?,
                    Direction::ToLonlat => super::Transformer::to_lonlat(&name)?,
                };
                (first_axis_north(*n)?, How::Proj(t))
            }
            #[cfg(not(feature = "gdal"))]
            CrsRef::Epsg(_) => return Err(CrsError::NotBuilt(crs.uri())),
        };
        Ok(Axes {
            direction,
            north_first,
            how,
        })
    }

    /// Converts one position.
    pub fn convert(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        let swap = |(a, b): (f64, f64)| if self.north_first { (b, a) } else { (a, b) };
        match self.direction {
            Direction::FromLonlat => self.apply(x, y).map(swap),
            Direction::ToLonlat => {
                let (e, n) = swap((x, y));
                self.apply(e, n)
            }
        }
    }

    fn apply(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        match (&self.how, self.direction) {
            (How::Identity, _) => Ok((x, y)),
            (How::Web(w), Direction::FromLonlat) => Ok(w.from_lonlat(x, y)),
            (How::Web(w), Direction::ToLonlat) => Ok(w.to_lonlat(x, y)),
            #[cfg(feature = "gdal")]
            (How::Proj(t), _) => t.convert(x, y),
        }
    }

    /// Converts every position of a GeoJSON geometry object in place.
    pub fn geometry(&self, g: &mut serde_json::Value) -> Result<(), CrsError> {
        if matches!(self.how, How::Identity) && !self.north_first {
            return Ok(());
        }
        super::transform_geometry(g, &mut |x, y| self.convert(x, y))
    }
}

/// Whether EPSG's definition of the CRS puts a northing (or latitude) first, as GDAL's OSR
/// reads it from PROJ's database.
#[cfg(feature = "gdal")]
fn first_axis_north(code: u32) -> Result<bool, CrsError> {
    use gdal::spatial_ref::SpatialRef;
    let srs = SpatialRef::from_epsg(code).map_err(|_| CrsError::Unknown(format!("EPSG:{code}")))?;
    let key = if srs.is_projected() {
        "PROJCS"
    } else {
        "GEOGCS"
    };
    let o = srs
        .axis_orientation(key, 0)
        .map_err(|_| CrsError::Unknown(format!("EPSG:{code}")))?;
    // ogr_srs_api.h: OAO_North = 1, OAO_South = 2 (the gdal crate re-exports the type only).
    Ok(matches!(o, 1 | 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_clients_send() {
        for (s, want) in [
            (
                "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                CrsRef::Crs84,
            ),
            ("urn:ogc:def:crs:OGC:1.3:CRS84", CrsRef::Crs84),
            ("OGC:CRS84", CrsRef::Crs84),
            (
                "http://www.opengis.net/def/crs/EPSG/0/4549",
                CrsRef::Epsg(4549),
            ),
            (
                "https://www.opengis.net/def/crs/EPSG/0/4490",
                CrsRef::Epsg(4490),
            ),
            ("urn:ogc:def:crs:EPSG::4326", CrsRef::Epsg(4326)),
            ("[EPSG:4528]", CrsRef::Epsg(4528)),
            ("EPSG:4549", CrsRef::Epsg(4549)),
            ("gcj-02", CrsRef::Web(WebOffset::Gcj02)),
        ] {
            assert_eq!(CrsRef::parse(s).unwrap(), want, "{s}");
        }
        for bad in ["", "EPSG:x", "FOO:1", "http://example.com/crs", "a:b:c"] {
            assert!(CrsRef::parse(bad).is_err(), "{bad:?} was read");
        }
        assert_eq!(
            CrsRef::parse("epsg:4549").unwrap().uri(),
            "http://www.opengis.net/def/crs/EPSG/0/4549"
        );
    }

    #[test]
    fn a_source_crs_is_served_only_when_it_has_an_epsg_code_other_than_lonlat() {
        assert_eq!(CrsRef::of_source("EPSG:4549"), Some(CrsRef::Epsg(4549)));
        assert_eq!(CrsRef::of_source("EPSG:4326"), None);
        assert_eq!(CrsRef::of_source("GEOGCS[\"x\"]"), None);
    }
}
