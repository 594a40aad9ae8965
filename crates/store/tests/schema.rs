//! The initial migration, proved on SQLite and PostgreSQL: every table takes and returns a row through its
//! entity, unique indexes and foreign keys (CASCADE / SET NULL) are enforced, every foreign-key column leads
//! an index, and the schema rolls all the way down and back up.

use std::{error::Error, fmt::Debug};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, EntityTrait,
    IntoActiveModel, ModelTrait, PaginatorTrait, SqlErr, Statement,
};
use serde_json::json;
use uuid::Uuid;
use valet_migrations::{Migrator, MigratorTrait};
use valet_store::entities::{
    account_tokens, audit_events, authorization_codes, clients, grants, interactions, outbox,
    refresh_tokens, revoked_access_tokens, session_grants, sessions, signing_keys, user_roles,
    users,
};

type TestResult = Result<(), Box<dyn Error + Send + Sync>>;

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[tokio::test]
async fn schema_migrates_and_round_trips_on_sqlite() -> TestResult {
    let path = std::env::temp_dir().join(format!(
        "valet_schema_test_{}.sqlite",
        Uuid::now_v7().simple()
    ));
    let db = Database::connect(format!("sqlite://{}?mode=rwc", path.display())).await?;
    let outcome = prove_isolated(db.clone()).await;
    db.close().await?;
    std::fs::remove_file(&path)?;
    outcome
}

#[tokio::test]
async fn schema_migrates_and_round_trips_on_postgres() -> TestResult {
    let admin = Database::connect(PG_ADMIN_URL).await?;
    let name = format!("valet_schema_test_{}", Uuid::now_v7().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let outcome =
        match Database::connect(format!("postgres://postgres@127.0.0.1:5432/{name}")).await {
            Ok(db) => {
                let outcome = prove_isolated(db.clone()).await;
                db.close().await?;
                outcome
            }
            Err(err) => Err(err.into()),
        };
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await?;
    outcome
}

/// Runs the proof on its own task so a failed assertion becomes an error and the caller still drops
/// its database; the assertion message itself is printed by the panic hook.
async fn prove_isolated(db: DatabaseConnection) -> TestResult {
    tokio::spawn(async move { prove_schema(&db).await })
        .await
        .map_err(|join| format!("schema proof failed: {join}"))?
}

async fn prove_schema(db: &DatabaseConnection) -> TestResult {
    Migrator::up(db, None).await?;
    let rows = Rows::new()?;
    rows.insert_all(db).await?;

    let duplicate = users::Model {
        id: Uuid::now_v7(),
        ..rows.user.clone()
    };
    let err = duplicate.into_active_model().insert(db).await.err();
    assert!(
        matches!(
            err.as_ref().and_then(|e| e.sql_err()),
            Some(SqlErr::UniqueConstraintViolation(_))
        ),
        "duplicate username must violate uq_users_username, got {err:?}"
    );

    let orphan = sessions::Model {
        id: Uuid::now_v7(),
        token_hash: "orphan".into(),
        user_id: Uuid::now_v7(),
        ..rows.session.clone()
    };
    let err = orphan.into_active_model().insert(db).await.err();
    assert!(
        matches!(
            err.as_ref().and_then(|e| e.sql_err()),
            Some(SqlErr::ForeignKeyConstraintViolation(_))
        ),
        "a session of an unknown user must violate fk_sessions_user_id, got {err:?}"
    );

    let granted = rows.session.find_related(grants::Entity).all(db).await?;
    assert_eq!(
        granted,
        vec![rows.grant.clone()],
        "sessions join grants via session_grants"
    );

    rows.prove_foreign_key_actions(db).await?;

    // The addresses stored before `email_key` existed get theirs, folded beyond ASCII.
    Migrator::down(db, Some(2)).await?;
    let mut before = users::Model {
        id: Uuid::now_v7(),
        username: "emile".into(),
        email: Some("ÉMILE@Example.com".into()),
        ..rows.user.clone()
    }
    .into_active_model();
    before.email_key = sea_orm::ActiveValue::NotSet;
    users::Entity::insert(before)
        .exec_without_returning(db)
        .await?;
    Migrator::up(db, None).await?;
    let keys: Vec<Option<String>> = users::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|user| user.email_key)
        .collect();
    assert!(
        !keys.is_empty()
            && keys
                .iter()
                .all(|k| k.as_deref() == Some("émile@example.com")),
        "backfilled keys: {keys:?}"
    );

    prove_pending_sign_ups_lose_their_password(db, &rows).await?;

    Migrator::down(db, None).await?;
    assert!(
        users::Entity::find().all(db).await.is_err(),
        "down drops every table"
    );
    Migrator::up(db, None).await?;
    assert_eq!(users::Entity::find().count(db).await?, 0);
    assert_foreign_keys_indexed(db).await
}

