//! What a sign-in leaves behind: SSO sessions, the consent grants users give clients, which sessions
//! hold which grants, and the in-flight authorization interactions.

use ForeignKeyAction::{Cascade, SetNull};
use sea_orm_migration::{prelude::*, schema::*};

use super::TableSpec;
use super::ddl::{fk, index, ts, ts_null, unique};

pub(super) fn sessions() -> TableSpec {
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

pub(super) fn grants() -> TableSpec {
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

pub(super) fn session_grants() -> TableSpec {
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

pub(super) fn interactions() -> TableSpec {
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
        indexes: vec![
            unique(T, &["handle_hash"]),
            index(T, &["expires_at"]),
            index(T, &["client_id"]),
            index(T, &["session_id"]),
            index(T, &["user_id"]),
        ],
    }
}
