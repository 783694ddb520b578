//! GeoParquet 1.1 output of batch screening, for batches too large for NDJSON to be pleasant:
//! Apache Sedona/Spark, DuckDB, GeoPandas and QGIS read it as a table with a geometry column,
//! typed and compressed by column.
//!
//! One row per site, in input order: the site's geometry as WKB, its verdict, area, hit counts,
//! the hits as JSON text, the decision when a project type was asked, and the error for a row
//! that could not be screened. Written with parquet's low-level column writer (no Arrow: it
//! would more than double the build for the same file), a row group every
//! [`ROW_GROUP_ROWS`] rows, so memory stays bounded whatever the batch size. The `geo` file
//! metadata (geometry types and bbox) is written last, when all rows have been seen.

use crate::query::batch::Row;
use geo::{Coord, Geometry, LineString, Polygon};
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, DataType, DoubleType, Int32Type, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;

/// Rows per row group: large enough for Spark to read efficiently, small enough to bound memory.
pub const ROW_GROUP_ROWS: usize = 64 * 1024;

/// The table's schema. `geometry` is WKB (GeoParquet's required encoding, no logical type);
/// `hits` is the NDJSON output's hit list as JSON text.
const SCHEMA: &str = "
message ecospace_screening {
  REQUIRED INT64 index;
  OPTIONAL BYTE_ARRAY id (STRING);
  OPTIONAL BYTE_ARRAY name (STRING);
  OPTIONAL BYTE_ARRAY type (STRING);
  OPTIONAL BYTE_ARRAY geometry;
  OPTIONAL BYTE_ARRAY verdict (STRING);
  OPTIONAL BYTE_ARRAY decision (STRING);
  OPTIONAL DOUBLE site_area_m2;
  OPTIONAL INT32 hit_count;
  OPTIONAL INT32 constraint_hits;
  OPTIONAL BYTE_ARRAY hits (STRING);
  OPTIONAL BYTE_ARRAY error (STRING);
  OPTIONAL BYTE_ARRAY error_message (STRING);
}";

/// Why the GeoParquet file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum GeoParquetError {
    #[error("writing GeoParquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("writing GeoParquet: {0}")]
    Json(#[from] serde_json::Error),
}

/// A nullable column being filled: values of the present rows, and a definition level per row.
#[derive(Debug)]
struct Nullable<T> {
    values: Vec<T>,
    def: Vec<i16>,
}

impl<T> Default for Nullable<T> {
    fn default() -> Self {
        Nullable {
            values: Vec::new(),
            def: Vec::new(),
        }
    }
}

impl<T> Nullable<T> {
    fn push(&mut self, v: Option<T>) {
        self.def.push(i16::from(v.is_some()));
        self.values.extend(v);
    }
}

#[derive(Debug, Default)]
struct Columns {
    index: Vec<i64>,
    id: Nullable<ByteArray>,
    name: Nullable<ByteArray>,
    project_type: Nullable<ByteArray>,
    geometry: Nullable<ByteArray>,
    verdict: Nullable<ByteArray>,
    decision: Nullable<ByteArray>,
    site_area_m2: Nullable<f64>,
    hit_count: Nullable<i32>,
    constraint_hits: Nullable<i32>,
    hits: Nullable<ByteArray>,
    error: Nullable<ByteArray>,
    error_message: Nullable<ByteArray>,
}

fn text(s: &str) -> ByteArray {
    ByteArray::from(s.as_bytes().to_vec())
}

/// The value of a unit-like serde enum (`"conflict"`), as the NDJSON output spells it.
fn label(v: impl serde::Serialize) -> Option<ByteArray> {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(text))
}

/// Streams screened rows into a GeoParquet file.
pub struct Writer<W: Write + Send> {
    inner: SerializedFileWriter<W>,
    cols: Columns,
    buffered: usize,
    rows: u64,
    bbox: Option<[f64; 4]>,
    types: BTreeSet<&'static str>,
}

