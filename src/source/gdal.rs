//! GDAL-read layers: Shapefile (with `.cpg` or an explicit encoding), GeoPackage, FileGDB,
//! GeoJSON in any CRS — transformed to lon/lat with PROJ and renamed per the manifest.

use crate::crs::{transform_geometry, Transformer};
use crate::layer::LayerError;
use crate::manifest::LayerSpec;
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

/// Reads every feature of the layer as a lon/lat GeoJSON Feature value.
pub fn read(path: &Path, spec: &LayerSpec) -> Result<(Vec<Value>, Vec<u8>), LayerError> {
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
        Some(c) if !crate::crs::is_lonlat(c) => {
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
                .map(|s| s.to_string())
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
    Ok((out, source_bytes(path)))
}
