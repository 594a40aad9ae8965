//! The listening SMTP server (RFC 5321 §4.3.1: one session per TCP connection) and its handle.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::BufReader;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::auth::{AuthMechanism, Credentials};
use crate::inbox::Inbox;
use crate::received::Received;
use crate::session::{self, Config};

const DEFAULT_MAX_SIZE: usize = 10 * 1024 * 1024;

/// A running sink; dropping it stops the server and closes its connections.
pub struct MailSink {
    addr: SocketAddr,
    inbox: Arc<Inbox>,
    server: JoinHandle<()>,
}

/// How to start a [`MailSink`]; see [`MailSink::builder`].
#[derive(Clone)]
pub struct MailSinkBuilder {
    listen: SocketAddr,
    credentials: Option<Credentials>,
    mechanisms: Vec<AuthMechanism>,
    max_size: usize,
    dir: Option<PathBuf>,
}

impl MailSink {
    /// Starts a sink on `127.0.0.1:0` that accepts mail without authentication.
    pub async fn start() -> io::Result<MailSink> {
        Self::builder().start().await
    }

    pub fn builder() -> MailSinkBuilder {
        MailSinkBuilder {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            credentials: None,
            mechanisms: vec![AuthMechanism::Plain, AuthMechanism::Login],
            max_size: DEFAULT_MAX_SIZE,
            dir: None,
        }
    }

    /// A builder for a sink that refuses mail until the client authenticates as `user`/`pass`.
    pub fn with_auth(user: impl Into<String>, pass: impl Into<String>) -> MailSinkBuilder {
        Self::builder().auth(user, pass)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A transport URL for this sink: plain SMTP, no TLS (`smtp://127.0.0.1:PORT?tls=none`).
    pub fn url(&self) -> String {
        format!("smtp://{}?tls=none", self.addr)
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        self.inbox.messages()
    }

    /// The oldest message for `to` that no earlier call returned, waiting up to `timeout` for it.
    pub async fn wait_for(&self, to: &str, timeout: Duration) -> Option<Received> {
        self.inbox.wait_for(to, timeout).await
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl MailSinkBuilder {
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    pub fn auth(mut self, user: impl Into<String>, pass: impl Into<String>) -> Self {
        self.credentials = Some(Credentials {
            user: user.into(),
            pass: pass.into(),
        });
        self
    }

    /// The SASL mechanisms offered when authentication is required (default: PLAIN and LOGIN).
    pub fn mechanisms(mut self, mechanisms: &[AuthMechanism]) -> Self {
        self.mechanisms = mechanisms.to_vec();
        self
    }

    /// Largest accepted message in bytes, advertised as `SIZE` (default 10 MiB).
    pub fn max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// Also write each message into `dir`, once per recipient: `<n>-<recipient>.eml` as received
    /// and `<n>-<recipient>.json` decoded (`from`, `to`, `raw`, `subject`, `text`, `html`), so a
    /// harness without a MIME parser can read the links. `n` counts messages from 1.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    pub async fn start(self) -> io::Result<MailSink> {
        if let Some(dir) = &self.dir {
            tokio::fs::create_dir_all(dir).await?;
        }
        let listener = TcpListener::bind(self.listen).await?;
        let addr = listener.local_addr()?;
        let inbox = Arc::new(Inbox::new(self.dir));
        let config = Arc::new(Config {
            credentials: self.credentials,
            mechanisms: self.mechanisms,
            max_size: self.max_size,
        });
        let server = tokio::spawn(accept_loop(listener, config, inbox.clone()));
        Ok(MailSink {
            addr,
            inbox,
            server,
        })
    }
}

async fn accept_loop(listener: TcpListener, config: Arc<Config>, inbox: Arc<Inbox>) {
    // Owned here so that aborting this task also ends every open session.
    let mut sessions = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        while sessions.try_join_next().is_some() {}
        let (config, inbox) = (config.clone(), inbox.clone());
        sessions.spawn(async move {
            let (reader, writer) = stream.into_split();
            // A broken session only ends itself; the client sees the closed connection.
            let _ = session::serve(BufReader::new(reader), writer, &config, &inbox).await;
        });
    }
}