impl<W: Write + Send> Writer<W> {
    /// Starts a file on `out` (Snappy pages: what Spark writes by default).
    pub fn new(out: W) -> Result<Writer<W>, GeoParquetError> {
        let schema = Arc::new(parse_message_type(SCHEMA)?);
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_created_by(format!("ecospace {}", env!("CARGO_PKG_VERSION")))
                .build(),
        );
        Ok(Writer {
            inner: SerializedFileWriter::new(out, schema, props)?,
            cols: Columns::default(),
            buffered: 0,
            rows: 0,
            bbox: None,
            types: BTreeSet::new(),
        })
    }

    /// Adds one site's row; `geometry` is the site as read (none when it could not be read).
    pub fn push(&mut self, row: &Row, geometry: Option<&Geometry>) -> Result<(), GeoParquetError> {
        let c = &mut self.cols;
        c.index.push(row.index as i64);
        c.id.push(row.id.as_deref().map(text));
        c.name.push(row.name.as_deref().map(text));
        c.project_type.push(row.project_type.as_deref().map(text));
        c.geometry.push(geometry.map(|g| ByteArray::from(wkb(g))));
        if let Some(g) = geometry {
            self.types.insert(type_name(g));
            if let Some(r) = geo::BoundingRect::bounding_rect(g) {
                let b = self
                    .bbox
                    .get_or_insert([f64::MAX, f64::MAX, f64::MIN, f64::MIN]);
                *b = [
                    b[0].min(r.min().x),
                    b[1].min(r.min().y),
                    b[2].max(r.max().x),
                    b[3].max(r.max().y),
                ];
            }
        }
        let r = row.result.as_ref();
        c.verdict.push(r.and_then(|r| label(r.verdict)));
        c.decision
            .push(r.and_then(|r| r.decision).map(|d| text(d.as_str())));
        c.site_area_m2.push(r.map(|r| r.site.summary.area_m2));
        c.hit_count
            .push(r.map(|r| i32::try_from(r.hits.len()).unwrap_or(i32::MAX)));
        c.constraint_hits.push(r.map(|r| {
            let n: usize = r.summary.values().map(|s| s.conflicts).sum();
            i32::try_from(n).unwrap_or(i32::MAX)
        }));
        c.hits.push(match r {
            Some(r) => Some(text(&serde_json::to_string(&r.hits)?)),
            None => None,
        });
        c.error.push(row.error.as_ref().map(|e| text(e.error)));
        c.error_message
            .push(row.error.as_ref().map(|e| text(&e.message)));
        self.buffered += 1;
        self.rows += 1;
        if self.buffered >= ROW_GROUP_ROWS {
            self.flush_group()?;
        }
        Ok(())
    }

    fn flush_group(&mut self) -> Result<(), GeoParquetError> {
        if self.buffered == 0 {
            return Ok(());
        }
        let c = std::mem::take(&mut self.cols);
        self.buffered = 0;
        let mut rg = self.inner.next_row_group()?;
        fn column<T: DataType, W: Write + Send>(
            rg: &mut parquet::file::writer::SerializedRowGroupWriter<'_, W>,
            values: &[T::T],
            def: Option<&[i16]>,
        ) -> Result<(), GeoParquetError> {
            let mut col = rg.next_column()?.ok_or_else(|| {
                parquet::errors::ParquetError::General("schema has fewer columns".into())
            })?;
            col.typed::<T>().write_batch(values, def, None)?;
            col.close()?;
            Ok(())
        }
        column::<Int64Type, W>(&mut rg, &c.index, None)?;
        for n in [
            &c.id,
            &c.name,
            &c.project_type,
            &c.geometry,
            &c.verdict,
            &c.decision,
        ] {
            column::<ByteArrayType, W>(&mut rg, &n.values, Some(&n.def))?;
        }
        column::<DoubleType, W>(&mut rg, &c.site_area_m2.values, Some(&c.site_area_m2.def))?;
        for n in [&c.hit_count, &c.constraint_hits] {
            column::<Int32Type, W>(&mut rg, &n.values, Some(&n.def))?;
        }
        for n in [&c.hits, &c.error, &c.error_message] {
            column::<ByteArrayType, W>(&mut rg, &n.values, Some(&n.def))?;
        }
        rg.close()?;
        Ok(())
    }

    /// Writes the last row group and the footer with the `geo` metadata; returns the row count.
    pub fn finish(mut self) -> Result<u64, GeoParquetError> {
        self.flush_group()?;
        let mut column = serde_json::json!({
            "encoding": "WKB",
            "geometry_types": self.types.iter().collect::<Vec<_>>(),
        });
        if let Some(b) = self.bbox {
            column["bbox"] = serde_json::json!(b);
        }
        // No `crs`: GeoParquet's default, OGC:CRS84 (lon/lat on WGS84), is what sites are in.
        let geo = serde_json::json!({
            "version": "1.1.0",
            "primary_column": "geometry",
            "columns": { "geometry": column },
        });
        self.inner.append_key_value_metadata(KeyValue::new(
            "geo".to_string(),
            serde_json::to_string(&geo)?,
        ));
        self.inner.close()?;
        Ok(self.rows)
    }
}

