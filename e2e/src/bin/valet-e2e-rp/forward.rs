//! Every other path: passed to the harness's own endpoints at `--forward` (the browser tests keep
//! their logout receivers there: same origin as the redirect URI, as OpenID Front-Channel Logout
//! 1.0 §2 requires), with `x-valet-rp-seq` naming the request's number; a 404 without `--forward`.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

use crate::events::Seq;
use crate::page;
use crate::relying_party::{RelyingParty, error_chain};

/// Hop-by-hop and framing headers: each side of the hop sets its own.
const NOT_FORWARDED: &[&str] = &[
    "connection",
    "content-length",
    "host",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

pub async fn forward(
    rp: web::Data<RelyingParty>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let Some(base) = &rp.config.forward else {
        return page::not_found();
    };
    match pass_on(&rp, base, &req, body).await {
        Ok(response) => response,
        Err(err) => page::render(
            StatusCode::BAD_GATEWAY,
            "Relying party error",
            &format!("<pre>forward: {}</pre>", page::escape(&error_chain(&err))),
        ),
    }
}

async fn pass_on(
    rp: &RelyingParty,
    base: &url::Url,
    req: &HttpRequest,
    body: web::Bytes,
) -> reqwest::Result<HttpResponse> {
    let url = format!("{}{}", base.as_str().trim_end_matches('/'), req.uri());
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    let mut out = rp.forwarder.request(method, url).body(body.to_vec());
    for (name, value) in req.headers() {
        if !NOT_FORWARDED.contains(&name.as_str()) {
            out = out.header(name.as_str(), value.as_bytes());
        }
    }
    if let Some(Seq(seq)) = req.extensions().get::<Seq>().copied() {
        out = out.header("x-valet-rp-seq", seq.to_string());
    }
    let answer = out.send().await?;
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = HttpResponse::build(status);
    for (name, value) in answer.headers() {
        if NOT_FORWARDED.contains(&name.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            response.append_header((name, value));
        }
    }
    Ok(response.body(answer.bytes().await?))
}
