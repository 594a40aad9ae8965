//! The request and response bodies of Valet's admin API, `/admin/api/v1`: the server serializes them
//! and the console deserializes them, so both sides agree by construction. With the `openapi`
//! feature each type also describes itself for the OpenAPI document the server publishes.
//!
//! Conventions: times are RFC 3339 UTC; ids are UUIDs except `client_id` (the OAuth identifier);
//! lists are pages with an opaque `next_cursor`; errors are RFC 9457 problem details.

mod audit;
mod clients;
mod grants;
mod operations;
mod users;

pub use audit::AuditEventView;
pub use clients::{ClientInput, ClientView, CreatedClient, RotatedSecret, SecretRotation};
pub use grants::{GrantView, RevocationView, SessionView};
pub use operations::{KeyView, NotificationView, Overview};
pub use users::{MfaView, NewUser, PasswordInput, UserPatch, UserView};

use serde::{Deserialize, Serialize};

/// The path every admin endpoint lives under, below the issuer.
pub const BASE_PATH: &str = "/admin/api/v1";

/// The scope an access token needs for the admin API.
pub const ADMIN_SCOPE: &str = "valet:admin";

/// One page of a listing. Pass `next_cursor` back as `cursor` for the next page; it is absent on
/// the last page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// RFC 9457 problem details (`application/problem+json`), with the fields that failed validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Field-level errors, for forms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The request field, e.g. `redirect_uris[1]`.
    pub field: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_serialize_as_rfc_9457() {
        let problem = Problem {
            kind: "about:blank".into(),
            title: "Bad Request".into(),
            status: 400,
            detail: None,
            errors: vec![FieldError {
                field: "redirect_uris[0]".into(),
                message: "has a fragment".into(),
            }],
        };
        let json = serde_json::to_value(&problem).unwrap_or_default();
        assert_eq!(json["type"], "about:blank");
        assert_eq!(json["errors"][0]["field"], "redirect_uris[0]");
        assert!(json.get("detail").is_none());
    }

    #[test]
    fn secrets_print_as_stars() {
        let created = RotatedSecret {
            client_secret: "s3cr3t".into(),
            previous_secret_expires_at: None,
        };
        let user = NewUser {
            username: "u".into(),
            password: Some("hunter22".into()),
            ..Default::default()
        };
        for text in [format!("{created:?}"), format!("{user:?}")] {
            assert!(
                !text.contains("s3cr3t") && !text.contains("hunter22"),
                "{text}"
            );
        }
    }

    #[test]
    fn the_last_page_has_no_cursor() {
        let page: Page<u8> = Page {
            items: vec![1],
            next_cursor: None,
        };
        assert_eq!(
            serde_json::to_string(&page).unwrap_or_default(),
            r#"{"items":[1]}"#
        );
    }
}
