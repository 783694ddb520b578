//! The GeoJSON a site is posted as (`POST /check`, `/check/report`, `/check/batch`), for the
//! OpenAPI document. No serde type reads these bodies (`query::site` reads them through the
//! `geojson` crate and checks the geometry itself), so the shapes are written out here, as JSON
//! Schema: exactly what the server refuses with 400 when it is not met. What only the geometry
//! check can tell — a ring that does not close or crosses itself, coordinates that are not
//! lon/lat, a GeometryCollection — is a 422, and no schema says it.

use serde_json::{json, Value};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

/// A schema written as JSON (OpenAPI 3.1, as utoipa writes; `to_openapi_30` downgrades it).
fn schema_of(v: Value) -> RefOr<Schema> {
    serde_json::from_value(v).unwrap_or_default()
}

fn component(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Coordinates nested `min.len()` arrays deep around a position (x, y and maybe a height), each
/// level with at least `min` members.
fn coordinates(min: &[usize]) -> Value {
    let position =
        json!({"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 3});
    min.iter().rev().fold(
        position,
        |inner, m| json!({"type": "array", "items": inner, "minItems": m}),
    )
}

fn geometry_of(name: &str, min: &[usize]) -> Value {
    json!({
        "type": "object",
        "title": name,
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": [name]},
            "coordinates": coordinates(min),
            "bbox": {"type": "array", "items": {"type": "number"}},
        },
    })
}

fn feature() -> Value {
    json!({
        "type": "object",
        "required": ["type", "geometry"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [{"type": "string"}, {"type": "number"}]},
            "geometry": component("SiteGeometry"),
            "properties": {"type": ["object", "null"]},
            "bbox": {"type": "array", "items": {"type": "number"}},
        },
    })
}

fn collection(max: Option<usize>) -> Value {
    let mut features = json!({"type": "array", "items": component("SiteFeature"), "minItems": 1});
    if let (Some(m), Some(o)) = (max, features.as_object_mut()) {
        o.insert("maxItems".into(), m.into());
    }
    json!({
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": features,
            "bbox": {"type": "array", "items": {"type": "number"}},
        },
    })
}

macro_rules! schema {
    ($(#[$doc:meta])* $name:ident, $body:expr, [$($dep:ident),*]) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                schema_of($body)
            }
        }

        impl utoipa::ToSchema for $name {
            #[allow(unused_variables)] // a schema without dependencies pushes none
            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                $(
                    schemas.push((stringify!($dep).into(), <$dep as utoipa::PartialSchema>::schema()));
                    <$dep as utoipa::ToSchema>::schemas(schemas);
                )*
            }
        }
    };
}

schema!(
    /// A site's geometry: a Point, LineString or Polygon, or a Multi* of them; lon/lat unless
    /// `crs` says otherwise.
    SiteGeometry,
    json!({"oneOf": [
        geometry_of("Point", &[]),
        geometry_of("MultiPoint", &[1]),
        geometry_of("LineString", &[2]),
        geometry_of("MultiLineString", &[1, 2]),
        geometry_of("Polygon", &[1, 4]),
        geometry_of("MultiPolygon", &[1, 1, 4]),
    ]}),
    []
);

schema!(
    /// A site as a Feature: its `id` (else `properties.id`) names it in a batch, and
    /// `properties.type` / `properties.class` are its own project type and class.
    SiteFeature,
    feature(),
    [SiteGeometry]
);

schema!(
    /// Sites as a FeatureCollection: one screening each, in order.
    SiteFeatureCollection,
    collection(None),
    [SiteFeature]
);

schema!(
    /// One site or several: a Geometry or a Feature (one site), or a FeatureCollection.
    Sites,
    json!({"oneOf": [
        component("SiteGeometry"),
        component("SiteFeature"),
        component("SiteFeatureCollection"),
    ]}),
    [SiteGeometry, SiteFeature, SiteFeatureCollection]
);

schema!(
    /// One site: a Geometry, a Feature, or a FeatureCollection of one Feature.
    OneSite,
    json!({"oneOf": [
        component("SiteGeometry"),
        component("SiteFeature"),
        collection(Some(1)),
    ]}),
    [SiteGeometry, SiteFeature]
);

/// A CSV field: quoted, or without commas, quotes and line ends.
const CSV_FIELD: &str = r#"(?:"[^"\r\n]*"|[^,"\r\n]*)"#;

/// The CSV `/check/batch` reads, in its plainest spellings: a header `lon,lat` or `wkt` (each
/// maybe after `id`), then rows of as many fields. A row whose WKT or numbers are bad is an
/// error row of the answer, not a refusal.
fn csv() -> Value {
    let rows = |n: usize| format!("(?:\r?\n{})*", vec![CSV_FIELD; n].join(","));
    let pattern = format!(
        "^(?:lon,lat{}|id,lon,lat{}|wkt{}|id,wkt{})(?:\r?\n)?$",
        rows(2),
        rows(3),
        rows(1),
        rows(2)
    );
    json!({"type": "string", "pattern": pattern})
}

schema!(
    /// Sites as CSV: a `wkt` (or `geometry`, `geom`) column, or `lon`/`lat` (`lng`,
    /// `longitude`/`latitude`, `x`/`y`); `id` and `type` when present; every other column kept
    /// as a property. The pattern gives the plainest spellings.
    SitesCsv,
    csv(),
    []
);

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    #[test]
    fn every_schema_reads_back_as_written() {
        for (schema, want) in [
            (SiteGeometry::schema(), "\"MultiPolygon\""),
            (SiteFeature::schema(), "SiteGeometry"),
            (SiteFeatureCollection::schema(), "SiteFeature"),
            (Sites::schema(), "SiteFeatureCollection"),
            (OneSite::schema(), "\"maxItems\":1"),
        ] {
            let text = serde_json::to_string(&schema).unwrap_or_default();
            assert!(text.contains(want), "{text}");
        }
        let csv = serde_json::to_value(SitesCsv::schema()).unwrap_or_default();
        let re = csv["pattern"].as_str().unwrap_or_default();
        assert!(
            re.starts_with("^(?:lon,lat(?:") && re.contains(CSV_FIELD),
            "{re}"
        );
        let g = serde_json::to_value(SiteGeometry::schema()).unwrap_or_default();
        assert_eq!(
            g.pointer("/oneOf/4/properties/coordinates/items/minItems"),
            Some(&json!(4))
        );
    }
}
