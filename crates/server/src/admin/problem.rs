//! Errors of the admin API as RFC 9457 problem details (`application/problem+json`), rendered once
//! here for every handler.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use valet_admin_api::{FieldError, Problem};
use valet_core::admin::AdminAuthError;
use valet_core::ports::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("the service is temporarily unavailable")]
    Unavailable,
}

impl ApiError {
    pub fn field(field: impl Into<String>, message: impl ToString) -> Self {
        Self::Invalid(vec![FieldError {
            field: field.into(),
            message: message.to_string(),
        }])
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (detail, errors) = match self {
            Self::Invalid(errors) => (Some(self.to_string()), errors.clone()),
            Self::Unavailable => (None, Vec::new()),
            other => (Some(other.to_string()), Vec::new()),
        };
        Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::BadRequest(_) | Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response
            .content_type("application/problem+json")
            .insert_header((header::CACHE_CONTROL, "no-store"));
        // RFC 6750 §3: say which token problem it was.
        match self {
            Self::Unauthorized(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"valet-admin\", error=\"invalid_token\"",
                ));
            }
            Self::Forbidden(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"valet-admin\", error=\"insufficient_scope\", scope=\"valet:admin\"",
                ));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(format!("{what} not found")),
            StoreError::Conflict(what) => Self::Conflict(format!("{what} already exists")),
            StoreError::Stale(what) => Self::Conflict(format!("{what} changed meanwhile")),
            StoreError::Invalid(_) => Self::BadRequest(e.to_string()),
            StoreError::Backend(detail) | StoreError::Unavailable(detail) => {
                tracing::error!(error = %detail, "storage failure in the admin API");
                Self::Unavailable
            }
        }
    }
}

impl From<AdminAuthError> for ApiError {
    fn from(e: AdminAuthError) -> Self {
        match e {
            AdminAuthError::InvalidToken => Self::Unauthorized(e.to_string()),
            AdminAuthError::InsufficientScope | AdminAuthError::NotAdmin => {
                Self::Forbidden(e.to_string())
            }
            AdminAuthError::Store(detail) => {
                tracing::error!(error = %detail, "storage failure while authorizing an admin call");
                Self::Unavailable
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn problems_carry_their_status_type_and_fields() {
        let error = ApiError::field("redirect_uris[0]", "has a fragment");
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        let problem = error.problem();
        assert_eq!(
            (problem.status, problem.kind.as_str()),
            (400, "about:blank")
        );
        assert_eq!(problem.errors[0].field, "redirect_uris[0]");
    }

    #[test]
    fn token_failures_are_401_and_missing_rights_403() {
        assert_eq!(
            ApiError::from(AdminAuthError::InvalidToken).status_code(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            ApiError::from(AdminAuthError::NotAdmin).status_code(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            ApiError::from(StoreError::Backend("secret detail".into()))
                .problem()
                .detail,
            None,
            "backend details never leave the server"
        );
    }
}
