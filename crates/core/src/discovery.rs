//! Provider metadata: OpenID Connect Discovery 1.0 §3 and RFC 8414 §2.
//!
//! Built once from what this build implements and what is configured; the server serves the bytes.
//! Only members registered by those specs appear (conformance warns on anything else), and only for what
//! is served: each endpoint's issue adds its members here. `authorization_endpoint`,
//! `response_types_supported`, `subject_types_supported` and `id_token_signing_alg_values_supported` are
//! REQUIRED by Discovery §3 in every document.

use serde::Serialize;

use crate::issuer::Issuer;
use crate::keys::SigningAlg;
use crate::user::STANDARD_CLAIMS;

/// The provider metadata document.
#[derive(Debug, Serialize)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    pub end_session_endpoint: String,
    pub jwks_uri: String,
    pub scopes_supported: Vec<&'static str>,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub subject_types_supported: Vec<&'static str>,
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    pub userinfo_signing_alg_values_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub acr_values_supported: Vec<&'static str>,
    pub display_values_supported: Vec<&'static str>,
    pub claim_types_supported: Vec<&'static str>,
    pub claims_supported: Vec<&'static str>,
    pub ui_locales_supported: Vec<&'static str>,
    pub claims_parameter_supported: bool,
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
    pub authorization_response_iss_parameter_supported: bool,
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
    pub frontchannel_logout_supported: bool,
    pub frontchannel_logout_session_supported: bool,
}

/// Scopes with a meaning defined by OIDC Core §5.4 and §11 (plus `openid` itself).
pub const SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// Authentication context classes: `1` is a password login, `2` a multi-factor one (password and a
/// TOTP or recovery code).
pub const ACR_VALUES: [&str; 2] = ["1", "2"];

/// Client authentication at the token, revocation and introspection endpoints; `none` comes last.
const AUTH_METHODS: [&str; 5] = [
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
];

/// JWS algorithms accepted on client assertions: asymmetric ones for `private_key_jwt`, HMACs for
/// `client_secret_jwt` (OIDC Core §9).
const ASSERTION_ALGS: [&str; 13] = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
    "HS256", "HS384", "HS512",
];

impl ProviderMetadata {
    /// `algs` are the ID-token signing algorithms the key ring holds; RS256 is listed first.
    /// Advertises the resource owner password grant (only when the server serves it).
    pub fn with_password_grant(mut self) -> Self {
        self.grant_types_supported.push("password");
        self
    }

