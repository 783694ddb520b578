//! GDAL-read layers: Shapefile (with `.cpg` or an explicit encoding), GeoPackage, FileGDB,
//! GeoJSON in any CRS — transformed to lon/lat with PROJ and renamed per the manifest.

use crate::data::feature::Feature;
use crate::data::layer::{Layer, LayerError};
use crate::data::manifest::{LayerKind, LayerSpec};
use crate::spatial::crs::{is_lonlat, transform_geometry, Transformer};
use crate::spatial::geojson::type_name;
use gdal::vector::{FieldValue, LayerAccess};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use serde_json::{json, Map, Value};
use std::path::Path;

fn err(path: &Path, message: impl Into<String>) -> LayerError {
    LayerError::Source {
        file: path.display().to_string(),
        message: message.into(),
    }
}

fn field_json(v: FieldValue) -> Value {
    match v {
        FieldValue::IntegerValue(i) => json!(i),
        FieldValue::Integer64Value(i) => json!(i),
        FieldValue::RealValue(f) if f.is_finite() => json!(f),
        FieldValue::RealValue(_) => Value::Null,
        FieldValue::StringValue(s) => json!(s),
        FieldValue::DateValue(d) => json!(d.to_string()),
        FieldValue::DateTimeValue(d) => json!(d.to_string()),
        FieldValue::IntegerListValue(l) => json!(l),
        FieldValue::Integer64ListValue(l) => json!(l),
        FieldValue::RealListValue(l) => json!(l),
        FieldValue::StringListValue(l) => json!(l),
    }
}

