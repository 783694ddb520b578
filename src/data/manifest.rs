//! The data manifest (`layers.toml`): which layers exist, where their files are, what kind they
//! are and what their properties mean. Data is described here, never hard-coded in the service.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Whether a layer holds areas or lines; decides which measures and predicates apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LayerKind {
    /// Polygons: red line, reserves, water-source protection zones.
    Zone,
    /// Lines: shoreline, river/lake banks.
    Line,
}

/// One layer entry of the manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    /// The layer's id (`[A-Za-z0-9_-]`, unique in the manifest): its name in URLs and answers.
    pub id: String,
    /// Chinese title.
    pub title_zh: String,
    /// English title.
    pub title_en: String,
    /// File name relative to the manifest's folder.
    pub file: String,
    /// Zones (polygons) or lines.
    pub kind: LayerKind,
    /// Whether a hit on this layer is a planning constraint (a `conflict` verdict).
    #[serde(default)]
    pub constraint: bool,
    /// When set, a feature is a constraint only if each listed property equals the value
    /// (e.g. only `class = "natural"` shoreline is protected).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub constraint_if: BTreeMap<String, toml::Value>,
    /// Which side of the layer's zones is the constraint: `inside` (default: being in a red
    /// line or on farmland) or `outside` (the urban development boundary: urban-type building
    /// outside it). An `outside` layer must be a zone layer.
    #[serde(default, skip_serializing_if = "ConstraintOn::is_inside")]
    pub constraint_on: ConstraintOn,
    /// A context layer (county outlines, land and sea): drawn on maps and served as tiles,
    /// collections and exports, but never a hit of a check; the manifest's `county_layer`
    /// names the one the check answer's `counties` come from.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub context: bool,
    /// Property name → what it means.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Colour on server-drawn maps (the printable report), `#rrggbb`; a palette colour by
    /// position when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
    /// How to read `file`: `geojson` (built in) or `gdal` (Shapefile, GeoPackage, FileGDB, …;
    /// needs the `gdal` feature). Default: `geojson` for `.geojson`/`.json`, `gdal` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader: Option<Reader>,
    /// GDAL: which layer of a multi-layer source (GeoPackage, FileGDB); default the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_layer: Option<String>,
    /// GDAL: attribute encoding of a Shapefile (e.g. `GBK`), overriding its `.cpg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// GDAL: the source CRS when the file does not say (e.g. a Shapefile without `.prj`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    /// GDAL: ecospace property → source attribute (e.g. `name = "MC"`, `county = "XZQDM"`).
    /// `id` names the attribute holding feature ids (default: the source's feature id).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}

/// Which side of a constraint layer's zones a site must not be on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ConstraintOn {
    /// Entering a zone meets the constraint.
    #[default]
    Inside,
    /// Leaving the layer's zones meets it (the part of the site outside all of them).
    Outside,
}

impl ConstraintOn {
    fn is_inside(&self) -> bool {
        *self == ConstraintOn::Inside
    }
}

/// How a layer file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Reader {
    /// The built-in streaming GeoJSON reader.
    Geojson,
    /// GDAL (Shapefile, GeoPackage, FileGDB, …), with the `gdal` feature.
    Gdal,
}

impl LayerSpec {
    /// The reader this layer uses (explicit, or by file extension).
    pub fn reader(&self) -> Reader {
        self.reader.unwrap_or_else(|| {
            let ext = self
                .file
                .rsplit('.')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if ext == "geojson" || ext == "json" {
                Reader::Geojson
            } else {
                Reader::Gdal
            }
        })
    }
}

/// The whole manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The dataset's id (e.g. `jiaxing`).
    pub id: String,
    /// Chinese title of the dataset.
    pub title_zh: String,
    /// English title of the dataset.
    pub title_en: String,
    /// Indicator definitions file (relative), e.g. `indicators.toml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicators: Option<String>,
    /// Plan targets file (relative), e.g. `targets.toml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<String>,
    /// Rules file (relative): decisions per layer and project type, e.g. `rules.toml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
    /// County adcode → name, for reports.
    #[serde(default)]
    pub counties: BTreeMap<String, String>,
    /// The context layer of county outlines (`county` = adcode): each check answer names the
    /// counties the site lies in, with shares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub county_layer: Option<String>,
    /// The `[[layer]]` entries, in file order.
    #[serde(rename = "layer", default)]
    pub layers: Vec<LayerSpec>,
}

