//! Registered relying parties: OIDC Dynamic Client Registration §2 metadata plus Valet's policy knobs.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The public `client_id` of RFC 6749 §2.2.
    #[sea_orm(unique)]
    pub client_id: String,
    pub secret_hash: Option<String>,
    /// Kept during a secret rotation so the old secret works until `previous_secret_expires_at`.
    pub previous_secret_hash: Option<String>,
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    /// client_secret_jwt clients only: the secret sealed under the master key (AES-256-GCM ciphertext
    /// with its tag, the client_id as associated data), because an HMAC is verified with the secret.
    pub secret_sealed: Option<Vec<u8>>,
    pub secret_sealed_nonce: Option<Vec<u8>>,
    pub name: String,
    pub logo_uri: Option<String>,
    pub client_uri: Option<String>,
    pub policy_uri: Option<String>,
    pub tos_uri: Option<String>,
    /// JSON array of strings.
    pub contacts: Json,
    pub application_type: String,
    /// JSON array of strings.
    pub redirect_uris: Json,
    /// JSON array of strings.
    pub post_logout_redirect_uris: Json,
    /// JSON array of strings.
    pub grant_types: Json,
    /// JSON array of strings.
    pub response_types: Json,
    /// The scopes this client may request, a JSON array of strings.
    pub scopes: Json,
    pub token_endpoint_auth_method: String,
    pub token_endpoint_auth_signing_alg: Option<String>,
    pub jwks: Option<Json>,
    pub jwks_uri: Option<String>,
    pub id_token_signed_response_alg: String,
    pub userinfo_signed_response_alg: Option<String>,
    pub request_object_signing_alg: Option<String>,
    pub access_token_signed_alg: Option<String>,
    pub subject_type: String,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub frontchannel_logout_uri: Option<String>,
    pub frontchannel_logout_session_required: bool,
    pub first_party: bool,
    pub require_pkce: bool,
    pub always_issue_refresh_token: bool,
    pub default_max_age: Option<i64>,
    pub require_auth_time: bool,
    /// JSON array of strings.
    pub default_acr_values: Json,
    pub code_ttl_secs: Option<i64>,
    pub access_token_ttl_secs: Option<i64>,
    pub id_token_ttl_secs: Option<i64>,
    pub refresh_token_ttl_secs: Option<i64>,
    pub refresh_token_idle_ttl_secs: Option<i64>,
    pub disabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl Model {
    /// A row's next columns, those of `Entity::find()`, read by position (`crate::hot`): the
    /// fields in the order declared above, which is the order of the `SELECT`.
    pub(crate) fn read(c: &mut crate::hot::Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: c.next()?,
            client_id: c.next()?,
            secret_hash: c.next()?,
            previous_secret_hash: c.next()?,
            previous_secret_expires_at: c.next()?,
            secret_sealed: c.next()?,
            secret_sealed_nonce: c.next()?,
            name: c.next()?,
            logo_uri: c.next()?,
            client_uri: c.next()?,
            policy_uri: c.next()?,
            tos_uri: c.next()?,
            contacts: c.next()?,
            application_type: c.next()?,
            redirect_uris: c.next()?,
            post_logout_redirect_uris: c.next()?,
            grant_types: c.next()?,
            response_types: c.next()?,
            scopes: c.next()?,
            token_endpoint_auth_method: c.next()?,
            token_endpoint_auth_signing_alg: c.next()?,
            jwks: c.next()?,
            jwks_uri: c.next()?,
            id_token_signed_response_alg: c.next()?,
            userinfo_signed_response_alg: c.next()?,
            request_object_signing_alg: c.next()?,
            access_token_signed_alg: c.next()?,
            subject_type: c.next()?,
            backchannel_logout_uri: c.next()?,
            backchannel_logout_session_required: c.next()?,
            frontchannel_logout_uri: c.next()?,
            frontchannel_logout_session_required: c.next()?,
            first_party: c.next()?,
            require_pkce: c.next()?,
            always_issue_refresh_token: c.next()?,
            default_max_age: c.next()?,
            require_auth_time: c.next()?,
            default_acr_values: c.next()?,
            code_ttl_secs: c.next()?,
            access_token_ttl_secs: c.next()?,
            id_token_ttl_secs: c.next()?,
            refresh_token_ttl_secs: c.next()?,
            refresh_token_idle_ttl_secs: c.next()?,
            disabled: c.next()?,
            created_at: c.next()?,
            updated_at: c.next()?,
        })
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::grants::Entity")]
    Grants,
    #[sea_orm(has_many = "super::interactions::Entity")]
    Interactions,
    #[sea_orm(has_many = "super::authorization_codes::Entity")]
    AuthorizationCodes,
    #[sea_orm(has_many = "super::refresh_tokens::Entity")]
    RefreshTokens,
    #[sea_orm(has_many = "super::outbox::Entity")]
    Outbox,
}

impl Related<super::grants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Grants.def()
    }
}

impl Related<super::interactions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Interactions.def()
    }
}

impl Related<super::authorization_codes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AuthorizationCodes.def()
    }
}

impl Related<super::refresh_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RefreshTokens.def()
    }
}

impl Related<super::outbox::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Outbox.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
