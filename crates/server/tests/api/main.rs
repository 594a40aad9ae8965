//! Integration tests: the real application on a random port, on SQLite and on PostgreSQL.

mod account;
mod admin;
mod browser;
mod cli;
mod client_secret_jwt;
mod code_flow;
mod discovery;
mod helpers;
mod jwks;
mod logout;
mod malformed;
mod operations;
mod password_grant;
mod replicas;
mod secret_rotation;
mod startup;
mod throttle;
