//! `valet-e2e-rp`: a relying party built on the `openidconnect` crate, for the browser tests in
//! `e2e/browser` (and for trying Valet by hand). The authorization code flow of OIDC Core §3.1 with
//! PKCE (RFC 7636, S256) and client_secret_basic (RFC 6749 §2.3.1), the authorization response's
//! `iss` (RFC 9207), ID token validation (OIDC Core §3.1.3.7), userinfo (§5.3) and the refresh-token
//! grant (RFC 6749 §6).
//!
//! It listens on 127.0.0.1 and prints, as every event, one JSON line on stdout (`events.rs`); the first
//! is `{"n":1,"event":"listening","url":"http://127.0.0.1:PORT"}`. The whole HTTP surface is the
//! table in `main`: `/start`, `/callback`, `/refresh`, and every other path goes to `--forward` (the
//! harness's own endpoints, such as the logout receivers) or is a 404.

mod callback;
mod events;
mod forward;
mod page;
mod refresh;
mod relying_party;
mod start;

use std::net::{SocketAddr, TcpListener};

use actix_web::{App, HttpServer, middleware, web};
use clap::Parser;
use url::Url;

use crate::events::{Event, Events};
use crate::relying_party::{Config, RelyingParty};

#[derive(Parser)]
#[command(about = "A relying party (openidconnect crate) that signs in at an OpenID provider")]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// The provider's issuer. With --acks the harness may give it (or a new one) later.
    #[arg(long)]
    issuer: Option<String>,
    #[arg(long)]
    client_id: String,
    /// The client secret (client_secret_basic). With --acks the harness may give it later.
    #[arg(long, env = "VALET_E2E_RP_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// The scope /start asks for, space-separated (`openid` is always part of it).
    #[arg(long, default_value = "openid")]
    scope: String,
    /// Where requests for paths this relying party does not serve go (header `x-valet-rp-seq` added).
    #[arg(long)]
    forward: Option<Url>,
    /// After each event, wait for the harness's answer line on stdin (and exit when stdin closes).
    #[arg(long)]
    acks: bool,
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind(args.listen)?;
    let base = format!("http://{}", listener.local_addr()?);
    let events = Events::new(args.issuer, args.client_secret, args.acks);
    let config = Config::new(&base, args.client_id, &args.scope, args.forward)
        .map_err(std::io::Error::other)?;
    let rp = web::Data::new(RelyingParty::new(config, events).map_err(std::io::Error::other)?);

    let server = HttpServer::new({
        let rp = rp.clone();
        move || {
            App::new()
                .app_data(rp.clone())
                .wrap(middleware::from_fn(events::record_request))
                .route("/start", web::get().to(start::start))
                .route("/callback", web::get().to(callback::callback))
                .route("/refresh", web::get().to(refresh::refresh))
                .default_service(web::to(forward::forward))
        }
    })
    .workers(1)
    .listen(listener)?
    .run();
    rp.events.emit(Event::Listening { url: base }).await;
    server.await
}
