//! Form bodies several pages post: a bare CSRF token (a button), and a CSRF token with a
//! one-time code (the sign-in's second step, setting up an authenticator app).

use serde::Deserialize;

#[derive(Deserialize)]
pub struct CsrfForm {
    pub(crate) csrf: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    pub(crate) csrf: String,
    pub(crate) code: String,
}
