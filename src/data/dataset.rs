//! A dataset: the manifest and its validated, indexed layers, loaded all or nothing.
//!
//! A `Dataset` is immutable once built, so it can be shared behind an `Arc` by every request and
//! swapped whole on reload.

use super::hash::Fnv1a;
use super::layer::{Layer, LayerError};
use super::manifest::{Manifest, ManifestError, Reader};
use super::plan::indicators::{parse_specs, IndicatorSpec};
use super::plan::rules::Rules;
use super::plan::targets::Targets;
use super::plan::PlanError;
use crate::assets::FILES;
use crate::params::QueryError;
use std::path::{Path, PathBuf};

/// The manifest file name inside a data folder.
pub const MANIFEST: &str = "layers.toml";

/// Why a dataset could not be loaded; nothing is served from a dataset that failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The folder's `layers.toml` could not be read (its path, and the I/O error).
    #[error("{0}: cannot read the manifest: {1}")]
    ManifestIo(String, #[source] std::io::Error),
    /// The manifest is not valid TOML, or breaks one of its rules.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A layer file was refused: unreadable, not a FeatureCollection, or an invalid feature.
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// A file the bundled manifest names is not compiled into the binary.
    #[error("bundled dataset is missing {0} (rebuild after `cargo run --example gen_jiaxing`)")]
    BundledMissing(String),
    /// An indicators, targets or rules file is malformed (the error names the file).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A user's targets file (`use_targets_file`) could not be read (its path, the I/O error).
    #[error("{0}: cannot read: {1}")]
    Io(String, #[source] std::io::Error),
}

/// Where the data came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The illustrative Jiaxing dataset compiled into the binary.
    Bundled,
    /// A folder holding `layers.toml`.
    Dir(PathBuf),
}

/// The manifest plus every layer, validated and indexed.
#[derive(Debug)]
pub struct Dataset {
    /// The parsed `layers.toml`.
    pub manifest: Manifest,
    /// Every layer, in manifest order.
    pub layers: Vec<Layer>,
    /// Where the data was loaded from: the bundled dataset or a folder.
    pub origin: Origin,
    /// A hash of the manifest and every file it names: changes whenever the data changes.
    pub version: String,
    /// Indicator definitions (empty when the manifest names none).
    pub indicators: Vec<IndicatorSpec>,
    /// The plan's targets (empty when the manifest names none).
    pub targets: Targets,
    /// Decisions per layer and project type (none when the manifest names no rules file).
    pub rules: Option<Rules>,
    /// Every file the version hash covers, with its own content hash (FNV-1a 64, 16 hex digits,
    /// as the layer history records it): what a data version is made of, so that a stored
    /// screening can be replayed on exactly these files later (the project registry).
    pub files: std::collections::BTreeMap<String, String>,
}

