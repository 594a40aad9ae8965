//! The client form: what the inputs hold (text, one URI per line, check boxes), how it becomes a
//! `ClientInput`, and how the API's field errors (`redirect_uris[1]`) land beside the right input.

use std::collections::BTreeMap;

use valet_admin_api::{ClientInput, FieldError};

/// Messages per form field (the API's field name without its index); `""` holds the ones that
/// belong to no input on the form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<String> {
        self.0.get(field).map(|m| m.join(" "))
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// The fields with errors, in the order the form shows them, for the error summary.
    pub fn fields(&self) -> impl Iterator<Item = (&str, String)> {
        self.0.iter().map(|(f, m)| (f.as_str(), m.join(" ")))
    }

    /// Maps the API's errors onto the form's fields; an indexed list field (`contacts[2]`) is a
    /// textarea, so its message names the line.
    pub fn from_api(errors: &[FieldError], known: &[&str]) -> Self {
        let mut out = Self::default();
        for e in errors {
            let (name, line) = split_index(&e.field);
            let message = match line {
                Some(i) => format!("Line {}: {}", i + 1, e.message),
                None => e.message.clone(),
            };
            if known.contains(&name) {
                out.add(name, message);
            } else {
                out.add("", format!("{}: {message}", e.field));
            }
        }
        out
    }
}

/// `redirect_uris[1]` → (`redirect_uris`, Some(1)).
fn split_index(field: &str) -> (&str, Option<usize>) {
    if let Some((name, rest)) = field.split_once('[')
        && let Some(index) = rest.strip_suffix(']').and_then(|i| i.parse().ok())
    {
        return (name, Some(index));
    }
    (field, None)
}

/// The grant types the form offers.
pub const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];
pub const AUTH_METHODS: [&str; 5] = [
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
];
pub const SIGNING_ALGS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];

/// Every input of the client form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientForm {
    pub client_id: String,
    pub client_name: String,
    pub application_type: String,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub scope: String,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub backchannel_logout_uri: String,
    pub backchannel_logout_session_required: bool,
    pub frontchannel_logout_uri: String,
    pub frontchannel_logout_session_required: bool,
    pub id_token_signed_response_alg: String,
    pub first_party: bool,
    pub always_issue_refresh_token: bool,
    pub access_token_ttl_secs: String,
    pub refresh_token_ttl_secs: String,
    pub client_uri: String,
    pub logo_uri: String,
    pub policy_uri: String,
    pub tos_uri: String,
    pub contacts: String,
}

/// What the form calls a field, for the error summary.
pub fn client_field_label(field: &str) -> &str {
    match field {
        "client_id" => "Client ID",
        "client_name" => "Name",
        "application_type" => "Application type",
        "token_endpoint_auth_method" => "Token endpoint authentication",
        "grant_types" => "Grant types",
        "scope" => "Scopes",
        "redirect_uris" => "Redirect URIs",
        "post_logout_redirect_uris" => "Post-logout redirect URIs",
        "backchannel_logout_uri" => "Back-channel logout URI",
        "frontchannel_logout_uri" => "Front-channel logout URI",
        "id_token_signed_response_alg" => "ID token signing algorithm",
        "access_token_ttl_secs" => "Access token lifetime",
        "refresh_token_ttl_secs" => "Refresh token lifetime",
        "client_uri" => "Home page",
        "logo_uri" => "Logo URI",
        "policy_uri" => "Privacy policy URI",
        "tos_uri" => "Terms of service URI",
        "contacts" => "Contacts",
        "" => "Other",
        other => other,
    }
}

