//! What the token endpoint hands out and checks: authorization codes, refresh tokens, the access-token
//! denylist, and the keys that sign them.

use ForeignKeyAction::{Cascade, SetNull};
use sea_orm_migration::{prelude::*, schema::*};

use super::TableSpec;
use super::ddl::{fk, index, ts, ts_null, unique};

pub(super) fn authorization_codes() -> TableSpec {
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
            index(T, &["client_id"]),
            index(T, &["user_id"]),
            index(T, &["session_id"]),
        ],
    }
}

pub(super) fn refresh_tokens() -> TableSpec {
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
            index(T, &["client_id"]),
            index(T, &["session_id"]),
            index(T, &["user_id"]),
        ],
    }
}

pub(super) fn revoked_access_tokens() -> TableSpec {
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

pub(super) fn signing_keys() -> TableSpec {
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
