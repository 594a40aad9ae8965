//! HTTP handlers, one file per endpoint, and the request middleware.

pub mod authorize;
pub mod client_auth;
pub mod client_request;
pub mod cookies;
pub mod health;
pub mod interaction;
pub mod jwks;
pub mod lifecycle;
pub mod outcome;
pub mod telemetry;
pub mod token;
pub mod userinfo;
pub mod well_known;
