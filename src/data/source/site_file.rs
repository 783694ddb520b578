//! Project boundaries (红线图) as planners have them — a CAD drawing (DXF), a zipped Shapefile,
//! KML/KMZ or a GeoPackage — read through GDAL into lon/lat GeoJSON features, which then pass
//! through the same site parsing as a posted GeoJSON. The bytes are given to GDAL as an
//! in-memory file (`/vsimem/`), so nothing is written to disk.
//!
//! Recognised by content type or, failing that, by signature; the format decides the file name
//! GDAL sees (a ZIP as `/vsizip/` of a Shapefile, or as a KMZ when it holds a `.kml`).

use serde_json::Value;

/// A site file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteFormat {
    /// AutoCAD DXF: its closed polylines are the site's polygons.
    Dxf,
    /// A ZIP holding a Shapefile (`.shp`, `.shx`, `.dbf`, `.prj`, …).
    ZippedShapefile,
    /// KML.
    Kml,
    /// KMZ (zipped KML).
    Kmz,
    /// GeoPackage.
    Gpkg,
}

impl SiteFormat {
    /// What it is called in messages.
    pub fn name(self) -> &'static str {
        match self {
            SiteFormat::Dxf => "DXF",
            SiteFormat::ZippedShapefile => "zipped Shapefile",
            SiteFormat::Kml => "KML",
            SiteFormat::Kmz => "KMZ",
            SiteFormat::Gpkg => "GeoPackage",
        }
    }

    #[cfg(feature = "gdal")]
    fn extension(self) -> &'static str {
        match self {
            SiteFormat::Dxf => "dxf",
            SiteFormat::ZippedShapefile => "zip",
            SiteFormat::Kml => "kml",
            SiteFormat::Kmz => "kmz",
            SiteFormat::Gpkg => "gpkg",
        }
    }
}

/// The format of a body that is not GeoJSON/CSV, from its content type or its first bytes;
/// `None` for anything else (GeoJSON, CSV, garbage: the GeoJSON parser then says what is wrong).
pub fn sniff(bytes: &[u8], content_type: Option<&str>) -> Option<SiteFormat> {
    let ct = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase());
    let zip = |b: &[u8]| {
        // A KMZ holds a .kml; anything else zipped is taken as a Shapefile.
        if b.windows(4).any(|w| w.eq_ignore_ascii_case(b".kml")) {
            SiteFormat::Kmz
        } else {
            SiteFormat::ZippedShapefile
        }
    };
    match ct.as_deref() {
        Some("application/dxf" | "image/vnd.dxf" | "image/x-dxf" | "application/x-dxf") => {
            return Some(SiteFormat::Dxf)
        }
        Some("application/vnd.google-earth.kml+xml") => return Some(SiteFormat::Kml),
        Some("application/vnd.google-earth.kmz") => return Some(SiteFormat::Kmz),
        Some("application/geopackage+sqlite3") => return Some(SiteFormat::Gpkg),
        Some("application/zip" | "application/x-zip-compressed") => return Some(zip(bytes)),
        _ => {}
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Some(zip(bytes));
    }
    if bytes.starts_with(b"SQLite format 3\0") {
        return Some(SiteFormat::Gpkg);
    }
    if bytes.starts_with(b"AutoCAD Binary DXF") {
        return Some(SiteFormat::Dxf);
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_string();
    let mut lines = head.lines().map(str::trim).filter(|l| !l.is_empty());
    if let (Some("0"), Some("SECTION")) = (lines.next(), lines.next()) {
        return Some(SiteFormat::Dxf);
    }
    let t = head.trim_start_matches('\u{feff}').trim_start();
    if (t.starts_with("<?xml") || t.starts_with("<kml")) && head.contains("<kml") {
        return Some(SiteFormat::Kml);
    }
    None
}