    pub fn new(issuer: &Issuer, algs: &[SigningAlg]) -> Self {
        let mut algs: Vec<SigningAlg> = algs.to_vec();
        algs.sort();
        algs.dedup();
        let signing: Vec<&'static str> = algs.into_iter().map(SigningAlg::as_str).collect();
        let mut claims = vec![
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "amr",
            "azp",
            "sid",
        ];
        claims.extend(STANDARD_CLAIMS);
        Self {
            issuer: issuer.as_str().to_owned(),
            authorization_endpoint: issuer.endpoint("authorize"),
            token_endpoint: issuer.endpoint("token"),
            userinfo_endpoint: issuer.endpoint("userinfo"),
            revocation_endpoint: issuer.endpoint("revoke"),
            introspection_endpoint: issuer.endpoint("introspect"),
            end_session_endpoint: issuer.endpoint("logout"),
            jwks_uri: issuer.endpoint("jwks"),
            scopes_supported: SCOPES.to_vec(),
            response_types_supported: vec!["code"],
            response_modes_supported: vec!["query", "fragment", "form_post"],
            grant_types_supported: vec![
                "authorization_code",
                "refresh_token",
                "client_credentials",
            ],
            subject_types_supported: vec!["public"],
            userinfo_signing_alg_values_supported: signing.clone(),
            token_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
            revocation_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
            // Introspection answers confidential clients only (RFC 7662 §2.1).
            introspection_endpoint_auth_methods_supported: AUTH_METHODS[..4].to_vec(),
            token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGS.to_vec(),
            code_challenge_methods_supported: vec!["S256"],
            acr_values_supported: ACR_VALUES.to_vec(),
            display_values_supported: vec!["page", "popup", "touch", "wap"],
            claim_types_supported: vec!["normal"],
            ui_locales_supported: vec!["en"],
            claims_parameter_supported: true,
            request_parameter_supported: false,
            request_uri_parameter_supported: false,
            authorization_response_iss_parameter_supported: true,
            backchannel_logout_supported: true,
            backchannel_logout_session_supported: true,
            frontchannel_logout_supported: true,
            frontchannel_logout_session_supported: true,
            id_token_signing_alg_values_supported: signing,
            claims_supported: claims,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> serde_json::Value {
        let issuer = Issuer::parse("https://id.example.com/acme").unwrap_or_else(|e| panic!("{e}"));
        let doc = ProviderMetadata::new(
            &issuer,
            &[SigningAlg::EdDsa, SigningAlg::Rs256, SigningAlg::Es256],
        );
        serde_json::to_value(doc).unwrap_or_default()
    }

    #[test]
    fn issuer_and_endpoints_derive_from_the_configured_issuer() {
        let doc = metadata();
        assert_eq!(doc["issuer"], "https://id.example.com/acme");
        assert_eq!(doc["jwks_uri"], "https://id.example.com/acme/jwks");
        assert_eq!(
            doc["authorization_endpoint"],
            "https://id.example.com/acme/authorize"
        );
    }

    #[test]
    fn rs256_is_advertised_first_and_openid_scope_is_present() {
        let doc = metadata();
        assert_eq!(
            doc["id_token_signing_alg_values_supported"],
            serde_json::json!(["RS256", "ES256", "EdDSA"])
        );
        assert_eq!(doc["scopes_supported"][0], "openid");
        assert_eq!(
            doc["subject_types_supported"],
            serde_json::json!(["public"])
        );
    }

    #[test]
    fn implemented_endpoints_and_capabilities_are_advertised() {
        let doc = metadata();
        assert_eq!(doc["token_endpoint"], "https://id.example.com/acme/token");
        assert_eq!(
            doc["userinfo_endpoint"],
            "https://id.example.com/acme/userinfo"
        );
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        assert_eq!(
            doc["end_session_endpoint"],
            "https://id.example.com/acme/logout"
        );
        for flag in [
            "backchannel_logout_supported",
            "backchannel_logout_session_supported",
            "frontchannel_logout_supported",
            "frontchannel_logout_session_supported",
        ] {
            assert_eq!(doc[flag], true, "{flag}");
        }
        assert_eq!(
            doc["request_uri_parameter_supported"], false,
            "the default is true, so false must be said"
        );
        assert!(
            doc["scopes_supported"]
                .as_array()
                .is_some_and(|s| s.contains(&serde_json::json!("offline_access")))
        );
    }

    #[test]
    fn every_client_authentication_method_and_its_algs_are_advertised() {
        let doc = metadata();
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            serde_json::json!([
                "client_secret_basic",
                "client_secret_post",
                "client_secret_jwt",
                "private_key_jwt",
                "none"
            ])
        );
        let algs = &doc["token_endpoint_auth_signing_alg_values_supported"];
        for alg in ["HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"] {
            assert!(
                algs.as_array()
                    .is_some_and(|a| a.contains(&serde_json::json!(alg))),
                "{alg}"
            );
        }
        assert!(
            !algs
                .as_array()
                .is_some_and(|a| a.contains(&serde_json::json!("none")))
        );
    }

    #[test]
    fn claims_supported_lists_every_standard_claim_once() {
        let doc = metadata();
        let claims: Vec<&str> = doc["claims_supported"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        let mut unique = claims.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), claims.len());
        for claim in [
            "email_verified",
            "phone_number",
            "address",
            "updated_at",
            "sub",
        ] {
            assert!(claims.contains(&claim), "{claim}");
        }
    }
}
