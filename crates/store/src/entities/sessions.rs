//! SSO sessions at the OP (OIDC Session Management): who signed in, when, how, until when.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Hash of the session cookie value; the cookie itself is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    pub user_id: Uuid,
    pub auth_time: DateTimeUtc,
    /// JSON array of RFC 8176 method references.
    pub amr: Json,
    pub acr: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    pub end_reason: Option<String>,
}

impl Model {
    /// A row's next columns, those of `Entity::find()`, read by position (`crate::hot`): the
    /// fields in the order declared above, which is the order of the `SELECT`.
    pub(crate) fn read(c: &mut crate::hot::Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: c.next()?,
            token_hash: c.next()?,
            user_id: c.next()?,
            auth_time: c.next()?,
            amr: c.next()?,
            acr: c.next()?,
            ip: c.next()?,
            user_agent: c.next()?,
            created_at: c.next()?,
            last_seen_at: c.next()?,
            expires_at: c.next()?,
            ended_at: c.next()?,
            end_reason: c.next()?,
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
    #[sea_orm(has_many = "super::session_grants::Entity")]
    SessionGrants,
    #[sea_orm(has_many = "super::interactions::Entity")]
    Interactions,
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

impl Related<super::session_grants::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SessionGrants.def()
    }
}

/// The grants a session took part in, through `session_grants` (used for logout fan-out).
impl Related<super::grants::Entity> for Entity {
    fn to() -> RelationDef {
        super::session_grants::Relation::Grants.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::session_grants::Relation::Sessions.def().rev())
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

impl ActiveModelBehavior for ActiveModel {}
