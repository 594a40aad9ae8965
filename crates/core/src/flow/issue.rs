//! Issuing the authorization code (RFC 6749 §4.1.2): the grant is recorded (or extended) and bound to
//! the session, and a 256-bit single-use code bound to everything the token endpoint will check.
//! Both are writes of the step's batch (`ports::Write`).

use uuid::Uuid;

use super::FlowContext;
use super::begin::Flow;
use crate::authorize::AuthorizationResponse;
use crate::code::{AuthorizationCode, CodeValue};
use crate::grant::Grant;
use crate::ports::Write;
use crate::session::Session;
use crate::user::User;

/// The code's answer to the client; the grant and the code are added to `writes`.
pub fn issue_code(
    ctx: &FlowContext<'_>,
    flow: &Flow,
    (session, user): (&Session, &User),
    grant: Option<Grant>,
    writes: &mut Vec<Write>,
) -> AuthorizationResponse {
    let request = &flow.request;
    let grant = grant.unwrap_or_else(|| Grant::new(user.id, flow.client.id, vec![], ctx.now));
    let mut grant = grant.extended(&request.scopes, ctx.now);
    if let Some(claims) = &request.claims {
        grant.claims = serde_json::to_value(claims).ok();
    }
    let lifetimes = ctx.policy.for_client(&flow.client);
    let value = CodeValue::generate(ctx.random);
    let code = AuthorizationCode {
        id: Uuid::now_v7(),
        grant_id: grant.id,
        client: flow.client.id,
        user_id: user.id,
        session_id: Some(session.id),
        redirect_uri: request.redirect_uri.as_str().to_owned(),
        redirect_uri_given: request.redirect_uri_given,
        code_challenge: request
            .code_challenge
            .as_ref()
            .map(|c| c.as_str().to_owned()),
        nonce: request.nonce.clone(),
        scopes: request.scopes.clone(),
        claims: request
            .claims
            .as_ref()
            .and_then(|c| serde_json::to_value(c).ok()),
        auth_time: session.auth_time,
        amr: session.amr.clone(),
        acr: session.acr.clone(),
        created_at: ctx.now,
        expires_at: ctx.now + lifetimes.code,
        consumed_at: None,
        issued_access_token_jti: None,
        issued_refresh_chain_id: None,
    };
    writes.push(Write::SaveGrant {
        grant,
        session_id: Some(session.id),
        at: ctx.now,
    });
    writes.push(Write::InsertCode {
        code,
        code_hash: value.hash(),
    });
    request.target.respond(
        ctx.issuer,
        vec![("code".to_owned(), value.expose().to_owned())],
    )
}
