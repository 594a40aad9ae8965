//! Refresh tokens (RFC 6749 §6), stored hashed and rotated within a chain (RFC 9700 §4.14.2).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Shared by every rotation of one original token; reuse of a rotated token revokes the chain.
    pub chain_id: Uuid,
    /// The token this one replaced; deliberately not a foreign key.
    pub parent_id: Option<Uuid>,
    pub grant_id: Uuid,
    pub client_id: Uuid,
    pub user_id: Uuid,
    pub session_id: Option<Uuid>,
    /// JSON array of scopes.
    pub scopes: Json,
    pub auth_time: DateTimeUtc,
    pub created_at: DateTimeUtc,
    /// Absolute lifetime of the chain.
    pub expires_at: DateTimeUtc,
    pub idle_expires_at: Option<DateTimeUtc>,
    pub rotated_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

impl Model {
    /// A row's next columns, those of `Entity::find()`, read by position (`crate::hot`): the
    /// fields in the order declared above, which is the order of the `SELECT`.
    pub(crate) fn read(c: &mut crate::hot::Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: c.next()?,
            token_hash: c.next()?,
            chain_id: c.next()?,
            parent_id: c.next()?,
            grant_id: c.next()?,
            client_id: c.next()?,
            user_id: c.next()?,
            session_id: c.next()?,
            scopes: c.next()?,
            auth_time: c.next()?,
            created_at: c.next()?,
            expires_at: c.next()?,
            idle_expires_at: c.next()?,
            rotated_at: c.next()?,
            revoked_at: c.next()?,
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