/// Why a site file cannot be read (the format and what is wrong).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("the {format} file {message}")]
pub struct SiteFileError {
    /// The format it was taken for.
    pub format: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Reads a site file's features as lon/lat GeoJSON Feature values. `crs` (an EPSG code or
/// WKT) overrides the file's own CRS — for a DXF, which carries none, it is how the drawing's
/// Gauss-Krüger metres are read. A DXF's closed polylines become polygons and everything else
/// in it (open lines, text, points) is left out.
pub fn read(
    bytes: &[u8],
    format: SiteFormat,
    crs: Option<&str>,
) -> Result<Vec<Value>, SiteFileError> {
    let fail = |message: String| SiteFileError {
        format: format.name(),
        message,
    };
    #[cfg(not(feature = "gdal"))]
    {
        let _ = (bytes, crs);
        Err(fail("needs GDAL: this ecospace was built without the `gdal` feature (cargo build --features gdal); send the site as GeoJSON".into()))
    }
    #[cfg(feature = "gdal")]
    {
        read_with_gdal(bytes, format, crs).map_err(fail)
    }
}

#[cfg(feature = "gdal")]
fn read_with_gdal(
    bytes: &[u8],
    format: SiteFormat,
    crs: Option<&str>,
) -> Result<Vec<Value>, String> {
    use crate::data::layer::LayerError;
    let fail = |m: String| m;
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mem = format!(
        "/vsimem/ecospace-site-{}-{n}.{}",
        std::process::id(),
        format.extension()
    );
    // Lent to GDAL, not given: `create_mem_file` hands GDAL a Rust allocation to free with its
    // own `free`, which the binary's mimalloc does not own (seen: "free(): invalid pointer").
    let mut copy = bytes.to_vec();
    let guard =
        gdal::vsi::create_mem_file_from_ref(&mem, &mut copy).map_err(|e| fail(e.to_string()))?;
    let open = if format == SiteFormat::ZippedShapefile {
        format!("/vsizip/{mem}")
    } else {
        mem.clone()
    };
    let spec = site_spec(crs)?;
    let read = super::gdal::read(std::path::Path::new(&open), &spec);
    drop(guard); // unlinks the in-memory file before `copy` goes
    let (features, _, _) = read.map_err(|e| match e {
        LayerError::Source { message, .. } => fail(message),
        other => fail(other.to_string()),
    })?;
    if format != SiteFormat::Dxf {
        return Ok(features);
    }
    let polygons: Vec<Value> = features.into_iter().filter_map(closed_as_polygon).collect();
    if polygons.is_empty() {
        return Err(fail(
            "has no closed polyline: draw the site boundary as a closed polyline (LWPOLYLINE with the closed flag, or last point = first)".into(),
        ));
    }
    Ok(polygons)
}

/// The spec GDAL's reader wants: only the CRS override matters for a site.
#[cfg(feature = "gdal")]
fn site_spec(crs: Option<&str>) -> Result<crate::data::manifest::LayerSpec, String> {
    let mut spec: crate::data::manifest::LayerSpec = toml::from_str(
        "id = \"site\"\ntitle_zh = \"项目红线\"\ntitle_en = \"Site\"\nfile = \"site\"\nkind = \"zone\"\n",
    )
    .map_err(|e| e.to_string())?;
    spec.crs = crs.map(str::to_string);
    Ok(spec)
}

/// A DXF feature as a polygon: a closed LineString (first = last, four points or more) as a
/// Polygon, a polygon as itself; anything else `None`.
#[cfg(feature = "gdal")]
fn closed_as_polygon(mut f: Value) -> Option<Value> {
    let g = f.get("geometry")?;
    let kind = g.get("type")?.as_str()?;
    let polygon = match kind {
        "Polygon" | "MultiPolygon" => return Some(f),
        "LineString" => {
            let c = g.get("coordinates")?.as_array()?;
            let closed = c.len() >= 4 && c.first() == c.last();
            closed.then(|| serde_json::json!({"type": "Polygon", "coordinates": [c]}))?
        }
        _ => return None,
    };
    f["geometry"] = polygon;
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_type_or_signature() {
        assert_eq!(
            sniff(b"  0\nSECTION\n  2\nHEADER", None),
            Some(SiteFormat::Dxf)
        );
        assert_eq!(sniff(b"0\r\nSECTION\r\n", None), Some(SiteFormat::Dxf));
        assert_eq!(
            sniff(b"SQLite format 3\0....", None),
            Some(SiteFormat::Gpkg)
        );
        assert_eq!(
            sniff(b"PK\x03\x04....site.shp", None),
            Some(SiteFormat::ZippedShapefile)
        );
        assert_eq!(sniff(b"PK\x03\x04....doc.kml", None), Some(SiteFormat::Kmz));
        let kml = b"<?xml version=\"1.0\"?><kml xmlns=\"http://www.opengis.net/kml/2.2\">";
        assert_eq!(sniff(kml, None), Some(SiteFormat::Kml));
        assert_eq!(sniff(b"x", Some("application/dxf")), Some(SiteFormat::Dxf));
        assert_eq!(sniff(b"{\"type\":\"Polygon\"}", None), None);
        assert_eq!(sniff(b"id,wkt\n", Some("text/csv")), None);
    }

    #[cfg(feature = "gdal")]
    #[test]
    fn only_closed_lines_become_polygons() {
        let closed = serde_json::json!({"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[1,0],[1,1],[0,0]]}});
        let open = serde_json::json!({"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[0,0],[1,0],[1,1]]}});
        let p = closed_as_polygon(closed).unwrap();
        assert_eq!(p["geometry"]["type"], "Polygon");
        assert_eq!(
            p["geometry"]["coordinates"][0][3],
            serde_json::json!([0, 0])
        );
        assert!(closed_as_polygon(open).is_none());
    }
}
