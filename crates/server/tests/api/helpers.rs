//! `spawn_app`: a fresh database (SQLite file or a new PostgreSQL database) and a running server on
//! port 0. Every test gets its own, so tests need no order.

use std::path::PathBuf;

use clap::Parser;
use sea_orm::ConnectionTrait;
use valet_server::Application;
use valet_server::cli::Cli;
use valet_server::config::{Config, SecretEnv};
use valet_server::startup::StartupError;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the tests' PostgreSQL server is (the `postgres` maintenance database).
pub fn postgres_admin_url() -> String {
    std::env::var("VALET_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A scratch directory and database for one test.
pub struct TestEnv {
    pub dir: PathBuf,
    pub database_url: String,
}

impl TestEnv {
    pub async fn new(backend: Backend) -> Self {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let dir = std::env::temp_dir().join(format!("valet-test-{id}"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("temp dir: {e}"));
        let database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", dir.join("valet.db").display()),
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url}: {e}"));
                let name = format!("valet_test_{id}");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(base, _)| base)
                    .to_owned();
                format!("{base}/{name}")
            }
        };
        Self { dir, database_url }
    }

    /// Global arguments for this environment plus `extra`.
    pub fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--data-dir".into(),
            self.dir.display().to_string(),
            "--database-url".into(),
            self.database_url.clone(),
            "--log-level".into(),
            "warn".into(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    }

    pub fn config(&self, extra: &[&str], secrets: SecretEnv) -> Config {
        let mut argv = vec!["valet".to_owned()];
        argv.extend(self.args(extra));
        argv.push("serve".into());
        let cli = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{e}"));
        Config::load(&cli.global, secrets).unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn start(&self, extra: &[&str]) -> TestApp {
        self.start_with(extra, SecretEnv::default()).await
    }

    pub async fn start_with(&self, extra: &[&str], secrets: SecretEnv) -> TestApp {
        self.try_start(extra, secrets)
            .await
            .unwrap_or_else(|e| panic!("start: {e}"))
    }

    async fn try_start(&self, extra: &[&str], secrets: SecretEnv) -> Result<TestApp, StartupError> {
        let app = Application::build(self.config(extra, secrets), None, true).await?;
        let address = format!("http://{}", app.addr());
        let admin_created = app.admin.is_some();
        actix_web::rt::spawn(app.run_until_stopped());
        Ok(TestApp {
            address,
            admin_created,
            http: http_client(),
        })
    }
}

#[derive(Clone)]
pub struct TestApp {
    pub address: String,
    pub admin_created: bool,
    pub http: reqwest::Client,
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// An access token for `client` by the client credentials grant (HTTP Basic).
    pub async fn client_credentials(&self, client: &str, secret: &str) -> String {
        let response: serde_json::Value = self
            .http
            .post(format!("{}/token", self.address))
            .basic_auth(client, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .json()
            .await
            .unwrap_or_default();
        response["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{response}"))
            .to_owned()
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        json_of(path, self.get(path).await).await
    }

    /// `GET path` with `token` as the bearer token: a 200, and its JSON.
    pub async fn get_json_as(&self, path: &str, token: &str) -> serde_json::Value {
        let response = self
            .http
            .get(format!("{}{path}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        json_of(path, response).await
    }
}

/// The JSON of a 200 answer to `GET path`.
async fn json_of(path: &str, response: reqwest::Response) -> serde_json::Value {
    assert_eq!(response.status(), 200, "GET {path}");
    response
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

impl TestEnv {
    /// Starts on a port chosen up front so the issuer is the server's real address (the flow redirects
    /// to it), and applies `provision` first.
    pub async fn start_as_issuer(&self, provision: &str) -> TestApp {
        self.start_as_issuer_with(provision, &[]).await
    }

    /// Like `start_as_issuer`, with `extra` global arguments.
    pub async fn start_as_issuer_with(&self, provision: &str, extra: &[&str]) -> TestApp {
        let db = valet_store::Database::connect(&self.database_url, 2)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        db.migrate().await.unwrap_or_else(|e| panic!("{e}"));
        // The master key file the server will read, so secrets sealed here open there.
        let master =
            valet_server::startup::master_key(&self.config(extra, SecretEnv::default()), &db)
                .await
                .unwrap_or_else(|e| panic!("master key: {e}"));
        let sealer = valet_core::client::SecretSealer {
            master: &master,
            random: &valet_core::random::OsRandom,
        };
        valet_core::provision::apply(
            provision,
            &db,
            chrono::Utc::now(),
            valet_core::audit::Actor::provision(),
            Some(&sealer),
        )
        .await
        .unwrap_or_else(|e| panic!("provision: {e}"));
        // The port is free when chosen, but another test may bind it before the server does: then
        // another one is chosen.
        for _ in 0..10 {
            let port = free_port();
            let listen = format!("127.0.0.1:{port}");
            let issuer = format!("http://127.0.0.1:{port}");
            let mut args = vec!["--listen", listen.as_str(), "--issuer", issuer.as_str()];
            args.extend_from_slice(extra);
            match self.try_start(&args, SecretEnv::default()).await {
                Ok(app) => return app,
                Err(StartupError::Listen { source, .. })
                    if source.kind() == std::io::ErrorKind::AddrInUse => {}
                Err(e) => panic!("start: {e}"),
            }
        }
        panic!("start: no free port in 10 tries")
    }
}

/// A port free at the time of the call, outside Linux's ephemeral range (32768 and up), where the
/// outgoing connections of parallel tests would take it before a server binds it.
pub fn free_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    for _ in 0..1000 {
        let random = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let port = 10_000 + u16::try_from(random % 22_000).unwrap_or(0);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between 10000 and 32000")
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    TestEnv::new(backend).await.start(&[]).await
}

/// Declares one test per backend for an `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[actix_web::test] async fn $name() { super::$name($crate::helpers::Backend::Sqlite).await })+
        }
        mod postgres {
            $(#[actix_web::test] async fn $name() { super::$name($crate::helpers::Backend::Postgres).await })+
        }
    };
}

/// An HTTP client that never reuses a connection the server may be closing: actix closes idle
/// keep-alive connections after 5 s, so pooled ones are dropped after 2 s.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}
