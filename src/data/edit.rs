//! Feature-level edits of a GeoJSON layer file (OGC API – Features Part 4: create, replace,
//! update, delete). An edit makes the whole new file, which then goes through the store exactly
//! like `PUT /admin/layers/{id}` — validation with the rest of the dataset, a new version in the
//! layer's history, an atomic swap, re-screening — so there is one way a layer changes.
//!
//! Concurrency is optimistic and per layer: the entity tag of a feature is the content hash of
//! the layer file it was read from, so an `If-Match` from before *any* edit of the layer fails
//! (conservative: two editors of different features of one layer also meet, and the second
//! re-reads). The check happens under the store's writer lock, so no edit can slip in between.

use serde_json::{Map, Value};

/// One edit of one feature.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Add a GeoJSON Feature; its `id` (or a fresh one) must be new to the layer.
    Create(Value),
    /// Replace the feature with this id by a whole GeoJSON Feature.
    Replace(String, Value),
    /// Apply a JSON Merge Patch (RFC 7396) to the feature with this id.
    Patch(String, Value),
    /// Remove the feature with this id.
    Delete(String),
}

impl Edit {
    /// Its action in the audit log.
    pub fn action(&self) -> &'static str {
        match self {
            Edit::Create(_) => "feature.create",
            Edit::Replace(..) => "feature.replace",
            Edit::Patch(..) => "feature.update",
            Edit::Delete(_) => "feature.delete",
        }
    }

    /// What the history says of it, when the editor gives no message.
    pub fn describe(&self, fid: &str) -> String {
        match self {
            Edit::Create(_) => format!("feature {fid} created"),
            Edit::Replace(..) => format!("feature {fid} replaced"),
            Edit::Patch(..) => format!("feature {fid} updated"),
            Edit::Delete(_) => format!("feature {fid} deleted"),
        }
    }
}

/// Why an edit cannot be made (nothing is written).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    /// The body is not a GeoJSON Feature object (what is wrong).
    #[error("the body must be one GeoJSON Feature: {0}")]
    NotAFeature(String),
    /// No feature with the id.
    #[error("layer {layer:?} has no feature {id:?}")]
    NoSuchFeature {
        /// The layer.
        layer: String,
        /// The id asked for.
        id: String,
    },
    /// A created feature's id is taken.
    #[error("layer {layer:?} already has a feature {id:?}; replace it with PUT …/items/{id}")]
    Duplicate {
        /// The layer.
        layer: String,
        /// The id.
        id: String,
    },
    /// `If-Match` names an older state of the layer.
    #[error("the layer changed since it was read (If-Match {given}, now {current}); read the feature again and redo the edit")]
    Stale {
        /// The entity tag given.
        given: String,
        /// The layer's current entity tag.
        current: String,
    },
    /// Only GeoJSON layers are edited feature by feature.
    #[error(
        "layer {0:?} is read through GDAL; replace its file with PUT /admin/layers/{0} instead"
    )]
    NotGeojson(String),
    /// The live file is not a FeatureCollection (it loaded, so this means it changed on disk).
    #[error("the layer file is not a FeatureCollection: {0}")]
    BadFile(String),
}

impl EditError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            EditError::NotAFeature(_) => "invalid_feature",
            EditError::NoSuchFeature { .. } => "not_found",
            EditError::Duplicate { .. } => "duplicate_feature",
            EditError::Stale { .. } => "precondition_failed",
            EditError::NotGeojson(_) => "unsupported_format",
            EditError::BadFile(_) => "invalid_layer",
        }
    }
}

/// The entity tag of a feature read from a layer file with this content hash.
pub fn etag(file_hash: &str) -> String {
    format!("\"{file_hash}\"")
}

/// Whether an `If-Match` header value admits the current tag (`*`, or one of a list; weak
/// tags compare by their opaque part).
pub fn if_match_admits(header: &str, current: &str) -> bool {
    header
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == current)
}

