//! Sending requests with the browser's `fetch`: the admin API with the bearer token (refreshed once
//! and retried on a 401, RFC 6750 §3.1), and plain form posts for the token endpoint.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestInit, Response};

use super::{ApiError, decode};
use crate::auth::session;

fn js_error(e: JsValue) -> ApiError {
    ApiError::Network(
        e.as_string()
            .or_else(|| {
                e.dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()))
            })
            .unwrap_or_else(|| "the request failed".into()),
    )
}

/// One HTTP exchange: the status and the body's text.
pub async fn fetch(
    method: &str,
    url: &str,
    bearer: Option<&str>,
    body: Option<(&str, &str)>,
) -> Result<(u16, String), ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
    let headers = Headers::new().map_err(js_error)?;
    headers
        .set("Accept", "application/json, application/problem+json")
        .map_err(js_error)?;
    if let Some(token) = bearer {
        headers
            .set("Authorization", &format!("Bearer {token}"))
            .map_err(js_error)?;
    }
    let init = RequestInit::new();
    init.set_method(method);
    init.set_cache(web_sys::RequestCache::NoStore);
    if let Some((content_type, text)) = body {
        headers
            .set("Content-Type", content_type)
            .map_err(js_error)?;
        init.set_body(&JsValue::from_str(text));
    }
    init.set_headers(&headers);
    let request = Request::new_with_str_and_init(url, &init).map_err(js_error)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(js_error)?
        .dyn_into()
        .map_err(js_error)?;
    let text = JsFuture::from(response.text().map_err(js_error)?)
        .await
        .map_err(js_error)?
        .as_string()
        .unwrap_or_default();
    Ok((response.status(), text))
}

/// An admin API call with the current access token; on a 401 the token is refreshed once and the
/// call repeated, and a second 401 starts a new sign-in.
async fn call(method: &str, path: &str, body: Option<String>) -> Result<String, ApiError> {
    let url = session::site().api(path);
    let body = body.as_deref().map(|b| ("application/json", b));
    let token = session::access_token().await?;
    let (mut status, mut text) = fetch(method, &url, Some(&token), body).await?;
    if status == 401 {
        let fresh = session::refresh(&token).await?;
        (status, text) = fetch(method, &url, Some(&fresh), body).await?;
        if status == 401 {
            session::sign_in_again();
            return Err(ApiError::SignedOut);
        }
    }
    if (200..300).contains(&status) {
        session::confirm_working();
        Ok(text)
    } else {
        Err(ApiError::from_response(status, &text))
    }
}

pub async fn get<T: DeserializeOwned>(path: impl AsRef<str>) -> Result<T, ApiError> {
    decode(&call("GET", path.as_ref(), None).await?)
}

/// A POST, PUT or PATCH with a JSON body.
pub async fn send<B: Serialize, T: DeserializeOwned>(
    method: &str,
    path: impl AsRef<str>,
    body: &B,
) -> Result<T, ApiError> {
    let json = serde_json::to_string(body).map_err(|e| ApiError::Decode(e.to_string()))?;
    decode(&call(method, path.as_ref(), Some(json)).await?)
}

/// A POST or DELETE without a body.
pub async fn act<T: DeserializeOwned>(method: &str, path: impl AsRef<str>) -> Result<T, ApiError> {
    decode(&call(method, path.as_ref(), None).await?)
}

/// A POST without a body whose answer has none either (204 or 202).
pub async fn act_quietly(method: &str, path: impl AsRef<str>) -> Result<(), ApiError> {
    call(method, path.as_ref(), None).await.map(drop)
}
