//! "May this project be built here?": the check, what the rules say of each hit for the project
//! type, and the proximity rings — the one answer ([`Screened`]) that the CLI and HTTP both
//! serialise, for one site or each site of a batch.

use super::check::{
    check, CheckOptions, CheckResult, CountyShare, Hit, LayerSummary, Outside, Relation,
    SiteSummary, Verdict,
};
use super::rings::{rings, Ring};
use super::site::{Site, SiteInput};
use crate::data::plan::rules::{Decision, ProjectClass, Ruling};
use crate::data::Dataset;
use crate::params::{
    current_year, parse_layer_list, parse_rings, validate_rings, QueryError, DEFAULT_RINGS_M,
};
use crate::spatial::crs::{bbox_in, is_lonlat, CrsError};
use geo::Geometry;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a planner asks beyond the geometry.
#[derive(Debug, Clone, Default)]
pub struct Screening {
    /// Rule the hits for this project type (an id from the rules file).
    pub project_type: Option<String>,
    /// The project's class (ordinary when not given): rules may grant key projects exceptions.
    pub project_class: Option<ProjectClass>,
    /// Report these proximity rings, m.
    pub rings_m: Option<Vec<f64>>,
    /// The CRS the site was sent in, when not lon/lat: the answer echoes the site's box in it.
    pub crs: Option<String>,
}

impl Screening {
    /// The screening of one site of a request: the site's own `type` and `class` properties
    /// win over the request's. (A batch also treats an empty `type` as none: a blank CSV cell.)
    pub fn for_site(&self, site: &Site) -> Result<Screening, QueryError> {
        Ok(Screening {
            project_type: site
                .project_type()
                .map(str::to_string)
                .or_else(|| self.project_type.clone()),
            project_class: match site.project_class() {
                Some(c) => Some(parse_class(c)?),
                None => self.project_class,
            },
            rings_m: self.rings_m.clone(),
            crs: self.crs.clone(),
        })
    }
}

/// A project class from a request or a site's `class` property; a 4xx listing the valid ones.
pub fn parse_class(text: &str) -> Result<ProjectClass, QueryError> {
    text.parse()
        .map_err(|e: crate::data::plan::rules::UnknownProjectClass| {
            QueryError::param("class", e.to_string())
        })
}

/// The part of a site outside an outside-constraint layer, with what the rules say of it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreenedOutside {
    /// The layer (e.g. `urban_boundary`).
    pub layer: String,
    /// How much of the site lies outside it.
    #[serde(flatten)]
    pub outside: Outside,
    /// The decision, conditions and basis for the project type and class (none without a type,
    /// or when the rules say nothing of this type outside the layer).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub ruling: Option<Ruling>,
}

/// A hit with what the rules say of it for the project type asked about.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreenedHit {
    /// What the site meets.
    #[serde(flatten)]
    pub hit: Hit,
    /// The decision, conditions and basis (none without a project type, or where the site only
    /// touches or is near the feature).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub ruling: Option<Ruling>,
}

/// The site's box in the CRS it was sent in.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BboxInCrs {
    /// The CRS, as given.
    pub crs: String,
    /// `[min x, min y, max x, max y]` in that CRS.
    pub bbox: [f64; 4],
}

/// The site as checked.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreenedSite {
    /// Kind, geodesic area and length, lon/lat box.
    #[serde(flatten)]
    pub summary: SiteSummary,
    /// The box again in the CRS the site was sent in, when that was not lon/lat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bbox_in_crs: Option<BboxInCrs>,
}

/// The answer to a screening: one per site, the same from every front end.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Screened {
    /// The site's id (Feature `id` or `properties.id`), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The site.
    pub site: ScreenedSite,
    /// `conflict`, `near` or `clear`.
    pub verdict: Verdict,
    /// The year the layers were taken in.
    pub year: i32,
    /// The buffer of the check, m.
    pub buffer_m: f64,
    /// Every feature met or near, by layer and id.
    pub hits: Vec<ScreenedHit>,
    /// Per layer checked, keyed by layer id.
    pub summary: BTreeMap<String, LayerSummary>,
    /// The parts of the site outside outside-constraint layers (the urban development
    /// boundary), with their rulings; only where part of the site is outside.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outside: Vec<ScreenedOutside>,
    /// The counties the site lies in, with shares, largest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub counties: Vec<CountyShare>,
    /// The project type the rulings are for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_type: Option<String>,
    /// The project class the rulings are for (with a type only).
    #[serde(rename = "class", skip_serializing_if = "Option::is_none")]
    pub project_class: Option<ProjectClass>,
    /// The strictest ruling over the hits (`allowed` when none applies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// Proximity rings, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rings: Option<Vec<Ring>>,
}

