//! Test fixtures: clients, in-memory fakes of the two ports, and client keys that sign assertions.

use std::collections::HashSet;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use josekit::jwk::KeyPair;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jws::{ES256, EdDSA, HS256, HS384, HS512, JwsHeader, JwsSigner, RS256};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::audit::AuditEvent;
use crate::client::{
    ApplicationType, Client, ClientId, ClientMetadata, JwsAlg, SecretSealer, SubjectType,
    TokenEndpointAuthMethod, TokenLifetimes,
};
use crate::keys::{MasterKey, SigningAlg};
use crate::ports::{AssertionReplayStore, ClientStore, StoreError};
use crate::random::OsRandom;
use crate::secret::{Secret, SecretHash};

pub const NOW: i64 = 1_800_000_000;
pub const TOKEN_ENDPOINT: &str = "https://op.example/token";
pub const ISSUER: &str = "https://op.example";

pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(NOW, 0).unwrap_or_default()
}

pub fn audiences() -> Vec<String> {
    vec![TOKEN_ENDPOINT.into(), ISSUER.into()]
}

pub fn client(client_id: &str, method: TokenEndpointAuthMethod) -> Client {
    Client {
        id: Uuid::now_v7(),
        client_id: ClientId::parse(client_id).unwrap_or_else(|e| panic!("{e}")),
        secret_hash: None,
        previous_secret: None,
        sealed_secret: None,
        metadata: ClientMetadata {
            name: client_id.into(),
            logo_uri: None,
            client_uri: None,
            policy_uri: None,
            tos_uri: None,
            contacts: Vec::new(),
            application_type: ApplicationType::Web,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            grant_types: Vec::new(),
            response_types: Vec::new(),
            scopes: Vec::new(),
            token_endpoint_auth_method: method,
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
            require_pkce: true,
            always_issue_refresh_token: false,
            default_max_age: None,
            require_auth_time: false,
            default_acr_values: Vec::new(),
            lifetimes: TokenLifetimes::default(),
            disabled: false,
        },
        created_at: now(),
        updated_at: now(),
    }
}

pub fn with_secret(mut client: Client, secret: &str) -> Client {
    client.secret_hash = Some(Secret::new(secret).sha256());
    client
}

/// The master key the token endpoint is given in these tests.
pub fn master_key() -> MasterKey {
    use base64::Engine;
    MasterKey::parse(&base64::engine::general_purpose::STANDARD.encode([7u8; 32]))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A client_secret_jwt client as provisioning stores it: the hash, and the secret sealed under `master`.
pub fn with_sealed_secret(client: Client, master: &MasterKey, secret: &str) -> Client {
    let mut client = with_secret(client, secret);
    let sealer = SecretSealer {
        master,
        random: &OsRandom,
    };
    client.sealed_secret = Some(
        sealer
            .seal(&client.client_id, &Secret::new(secret))
            .unwrap_or_else(|e| panic!("{e}")),
    );
    client
}

pub fn with_keys(mut client: Client, keys: &[&TestKey]) -> Client {
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| Value::Object(k.public.clone()))
        .collect();
    client.metadata.jwks = json!({ "keys": keys }).as_object().cloned();
    client
}

/// A `ClientStore` over a fixed list; `fail` makes every lookup a backend error.
#[derive(Default)]
pub struct Clients {
    pub clients: Vec<Client>,
    pub fail: bool,
}

impl Clients {
    pub fn of(clients: Vec<Client>) -> Self {
        Self {
            clients,
            fail: false,
        }
    }
}

#[async_trait]
impl ClientStore for Clients {
    async fn find_client(&self, client_id: &ClientId) -> Result<Option<Client>, StoreError> {
        if self.fail {
            return Err(StoreError::Backend(
                "connection refused to db.internal".into(),
            ));
        }
        Ok(self
            .clients
            .iter()
            .find(|c| &c.client_id == client_id)
            .cloned())
    }

    async fn find_client_by_id(&self, id: Uuid) -> Result<Option<Client>, StoreError> {
        Ok(self.clients.iter().find(|c| c.id == id).cloned())
    }

    async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        Ok(self.clients.clone())
    }

    async fn insert_client(&self, _: &Client, _: &AuditEvent) -> Result<(), StoreError> {
        Err(StoreError::Backend("read-only fake".into()))
    }

    async fn set_client_secret(
        &self,
        _: Uuid,
        _: &SecretHash,
        _: Option<DateTime<Utc>>,
        _: DateTime<Utc>,
        _: &AuditEvent,
    ) -> Result<(), StoreError> {
        Err(StoreError::Backend("read-only fake".into()))
    }

    async fn set_client_disabled(
        &self,
        _: Uuid,
        _: bool,
        _: DateTime<Utc>,
        _: &AuditEvent,
    ) -> Result<(), StoreError> {
        Err(StoreError::Backend("read-only fake".into()))
    }
}

