//! Screen a site with ecospace as a library: load the bundled Jiaxing data (or a data folder
//! given as the first argument), screen one polygon for an industrial project with proximity
//! rings, and print the answer as `POST /check` would.
//!
//! ```text
//! cargo run --example check_site [-- DATA_DIR]
//! ```

use ecospace::{screen, CheckOptions, Dataset, Screening};
use geo::{polygon, Geometry};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ds = match std::env::args().nth(1) {
        Some(dir) => Dataset::from_dir(dir.as_ref())?,
        None => Dataset::bundled()?,
    };
    // About 1.6 km² at 千亩荡, 海盐 (the sample site of data/jiaxing/samples).
    let site = Geometry::Polygon(polygon![
        (x: 120.845, y: 30.57), (x: 120.86, y: 30.57), (x: 120.86, y: 30.58), (x: 120.845, y: 30.58)
    ]);
    let opts = CheckOptions {
        year: 2025,
        buffer_m: 500.0,
        layers: None,
    };
    let ask = Screening {
        project_type: Some("industrial".into()),
        rings_m: Some(vec![0.0, 1000.0]),
        ..Screening::default()
    };
    let answer = screen(&ds, &site, &opts, &ask)?;
    println!("{}", serde_json::to_string_pretty(&answer)?);
    eprintln!(
        "verdict {:?}, decision {:?}, {} hits",
        answer.verdict,
        answer.decision,
        answer.hits.len()
    );
    Ok(())
}
