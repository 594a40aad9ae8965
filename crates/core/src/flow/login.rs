//! Checking a username (or email) and password. An unknown user costs the same argon2id verification
//! as a wrong password, so response time does not reveal which accounts exist.

use std::sync::LazyLock;

use crate::password::{Password, PasswordHash};
use crate::ports::{OidcStore, StoreError};
use crate::user::{User, Username};

/// Verified against when the user does not exist, to spend the same time.
static DECOY: LazyLock<Option<PasswordHash>> =
    LazyLock::new(|| PasswordHash::create(&Password::new("valet decoy password")).ok());

/// The account a sign-in names: by username, else by email. Then `check_password`. Text with a NUL
/// character names none (no username or email holds one, and PostgreSQL refuses to look it up).
pub async fn find_account(
    store: &dyn OidcStore,
    identifier: &str,
) -> Result<Option<User>, StoreError> {
    let identifier = identifier.trim();
    let user = match Username::parse(identifier) {
        Ok(name) => store.find_user(&name).await?,
        Err(_) => None,
    };
    match user {
        None if may_be_email(identifier) => store.find_user_by_email(identifier).await,
        found => Ok(found),
    }
}

/// Whether what was typed may be an account's email: it has an `@` and no NUL character.
fn may_be_email(identifier: &str) -> bool {
    identifier.contains('@') && !identifier.contains('\0')
}

/// The account, if `password` signs it in: it exists, is enabled and has this password (one answer
/// for every refusal). One argon2id verification, tens of milliseconds of CPU, whatever the answer:
/// callers on an async runtime run it off their workers.
pub fn check_password(account: Option<User>, password: &Password) -> Option<User> {
    let verified = match account.as_ref().and_then(|u| u.password_hash.as_ref()) {
        Some(hash) => hash.verify(password),
        None => {
            if let Some(decoy) = DECOY.as_ref() {
                decoy.verify(password);
            }
            false
        }
    };
    account.filter(|user| verified && !user.disabled)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::user::StandardClaims;

    fn account(password: Option<&str>, disabled: bool) -> User {
        User {
            id: Uuid::now_v7(),
            username: Username::parse("alice").unwrap_or_else(|e| panic!("{e}")),
            password_hash: password
                .map(|p| PasswordHash::create(&Password::new(p)).unwrap_or_else(|e| panic!("{e}"))),
            disabled,
            claims: StandardClaims::default(),
            roles: BTreeSet::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            second_factor: false,
        }
    }

    #[test]
    fn only_text_with_an_at_sign_and_no_nul_is_looked_up_as_an_email() {
        assert!(may_be_email("alice@example.com"));
        assert!(!may_be_email("alice"));
        assert!(!may_be_email("alice\0@example.com"));
    }

    #[test]
    fn only_the_right_password_of_an_enabled_account_signs_in() {
        let right = Password::new("correct horse");
        let alice = account(Some("correct horse"), false);
        assert_eq!(check_password(Some(alice.clone()), &right), Some(alice));
        assert_eq!(
            check_password(
                Some(account(Some("correct horse"), false)),
                &Password::new("wrong")
            ),
            None
        );
        assert_eq!(
            check_password(Some(account(Some("correct horse"), true)), &right),
            None
        );
        assert_eq!(check_password(Some(account(None, false)), &right), None);
        assert_eq!(check_password(None, &right), None);
    }
}
