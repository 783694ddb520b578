//! The data folder as a store of layer versions.
//!
//! A boundary decides whether a project may be built, so an update must never leave a mix of
//! two versions and never lose one. An update is validated with the whole dataset before
//! anything is written; the new file is written beside the old one, fsynced and renamed over
//! it (rename is atomic on POSIX file systems), and the folder is fsynced. Every version ever
//! installed is kept in `<data>/.history/<layer>/` with the time, the author and a note, so any
//! of them can be restored; a restore is itself a new version.
//!
//! Crash safety, step by step (a kill at any point leaves the layer file old or new, whole):
//! 1. the candidate goes to a temp file in the data folder and is fsynced, then validated;
//! 2. the live version, when the history does not hold it yet, is archived as `initial`;
//! 3. the candidate is archived (file, then its metadata, each written and renamed atomically);
//! 4. the temp file is renamed over the layer file and the folder is fsynced.
//!
//! A kill between 3 and 4 leaves a history entry that never became current: it is listed with
//! `current: false`, and nothing is lost. Leftover temp files are removed by the next update.
//!
//! Length: one write protocol whose steps are only safe together (about 610 lines, and its
//! tests); split, the order of the steps would be spread over files.

use crate::data::dataset::{Dataset, LoadError, Origin, MANIFEST};
use crate::data::edit::{apply, etag, if_match_admits, Edit, EditError};
use crate::data::hash::Fnv1a;
use crate::data::manifest::{LayerSpec, Manifest, Reader};
use crate::params::rfc3339_utc;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The history folder inside a data folder.
pub const HISTORY_DIR: &str = ".history";
/// Prefix of temp files; anything with it is an unfinished write.
const TEMP_PREFIX: &str = ".ecospace-tmp-";
/// Longest author name or note kept with a version.
const MAX_TEXT: usize = 200;

/// Why an update, rollback or history query was refused.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The dataset is the bundled one, compiled into the binary.
    #[error("the service runs on the bundled dataset compiled into the binary, which cannot change; start it with `--data DIR` (a copy of data/jiaxing) to update layers")]
    ReadOnly,
    #[error("unknown layer {name:?}; valid layers: {}", .valid.join(", "))]
    /// The manifest has no layer with this id.
    UnknownLayer {
        /// The id asked for.
        name: String,
        /// The manifest's layer ids.
        valid: Vec<String>,
    },
    #[error("layer {layer:?} is read from {file:?}, which is several files or a folder; convert it to GeoPackage or GeoJSON (ogr2ogr) to update it over HTTP")]
    /// A GDAL layer whose source is not one file (a Shapefile's set, a FileGDB folder).
    Unsupported {
        /// The layer's id.
        layer: String,
        /// Its file as the manifest names it.
        file: String,
    },
    /// The candidate failed to load with the rest of the dataset; nothing was written.
    #[error("the new version of layer {layer:?} was refused, nothing was written: {source}")]
    Invalid {
        /// The layer's id.
        layer: String,
        /// Why the dataset with the candidate in place did not load.
        #[source]
        source: Box<LoadError>,
    },
    #[error("the new version of layer {layer:?} is not UTF-8 text; GeoJSON must be UTF-8")]
    /// A GeoJSON layer's new version is not UTF-8.
    NotUtf8 {
        /// The layer's id.
        layer: String,
    },
    #[error("no version {version:?} in the history of layer {layer:?}; see GET /admin/layers/{layer}/history")]
    /// A rollback or read names a version the layer's history does not hold.
    NoSuchVersion {
        /// The layer's id.
        layer: String,
        /// The version id asked for.
        version: String,
    },
    #[error("parameter `{name}`: {message}")]
    /// A request parameter is missing or bad (`author`, `message`, `to`).
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Reading or writing the data folder or its history failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The folder's `layers.toml` cannot be read or parsed.
    #[error("the data folder's manifest cannot be read: {0}")]
    Manifest(#[source] Box<LoadError>),
    /// An earlier data version cannot be rebuilt: a file it was made of is neither in the
    /// folder nor in a layer's history.
    #[error("data version {version} cannot be rebuilt: {why}")]
    Unrecoverable {
        /// The data version.
        version: String,
        /// The file that is gone.
        why: String,
    },
    /// A feature edit (OGC API – Features Part 4) cannot be made.
    #[error(transparent)]
    Edit(#[from] EditError),
}

impl StoreError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::ReadOnly => "read_only_data",
            StoreError::UnknownLayer { .. } => "unknown_layer",
            StoreError::Unsupported { .. } => "unsupported_format",
            StoreError::Invalid { .. } | StoreError::NotUtf8 { .. } => "invalid_layer",
            StoreError::NoSuchVersion { .. } => "unknown_version",
            StoreError::InvalidParameter { .. } => "invalid_parameter",
            StoreError::Io { .. } => "storage_failed",
            StoreError::Manifest(_) => "load_failed",
            StoreError::Unrecoverable { .. } => "version_unavailable",
            StoreError::Edit(e) => e.code(),
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// How a version came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The file as it was before the first update through the store.
    Initial,
    /// Uploaded.
    Update,
    /// A copy of an earlier version, restored.
    Rollback,
}

