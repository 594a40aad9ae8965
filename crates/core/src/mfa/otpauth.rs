//! The enrolment URI an authenticator app scans: the Key URI Format of Google Authenticator
//! (`otpauth://totp/Issuer:account?secret=…`), carrying the RFC 6238 parameters Valet uses.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::totp::{DIGITS, STEP_SECONDS, TotpSecret};

/// Everything but RFC 3986 unreserved characters is escaped, so a space is `%20` (never `+`, which
/// some apps show literally) and a colon inside the issuer or account is `%3A`, not a separator.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30`.
/// The issuer appears both as the label prefix and as the `issuer` parameter, as the format
/// recommends, so older and newer apps both group the entry under it.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let issuer = utf8_percent_encode(issuer, COMPONENT);
    let account = utf8_percent_encode(account, COMPONENT);
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
         &algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        secret = secret.to_base32(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890").unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_uri_carries_label_secret_and_parameters() {
        assert_eq!(
            otpauth_uri(&secret(), "Valet", "alice"),
            "otpauth://totp/Valet:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Valet\
             &algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn issuer_and_account_are_percent_encoded() {
        let uri = otpauth_uri(&secret(), "Example Co: Staff", "alice+1@example.com");
        assert!(
            uri.starts_with("otpauth://totp/Example%20Co%3A%20Staff:alice%2B1%40example.com?"),
            "{uri}"
        );
        assert!(uri.contains("&issuer=Example%20Co%3A%20Staff&"), "{uri}");
        let url = url::Url::parse(&uri).unwrap_or_else(|e| panic!("{e}"));
        let issuer = url
            .query_pairs()
            .find(|(k, _)| k == "issuer")
            .map(|(_, v)| v);
        assert_eq!(issuer.as_deref(), Some("Example Co: Staff"));
    }

    #[test]
    fn non_ascii_names_are_utf8_percent_encoded() {
        let uri = otpauth_uri(&secret(), "Valet", "zoë");
        assert!(uri.starts_with("otpauth://totp/Valet:zo%C3%AB?"), "{uri}");
    }
}
