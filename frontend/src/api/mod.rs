//! The admin API as the console calls it: the paths (below `/admin/api/v1`), and how an answer
//! becomes data or an `ApiError` (RFC 9457 problem details). `client` (wasm only) sends requests.

#[cfg(target_arch = "wasm32")]
pub mod client;
pub mod paths;

use valet_admin_api::Problem;

/// Why a call did not return what the page wanted.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// The API answered with problem details.
    Problem(Problem),
    /// The API answered something that is not problem details (a proxy, a crash page).
    Http { status: u16, body: String },
    /// No answer: offline, DNS, CORS, a blocked request.
    Network(String),
    /// An answer the console could not read.
    Decode(String),
    /// The session is gone and a new sign-in has started.
    SignedOut,
}

impl ApiError {
    /// Reads an error answer: problem details when the body is one, else the status and text.
    pub fn from_response(status: u16, body: &str) -> Self {
        match serde_json::from_str::<Problem>(body) {
            Ok(problem) => Self::Problem(problem),
            Err(_) => Self::Http {
                status,
                body: body.chars().take(300).collect(),
            },
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Problem(p) => Some(p.status),
            Self::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The field-level errors of a validation problem (empty otherwise).
    pub fn field_errors(&self) -> &[valet_admin_api::FieldError] {
        match self {
            Self::Problem(p) => &p.errors,
            _ => &[],
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Problem(p) if p.status == 403 => write!(
                f,
                "Not allowed: {}. Your account needs the admin role.",
                p.detail.as_deref().unwrap_or(&p.title)
            ),
            Self::Problem(p) => match &p.detail {
                Some(detail) => write!(f, "{}: {detail}", p.title),
                None => f.write_str(&p.title),
            },
            Self::Http { status, body } if body.trim().is_empty() => {
                write!(f, "The server answered with status {status}.")
            }
            Self::Http { status, body } => {
                write!(f, "The server answered with status {status}: {body}")
            }
            Self::Network(detail) => write!(f, "The server could not be reached ({detail})."),
            Self::Decode(detail) => write!(f, "The server's answer could not be read ({detail})."),
            Self::SignedOut => f.write_str("Your session ended; signing in again…"),
        }
    }
}

/// A client_id or other text as one segment of a console route.
pub fn url_segment(text: &str) -> String {
    crate::url::encode(text)
}

/// Reads a successful answer's body.
pub fn decode<T: serde::de::DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_bodies_become_problems_and_others_keep_their_status() {
        let body = r#"{"type":"about:blank","title":"Bad Request","status":400,
            "detail":"the request has invalid fields",
            "errors":[{"field":"redirect_uris[0]","message":"has a fragment"}]}"#;
        let error = ApiError::from_response(400, body);
        assert_eq!(error.status(), Some(400));
        assert_eq!(error.field_errors()[0].field, "redirect_uris[0]");
        assert_eq!(
            error.to_string(),
            "Bad Request: the request has invalid fields"
        );
        let proxy = ApiError::from_response(502, "<html>Bad gateway</html>");
        assert_eq!(proxy.status(), Some(502));
        assert!(proxy.field_errors().is_empty());
        assert!(proxy.to_string().contains("502"));
    }

    #[test]
    fn forbidden_says_what_is_missing() {
        let body = r#"{"type":"about:blank","title":"Forbidden","status":403,"detail":"not an administrator"}"#;
        assert!(
            ApiError::from_response(403, body)
                .to_string()
                .contains("admin role")
        );
    }
}