/// A sign-up pending activation when the last migration runs has its stored password cleared (the
/// activation page sets it); a disabled account without an activation link, or whose link was
/// spent (activated, then disabled), keeps its own.
async fn prove_pending_sign_ups_lose_their_password(
    db: &DatabaseConnection,
    rows: &Rows,
) -> TestResult {
    Migrator::down(db, Some(1)).await?;
    let disabled = |name: &str| users::Model {
        id: Uuid::now_v7(),
        username: name.into(),
        email: None,
        email_key: None,
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into()),
        disabled: true,
        ..rows.user.clone()
    };
    let (pending, activated, turned_off) = (
        disabled("pending"),
        disabled("activated"),
        disabled("turned-off"),
    );
    for user in [&pending, &activated, &turned_off] {
        user.clone().into_active_model().insert(db).await?;
    }
    let at = rows.user.created_at;
    for (user, used_at) in [(&pending, None), (&activated, Some(at))] {
        account_tokens::Model {
            id: Uuid::now_v7(),
            user_id: user.id,
            purpose: "activate_account".into(),
            token_hash: format!("{}-activation", user.username),
            email: Some(format!("{}@example.com", user.username)),
            created_at: at,
            expires_at: at + chrono::Duration::hours(24),
            used_at,
        }
        .into_active_model()
        .insert(db)
        .await?;
    }
    Migrator::up(db, None).await?;
    let hash = |id| async move {
        users::Entity::find_by_id(id)
            .one(db)
            .await
            .map(|u| u.and_then(|u| u.password_hash))
    };
    assert_eq!(hash(pending.id).await?, None, "the pending sign-up's");
    assert_eq!(hash(activated.id).await?, activated.password_hash);
    assert_eq!(hash(turned_off.id).await?, turned_off.password_hash);
    Ok(())
}

/// Every foreign-key column leads some index (a primary key counts), so ON DELETE CASCADE / SET NULL
/// finds the child rows without scanning the child table.
async fn assert_foreign_keys_indexed(db: &DatabaseConnection) -> TestResult {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Sqlite => {
            r#"SELECT m.name AS tbl, f."from" AS col,
                 EXISTS (SELECT 1 FROM pragma_index_list(m.name) AS il, pragma_index_info(il.name) AS ii
                         WHERE ii.seqno = 0 AND ii.name = f."from") AS indexed
               FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f
               WHERE m.type = 'table'"#
        }
        _ => {
            "SELECT c.conrelid::regclass::text AS tbl, a.attname::text AS col,
                 EXISTS (SELECT 1 FROM pg_index AS i
                         WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])::int AS indexed
               FROM pg_constraint AS c
               JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
               WHERE c.contype = 'f'"
        }
    };
    let mut unindexed = Vec::new();
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    assert!(!rows.is_empty(), "the schema has foreign keys to check");
    for row in rows {
        if row.try_get::<i32>("", "indexed")? == 0 {
            let (table, col): (String, String) = (row.try_get("", "tbl")?, row.try_get("", "col")?);
            unindexed.push(format!("{table}.{col}"));
        }
    }
    unindexed.sort();
    assert!(
        unindexed.is_empty(),
        "foreign keys without a leading index: {unindexed:?}"
    );
    Ok(())
}