/// The names of the form's inputs, for `FieldErrors::from_api`.
pub const CLIENT_FIELDS: [&str; 22] = [
    "client_id",
    "client_name",
    "application_type",
    "token_endpoint_auth_method",
    "grant_types",
    "scope",
    "redirect_uris",
    "post_logout_redirect_uris",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
    "frontchannel_logout_uri",
    "frontchannel_logout_session_required",
    "id_token_signed_response_alg",
    "first_party",
    "always_issue_refresh_token",
    "access_token_ttl_secs",
    "refresh_token_ttl_secs",
    "client_uri",
    "logo_uri",
    "policy_uri",
    "tos_uri",
    "contacts",
];

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn optional(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl ClientForm {
    /// A new client's defaults: a confidential web client using the code flow.
    pub fn new_client() -> Self {
        Self {
            application_type: "web".into(),
            token_endpoint_auth_method: "client_secret_basic".into(),
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            scope: "openid profile email".into(),
            id_token_signed_response_alg: "RS256".into(),
            ..Default::default()
        }
    }

    pub fn from_input(input: &ClientInput) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let number = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        Self {
            client_id: input.client_id.clone(),
            client_name: input.client_name.clone(),
            application_type: input
                .application_type
                .clone()
                .unwrap_or_else(|| "web".into()),
            token_endpoint_auth_method: input
                .token_endpoint_auth_method
                .clone()
                .unwrap_or_else(|| "client_secret_basic".into()),
            grant_types: input
                .grant_types
                .clone()
                .unwrap_or_else(|| vec!["authorization_code".into()]),
            scope: text(&input.scope),
            redirect_uris: input.redirect_uris.join("\n"),
            post_logout_redirect_uris: input.post_logout_redirect_uris.join("\n"),
            backchannel_logout_uri: text(&input.backchannel_logout_uri),
            backchannel_logout_session_required: input.backchannel_logout_session_required,
            frontchannel_logout_uri: text(&input.frontchannel_logout_uri),
            frontchannel_logout_session_required: input.frontchannel_logout_session_required,
            id_token_signed_response_alg: input
                .id_token_signed_response_alg
                .clone()
                .unwrap_or_else(|| "RS256".into()),
            first_party: input.first_party,
            always_issue_refresh_token: input.always_issue_refresh_token,
            access_token_ttl_secs: number(input.access_token_ttl_secs),
            refresh_token_ttl_secs: number(input.refresh_token_ttl_secs),
            client_uri: text(&input.client_uri),
            logo_uri: text(&input.logo_uri),
            policy_uri: text(&input.policy_uri),
            tos_uri: text(&input.tos_uri),
            contacts: input.contacts.join("\n"),
        }
    }

    /// The request body, or the errors the console can see without asking the server (required
    /// names, numbers); everything else the server validates and answers field by field.
    pub fn to_input(&self) -> Result<ClientInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        if self.client_id.trim().is_empty() {
            errors.add("client_id", "A client ID is required.");
        }
        if self.client_name.trim().is_empty() {
            errors.add("client_name", "A name is required.");
        }
        let mut seconds = |field: &str, text: &str| match optional(text) {
            None => None,
            Some(t) => match t.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errors.add(field, "Enter a whole number of seconds above zero.");
                    None
                }
            },
        };
        let access_token_ttl_secs = seconds("access_token_ttl_secs", &self.access_token_ttl_secs);
        let refresh_token_ttl_secs =
            seconds("refresh_token_ttl_secs", &self.refresh_token_ttl_secs);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ClientInput {
            client_id: self.client_id.trim().to_owned(),
            client_name: self.client_name.trim().to_owned(),
            logo_uri: optional(&self.logo_uri),
            client_uri: optional(&self.client_uri),
            policy_uri: optional(&self.policy_uri),
            tos_uri: optional(&self.tos_uri),
            contacts: lines(&self.contacts),
            application_type: optional(&self.application_type),
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            grant_types: Some(self.grant_types.clone()),
            scope: optional(&self.scope),
            token_endpoint_auth_method: optional(&self.token_endpoint_auth_method),
            id_token_signed_response_alg: optional(&self.id_token_signed_response_alg),
            backchannel_logout_uri: optional(&self.backchannel_logout_uri),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            frontchannel_logout_uri: optional(&self.frontchannel_logout_uri),
            frontchannel_logout_session_required: self.frontchannel_logout_session_required,
            first_party: self.first_party,
            always_issue_refresh_token: self.always_issue_refresh_token,
            access_token_ttl_secs,
            refresh_token_ttl_secs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_errors_name_the_line_of_their_textarea() {
        let errors = FieldErrors::from_api(
            &[
                FieldError {
                    field: "redirect_uris[1]".into(),
                    message: "has a fragment".into(),
                },
                FieldError {
                    field: "scope".into(),
                    message: "bad token".into(),
                },
                FieldError {
                    field: "jwks".into(),
                    message: "needs keys".into(),
                },
            ],
            &CLIENT_FIELDS,
        );
        assert_eq!(
            errors.get("redirect_uris").as_deref(),
            Some("Line 2: has a fragment")
        );
        assert_eq!(errors.get("scope").as_deref(), Some("bad token"));
        assert_eq!(errors.get("").as_deref(), Some("jwks: needs keys"));
        assert_eq!(errors.fields().count(), 3);
    }

    #[test]
    fn a_form_round_trips_through_the_api_input() {
        let mut form = ClientForm::new_client();
        form.client_id = " billing ".into();
        form.client_name = "Billing".into();
        form.redirect_uris = "https://a.example/cb\n\n  https://b.example/cb  \n".into();
        form.access_token_ttl_secs = "600".into();
        let input = form.to_input().unwrap_or_default();
        assert_eq!(input.client_id, "billing");
        assert_eq!(
            input.redirect_uris,
            ["https://a.example/cb", "https://b.example/cb"]
        );
        assert_eq!(input.access_token_ttl_secs, Some(600));
        assert_eq!(input.logo_uri, None);
        let again = ClientForm::from_input(&input);
        assert_eq!(
            again.redirect_uris,
            "https://a.example/cb\nhttps://b.example/cb"
        );
        assert_eq!(again.to_input().ok(), Some(input));
    }

    #[test]
    fn missing_names_and_bad_numbers_are_caught_before_sending() {
        let mut form = ClientForm::new_client();
        form.refresh_token_ttl_secs = "-5".into();
        let errors = form.to_input().err().unwrap_or_default();
        assert!(errors.get("client_id").is_some());
        assert!(errors.get("client_name").is_some());
        assert!(errors.get("refresh_token_ttl_secs").is_some());
        assert!(errors.get("access_token_ttl_secs").is_none());
    }
}
