//! What every command reads and writes: the dataset, JSON for people, and files written whole
//! or not at all.

use super::error::{io, CliError};
use crate::data::Dataset;
use std::path::{Path, PathBuf};

/// The data folder's dataset, or the bundled one.
pub(super) fn load(data: Option<&Path>) -> Result<Dataset, CliError> {
    Ok(Dataset::open(data)?)
}

/// JSON as the HTTP API answers it, pretty-printed, with a final newline.
pub(super) fn pretty(v: &impl serde::Serialize) -> Result<String, CliError> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| CliError::Write(e.to_string()))
}

/// Runs `write` on a temporary file beside `out` and renames it to `out` when it succeeds, so a
/// failed write never leaves a truncated file under the final name.
pub(super) fn write_atomically<T>(
    out: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(format!(".partial-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let file = std::fs::File::create(&tmp).map_err(io(out))?;
    let mut w = std::io::BufWriter::new(file);
    let done = write(&mut w).and_then(|v| {
        std::io::Write::flush(&mut w).map_err(io(out))?;
        Ok(v)
    });
    match done {
        Ok(v) => {
            std::fs::rename(&tmp, out).map_err(io(out))?;
            Ok(v)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}
