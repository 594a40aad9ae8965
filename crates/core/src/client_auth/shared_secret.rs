//! The secret-based methods and `none` (RFC 6749 §2.3.1, OIDC Core §9).

use chrono::{DateTime, Utc};

use super::ClientAuthError;
use crate::client::Client;
use crate::secret::Secret;

/// client_secret_basic and client_secret_post: the secret matches the stored hash, or the previous
/// one while its rotation overlap runs. Both comparisons are made, each in constant time.
pub(super) fn check_client_secret(
    client: &Client,
    secret: &Secret,
    now: DateTime<Utc>,
) -> Result<(), ClientAuthError> {
    let current = client
        .secret_hash
        .as_ref()
        .is_some_and(|hash| hash.matches(secret));
    let previous = client
        .previous_secret
        .as_ref()
        .is_some_and(|previous| previous.accepts(secret, now));
    if !(current | previous) {
        return Err(ClientAuthError::invalid_client(
            "the client secret is wrong",
        ));
    }
    Ok(())
}

/// `none` is only for public clients (RFC 6749 §2.1), which hold no secret; the token endpoint then
/// relies on PKCE.
pub(super) fn check_public(client: &Client) -> Result<(), ClientAuthError> {
    if !client.is_public() {
        return Err(ClientAuthError::invalid_client(
            "a confidential client must authenticate",
        ));
    }
    Ok(())
}