impl Dataset {
    /// Loads the bundled Jiaxing dataset.
    ///
    /// # Examples
    /// ```
    /// let ds = ecospace::Dataset::bundled().unwrap();
    /// assert!(ds.layer("redline").is_some());
    /// ```
    pub fn bundled() -> Result<Dataset, LoadError> {
        let read = |name: &str| {
            FILES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| LoadError::BundledMissing(name.to_string()))
        };
        Self::load_with(Origin::Bundled, &read(MANIFEST)?, MANIFEST, read, None)
    }

    /// Loads the dataset described by `dir/layers.toml`.
    pub fn from_dir(dir: &Path) -> Result<Dataset, LoadError> {
        Self::from_dir_replacing(dir, &[])
    }

    /// Loads `dir` as [`from_dir`](Self::from_dir) would, reading each file named by a
    /// replacement's first part (a manifest `file`) from its second instead: a candidate
    /// version of a layer is validated together with everything else before it replaces
    /// anything, and an earlier data version is rebuilt from the layer history. The version
    /// hash is the one a later load of the folder with the files in place gives.
    pub fn from_dir_replacing(
        dir: &Path,
        replacements: &[(&str, &Path)],
    ) -> Result<Dataset, LoadError> {
        let manifest_path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&manifest_path)
            .map_err(|e| LoadError::ManifestIo(manifest_path.display().to_string(), e))?;
        let locate = |file: &str| match replacements.iter().find(|(name, _)| *name == file) {
            Some((_, path)) => path.to_path_buf(),
            None => dir.join(file),
        };
        Self::load_with(
            Origin::Dir(dir.to_path_buf()),
            &text,
            &manifest_path.display().to_string(),
            |file| {
                let path = locate(file);
                std::fs::read_to_string(&path).map_err(|source| {
                    LoadError::Layer(LayerError::Io {
                        file: path.display().to_string(),
                        source,
                    })
                })
            },
            Some(&locate),
        )
    }

    /// Loads the folder when given, the bundled dataset otherwise.
    pub fn open(dir: Option<&Path>) -> Result<Dataset, LoadError> {
        match dir {
            Some(d) => Self::from_dir(d),
            None => Self::bundled(),
        }
    }

    fn load_with(
        origin: Origin,
        manifest_text: &str,
        manifest_name: &str,
        read: impl Fn(&str) -> Result<String, LoadError>,
        locate: Option<&dyn Fn(&str) -> PathBuf>,
    ) -> Result<Dataset, LoadError> {
        let manifest = Manifest::parse(manifest_text, manifest_name)?;
        let mut hash = Fnv1a::default();
        hash.write(manifest_text.as_bytes());
        let mut files = std::collections::BTreeMap::new();
        let hex = |h: &Fnv1a| format!("{:016x}", h.0);
        let mut own = Fnv1a::default();
        own.write(manifest_text.as_bytes());
        files.insert(MANIFEST.to_string(), hex(&own));
        let mut layers = Vec::with_capacity(manifest.layers.len());
        for spec in &manifest.layers {
            let layer = match (spec.reader(), locate) {
                // A folder's layer is streamed from its file: a province's layer is gigabytes.
                (Reader::Geojson, Some(locate)) => {
                    let path = locate(&spec.file);
                    let f = std::fs::File::open(&path).map_err(|source| LayerError::Io {
                        file: path.display().to_string(),
                        source,
                    })?;
                    let mut own = Fnv1a::default();
                    let layer = Layer::from_reader(spec.clone(), f, &spec.file, |b| {
                        hash.write(b);
                        own.write(b);
                    })?;
                    files.insert(spec.file.clone(), hex(&own));
                    layer
                }
                (Reader::Geojson, None) => {
                    let text = read(&spec.file)?;
                    let mut own = Fnv1a::default();
                    own.write(text.as_bytes());
                    files.insert(spec.file.clone(), hex(&own));
                    Layer::from_reader(spec.clone(), text.as_bytes(), &spec.file, |b| {
                        hash.write(b);
                    })?
                }
                (Reader::Gdal, Some(locate)) => {
                    let path = locate(&spec.file);
                    let source = super::source::read_gdal(&path, spec)?;
                    hash.write(&source.bytes);
                    let mut own = Fnv1a::default();
                    own.write(&source.bytes);
                    files.insert(spec.file.clone(), hex(&own));
                    let mut layer =
                        Layer::from_features(spec.clone(), source.features, &spec.file)?;
                    layer.source_crs = source.crs;
                    layer
                }
                (Reader::Gdal, None) => {
                    return Err(LayerError::Source {
                        file: spec.file.clone(),
                        message: "the bundled dataset holds GeoJSON only".into(),
                    }
                    .into())
                }
            };
            layers.push(layer);
        }
        let indicators = match &manifest.indicators {
            Some(file) => {
                let text = read(file)?;
                hash.write(text.as_bytes());
                files.insert(file.clone(), own_hash(&text));
                parse_specs(&text, file, &manifest)?
            }
            None => Vec::new(),
        };
        let targets = match &manifest.targets {
            Some(file) => {
                let text = read(file)?;
                hash.write(text.as_bytes());
                files.insert(file.clone(), own_hash(&text));
                Targets::parse(&text, file)?
            }
            None => Targets::default(),
        };
        let rules = match &manifest.rules {
            Some(file) => {
                let text = read(file)?;
                hash.write(text.as_bytes());
                files.insert(file.clone(), own_hash(&text));
                Some(Rules::parse(&text, file, &layers)?)
            }
            None => None,
        };
        Ok(Dataset {
            files,
            rules,
            manifest,
            layers,
            origin,
            version: format!("{:016x}", hash.0),
            indicators,
            targets,
        })
    }

    /// The content hash the dataset records for a file it read.
    pub fn file_hash(&self, file: &str) -> Option<&str> {
        self.files.get(file).map(String::as_str)
    }

    /// Replaces the targets with a user's own file (before the dataset is shared).
    pub fn use_targets_file(&mut self, path: &Path) -> Result<(), LoadError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| LoadError::Io(path.display().to_string(), e))?;
        self.targets = Targets::parse(&text, &path.display().to_string())?;
        self.files
            .insert(path.display().to_string(), own_hash(&text));
        // Statuses depend on targets: a new version keeps indicators computed with the old ones
        // (cached by version) from being served.
        let mut h = Fnv1a(u64::from_str_radix(&self.version, 16).unwrap_or(0));
        h.write(text.as_bytes());
        self.version = format!("{:016x}", h.0);
        Ok(())
    }

    /// The layer with this id.
    pub fn layer(&self, id: &str) -> Option<&Layer> {
        self.layers.iter().find(|l| l.id() == id)
    }

    /// Total number of features over all layers (all years).
    pub fn feature_count(&self) -> usize {
        self.layers.iter().map(|l| l.features.len()).sum()
    }

    /// The layers named (all when `None`), refusing unknown names with the list of valid ones.
    pub fn select(&self, names: Option<&[String]>) -> Result<Vec<&Layer>, QueryError> {
        match names {
            None => Ok(self.layers.iter().collect()),
            Some(names) => names
                .iter()
                .map(|n| {
                    self.layer(n).ok_or_else(|| QueryError::UnknownLayer {
                        name: n.clone(),
                        valid: self.layer_ids().iter().map(ToString::to_string).collect(),
                    })
                })
                .collect(),
        }
    }

    /// Layer ids, in manifest order.
    pub fn layer_ids(&self) -> Vec<&str> {
        self.layers.iter().map(Layer::id).collect()
    }
}

/// FNV-1a 64 of a text, as 16 hex digits.
fn own_hash(text: &str) -> String {
    let mut h = Fnv1a::default();
    h.write(text.as_bytes());
    format!("{:016x}", h.0)
}