/// Why a manifest was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not valid TOML, or a key that is unknown or of the wrong type.
    #[error("{file}: {source}")]
    Syntax {
        /// The manifest file.
        file: String,
        /// The TOML parser's error.
        #[source]
        source: toml::de::Error,
    },
    /// Valid TOML that breaks a rule: no layers, a bad or repeated id, a bad colour, a path
    /// outside the data folder.
    #[error("{file}: {message}")]
    Invalid {
        /// The manifest file.
        file: String,
        /// Which rule is broken.
        message: String,
    },
}

impl Manifest {
    /// Parses and checks a manifest; `file` names it in error messages.
    pub fn parse(text: &str, file: &str) -> Result<Manifest, ManifestError> {
        let m: Manifest = toml::from_str(text).map_err(|source| ManifestError::Syntax {
            file: file.to_string(),
            source,
        })?;
        let invalid = |message: String| ManifestError::Invalid {
            file: file.to_string(),
            message,
        };
        if m.layers.is_empty() {
            return Err(invalid("no [[layer]] entries".into()));
        }
        let mut seen = std::collections::HashSet::new();
        for l in &m.layers {
            let ok_id = !l.id.is_empty()
                && l.id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok_id {
                return Err(invalid(format!(
                    "layer id {:?} must be non-empty [A-Za-z0-9_-]",
                    l.id
                )));
            }
            if !seen.insert(l.id.as_str()) {
                return Err(invalid(format!("layer id {:?} appears twice", l.id)));
            }
            if let Some(c) = &l.colour {
                let ok = c.len() == 7
                    && c.starts_with('#')
                    && c[1..].chars().all(|x| x.is_ascii_hexdigit());
                if !ok {
                    return Err(invalid(format!(
                        "layer {:?}: colour {c:?} must be #rrggbb",
                        l.id
                    )));
                }
            }
            if !inside_folder(&l.file) {
                return Err(invalid(format!(
                    "layer {:?}: file {:?} must be a relative path inside the data folder",
                    l.id, l.file
                )));
            }
        }
        for l in &m.layers {
            if l.constraint_on == ConstraintOn::Outside
                && (l.kind != LayerKind::Zone || !l.constraint)
            {
                return Err(invalid(format!(
                    "layer {:?}: constraint_on = \"outside\" needs kind = \"zone\" and constraint = true",
                    l.id
                )));
            }
            if l.context && l.constraint {
                return Err(invalid(format!(
                    "layer {:?}: a context layer cannot be a constraint",
                    l.id
                )));
            }
        }
        if let Some(c) = &m.county_layer {
            match m.layer(c) {
                Some(l) if l.context && l.kind == LayerKind::Zone => {}
                _ => {
                    return Err(invalid(format!(
                        "county_layer {c:?} must name a context zone layer of this manifest"
                    )))
                }
            }
        }
        for f in m.indicators.iter().chain(&m.targets).chain(&m.rules) {
            if !inside_folder(f) {
                return Err(invalid(format!(
                    "file {f:?} must be a relative path inside the data folder"
                )));
            }
        }
        Ok(m)
    }

    /// The entry for a layer id.
    pub fn layer(&self, id: &str) -> Option<&LayerSpec> {
        self.layers.iter().find(|l| l.id == id)
    }
}

/// Files stay inside the data folder: no absolute paths, no `..`.
fn inside_folder(file: &str) -> bool {
    let p = std::path::Path::new(file);
    !file.is_empty()
        && !p.is_absolute()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"
id = "t"
title_zh = "测试"
title_en = "test"
[[layer]]
id = "shoreline"
title_zh = "岸线"
title_en = "Shoreline"
file = "shoreline.geojson"
kind = "line"
constraint = true
[layer.constraint_if]
class = "natural"
[layer.properties]
class = "natural | artificial"
"#;

    #[test]
    fn parses_constraint_conditions() {
        let m = Manifest::parse(MINI, "layers.toml").unwrap();
        let l = m.layer("shoreline").unwrap();
        assert_eq!(l.kind, LayerKind::Line);
        assert_eq!(l.constraint_if["class"].as_str(), Some("natural"));
    }

    #[test]
    fn refuses_escaping_paths_and_duplicate_ids() {
        let bad = MINI.replace("shoreline.geojson", "../etc/passwd");
        let e = Manifest::parse(&bad, "layers.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("inside the data folder"), "{e}");
        let twice = format!("{MINI}\n{}", &MINI[MINI.find("[[layer]]").unwrap()..]);
        let e = Manifest::parse(&twice, "layers.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("appears twice"), "{e}");
    }

    #[test]
    fn refuses_unknown_keys_with_the_file_name() {
        let bad = MINI.replace("kind = \"line\"", "kind = \"line\"\ncolour = \"red\"");
        let e = Manifest::parse(&bad, "x/layers.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("x/layers.toml") && e.contains("colour"),
            "{e}"
        );
    }
}