/// A check with rulings for a project type and proximity rings, as asked. `crs`, when the site
/// was sent in another CRS, has its box echoed in it.
pub fn screen(
    ds: &Dataset,
    site: &Geometry,
    opts: &CheckOptions,
    ask: &Screening,
) -> Result<Screened, QueryError> {
    let rules = match (&ask.project_type, &ds.rules) {
        (None, _) => None,
        (Some(_), None) => return Err(QueryError::param(
            "type",
            "this dataset has no rules file (manifest key `rules`), so there is nothing to rule by",
        )),
        (Some(t), Some(r)) => {
            r.project_type(t)
                .map_err(|e| QueryError::param("type", e.to_string()))?;
            Some((r, t))
        }
    };
    let radii = ask.rings_m.as_deref().map(validate_rings).transpose()?;
    let CheckResult {
        site: summary,
        verdict,
        year,
        buffer_m,
        hits,
        summary: layers,
        counties,
    } = check(ds, site, opts)?;
    let class = ask.project_class.unwrap_or_default();
    let bbox_in_crs = match &ask.crs {
        Some(crs) => Some(BboxInCrs {
            crs: crs.clone(),
            // A site read from `crs` may still have a box corner outside the CRS's domain.
            bbox: bbox_in(summary.bbox, crs).map_err(|e| match e {
                CrsError::Transform { .. } => {
                    QueryError::Coordinates(format!("the site's box in {crs}: {e}"))
                }
                e => QueryError::param("crs", e.to_string()),
            })?,
        }),
        None => None,
    };
    // A rule applies where the site's interior meets the feature (within, contains, overlaps,
    // crosses). A site that only touches a zone's boundary, or is only near it, is not on it:
    // those hits are listed without a ruling. Nothing applicable means `allowed`.
    let mut decision = rules.map(|_| Decision::Allowed);
    let hits = hits
        .into_iter()
        .map(|hit| {
            let on = !matches!(hit.relation, Relation::Touches | Relation::Near);
            let ruling = rules
                .filter(|_| on)
                .and_then(|(r, t)| r.ruling(&hit.layer, &hit.properties, t, class));
            if let (Some(d), Some(r)) = (decision.as_mut(), &ruling) {
                *d = (*d).max(r.decision);
            }
            ScreenedHit { hit, ruling }
        })
        .collect();
    let outside = layers
        .iter()
        .filter_map(|(id, s)| Some((id, s.outside.clone()?)))
        .filter(|(_, o)| o.ratio > 0.0)
        .map(|(id, outside)| {
            let ruling = rules.and_then(|(r, t)| r.outside_ruling(id, t, class));
            if let (Some(d), Some(r)) = (decision.as_mut(), &ruling) {
                *d = (*d).max(r.decision);
            }
            ScreenedOutside {
                layer: id.clone(),
                outside,
                ruling,
            }
        })
        .collect();
    let rings = match radii {
        Some(radii) => Some(rings(ds, site, opts, &radii)?),
        None => None,
    };
    Ok(Screened {
        id: None,
        site: ScreenedSite {
            summary,
            bbox_in_crs,
        },
        verdict,
        year,
        buffer_m,
        hits,
        summary: layers,
        outside,
        counties,
        project_type: rules.map(|(_, t)| t.clone()),
        project_class: rules.map(|_| class),
        decision,
        rings,
    })
}

/// The answer to a posted body: one site's screening, or `{"results": [...]}` for a batch, in
/// input order. The CLI's `--json` prints the same.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Answer {
    /// A Geometry or Feature.
    One(Box<Screened>),
    /// A FeatureCollection.
    Batch {
        /// One screening per feature, in input order.
        results: Vec<Screened>,
    },
}

impl Answer {
    /// The answer as compact JSON, as `serde_json::to_vec` writes it; a batch's results are
    /// written on every core and joined, so a large batch does not wait on one.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        use rayon::prelude::*;
        let Answer::Batch { results } = self else {
            return serde_json::to_vec(self);
        };
        let parts: Vec<Vec<u8>> = results
            .par_iter()
            .map(serde_json::to_vec)
            .collect::<Result<_, _>>()?;
        let mut out =
            Vec::with_capacity(parts.iter().map(Vec::len).sum::<usize>() + parts.len() + 13);
        out.extend_from_slice(b"{\"results\":[");
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(p);
        }
        out.extend_from_slice(b"]}");
        Ok(out)
    }
}

