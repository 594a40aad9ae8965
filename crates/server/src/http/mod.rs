//! HTTP handlers, one file per endpoint, and the request middleware.

pub mod health;
pub mod jwks;
pub mod telemetry;
pub mod well_known;