/// An `AssertionReplayStore` remembering `(client_id, jti)` pairs and the instants they were kept until.
#[derive(Default)]
pub struct Replay(pub Mutex<HashSet<(String, String, DateTime<Utc>)>>);

impl Replay {
    pub fn recorded(&self) -> Vec<(String, String, DateTime<Utc>)> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

#[async_trait]
impl AssertionReplayStore for Replay {
    async fn record_assertion(
        &self,
        client_id: &ClientId,
        jti: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut seen = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let known = seen
            .iter()
            .any(|(c, j, _)| c == client_id.as_str() && j == jti);
        if !known {
            seen.insert((client_id.as_str().to_owned(), jti.to_owned(), expires_at));
        }
        Ok(!known)
    }
}

/// A client's key pair: the public JWK it registers and the signer it keeps.
pub struct TestKey {
    pub alg: JwsAlg,
    pub public: Map<String, Value>,
    signer: Box<dyn JwsSigner>,
}

impl TestKey {
    pub fn generate(alg: JwsAlg, kid: Option<&str>) -> Self {
        let (pair, signer): (Box<dyn KeyPair>, Box<dyn JwsSigner>) = match alg {
            JwsAlg::Rs256 => {
                let pair = RS256
                    .generate_key_pair(2048)
                    .unwrap_or_else(|e| panic!("{e}"));
                let signer = RS256.signer_from_der(pair.to_der_private_key());
                (
                    Box::new(pair),
                    Box::new(signer.unwrap_or_else(|e| panic!("{e}"))),
                )
            }
            JwsAlg::Es256 => {
                let pair = ES256.generate_key_pair().unwrap_or_else(|e| panic!("{e}"));
                let signer = ES256.signer_from_der(pair.to_der_private_key());
                (
                    Box::new(pair),
                    Box::new(signer.unwrap_or_else(|e| panic!("{e}"))),
                )
            }
            JwsAlg::EdDsa => {
                let pair = EdDSA
                    .generate_key_pair(EdCurve::Ed25519)
                    .unwrap_or_else(|e| panic!("{e}"));
                let signer = EdDSA.signer_from_der(pair.to_der_private_key());
                (
                    Box::new(pair),
                    Box::new(signer.unwrap_or_else(|e| panic!("{e}"))),
                )
            }
            other => panic!("no test key for {other}"),
        };
        let mut public: Map<String, Value> = pair.to_jwk_public_key().into();
        if let Some(kid) = kid {
            public.insert("kid".into(), Value::String(kid.into()));
        }
        Self {
            alg,
            public,
            signer,
        }
    }

    /// A compact JWS over `claims`, with `kid` in the header when given.
    pub fn sign(&self, claims: &Value, kid: Option<&str>) -> String {
        sign_with(self.signer.as_ref(), claims, kid)
    }
}

pub fn sign_with(signer: &dyn JwsSigner, claims: &Value, kid: Option<&str>) -> String {
    let mut header = JwsHeader::new();
    if let Some(kid) = kid {
        header.set_key_id(kid);
    }
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    josekit::jws::serialize_compact(&payload, &header, signer).unwrap_or_else(|e| panic!("{e}"))
}

/// An HS256 assertion keyed with `secret`, as a client_secret_jwt client would send it.
pub fn sign_hs256(secret: &str, claims: &Value) -> String {
    sign_hmac(JwsAlg::Hs256, secret, claims)
}

/// An HMAC assertion (HS256, HS384 or HS512) keyed with `secret`.
pub fn sign_hmac(alg: JwsAlg, secret: &str, claims: &Value) -> String {
    let key = secret.as_bytes();
    let signer: Box<dyn JwsSigner> = match alg {
        JwsAlg::Hs256 => Box::new(
            HS256
                .signer_from_bytes(key)
                .unwrap_or_else(|e| panic!("{e}")),
        ),
        JwsAlg::Hs384 => Box::new(
            HS384
                .signer_from_bytes(key)
                .unwrap_or_else(|e| panic!("{e}")),
        ),
        JwsAlg::Hs512 => Box::new(
            HS512
                .signer_from_bytes(key)
                .unwrap_or_else(|e| panic!("{e}")),
        ),
        other => panic!("{other} is not an HMAC"),
    };
    sign_with(signer.as_ref(), claims, None)
}

/// The claims the conformance suite sends (CONFORMANCE.md §3.2), for `client_id` and a `jti`.
pub fn assertion_claims(client_id: &str, jti: &str) -> Value {
    json!({
        "iss": client_id, "sub": client_id, "aud": TOKEN_ENDPOINT, "jti": jti,
        "iat": NOW, "nbf": NOW, "exp": NOW + 60,
    })
}

/// An unsigned (`alg: none`) token.
pub fn unsigned(claims: &Value) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    format!("{header}.{payload}.")
}
