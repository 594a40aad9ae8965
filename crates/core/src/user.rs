//! Users: login names, the OIDC standard claims (OIDC Core §5.1) and roles.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::password::PasswordHash;

/// Claims OIDC Core §5.1 defines beyond `sub`; `updated_at` comes from the record itself.
pub const STANDARD_CLAIMS: [&str; 19] = [
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
];

/// The role that may use the admin API and console.
pub const ADMIN_ROLE: &str = "admin";

/// A login name: 1–64 characters of letters, digits and `.`, `_`, `-`, `+`, `@` (so an email address
/// can be one). Lowercased on parsing, so `Alice` and `alice` are one account.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Username(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a username is 1 to 64 characters: letters, digits, `.`, `_`, `-`, `+` or `@`")]
pub struct InvalidUsername;

impl Username {
    pub fn parse(text: &str) -> Result<Self, InvalidUsername> {
        let ok = (1..=64).contains(&text.chars().count())
            && text
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '@'));
        if ok {
            Ok(Self(text.to_lowercase()))
        } else {
            Err(InvalidUsername)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A role name: 1–64 characters of lowercase letters, digits, `:`, `_`, `-`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a role is 1 to 64 characters: lowercase letters, digits, `:`, `_` or `-`")]
pub struct InvalidRole;

pub fn parse_role(text: &str) -> Result<String, InvalidRole> {
    let ok = (1..=64).contains(&text.len())
        && text.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b':' | b'_' | b'-')
        });
    if ok {
        Ok(text.to_owned())
    } else {
        Err(InvalidRole)
    }
}

/// OIDC Core §5.1.1.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// The standard claims a user record carries (everything of OIDC Core §5.1 but `sub` and `updated_at`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StandardClaims {
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub middle_name: Option<String>,
    pub nickname: Option<String>,
    pub preferred_username: Option<String>,
    pub profile: Option<String>,
    pub picture: Option<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    pub gender: Option<String>,
    pub birthdate: Option<String>,
    pub zoneinfo: Option<String>,
    pub locale: Option<String>,
    pub phone_number: Option<String>,
    #[serde(default)]
    pub phone_number_verified: bool,
    pub address: Option<Address>,
}

/// Why a claim value was refused; the field is named by the caller.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClaimError {
    #[error("`{0}` is not an email address")]
    Email(String),
    #[error("`{0}` is not a date (YYYY, or YYYY-MM-DD)")]
    Birthdate(String),
    #[error("`{0}` is not an absolute http(s) URL")]
    Url(String),
    #[error("must be at most {MAX_CLAIM_CHARS} characters, without control characters")]
    Text,
}

/// The longest text a string claim may hold, in characters (the account page's fields hold as much).
const MAX_CLAIM_CHARS: usize = 1024;

/// A string claim's text: at most [`MAX_CLAIM_CHARS`] characters, none of them a control character
/// (a NUL would not even be stored by PostgreSQL) except, where the claim may span lines (an
/// address's `formatted` and `street_address`, OIDC Core §5.1.1), line breaks.
fn is_claim_text(text: &str, multiline: bool) -> bool {
    text.chars().count() <= MAX_CLAIM_CHARS
        && !text
            .chars()
            .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r')))
}

/// The key email addresses are compared by: the address lowercased over all of Unicode, computed
/// here (not by the database, whose `lower()` differs between SQLite and PostgreSQL) and stored
/// beside the address.
pub fn email_key(email: &str) -> String {
    email.to_lowercase()
}

impl StandardClaims {
    /// Checks the claims whose syntax OIDC Core fixes; returns the offending field's name with the error.
    pub fn check(&self) -> Result<(), (&'static str, ClaimError)> {
        let address = self.address.as_ref();
        let texts = [
            ("name", &self.name, false),
            ("given_name", &self.given_name, false),
            ("family_name", &self.family_name, false),
            ("middle_name", &self.middle_name, false),
            ("nickname", &self.nickname, false),
            ("preferred_username", &self.preferred_username, false),
            ("profile", &self.profile, false),
            ("picture", &self.picture, false),
            ("website", &self.website, false),
            ("email", &self.email, false),
            ("gender", &self.gender, false),
            ("birthdate", &self.birthdate, false),
            ("zoneinfo", &self.zoneinfo, false),
            ("locale", &self.locale, false),
            ("phone_number", &self.phone_number, false),
        ]
        .into_iter()
        .chain(address.into_iter().flat_map(|a| {
            [
                ("address.formatted", &a.formatted, true),
                ("address.street_address", &a.street_address, true),
                ("address.locality", &a.locality, false),
                ("address.region", &a.region, false),
                ("address.postal_code", &a.postal_code, false),
                ("address.country", &a.country, false),
            ]
        }));
        for (field, value, multiline) in texts {
            if value
                .as_deref()
                .is_some_and(|v| !is_claim_text(v, multiline))
            {
                return Err((field, ClaimError::Text));
            }
        }
        if let Some(email) = &self.email {
            let valid = email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            }) && !email
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>\"(),;:[]\\".contains(c));
            if !valid {
                return Err(("email", ClaimError::Email(email.clone())));
            }
        }
        if let Some(date) = &self.birthdate {
            let valid = is_birthdate(date);
            if !valid {
                return Err(("birthdate", ClaimError::Birthdate(date.clone())));
            }
        }
        for (field, value) in [
            ("profile", &self.profile),
            ("picture", &self.picture),
            ("website", &self.website),
        ] {
            if let Some(value) = value {
                let ok =
                    url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
                if !ok {
                    return Err((field, ClaimError::Url(value.clone())));
                }
            }
        }
        Ok(())
    }
}

