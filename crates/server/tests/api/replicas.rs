//! Two `valet serve` processes on one PostgreSQL database behave as one provider: what one replica
//! revokes (a refresh token, a session, a grant through its admin API, or the CLI on the shared
//! database), the other refuses on the very next request (no cache may let a revoked token through),
//! and a queued back-channel logout is delivered exactly once although both replicas poll the outbox.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;

use crate::browser::Browser;
use crate::cli::{json, valet};
use crate::helpers::{Backend, TestApp, TestEnv, free_port};
use crate::logout::{
    AFTER, Receiver, assert_logout_token, enc, everything_is_cut, part, provision, sign_in, token,
};

const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// A `valet serve` process, killed when dropped.
struct Replica {
    child: Child,
    app: TestApp,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn replica(env: &TestEnv, issuer: &str, port: u16, provision_file: Option<&str>) -> Replica {
    let listen = format!("127.0.0.1:{port}");
    let mut args = env.args(&[
        "--issuer",
        issuer,
        "--outbound-allow-networks",
        "127.0.0.0/8",
    ]);
    // `args` listens on port 0; this replica needs its own known port.
    if let Some(i) = args.iter().position(|a| a == "--listen") {
        args[i + 1] = listen.clone();
    }
    args.push("serve".into());
    if let Some(file) = provision_file {
        args.extend(["--provision".to_owned(), file.to_owned()]);
    }
    let app = TestApp {
        address: format!("http://{listen}"),
        admin_created: false,
        http: crate::helpers::http_client(),
    };
    // Owned by `Replica` from the start, so that it is killed and reaped on every path.
    let replica = Replica {
        child: Command::new(env!("CARGO_BIN_EXE_valet"))
            .args(&args)
            .env("VALET_MASTER_KEY", MASTER_KEY)
            .env("VALET_ADMIN_PASSWORD", "replica-admin-password")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("valet serve: {e}")),
        app,
    };
    for _ in 0..200 {
        let ready = replica
            .app
            .http
            .get(format!("{}/readyz", replica.app.address))
            .send()
            .await;
        if ready.is_ok_and(|r| r.status() == StatusCode::OK) {
            return replica;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("replica on {listen} did not become ready");
}

async fn what_one_replica_revokes_the_other_refuses_at_once(backend: Backend) {
    let receiver = Receiver::start();
    let env = TestEnv::new(backend).await;
    let file = env.dir.join("provision.toml");
    let automation = r#"
[[clients]]
client_id = "automation"
client_name = "Automation"
client_secret = "automation-secret-0123456789abcdefgh"
grant_types = ["client_credentials"]
scope = "valet:admin"
"#;
    std::fs::write(&file, format!("{}{automation}", provision(&receiver.url)))
        .unwrap_or_else(|e| panic!("{e}"));
    let (port_a, port_b) = (free_port(), free_port());
    let issuer = format!("http://127.0.0.1:{port_a}");
    let a = replica(&env, &issuer, port_a, file.to_str()).await;
    let b = replica(&env, &issuer, port_b, None).await;

    // Signed in through A; B honours the tokens (one provider, shared state and keys).
    let mut browser = Browser::new();
    let tokens = sign_in(&mut browser, &a.app).await;
    let refresh = tokens["refresh_token"].as_str().unwrap_or_default();
    let (status, rotated) = token(
        &b.app,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");

    // A refresh token revoked through A is refused by B on the next request.
    let current = rotated["refresh_token"].as_str().unwrap_or_default();
    let revoked = a
        .app
        .http
        .post(format!("{}/revoke", a.app.address))
        .basic_auth("web", Some("web-client-secret-0123456789abcdef"))
        .form(&[("token", current)])
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(revoked.status(), StatusCode::OK);
    let (status, body) = token(
        &b.app,
        &[("grant_type", "refresh_token"), ("refresh_token", current)],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );

    // A session ended through A (RP-initiated logout): B refuses its session-bound tokens at once.
    let mut browser = Browser::new();
    let session_tokens = sign_in(&mut browser, &a.app).await;
    let id_token = session_tokens["id_token"].as_str().unwrap_or_default();
    let logout = browser
        .get(&format!(
            "{}/logout?id_token_hint={id_token}&post_logout_redirect_uri={}",
            a.app.address,
            enc(AFTER)
        ))
        .await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER, "{}", logout.body);
    everything_is_cut(&b.app, &session_tokens).await;
    let delivered = receiver.wait_for(1, 5).await;
    assert_logout_token(&delivered[0], &a.app, id_token);

    // A grant revoked by `valet grant revoke` on the shared database: both refuse on the next request,
    // and of the two replicas polling the outbox exactly one delivers the logout token.
    let mut browser = Browser::new();
    let third = sign_in(&mut browser, &b.app).await;
    let out = valet(
        &env,
        &[
            "--json", "grant", "revoke", "--user", "alice", "--client", "web",
        ],
        None,
    );
    let report = json(&out);
    // Two sessions still hold the grant (the first browser's and this one): a token for each.
    assert_eq!(report["notification_count"], 2, "{report}");
    everything_is_cut(&a.app, &third).await;
    everything_is_cut(&b.app, &third).await;
    receiver.wait_for(3, 15).await;
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    let jtis: BTreeSet<String> = receiver
        .received()
        .iter()
        .map(|body| {
            let token = url::form_urlencoded::parse(body.as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            part(&token, 1)["jti"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        receiver.received().len(),
        3,
        "each token delivered once, not once per replica"
    );
    assert_eq!(jtis.len(), 3);

    // A grant revoked through replica A's admin API is refused by replica B on the next request.
    let mut browser = Browser::new();
    let fourth = sign_in(&mut browser, &b.app).await;
    let admin = a
        .app
        .client_credentials("automation", "automation-secret-0123456789abcdefgh")
        .await;
    let sub = part(fourth["id_token"].as_str().unwrap_or_default(), 1)["sub"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let grants = a
        .app
        .get_json_as(
            &format!("/admin/api/v1/grants?user_id={sub}&live=true"),
            &admin,
        )
        .await;
    let grant = grants["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let revoked = a
        .app
        .http
        .post(format!(
            "{}/admin/api/v1/grants/{grant}/revoke",
            a.app.address
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(revoked.status(), StatusCode::OK);
    everything_is_cut(&b.app, &fourth).await;
}

mod postgres {
    #[actix_web::test]
    async fn what_one_replica_revokes_the_other_refuses_at_once() {
        super::what_one_replica_revokes_the_other_refuses_at_once(crate::helpers::Backend::Postgres)
            .await
    }
}
