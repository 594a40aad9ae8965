//! What the client presented, and which one method that is (RFC 6749 §2.3: a client MUST NOT use
//! more than one authentication method in each request).

use std::fmt;

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::ClientAuthError;
use super::assertion::UnverifiedAssertion;
use crate::client::TokenEndpointAuthMethod;
use crate::params::Params;
use crate::secret::Secret;

/// The credentials of a token-endpoint request as the HTTP layer found them, uninterpreted.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PresentedCredentials {
    /// The raw `Authorization` header value.
    pub authorization_header: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
}

impl PresentedCredentials {
    /// The raw `Authorization` header and the credential parameters of a form body. A repeated
    /// parameter makes the request invalid (RFC 6749 §3.2); an empty one counts as absent.
    pub fn from_form(
        authorization_header: Option<String>,
        form: &Params,
    ) -> Result<Self, ClientAuthError> {
        let get = |name: &str| {
            form.get(name)
                .map(|value| value.map(str::to_owned))
                .map_err(|repeated| ClientAuthError::invalid_request(&repeated.to_string()))
        };
        Ok(Self {
            authorization_header,
            client_id: get("client_id")?,
            client_secret: get("client_secret")?,
            client_assertion_type: get("client_assertion_type")?,
            client_assertion: get("client_assertion")?,
        })
    }
}

impl fmt::Debug for PresentedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "***");
        // Only the scheme, and only when it is Basic: anything else might be the credentials themselves.
        let authorization =
            self.authorization_header
                .as_deref()
                .map(|h| match h.trim().split_once(' ') {
                    Some((scheme, _)) if scheme.eq_ignore_ascii_case("basic") => "Basic ***",
                    _ => "***",
                });
        f.debug_struct("PresentedCredentials")
            .field("authorization_header", &authorization)
            .field("client_id", &self.client_id)
            .field("client_secret", &redacted(&self.client_secret))
            .field("client_assertion_type", &self.client_assertion_type)
            .field("client_assertion", &redacted(&self.client_assertion))
            .finish()
    }
}

impl PresentedCredentials {
    /// The client these credentials claim to be, before anything is verified (for throttling).
    pub fn claimed_client_id(&self) -> Option<String> {
        identify(self).ok().map(|p| p.client_id().to_owned())
    }
}

/// The one method a request uses, with what it needs to check it.
#[derive(Debug)]
pub(super) enum Presentation {
    Secret {
        client_id: String,
        secret: Secret,
        method: TokenEndpointAuthMethod,
    },
    Assertion(UnverifiedAssertion),
    None {
        client_id: String,
    },
}

impl Presentation {
    pub(super) fn client_id(&self) -> &str {
        match self {
            Self::Secret { client_id, .. } | Self::None { client_id } => client_id,
            Self::Assertion(jwt) => &jwt.client_id,
        }
    }

    pub(super) fn method(&self) -> TokenEndpointAuthMethod {
        match self {
            Self::Secret { method, .. } => *method,
            Self::Assertion(jwt) => jwt.method(),
            Self::None { .. } => TokenEndpointAuthMethod::None,
        }
    }
}

/// Decides which method the credentials use; exactly one may be present.
pub(super) fn identify(creds: &PresentedCredentials) -> Result<Presentation, ClientAuthError> {
    let given = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    let body_client_id = given(&creds.client_id);
    let secret = given(&creds.client_secret);
    let assertion = given(&creds.client_assertion);
    let assertion_type = given(&creds.client_assertion_type);
    let header = creds.authorization_header.as_deref();
    let used = [
        header.is_some(),
        secret.is_some(),
        assertion.is_some() || assertion_type.is_some(),
    ];
    if used.iter().filter(|u| **u).count() > 1 {
        return Err(ClientAuthError::invalid_request(
            "more than one client authentication method is used; use exactly one",
        ));
    }
    if let Some(header) = header {
        let (client_id, secret) = parse_basic(header)?;
        check_same_client(body_client_id.as_deref(), &client_id)?;
        return Ok(Presentation::Secret {
            client_id,
            secret,
            method: TokenEndpointAuthMethod::ClientSecretBasic,
        });
    }
    if let Some(secret) = secret {
        let client_id = body_client_id.ok_or_else(|| {
            ClientAuthError::invalid_request("client_secret is given without client_id")
        })?;
        return Ok(Presentation::Secret {
            client_id,
            secret: Secret::new(secret),
            method: TokenEndpointAuthMethod::ClientSecretPost,
        });
    }
    if assertion.is_some() || assertion_type.is_some() {
        let jwt = UnverifiedAssertion::parse(assertion_type.as_deref(), assertion.as_deref())?;
        check_same_client(body_client_id.as_deref(), &jwt.client_id)?;
        return Ok(Presentation::Assertion(jwt));
    }
    match body_client_id {
        Some(client_id) => Ok(Presentation::None { client_id }),
        None => Err(ClientAuthError::invalid_client(
            "no client authentication is included",
        )),
    }
}