/// The GeoParquet (and OGC simple-features) name of a geometry's type.
fn type_name(g: &Geometry) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) | Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}

/// ISO/OGC well-known binary, little-endian, 2D.
pub fn wkb(g: &Geometry) -> Vec<u8> {
    let mut out = Vec::new();
    write_wkb(g, &mut out);
    out
}

fn write_wkb(g: &Geometry, out: &mut Vec<u8>) {
    fn head(out: &mut Vec<u8>, code: u32) {
        out.push(1);
        out.extend_from_slice(&code.to_le_bytes());
    }
    fn count(out: &mut Vec<u8>, n: usize) {
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    fn coord(out: &mut Vec<u8>, c: Coord) {
        out.extend_from_slice(&c.x.to_le_bytes());
        out.extend_from_slice(&c.y.to_le_bytes());
    }
    fn line(out: &mut Vec<u8>, ls: &LineString) {
        count(out, ls.0.len());
        ls.0.iter().for_each(|c| coord(out, *c));
    }
    fn polygon(out: &mut Vec<u8>, p: &Polygon) {
        count(out, 1 + p.interiors().len());
        line(out, p.exterior());
        p.interiors().iter().for_each(|r| line(out, r));
    }
    match g {
        Geometry::Point(p) => {
            head(out, 1);
            coord(out, p.0);
        }
        Geometry::Line(l) => {
            head(out, 2);
            line(out, &LineString::new(vec![l.start, l.end]));
        }
        Geometry::LineString(ls) => {
            head(out, 2);
            line(out, ls);
        }
        Geometry::Polygon(p) => {
            head(out, 3);
            polygon(out, p);
        }
        Geometry::Rect(r) => {
            head(out, 3);
            polygon(out, &r.to_polygon());
        }
        Geometry::Triangle(t) => {
            head(out, 3);
            polygon(out, &t.to_polygon());
        }
        Geometry::MultiPoint(mp) => {
            head(out, 4);
            count(out, mp.0.len());
            mp.0.iter()
                .for_each(|p| write_wkb(&Geometry::Point(*p), out));
        }
        Geometry::MultiLineString(ml) => {
            head(out, 5);
            count(out, ml.0.len());
            for ls in &ml.0 {
                head(out, 2);
                line(out, ls);
            }
        }
        Geometry::MultiPolygon(mp) => {
            head(out, 6);
            count(out, mp.0.len());
            for p in &mp.0 {
                head(out, 3);
                polygon(out, p);
            }
        }
        Geometry::GeometryCollection(gc) => {
            head(out, 7);
            count(out, gc.0.len());
            gc.0.iter().for_each(|g| write_wkb(g, out));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wkb_of_a_point_is_the_spec_layout() {
        // 01 | 01000000 | x | y — the byte sequence ISO 13249-3 / OGC 06-103r4 give for POINT.
        let b = wkb(&Geometry::Point(geo::Point::new(1.5, -2.0)));
        let mut expected = vec![1u8, 1, 0, 0, 0];
        expected.extend_from_slice(&1.5f64.to_le_bytes());
        expected.extend_from_slice(&(-2.0f64).to_le_bytes());
        assert_eq!(b, expected);
    }

    #[test]
    fn wkb_of_a_polygon_counts_rings_and_points() {
        let p = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]),
            vec![],
        );
        let b = wkb(&Geometry::Polygon(p));
        // 1 + 4 header, 4 ring count, 4 point count, 4 closed points × 16 bytes.
        assert_eq!(b.len(), 1 + 4 + 4 + 4 + 4 * 16);
        assert_eq!(&b[1..5], &3u32.to_le_bytes());
        assert_eq!(&b[5..9], &1u32.to_le_bytes());
        assert_eq!(&b[9..13], &4u32.to_le_bytes());
    }
}