/// One version of a layer in its history.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Version {
    /// `000001`, `000002`, …: the order versions were installed in.
    pub id: String,
    pub layer: String,
    /// When it was installed (RFC 3339, UTC); for `initial`, the file's modification time.
    pub installed_at: String,
    pub author: String,
    pub message: Option<String>,
    pub action: Action,
    /// For a rollback: the version restored.
    pub restored_from: Option<String>,
    /// Content hash (FNV-1a 64) of the file.
    pub hash: String,
    pub bytes: u64,
    pub features: usize,
    /// Whether the layer file holds this version now (the newest entry with its hash).
    #[serde(default)]
    pub current: bool,
}

/// Who changes a layer and why.
#[derive(Debug, Clone)]
pub struct Change {
    /// Who makes the change (required, one line of at most 200 characters).
    pub author: String,
    /// Why, when given (one line of at most 200 characters).
    pub message: Option<String>,
}

impl Change {
    /// Checks the texts kept with a version: an author is required, both are one short line.
    pub fn new(author: Option<&str>, message: Option<&str>) -> Result<Change, StoreError> {
        let author = author.map(str::trim).unwrap_or_default();
        if author.is_empty() {
            return Err(StoreError::InvalidParameter {
                name: "author",
                message:
                    "say who makes this change (`?author=name`); it is kept in the layer's history"
                        .into(),
            });
        }
        let check = |name: &'static str, s: &str| {
            if s.chars().count() > MAX_TEXT || s.chars().any(char::is_control) {
                Err(StoreError::InvalidParameter {
                    name,
                    message: format!("at most {MAX_TEXT} characters, on one line"),
                })
            } else {
                Ok(())
            }
        };
        check("author", author)?;
        let message = message.map(str::trim).filter(|m| !m.is_empty());
        if let Some(m) = message {
            check("message", m)?;
        }
        Ok(Change {
            author: author.to_string(),
            message: message.map(str::to_string),
        })
    }
}

/// A layer's history and the state of its file.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct History {
    pub layer: String,
    pub file: String,
    /// Hash of the layer file now.
    pub current_hash: String,
    /// Oldest first.
    pub versions: Vec<Version>,
}

/// The result of an update or rollback: the new snapshot (built from exactly the bytes now on
/// disk) and the version recorded.
#[derive(Debug)]
pub struct Installed {
    pub dataset: Dataset,
    pub version: Version,
}

