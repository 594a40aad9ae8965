//! Plain-words meaning of the scopes a client asks for: OIDC Core §5.4 (standard claims by scope) and
//! §11 (`offline_access`). Unknown scopes are named as they are; the page escapes them.

pub fn scope_description(scope: &str) -> String {
    match scope {
        "openid" => "Know who you are (a stable identifier for your account)".to_owned(),
        "profile" => {
            "Your profile: name, username, picture, website, gender, birthdate, time zone \
                      and locale"
                .to_owned()
        }
        "email" => "Your email address and whether it is verified".to_owned(),
        "address" => "Your postal address".to_owned(),
        "phone" => "Your phone number and whether it is verified".to_owned(),
        "offline_access" => {
            "Stay connected when you are not using it (a long-lived refresh token)".to_owned()
        }
        other => format!("Access to \"{other}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_scopes_are_described_in_plain_words() {
        assert_eq!(
            scope_description("openid"),
            "Know who you are (a stable identifier for your account)"
        );
        assert_eq!(
            scope_description("profile"),
            "Your profile: name, username, picture, website, gender, birthdate, time zone and locale"
        );
        assert_eq!(
            scope_description("email"),
            "Your email address and whether it is verified"
        );
        assert_eq!(scope_description("address"), "Your postal address");
        assert_eq!(
            scope_description("phone"),
            "Your phone number and whether it is verified"
        );
        assert_eq!(
            scope_description("offline_access"),
            "Stay connected when you are not using it (a long-lived refresh token)"
        );
    }

    #[test]
    fn unknown_scopes_are_named_verbatim() {
        assert_eq!(scope_description("repo:read"), "Access to \"repo:read\"");
    }
}