/// Inserts `model` through its ActiveModel and reads the whole (single-row) table back.
async fn insert_and_read_back<E>(db: &DatabaseConnection, model: &E::Model) -> TestResult
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Clone + PartialEq + Debug + Send + Sync,
    E::ActiveModel: Send,
{
    let table = E::default().table_name().to_owned();
    let inserted = model.clone().into_active_model().insert(db).await?;
    assert_eq!(&inserted, model, "{table}: insert returns the row");
    assert_eq!(
        E::find().all(db).await?,
        vec![model.clone()],
        "{table}: read back"
    );
    Ok(())
}

/// One row per table, wired to each other through their foreign keys.
struct Rows {
    user: users::Model,
    user_role: user_roles::Model,
    client: clients::Model,
    session: sessions::Model,
    grant: grants::Model,
    session_grant: session_grants::Model,
    interaction: interactions::Model,
    code: authorization_codes::Model,
    refresh_token: refresh_tokens::Model,
    revoked: revoked_access_tokens::Model,
    key: signing_keys::Model,
    audit: audit_events::Model,
    outbox: outbox::Model,
}

impl Rows {
    fn new() -> Result<Self, Box<dyn Error + Send + Sync>> {
        // Microsecond precision: PostgreSQL keeps no more, and the read-back must compare equal.
        let now: DateTime<Utc> = DateTime::from_timestamp_micros(1_763_800_000_123_456)
            .ok_or("timestamp out of range")?;
        let later = now + chrono::Duration::hours(1);
        let user = users::Model {
            id: Uuid::now_v7(),
            username: "alice".into(),
            password_hash: Some("$argon2id$v=19$...".into()),
            disabled: false,
            name: Some("Alice Liddell".into()),
            given_name: Some("Alice".into()),
            family_name: Some("Liddell".into()),
            middle_name: None,
            nickname: Some("al".into()),
            preferred_username: Some("alice".into()),
            profile: None,
            picture: None,
            website: Some("https://alice.example".into()),
            email: Some("alice@example.com".into()),
            email_key: Some("alice@example.com".into()),
            email_verified: true,
            gender: None,
            birthdate: Some("1852-05-04".into()),
            zoneinfo: Some("Europe/London".into()),
            locale: Some("en-GB".into()),
            phone_number: None,
            phone_number_verified: false,
            address: Some(json!({ "locality": "Oxford", "country": "GB" })),
            created_at: now,
            updated_at: now,
            totp_secret_sealed: Some("v1.nonce.ciphertext".into()),
            totp_confirmed_at: Some(now),
            totp_last_step: Some(58_793_333),
        };
        let client = clients::Model {
            id: Uuid::now_v7(),
            client_id: "rp".into(),
            secret_hash: Some("hash".into()),
            previous_secret_hash: Some("old-hash".into()),
            previous_secret_expires_at: Some(later),
            secret_sealed: Some(vec![0x8f, 0x00, 0xff, 0x10]),
            secret_sealed_nonce: Some(vec![7; 12]),
            name: "Relying Party".into(),
            logo_uri: None,
            client_uri: Some("https://rp.example".into()),
            policy_uri: None,
            tos_uri: None,
            contacts: json!(["ops@rp.example"]),
            application_type: "web".into(),
            redirect_uris: json!(["https://rp.example/cb"]),
            post_logout_redirect_uris: json!([]),
            grant_types: json!(["authorization_code", "refresh_token"]),
            response_types: json!(["code"]),
            scopes: json!(["openid", "profile", "offline_access"]),
            token_endpoint_auth_method: "client_secret_basic".into(),
            token_endpoint_auth_signing_alg: None,
            jwks: Some(json!({ "keys": [] })),
            jwks_uri: None,
            id_token_signed_response_alg: "RS256".into(),
            userinfo_signed_response_alg: None,
            request_object_signing_alg: None,
            access_token_signed_alg: Some("ES256".into()),
            subject_type: "public".into(),
            backchannel_logout_uri: Some("https://rp.example/bcl".into()),
            backchannel_logout_session_required: true,
            frontchannel_logout_uri: None,
            frontchannel_logout_session_required: false,
            first_party: true,
            require_pkce: true,
            always_issue_refresh_token: false,
            default_max_age: Some(86_400),
            require_auth_time: false,
            default_acr_values: json!([]),
            code_ttl_secs: Some(60),
            access_token_ttl_secs: Some(600),
            id_token_ttl_secs: None,
            refresh_token_ttl_secs: Some(2_592_000),
            refresh_token_idle_ttl_secs: Some(604_800),
            disabled: false,
            created_at: now,
            updated_at: now,
        };
        let session = sessions::Model {
            id: Uuid::now_v7(),
            token_hash: "session-hash".into(),
            user_id: user.id,
            auth_time: now,
            amr: json!(["pwd"]),
            acr: Some("1".into()),
            ip: Some("192.0.2.1".into()),
            user_agent: Some("test".into()),
            created_at: now,
            last_seen_at: now,
            expires_at: later,
            ended_at: None,
            end_reason: None,
        };
        let grant = grants::Model {
            id: Uuid::now_v7(),
            user_id: user.id,
            client_id: client.id,
            scopes: json!(["openid", "profile"]),
            claims: Some(json!({ "id_token": { "email": null } })),
            created_at: now,
            last_used_at: Some(now),
            revoked_at: None,
            revoked_by: None,
            revoke_reason: None,
        };
        Ok(Self {
            user_role: user_roles::Model {
                user_id: user.id,
                role: "admin".into(),
            },
            session_grant: session_grants::Model {
                session_id: session.id,
                grant_id: grant.id,
                created_at: now,
            },
            interaction: interactions::Model {
                id: Uuid::now_v7(),
                handle_hash: "handle-hash".into(),
                client_id: client.id,
                request: json!({ "response_type": "code", "scope": "openid" }),
                session_id: Some(session.id),
                user_id: Some(user.id),
                stage: "consent".into(),
                created_at: now,
                expires_at: later,
            },
            code: authorization_codes::Model {
                id: Uuid::now_v7(),
                code_hash: "code-hash".into(),
                grant_id: grant.id,
                client_id: client.id,
                user_id: user.id,
                session_id: Some(session.id),
                redirect_uri: "https://rp.example/cb".into(),
                code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
                code_challenge_method: Some("S256".into()),
                nonce: Some("n-0S6_WzA2Mj".into()),
                scopes: json!(["openid"]),
                claims: None,
                auth_time: now,
                amr: json!(["pwd", "otp"]),
                acr: None,
                created_at: now,
                expires_at: later,
                consumed_at: None,
                redirect_uri_given: true,
                issued_access_token_jti: None,
                issued_refresh_chain_id: None,
            },
            refresh_token: refresh_tokens::Model {
                id: Uuid::now_v7(),
                token_hash: "refresh-hash".into(),
                chain_id: Uuid::now_v7(),
                parent_id: Some(Uuid::now_v7()),
                grant_id: grant.id,
                client_id: client.id,
                user_id: user.id,
                session_id: Some(session.id),
                scopes: json!(["openid", "offline_access"]),
                auth_time: now,
                created_at: now,
                expires_at: later,
                idle_expires_at: Some(later),
                rotated_at: None,
                revoked_at: None,
            },
            revoked: revoked_access_tokens::Model {
                jti: Uuid::now_v7().simple().to_string(),
                grant_id: Some(grant.id),
                revoked_at: now,
                expires_at: later,
            },
            key: signing_keys::Model {
                id: Uuid::now_v7(),
                kid: "key-1".into(),
                alg: "RS256".into(),
                public_jwk: json!({ "kty": "RSA", "kid": "key-1", "n": "AQAB", "e": "AQAB" }),
                private_key_ciphertext: vec![0, 1, 2, 254, 255],
                private_key_nonce: vec![7; 12],
                created_at: now,
                activates_at: now,
                retires_at: later,
                expires_at: later,
            },
            audit: audit_events::Model {
                id: Uuid::now_v7(),
                occurred_at: now,
                actor: format!("user:{}", user.id),
                action: "grant.created".into(),
                target_type: Some("grant".into()),
                target_id: Some(grant.id.to_string()),
                ip: Some("192.0.2.1".into()),
                details: json!({ "scopes": ["openid", "profile"] }),
            },
            outbox: outbox::Model {
                id: Uuid::now_v7(),
                kind: "backchannel_logout".into(),
                client_id: Some(client.id),
                target: "https://rp.example/bcl".into(),
                payload: "eyJhbGciOiJSUzI1NiJ9.e30.sig".into(),
                status: "pending".into(),
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
                created_at: now,
                delivered_at: None,
            },
            user,
            client,
            session,
            grant,
        })
    }

