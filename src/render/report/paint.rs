//! How the report's map draws each feature, from what the manifest says of its layer, and the
//! legend entry each way of drawing has.

use super::words::{level_name, Lang};
use crate::data::{ConstraintOn, Dataset, Feature, Layer, LayerKind};

/// Colours for layers the manifest gives none.
const PALETTE: [&str; 6] = [
    "#e53935", "#43a047", "#1e63b4", "#00897b", "#8e24aa", "#f57c00",
];
/// Land and sea of the context layers, county outlines, and the ground outside them.
const LAND: &str = "#fbfaf6";
const SEA: &str = "#bcd8ec";
const COUNTY: &str = "#8c8c8c";
const GREY: &str = "#9e9e9e";

/// A layer's colour: the manifest's, else a palette colour by position.
fn layer_colour(ds: &Dataset, index: usize) -> String {
    ds.layers
        .get(index)
        .and_then(|l| ds.manifest.layer(l.id()))
        .and_then(|s| s.colour.clone())
        .unwrap_or_else(|| PALETTE[index % PALETTE.len()].to_string())
}

/// `#rrggbb` at an opacity, as CSS `rgba()`.
fn rgba(hex: &str, alpha: f64) -> String {
    let [r, g, b] = rgb(hex);
    format!("rgba({r},{g},{b},{alpha})")
}

fn rgb(hex: &str) -> [u8; 3] {
    let c = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(128);
    [c(1), c(3), c(5)]
}

/// `#rrggbb` mixed with white (`t` > 0) or black (`t` < 0) by |t|.
fn shade(hex: &str, t: f64) -> String {
    let to = if t >= 0.0 { 255.0 } else { 0.0 };
    let [r, g, b] = rgb(hex).map(|c| {
        let c = f64::from(c);
        (c + (to - c) * t.abs()).round().clamp(0.0, 255.0) as u8
    });
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// One kind of shape the map drew, as the legend shows it.
pub(super) struct Key {
    /// Written on the shapes (`data-legend`) and on the legend entry.
    pub id: String,
    /// The entry's words.
    pub label: String,
    /// CSS of the entry's swatch.
    pub swatch: String,
}

/// How a feature is drawn, and its legend entry.
pub(super) struct Paint {
    pub(super) fill: String,
    pub(super) stroke: String,
    pub(super) width: f64,
    /// Dash and gap lengths, in map units.
    pub(super) dash: Option<(f64, f64)>,
    pub(super) key: Key,
}

/// What the drawing needs to know about a layer.
pub(super) struct LayerInfo<'a> {
    pub(super) layer: &'a Layer,
    /// The manifest's colour, else a palette colour.
    pub(super) colour: String,
    /// The title in the page's language.
    pub(super) title: String,
    /// A context layer (land and sea, counties): ground, never a hit.
    pub(super) context: bool,
    /// A planning constraint (drawn above the land cover that is not).
    pub(super) constraint: bool,
    /// The manifest's `county_layer`: outlines and names.
    pub(super) county: bool,
    /// Its constraint is outside its zones (the urban development boundary).
    pub(super) outside: bool,
}

fn swatch_fill(fill: &str, stroke: &str, dashed: bool) -> String {
    let style = if dashed { "dashed" } else { "solid" };
    format!("background:{fill};border:1px {style} {stroke}")
}

fn swatch_line(colour: &str, px: u32, dashed: bool) -> String {
    let style = if dashed { "dashed" } else { "solid" };
    format!("height:0;border:0;border-top:{px}px {style} {colour}")
}

/// What the drawing needs of each layer, in manifest order.
pub(super) fn layer_infos(ds: &Dataset, lang: Lang) -> Vec<LayerInfo<'_>> {
    ds.layers
        .iter()
        .enumerate()
        .map(|(i, layer)| {
            let spec = ds.manifest.layer(layer.id());
            LayerInfo {
                layer,
                colour: layer_colour(ds, i),
                title: spec
                    .map(|l| match lang {
                        Lang::Zh => l.title_zh.clone(),
                        Lang::En => l.title_en.clone(),
                    })
                    .unwrap_or_else(|| layer.id().to_string()),
                context: spec.is_some_and(|l| l.context),
                constraint: spec.is_some_and(|l| l.constraint),
                county: ds.manifest.county_layer.as_deref() == Some(layer.id()),
                outside: spec.is_some_and(|l| l.constraint_on == ConstraintOn::Outside),
            }
        })
        .collect()
}

