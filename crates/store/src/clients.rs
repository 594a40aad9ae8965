//! `ClientStore` on the `clients` table.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QueryTrait,
};
use uuid::Uuid;
use valet_core::audit::AuditEvent;
use valet_core::client::{
    Client, ClientId, ClientMetadata, PreviousSecret, RedirectUri, ResponseType, TokenLifetimes,
};
use valet_core::keys::SealedKey;
use valet_core::ports::{ClientStore, StoreError};
use valet_core::secret::SecretHash;

use crate::audit;
use crate::convert::{corrupt, parse_enum, parse_list, parse_opt_enum, string_list};
use crate::database::{Database, InsertRow, backend};
use crate::entities::clients;
use crate::hot::Lookup;

pub(crate) fn to_domain(row: clients::Model) -> Result<Client, StoreError> {
    let application_type = parse_enum("clients.application_type", &row.application_type)?;
    let uris = |column, json| {
        parse_list(column, json, |s| {
            RedirectUri::parse(s, application_type).map_err(|e| e.to_string())
        })
    };
    let jwks = match row.jwks {
        None => None,
        Some(serde_json::Value::Object(map)) => Some(map),
        Some(_) => return Err(corrupt("clients.jwks", "not a JSON object")),
    };
    let metadata = ClientMetadata {
        redirect_uris: uris("clients.redirect_uris", &row.redirect_uris)?,
        post_logout_redirect_uris: uris(
            "clients.post_logout_redirect_uris",
            &row.post_logout_redirect_uris,
        )?,
        name: row.name,
        logo_uri: row.logo_uri,
        client_uri: row.client_uri,
        policy_uri: row.policy_uri,
        tos_uri: row.tos_uri,
        contacts: parse_list("clients.contacts", &row.contacts, |s| Ok(s.to_owned()))?,
        application_type,
        grant_types: parse_list("clients.grant_types", &row.grant_types, |s| {
            s.parse()
                .map_err(|e: valet_core::client::UnknownValue| e.to_string())
        })?,
        response_types: parse_list("clients.response_types", &row.response_types, |s| {
            ResponseType::parse_words(s).map_err(|e| e.to_string())
        })?,
        scopes: parse_list("clients.scopes", &row.scopes, |s| Ok(s.to_owned()))?,
        token_endpoint_auth_method: parse_enum(
            "clients.token_endpoint_auth_method",
            &row.token_endpoint_auth_method,
        )?,
        token_endpoint_auth_signing_alg: parse_opt_enum(
            "clients.token_endpoint_auth_signing_alg",
            row.token_endpoint_auth_signing_alg.as_deref(),
        )?,
        jwks,
        jwks_uri: row.jwks_uri,
        id_token_signed_response_alg: parse_enum(
            "clients.id_token_signed_response_alg",
            &row.id_token_signed_response_alg,
        )?,
        userinfo_signed_response_alg: parse_opt_enum(
            "clients.userinfo_signed_response_alg",
            row.userinfo_signed_response_alg.as_deref(),
        )?,
        request_object_signing_alg: parse_opt_enum(
            "clients.request_object_signing_alg",
            row.request_object_signing_alg.as_deref(),
        )?,
        access_token_signed_alg: parse_opt_enum(
            "clients.access_token_signed_alg",
            row.access_token_signed_alg.as_deref(),
        )?,
        subject_type: parse_enum("clients.subject_type", &row.subject_type)?,
        backchannel_logout_uri: row.backchannel_logout_uri,
        backchannel_logout_session_required: row.backchannel_logout_session_required,
        frontchannel_logout_uri: row.frontchannel_logout_uri,
        frontchannel_logout_session_required: row.frontchannel_logout_session_required,
        first_party: row.first_party,
        require_pkce: row.require_pkce,
        always_issue_refresh_token: row.always_issue_refresh_token,
        default_max_age: row.default_max_age,
        require_auth_time: row.require_auth_time,
        default_acr_values: parse_list(
            "clients.default_acr_values",
            &row.default_acr_values,
            |s| Ok(s.to_owned()),
        )?,
        lifetimes: TokenLifetimes {
            code_secs: row.code_ttl_secs,
            access_token_secs: row.access_token_ttl_secs,
            id_token_secs: row.id_token_ttl_secs,
            refresh_token_secs: row.refresh_token_ttl_secs,
            refresh_token_idle_secs: row.refresh_token_idle_ttl_secs,
        },
        disabled: row.disabled,
    };
    let secret_hash = |column, value: Option<&str>| {
        value
            .map(SecretHash::parse)
            .transpose()
            .map_err(|e| corrupt(column, e))
    };
    // A half-written pair means nothing: the previous secret is then not accepted.
    let previous_secret = match (
        secret_hash(
            "clients.previous_secret_hash",
            row.previous_secret_hash.as_deref(),
        )?,
        row.previous_secret_expires_at,
    ) {
        (Some(hash), Some(expires_at)) => Some(PreviousSecret { hash, expires_at }),
        _ => None,
    };
    let sealed_secret = match (row.secret_sealed, row.secret_sealed_nonce) {
        (Some(ciphertext), Some(nonce)) => Some(SealedKey { ciphertext, nonce }),
        _ => None,
    };
    Ok(Client {
        id: row.id,
        client_id: ClientId::parse(&row.client_id).map_err(|e| corrupt("clients.client_id", e))?,
        secret_hash: secret_hash("clients.secret_hash", row.secret_hash.as_deref())?,
        previous_secret,
        sealed_secret,
        metadata,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The row for a client, every column from the domain value.
pub(crate) fn to_row(client: &Client) -> clients::Model {
    let m = &client.metadata;
    let previous = client.previous_secret.as_ref();
    let sealed = client.sealed_secret.as_ref();
    clients::Model {
        id: client.id,
        client_id: client.client_id.as_str().to_owned(),
        secret_hash: client.secret_hash.as_ref().map(|h| h.as_str().to_owned()),
        previous_secret_hash: previous.map(|p| p.hash.as_str().to_owned()),
        previous_secret_expires_at: previous.map(|p| p.expires_at),
        secret_sealed: sealed.map(|s| s.ciphertext.clone()),
        secret_sealed_nonce: sealed.map(|s| s.nonce.clone()),
        name: m.name.clone(),
        logo_uri: m.logo_uri.clone(),
        client_uri: m.client_uri.clone(),
        policy_uri: m.policy_uri.clone(),
        tos_uri: m.tos_uri.clone(),
        contacts: string_list(m.contacts.iter().map(String::as_str)),
        application_type: m.application_type.as_str().to_owned(),
        redirect_uris: string_list(m.redirect_uris.iter().map(RedirectUri::as_str)),
        post_logout_redirect_uris: string_list(
            m.post_logout_redirect_uris.iter().map(RedirectUri::as_str),
        ),
        grant_types: string_list(m.grant_types.iter().map(|g| g.as_str())),
        response_types: string_list(m.response_types.iter().map(|r| r.as_str())),
        scopes: string_list(m.scopes.iter().map(String::as_str)),
        token_endpoint_auth_method: m.token_endpoint_auth_method.as_str().to_owned(),
        token_endpoint_auth_signing_alg: m
            .token_endpoint_auth_signing_alg
            .map(|a| a.as_str().to_owned()),
        jwks: m.jwks.clone().map(serde_json::Value::Object),
        jwks_uri: m.jwks_uri.clone(),
        id_token_signed_response_alg: m.id_token_signed_response_alg.as_str().to_owned(),
        userinfo_signed_response_alg: m
            .userinfo_signed_response_alg
            .map(|a| a.as_str().to_owned()),
        request_object_signing_alg: m.request_object_signing_alg.map(|a| a.as_str().to_owned()),
        access_token_signed_alg: m.access_token_signed_alg.map(|a| a.as_str().to_owned()),
        subject_type: m.subject_type.as_str().to_owned(),
        backchannel_logout_uri: m.backchannel_logout_uri.clone(),
        backchannel_logout_session_required: m.backchannel_logout_session_required,
        frontchannel_logout_uri: m.frontchannel_logout_uri.clone(),
        frontchannel_logout_session_required: m.frontchannel_logout_session_required,
        first_party: m.first_party,
        require_pkce: m.require_pkce,
        always_issue_refresh_token: m.always_issue_refresh_token,
        default_max_age: m.default_max_age,
        require_auth_time: m.require_auth_time,
        default_acr_values: string_list(m.default_acr_values.iter().map(String::as_str)),
        code_ttl_secs: m.lifetimes.code_secs,
        access_token_ttl_secs: m.lifetimes.access_token_secs,
        id_token_ttl_secs: m.lifetimes.id_token_secs,
        refresh_token_ttl_secs: m.lifetimes.refresh_token_secs,
        refresh_token_idle_ttl_secs: m.lifetimes.refresh_token_idle_secs,
        disabled: m.disabled,
        created_at: client.created_at,
        updated_at: client.updated_at,
    }
}

pub(crate) async fn insert(conn: &impl ConnectionTrait, client: &Client) -> Result<(), StoreError> {
    to_row(client).into_active_model().insert_row(conn).await
}

/// Rewrites a client's registration and secrets. The previous-secret columns belong to
/// `set_client_secret`: an overlap in progress is kept as it is in the row, even if it started after
/// `client` was read.
pub(crate) async fn replace(
    conn: &impl ConnectionTrait,
    client: &Client,
) -> Result<(), StoreError> {
    let mut row = to_row(client).into_active_model().reset_all();
    row.previous_secret_hash = sea_orm::ActiveValue::NotSet;
    row.previous_secret_expires_at = sea_orm::ActiveValue::NotSet;
    row.update(conn).await.map(drop).map_err(backend)
}

#[async_trait]
impl ClientStore for Database {
    async fn find_client(&self, client_id: &ClientId) -> Result<Option<Client>, StoreError> {
        static BY_CLIENT_ID: Lookup = Lookup::new(|| {
            clients::Entity::find()
                .filter(clients::Column::ClientId.eq(""))
                .into_query()
        });
        let values = vec![client_id.as_str().into()];
        let row = BY_CLIENT_ID.first(&self.lookups, values, clients::Model::read);
        row.await?.map(to_domain).transpose()
    }

    async fn find_client_by_id(&self, id: Uuid) -> Result<Option<Client>, StoreError> {
        static BY_ID: Lookup =
            Lookup::new(|| clients::Entity::find_by_id(Uuid::nil()).into_query());
        let row = BY_ID.first(&self.lookups, vec![id.into()], clients::Model::read);
        row.await?.map(to_domain).transpose()
    }

    async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        clients::Entity::find()
            .order_by_asc(clients::Column::ClientId)
            .all(&self.conn)
            .await
            .map_err(backend)?
            .into_iter()
            .map(to_domain)
            .collect()
    }

    async fn insert_client(&self, client: &Client, event: &AuditEvent) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        insert(&txn, client).await?;
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(backend)
    }

    async fn set_client_secret(
        &self,
        id: Uuid,
        hash: &SecretHash,
        previous_until: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        let previous = match previous_until {
            Some(_) => Expr::col(clients::Column::SecretHash),
            None => Expr::value(Option::<String>::None),
        };
        // A sealed secret is the current secret or nothing: the replaced one must not go on keying
        // client_secret_jwt assertions.
        let result = clients::Entity::update_many()
            .col_expr(clients::Column::PreviousSecretHash, previous)
            .col_expr(
                clients::Column::SecretSealed,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .col_expr(
                clients::Column::SecretSealedNonce,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .col_expr(
                clients::Column::PreviousSecretExpiresAt,
                Expr::value(previous_until),
            )
            .col_expr(clients::Column::SecretHash, Expr::value(hash.as_str()))
            .col_expr(clients::Column::UpdatedAt, Expr::value(at))
            .filter(clients::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound(format!("client {id}")));
        }
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(backend)
    }

    async fn set_client_disabled(
        &self,
        id: Uuid,
        disabled: bool,
        at: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let txn = self.write_transaction().await?;
        let result = clients::Entity::update_many()
            .col_expr(clients::Column::Disabled, Expr::value(disabled))
            .col_expr(clients::Column::UpdatedAt, Expr::value(at))
            .filter(clients::Column::Id.eq(id))
            .exec(&txn)
            .await
            .map_err(backend)?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound(format!("client {id}")));
        }
        audit::insert(&txn, event).await?;
        txn.commit().await.map_err(backend)
    }
}
