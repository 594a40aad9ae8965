//! Initial schema: accounts, clients (OIDC Dynamic Client Registration §2 metadata), SSO sessions,
//! grants, authorization codes, refresh tokens, revoked access tokens, signing keys, audit log, outbox.
//!
//! Portable between SQLite and PostgreSQL: ids are application-generated UUIDv7 (no database default),
//! timestamps are UTC `timestamp with time zone`, secrets appear only as hashes or ciphertext.

use ForeignKeyAction::{Cascade, SetNull};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for spec in tables() {
            manager.create_table(spec.create).await?;
            for index in spec.indexes {
                manager.create_index(index).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Reverse creation order: children go before the tables their foreign keys point at.
        for spec in tables().into_iter().rev() {
            manager
                .drop_table(Table::drop().table(spec.name).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// One table with its secondary indexes; `tables()` is the single source of the creation order.
struct TableSpec {
    name: &'static str,
    create: TableCreateStatement,
    indexes: Vec<IndexCreateStatement>,
}

fn tables() -> Vec<TableSpec> {
    vec![
        users(),
        user_roles(),
        clients(),
        sessions(),
        grants(),
        session_grants(),
        interactions(),
        authorization_codes(),
        refresh_tokens(),
        revoked_access_tokens(),
        signing_keys(),
        audit_events(),
        outbox(),
    ]
}

fn users() -> TableSpec {
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

fn user_roles() -> TableSpec {
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

fn clients() -> TableSpec {
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

fn sessions() -> TableSpec {
    const T: &str = "sessions";
    TableSpec {
        name: T,
        create: Table::create()
            .table(T)
            .col(pk_uuid("id"))
            .col(string("token_hash"))
            .col(uuid("user_id"))
            .col(ts("auth_time"))
            .col(json("amr"))
            .col(string_null("acr"))
            .col(string_null("ip"))
            .col(string_null("user_agent"))
            .col(ts("created_at"))
            .col(ts("last_seen_at"))
            .col(ts("expires_at"))
            .col(ts_null("ended_at"))
            .col(string_null("end_reason"))
            .foreign_key(&mut fk(T, "user_id", "users", Cascade))
            .to_owned(),
        indexes: vec![
            unique(T, &["token_hash"]),
            index(T, &["user_id"]),
            index(T, &["expires_at"]),
        ],
    }
}

fn grants() -> TableSpec {
    const T: &str = "grants";
    TableSpec {
        name: T,
        create: Table::create()
            .table(T)
            .col(pk_uuid("id"))
            .col(uuid("user_id"))
            .col(uuid("client_id"))
            .col(json("scopes"))
            .col(json_null("claims"))
            .col(ts("created_at"))
            .col(ts_null("last_used_at"))
            .col(ts_null("revoked_at"))
            .col(string_null("revoked_by"))
            .col(string_null("revoke_reason"))
            .foreign_key(&mut fk(T, "user_id", "users", Cascade))
            .foreign_key(&mut fk(T, "client_id", "clients", Cascade))
            .to_owned(),
        indexes: vec![
            index(T, &["user_id", "client_id"]),
            index(T, &["client_id"]),
        ],
    }
}

fn session_grants() -> TableSpec {
    const T: &str = "session_grants";
    TableSpec {
        name: T,
        create: Table::create()
            .table(T)
            .col(uuid("session_id"))
            .col(uuid("grant_id"))
            .col(ts("created_at"))
            .primary_key(Index::create().col("session_id").col("grant_id"))
            .foreign_key(&mut fk(T, "session_id", "sessions", Cascade))
            .foreign_key(&mut fk(T, "grant_id", "grants", Cascade))
            .to_owned(),
        indexes: vec![index(T, &["grant_id"])],
    }
}

fn interactions() -> TableSpec {
    const T: &str = "interactions";
    TableSpec {
        name: T,
        create: Table::create()
            .table(T)
            .col(pk_uuid("id"))
            .col(string("handle_hash"))
            .col(uuid("client_id"))
            .col(json("request"))
            .col(uuid_null("session_id"))
            .col(uuid_null("user_id"))
            .col(string("stage"))
            .col(ts("created_at"))
            .col(ts("expires_at"))
            .foreign_key(&mut fk(T, "client_id", "clients", Cascade))
            .foreign_key(&mut fk(T, "session_id", "sessions", SetNull))
            .foreign_key(&mut fk(T, "user_id", "users", Cascade))
            .to_owned(),
        indexes: vec![unique(T, &["handle_hash"]), index(T, &["expires_at"])],
    }
}

fn authorization_codes() -> TableSpec {
    const T: &str = "authorization_codes";
    TableSpec {
        name: T,
        create: Table::create()
            .table(T)
            .col(pk_uuid("id"))
            .col(string("code_hash"))
            .col(uuid("grant_id"))
            .col(uuid("client_id"))
            .col(uuid("user_id"))
            .col(uuid_null("session_id"))
            .col(string("redirect_uri"))
            .col(string_null("code_challenge"))
            .col(string_null("code_challenge_method"))
            .col(string_null("nonce"))
            .col(json("scopes"))
            .col(json_null("claims"))
            .col(ts("auth_time"))
            .col(json("amr"))
            .col(string_null("acr"))
            .col(ts("created_at"))
            .col(ts("expires_at"))
            .col(ts_null("consumed_at"))
            .foreign_key(&mut fk(T, "grant_id", "grants", Cascade))
            .foreign_key(&mut fk(T, "client_id", "clients", Cascade))
            .foreign_key(&mut fk(T, "user_id", "users", Cascade))
            .foreign_key(&mut fk(T, "session_id", "sessions", SetNull))
            .to_owned(),
        indexes: vec![
            unique(T, &["code_hash"]),
            index(T, &["grant_id"]),
            index(T, &["expires_at"]),
        ],
    }
}

fn refresh_tokens() -> TableSpec {
    const T: &str = "refresh_tokens";
    TableSpec {
        name: T,
        create: Table::create()
            .table(T)
            .col(pk_uuid("id"))
            .col(string("token_hash"))
            .col(uuid("chain_id"))
            // No foreign key: the parent may already be purged while the chain lives on.
            .col(uuid_null("parent_id"))
            .col(uuid("grant_id"))
            .col(uuid("client_id"))
            .col(uuid("user_id"))
            .col(uuid_null("session_id"))
            .col(json("scopes"))
            .col(ts("auth_time"))
            .col(ts("created_at"))
            .col(ts("expires_at"))
            .col(ts_null("idle_expires_at"))
            .col(ts_null("rotated_at"))
            .col(ts_null("revoked_at"))
            .foreign_key(&mut fk(T, "grant_id", "grants", Cascade))
            .foreign_key(&mut fk(T, "client_id", "clients", Cascade))
            .foreign_key(&mut fk(T, "user_id", "users", Cascade))
            .foreign_key(&mut fk(T, "session_id", "sessions", SetNull))
            .to_owned(),
        indexes: vec![
            unique(T, &["token_hash"]),
            index(T, &["chain_id"]),
            index(T, &["grant_id"]),
            index(T, &["session_id"]),
            index(T, &["user_id"]),
        ],
    }
}

fn revoked_access_tokens() -> TableSpec {
    const T: &str = "revoked_access_tokens";
    TableSpec {
        name: T,
        create: Table::create()
            .table(T)
            .col(string("jti").primary_key())
            // No foreign key: the denylist entry must outlive its grant until the token expires.
            .col(uuid_null("grant_id"))
            .col(ts("revoked_at"))
            .col(ts("expires_at"))
            .to_owned(),
        indexes: vec![index(T, &["expires_at"])],
    }
}

fn signing_keys() -> TableSpec {
    const T: &str = "signing_keys";
    TableSpec {
        name: T,
        create: Table::create()
            .table(T)
            .col(pk_uuid("id"))
            .col(string("kid"))
            .col(string("alg"))
            .col(json("public_jwk"))
            // `blob` is BLOB on SQLite and BYTEA on PostgreSQL; `binary` would be a fixed `blob(1)`.
            .col(blob("private_key_ciphertext"))
            .col(blob("private_key_nonce"))
            .col(ts("created_at"))
            .col(ts("activates_at"))
            .col(ts("retires_at"))
            .col(ts("expires_at"))
            .to_owned(),
        indexes: vec![
            unique(T, &["kid"]),
            index(T, &["alg", "activates_at"]),
            index(T, &["expires_at"]),
        ],
    }
}

fn audit_events() -> TableSpec {
    const T: &str = "audit_events";
    TableSpec {
        name: T,
        create: Table::create()
            .table(T)
            .col(pk_uuid("id"))
            .col(ts("occurred_at"))
            .col(string("actor"))
            .col(string("action"))
            .col(string_null("target_type"))
            .col(string_null("target_id"))
            .col(string_null("ip"))
            .col(json("details"))
            .to_owned(),
        indexes: vec![
            index(T, &["occurred_at"]),
            index(T, &["actor", "occurred_at"]),
            index(T, &["target_type", "target_id"]),
            index(T, &["action", "occurred_at"]),
        ],
    }
}

fn outbox() -> TableSpec {
    const T: &str = "outbox";
    TableSpec {
        name: T,
        create: Table::create()
            .table(T)
            .col(pk_uuid("id"))
            .col(string("kind"))
            .col(uuid_null("client_id"))
            .col(string("target"))
            .col(text("payload"))
            .col(string("status"))
            .col(integer("attempts").default(0))
            .col(ts("next_attempt_at"))
            .col(text_null("last_error"))
            .col(ts("created_at"))
            .col(ts_null("delivered_at"))
            .foreign_key(&mut fk(T, "client_id", "clients", SetNull))
            .to_owned(),
        indexes: vec![
            index(T, &["status", "next_attempt_at"]),
            index(T, &["client_id"]),
        ],
    }
}

/// A UTC instant (`timestamp with time zone`), required.
fn ts(col: &'static str) -> ColumnDef {
    timestamp_with_time_zone(col)
}

/// A UTC instant (`timestamp with time zone`), nullable.
fn ts_null(col: &'static str) -> ColumnDef {
    timestamp_with_time_zone_null(col)
}

/// A required boolean with a default, so rows written before a flag existed stay valid.
fn flag(col: &'static str, default: bool) -> ColumnDef {
    boolean(col).default(default).take()
}

/// `fk_<table>_<col>` referencing `<parent>.id`.
fn fk(
    table: &'static str,
    col: &'static str,
    parent: &'static str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{col}"))
        .from(table, col)
        .to(parent, "id")
        .on_delete(on_delete)
        .to_owned()
}

/// `idx_<table>_<cols>`.
fn index(table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("idx_{table}_{}", cols.join("_")))
        .table(table);
    for col in cols {
        index.col(*col);
    }
    index
}

/// `uq_<table>_<cols>`: a unique index, named so constraint violations say what collided.
fn unique(table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = index(table, cols);
    index
        .name(format!("uq_{table}_{}", cols.join("_")))
        .unique();
    index
}
