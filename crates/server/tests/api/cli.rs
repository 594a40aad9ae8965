//! The `valet` command line, run as a process: provisioning, users, clients and keys.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::helpers::{Backend, TestEnv};

pub(crate) fn valet(env: &TestEnv, args: &[&str], stdin: Option<&str>) -> Output {
    let mut all = env.args(&[]);
    all.extend(args.iter().map(|s| (*s).to_owned()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_valet"))
        .args(&all)
        .env_remove("VALET_MASTER_KEY")
        .env_remove("VALET_ADMIN_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("valet: {e}"));
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let _ = pipe.write_all(text.as_bytes());
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("valet: {e}"))
}

pub(crate) fn json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "valet failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

const FILE: &str = r#"
[[clients]]
client_id = "shop"
client_name = "Shop"
client_secret = "0123456789abcdef0123456789abcdef-shop"
redirect_uris = ["https://shop.example/cb"]

[[clients]]
client_id = "batch"
client_name = "Batch jobs"
client_secret = "0123456789abcdef0123456789abcdef-batch"
grant_types = ["client_credentials"]

[[users]]
username = "alice"
password = "alice's password"
claims = { email = "alice@example.com", email_verified = true, given_name = "Alice" }

[[users]]
username = "bob"
roles = ["support"]
claims = { phone_number = "+33 1 23 45 67 89", address = { country = "FR" } }
"#;

async fn provisioning_is_idempotent_and_all_or_nothing(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let file = env.dir.join("valet.toml");
    std::fs::write(&file, FILE).unwrap_or_else(|e| panic!("{e}"));
    let path = file.display().to_string();
    let first = json(&valet(&env, &["--json", "provision", &path], None));
    assert_eq!(
        (
            first["users_created"].as_u64(),
            first["clients_created"].as_u64()
        ),
        (Some(2), Some(2))
    );
    let users = json(&valet(&env, &["--json", "user", "list"], None));
    let second = json(&valet(&env, &["--json", "provision", &path], None));
    assert_eq!(
        (
            second["users_unchanged"].as_u64(),
            second["clients_unchanged"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(second["users_updated"].as_u64(), Some(0));

    let broken = FILE
        .replace(
            "Alice\" }",
            "Alice\" }\n[[users]]\nusername = \"carol\"\nclaims = { email = \"nope\" }",
        )
        .replace("\"Shop\"", "\"Shop renamed\"");
    std::fs::write(&file, broken).unwrap_or_else(|e| panic!("{e}"));
    let refused = valet(&env, &["provision", &path], None);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("users[1] (username \"carol\")") && message.contains("claims.email"),
        "{message}"
    );
    assert_eq!(
        json(&valet(&env, &["--json", "user", "list"], None)),
        users,
        "nothing changed"
    );
    let clients = json(&valet(&env, &["--json", "client", "list"], None));
    assert!(
        clients
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| c["name"] != "Shop renamed")
    );
}

async fn users_are_added_listed_and_disabled(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let added = json(&valet(
        &env,
        &[
            "--json",
            "user",
            "add",
            "Dana",
            "--email",
            "dana@example.com",
            "--role",
            "admin",
        ],
        None,
    ));
    assert_eq!(added["username"], "dana");
    assert_eq!(
        added["password"].as_str().map(str::len),
        Some(20),
        "a generated password is shown once"
    );
    let piped = json(&valet(
        &env,
        &["--json", "user", "add", "erin", "--password-stdin"],
        Some("erin's password\n"),
    ));
    assert!(
        piped["password"].is_null(),
        "a password from stdin is never echoed"
    );
    let duplicate = valet(&env, &["user", "add", "DANA"], None);
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));
    let bad = valet(
        &env,
        &["user", "add", "frank", "--email", "not-an-email"],
        None,
    );
    assert!(!bad.status.success());
    json(&valet(&env, &["--json", "user", "disable", "erin"], None));
    let list = json(&valet(&env, &["--json", "user", "list"], None));
    let erin = list
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["username"] == "erin")
        .cloned()
        .unwrap_or_default();
    assert_eq!(erin["disabled"], true);
    let missing = valet(&env, &["user", "set-password", "nobody"], None);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no user named `nobody`"));
    let short = valet(
        &env,
        &["user", "set-password", "erin", "--password-stdin"],
        Some("short\n"),
    );
    assert!(!short.status.success());
}

async fn clients_are_registered_listed_and_rotated(backend: Backend) {
    let env = TestEnv::new(backend).await;
    let added = json(&valet(
        &env,
        &[
            "--json",
            "client",
            "add",
            "web",
            "--name",
            "Web",
            "--redirect-uri",
            "https://web.example/cb",
        ],
        None,
    ));
    let secret = added["client_secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(secret.len(), 43, "256-bit secret");
    let public = json(&valet(
        &env,
        &[
            "--json",
            "client",
            "add",
            "spa",
            "--name",
            "SPA",
            "--public",
            "--redirect-uri",
            "http://localhost:3000/cb",
        ],
        None,
    ));
    assert!(public["client_secret"].is_null());
    let bad_uri = valet(
        &env,
        &[
            "client",
            "add",
            "x",
            "--name",
            "X",
            "--redirect-uri",
            "https://x.example/cb#frag",
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&bad_uri.stderr).contains("fragment"));
    let rotated = json(&valet(
        &env,
        &[
            "--json",
            "client",
            "rotate-secret",
            "web",
            "--overlap",
            "1h",
        ],
        None,
    ));
    assert_ne!(rotated["client_secret"].as_str(), Some(secret.as_str()));
    let refused = valet(&env, &["client", "rotate-secret", "spa"], None);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("public client"));
    let list = json(&valet(&env, &["--json", "client", "list"], None));
    assert_eq!(list.as_array().map(Vec::len), Some(2));
}

async fn key_rotation_publishes_successors_before_they_sign(backend: Backend) {
    let env = TestEnv::new(backend).await;
    env.start(&[]).await;
    let rotated = json(&valet(&env, &["--json", "keys", "rotate"], None));
    assert_eq!(rotated["new_kids"].as_array().map(Vec::len), Some(4));
    let keys = json(&valet(&env, &["--json", "keys", "list"], None));
    let states: Vec<&str> = keys
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["state"].as_str())
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "active").count(), 4);
    assert_eq!(states.iter().filter(|s| **s == "next").count(), 4);
    let app = env.start(&[]).await;
    let published = app.get_json("/jwks").await;
    for kid in rotated["new_kids"].as_array().into_iter().flatten() {
        assert!(
            published["keys"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| &k["kid"] == kid),
            "{kid} is published"
        );
    }
    let now = json(&valet(
        &env,
        &["--json", "keys", "rotate", "--immediately"],
        None,
    ));
    assert_eq!(now["new_kids"].as_array().map(Vec::len), Some(4));
}

crate::on_both_backends!(
    provisioning_is_idempotent_and_all_or_nothing,
    users_are_added_listed_and_disabled,
    clients_are_registered_listed_and_rotated,
    key_rotation_publishes_successors_before_they_sign
);

#[test]
fn bad_flags_exit_non_zero_with_a_plain_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_valet"))
        .args(["--issuer", "ftp://x", "migrate"])
        .output();
    let output = output.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).starts_with("valet: invalid setting `issuer`"));
}
