//! One span and one log line per request, with a request id (the caller's `X-Request-Id` when it is
//! sane, a UUIDv7 otherwise) echoed in the response. Only the route is logged, as its pattern
//! (`/account/reset/{token}`), on the line that ends the request: query strings carry codes and
//! tokens, and so do the paths of the mailed links and of the interactions.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned)
}

pub async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&req);
    // The route is known once the router matched it (cheaply then: no pattern is tried again); a
    // path no route matched is not logged at all (it may be a mailed link, altered on its way).
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = tracing::field::Empty
    );
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let route = res.request().match_pattern();
    span.record(
        "route",
        tracing::field::display(route.as_deref().unwrap_or("(no route)")),
    );
    let status = res.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_us = started.elapsed().as_micros() as u64,
            "served"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::Error::other("poisoned"))?
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[actix_web::test]
    async fn logs_the_route_pattern_not_the_token_in_the_path() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new().service(
                web::scope("")
                    .wrap(from_fn(trace_requests))
                    .route("/account/reset/{token}", web::get().to(HttpResponse::Ok)),
            ),
        )
        .await;
        let token = "Zx8sQ2-secret-reset-token-w5VbN1kq0aPq3rT7yU9iO";
        for path in [
            format!("/account/reset/{token}"),
            format!("/account/reset/{token}/x"),
        ] {
            test::call_service(&app, test::TestRequest::get().uri(&path).to_request()).await;
        }
        let logged = String::from_utf8(captured.0.lock().map(|b| b.clone()).unwrap_or_default())
            .unwrap_or_default();
        assert!(logged.contains("route=/account/reset/{token}"), "{logged}");
        assert!(logged.contains("route=(no route)"), "{logged}");
        assert!(!logged.contains("secret-reset-token"), "{logged}");
    }
}