/// A data folder that can be updated.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store of the folder a dataset was loaded from; the bundled dataset has none.
    pub fn of(ds: &Dataset) -> Result<Store, StoreError> {
        match &ds.origin {
            Origin::Dir(d) => Ok(Store { dir: d.clone() }),
            Origin::Bundled => Err(StoreError::ReadOnly),
        }
    }

    /// The store of a data folder.
    pub fn new(dir: &Path) -> Store {
        Store {
            dir: dir.to_path_buf(),
        }
    }

    fn manifest(&self) -> Result<Manifest, StoreError> {
        let path = self.dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            StoreError::Manifest(Box::new(LoadError::ManifestIo(
                path.display().to_string(),
                e,
            )))
        })?;
        Manifest::parse(&text, &path.display().to_string())
            .map_err(|e| StoreError::Manifest(Box::new(e.into())))
    }

    fn spec(&self, layer: &str) -> Result<(Manifest, String), StoreError> {
        let m = self.manifest()?;
        let file = match m.layer(layer) {
            Some(s) => s.file.clone(),
            None => {
                return Err(StoreError::UnknownLayer {
                    name: layer.to_string(),
                    valid: m.layers.iter().map(|l| l.id.clone()).collect(),
                })
            }
        };
        Ok((m, file))
    }

    fn history_dir(&self, layer: &str) -> PathBuf {
        self.dir.join(HISTORY_DIR).join(layer)
    }

    /// The versions of a layer, oldest first.
    pub fn history(&self, layer: &str) -> Result<History, StoreError> {
        let (_, file) = self.spec(layer)?;
        let live = self.dir.join(&file);
        let current_hash = match std::fs::read(&live) {
            Ok(b) => hash(&b),
            Err(_) => String::new(),
        };
        let mut versions = self.versions(layer)?;
        if let Some(v) = versions.iter_mut().rev().find(|v| v.hash == current_hash) {
            v.current = true;
        }
        Ok(History {
            layer: layer.to_string(),
            file,
            current_hash,
            versions,
        })
    }

    fn versions(&self, layer: &str) -> Result<Vec<Version>, StoreError> {
        let dir = self.history_dir(layer);
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(&dir)(e)),
        };
        let mut out = Vec::new();
        for entry in rd {
            let path = entry.map_err(io(&dir))?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.starts_with('.') || !name.ends_with(".json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            // Metadata is written atomically, so a file that does not parse is not ours.
            if let Ok(mut v) = serde_json::from_str::<Version>(&text) {
                v.current = false;
                out.push(v);
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The bytes of one version.
    pub fn read_version(&self, layer: &str, id: &str) -> Result<(Version, Vec<u8>), StoreError> {
        let (_, file) = self.spec(layer)?;
        let v = self
            .versions(layer)?
            .into_iter()
            .find(|v| v.id == id)
            .ok_or_else(|| StoreError::NoSuchVersion {
                layer: layer.to_string(),
                version: id.to_string(),
            })?;
        let path = self.history_dir(layer).join(version_file(&v.id, &file));
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        Ok((v, bytes))
    }

    /// Rebuilds the data version made of `files` (file → content hash, as
    /// [`Dataset::files`] records them): each layer file from the folder when it still holds
    /// those bytes, else from the layer's history. A file that is in neither (or that has no
    /// history: the manifest, rules, targets) makes the version unrecoverable.
    pub fn rebuild(
        &self,
        version: &str,
        files: &std::collections::BTreeMap<String, String>,
    ) -> Result<Dataset, StoreError> {
        let gone = |why: String| StoreError::Unrecoverable {
            version: version.to_string(),
            why,
        };
        let m = self.manifest()?;
        let mut replacements: Vec<(String, PathBuf)> = Vec::new();
        for (file, want) in files {
            let live = self.dir.join(file);
            if std::fs::read(&live).is_ok_and(|b| &hash(&b) == want) {
                continue;
            }
            let Some(spec) = m.layers.iter().find(|l| &l.file == file) else {
                return Err(gone(format!(
                    "{file} has changed since, and only layers keep a history"
                )));
            };
            let v = self
                .versions(&spec.id)?
                .into_iter()
                .rev()
                .find(|v| &v.hash == want)
                .ok_or_else(|| gone(format!("no version of layer {} has its bytes", spec.id)))?;
            replacements.push((
                file.clone(),
                self.history_dir(&spec.id).join(version_file(&v.id, file)),
            ));
        }
        let r: Vec<(&str, &Path)> = replacements
            .iter()
            .map(|(f, p)| (f.as_str(), p.as_path()))
            .collect();
        let ds = Dataset::from_dir_replacing(&self.dir, &r)
            .map_err(|e| gone(format!("it no longer loads: {e}")))?;
        if ds.version != version {
            return Err(gone(format!(
                "the files rebuilt give version {}, not {version}",
                ds.version
            )));
        }
        Ok(ds)
    }

    /// Validates `bytes` as the new version of `layer`, records it and installs it.
    pub fn update(
        &self,
        layer: &str,
        bytes: &[u8],
        change: &Change,
    ) -> Result<Installed, StoreError> {
        self.install(layer, bytes, change, Action::Update, None)
    }

    /// Edits one feature of a GeoJSON layer: the live file with the edit applied is installed
    /// as [`Store::update`] installs a file. `if_match` (an `If-Match` header) must admit the
    /// live file's entity tag; the caller holds the writer lock, so nothing changes between the
    /// check and the install. Returns the id of the feature edited.
    pub fn edit(
        &self,
        layer: &str,
        edit: Edit,
        if_match: Option<&str>,
        change: &Change,
    ) -> Result<(Installed, String), StoreError> {
        let (manifest, file) = self.spec(layer)?;
        if manifest.layer(layer).map(LayerSpec::reader) != Some(Reader::Geojson) {
            return Err(EditError::NotGeojson(layer.to_string()).into());
        }
        let live = self.dir.join(&file);
        let text = std::fs::read_to_string(&live).map_err(io(&live))?;
        let current = etag(&hash(text.as_bytes()));
        if let Some(given) = if_match {
            if !if_match_admits(given, &current) {
                return Err(EditError::Stale {
                    given: given.to_string(),
                    current,
                }
                .into());
            }
        }
        let kind = edit.clone();
        let (new, fid) = apply(layer, &text, edit)?;
        let change = Change {
            author: change.author.clone(),
            message: Some(
                change
                    .message
                    .clone()
                    .unwrap_or_else(|| kind.describe(&fid)),
            ),
        };
        Ok((self.update(layer, new.as_bytes(), &change)?, fid))
    }

    /// Installs an earlier version again (as a new version, so the history only grows).
    pub fn rollback(
        &self,
        layer: &str,
        to: &str,
        change: &Change,
    ) -> Result<Installed, StoreError> {
        let (_, bytes) = self.read_version(layer, to)?;
        self.install(
            layer,
            &bytes,
            change,
            Action::Rollback,
            Some(to.to_string()),
        )
    }

    fn install(
        &self,
        layer: &str,
        bytes: &[u8],
        change: &Change,
        action: Action,
        restored_from: Option<String>,
    ) -> Result<Installed, StoreError> {
        let (manifest, file) = self.spec(layer)?;
        let Some(spec) = manifest.layer(layer) else {
            return Err(StoreError::UnknownLayer {
                name: layer.to_string(),
                valid: Vec::new(),
            });
        };
        let live = self.dir.join(&file);
        if spec.reader() == Reader::Gdal && !single_file(&live) {
            return Err(StoreError::Unsupported {
                layer: layer.to_string(),
                file,
            });
        }
        if spec.reader() == Reader::Geojson && std::str::from_utf8(bytes).is_err() {
            return Err(StoreError::NotUtf8 {
                layer: layer.to_string(),
            });
        }
        let hist = self.history_dir(layer);
        remove_temps(&self.dir);
        remove_temps(&hist);

        // 1. Candidate beside the live file (same file system, so the rename is atomic).
        let temp = temp_path(&self.dir, &file);
        write_synced(&temp, bytes)?;
        let dataset = match Dataset::from_dir_replacing(&self.dir, &[(&file, &temp)]) {
            Ok(ds) => ds,
            Err(source) => {
                let _ = std::fs::remove_file(&temp);
                return Err(StoreError::Invalid {
                    layer: layer.to_string(),
                    source: Box::new(source),
                });
            }
        };
        let features = dataset.layer(layer).map_or(0, |l| l.features.len());
        let result = (|| {
            std::fs::create_dir_all(&hist).map_err(io(&hist))?;
            // 2. The live version, if the history does not hold it yet.
            let mut versions = self.versions(layer)?;
            if let Ok(old) = std::fs::read(&live) {
                let old_hash = hash(&old);
                if !versions.iter().any(|v| v.hash == old_hash) {
                    let when = std::fs::metadata(&live)
                        .and_then(|m| m.modified())
                        .unwrap_or_else(|_| std::time::SystemTime::now());
                    let old_features = Dataset::from_dir(&self.dir)
                        .ok()
                        .and_then(|d| d.layer(layer).map(|l| l.features.len()))
                        .unwrap_or(0);
                    let v = Version {
                        id: next_id(&versions),
                        layer: layer.to_string(),
                        installed_at: rfc3339(when),
                        author: "(before history)".into(),
                        message: Some("the file as found before the first update".into()),
                        action: Action::Initial,
                        restored_from: None,
                        hash: old_hash,
                        bytes: old.len() as u64,
                        features: old_features,
                        current: false,
                    };
                    self.archive(&hist, &file, &v, &old)?;
                    versions.push(v);
                }
            }
            // 3. The new version.
            let v = Version {
                id: next_id(&versions),
                layer: layer.to_string(),
                installed_at: rfc3339(std::time::SystemTime::now()),
                author: change.author.clone(),
                message: change.message.clone(),
                action,
                restored_from,
                hash: hash(bytes),
                bytes: bytes.len() as u64,
                features,
                current: true,
            };
            self.archive(&hist, &file, &v, bytes)?;
            // 4. Swap the file in whole.
            std::fs::rename(&temp, &live).map_err(io(&live))?;
            sync_dir(&self.dir)?;
            Ok(v)
        })();
        match result {
            Ok(version) => Ok(Installed { dataset, version }),
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                Err(e)
            }
        }
    }

    fn archive(
        &self,
        hist: &Path,
        file: &str,
        v: &Version,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let data = hist.join(version_file(&v.id, file));
        replace_atomically(&data, bytes)?;
        let mut meta = v.clone();
        meta.current = false;
        let text = serde_json::to_vec_pretty(&meta).map_err(|e| StoreError::Io {
            path: hist.display().to_string(),
            source: std::io::Error::other(e),
        })?;
        replace_atomically(&hist.join(format!("{}.json", v.id)), &text)?;
        sync_dir(hist)
    }
}

/// `000007` + the layer file's extension: `000007.geojson`.
fn version_file(id: &str, layer_file: &str) -> String {
    match Path::new(layer_file).extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("{id}.{ext}"),
        None => id.to_string(),
    }
}

