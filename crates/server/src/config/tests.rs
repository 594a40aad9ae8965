use clap::Parser;

use std::path::Path;

use super::*;
use crate::cli::Cli;

fn args(extra: &[&str]) -> GlobalArgs {
    let mut argv = vec!["valet"];
    argv.extend_from_slice(extra);
    argv.push("migrate");
    Cli::try_parse_from(argv)
        .map(|cli| cli.global)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn load(extra: &[&str]) -> Result<Config, ConfigError> {
    Config::load(&args(extra), SecretEnv::default())
}

#[test]
fn durations_take_units_or_seconds() {
    assert_eq!(parse_duration("90d"), Ok(Duration::days(90)));
    assert_eq!(parse_duration("48h"), Ok(Duration::hours(48)));
    assert_eq!(parse_duration("10m"), Ok(Duration::minutes(10)));
    assert_eq!(parse_duration("30"), Ok(Duration::seconds(30)));
    assert!(parse_duration("5w").is_err());
    assert!(parse_duration("h").is_err());
    assert!(parse_duration("99999999999999999d").is_err());
}

#[test]
fn defaults_just_work() {
    let config = load(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.issuer.as_str(), "http://localhost:8080");
    assert_eq!(config.data_dir, PathBuf::from("valet-data"));
    assert_eq!(
        config.database.expose(),
        "sqlite://valet-data/valet.db?mode=rwc"
    );
    assert!(
        matches!(config.master_key, MasterKeySource::File(ref p) if p == Path::new("valet-data/master.key"))
    );
    assert_eq!(config.keys.algorithms, SigningAlg::ALL.to_vec());
    assert_eq!(config.keys.jwks_max_age_secs(), 3600);
}

#[test]
fn flags_override_the_file() {
    let dir = std::env::temp_dir().join(format!("valet-config-{}", uuid::Uuid::now_v7()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("valet.toml");
    let _ = std::fs::write(
        &path,
        "listen = \"127.0.0.1:9000\"\nissuer = \"https://id.example.com\"\n[keys]\nalgorithms = [\"RS256\", \"ES256\"]\n",
    );
    let path_text = path.display().to_string();
    let from_file = load(&["--config", &path_text]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_file.listen.to_string(), "127.0.0.1:9000");
    assert_eq!(
        from_file.keys.algorithms,
        vec![SigningAlg::Rs256, SigningAlg::Es256]
    );
    let overridden = load(&["--config", &path_text, "--listen", "127.0.0.1:9001"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(overridden.listen.to_string(), "127.0.0.1:9001");
    assert_eq!(overridden.issuer.as_str(), "https://id.example.com");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn bad_settings_are_named() {
    let setting = |extra: &[&str]| match load(extra) {
        Err(ConfigError::Invalid { setting, .. }) => setting,
        other => panic!("expected an invalid setting, got {other:?}"),
    };
    assert_eq!(setting(&["--listen", "nonsense"]), "listen");
    assert_eq!(setting(&["--issuer", "http://id.example.com"]), "issuer");
    assert_eq!(setting(&["--database-url", "mysql://x"]), "database_url");
    assert_eq!(setting(&["--key-algorithms", "ES256"]), "keys.algorithms");
    assert_eq!(
        setting(&["--key-algorithms", "RS256,HS256"]),
        "keys.algorithms"
    );
    assert_eq!(
        setting(&["--key-publish-lead", "100d"]),
        "keys.publish_lead"
    );
    assert_eq!(
        setting(&["--key-publish-lead", "1m"]),
        "keys.check_interval"
    );
    assert_eq!(setting(&["--log-format", "xml"]), "log_format");
}

#[test]
fn unreadable_or_malformed_files_are_reported() {
    assert!(matches!(
        load(&["--config", "/nonexistent/valet.toml"]),
        Err(ConfigError::Read { .. })
    ));
    let path = std::env::temp_dir().join(format!("valet-bad-{}.toml", uuid::Uuid::now_v7()));
    let _ = std::fs::write(&path, "listen = 3\n");
    assert!(matches!(
        load(&["--config", &path.display().to_string()]),
        Err(ConfigError::Parse { .. })
    ));
    let _ = std::fs::write(&path, "lisen = \"x\"\n");
    let err = load(&["--config", &path.display().to_string()])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("lisen"), "{err}");
    let _ = std::fs::remove_file(path);
}

#[test]
fn master_key_from_the_environment_must_be_32_bytes() {
    let secrets = SecretEnv {
        master_key: Some("c2hvcnQ=".into()),
        admin_password: None,
    };
    assert!(matches!(
        Config::load(&args(&[]), secrets),
        Err(ConfigError::Invalid {
            setting: "VALET_MASTER_KEY",
            ..
        })
    ));
}

#[test]
fn database_passwords_never_print() {
    let url = DatabaseUrl("postgres://valet:s3cret@db.internal/valet".into());
    assert_eq!(url.to_string(), "postgres://valet:***@db.internal/valet");
    assert!(!format!("{url:?}").contains("s3cret"));
}

#[test]
fn token_settings_come_from_the_file_and_respect_key_retention() {
    let path = std::env::temp_dir().join(format!("valet-tokens-{}.toml", uuid::Uuid::now_v7()));
    let _ = std::fs::write(
        &path,
        "[tokens]\naccess_token_ttl = \"5m\"\naccess_token_alg = \"RS256\"\nsession_ttl = \"1d\"\n",
    );
    let config = load(&["--config", &path.display().to_string()]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.tokens.policy.defaults.access_token,
        Duration::minutes(5)
    );
    assert_eq!(config.tokens.access_token_alg, SigningAlg::Rs256);
    assert_eq!(config.tokens.session_ttl, Duration::days(1));
    assert_eq!(
        load(&[]).map(|c| c.tokens.access_token_alg).ok(),
        Some(SigningAlg::Es256)
    );
    let _ = std::fs::write(&path, "[tokens]\nid_token_ttl = \"2d\"\n");
    assert!(matches!(
        load(&["--config", &path.display().to_string()]),
        Err(ConfigError::Invalid {
            setting: "tokens.id_token_ttl",
            ..
        })
    ));
    let _ = std::fs::write(&path, "[tokens]\naccess_token_alg = \"ES256\"\n");
    assert!(
        load(&[
            "--config",
            &path.display().to_string(),
            "--key-algorithms",
            "RS256"
        ])
        .is_err()
    );
    let _ = std::fs::remove_file(path);
}

fn load_file(toml: &str, extra: &[&str]) -> Result<Config, ConfigError> {
    let path = std::env::temp_dir().join(format!("valet-cfg-{}.toml", uuid::Uuid::now_v7()));
    let _ = std::fs::write(&path, toml);
    let path_text = path.display().to_string();
    let mut argv = vec!["--config", path_text.as_str()];
    argv.extend_from_slice(extra);
    let loaded = load(&argv);
    let _ = std::fs::remove_file(path);
    loaded
}

#[test]
fn mail_defaults_to_a_directory_and_smtp_passwords_never_print() {
    let config = load(&["--data-dir", "/srv/valet"]).unwrap_or_else(|e| panic!("{e}"));
    assert!(config.mail.is_default);
    assert_eq!(config.mail.url.expose(), "file:///srv/valet/mail");
    assert_eq!(config.mail.from, "Valet <no-reply@localhost>");
    let smtp = load(&["--mail-url", "smtp://user:hunter2@mail.example:587"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!format!("{:?}", smtp.mail).contains("hunter2"));
    assert!(matches!(
        load(&["--mail-url", "http://mail.example"]),
        Err(ConfigError::Invalid {
            setting: "mail.url",
            ..
        })
    ));
}

#[test]
fn account_and_throttle_settings_come_from_the_file_within_bounds() {
    let config = load_file(
        "[account]\nself_registration = true\npassword_min_length = 12\n\
         [throttle]\naccount_free_failures = 2\nip_free_failures = 50\nfirst_block = \"1s\"\nmax_block = \"10m\"\n",
        &[],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(config.account.self_registration);
    assert_eq!(config.account.password.min_length, 12);
    assert_eq!(config.throttle.account.free_failures, 2);
    assert_eq!(config.throttle.ip.free_failures, 50);
    assert_eq!(config.throttle.account.first_block, Duration::seconds(1));
    assert_eq!(config.throttle.ip.max_block, Duration::minutes(10));
    assert!(
        !load(&[]).is_ok_and(|c| c.account.self_registration),
        "off by default"
    );
    assert!(load(&["--self-registration"]).is_ok_and(|c| c.account.self_registration));
    for bad in [
        "[account]\npassword_min_length = 6\n",
        "[throttle]\nfirst_block = \"0s\"\n",
        "[throttle]\nfirst_block = \"5m\"\nmax_block = \"1m\"\n",
        "[throttle]\nmax_block = \"2h\"\n",
    ] {
        assert!(
            matches!(load_file(bad, &[]), Err(ConfigError::Invalid { .. })),
            "{bad}"
        );
    }
}

#[test]
fn trusted_proxies_come_from_the_file_or_the_flag() {
    assert!(
        load(&[]).is_ok_and(|c| c.trusted_proxies.is_empty()),
        "none by default"
    );
    let file = load_file("trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(file.trusted_proxies.len(), 2);
    let flag = load_file(
        "trusted_proxies = [\"10.0.0.0/8\"]\n",
        &["--trusted-proxies", "192.0.2.0/24, 198.51.100.1"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let shown: Vec<String> = flag.trusted_proxies.iter().map(|n| n.to_string()).collect();
    assert_eq!(shown, ["192.0.2.0/24", "198.51.100.1/32"]);
    assert!(matches!(
        load(&["--trusted-proxies", "10.0.0.1/8"]),
        Err(ConfigError::Invalid {
            setting: "trusted_proxies",
            ..
        })
    ));
}
