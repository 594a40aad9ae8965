//! `authenticate` end to end, one test per rule, against in-memory fakes of the ports: the rules
//! shared by every method here, then one file per family of methods.

mod private_key_jwt;
mod secret_jwt;
mod secrets;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::fixtures::*;
use super::*;
use crate::client::JwsAlg;
use crate::oauth_error::OAuthErrorCode::{InvalidClient, InvalidRequest, ServerError};

const SECRET: &str = "s3cr3t-value_with~chars-and-32-bytes-or-more";

fn basic(client_id: &str, secret: &str) -> Option<String> {
    Some(format!(
        "Basic {}",
        STANDARD.encode(format!("{client_id}:{secret}"))
    ))
}

fn post(client_id: &str, secret: &str) -> PresentedCredentials {
    PresentedCredentials {
        client_id: Some(client_id.into()),
        client_secret: Some(secret.into()),
        ..Default::default()
    }
}

fn jwt(assertion: String) -> PresentedCredentials {
    PresentedCredentials {
        client_assertion_type: Some(JWT_BEARER_ASSERTION_TYPE.into()),
        client_assertion: Some(assertion),
        ..Default::default()
    }
}

fn confidential(client_id: &str, method: TokenEndpointAuthMethod) -> Client {
    with_secret(client(client_id, method), SECRET)
}

async fn auth(
    creds: &PresentedCredentials,
    clients: &Clients,
    replay: &Replay,
) -> Result<AuthenticatedClient, ClientAuthError> {
    authenticate(creds, clients, replay, &master_key(), &audiences(), now()).await
}

/// The method on success, the error code and description otherwise.
async fn outcome(
    creds: &PresentedCredentials,
    clients: Vec<Client>,
) -> Result<TokenEndpointAuthMethod, (OAuthErrorCode, String)> {
    auth(creds, &Clients::of(clients), &Replay::default())
        .await
        .map(|a| a.method)
        .map_err(|e| (e.code, e.description))
}

fn code<T>(result: &Result<T, (OAuthErrorCode, String)>) -> Option<OAuthErrorCode> {
    result.as_ref().err().map(|(code, _)| *code)
}

#[tokio::test]
async fn more_than_one_method_is_invalid_request() {
    let app = confidential("app", TokenEndpointAuthMethod::ClientSecretBasic);
    let both = [
        PresentedCredentials {
            authorization_header: basic("app", SECRET),
            ..post("app", SECRET)
        },
        PresentedCredentials {
            client_secret: Some(SECRET.into()),
            client_id: Some("app".into()),
            ..jwt("a.b.c".into())
        },
        PresentedCredentials {
            authorization_header: basic("app", SECRET),
            ..jwt("a.b.c".into())
        },
        PresentedCredentials {
            authorization_header: basic("app", SECRET),
            client_assertion_type: Some(JWT_BEARER_ASSERTION_TYPE.into()),
            ..Default::default()
        },
    ];
    for creds in both {
        let result = outcome(&creds, vec![app.clone()]).await;
        assert_eq!(code(&result), Some(InvalidRequest), "{creds:?}");
    }
}

#[tokio::test]
async fn a_body_client_id_must_match_the_authenticated_client() {
    let app = confidential("app", TokenEndpointAuthMethod::ClientSecretBasic);
    let creds = PresentedCredentials {
        authorization_header: basic("app", SECRET),
        client_id: Some("other".into()),
        ..Default::default()
    };
    let result = outcome(&creds, vec![app.clone()]).await;
    assert_eq!(code(&result), Some(InvalidRequest));
    let same = PresentedCredentials {
        client_id: Some("app".into()),
        ..creds
    };
    assert!(outcome(&same, vec![app]).await.is_ok());

    let key = TestKey::generate(JwsAlg::Es256, None);
    let jwt_app = with_keys(
        client("app", TokenEndpointAuthMethod::PrivateKeyJwt),
        &[&key],
    );
    let creds = PresentedCredentials {
        client_id: Some("other".into()),
        ..jwt(key.sign(&assertion_claims("app", "j1"), None))
    };
    assert_eq!(
        code(&outcome(&creds, vec![jwt_app]).await),
        Some(InvalidRequest)
    );
}

#[tokio::test]
async fn a_store_failure_is_a_server_error_without_details() {
    let clients = Clients {
        clients: vec![],
        fail: true,
    };
    let err = auth(&post("app", SECRET), &clients, &Replay::default())
        .await
        .err();
    let err = err.unwrap_or_else(|| panic!("must fail"));
    assert_eq!(err.code, ServerError);
    assert!(!err.description.contains("db.internal"));
    assert!(err.cause.is_some_and(|c| c.contains("db.internal")));
}

#[tokio::test]
async fn errors_say_whether_the_authorization_header_was_used() {
    let app = confidential("app", TokenEndpointAuthMethod::ClientSecretBasic);
    let clients = Clients::of(vec![app]);
    let creds = PresentedCredentials {
        authorization_header: basic("app", "wrong"),
        ..Default::default()
    };
    let err = auth(&creds, &clients, &Replay::default()).await.err();
    assert_eq!(
        err.map(|e| (e.code, e.via_authorization_header)),
        Some((InvalidClient, true))
    );
    let err = auth(&post("app", "wrong"), &clients, &Replay::default())
        .await
        .err();
    assert_eq!(err.map(|e| e.via_authorization_header), Some(false));
}

#[tokio::test]
async fn descriptions_never_contain_secrets_or_assertions() {
    let key = TestKey::generate(JwsAlg::Es256, None);
    let app = with_keys(
        confidential("app", TokenEndpointAuthMethod::ClientSecretPost),
        &[&key],
    );
    let token = key.sign(&assertion_claims("app", "j1"), None);
    let attempts = [
        post("app", "leaked-secret-guess"),
        PresentedCredentials {
            authorization_header: basic("app", "leaked-secret-guess"),
            ..Default::default()
        },
        jwt(token.clone()),
        PresentedCredentials {
            client_assertion_type: Some("leaked-secret-guess".into()),
            ..jwt(token.clone())
        },
    ];
    for creds in attempts {
        let result = outcome(&creds, vec![app.clone()]).await;
        let (_, description) = result
            .err()
            .unwrap_or_else(|| panic!("{creds:?} must fail"));
        assert!(
            !description.contains("leaked-secret-guess"),
            "{description}"
        );
        assert!(!description.contains(&token[..20]), "{description}");
    }
}