fn next_id(versions: &[Version]) -> String {
    let n = versions
        .iter()
        .filter_map(|v| v.id.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    format!("{:06}", n + 1)
}

/// A GDAL source that is one file (GeoPackage, GeoJSON, FlatGeobuf): it can be swapped whole.
fn single_file(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    !path.is_dir() && !matches!(ext.as_str(), "shp" | "dbf" | "shx" | "tab" | "mif" | "gdb")
}

/// Temp name beside `file`, keeping its extension (GDAL picks drivers by it).
fn temp_path(dir: &Path, file: &str) -> PathBuf {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = Path::new(file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("layer");
    dir.join(format!("{TEMP_PREFIX}{}-{n}-{name}", std::process::id()))
}

fn remove_temps(dir: &Path) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.filter_map(Result::ok) {
            if e.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    let mut f = std::fs::File::create(path).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))?;
    f.sync_all().map_err(io(path))
}

/// Writes `path` so that it is either absent/old or complete, never partial.
fn replace_atomically(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = temp_path(dir, name);
    write_synced(&temp, bytes)?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io(path)(e)
    })
}

/// Makes a rename durable: the directory entry itself must reach the disk.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// A cheap fingerprint of a data folder's visible files (name, size, modification time; one
/// level into sub-folders such as FileGDB). Hidden entries — the history, temp files — are
/// left out, so recording a version does not look like a change.
pub fn fingerprint(dir: &Path) -> u64 {
    fn visit(dir: &Path, deeper: bool, h: &mut Fnv1a) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for e in entries {
            let name = e.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(meta) = e.metadata() else { continue };
            h.write(name.as_encoded_bytes());
            h.write(&meta.len().to_le_bytes());
            if let Ok(t) = meta.modified() {
                let t = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                h.write(&t.as_nanos().to_le_bytes());
            }
            if meta.is_dir() && deeper {
                visit(&e.path(), false, h);
            }
        }
    }
    let mut h = Fnv1a::default();
    visit(dir, true, &mut h);
    h.0
}

