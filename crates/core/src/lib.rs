//! Valet's protocol rules and the storage ports they need.
//!
//! This crate knows OpenID Connect and OAuth 2.0 but neither the web framework nor the ORM: the server
//! crate calls it, the store crate implements its ports (`ports`). Time and randomness are injected
//! (`clock`, `random`) so every rule can be tested at a fixed instant.

pub mod account;
pub mod admin;
pub mod audit;
pub mod authorize;
pub mod claims;
pub mod client;
pub mod client_auth;
pub mod clock;
pub mod code;
pub mod decision;
pub mod discovery;
pub mod flow;
pub mod grant;
pub mod interaction;
pub mod issuer;
pub mod keys;
pub mod logout;
pub mod mfa;
pub mod oauth_error;
pub mod outbox;
pub mod params;
pub mod password;
pub mod password_policy;
pub mod ports;
pub mod provision;
pub mod random;
pub mod refresh;
pub mod revocation;
pub mod secret;
pub mod session;
pub mod throttle;
pub mod token;
pub mod user;
pub mod userinfo;

#[cfg(test)]
mod testing;