fn feature_object(v: Value, id: Option<&str>) -> Result<Map<String, Value>, EditError> {
    let Value::Object(mut f) = v else {
        return Err(EditError::NotAFeature("not a JSON object".into()));
    };
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(EditError::NotAFeature("`type` must be \"Feature\"".into()));
    }
    if !f.get("geometry").is_some_and(Value::is_object) {
        return Err(EditError::NotAFeature(
            "`geometry` must be a geometry object".into(),
        ));
    }
    if !f.get("properties").is_some_and(Value::is_object) {
        return Err(EditError::NotAFeature(
            "`properties` must be an object".into(),
        ));
    }
    match (f.get("id"), id) {
        (Some(given), Some(path)) if id_text(given).as_deref() != Some(path) => {
            return Err(EditError::NotAFeature(format!(
                "its id {given} is not the {path:?} of the URL"
            )))
        }
        (_, Some(path)) => {
            f.insert("id".into(), Value::String(path.to_string()));
        }
        (Some(given), None) if id_text(given).is_none() => {
            return Err(EditError::NotAFeature(
                "`id` must be a string or a number".into(),
            ))
        }
        _ => {}
    }
    Ok(f)
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// RFC 7396: objects merge member by member, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// Applies `edit` to the FeatureCollection `text` of `layer`: the new file's text and the id
/// of the feature edited. The rest of the file's features are kept as they are, in order.
pub fn apply(layer: &str, text: &str, edit: Edit) -> Result<(String, String), EditError> {
    let mut doc: Value =
        serde_json::from_str(text).map_err(|e| EditError::BadFile(e.to_string()))?;
    let features = doc
        .get_mut("features")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| EditError::BadFile("no `features` array".into()))?;
    let position = |features: &[Value], id: &str| {
        features
            .iter()
            .position(|f| f.get("id").and_then(id_text).as_deref() == Some(id))
    };
    let missing = |id: &str| EditError::NoSuchFeature {
        layer: layer.to_string(),
        id: id.to_string(),
    };
    let fid = match edit {
        Edit::Create(body) => {
            let mut f = feature_object(body, None)?;
            let id = match f.get("id").and_then(id_text) {
                Some(id) => id,
                None => fresh_id(layer, features),
            };
            if position(features, &id).is_some() {
                return Err(EditError::Duplicate {
                    layer: layer.to_string(),
                    id,
                });
            }
            f.insert("id".into(), Value::String(id.clone()));
            features.push(Value::Object(f));
            id
        }
        Edit::Replace(id, body) => {
            let i = position(features, &id).ok_or_else(|| missing(&id))?;
            features[i] = Value::Object(feature_object(body, Some(&id))?);
            id
        }
        Edit::Patch(id, patch) => {
            let i = position(features, &id).ok_or_else(|| missing(&id))?;
            if !patch.is_object() {
                return Err(EditError::NotAFeature(
                    "a PATCH body is a JSON Merge Patch object (RFC 7396)".into(),
                ));
            }
            if patch
                .get("id")
                .is_some_and(|v| id_text(v).as_deref() != Some(&id))
            {
                return Err(EditError::NotAFeature(
                    "a PATCH cannot change the id".into(),
                ));
            }
            let mut f = features[i].clone();
            merge_patch(&mut f, &patch);
            features[i] = Value::Object(feature_object(f, Some(&id))?);
            id
        }
        Edit::Delete(id) => {
            let i = position(features, &id).ok_or_else(|| missing(&id))?;
            features.remove(i);
            id
        }
    };
    let text = serde_json::to_string(&doc).map_err(|e| EditError::BadFile(e.to_string()))?;
    Ok((text, fid))
}

/// `{layer}-{n}` for the smallest n above every id of that form already there.
fn fresh_id(layer: &str, features: &[Value]) -> String {
    let prefix = format!("{layer}-");
    let n = features
        .iter()
        .filter_map(|f| f.get("id").and_then(id_text))
        .filter_map(|id| id.strip_prefix(&prefix)?.parse::<u64>().ok())
        .max()
        .map_or(1, |m| m + 1);
    format!("{prefix}{n}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FILE: &str = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","id":"A","properties":{"name":"a","k":1},"geometry":{"type":"Point","coordinates":[1,2]}},
        {"type":"Feature","id":"z-7","properties":{"name":"b"},"geometry":{"type":"Point","coordinates":[3,4]}}]}"#;

    fn ids(text: &str) -> Vec<String> {
        let v: Value = serde_json::from_str(text).unwrap();
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    }

    fn point(x: f64) -> Value {
        json!({"type":"Feature","properties":{"name":"n"},"geometry":{"type":"Point","coordinates":[x, 0.0]}})
    }

    #[test]
    fn create_appends_with_a_fresh_id_and_refuses_a_taken_one() {
        let (t, id) = apply("z", FILE, Edit::Create(point(5.0))).unwrap();
        assert_eq!(id, "z-8");
        assert_eq!(ids(&t), ["A", "z-7", "z-8"]);
        let mut taken = point(1.0);
        taken["id"] = json!("A");
        assert_eq!(
            apply("z", FILE, Edit::Create(taken)).unwrap_err().code(),
            "duplicate_feature"
        );
    }

    #[test]
    fn patch_merges_properties_and_null_removes() {
        let patch = json!({"properties": {"k": null, "class": "x"}});
        let (t, _) = apply("z", FILE, Edit::Patch("A".into(), patch)).unwrap();
        let v: Value = serde_json::from_str(&t).unwrap();
        assert_eq!(
            v["features"][0]["properties"],
            json!({"name": "a", "class": "x"})
        );
        assert_eq!(v["features"][0]["geometry"]["coordinates"], json!([1, 2]));
        let bad = apply("z", FILE, Edit::Patch("A".into(), json!({"id": "B"})));
        assert_eq!(bad.unwrap_err().code(), "invalid_feature");
    }

    #[test]
    fn replace_and_delete_keep_the_others_in_order() {
        let (t, _) = apply("z", FILE, Edit::Replace("A".into(), point(9.0))).unwrap();
        let v: Value = serde_json::from_str(&t).unwrap();
        assert_eq!(v["features"][0]["id"], "A");
        assert_eq!(
            v["features"][0]["geometry"]["coordinates"],
            json!([9.0, 0.0])
        );
        let (t, _) = apply("z", FILE, Edit::Delete("A".into())).unwrap();
        assert_eq!(ids(&t), ["z-7"]);
        assert_eq!(
            apply("z", FILE, Edit::Delete("Q".into()))
                .unwrap_err()
                .code(),
            "not_found"
        );
        let mut other = point(1.0);
        other["id"] = json!("B");
        assert!(apply("z", FILE, Edit::Replace("A".into(), other)).is_err());
    }

    #[test]
    fn if_match_takes_star_lists_and_weak_tags() {
        assert!(if_match_admits("*", "\"h\""));
        assert!(if_match_admits("\"x\", W/\"h\"", "\"h\""));
        assert!(!if_match_admits("\"x\"", "\"h\""));
    }
}
