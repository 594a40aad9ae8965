//! client_secret_basic, client_secret_post and none (RFC 6749 §2.3.1, OIDC Core §9).

use super::*;

#[tokio::test]
async fn client_secret_basic_authenticates_with_the_stored_secret() {
    let creds = PresentedCredentials {
        authorization_header: basic("app", SECRET),
        ..Default::default()
    };
    let app = confidential("app", TokenEndpointAuthMethod::ClientSecretBasic);
    let result = auth(&creds, &Clients::of(vec![app.clone()]), &Replay::default()).await;
    assert_eq!(
        result,
        Ok(AuthenticatedClient {
            client: app,
            method: TokenEndpointAuthMethod::ClientSecretBasic
        })
    );
}

#[tokio::test]
async fn client_secret_basic_url_decodes_both_parts() {
    let secret = "p+s %=&:x";
    let app = with_secret(
        client("svc:1", TokenEndpointAuthMethod::ClientSecretBasic),
        secret,
    );
    let creds = PresentedCredentials {
        authorization_header: basic("svc%3A1", "p%2Bs+%25%3D%26%3Ax"),
        client_id: Some("svc:1".into()),
        ..Default::default()
    };
    assert_eq!(
        outcome(&creds, vec![app.clone()]).await,
        Ok(TokenEndpointAuthMethod::ClientSecretBasic)
    );
    // The raw, undecoded secret is not the secret.
    let raw = PresentedCredentials {
        authorization_header: basic("svc%3A1", "p+s %=&:x"),
        ..Default::default()
    };
    assert_eq!(code(&outcome(&raw, vec![app]).await), Some(InvalidClient));
}

#[tokio::test]
async fn client_secret_post_authenticates_with_the_stored_secret() {
    let app = confidential("app", TokenEndpointAuthMethod::ClientSecretPost);
    assert_eq!(
        outcome(&post("app", SECRET), vec![app]).await,
        Ok(TokenEndpointAuthMethod::ClientSecretPost)
    );
}

#[tokio::test]
async fn a_wrong_secret_is_invalid_client() {
    let app = confidential("app", TokenEndpointAuthMethod::ClientSecretPost);
    let result = outcome(&post("app", "guess"), vec![app.clone()]).await;
    assert_eq!(code(&result), Some(InvalidClient));
    let creds = PresentedCredentials {
        authorization_header: basic("app", ""),
        ..Default::default()
    };
    let basic_app = confidential("app", TokenEndpointAuthMethod::ClientSecretBasic);
    assert_eq!(
        code(&outcome(&creds, vec![basic_app]).await),
        Some(InvalidClient)
    );
    let no_hash = client("app", TokenEndpointAuthMethod::ClientSecretPost);
    assert_eq!(
        code(&outcome(&post("app", SECRET), vec![no_hash]).await),
        Some(InvalidClient)
    );
}

#[tokio::test]
async fn unknown_and_disabled_clients_are_invalid_client() {
    let result = outcome(&post("nobody", SECRET), vec![]).await;
    assert_eq!(result, Err((InvalidClient, "unknown client".into())));
    let result = outcome(&post("bad id", SECRET), vec![]).await;
    assert_eq!(code(&result), Some(InvalidClient));
    let mut app = confidential("app", TokenEndpointAuthMethod::ClientSecretPost);
    app.metadata.disabled = true;
    let result = outcome(&post("app", SECRET), vec![app]).await;
    assert_eq!(
        result,
        Err((InvalidClient, "the client is disabled".into()))
    );
}

#[tokio::test]
async fn the_method_used_must_be_the_registered_one() {
    let basic_app = confidential("app", TokenEndpointAuthMethod::ClientSecretBasic);
    let result = outcome(&post("app", SECRET), vec![basic_app]).await;
    assert_eq!(
        result,
        Err((
            InvalidClient,
            "the client is registered for client_secret_basic, not client_secret_post".into()
        ))
    );
    let post_app = confidential("app", TokenEndpointAuthMethod::ClientSecretPost);
    let creds = PresentedCredentials {
        authorization_header: basic("app", SECRET),
        ..Default::default()
    };
    assert_eq!(
        code(&outcome(&creds, vec![post_app]).await),
        Some(InvalidClient)
    );
    // A private_key_jwt client's secret (should it have one) does not authenticate it.
    let jwt_app = confidential("app", TokenEndpointAuthMethod::PrivateKeyJwt);
    assert_eq!(
        code(&outcome(&post("app", SECRET), vec![jwt_app]).await),
        Some(InvalidClient)
    );
}

