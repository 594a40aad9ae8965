//! Valet's admin console: a client-side Leptos app compiled to WebAssembly, served by the server at
//! `{issuer}/admin/` and talking to the admin API (`{issuer}/admin/api/v1`) with a bearer token it
//! obtains as the public OAuth client `valet-console` (authorization code + PKCE S256, RFC 7636;
//! rotating refresh tokens, RFC 9700 §4.14).
//!
//! The rules that can be tested without a browser (PKCE, URLs, cursors, the dry-run sentence, form
//! errors) are plain functions in the modules below, built and tested natively; the views and the
//! browser glue only build for wasm32.

pub mod api;
pub mod auth;
pub mod format;
pub mod forms;
pub mod paging;
pub mod revocation;
pub mod url;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod pages;

/// The module's entry point, called by `boot.js` through wasm-bindgen's `init()`.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    app::start();
}
