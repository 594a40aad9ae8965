//! What the relying party tells its harness: one JSON object per line on stdout, numbered `n` from 1.
//!
//! With `--acks` the harness answers every line on stdin with `{"ack": n}` before the relying party
//! goes on, so what a test reads (its sign-ins, the requests in arrival order) is recorded before the
//! browser sees the page that follows. An answer may also carry `issuer` and `client_secret`: a test
//! knows them only after the relying party started (the provider is provisioned with the relying
//! party's URL; a client registered in the admin console gets its secret then).

use std::io::{BufRead, Write};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::relying_party::RelyingParty;

/// How long an event waits for its answer before the relying party goes on regardless.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Listening {
        url: String,
    },
    /// Every request, before it is served; `seq` counts requests only.
    Request {
        seq: u64,
        method: String,
        url: String,
    },
    /// The authorization response's parameters, as /callback received them.
    Callback {
        query: Map<String, Value>,
    },
    /// A completed sign-in: the token response, the verified ID token and its claims, userinfo.
    SignIn {
        id_token: String,
        id_claims: Value,
        userinfo: Value,
        tokens: Value,
    },
}

#[derive(Serialize)]
struct Line<'a> {
    n: u64,
    #[serde(flatten)]
    event: &'a Event,
}

/// What the harness said last (or the command line, before it said anything).
#[derive(Clone, Default)]
pub struct Settings {
    pub issuer: Option<String>,
    pub client_secret: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    ack: u64,
    issuer: Option<String>,
    client_secret: Option<String>,
}

#[derive(Clone, Default)]
struct Answered {
    up_to: u64,
    settings: Settings,
}

#[derive(Default)]
struct Counters {
    lines: u64,
    requests: u64,
}

pub struct Events {
    counters: Mutex<Counters>,
    answered: watch::Receiver<Answered>,
    acks: bool,
}

/// The number `record_request` gave this request (also sent on as `x-valet-rp-seq`).
#[derive(Clone, Copy)]
pub struct Seq(pub u64);

impl Events {
    pub fn new(issuer: Option<String>, client_secret: Option<String>, acks: bool) -> Self {
        let settings = Settings {
            issuer,
            client_secret,
        };
        let (tx, answered) = watch::channel(Answered { up_to: 0, settings });
        if acks {
            std::thread::spawn(move || read_answers(&tx));
        }
        Self {
            counters: Mutex::default(),
            answered,
            acks,
        }
    }

    pub fn settings(&self) -> Settings {
        self.answered.borrow().settings.clone()
    }

    pub async fn emit(&self, event: Event) {
        let n = self.write(|counters| {
            counters.lines += 1;
            (counters.lines, event)
        });
        self.wait_for_answer(n).await;
    }

    /// Emits the `request` event; returns its `seq`.
    async fn request(&self, method: String, url: String) -> u64 {
        let mut seq = 0;
        let n = self.write(|counters| {
            counters.lines += 1;
            counters.requests += 1;
            seq = counters.requests;
            (counters.lines, Event::Request { seq, method, url })
        });
        self.wait_for_answer(n).await;
        seq
    }

    /// Numbers and writes one line under the lock, so the numbers on stdout only ever go up.
    fn write(&self, number: impl FnOnce(&mut Counters) -> (u64, Event)) -> u64 {
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let (n, event) = number(&mut counters);
        let written = serde_json::to_string(&Line { n, event: &event })
            .map_err(std::io::Error::other)
            .and_then(|line| {
                let mut stdout = std::io::stdout().lock();
                writeln!(stdout, "{line}")?;
                stdout.flush()
            });
        if let Err(err) = written {
            eprintln!("valet-e2e-rp: event {n} not written: {err}");
        }
        n
    }

    async fn wait_for_answer(&self, n: u64) {
        if !self.acks {
            return;
        }
        let mut answered = self.answered.clone();
        let waited = tokio::time::timeout(ACK_TIMEOUT, answered.wait_for(|a| a.up_to >= n)).await;
        if waited.is_err() {
            eprintln!("valet-e2e-rp: no answer to event {n} within {ACK_TIMEOUT:?}; going on");
        }
    }
}

/// The harness's answers, one JSON object a line; when stdin closes the harness is gone, and so is
/// the relying party.
fn read_answers(tx: &watch::Sender<Answered>) {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        match serde_json::from_str::<Answer>(&line) {
            Ok(answer) => tx.send_modify(|answered| {
                answered.up_to = answered.up_to.max(answer.ack);
                if answer.issuer.is_some() {
                    answered.settings.issuer = answer.issuer;
                }
                if answer.client_secret.is_some() {
                    answered.settings.client_secret = answer.client_secret;
                }
            }),
            Err(err) => eprintln!("valet-e2e-rp: unreadable answer on stdin: {err}"),
        }
    }
    std::process::exit(0);
}

/// Middleware: every request becomes a `request` event before it is served.
pub async fn record_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(rp) = req.app_data::<web::Data<RelyingParty>>().cloned() {
        let url = format!("{}{}", rp.config.base, req.uri());
        let seq = rp.events.request(req.method().to_string(), url).await;
        req.extensions_mut().insert(Seq(seq));
    }
    next.call(req).await
}
