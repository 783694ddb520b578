//! `ecospace projects …` and `ecospace audit verify`: the project registry from the command
//! line, on the same state folder (or PostgreSQL registry) the service uses. Answers are the
//! JSON the HTTP routes give; `list` prints a table unless `--json`.

use super::error::{io, CliError};
use super::io::{load, pretty};
use crate::registry::{
    self, default_state, impacts, rescreen, Location, ProjectFilter, ProjectList, ProjectStatus,
    Registry,
};
use serde_json::Value;
use std::path::PathBuf;

/// Where the registry and the data are: as `serve` finds them.
#[derive(Debug, Clone, clap::Args)]
pub struct RegistryArgs {
    /// Data folder holding layers.toml [default: the bundled Jiaxing dataset].
    #[arg(long, env = "ECOSPACE_DATA")]
    data: Option<PathBuf>,
    /// State folder of the SQLite registry [default: beside the data folder, `DATA.state`; for
    /// the bundled data `~/.local/state/ecospace`].
    #[arg(long, env = "ECOSPACE_STATE")]
    state: Option<PathBuf>,
    /// A PostgreSQL registry (`postgres://…`) instead of the state folder's.
    #[arg(long, env = "ECOSPACE_REGISTRY", hide_env_values = true)]
    registry: Option<String>,
}

impl RegistryArgs {
    fn open(&self) -> Result<Registry, CliError> {
        let at = match (&self.registry, &self.state) {
            (Some(r), _) => Location::parse(r),
            (None, Some(d)) => Location::Sqlite(d.clone()),
            (None, None) => Location::Sqlite(default_state(self.data.as_deref())),
        };
        Ok(Registry::open(&at)?)
    }
}

/// `projects` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ProjectsCommand {
    /// Register the project(s) of a GeoJSON file (a Feature, or a FeatureCollection: one
    /// project per feature, its own `type`/`class`/`name` properties winning), screened at once.
    Add(Box<AddArgs>),
    /// List projects.
    List(ListArgs),
    /// One project with every screening.
    Show {
        /// The project's id.
        id: String,
        #[command(flatten)]
        at: RegistryArgs,
    },
    /// The projects whose screening changed between two data versions.
    Impacts {
        /// The earlier version (default: the one in service before the current one).
        #[arg(long)]
        from: Option<String>,
        /// The later version (default: the current one).
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        at: RegistryArgs,
    },
    /// Screen every project not yet screened against the current data (what the service does
    /// in the background after a change), then print what the pass did.
    Rescreen {
        #[command(flatten)]
        at: RegistryArgs,
    },
}

/// `projects add`'s arguments.
#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// A GeoJSON Feature or FeatureCollection (`-` for stdin).
    file: PathBuf,
    /// Project type from the rules file (`GET /rules`), for features without their own.
    #[arg(long = "type", value_name = "TYPE")]
    project_type: Option<String>,
    /// `ordinary` (default), `provincial_key` or `national_key`, for features without their own.
    #[arg(long)]
    class: Option<String>,
    /// `proposed` (default), `approved`, `built` or `rejected`.
    #[arg(long)]
    status: Option<String>,
    /// Screen in this year (default: the current year at each screening).
    #[arg(long)]
    year: Option<i32>,
    /// Who registers, as records show it [default: `cli:$USER`].
    #[arg(long = "as", value_name = "NAME")]
    actor: Option<String>,
    #[command(flatten)]
    at: RegistryArgs,
}

/// `projects list`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only of this status.
    #[arg(long)]
    status: Option<String>,
    /// Only of this type.
    #[arg(long = "type")]
    project_type: Option<String>,
    /// Only lying (partly) in this county (adcode).
    #[arg(long)]
    county: Option<String>,
    /// Only whose newest screening has this decision.
    #[arg(long)]
    decision: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 1000)]
    limit: i64,
    /// Print JSON (as `GET /projects` answers).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    at: RegistryArgs,
}

