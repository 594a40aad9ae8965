//! Authorization codes (RFC 6749 §4.1.2, PKCE RFC 7636), stored hashed and consumed at most once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "authorization_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code_hash: String,
    pub grant_id: Uuid,
    pub client_id: Uuid,
    pub user_id: Uuid,
    pub session_id: Option<Uuid>,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub nonce: Option<String>,
    /// JSON array of scopes.
    pub scopes: Json,
    pub claims: Option<Json>,
    pub auth_time: DateTimeUtc,
    /// JSON array of RFC 8176 method references.
    pub amr: Json,
    pub acr: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// Set on first redemption; a second redemption revokes the grant (RFC 6749 §4.1.2).
    pub consumed_at: Option<DateTimeUtc>,
    pub redirect_uri_given: bool,
    pub issued_access_token_jti: Option<String>,
    pub issued_refresh_chain_id: Option<Uuid>,
}

impl Model {
    /// A row's next columns, those of `Entity::find()`, read by position (`crate::hot`): the
    /// fields in the order declared above, which is the order of the `SELECT`.
    pub(crate) fn read(c: &mut crate::hot::Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: c.next()?,
            code_hash: c.next()?,
            grant_id: c.next()?,
            client_id: c.next()?,
            user_id: c.next()?,
            session_id: c.next()?,
            redirect_uri: c.next()?,
            code_challenge: c.next()?,
            code_challenge_method: c.next()?,
            nonce: c.next()?,
            scopes: c.next()?,
            claims: c.next()?,
            auth_time: c.next()?,
            amr: c.next()?,
            acr: c.next()?,
            created_at: c.next()?,
            expires_at: c.next()?,
            consumed_at: c.next()?,
            redirect_uri_given: c.next()?,
            issued_access_token_jti: c.next()?,
            issued_refresh_chain_id: c.next()?,
        })
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::grants::Entity",
        from = "Column::GrantId",
        to = "super::grants::Column::Id",
        on_delete = "Cascade"
    )]
    Grants,
    #[sea_orm(
        belongs_to = "super::clients::Entity",
        from = "Column::ClientId",
        to = "super::clients::Column::Id",
        on_delete = "Cascade"
    )]
    Clients,
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    Users,
    #[sea_orm(
        belongs_to = "super::sessions::Entity",
        from = "Column::SessionId",
        to = "super::sessions::Column::Id",
        on_delete = "SetNull"
    )]
    Sessions,
}

impl Related<super::grants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Grants.def()
    }
}

impl Related<super::clients::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Clients.def()
    }
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sessions.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
