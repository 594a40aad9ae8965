//! Accounts: login name, password hash, disabled flag, the OIDC Core §5.1 standard claims and the
//! TOTP second factor.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub username: String,
    pub password_hash: Option<String>,
    pub disabled: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub middle_name: Option<String>,
    pub nickname: Option<String>,
    pub preferred_username: Option<String>,
    pub profile: Option<String>,
    pub picture: Option<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    /// `valet_core::user::email_key` of `email`: what addresses are matched by.
    pub email_key: Option<String>,
    pub email_verified: bool,
    pub gender: Option<String>,
    pub birthdate: Option<String>,
    pub zoneinfo: Option<String>,
    pub locale: Option<String>,
    pub phone_number: Option<String>,
    pub phone_number_verified: bool,
    /// The OIDC Core §5.1.1 address object.
    pub address: Option<Json>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The TOTP secret (RFC 6238), sealed under the master key with the user id as associated data.
    #[sea_orm(column_type = "Text", nullable)]
    pub totp_secret_sealed: Option<String>,
    /// When the user confirmed the authenticator; the factor is required from then on.
    pub totp_confirmed_at: Option<DateTimeUtc>,
    /// The last accepted TOTP time step: a code is never accepted twice.
    pub totp_last_step: Option<i64>,
}

impl Model {
    /// A row's next columns, those of `Entity::find()`, read by position (`crate::hot`): the
    /// fields in the order declared above, which is the order of the `SELECT`.
    pub(crate) fn read(c: &mut crate::hot::Columns<'_>) -> Result<Self, DbErr> {
        Ok(Self {
            id: c.next()?,
            username: c.next()?,
            password_hash: c.next()?,
            disabled: c.next()?,
            name: c.next()?,
            given_name: c.next()?,
            family_name: c.next()?,
            middle_name: c.next()?,
            nickname: c.next()?,
            preferred_username: c.next()?,
            profile: c.next()?,
            picture: c.next()?,
            website: c.next()?,
            email: c.next()?,
            email_key: c.next()?,
            email_verified: c.next()?,
            gender: c.next()?,
            birthdate: c.next()?,
            zoneinfo: c.next()?,
            locale: c.next()?,
            phone_number: c.next()?,
            phone_number_verified: c.next()?,
            address: c.next()?,
            created_at: c.next()?,
            updated_at: c.next()?,
            totp_secret_sealed: c.next()?,
            totp_confirmed_at: c.next()?,
            totp_last_step: c.next()?,
        })
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::user_roles::Entity")]
    UserRoles,
    #[sea_orm(has_many = "super::sessions::Entity")]
    Sessions,
    #[sea_orm(has_many = "super::grants::Entity")]
    Grants,
    #[sea_orm(has_many = "super::interactions::Entity")]
    Interactions,
    #[sea_orm(has_many = "super::authorization_codes::Entity")]
    AuthorizationCodes,
    #[sea_orm(has_many = "super::refresh_tokens::Entity")]
    RefreshTokens,
    #[sea_orm(has_many = "super::recovery_codes::Entity")]
    RecoveryCodes,
    #[sea_orm(has_many = "super::account_tokens::Entity")]
    AccountTokens,
}

impl Related<super::user_roles::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserRoles.def()
    }
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sessions.def()
    }
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

impl Related<super::recovery_codes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RecoveryCodes.def()
    }
}

impl Related<super::account_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::AccountTokens.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
