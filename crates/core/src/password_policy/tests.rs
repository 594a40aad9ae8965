use super::*;

fn check(password: &str) -> Result<(), PasswordRejection> {
    PasswordPolicy::default().check(&Password::new(password), &[])
}

#[test]
fn the_bundled_list_holds_ten_thousand_lowercase_passwords() {
    assert_eq!(COMMON.len(), 10_000);
    assert!(COMMON.iter().all(|p| p.to_lowercase() == *p));
}

#[test]
fn common_passwords_are_refused_whatever_their_case() {
    for common in [
        "password",
        "123456789",
        "PASSWORD",
        "Password1",
        "qwertyuiop",
        "iloveyou",
    ] {
        assert_eq!(check(common), Err(PasswordRejection::Common), "{common}");
    }
}

#[test]
fn a_long_random_passphrase_is_accepted() {
    assert_eq!(check("correct horse battery staple"), Ok(()));
    assert_eq!(check("vq7-Lm2p-Zr9x"), Ok(()));
}

#[test]
fn there_are_no_composition_rules() {
    assert_eq!(check("lowercase only words here"), Ok(()));
    assert_eq!(check("4815 1623 4290 5517"), Ok(()));
}

#[test]
fn length_is_counted_in_characters_not_bytes() {
    // Seven characters, fourteen bytes in UTF-8.
    let seven = "ééééééé";
    assert_eq!(seven.len(), 14);
    assert_eq!(check(seven), Err(PasswordRejection::TooShort { min: 8 }));
    assert_eq!(check("éééééééé"), Ok(()));
    let policy = PasswordPolicy {
        min_length: 8,
        max_length: 10,
    };
    let ten_emoji = "🔑".repeat(10);
    assert_eq!(policy.check(&Password::new(&ten_emoji), &[]), Ok(()));
    assert_eq!(
        policy.check(&Password::new("🔑".repeat(11)), &[]),
        Err(PasswordRejection::TooLong { max: 10 })
    );
}

#[test]
fn the_default_range_is_eight_to_two_hundred_fifty_six() {
    assert_eq!(
        check("x7#kq9!"),
        Err(PasswordRejection::TooShort { min: 8 })
    );
    assert_eq!(check(&"x7#kq9!z".repeat(32)), Ok(()));
    assert_eq!(
        check(&format!("{}a", "x7#kq9!z".repeat(32))),
        Err(PasswordRejection::TooLong { max: 256 })
    );
}

#[test]
fn passwords_built_from_the_username_or_email_are_refused() {
    let policy = PasswordPolicy::default();
    let context = ["Alice.Smith", "alice.smith@example.com"];
    for password in ["alice.smith", "ALICE.SMITH2024!", "my-alice.smith-pw"] {
        assert_eq!(
            policy.check(&Password::new(password), &context),
            Err(PasswordRejection::ContainsContext),
            "{password}"
        );
    }
    let email_only = ["bobby@example.com"];
    assert_eq!(
        policy.check(&Password::new("hello bobby friend"), &email_only),
        Err(PasswordRejection::ContainsContext)
    );
    assert_eq!(
        policy.check(&Password::new("example.com rocks!"), &email_only),
        Ok(()),
        "the domain is not the person's own word"
    );
}

#[test]
fn short_context_words_are_ignored() {
    let policy = PasswordPolicy::default();
    assert_eq!(
        policy.check(
            &Password::new("bob-unguessable-42"),
            &["bob", "bob@example.com", ""]
        ),
        Ok(())
    );
}

#[test]
fn refusals_read_as_advice() {
    assert_eq!(
        PasswordRejection::TooShort { min: 8 }.to_string(),
        "Use at least 8 characters."
    );
    assert_eq!(
        PasswordRejection::TooLong { max: 256 }.to_string(),
        "Use at most 256 characters."
    );
    assert!(PasswordRejection::Common.to_string().contains("too common"));
    assert!(
        PasswordRejection::ContainsContext
            .to_string()
            .contains("username or email")
    );
}
