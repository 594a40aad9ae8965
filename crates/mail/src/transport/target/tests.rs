use super::*;

fn smtp_target(raw: &str) -> SmtpTarget {
    match parse(raw) {
        Ok(Target::Smtp(target)) => target,
        other => panic!("{raw}: {other:?}"),
    }
}

fn credentials(user: &str, password: &str) -> Option<Credentials> {
    Some(Credentials {
        user: user.into(),
        password: Password(password.into()),
    })
}

#[test]
fn smtp_requires_starttls_on_the_submission_port_by_default() {
    let target = smtp_target("smtp://mail.example.com");
    assert_eq!(
        target,
        SmtpTarget {
            host: "mail.example.com".into(),
            port: 587,
            security: Security::StartTls,
            credentials: None
        }
    );
    assert_eq!(target.describe(), "smtp://mail.example.com:587 (STARTTLS)");
    assert_eq!(
        smtp_target("smtp://mail.example.com/?tls=starttls").security,
        Security::StartTls
    );
}

#[test]
fn smtp_takes_credentials_port_and_tls_mode() {
    let target = smtp_target("smtp://relay:pw@127.0.0.1:2525?tls=none");
    assert_eq!(
        (target.host.as_str(), target.port, target.security),
        ("127.0.0.1", 2525, Security::None)
    );
    assert_eq!(target.credentials, credentials("relay", "pw"));
    assert_eq!(target.describe(), "smtp://127.0.0.1:2525 (no TLS)");
    assert_eq!(
        smtp_target("smtp://h?tls=opportunistic").security,
        Security::Opportunistic
    );
}

#[test]
fn a_user_without_password_has_an_empty_password() {
    assert_eq!(
        smtp_target("smtp://relay@h").credentials,
        credentials("relay", "")
    );
}

#[test]
fn smtps_is_implicit_tls_on_port_465() {
    let target = smtp_target("smtps://u:p@mail.example.com");
    assert_eq!((target.port, target.security), (465, Security::Implicit));
    assert_eq!(target.describe(), "smtps://mail.example.com:465 (TLS)");
    assert_eq!(smtp_target("smtps://mail.example.com:10465").port, 10465);
}

#[test]
fn credentials_are_percent_decoded() {
    let target =
        smtp_target("smtp://no-reply%40example.com:p%40ss%3Aw%2Frd%20%E2%9C%93@mail.example.com");
    assert_eq!(
        target.credentials,
        credentials("no-reply@example.com", "p@ss:w/rd ✓")
    );
}

#[test]
fn credentials_that_are_not_utf8_are_refused() {
    assert!(matches!(
        parse("smtp://%FF:x@h"),
        Err(MailConfigError::InvalidCredentials)
    ));
    assert!(matches!(
        parse("smtp://:secret@h"),
        Err(MailConfigError::PasswordWithoutUser)
    ));
}

#[test]
fn ipv6_hosts_lose_their_brackets_for_connecting_only() {
    let target = smtp_target("smtp://[::1]:2525?tls=none");
    assert_eq!(target.host, "::1");
    assert_eq!(target.describe(), "smtp://[::1]:2525 (no TLS)");
}

#[test]
fn other_schemes_are_refused() {
    for (raw, scheme) in [
        ("http://h", "http"),
        ("mailto:a@b.test", "mailto"),
        ("SMTPX://h", "smtpx"),
    ] {
        assert!(
            matches!(parse(raw), Err(MailConfigError::UnsupportedScheme(s)) if s == scheme),
            "{raw}"
        );
    }
    assert!(matches!(parse("not a url"), Err(MailConfigError::Url(_))));
}

#[test]
fn ports_must_be_1_to_65535() {
    for raw in [
        "smtp://h:0",
        "smtp://h:65536",
        "smtp://h:99999",
        "smtp://h:abc",
        "smtps://h:-1",
    ] {
        assert!(
            matches!(parse(raw), Err(MailConfigError::InvalidPort)),
            "{raw}: {:?}",
            parse(raw)
        );
    }
}

#[test]
fn a_host_is_required() {
    for raw in [
        "smtp://",
        "smtp:///",
        "smtp://u:p@",
        "smtp://:25",
        "smtps://?tls=none",
        "smtp:relay",
    ] {
        assert!(
            matches!(parse(raw), Err(MailConfigError::MissingHost)),
            "{raw}: {:?}",
            parse(raw)
        );
    }
}

#[test]
fn unknown_options_paths_and_tls_values_are_refused() {
    assert!(
        matches!(parse("smtp://h?timeout=5"), Err(MailConfigError::UnknownOption(k)) if k == "timeout")
    );
    assert!(
        matches!(parse("smtp://h?tls=maybe"), Err(MailConfigError::InvalidTls(v)) if v == "maybe")
    );
    assert!(matches!(
        parse("smtps://h?tls=none"),
        Err(MailConfigError::InvalidTls(_))
    ));
    assert!(matches!(
        parse("smtp://h/inbox"),
        Err(MailConfigError::UnexpectedPath)
    ));
    assert!(matches!(
        parse("smtp://h#x"),
        Err(MailConfigError::UnexpectedPath)
    ));
}

#[test]
fn file_urls_name_a_local_absolute_directory() {
    assert_eq!(
        parse("file:///var/spool/valet").ok(),
        Some(Target::File("/var/spool/valet".into()))
    );
    for raw in ["file://server/share", "file:///tmp/x?y=1"] {
        assert!(
            matches!(parse(raw), Err(MailConfigError::InvalidFilePath)),
            "{raw}: {:?}",
            parse(raw)
        );
    }
}

#[test]
fn debug_never_shows_the_password() {
    let debug = format!("{:?}", parse("smtp://u:hunter2@h"));
    assert!(debug.contains("***"));
    assert!(!debug.contains("hunter2"));
}
