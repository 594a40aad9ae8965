//! Which user claims a client gets: by scope (OIDC Core §5.4) plus what the `claims` parameter asked
//! (§5.5). Only claims the user has are released; `sub` is always the user's stable, opaque id.

use serde_json::{Map, Value, json};

use crate::user::User;

/// The standard claims each scope requests (OIDC Core §5.4).
pub fn claims_of_scope(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
        "email" => &["email", "email_verified"],
        "address" => &["address"],
        "phone" => &["phone_number", "phone_number_verified"],
        _ => &[],
    }
}

/// The value of one standard claim for `user`, if the user has it.
fn claim(user: &User, name: &str) -> Option<Value> {
    let c = &user.claims;
    let text = |v: &Option<String>| v.as_ref().map(|s| Value::String(s.clone()));
    match name {
        "name" => text(&c.name),
        "given_name" => text(&c.given_name),
        "family_name" => text(&c.family_name),
        "middle_name" => text(&c.middle_name),
        "nickname" => text(&c.nickname),
        // Falls back to the login name, which every user has.
        "preferred_username" => Some(Value::String(
            c.preferred_username
                .clone()
                .unwrap_or_else(|| user.username.as_str().to_owned()),
        )),
        "profile" => text(&c.profile),
        "picture" => text(&c.picture),
        "website" => text(&c.website),
        "email" => text(&c.email),
        "email_verified" => c.email.as_ref().map(|_| Value::Bool(c.email_verified)),
        "gender" => text(&c.gender),
        "birthdate" => text(&c.birthdate),
        "zoneinfo" => text(&c.zoneinfo),
        "locale" => text(&c.locale),
        "phone_number" => text(&c.phone_number),
        "phone_number_verified" => c
            .phone_number
            .as_ref()
            .map(|_| Value::Bool(c.phone_number_verified)),
        "address" => c
            .address
            .as_ref()
            .and_then(|a| serde_json::to_value(a).ok()),
        "updated_at" => Some(json!(user.updated_at.timestamp())),
        _ => None,
    }
}

/// The claims named by `scopes` and `requested` (the claims parameter), that the user has.
pub fn release<'a>(
    user: &User,
    scopes: impl IntoIterator<Item = &'a str>,
    requested: impl IntoIterator<Item = &'a str>,
) -> Map<String, Value> {
    let names = scopes
        .into_iter()
        .flat_map(|s| claims_of_scope(s).iter().copied())
        .chain(requested);
    let mut out = Map::new();
    for name in names {
        if !out.contains_key(name)
            && let Some(value) = claim(user, name)
        {
            out.insert(name.to_owned(), value);
        }
    }
    out
}

/// The subject identifier (OIDC Core §8, public type): the user's id, stable and opaque.
pub fn subject(user: &User) -> String {
    user.id.to_string()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::user::{Address, StandardClaims, Username};

    fn user(claims: StandardClaims) -> User {
        User {
            id: uuid::Uuid::now_v7(),
            username: Username::parse("alice").unwrap_or_else(|e| panic!("{e}")),
            password_hash: None,
            disabled: false,
            claims,
            roles: Default::default(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            second_factor: false,
        }
    }

    #[test]
    fn each_scope_releases_its_claims_only() {
        let u = user(StandardClaims {
            name: Some("Alice".into()),
            email: Some("a@example.com".into()),
            email_verified: true,
            phone_number: Some("+1 555".into()),
            address: Some(Address {
                country: Some("FR".into()),
                ..Default::default()
            }),
            ..Default::default()
        });
        let email = release(&u, ["openid", "email"], []);
        assert_eq!(
            email.keys().collect::<Vec<_>>(),
            ["email", "email_verified"]
        );
        assert_eq!(email["email_verified"], true);
        let profile = release(&u, ["profile"], []);
        assert_eq!(profile["name"], "Alice");
        assert_eq!(profile["preferred_username"], "alice");
        assert!(profile.contains_key("updated_at") && !profile.contains_key("email"));
        assert_eq!(release(&u, ["address"], [])["address"]["country"], "FR");
        assert_eq!(release(&u, ["phone"], [])["phone_number_verified"], false);
    }

    #[test]
    fn the_claims_parameter_adds_individual_claims() {
        let u = user(StandardClaims {
            name: Some("Alice".into()),
            ..Default::default()
        });
        assert_eq!(
            release(&u, ["openid"], ["name", "unknown_claim"])
                .keys()
                .collect::<Vec<_>>(),
            ["name"]
        );
    }

    #[test]
    fn absent_claims_are_not_invented() {
        let u = user(StandardClaims::default());
        let email = release(&u, ["email"], []);
        assert!(email.is_empty(), "no email means no email_verified either");
    }
}
