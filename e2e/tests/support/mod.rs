//! Harness for black-box tests: the real `valet` binary on a free 127.0.0.1 port, with a fresh SQLite data
//! directory or a fresh PostgreSQL database, optionally provisioned from a TOML file (`--provision`), ready
//! once `/readyz` answers 200, killed on drop. `browser` drives the interaction pages, `oidc` holds what
//! the flow tests share (the provisioned user, token calls, JWT reading), `conformance` re-enacts the
//! OpenID conformance suite's client and checks.

// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

pub mod backchannel;
pub mod browser;
pub mod conformance;
pub mod lifecycle;
pub mod logout_token;
pub mod oidc;

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Administrative connection used only to create and drop the per-test databases;
/// `VALET_TEST_POSTGRES_URL` overrides it, as for the other test suites (README "Two commands").
const POSTGRES_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const READY_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What survives a restart: the port (hence the issuer), the data directory and the database.
pub struct Deployment {
    root: PathBuf,
    port: u16,
    postgres_db: Option<String>,
    provision: Option<PathBuf>,
    env: Vec<(String, String)>,
    starts: Cell<u32>,
}

impl Deployment {
    pub fn new(backend: Backend) -> TestResult<Self> {
        let id = unique_id();
        let root = std::env::temp_dir().join(format!("valet-e2e-{id}"));
        std::fs::create_dir_all(&root)?;
        let port = free_port()?;
        let postgres_db = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let name = format!("valet_e2e_{id}");
                psql(&format!("CREATE DATABASE {name}"))?;
                Some(name)
            }
        };
        Ok(Self {
            root,
            port,
            postgres_db,
            provision: None,
            env: Vec::new(),
            starts: Cell::new(0),
        })
    }

    /// A deployment whose every start applies `toml` first (`valet serve --provision FILE`).
    pub fn provisioned(backend: Backend, toml: &str) -> TestResult<Self> {
        let mut deployment = Self::new(backend)?;
        let file = deployment.root.join("provision.toml");
        std::fs::write(&file, toml)?;
        deployment.provision = Some(file);
        Ok(deployment)
    }

    /// An environment variable for every start and CLI command of this deployment (the caller's
    /// own `VALET_*` variables are never passed on).
    pub fn with_env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts `valet serve` and waits until it reports ready.
    pub async fn start(&self) -> TestResult<Valet<'_>> {
        let n = self.starts.get() + 1;
        self.starts.set(n);
        let stdout = self.root.join(format!("stdout-{n}.log"));
        let stderr = self.root.join(format!("stderr-{n}.log"));
        let mut cmd = self.command()?;
        cmd.arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("serve");
        if let Some(file) = &self.provision {
            cmd.arg("--provision").arg(file);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?)
            .spawn()?;
        let mut valet = Valet {
            child,
            issuer: self.issuer(),
            stdout,
            stderr,
            _deployment: self,
        };
        valet.wait_until_ready().await?;
        Ok(valet)
    }

    /// Runs `valet ARGS` as an operator would on this deployment (same issuer, data and database, same
    /// environment), and returns its output once it exits.
    pub fn cli(&self, args: &[&str]) -> TestResult<std::process::Output> {
        Ok(self.command()?.args(args).stdin(Stdio::null()).output()?)
    }

    /// `valet` with the deployment's global options and environment.
    fn command(&self) -> TestResult<Command> {
        let mut cmd = Command::new(valet_binary()?);
        cmd.arg("--issuer")
            .arg(self.issuer())
            .arg("--data-dir")
            .arg(self.root.join("data"));
        if let Some(db) = &self.postgres_db {
            cmd.arg("--database-url")
                .arg(format!("{}/{db}", postgres_base()));
        }
        // Settings from the caller's environment (a master key, an admin password…) would change what we test.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("VALET_") {
                cmd.env_remove(key);
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        Ok(cmd)
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        if let Some(db) = &self.postgres_db
            && let Err(e) = psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        {
            eprintln!("could not drop the test database {db}: {e}");
        }
        if std::thread::panicking() {
            eprintln!("keeping {} for inspection", self.root.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// A running `valet serve`; borrowing its deployment guarantees it dies before its database is dropped.
pub struct Valet<'d> {
    child: Child,
    pub issuer: String,
    stdout: PathBuf,
    stderr: PathBuf,
    _deployment: &'d Deployment,
}

impl Valet<'_> {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// Kills the process and returns what it printed on stdout.
    pub fn stop(mut self) -> TestResult<String> {
        self.kill();
        Ok(std::fs::read_to_string(&self.stdout)?)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn wait_until_ready(&mut self) -> TestResult {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()?;
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut last = String::from("no answer");
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Err(format!(
                    "valet exited ({status}) before it was ready:\n{}",
                    tail(&self.stderr)
                )
                .into());
            }
            match client.get(self.url("/readyz")).send().await {
                Ok(resp) if resp.status().is_success() => return Ok(()),
                Ok(resp) => {
                    last = format!(
                        "{}: {}",
                        resp.status(),
                        resp.text().await.unwrap_or_default()
                    )
                }
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err(format!(
            "valet not ready after {READY_TIMEOUT:?} (last: {last}):\n{}",
            tail(&self.stderr)
        )
        .into())
    }
}

impl Drop for Valet<'_> {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `VALET_BIN`, else `$CARGO_TARGET_DIR/debug/valet`, else `target/debug/valet` in the workspace.
fn valet_binary() -> TestResult<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates: Vec<PathBuf> = if let Some(bin) = std::env::var_os("VALET_BIN") {
        vec![PathBuf::from(bin)]
    } else {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(|dir| workspace.join(dir).join("debug/valet"))
            .into_iter()
            .chain([workspace.join("target/debug/valet")])
            .collect()
    };
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            format!(
                "the `valet` binary was not found (looked at {candidates:?}): build it first with \
             `cargo build -p valet-server`, or point VALET_BIN at it"
            )
            .into()
        })
}

fn postgres_admin() -> String {
    std::env::var("VALET_TEST_POSTGRES_URL").unwrap_or_else(|_| POSTGRES_ADMIN.to_owned())
}

/// The admin URL without its database, to name the per-test one instead.
fn postgres_base() -> String {
    let admin = postgres_admin();
    admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(base, _)| base)
        .to_owned()
}

fn psql(sql: &str) -> TestResult {
    let admin = postgres_admin();
    let out = Command::new("psql")
        .args([
            "--no-psqlrc",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-d",
            &admin,
            "-c",
            sql,
        ])
        .output()
        .map_err(|e| format!("cannot run psql (is PostgreSQL's client installed?): {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "psql `{sql}` failed on {admin} (is PostgreSQL running? \
         `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`): {}",
        String::from_utf8_lossy(&out.stderr).trim()
    )
    .into())
}

/// Unique enough for parallel tests and concurrent runs; hex only, so it is a valid SQL identifier part.
/// A port free at the time of the call, outside Linux's ephemeral range (32768 and up), where the
/// outgoing connections of parallel tests would take it before the server binds it (the port is kept
/// across restarts, so binding it once and passing the socket on is not an option).
fn free_port() -> TestResult<u16> {
    use std::hash::{BuildHasher, Hasher};
    for _ in 0..1000 {
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let port = 10_000 + u16::try_from(random % 22_000)?;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err("no free port between 10000 and 32000".into())
}

fn unique_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    format!("{:08x}{:016x}", std::process::id(), hasher.finish())
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}