/// A `client_id` in the body is optional beside other credentials, but must then name the same client.
fn check_same_client(body: Option<&str>, authenticated: &str) -> Result<(), ClientAuthError> {
    match body {
        Some(body) if body != authenticated => Err(ClientAuthError::invalid_request(
            "client_id does not match the client that authenticates",
        )),
        _ => Ok(()),
    }
}

/// Padding is optional on input: some clients strip it.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `Basic base64(urlencode(client_id) ":" urlencode(secret))` (RFC 6749 §2.3.1, RFC 7617 §2); the
/// scheme name is case-insensitive (RFC 9110 §11.1).
pub(super) fn parse_basic(header: &str) -> Result<(String, Secret), ClientAuthError> {
    let malformed =
        |what: &str| ClientAuthError::invalid_request(&format!("the Authorization header {what}"));
    let (scheme, value) = header
        .trim()
        .split_once(' ')
        .ok_or_else(|| malformed("must be `Basic` followed by the credentials"))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed("must use the Basic scheme"));
    }
    let decoded = BASE64
        .decode(value.trim())
        .map_err(|_| malformed("does not hold valid base64"))?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed("does not hold UTF-8 text"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| malformed("lacks the `:` between client_id and secret"))?;
    let not_encoded = || malformed("holds a value that is not form-urlencoded UTF-8");
    let id = form_urldecode(id).ok_or_else(not_encoded)?;
    let secret = form_urldecode(secret).ok_or_else(not_encoded)?;
    if id.is_empty() {
        return Err(malformed("has an empty client_id"));
    }
    Ok((id, Secret::new(secret)))
}

/// Decodes one `application/x-www-form-urlencoded` value: `+` is a space, `%XX` a byte. A `%` without
/// two hex digits stays as is, as in the WHATWG URL standard's decoder.
fn form_urldecode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex_pair = bytes
            .get(i + 1..i + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .filter(|pair| pair.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[i], hex_pair) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 2;
            }
            (other, _) => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth_error::OAuthErrorCode;

    fn basic(raw: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }

    fn parsed(header: &str) -> Result<(String, String), ClientAuthError> {
        parse_basic(header).map(|(id, secret)| (id, secret.expose().to_owned()))
    }

    #[test]
    fn basic_credentials_are_form_urldecoded() {
        assert_eq!(
            parsed(&basic("my%3Aapp:p%40ss+word%2B%25")),
            Ok(("my:app".into(), "p@ss word+%".into()))
        );
        // A secret may contain `:` unencoded: only the first colon separates.
        assert_eq!(parsed(&basic("app:a:b")), Ok(("app".into(), "a:b".into())));
        assert_eq!(
            parsed(&basic("app:100%")),
            Ok(("app".into(), "100%".into()))
        );
    }

    #[test]
    fn basic_scheme_is_case_insensitive_and_padding_optional() {
        let header = basic("app:s").replace("Basic", "bAsIc");
        assert_eq!(parsed(&header), Ok(("app".into(), "s".into())));
        let unpadded = basic("app:s1").trim_end_matches('=').to_owned();
        assert_eq!(parsed(&unpadded), Ok(("app".into(), "s1".into())));
    }

    #[test]
    fn malformed_basic_headers_are_invalid_requests() {
        for header in [
            "Bearer abc".to_owned(),
            "Basic".to_owned(),
            "Basic !!!".to_owned(),
            basic("no-colon"),
            basic(":secret"),
            basic("app:%FF"),
        ] {
            let err = parsed(&header).err();
            assert_eq!(
                err.map(|e| e.code),
                Some(OAuthErrorCode::InvalidRequest),
                "{header}"
            );
        }
    }

    #[test]
    fn form_credentials_reject_repeated_parameters() {
        let form =
            Params::parse_urlencoded("client_id=app&client_secret=s3cret1&client_secret=s3cret2");
        let err = PresentedCredentials::from_form(None, &form).err();
        assert_eq!(
            err.as_ref().map(|e| e.code),
            Some(OAuthErrorCode::InvalidRequest)
        );
        assert!(err.is_some_and(
            |e| e.description.contains("client_secret") && !e.description.contains("s3cret")
        ));
        let form = Params::parse_urlencoded("client_id=app&client_secret=&grant_type=x");
        let creds = PresentedCredentials::from_form(Some("Basic x".into()), &form);
        assert_eq!(
            creds,
            Ok(PresentedCredentials {
                authorization_header: Some("Basic x".into()),
                client_id: Some("app".into()),
                ..Default::default()
            })
        );
    }

    #[test]
    fn credentials_debug_redacts_secrets_and_assertions() {
        let creds = PresentedCredentials {
            authorization_header: Some(basic("app:hunter2")),
            client_id: Some("app".into()),
            client_secret: Some("hunter2".into()),
            client_assertion_type: None,
            client_assertion: Some("eyJhbGciOi.x.y".into()),
        };
        let text = format!("{creds:?}");
        assert!(!text.contains("hunter2") && !text.contains("eyJ"), "{text}");
        assert!(!text.contains(&basic("app:hunter2")[6..]), "{text}");
        assert!(text.contains("Basic") && text.contains("app"), "{text}");
    }
}
