//! Checking a username (or email) and password. An unknown user costs the same argon2id verification
//! as a wrong password, so response time does not reveal which accounts exist.

use std::sync::LazyLock;

use crate::password::{Password, PasswordHash};
use crate::ports::{OidcStore, StoreError};
use crate::user::{User, Username};

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown user, wrong password, disabled account or no password: one answer for all.
    #[error("the username or password is incorrect")]
    Rejected,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Verified against when the user does not exist, to spend the same time.
static DECOY: LazyLock<Option<PasswordHash>> =
    LazyLock::new(|| PasswordHash::create(&Password::new("valet decoy password")).ok());

pub async fn authenticate(
    store: &dyn OidcStore,
    identifier: &str,
    password: &Password,
) -> Result<User, LoginError> {
    let identifier = identifier.trim();
    let mut user = match Username::parse(identifier) {
        Ok(name) => store.find_user(&name).await?,
        Err(_) => None,
    };
    if user.is_none() && identifier.contains('@') {
        user = store.find_user_by_email(identifier).await?;
    }
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let verified = match &hash {
        Some(hash) => hash.verify(password),
        None => {
            if let Some(decoy) = DECOY.as_ref() {
                decoy.verify(password);
            }
            false
        }
    };
    match user {
        Some(user) if verified && !user.disabled => Ok(user),
        _ => Err(LoginError::Rejected),
    }
}