/// Runs a `projects` subcommand.
pub fn run(cmd: ProjectsCommand) -> Result<(), CliError> {
    match cmd {
        ProjectsCommand::Add(a) => add(*a),
        ProjectsCommand::List(a) => list(a),
        ProjectsCommand::Show { id, at } => {
            let reg = at.open()?;
            let p = reg.project(&id)?;
            let s = reg.screenings(&id)?;
            print!(
                "{}",
                pretty(&serde_json::json!({"project": p, "screenings": s}))?
            );
            Ok(())
        }
        ProjectsCommand::Impacts { from, to, at } => {
            let reg = at.open()?;
            let ds = load(at.data.as_deref())?;
            let i = impacts(&reg, &ds.version, from.as_deref(), to.as_deref())?;
            print!("{}", pretty(&i)?);
            Ok(())
        }
        ProjectsCommand::Rescreen { at } => {
            let reg = at.open()?;
            let ds = load(at.data.as_deref())?;
            let pass = rescreen(&reg, &ds, 256, usize::MAX, None, || false)?;
            print!("{}", pretty(&pass)?);
            Ok(())
        }
    }
}

fn add(a: AddArgs) -> Result<(), CliError> {
    let text = if a.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(io(&a.file))?
    } else {
        std::fs::read_to_string(&a.file).map_err(io(&a.file))?
    };
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{}: not JSON: {e}", a.file.display())))?;
    let (features, many) = match v["type"].as_str() {
        Some("FeatureCollection") => (v["features"].as_array().cloned().unwrap_or_default(), true),
        Some("Feature") => (vec![v], false),
        _ => {
            return Err(CliError::Usage(format!(
                "{}: give a GeoJSON Feature or FeatureCollection (the properties name the project)",
                a.file.display()
            )))
        }
    };
    let reg = a.at.open()?;
    let ds = load(a.at.data.as_deref())?;
    let actor = a.actor.clone().unwrap_or_else(|| {
        format!(
            "cli:{}",
            std::env::var("USER").unwrap_or_else(|_| "unknown".into())
        )
    });
    let mut out = Vec::new();
    for mut f in features {
        if !f["properties"].is_object() {
            f["properties"] = Value::Object(serde_json::Map::new());
        }
        let props = f["properties"]
            .as_object_mut()
            .ok_or_else(|| CliError::Usage("a feature's properties are not an object".into()))?;
        let mut default = |k: &str, v: Option<Value>| {
            if let (false, Some(v)) = (props.contains_key(k), v) {
                props.insert(k.to_string(), v);
            }
        };
        default("type", a.project_type.clone().map(Value::from));
        default("class", a.class.clone().map(Value::from));
        default("year", a.year.map(Value::from));
        if let Some(s) = &a.status {
            // The flag states where the projects stand now: it wins over the file.
            props.insert("status".into(), Value::from(s.clone()));
        }
        let body = serde_json::to_vec(&f).map_err(|e| CliError::Write(e.to_string()))?;
        out.push(registry::register(&reg, &ds, &body, usize::MAX, &actor)?);
    }
    if many {
        print!("{}", pretty(&out)?);
    } else if let Some(one) = out.first() {
        print!("{}", pretty(one)?);
    }
    Ok(())
}

fn list(a: ListArgs) -> Result<(), CliError> {
    let reg = a.at.open()?;
    let f = ProjectFilter {
        status: a.status.as_deref().map(ProjectStatus::parse).transpose()?,
        project_type: a.project_type,
        county: a.county,
        decision: a.decision,
        limit: a.limit.max(1),
        offset: 0,
    };
    let projects = reg.projects(&f)?;
    if a.json {
        let total = reg.count(&f)?;
        let page = ProjectList {
            total,
            limit: f.limit,
            offset: 0,
            projects,
        };
        print!("{}", pretty(&page)?);
        return Ok(());
    }
    println!(
        "{:<12} {:<9} {:<24} {:<11} {:<9} name",
        "id", "status", "type", "decision", "verdict"
    );
    for p in &projects {
        println!(
            "{:<12} {:<9} {:<24} {:<11} {:<9} {}",
            p.id,
            p.status.as_str(),
            p.project_type,
            p.latest.decision.as_deref().unwrap_or("-"),
            p.latest.verdict.as_deref().unwrap_or("-"),
            p.name
        );
    }
    Ok(())
}

/// `audit` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Recompute the audit log's hash chain; exit non-zero at the first broken link, naming it.
    Verify {
        #[command(flatten)]
        at: RegistryArgs,
    },
}

/// Runs an `audit` subcommand.
pub fn run_audit(cmd: AuditCommand) -> Result<(), CliError> {
    let AuditCommand::Verify { at } = cmd;
    let reg = at.open()?;
    let n = reg.verify()?;
    println!(
        "audit chain of {}: {n} entries, every link verifies",
        reg.location()
    );
    Ok(())
}
