//! Screening registered projects: at registration, after a data change (a pass over every
//! project not yet screened against the version in service), and again for a replay. A
//! project's screening is the answer `POST /check?type=T&class=C&year=Y` gives for its site,
//! made by the same code.

use super::backend::{sha256, NewProject, NewScreening, ScreeningBatch};
use super::open::Registry;
use super::record::{Project, ProjectStatus, RegistryError, StoredScreening, Trigger};
use crate::data::Dataset;
use crate::params::{check_year, current_year, QueryError};
use crate::query::screen::{parse_class, screen_input, CheckParams};
use crate::query::site::{self, SiteInput};
use serde_json::{json, Value};

/// A registered project and its first screening: what `POST /projects` answers.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registration {
    /// The project as registered.
    pub project: Project,
    /// Its first screening.
    pub screening: StoredScreening,
}

/// What one pass of re-screening did.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pass {
    /// The data version screened against.
    pub version: String,
    /// Projects screened in this pass.
    pub screened: usize,
    /// Of those, screenings that are an error (the rules no longer know the type, say).
    pub errors: usize,
    /// Whether the pass stopped early because a newer version came into service.
    pub superseded: bool,
}

/// The canonical request of a screening, and its SHA-256: the same site, type, class and year
/// give the same digest, whoever asks and whenever (a replay checks it).
pub fn request_digest(site: &Value, project_type: &str, class: &str, year: i32) -> String {
    // serde_json's map is ordered by key: one text per request.
    let canonical = json!({"site": site, "type": project_type, "class": class, "year": year});
    sha256(canonical.to_string().as_bytes())
}

/// Screens a site for a project type and class in a year against `ds`: the answer exactly as
/// `POST /check?type=…&class=…&year=…` gives it for the site's geometry, as JSON.
pub fn screen_site(
    ds: &Dataset,
    site_geometry: &Value,
    project_type: &str,
    class: &str,
    year: i32,
    max_vertices: usize,
) -> Result<Value, RegistryError> {
    let params = CheckParams {
        year: Some(check_year(year)?),
        project_type: Some(project_type.to_string()),
        project_class: Some(class.to_string()),
        ..CheckParams::default()
    };
    let ask = params.screening(ds)?;
    let input = site::parse(site_geometry.to_string().as_bytes(), 1)?;
    site::check_vertices(&input, max_vertices)?;
    if !matches!(input, SiteInput::One(_)) {
        return Err(RegistryError::Invalid(
            "a project's site is one geometry, not a collection".into(),
        ));
    }
    let answer = screen_input(ds, input, &params.options(), &ask)?;
    serde_json::to_value(&answer).map_err(|e| RegistryError::Corrupt(e.to_string()))
}

/// Screens a registered project against `ds` (its year, or the current one).
pub fn screen_project(
    ds: &Dataset,
    p: &Project,
    trigger: Trigger,
    max_vertices: usize,
) -> NewScreening {
    let year = p.year.unwrap_or_else(current_year);
    let digest = request_digest(&p.site, &p.project_type, &p.class, year);
    // A project the data no longer takes (its type gone from the rules) gets a screening that
    // says so, rather than none: the planner sees it, and the pass does not retry it forever.
    let answer = screen_site(ds, &p.site, &p.project_type, &p.class, year, max_vertices)
        .unwrap_or_else(
            |e| json!({"error": e.code(), "message": e.to_string(), "verdict": "error"}),
        );
    NewScreening::of(answer, &ds.version, &digest, trigger)
}

/// A string property of the posted Feature.
fn text_property<'a>(
    props: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, RegistryError> {
    match props.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(RegistryError::Invalid(format!(
            "property `{key}` must be a string"
        ))),
    }
}

