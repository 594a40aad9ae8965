//! The authorization code flow across requests: `begin` (the authorization endpoint), `login` and
//! `consent` (the interaction pages). Each step re-validates the stored request, decides what comes next
//! (`crate::decision`) and either asks the user, issues a code, or answers the client with an error.

mod begin;
mod issue;
mod login;

pub use begin::{Flow, Progress, Step, begin, current_session, deny, flow_of, keep, resume};
pub use login::{check_password, find_account};

use chrono::{DateTime, Duration, Utc};

use crate::authorize::{AuthorizationResponse, AuthorizeError};
use crate::client::Client;
use crate::interaction::{Entry, Interaction};
use crate::issuer::Issuer;
use crate::keys::{KeyRing, MasterKey};
use crate::ports::OidcStore;
use crate::random::Random;
use crate::token::TokenPolicy;

/// What every step needs besides the request itself.
pub struct FlowContext<'a> {
    pub issuer: &'a Issuer,
    pub ring: &'a KeyRing,
    /// Seals the login pages' interactions into their handles.
    pub master: &'a MasterKey,
    pub store: &'a dyn OidcStore,
    pub policy: &'a TokenPolicy,
    pub random: &'a dyn Random,
    pub session_ttl: Duration,
    pub now: DateTime<Utc>,
}

/// What the browser gets next.
#[derive(Debug)]
pub enum Outcome {
    /// Show the user the interaction's page (login or consent). `entry` is set when this request
    /// started the interaction; `client` is the interaction's, for its page.
    Interact {
        interaction: Interaction,
        entry: Option<Entry>,
        client: Box<Client>,
    },
    /// Answer the client (a code, or an error it may receive).
    Respond(AuthorizationResponse),
    /// Show an error page: the client or its redirect URI cannot be trusted.
    Page(AuthorizeError),
}
