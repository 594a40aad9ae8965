//! How the console signs in: it is the public client `valet-console` of its own issuer, using the
//! authorization code flow with PKCE S256 (RFC 7636) and rotating refresh tokens (RFC 9700 §4.14).
//! The messages are built and read here; `session` (wasm only) holds the tokens and talks HTTP.

pub mod flow;
pub mod pkce;
#[cfg(target_arch = "wasm32")]
pub mod session;

/// The console's OAuth client, provisioned by the server.
pub const CLIENT_ID: &str = "valet-console";
