//! Append-mostly records: the audit log and the outbox of deliveries to clients (e.g. back-channel
//! logout), which outlives the client it was queued for.

use ForeignKeyAction::SetNull;
use sea_orm_migration::{prelude::*, schema::*};

use super::TableSpec;
use super::ddl::{fk, index, ts, ts_null};

pub(super) fn audit_events() -> TableSpec {
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

pub(super) fn outbox() -> TableSpec {
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
