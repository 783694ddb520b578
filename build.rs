//! Embeds the bundled dataset (`data/jiaxing/`), the map styles (`styles/`), the map page (`web/`)
//! and MapLibre GL JS (from the pinned npm package in `node_modules/`) so the binary serves them
//! from any working directory. File lists are read from the folders, not written here: the
//! manifest stays the only description of the data.

use std::fmt::Write;
use std::path::Path;

fn embed(out: &mut String, name: &str, dir: &Path, exts: &[&str]) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .filter(|p| {
                    p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| exts.contains(&e))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let _ = writeln!(
        out,
        "/// Files embedded from `{}`: (file name, contents).",
        dir.display()
    );
    let _ = writeln!(out, "pub static {name}: &[(&str, &str)] = &[");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let file = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let _ = writeln!(
            out,
            "    ({file:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    out.push_str("];\n");
}

/// The MapLibre GL JS files the map page loads, as bytes. Missing files stop the build with the
/// command that fetches them: a binary without them would serve a map page that cannot start.
fn embed_maplibre(out: &mut String, pkg: &Path) {
    const FILES: &[&str] = &["maplibre-gl.js", "maplibre-gl.css"];
    let dist = pkg.join("dist");
    println!(
        "cargo:rerun-if-changed={}",
        pkg.join("package.json").display()
    );
    let version = std::fs::read_to_string(pkg.join("package.json"))
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.trim().strip_prefix("\"version\": \"").map(str::to_string))
        })
        .and_then(|v| v.split('"').next().map(str::to_string));
    let missing: Vec<_> = FILES.iter().filter(|f| !dist.join(f).is_file()).collect();
    let Some(version) = version.filter(|_| missing.is_empty()) else {
        eprintln!(
            "error: MapLibre GL JS is missing ({} not found).\n\
             The binary embeds it for the map page. Fetch the pinned npm package with\n\
             \n    bash scripts/setup.sh --serve     (or: npm ci)\n\nthen build again.",
            dist.join(FILES[0]).display()
        );
        std::process::exit(1);
    };
    let _ = writeln!(
        out,
        "/// The version of the embedded MapLibre GL JS (npm `maplibre-gl`)."
    );
    let _ = writeln!(out, "pub const MAPLIBRE_VERSION: &str = {version:?};");
    let _ = writeln!(out, "/// MapLibre GL JS files: (file name, contents).");
    let _ = writeln!(out, "pub static MAPLIBRE: &[(&str, &[u8])] = &[");
    for f in FILES {
        let path = dist.join(f);
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(
            out,
            "    ({f:?}, include_bytes!({:?})),",
            path.display().to_string()
        );
    }
    out.push_str("];\n");
}

fn main() {
    // Read at run time: a build-script binary may be reused for a checkout at another path.
    let root_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let root = Path::new(&root_dir);
    let mut out = String::new();
    embed(
        &mut out,
        "FILES",
        &root.join("data").join("jiaxing"),
        &["geojson", "toml"],
    );
    embed(&mut out, "STYLES", &root.join("styles"), &["json"]);
    embed(
        &mut out,
        "WEB",
        &root.join("web"),
        &["html", "js", "css", "svg"],
    );
    embed_maplibre(&mut out, &root.join("node_modules").join("maplibre-gl"));
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("embedded.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}
