//! The secret-based methods and `none` (RFC 6749 §2.3.1, OIDC Core §9).

use super::ClientAuthError;
use crate::client::Client;
use crate::secret::Secret;

/// client_secret_basic and client_secret_post: the secret matches the stored hash, compared in
/// constant time.
// TODO: also accept the previous secret while its rotation overlap runs; the store keeps it
// (`clients.previous_secret_hash`, `previous_secret_expires_at`) but `Client` does not carry it yet.
pub(super) fn check_client_secret(client: &Client, secret: &Secret) -> Result<(), ClientAuthError> {
    let matches = client
        .secret_hash
        .as_ref()
        .is_some_and(|hash| hash.matches(secret));
    if !matches {
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