/// OIDC Core §5.1: `YYYY-MM-DD`, `YYYY` alone, or `0000-MM-DD` when the year is withheld.
fn is_birthdate(date: &str) -> bool {
    let full = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok();
    match date.strip_prefix("0000-") {
        // Year 2000 is a leap year, so a withheld-year 02-29 is accepted.
        Some(month_day) => full(&format!("2000-{month_day}")),
        None => full(date) || (date.len() == 4 && date.bytes().all(|b| b.is_ascii_digit())),
    }
}

/// A user as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub username: Username,
    pub password_hash: Option<PasswordHash>,
    pub disabled: bool,
    pub claims: StandardClaims,
    pub roles: BTreeSet<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether a confirmed authenticator-app (TOTP) factor was on when the user was read, so that a
    /// sign-in knows without another query whether to ask for a code. Set up and removed through
    /// `SecondFactorStore`; writes through `UserStore` leave the factor as it is.
    pub second_factor: bool,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.roles.contains(ADMIN_ROLE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_allow_email_shapes_and_refuse_spaces() {
        assert!(Username::parse("alice").is_ok());
        assert!(Username::parse("alice.smith@example.com").is_ok());
        assert!(Username::parse("alice+work@example.com").is_ok());
        assert!(Username::parse("zoë").is_ok());
        assert_eq!(
            Username::parse("Alice").map(|u| u.as_str().to_owned()),
            Ok("alice".to_owned())
        );
        assert_eq!(Username::parse(""), Err(InvalidUsername));
        assert_eq!(Username::parse("a b"), Err(InvalidUsername));
        assert_eq!(Username::parse(&"a".repeat(65)), Err(InvalidUsername));
    }

    #[test]
    fn roles_are_lowercase_tokens() {
        assert_eq!(parse_role("valet:admin"), Ok("valet:admin".to_owned()));
        assert_eq!(parse_role("Admin"), Err(InvalidRole));
        assert_eq!(parse_role(""), Err(InvalidRole));
    }

    #[test]
    fn claim_syntax_is_checked_and_the_field_named() {
        let ok = StandardClaims {
            email: Some("a@example.com".into()),
            birthdate: Some("1990-02-28".into()),
            website: Some("https://a.example".into()),
            ..Default::default()
        };
        assert_eq!(ok.check(), Ok(()));
        let year_only = StandardClaims {
            birthdate: Some("1990".into()),
            ..Default::default()
        };
        assert_eq!(year_only.check(), Ok(()));
        let no_year = StandardClaims {
            birthdate: Some("0000-02-28".into()),
            ..Default::default()
        };
        assert_eq!(no_year.check(), Ok(()));
        for bad in [
            "not-an-email",
            "\"victim@corp.example\"<attacker@evil.example>",
            "a@b.example,c@d.example",
        ] {
            let bad_email = StandardClaims {
                email: Some(bad.into()),
                ..Default::default()
            };
            assert_eq!(bad_email.check().map_err(|(f, _)| f), Err("email"), "{bad}");
        }
        let bad_date = StandardClaims {
            birthdate: Some("1990-13-01".into()),
            ..Default::default()
        };
        assert_eq!(bad_date.check().map_err(|(f, _)| f), Err("birthdate"));
        let bad_url = StandardClaims {
            picture: Some("javascript:alert(1)".into()),
            ..Default::default()
        };
        assert_eq!(bad_url.check().map_err(|(f, _)| f), Err("picture"));
    }

    #[test]
    fn string_claims_are_bounded_text_without_control_characters() {
        let with = |claims: StandardClaims| claims.check().map_err(|(f, _)| f);
        let name = |n: &str| StandardClaims {
            name: Some(n.to_owned()),
            ..StandardClaims::default()
        };
        assert_eq!(with(name(&"é".repeat(MAX_CLAIM_CHARS))), Ok(()));
        assert_eq!(with(name(&"é".repeat(MAX_CLAIM_CHARS + 1))), Err("name"));
        assert_eq!(with(name("a\0b")), Err("name"));
        assert_eq!(with(name("a\nb")), Err("name"));
        let address = |formatted: &str, locality: &str| StandardClaims {
            address: Some(Address {
                formatted: Some(formatted.to_owned()),
                locality: Some(locality.to_owned()),
                ..Address::default()
            }),
            ..StandardClaims::default()
        };
        assert_eq!(
            with(address("1 Main St\r\nSpringfield", "Springfield")),
            Ok(())
        );
        assert_eq!(
            with(address("1 Main St\u{7}", "Springfield")),
            Err("address.formatted")
        );
        assert_eq!(
            with(address("1 Main St", "Spring\nfield")),
            Err("address.locality")
        );
        let nickname = StandardClaims {
            nickname: Some("\u{0}".to_owned()),
            ..StandardClaims::default()
        };
        assert_eq!(with(nickname), Err("nickname"));
    }

    #[test]
    fn unknown_claims_are_refused_when_parsing() {
        let parsed: Result<StandardClaims, _> = serde_json::from_str(r#"{"nmae":"typo"}"#);
        assert!(parsed.is_err());
    }
}