/// Registers the project a GeoJSON Feature describes (`name`, `type` required; `class`,
/// `status`, `id`, `year` optional) and screens it against `ds`, in one transaction. Bad input
/// is refused before anything is written.
pub fn register(
    reg: &Registry,
    ds: &Dataset,
    body: &[u8],
    max_vertices: usize,
    actor: &str,
) -> Result<Registration, RegistryError> {
    let feature: Value =
        serde_json::from_slice(body).map_err(|e| site::SiteError::InvalidJson(e.to_string()))?;
    if feature["type"] != "Feature" {
        return Err(site::SiteError::NotGeoJson(
            "a project is a GeoJSON Feature: its geometry is the site, its properties name, type, class, status".into(),
        )
        .into());
    }
    let empty = serde_json::Map::new();
    let props = feature["properties"].as_object().unwrap_or(&empty);
    let name = text_property(props, "name")?
        .ok_or_else(|| RegistryError::Invalid("property `name` is required".into()))?;
    let project_type = text_property(props, "type")?.ok_or_else(|| {
        RegistryError::Invalid("property `type` (a project type of GET /rules) is required".into())
    })?;
    let class = text_property(props, "class")?.unwrap_or("ordinary");
    parse_class(class)?;
    let status = match text_property(props, "status")? {
        Some(s) => ProjectStatus::parse(s)?,
        None => ProjectStatus::Proposed,
    };
    let id = match (&feature["id"], props.get("id")) {
        (Value::String(s), _) => Some(s.clone()),
        (Value::Number(n), _) => Some(n.to_string()),
        (_, Some(Value::String(s))) => Some(s.clone()),
        _ => None,
    };
    let year = match props.get("year") {
        None | Some(Value::Null) => None,
        Some(y) => Some(
            y.as_i64()
                .and_then(|y| i32::try_from(y).ok())
                .ok_or_else(|| QueryError::param("year", "a whole number"))?,
        ),
    };
    let geometry = feature["geometry"].clone();
    if geometry.is_null() {
        return Err(site::SiteError::NotGeoJson("the Feature has no geometry".into()).into());
    }
    let year_used = year.unwrap_or_else(current_year);
    // Screened first: an invalid site, an unknown type or year is refused before any write.
    let answer = screen_site(ds, &geometry, project_type, class, year_used, max_vertices)?;
    let digest = request_digest(&geometry, project_type, class, year_used);
    let screening = NewScreening::of(answer, &ds.version, &digest, Trigger::Registered);
    reg.activate(&ds.version, &ds.files)?;
    let project = reg.register(
        &NewProject {
            id,
            name: name.to_string(),
            project_type: project_type.to_string(),
            class: class.to_string(),
            status,
            site: geometry,
            year,
        },
        &screening,
        actor,
        &sha256(body),
    )?;
    let screening = reg.screening(&project.id, project.latest.n)?;
    Ok(Registration { project, screening })
}

/// Screens one project again now against `ds` (trigger `manual`, `POST
/// /projects/{id}/screenings`), recorded with one audit entry by `actor`; the stored screening.
pub fn screen_manually(
    reg: &Registry,
    ds: &Dataset,
    id: &str,
    actor: &str,
    max_vertices: usize,
) -> Result<StoredScreening, RegistryError> {
    let p = reg.project(id)?;
    let s = screen_project(ds, &p, Trigger::Manual, max_vertices);
    reg.activate(&ds.version, &ds.files)?;
    let n = reg.add_screenings(&ScreeningBatch {
        target: id.to_string(),
        items: vec![(id.to_string(), s)],
        actor: actor.to_string(),
        action: "screening.manual".into(),
    })?;
    reg.screening(id, n[0])
}

/// Screens every project not rejected and not yet screened against `ds`, `chunk` at a time,
/// each chunk one transaction (so a kill loses at most the chunk in flight, and a restart
/// picks up where it stopped). `superseded` is asked between chunks: when it says a newer
/// version is in service, the pass stops (the next one screens against that).
pub fn rescreen(
    reg: &Registry,
    ds: &Dataset,
    chunk: usize,
    max_vertices: usize,
    pool: Option<&rayon::ThreadPool>,
    superseded: impl Fn() -> bool,
) -> Result<Pass, RegistryError> {
    use rayon::prelude::*;
    reg.activate(&ds.version, &ds.files)?;
    let mut pass = Pass {
        version: ds.version.clone(),
        ..Pass::default()
    };
    let mut after = String::new();
    loop {
        if superseded() {
            pass.superseded = true;
            return Ok(pass);
        }
        let todo = reg.pending(&ds.version, &after, chunk.max(1) as i64)?;
        let Some(last) = todo.last() else {
            return Ok(pass);
        };
        after.clone_from(&last.id);
        let screen = || {
            todo.par_iter()
                .map(|p| {
                    (
                        p.id.clone(),
                        screen_project(ds, p, Trigger::DataChange, max_vertices),
                    )
                })
                .collect::<Vec<_>>()
        };
        let items = match pool {
            Some(pool) => pool.install(screen),
            None => screen(),
        };
        pass.screened += items.len();
        pass.errors += items.iter().filter(|(_, s)| s.verdict == "error").count();
        reg.add_screenings(&ScreeningBatch {
            target: format!("data version {} ({} projects)", ds.version, items.len()),
            items,
            actor: "system".into(),
            action: "screening.data_change".into(),
        })?;
    }
}
