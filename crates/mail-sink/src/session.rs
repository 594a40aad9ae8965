//! One SMTP session, the server side of RFC 5321 §3 and §4.1: greeting, EHLO/HELO, optional AUTH
//! (RFC 4954), mail transactions, RSET, NOOP and QUIT. STARTTLS (RFC 3207) is never offered.

use std::io;

use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::auth::{self, AuthMechanism, Credentials, Outcome};
use crate::command::{self, Command};
use crate::data::{self, Body};
use crate::inbox::Inbox;
use crate::io::{Io, Line};

/// Longer than RFC 5321's 512 octets (§4.5.3.1.4) to tolerate long AUTH initial responses.
const COMMAND_LINE_LIMIT: usize = 4096;
/// RFC 5321 §4.5.3.1.8 requires at least 100.
const MAX_RECIPIENTS: usize = 100;

pub(crate) struct Config {
    pub(crate) credentials: Option<Credentials>,
    pub(crate) mechanisms: Vec<AuthMechanism>,
    pub(crate) max_size: usize,
}

#[derive(Default)]
struct State {
    greeted: bool,
    extended: bool,
    authenticated: bool,
    from: Option<String>,
    to: Vec<String>,
}

impl State {
    fn reset_transaction(&mut self) {
        self.from = None;
        self.to.clear();
    }
}

pub(crate) async fn serve<R, W>(
    reader: R,
    writer: W,
    config: &Config,
    inbox: &Inbox,
) -> io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut io = Io::new(reader, writer);
    io.reply(220, "valet-mail-sink ESMTP ready").await?;
    let mut state = State::default();
    loop {
        let line = match io.read_line(COMMAND_LINE_LIMIT).await? {
            Line::Eof => return Ok(()),
            Line::TooLong => {
                io.reply(500, "5.5.6 Line too long").await?;
                continue;
            }
            Line::Text(line) => line,
        };
        match command::parse(&line) {
            Command::Quit => return io.reply(221, "2.0.0 Bye").await,
            Command::Ehlo(domain) => {
                state.reset_transaction();
                (state.greeted, state.extended) = (true, true);
                io.reply_lines(250, &ehlo_lines(&domain, config)).await?;
            }
            Command::Helo(domain) => {
                state.reset_transaction();
                (state.greeted, state.extended) = (true, false);
                io.reply(250, &format!("valet-mail-sink greets {domain}"))
                    .await?;
            }
            Command::Auth { mechanism, initial } => {
                auth(&mut io, &mut state, config, &mechanism, initial).await?
            }
            Command::Mail { from, size } => mail(&mut io, &mut state, config, from, size).await?,
            Command::Rcpt(to) => rcpt(&mut io, &mut state, to).await?,
            Command::Data => data(&mut io, &mut state, config, inbox).await?,
            Command::Rset => {
                state.reset_transaction();
                io.reply(250, "2.0.0 OK").await?;
            }
            Command::Noop => io.reply(250, "2.0.0 OK").await?,
            Command::NotImplemented => io.reply(502, "5.5.1 Command not implemented").await?,
            Command::Syntax(why) => io.reply(501, &format!("5.5.4 {why}")).await?,
            Command::Unknown => io.reply(500, "5.5.2 Command unrecognized").await?,
        }
    }
}

fn ehlo_lines(domain: &str, config: &Config) -> Vec<String> {
    let mut lines = vec![
        format!("valet-mail-sink greets {domain}"),
        "8BITMIME".to_owned(),
        "SMTPUTF8".to_owned(),
        format!("SIZE {}", config.max_size),
    ];
    if config.credentials.is_some() && !config.mechanisms.is_empty() {
        let names: Vec<&str> = config.mechanisms.iter().map(|m| m.as_str()).collect();
        lines.push(format!("AUTH {}", names.join(" ")));
    }
    lines
}

async fn auth<R, W>(
    io: &mut Io<R, W>,
    state: &mut State,
    config: &Config,
    mechanism: &str,
    initial: Option<String>,
) -> io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let Some(expected) = &config.credentials else {
        return io.reply(502, "5.5.1 AUTH not offered").await;
    };
    if !state.extended {
        return io.reply(503, "5.5.1 Send EHLO first").await;
    }
    if state.authenticated {
        return io.reply(503, "5.5.1 Already authenticated").await;
    }
    if state.from.is_some() {
        return io
            .reply(503, "5.5.1 AUTH not allowed during a mail transaction")
            .await;
    }
    let Some(mechanism) = config
        .mechanisms
        .iter()
        .copied()
        .find(|m| m.as_str() == mechanism)
    else {
        return io
            .reply(504, "5.5.4 Unrecognized authentication mechanism")
            .await;
    };
    match auth::authenticate(io, expected, mechanism, initial).await? {
        Outcome::Accepted => {
            state.authenticated = true;
            io.reply(235, "2.7.0 Authentication successful").await
        }
        Outcome::Rejected => {
            io.reply(535, "5.7.8 Authentication credentials invalid")
                .await
        }
        Outcome::Cancelled => io.reply(501, "5.0.0 Authentication cancelled").await,
        Outcome::Malformed => io.reply(501, "5.5.2 Cannot decode response").await,
    }
}

async fn mail<R, W>(
    io: &mut Io<R, W>,
    state: &mut State,
    config: &Config,
    from: String,
    size: Option<usize>,
) -> io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    if !state.greeted {
        return io.reply(503, "5.5.1 Send EHLO or HELO first").await;
    }
    if config.credentials.is_some() && !state.authenticated {
        return io.reply(530, "5.7.0 Authentication required").await;
    }
    if state.from.is_some() {
        return io.reply(503, "5.5.1 Nested MAIL command").await;
    }
    if size.is_some_and(|size| size > config.max_size) {
        return io
            .reply(552, "5.3.4 Message size exceeds fixed maximum message size")
            .await;
    }
    state.from = Some(from);
    io.reply(250, "2.1.0 OK").await
}

async fn rcpt<R, W>(io: &mut Io<R, W>, state: &mut State, to: String) -> io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    if state.from.is_none() {
        return io.reply(503, "5.5.1 Need MAIL before RCPT").await;
    }
    if state.to.len() >= MAX_RECIPIENTS {
        return io.reply(452, "4.5.3 Too many recipients").await;
    }
    state.to.push(to);
    io.reply(250, "2.1.5 OK").await
}

async fn data<R, W>(
    io: &mut Io<R, W>,
    state: &mut State,
    config: &Config,
    inbox: &Inbox,
) -> io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    if state.from.is_none() || state.to.is_empty() {
        return io.reply(503, "5.5.1 Need MAIL and RCPT before DATA").await;
    }
    io.reply(354, "Start mail input; end with <CRLF>.<CRLF>")
        .await?;
    let body = data::read_body(io, config.max_size).await?;
    let from = state.from.take().unwrap_or_default();
    let to = std::mem::take(&mut state.to);
    match body {
        Body::TooLarge => io.reply(552, "5.3.4 Message too big").await,
        Body::Complete(raw) => match inbox.deliver(from, to, raw).await {
            Ok(number) => io.reply(250, &format!("2.0.0 OK queued as {number}")).await,
            Err(_) => io.reply(451, "4.3.0 Could not store the message").await,
        },
    }
}