/// Screens each site of `input` (a site's own `type` wins over the request's), with its id.
pub fn screen_input(
    ds: &Dataset,
    input: SiteInput,
    opts: &CheckOptions,
    ask: &Screening,
) -> Result<Answer, QueryError> {
    let one = |s: Site| -> Result<Screened, QueryError> {
        let mut r = screen(ds, &s.geometry, opts, &ask.for_site(&s)?)?;
        r.id = s.id;
        Ok(r)
    };
    Ok(match input {
        SiteInput::One(s) => Answer::One(Box::new(one(s)?)),
        SiteInput::Batch(sites) => {
            use rayon::prelude::*;
            // Sites are independent: screened on every core, answered in input order, and the
            // first error in input order is the one reported.
            let results: Vec<Result<Screened, QueryError>> =
                sites.into_par_iter().map(one).collect();
            Answer::Batch {
                results: results.into_iter().collect::<Result<_, _>>()?,
            }
        }
    })
}

/// The parameters of a check, as every front end takes them (`?year=…&buffer_m=…` over HTTP,
/// `--year … --buffer-m …` on the command line).
#[derive(Debug, Clone, Default, serde::Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct CheckParams {
    /// Year the layers are taken in, 1900–2200 (default: this year).
    #[arg(long)]
    #[cfg_attr(feature = "openapi", param(minimum = 1900, maximum = 2200))]
    pub year: Option<i32>,
    /// Also report features within this many metres, 0–100000 (default 0).
    #[arg(long)]
    #[cfg_attr(feature = "openapi", param(minimum = 0, maximum = 100000))]
    pub buffer_m: Option<f64>,
    /// Only these layers, comma-separated ids (default: all).
    #[arg(long)]
    pub layers: Option<String>,
    /// CRS of the site's coordinates, e.g. `EPSG:4549` (default lon/lat; an EPSG CRS needs the
    /// `gdal` feature), or `GCJ02` / `BD09` for a site drawn on an Amap / Baidu base map (every
    /// build); the site's box is echoed in it.
    #[arg(long)]
    pub crs: Option<String>,
    /// Project type from the rules file (`GET /rules`): adds each hit's decision and basis and
    /// the site's decision.
    #[serde(rename = "type")]
    #[arg(long = "type", value_name = "TYPE")]
    pub project_type: Option<String>,
    /// Project class: `ordinary` (default), `provincial_key` or `national_key`; rules may grant
    /// key projects exceptions (a site's own `class` property wins in a batch).
    #[serde(rename = "class")]
    #[arg(long = "class", value_name = "CLASS")]
    #[cfg_attr(feature = "openapi", param(value_type = Option<crate::data::plan::rules::ProjectClass>, inline))]
    pub project_class: Option<String>,
    /// Proximity rings in metres (`0,500,1000,5000`), or `default` for the rules file's.
    #[arg(long)]
    pub rings: Option<String>,
}

impl CheckParams {
    /// The check's options (year, buffer, layers); checked when the check runs.
    pub fn options(&self) -> CheckOptions {
        CheckOptions {
            year: self.year.unwrap_or_else(current_year),
            buffer_m: self.buffer_m.unwrap_or(0.0),
            layers: self.layers.as_deref().map(parse_layer_list),
        }
    }

    /// What to screen beyond the check, checked against the dataset: a project type it has
    /// rules for, ring distances (`default` from its rules file), the CRS the site comes in.
    pub fn screening(&self, ds: &Dataset) -> Result<Screening, QueryError> {
        let project_type = self.project_type.clone().filter(|t| !t.is_empty());
        if let (Some(t), Some(r)) = (&project_type, &ds.rules) {
            r.project_type(t)
                .map_err(|e| QueryError::param("type", e.to_string()))?;
        }
        let default = ds
            .rules
            .as_ref()
            .map_or(&DEFAULT_RINGS_M[..], |r| &r.default_rings_m[..]);
        Ok(Screening {
            project_type,
            project_class: self
                .project_class
                .as_deref()
                .filter(|c| !c.is_empty())
                .map(parse_class)
                .transpose()?,
            rings_m: self
                .rings
                .as_deref()
                .map(|r| parse_rings(r, default))
                .transpose()?,
            crs: self.crs.clone().filter(|c| !is_lonlat(c)),
        })
    }
}