    /// Parents before children, so every foreign key finds its row.
    async fn insert_all(&self, db: &DatabaseConnection) -> TestResult {
        insert_and_read_back::<users::Entity>(db, &self.user).await?;
        insert_and_read_back::<user_roles::Entity>(db, &self.user_role).await?;
        insert_and_read_back::<clients::Entity>(db, &self.client).await?;
        insert_and_read_back::<sessions::Entity>(db, &self.session).await?;
        insert_and_read_back::<grants::Entity>(db, &self.grant).await?;
        insert_and_read_back::<session_grants::Entity>(db, &self.session_grant).await?;
        insert_and_read_back::<interactions::Entity>(db, &self.interaction).await?;
        insert_and_read_back::<authorization_codes::Entity>(db, &self.code).await?;
        insert_and_read_back::<refresh_tokens::Entity>(db, &self.refresh_token).await?;
        insert_and_read_back::<revoked_access_tokens::Entity>(db, &self.revoked).await?;
        insert_and_read_back::<signing_keys::Entity>(db, &self.key).await?;
        insert_and_read_back::<audit_events::Entity>(db, &self.audit).await?;
        insert_and_read_back::<outbox::Entity>(db, &self.outbox).await
    }

    /// Ending a session detaches codes, tokens and interactions (SET NULL) and forgets its grants
    /// links; deleting the user removes everything that was theirs; deleting a client keeps its outbox.
    async fn prove_foreign_key_actions(&self, db: &DatabaseConnection) -> TestResult {
        self.session.clone().delete(db).await?;
        assert_eq!(session_grants::Entity::find().count(db).await?, 0);
        let code = authorization_codes::Entity::find_by_id(self.code.id)
            .one(db)
            .await?;
        assert_eq!(code.map(|c| c.session_id), Some(None));
        let token = refresh_tokens::Entity::find_by_id(self.refresh_token.id)
            .one(db)
            .await?;
        assert_eq!(token.map(|t| t.session_id), Some(None));
        let interaction = interactions::Entity::find_by_id(self.interaction.id)
            .one(db)
            .await?;
        assert_eq!(interaction.map(|i| i.session_id), Some(None));

        self.user.clone().delete(db).await?;
        assert_eq!(user_roles::Entity::find().count(db).await?, 0);
        assert_eq!(grants::Entity::find().count(db).await?, 0);
        assert_eq!(interactions::Entity::find().count(db).await?, 0);
        assert_eq!(authorization_codes::Entity::find().count(db).await?, 0);
        assert_eq!(refresh_tokens::Entity::find().count(db).await?, 0);

        self.client.clone().delete(db).await?;
        let queued = outbox::Entity::find_by_id(self.outbox.id).one(db).await?;
        assert_eq!(queued.map(|o| o.client_id), Some(None));
        Ok(())
    }
}