/// The paint of feature `f` of layer `l`, from what the manifest says of the layer: context
/// layers as ground (`class` land or sea) or county outlines (the manifest's `county_layer`);
/// zones whose constraint is outside them as a dashed outline; zones with a `level` in shades
/// of their colour (1, the strictest, darkest; 3 light with a dashed outline); lines in their
/// colour when a constraint and grey when not.
pub(super) fn paint(l: &LayerInfo, f: &Feature, stroke: f64, lang: Lang) -> Paint {
    let id = l.layer.id();
    let key = |suffix: &str, label: String, swatch: String| Key {
        id: if suffix.is_empty() {
            id.to_string()
        } else {
            format!("{id}:{suffix}")
        },
        label,
        swatch,
    };
    let plain = |fill: String, line: String, width: f64, key: Key| Paint {
        fill,
        stroke: line,
        width,
        dash: None,
        key,
    };
    if l.context {
        if l.county {
            let label = lang.t("县（市、区）界", "county boundary").to_string();
            return Paint {
                dash: Some((stroke * 6.0, stroke * 4.0)),
                ..plain(
                    "none".into(),
                    COUNTY.into(),
                    stroke * 1.5,
                    key("outline", label, swatch_line(COUNTY, 2, true)),
                )
            };
        }
        let class = f.properties.get("class").and_then(|v| v.as_str());
        return match class {
            Some("sea") => plain(
                SEA.into(),
                "none".into(),
                0.0,
                key(
                    "sea",
                    lang.t("海域", "sea").into(),
                    swatch_fill(SEA, SEA, false),
                ),
            ),
            Some("land") => plain(
                LAND.into(),
                "none".into(),
                0.0,
                key(
                    "land",
                    lang.t("陆域", "land").into(),
                    swatch_fill(LAND, "#c9c4b8", false),
                ),
            ),
            _ => {
                let fill = rgba(&l.colour, 0.15);
                let sw = swatch_fill(&fill, &fill, false);
                plain(fill, "none".into(), 0.0, key("", l.title.clone(), sw))
            }
        };
    }
    match l.layer.kind() {
        LayerKind::Line if f.constraint => plain(
            "none".into(),
            l.colour.clone(),
            stroke * 3.0,
            key("", l.title.clone(), swatch_line(&l.colour, 3, false)),
        ),
        LayerKind::Line => {
            let label = format!("{}（{}）", l.title, lang.t("非约束", "not a constraint"));
            plain(
                "none".into(),
                GREY.into(),
                stroke * 2.0,
                key("advisory", label, swatch_line(GREY, 2, false)),
            )
        }
        LayerKind::Zone if l.outside => {
            let label = format!(
                "{}（{}）",
                l.title,
                lang.t("界外为约束", "outside it is the constraint")
            );
            let fill = rgba(&l.colour, 0.05);
            Paint {
                dash: Some((stroke * 5.0, stroke * 3.0)),
                ..plain(
                    fill.clone(),
                    l.colour.clone(),
                    stroke * 2.0,
                    key("", label, swatch_fill(&fill, &l.colour, true)),
                )
            }
        }
        LayerKind::Zone => match level_of(f) {
            Some(n) => {
                // Shades of the layer's colour: darker for stricter levels.
                let (fill, line) = match n {
                    1 => (shade(&l.colour, -0.25), shade(&l.colour, -0.5)),
                    2 => (shade(&l.colour, 0.35), shade(&l.colour, -0.25)),
                    _ => (shade(&l.colour, 0.78), shade(&l.colour, -0.1)),
                };
                let dashed = n >= 3;
                let label = format!("{} · {}", l.title, level_name(n, lang));
                Paint {
                    dash: dashed.then_some((stroke * 4.0, stroke * 3.0)),
                    ..plain(
                        rgba(&fill, 0.6),
                        line.clone(),
                        stroke * if dashed { 1.5 } else { 1.0 },
                        key(
                            &format!("level-{n}"),
                            label,
                            swatch_fill(&fill, &line, dashed),
                        ),
                    )
                }
            }
            None => {
                let fill = rgba(&l.colour, 0.25);
                let sw = swatch_fill(&fill, &l.colour, false);
                plain(fill, l.colour.clone(), stroke, key("", l.title.clone(), sw))
            }
        },
    }
}

pub(super) fn level_of(f: &Feature) -> Option<i64> {
    let v = f.properties.get("level")?;
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shades_go_towards_white_and_black() {
        assert_eq!(shade("#1e63b4", 0.0), "#1e63b4");
        assert_eq!(shade("#1e63b4", 1.0), "#ffffff");
        assert_eq!(shade("#1e63b4", -1.0), "#000000");
        assert_eq!(shade("#808080", 0.5), "#c0c0c0");
    }
}
