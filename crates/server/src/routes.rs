//! The whole HTTP surface on one screen. Protocol endpoints live below the issuer's path; RFC 8414
//! metadata also answers at the well-known location with the issuer path appended (RFC 8414 §3.1).

use actix_web::http::header;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::web::{self, ServiceConfig};

use crate::account::{activity, entry, mfa, recovery, register, security};
use crate::http::{
    authorize, enrolment, health, interaction, jwks, lifecycle, logout, second_factor, telemetry,
    token, userinfo, well_known,
};
use crate::{admin, console};

pub fn configure(cfg: &mut ServiceConfig, issuer_path: &str, https: bool) {
    let mut headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ));
    if https {
        headers = headers.add((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ));
    }
    cfg.service(
        web::scope("")
            .wrap(headers)
            .wrap(from_fn(telemetry::trace_requests))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route(
                &format!("/.well-known/oauth-authorization-server{issuer_path}"),
                web::get().to(well_known::openid_configuration),
            )
            .service(
                web::scope(issuer_path)
                    .route(
                        "/.well-known/openid-configuration",
                        web::get().to(well_known::openid_configuration),
                    )
                    .route("/jwks", web::get().to(jwks::jwks))
                    .route("/authorize", web::get().to(authorize::authorize))
                    .route("/authorize", web::post().to(authorize::authorize))
                    .route("/interaction/{handle}", web::get().to(interaction::show))
                    .route(
                        "/interaction/{handle}/login",
                        web::post().to(interaction::login),
                    )
                    .route(
                        "/interaction/{handle}/second-factor",
                        web::post().to(second_factor::second_factor),
                    )
                    .route(
                        "/interaction/{handle}/enrol",
                        web::post().to(enrolment::confirm),
                    )
                    .route(
                        "/interaction/{handle}/continue",
                        web::post().to(enrolment::proceed),
                    )
                    .route(
                        "/interaction/{handle}/consent",
                        web::post().to(interaction::consent),
                    )
                    .route("/account", web::get().to(entry::overview))
                    .route("/account/callback", web::get().to(entry::callback))
                    .route("/account/profile", web::post().to(security::profile))
                    .route(
                        "/account/email/verify",
                        web::post().to(security::request_verification),
                    )
                    .route("/account/password", web::post().to(security::password))
                    .route("/account/mfa/setup", web::post().to(mfa::setup))
                    .route("/account/mfa/confirm", web::post().to(mfa::confirm))
                    .route(
                        "/account/mfa/recovery-codes",
                        web::post().to(mfa::regenerate),
                    )
                    .route("/account/mfa/remove", web::post().to(mfa::remove))
                    .route(
                        "/account/sessions/{id}/end",
                        web::post().to(activity::end_session),
                    )
                    .route(
                        "/account/sessions/end-others",
                        web::post().to(activity::end_others),
                    )
                    .route(
                        "/account/apps/{grant}/revoke",
                        web::post().to(activity::revoke_app),
                    )
                    .route("/account/forgot", web::get().to(recovery::forgot_page))
                    .route("/account/forgot", web::post().to(recovery::forgot))
                    .route(
                        "/account/reset/{token}",
                        web::get().to(recovery::reset_page),
                    )
                    .route("/account/reset/{token}", web::post().to(recovery::reset))
                    .route(
                        "/account/verify/{token}",
                        web::get().to(recovery::verify_page),
                    )
                    .route("/account/verify/{token}", web::post().to(recovery::verify))
                    .route("/account/register", web::get().to(register::register_page))
                    .route("/account/register", web::post().to(register::register))
                    .route(
                        "/account/activate/{token}",
                        web::get().to(register::activate_page),
                    )
                    .route(
                        "/account/activate/{token}",
                        web::post().to(register::activate),
                    )
                    .route("/logout", web::get().to(logout::end_session))
                    .route("/logout", web::post().to(logout::end_session))
                    .route("/logout/confirm", web::post().to(logout::confirm))
                    .route("/token", web::post().to(token::token))
                    .route("/revoke", web::post().to(lifecycle::revoke))
                    .route("/introspect", web::post().to(lifecycle::introspect))
                    .route("/userinfo", web::get().to(userinfo::userinfo))
                    .route("/userinfo", web::post().to(userinfo::userinfo))
                    .service(web::scope(valet_admin_api::BASE_PATH).configure(admin::configure))
                    // The console after its API, so that `/admin/api/…` never reaches it.
                    .route("/admin", web::get().to(console::redirect_to_console))
                    .route("/admin/{tail:.*}", web::get().to(console::serve)),
            ),
    );
}