#[tokio::test]
async fn none_authenticates_only_public_clients_by_client_id() {
    let public = client("spa", TokenEndpointAuthMethod::None);
    let creds = PresentedCredentials {
        client_id: Some("spa".into()),
        ..Default::default()
    };
    assert_eq!(
        outcome(&creds, vec![public]).await,
        Ok(TokenEndpointAuthMethod::None)
    );
    let app = confidential("app", TokenEndpointAuthMethod::ClientSecretBasic);
    let creds = PresentedCredentials {
        client_id: Some("app".into()),
        ..Default::default()
    };
    assert_eq!(code(&outcome(&creds, vec![app]).await), Some(InvalidClient));
    assert_eq!(
        outcome(&PresentedCredentials::default(), vec![]).await,
        Err((InvalidClient, "no client authentication is included".into()))
    );
}

const PREVIOUS: &str = "the-previous-secret-replaced-by-a-rotation";

fn rotated(method: TokenEndpointAuthMethod, overlap_ends: DateTime<Utc>) -> Client {
    let mut app = confidential("app", method);
    app.previous_secret = Some(crate::client::PreviousSecret {
        hash: crate::secret::Secret::new(PREVIOUS).sha256(),
        expires_at: overlap_ends,
    });
    app
}

async fn at(
    creds: &PresentedCredentials,
    app: Client,
    instant: DateTime<Utc>,
) -> Result<TokenEndpointAuthMethod, OAuthErrorCode> {
    authenticate(
        creds,
        &Clients::of(vec![app]),
        &Replay::default(),
        &master_key(),
        &audiences(),
        instant,
    )
    .await
    .map(|a| a.method)
    .map_err(|e| e.code)
}

#[tokio::test]
async fn the_previous_secret_is_accepted_while_the_overlap_runs() {
    let ends = now() + chrono::Duration::hours(1);
    let basic_creds = PresentedCredentials {
        authorization_header: basic("app", PREVIOUS),
        ..Default::default()
    };
    let basic_app = rotated(TokenEndpointAuthMethod::ClientSecretBasic, ends);
    assert_eq!(
        at(&basic_creds, basic_app, now()).await,
        Ok(TokenEndpointAuthMethod::ClientSecretBasic)
    );
    let post_app = rotated(TokenEndpointAuthMethod::ClientSecretPost, ends);
    let last_second = ends - chrono::Duration::seconds(1);
    assert_eq!(
        at(&post("app", PREVIOUS), post_app.clone(), last_second).await,
        Ok(TokenEndpointAuthMethod::ClientSecretPost)
    );
    // The new secret works meanwhile.
    assert!(at(&post("app", SECRET), post_app, now()).await.is_ok());
}

#[tokio::test]
async fn the_previous_secret_is_refused_once_the_overlap_ends() {
    let ends = now() + chrono::Duration::hours(1);
    let app = rotated(TokenEndpointAuthMethod::ClientSecretPost, ends);
    for instant in [ends, ends + chrono::Duration::days(1)] {
        assert_eq!(
            at(&post("app", PREVIOUS), app.clone(), instant).await,
            Err(InvalidClient),
            "{instant}"
        );
        assert!(at(&post("app", SECRET), app.clone(), instant).await.is_ok());
    }
    let basic_creds = PresentedCredentials {
        authorization_header: basic("app", PREVIOUS),
        ..Default::default()
    };
    let basic_app = rotated(TokenEndpointAuthMethod::ClientSecretBasic, ends);
    assert_eq!(at(&basic_creds, basic_app, ends).await, Err(InvalidClient));
}

#[tokio::test]
async fn a_previous_secret_does_not_open_another_method() {
    let app = rotated(
        TokenEndpointAuthMethod::ClientSecretBasic,
        now() + chrono::Duration::hours(1),
    );
    assert_eq!(
        at(&post("app", PREVIOUS), app, now()).await,
        Err(InvalidClient)
    );
}
