//! `scripts/setup.sh --plan` against a fake machine: what it decides to install must follow what
//! the package system says is installed, never what file names look like. A copy of the script runs
//! in a scratch project with stand-ins for `dpkg-query` (answering from a list of installed
//! packages), `python3` and the virtualenv's python (answering from a list of installed pins).
#![allow(clippy::unwrap_used)] // in test helpers too, a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;

/// The packages a fresh Debian 12 image of this kind has that look like libclang but are not it.
const BASE_IMAGE: &[&str] = &["libclang-cpp14", "libllvm14", "nodejs", "npm", "python3"];
const APT_BOTH: &[&str] = &[
    "libgdal-dev",
    "libproj-dev",
    "clang",
    "libclang-dev",
    "pkg-config",
    "libfreetype-dev",
    "libsqlite3-dev",
    "libcurl4-openssl-dev",
    "gdal-bin",
    "curl",
    "fonts-noto-cjk",
];
const APT_TESTS: &[&str] = &[
    "chromium",
    "nginx-light",
    "openjdk-17-jre-headless",
    "poppler-utils",
    "procps",
    "python3-qgis",
];
/// The registry's tests start their own PostgreSQL: postgresql-15, installed in a second step
/// after postgresql-common (whose createcluster.conf stops the install making a cluster).
const APT_PG: &[&str] = &["postgresql-common", "postgresql-15"];
const PINS: &[&str] = &[
    "hypothesis==6.131.0",
    "mapbox-vector-tile==2.2.0",
    "pmtiles==3.8.1",
    "pyarrow==26.0.1",
    "pygeofilter==0.4.0",
    "pyproj==3.7.1",
    "pyspark==4.3.0",
    "schemathesis==3.39.16",
    "shapely==2.2.0",
];

struct Machine {
    dir: PathBuf,
}

impl Machine {
    /// A scratch project holding a copy of setup.sh, with fake tools in `bin/`.
    fn new(tag: &str) -> Machine {
        let dir = std::env::temp_dir().join(format!("ecospace-setup-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("scripts")).unwrap();
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/setup.sh");
        std::fs::copy(real, dir.join("scripts/setup.sh")).unwrap();
        std::fs::write(dir.join("package-lock.json"), "{}").unwrap();
        // dpkg-query -W -f='${Status}' PKG, answered from $FAKE_DPKG (space-separated).
        script(
            &dir.join("bin/dpkg-query"),
            r#"pkg=${@: -1}
case " $FAKE_DPKG " in *" $pkg "*) printf 'install ok installed' ;;
  *) echo "dpkg-query: no packages found matching $pkg" >&2; exit 1 ;; esac"#,
        );
        // python3 -c 'import ensurepip, venv': works when $FAKE_VENV_OK is 1.
        script(&dir.join("bin/python3"), r#"[ "$FAKE_VENV_OK" = 1 ]"#);
        Machine { dir }
    }

    /// node_modules, newer than package-lock.json.
    fn with_node_modules(self) -> Machine {
        std::fs::create_dir_all(self.dir.join("node_modules")).unwrap();
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::open(self.dir.join("node_modules"))
            .unwrap()
            .set_modified(later)
            .unwrap();
        self
    }

    /// A virtualenv whose python reports these `name==version` pins as installed.
    fn with_venv(self, pins: &[&str]) -> Machine {
        std::fs::create_dir_all(self.dir.join(".venv/bin")).unwrap();
        // Called as `python3 - NAME==VERSION` with a script on stdin.
        script(
            &self.dir.join(".venv/bin/python3"),
            &format!(
                "cat >/dev/null\ncase \" {} \" in *\" $2 \"*) exit 0 ;; *) exit 1 ;; esac",
                pins.join(" ")
            ),
        );
        self
    }

    /// `setup.sh --plan [extra]` with these packages installed: its lines.
    fn plan(&self, installed: &[&str], venv_ok: bool, extra: &[&str]) -> Vec<String> {
        let path = format!(
            "{}:{}",
            self.dir.join("bin").display(),
            std::env::var("PATH").unwrap()
        );
        let out = Command::new("bash")
            .arg(self.dir.join("scripts/setup.sh"))
            .arg("--plan")
            .args(extra)
            .env("PATH", path)
            .env("FAKE_DPKG", installed.join(" "))
            .env("FAKE_VENV_OK", if venv_ok { "1" } else { "0" })
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
    let mut perm = std::fs::metadata(path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(path, perm).unwrap();
}

fn line(tool: &str, items: &[&str]) -> String {
    format!("{tool}: {}", items.join(" "))
}

#[test]
fn a_fresh_image_with_libclang_cpp_gets_libclang_and_everything_else() {
    let m = Machine::new("fresh");
    let apt: Vec<&str> = APT_BOTH
        .iter()
        .chain(APT_TESTS)
        .copied()
        .chain(["python3-venv", "postgresql-common"])
        .collect();
    assert_eq!(
        m.plan(BASE_IMAGE, false, &[]),
        [
            line("apt", &apt),
            "apt: postgresql-15".into(),
            "npm: ci".into(),
            line("pip", PINS)
        ]
    );
    // The service alone needs neither the browser, nor procps, nor the Python readers (but the
    // font its glyph ranges are drawn from).
    assert_eq!(
        m.plan(BASE_IMAGE, false, &["--serve"]),
        [line("apt", APT_BOTH), "npm: ci".into()]
    );
}

#[test]
fn a_machine_with_everything_installs_nothing() {
    let m = Machine::new("full").with_node_modules().with_venv(PINS);
    let all: Vec<&str> = BASE_IMAGE
        .iter()
        .chain(APT_BOTH)
        .chain(APT_TESTS)
        .chain(APT_PG)
        .copied()
        .collect();
    assert_eq!(m.plan(&all, true, &[]), Vec::<String>::new());
    assert_eq!(m.plan(&all, true, &["--serve"]), Vec::<String>::new());
}

#[test]
fn only_what_is_missing_or_at_another_version() {
    // libclang-dev gone, shapely not in the venv, a stale node_modules (older than the lock).
    let m = Machine::new("partial").with_venv(&PINS[..PINS.len() - 1]);
    std::fs::create_dir_all(m.dir.join("node_modules")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(m.dir.join("package-lock.json"), "{\"changed\":1}").unwrap();
    let installed: Vec<&str> = BASE_IMAGE
        .iter()
        .chain(APT_BOTH)
        .chain(APT_TESTS)
        .chain(APT_PG)
        .copied()
        .filter(|p| *p != "libclang-dev")
        .collect();
    assert_eq!(
        m.plan(&installed, true, &[]),
        [
            "apt: libclang-dev".to_string(),
            "npm: ci".into(),
            "pip: shapely==2.2.0".into()
        ]
    );
}

#[test]
fn unknown_options_are_refused() {
    let m = Machine::new("bad");
    let out = Command::new("bash")
        .arg(m.dir.join("scripts/setup.sh"))
        .arg("--sevre")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sevre"));
}
