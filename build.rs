//! Embeds the bundled dataset (`data/jiaxing/`), the map styles (`styles/`) and the map page
//! (`web/`) so the binary serves them from any working directory. File lists are read from the
//! folders, not written here: the manifest stays the only description of the data.

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
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("embedded.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        panic!("cannot write {}: {e}", dest.display());
    }
}
