//! `ecospace export` (a layer to a GIS file through GDAL) and `ecospace gen-scale` (a synthetic
//! data folder for scale measurements).

use super::error::CliError;
use super::io::load;
#[cfg(feature = "gdal")]
use crate::data::source::gdal::export as export_layer;
use crate::data::synthetic;
use crate::data::Layer;
use crate::params::check_year;
use std::path::PathBuf;

/// `export`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Layer id.
    #[arg(long)]
    layer: String,
    /// GDAL driver: GPKG, "ESRI Shapefile", GeoJSON, FlatGeobuf, …
    #[arg(long, default_value = "GPKG")]
    format: String,
    /// Output CRS, e.g. EPSG:4549 (default lon/lat EPSG:4326).
    #[arg(long)]
    crs: Option<String>,
    /// Only features in force in this year (default: all, with their validity fields).
    #[arg(long)]
    year: Option<i32>,
    /// Output file.
    #[arg(long)]
    out: PathBuf,
    #[arg(long)]
    data: Option<PathBuf>,
}

/// Writes the layer.
pub fn run(a: ExportArgs) -> Result<(), CliError> {
    let ds = load(a.data.as_deref())?;
    let l = ds.select(Some(std::slice::from_ref(&a.layer)))?;
    if let Some(y) = a.year {
        check_year(y)?;
    }
    write(l[0], &a)
}

#[cfg(feature = "gdal")]
fn write(layer: &Layer, a: &ExportArgs) -> Result<(), CliError> {
    let n = export_layer(layer, a.year, &a.out, &a.format, a.crs.as_deref())
        .map_err(|e| CliError::Write(e.to_string()))?;
    eprintln!(
        "wrote {n} features of {} to {} ({})",
        layer.id(),
        a.out.display(),
        a.format
    );
    Ok(())
}

#[cfg(not(feature = "gdal"))]
fn write(_: &Layer, _: &ExportArgs) -> Result<(), CliError> {
    Err(CliError::Usage(
        "export writes through GDAL: rebuild with `cargo build --features gdal`".into(),
    ))
}

/// `gen-scale`'s arguments.
#[derive(Debug, clap::Args)]
pub struct GenScaleArgs {
    /// Number of parcels.
    #[arg(long)]
    features: usize,
    /// Positions per parcel, shell and hole together (at least 3).
    #[arg(long, default_value_t = 100)]
    vertices_per_feature: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder (created).
    #[arg(long)]
    out: PathBuf,
}

/// Writes the synthetic data folder.
pub fn gen_scale(a: GenScaleArgs) -> Result<(), CliError> {
    if a.features == 0 || a.vertices_per_feature < synthetic::MIN_VERTICES {
        return Err(CliError::Usage(format!(
            "--features must be at least 1 and --vertices-per-feature at least {}",
            synthetic::MIN_VERTICES
        )));
    }
    let spec = synthetic::ScaleSpec {
        features: a.features,
        vertices_per_feature: a.vertices_per_feature,
        seed: a.seed,
    };
    let t = std::time::Instant::now();
    let s = synthetic::write(&a.out, &spec).map_err(super::error::io(&a.out))?;
    eprintln!(
        "wrote {} parcels, {} vertices ({} positions, {:.1} MB as f64 pairs), {:.1} MB GeoJSON to {} in {:.1} s",
        s.features,
        s.vertices,
        s.positions,
        s.raw_coordinate_bytes as f64 / 1e6,
        s.file_bytes as f64 / 1e6,
        a.out.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
