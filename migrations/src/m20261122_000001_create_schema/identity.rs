//! Who signs in and who asks: user accounts with their OIDC Core §5.1 claims, their roles, and the
//! registered clients (OIDC Dynamic Client Registration §2 metadata).

use ForeignKeyAction::Cascade;
use sea_orm_migration::{prelude::*, schema::*};

use super::TableSpec;
use super::ddl::{fk, flag, index, ts, ts_null, unique};

pub(super) fn users() -> TableSpec {
    const T: &str = "users";
    let mut create = Table::create();
    create
        .table(T)
        .col(pk_uuid("id"))
        .col(string("username"))
        .col(string_null("password_hash"))
        .col(flag("disabled", false));
    // OIDC Core §5.1 standard claims.
    for claim in [
        "name",
        "given_name",
        "family_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "email",
    ] {
        create.col(string_null(claim));
    }
    create.col(flag("email_verified", false));
    for claim in ["gender", "birthdate", "zoneinfo", "locale", "phone_number"] {
        create.col(string_null(claim));
    }
    create
        .col(flag("phone_number_verified", false))
        .col(json_null("address"))
        .col(ts("created_at"))
        .col(ts("updated_at"));
    TableSpec {
        name: T,
        create,
        indexes: vec![unique(T, &["username"]), index(T, &["email"])],
    }
}

pub(super) fn user_roles() -> TableSpec {
    const T: &str = "user_roles";
    TableSpec {
        name: T,
        create: Table::create()
            .table(T)
            .col(uuid("user_id"))
            .col(string("role"))
            .primary_key(Index::create().col("user_id").col("role"))
            .foreign_key(&mut fk(T, "user_id", "users", Cascade))
            .to_owned(),
        indexes: vec![index(T, &["role"])],
    }
}

pub(super) fn clients() -> TableSpec {
    const T: &str = "clients";
    TableSpec {
        name: T,
        create: Table::create()
            .table(T)
            .col(pk_uuid("id"))
            .col(string("client_id"))
            .col(string_null("secret_hash"))
            .col(string_null("previous_secret_hash"))
            .col(ts_null("previous_secret_expires_at"))
            .col(string("name"))
            .col(string_null("logo_uri"))
            .col(string_null("client_uri"))
            .col(string_null("policy_uri"))
            .col(string_null("tos_uri"))
            .col(json("contacts"))
            .col(string("application_type"))
            .col(json("redirect_uris"))
            .col(json("post_logout_redirect_uris"))
            .col(json("grant_types"))
            .col(json("response_types"))
            .col(json("scopes"))
            .col(string("token_endpoint_auth_method"))
            .col(string_null("token_endpoint_auth_signing_alg"))
            .col(json_null("jwks"))
            .col(string_null("jwks_uri"))
            .col(string("id_token_signed_response_alg"))
            .col(string_null("userinfo_signed_response_alg"))
            .col(string_null("request_object_signing_alg"))
            .col(string_null("access_token_signed_alg"))
            .col(string("subject_type"))
            .col(string_null("backchannel_logout_uri"))
            .col(flag("backchannel_logout_session_required", false))
            .col(string_null("frontchannel_logout_uri"))
            .col(flag("frontchannel_logout_session_required", false))
            .col(flag("first_party", false))
            .col(flag("require_pkce", true))
            .col(flag("always_issue_refresh_token", false))
            .col(big_integer_null("default_max_age"))
            .col(flag("require_auth_time", false))
            .col(json("default_acr_values"))
            .col(big_integer_null("code_ttl_secs"))
            .col(big_integer_null("access_token_ttl_secs"))
            .col(big_integer_null("id_token_ttl_secs"))
            .col(big_integer_null("refresh_token_ttl_secs"))
            .col(big_integer_null("refresh_token_idle_ttl_secs"))
            .col(flag("disabled", false))
            .col(ts("created_at"))
            .col(ts("updated_at"))
            .to_owned(),
        indexes: vec![unique(T, &["client_id"])],
    }
}
