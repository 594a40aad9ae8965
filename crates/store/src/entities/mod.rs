//! SeaORM entities, one per table of `valet-migrations`; only `store` sees them, core never does.

pub mod account_tokens;
pub mod audit_events;
pub mod authorization_codes;
pub mod clients;
pub mod grants;
pub mod interactions;
pub mod login_throttles;
pub mod outbox;
pub mod recovery_codes;
pub mod refresh_tokens;
pub mod revoked_access_tokens;
pub mod session_grants;
pub mod sessions;
pub mod signing_keys;
pub mod used_assertions;
pub mod user_roles;
pub mod users;
