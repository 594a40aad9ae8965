//! One test per rule of `client_id_of`, `target_of` and `validate`.

use chrono::{DateTime, Duration};
use uuid::Uuid;

use super::rules::check_mode_fits_response_type;
use super::*;
use crate::authorize::ResponseMode;
use crate::client::{
    ApplicationType, ClientMetadata, GrantType, SubjectType, TokenEndpointAuthMethod,
    TokenLifetimes,
};
use crate::keys::SigningAlg;
use crate::oauth_error::OAuthErrorCode::{self, *};

const CB: &str = "https://rp.example/cb";
const CB_WITH_QUERY: &str = "https://rp.example/cb?tenant=a";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// A code request as the conformance suite sends it (section 1.1), redirect_uri percent-encoded.
const BASE: &str = "client_id=rp&redirect_uri=https%3A%2F%2Frp.example%2Fcb&response_type=code\
                    &scope=openid&state=s1&nonce=n1";

fn uri(text: &str) -> RedirectUri {
    RedirectUri::parse(text, ApplicationType::Web).unwrap_or_else(|e| panic!("{e}"))
}

fn client() -> Client {
    Client {
        id: Uuid::nil(),
        client_id: ClientId::parse("rp").unwrap_or_else(|e| panic!("{e}")),
        secret_hash: None,
        previous_secret: None,
        sealed_secret: None,
        metadata: ClientMetadata {
            name: "RP".to_owned(),
            logo_uri: None,
            client_uri: None,
            policy_uri: None,
            tos_uri: None,
            contacts: vec![],
            application_type: ApplicationType::Web,
            redirect_uris: vec![uri(CB), uri(CB_WITH_QUERY)],
            post_logout_redirect_uris: vec![],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            response_types: vec![ResponseType::Code],
            scopes: ["openid", "profile", "email", "offline_access"]
                .map(str::to_owned)
                .to_vec(),
            token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
            token_endpoint_auth_signing_alg: None,
            jwks: None,
            jwks_uri: None,
            id_token_signed_response_alg: SigningAlg::Rs256,
            userinfo_signed_response_alg: None,
            request_object_signing_alg: None,
            access_token_signed_alg: None,
            subject_type: SubjectType::Public,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            frontchannel_logout_uri: None,
            frontchannel_logout_session_required: false,
            first_party: false,
            require_pkce: false,
            always_issue_refresh_token: false,
            default_max_age: None,
            require_auth_time: false,
            default_acr_values: vec![],
            lifetimes: TokenLifetimes::default(),
            disabled: false,
        },
        created_at: DateTime::UNIX_EPOCH,
        updated_at: DateTime::UNIX_EPOCH,
    }
}

fn with(change: impl FnOnce(&mut ClientMetadata)) -> Client {
    let mut client = client();
    change(&mut client.metadata);
    client
}

fn params(query: &str) -> Params {
    Params::parse_urlencoded(query)
}

/// Both steps, as the endpoint runs them.
fn authorize(client: &Client, query: &str) -> Result<AuthorizationRequest, AuthorizeError> {
    let params = params(query);
    let target = target_of(&params, client)?;
    validate(&params, client, target)
}

fn accepted(extra: &str) -> AuthorizationRequest {
    authorize(&client(), &format!("{BASE}&{extra}")).unwrap_or_else(|e| panic!("{extra}: {e}"))
}

/// The error of a request that passed `target_of`: it must go back to the client.
fn redirected_error(client: &Client, query: &str) -> (OAuthErrorCode, String) {
    match authorize(client, query) {
        Err(AuthorizeError {
            code,
            description,
            target: Some(_),
        }) => (code, description),
        other => panic!("{query}: expected a redirected error, got {other:?}"),
    }
}

fn rejected(extra: &str) -> OAuthErrorCode {
    redirected_error(&client(), &format!("{BASE}&{extra}")).0
}

fn page_error(client: &Client, query: &str) -> OAuthErrorCode {
    match target_of(&params(query), client) {
        Err(AuthorizeError {
            code, target: None, ..
        }) => code,
        other => panic!("{query}: expected a page error, got {other:?}"),
    }
}

fn target(query: &str) -> RedirectTarget {
    target_of(&params(query), &client()).unwrap_or_else(|e| panic!("{query}: {e}"))
}

mod target;
mod validate;