/// FNV-1a 64 of the bytes, as 16 hex digits (the same hash as the dataset version).
pub fn hash(bytes: &[u8]) -> String {
    let mut h = Fnv1a::default();
    h.write(bytes);
    format!("{:016x}", h.0)
}

/// RFC 3339 UTC with milliseconds (versions installed in the same second stay apart).
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = rfc3339_utc(d.as_secs() as i64);
    format!("{}.{:03}Z", secs.trim_end_matches('Z'), d.subsec_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        // 1_700_000_000 s = 2023-11-14T22:13:20Z (`date -u -d @1700000000`).
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_042);
        assert_eq!(rfc3339(t), "2023-11-14T22:13:20.042Z");
    }

    #[test]
    fn ids_follow_the_largest() {
        let v = |id: &str| Version {
            id: id.into(),
            layer: "l".into(),
            installed_at: String::new(),
            author: String::new(),
            message: None,
            action: Action::Update,
            restored_from: None,
            hash: String::new(),
            bytes: 0,
            features: 0,
            current: false,
        };
        assert_eq!(next_id(&[]), "000001");
        assert_eq!(next_id(&[v("000002"), v("000009"), v("000003")]), "000010");
    }

    #[test]
    fn authors_are_required_and_one_line() {
        assert_eq!(
            Change::new(None, None).unwrap_err().code(),
            "invalid_parameter"
        );
        assert_eq!(
            Change::new(Some("  "), None).unwrap_err().code(),
            "invalid_parameter"
        );
        assert!(Change::new(Some("a\nb"), None).is_err());
        assert!(Change::new(Some(&"x".repeat(201)), None).is_err());
        let c = Change::new(Some(" 王工 "), Some("")).unwrap();
        assert_eq!((c.author.as_str(), c.message), ("王工", None));
    }
}
