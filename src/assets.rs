//! What `build.rs` embeds in the binary, so it serves everything from any folder: the bundled
//! dataset (`data/jiaxing/`), the map styles (`styles/`), the map page (`web/`) and MapLibre GL JS
//! (from the pinned npm package).

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