/// Bytes of the file and its sidecars (`.dbf`, `.prj`, `.cpg`, …), for the data version.
fn source_bytes(path: &Path) -> Vec<u8> {
    if path.is_dir() {
        // A folder source (FileGDB): every file in it.
        let mut files: Vec<_> = std::fs::read_dir(path)
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        return files
            .iter()
            .flat_map(|f| std::fs::read(f).unwrap_or_default())
            .collect();
    }
    let mut out = std::fs::read(path).unwrap_or_default();
    if let (Some(dir), Some(stem)) = (path.parent(), path.file_stem()) {
        let mut side: Vec<_> = std::fs::read_dir(dir)
            .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        side.sort();
        for p in side {
            if p != path && p.file_stem() == Some(stem) && p.is_file() {
                out.extend(std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

/// What [`read`] found: the features as lon/lat GeoJSON Feature values, the bytes of the source
/// and its sidecars (the data version), and its CRS when it named one.
pub type Read = (Vec<Value>, Vec<u8>, Option<String>);

/// Reads every feature of the layer as a lon/lat GeoJSON Feature value.
pub fn read(path: &Path, spec: &LayerSpec) -> Result<Read, LayerError> {
    let enc = spec.encoding.as_ref().map(|e| format!("ENCODING={e}"));
    let opts: Vec<&str> = enc.iter().map(String::as_str).collect();
    let ds = Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            open_options: (!opts.is_empty()).then_some(opts.as_slice()),
            ..Default::default()
        },
    )
    .map_err(|e| err(path, format!("GDAL cannot open it as vector data: {e}")))?;
    let mut layer = match &spec.source_layer {
        Some(name) => ds.layer_by_name(name).map_err(|_| {
            let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
            err(
                path,
                format!("no layer {name:?}; it has: {}", names.join(", ")),
            )
        })?,
        None => ds
            .layer(0)
            .map_err(|e| err(path, format!("has no layers: {e}")))?,
    };
    // The source CRS: the manifest's override, else what GDAL reports (authority code when it
    // has one, else WKT), else none (then coordinates must already be lon/lat).
    let source_crs = match &spec.crs {
        Some(c) => Some(c.clone()),
        None => layer
            .spatial_ref()
            .and_then(|srs| match (srs.auth_name(), srs.auth_code()) {
                (Some(a), Ok(c)) => Some(format!("{a}:{c}")),
                _ => srs.to_wkt().ok(),
            }),
    };
    let transformer = match source_crs.as_deref() {
        Some(c) if !is_lonlat(c) => {
            Some(Transformer::to_lonlat(c).map_err(|e| err(path, e.to_string()))?)
        }
        _ => None,
    };
    // Renames: source attribute → ecospace property.
    let rename: std::collections::HashMap<&str, &str> = spec
        .fields
        .iter()
        .map(|(ours, theirs)| (theirs.as_str(), ours.as_str()))
        .collect();
    let mut out = Vec::new();
    for (index, f) in layer.features().enumerate() {
        let mut props = Map::new();
        for (name, value) in f.fields() {
            let key = rename
                .get(name.as_str())
                .map(ToString::to_string)
                .unwrap_or(name);
            props.insert(key, value.map(field_json).unwrap_or(Value::Null));
        }
        // `id`: the mapped attribute, else an `id` attribute, else GDAL's feature id.
        let id = props
            .remove("id")
            .filter(|v| !v.is_null())
            .or_else(|| f.fid().map(|fid| json!(fid.to_string())));
        let geometry = match f.geometry() {
            Some(g) => {
                let text = g
                    .json()
                    .map_err(|e| err(path, format!("feature {index}: {e}")))?;
                let mut v: Value = serde_json::from_str(&text)
                    .map_err(|e| err(path, format!("feature {index}: {e}")))?;
                if let Some(t) = &transformer {
                    transform_geometry(&mut v, &mut |x, y| t.convert(x, y))
                        .map_err(|e| err(path, format!("feature {index}: {e}")))?;
                }
                v
            }
            None => Value::Null,
        };
        let mut feature = json!({"type": "Feature", "properties": props, "geometry": geometry});
        if let Some(id) = id {
            feature["id"] = match id {
                Value::Number(n) => Value::String(n.to_string()),
                other => other,
            };
        }
        out.push(feature);
    }
    Ok((out, source_bytes(path), source_crs))
}

fn export_err(path: &Path, message: impl std::fmt::Display) -> ExportError {
    ExportError {
        path: path.display().to_string(),
        message: message.to_string(),
    }
}

/// Writes features of a layer (those valid in `year`, or all) to `path` with a GDAL driver
/// (`GPKG`, `ESRI Shapefile`, `GeoJSON`, …) in `crs` (default lon/lat EPSG:4326).
///
/// Every property becomes a field (integers, reals, strings; booleans as 0/1); the feature id
/// goes in an `id` field, so the file re-imports with the same ids.
pub fn export(
    layer: &Layer,
    year: Option<i32>,
    path: &Path,
    format: &str,
    crs: Option<&str>,
) -> Result<usize, ExportError> {
    use gdal::spatial_ref::{AxisMappingStrategy, SpatialRef};
    use gdal::vector::{FieldDefn, Geometry as GdalGeometry, LayerOptions, OGRFieldType};
    use gdal::DriverManager;

    let crs = crs.unwrap_or("EPSG:4326");
    let driver = DriverManager::get_driver_by_name(format)
        .map_err(|e| export_err(path, format!("no GDAL driver {format:?}: {e}")))?;
    let mut srs = SpatialRef::from_definition(crs)
        .map_err(|e| export_err(path, format!("CRS {crs:?}: {e}")))?;
    srs.set_axis_mapping_strategy(AxisMappingStrategy::TraditionalGisOrder);
    let to = if is_lonlat(crs) {
        None
    } else {
        Some(Transformer::from_lonlat(crs).map_err(|e| export_err(path, e))?)
    };
    let features: Vec<&Feature> = layer
        .features
        .iter()
        .filter(|f| year.is_none_or(|y| f.valid_in(y)))
        .collect();

    // Fields: id first, then every property, typed by the values seen.
    let mut fields: Vec<(String, OGRFieldType::Type)> =
        vec![("id".into(), OGRFieldType::OFTString)];
    for f in &features {
        for (k, v) in &f.properties {
            let ty = match v {
                Value::Bool(_) => OGRFieldType::OFTInteger,
                Value::Number(n) if n.is_i64() => OGRFieldType::OFTInteger64,
                Value::Number(_) => OGRFieldType::OFTReal,
                Value::Null => continue,
                _ => OGRFieldType::OFTString,
            };
            match fields.iter_mut().find(|(name, _)| name == k) {
                Some((_, t)) if *t != ty => *t = OGRFieldType::OFTString,
                Some(_) => {}
                None => fields.push((k.clone(), ty)),
            }
        }
    }
    let mut ds = driver
        .create_vector_only(path)
        .map_err(|e| export_err(path, e))?;
    let geometry_type = match layer.kind() {
        LayerKind::Zone => gdal::vector::OGRwkbGeometryType::wkbMultiPolygon,
        LayerKind::Line => gdal::vector::OGRwkbGeometryType::wkbMultiLineString,
    };
    let lco: &[&str] = if format == "ESRI Shapefile" {
        &["ENCODING=UTF-8"]
    } else {
        &[]
    };
    let out = ds
        .create_layer(LayerOptions {
            name: layer.id(),
            srs: Some(&srs),
            ty: geometry_type,
            options: Some(lco),
        })
        .map_err(|e| export_err(path, e))?;
    for (name, ty) in &fields {
        FieldDefn::new(name, *ty)
            .and_then(|d| d.add_to_layer(&out))
            .map_err(|e| export_err(path, format!("field {name}: {e}")))?;
    }
    for f in &features {
        let mut g = geo_to_geojson(&f.geometry);
        if let Some(t) = &to {
            transform_geometry(&mut g, &mut |x, y| t.convert(x, y))
                .map_err(|e| export_err(path, e))?;
        }
        let geom = GdalGeometry::from_geojson(&g.to_string())
            .map_err(|e| export_err(path, format!("{}: {e}", f.id)))?;
        let mut feature =
            gdal::vector::Feature::new(out.defn()).map_err(|e| export_err(path, e))?;
        feature
            .set_geometry(geom)
            .map_err(|e| export_err(path, e))?;
        // Fields were created in `fields` order, so their index is their position there.
        let idx = |name: &str| fields.iter().position(|(n, _)| n == name).ok_or(());
        let id_idx = 0;
        feature
            .set_field_string(id_idx, &f.id)
            .map_err(|e| export_err(path, e))?;
        for (k, v) in &f.properties {
            let Ok(i) = idx(k) else { continue };
            let r = match (v, fields.iter().find(|(n, _)| n == k).map(|(_, t)| *t)) {
                (Value::Null, _) => Ok(()),
                (Value::Bool(b), Some(OGRFieldType::OFTInteger)) => {
                    feature.set_field_integer(i, i32::from(*b))
                }
                (Value::Number(n), Some(OGRFieldType::OFTInteger64)) => {
                    feature.set_field_integer64(i, n.as_i64().unwrap_or_default())
                }
                (Value::Number(n), Some(OGRFieldType::OFTReal)) => {
                    feature.set_field_double(i, n.as_f64().unwrap_or_default())
                }
                (Value::String(s), _) => feature.set_field_string(i, s),
                (other, _) => feature.set_field_string(i, &other.to_string()),
            };
            r.map_err(|e| export_err(path, format!("{} {k}: {e}", f.id)))?;
        }
        feature.create(&out).map_err(|e| export_err(path, e))?;
    }
    // Closing the dataset flushes it.
    drop(ds);
    Ok(features.len())
}

/// A `geo` geometry as a GeoJSON geometry value, single parts promoted to Multi (export layers
/// declare Multi types).
fn geo_to_geojson(g: &geo::Geometry) -> Value {
    use geo::{CoordsIter, Geometry as G};
    let ring =
        |ls: &geo::LineString| -> Value { ls.coords_iter().map(|c| json!([c.x, c.y])).collect() };
    let poly = |p: &geo::Polygon| -> Value {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(ring)
            .collect()
    };
    match g {
        G::Point(p) => json!({"type": "Point", "coordinates": [p.x(), p.y()]}),
        G::LineString(ls) => json!({"type": "MultiLineString", "coordinates": [ring(ls)]}),
        G::MultiLineString(m) => {
            json!({"type": "MultiLineString", "coordinates": m.iter().map(ring).collect::<Vec<_>>()})
        }
        G::Polygon(p) => json!({"type": "MultiPolygon", "coordinates": [poly(p)]}),
        G::MultiPolygon(m) => {
            json!({"type": "MultiPolygon", "coordinates": m.iter().map(poly).collect::<Vec<_>>()})
        }
        other => {
            json!({"type": "GeometryCollection", "geometries": [], "unsupported": type_name(other)})
        }
    }
}

/// Why a layer could not be written to a GIS file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ExportError {
    /// The file being written.
    pub path: String,
    /// What GDAL or the conversion said.
    pub message: String,
}
