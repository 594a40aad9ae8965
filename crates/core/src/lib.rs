//! Valet's protocol rules and the storage ports they need.
//!
//! This crate knows OpenID Connect and OAuth 2.0 but neither the web framework nor the ORM: the server
//! crate calls it, the store crate implements its ports (`ports`). Time and randomness are injected
//! (`clock`, `random`) so every rule can be tested at a fixed instant.

pub mod audit;
pub mod client;
pub mod clock;
pub mod discovery;
pub mod issuer;
pub mod keys;
pub mod oauth_error;
pub mod params;
pub mod password;
pub mod ports;
pub mod provision;
pub mod random;
pub mod secret;
pub mod user;

#[cfg(test)]
mod testing;
