//! Consent grants: which scopes and claims a user granted to a client, and whether that was revoked.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// `clients.id`, not the public `client_id`.
    pub client_id: Uuid,
    /// JSON array of granted scopes.
    pub scopes: Json,
    /// The granted OIDC Core §5.5 `claims` request, if any.
    pub claims: Option<Json>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<String>,
    pub revoke_reason: Option<String>,
}

impl Model {
    /// A row's next columns, those of `Entity::find()`, read by position (`crate::hot`): the
    /// fields in the order declared above, which is the order of the `SELECT`.
    pub(crate) fn read(c: &mut crate::hot::Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: c.next()?,
            user_id: c.next()?,
            client_id: c.next()?,
            scopes: c.next()?,
            claims: c.next()?,
            created_at: c.next()?,
            last_used_at: c.next()?,
            revoked_at: c.next()?,
            revoked_by: c.next()?,
            revoke_reason: c.next()?,
        })
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id",
        on_delete = "Cascade"
    )]
    Users,
    #[sea_orm(
        belongs_to = "super::clients::Entity",
        from = "Column::ClientId",
        to = "super::clients::Column::Id",
        on_delete = "Cascade"
    )]
    Clients,
    #[sea_orm(has_many = "super::session_grants::Entity")]
    SessionGrants,
    #[sea_orm(has_many = "super::authorization_codes::Entity")]
    AuthorizationCodes,
    #[sea_orm(has_many = "super::refresh_tokens::Entity")]
    RefreshTokens,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Users.def()
    }
}

impl Related<super::clients::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Clients.def()
    }
}

impl Related<super::session_grants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SessionGrants.def()
    }
}

/// The sessions a grant was used in, through `session_grants`.
impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        super::session_grants::Relation::Sessions.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::session_grants::Relation::Grants.def().rev())
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

impl ActiveModelBehavior for ActiveModel {}
