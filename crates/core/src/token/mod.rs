//! What the token endpoint mints: ID tokens (OIDC Core §2), JWT access tokens (RFC 9068), refresh
//! tokens, and their lifetimes (the token policy); one file per grant type.

mod access_token;
mod authorization_code;
mod client_credentials;
mod error;
mod id_token;
mod lifecycle;
mod mint;
mod password;
mod policy;
mod refresh_token;
mod user_tokens;

pub use access_token::{ACCESS_TOKEN_TYP, AccessTokenClaims};
pub use authorization_code::exchange_code;
pub use client_credentials::client_credentials;
pub use error::TokenError;
pub use id_token::{IdTokenClaims, token_hash};
pub use lifecycle::{introspect, revoke};
pub use mint::{Minter, TokenResponse};
pub use password::password_grant;
pub use policy::{Lifetimes, TokenPolicy};
pub use refresh_token::refresh;
