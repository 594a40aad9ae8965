use super::test_support::{Must, ip, net};
use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

fn outbound(allow: &[&str]) -> Outbound {
    Outbound::new(OutboundPolicy {
        allow: allow.iter().map(|n| net(n)).collect(),
        ..OutboundPolicy::default()
    })
    .must()
}

/// The request as the responder saw it: head (request line and headers) and body.
#[derive(Debug)]
struct Seen {
    head: String,
    body: Vec<u8>,
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Seen {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.must();
        assert!(n > 0, "client closed before sending a request");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..end].to_vec()).must();
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, value)| value.trim().parse::<usize>().must());
    let mut body = buf[end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.must();
        assert!(n > 0, "client closed mid-body");
        body.extend_from_slice(&chunk[..n]);
    }
    Seen { head, body }
}

/// Answers one request on 127.0.0.1 with `response` (raw HTTP/1.1 bytes), then holds the
/// connection open for `linger`.
async fn respond_once(response: Vec<u8>, linger: Duration) -> (SocketAddr, JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.must();
    let addr = listener.local_addr().must();
    let task = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.must();
        let seen = read_request(&mut stream).await;
        stream.write_all(&response).await.must();
        stream.flush().await.must();
        tokio::time::sleep(linger).await;
        seen
    });
    (addr, task)
}

async fn assert_no_connection(listener: &TcpListener) {
    let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err(), "a connection reached the listener");
}

#[tokio::test]
async fn loopback_literal_is_refused_by_default_without_connecting() {
    let listener = TcpListener::bind("127.0.0.1:0").await.must();
    let port = listener.local_addr().must().port();
    let guard = outbound(&[]);
    for url in [
        format!("http://127.0.0.1:{port}/logout"),
        format!("http://[::ffff:127.0.0.1]:{port}/logout"),
        format!("http://0x7f.1:{port}/logout"),
    ] {
        let error = guard.post_form(&url, &[("logout_token", "abc")]).await;
        assert!(
            matches!(error, Err(OutboundError::Forbidden { ip: refused, .. })
                if refused.to_canonical() == ip("127.0.0.1")),
            "{url}: {error:?}"
        );
    }
    let error = guard.get(&format!("http://[::1]:{port}/"), "*/*").await;
    assert!(
        matches!(error, Err(OutboundError::Forbidden { .. })),
        "{error:?}"
    );
    assert_no_connection(&listener).await;
}

#[tokio::test]
async fn allowed_loopback_network_lets_post_form_through() {
    let (addr, seen) = respond_once(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_vec(),
        Duration::ZERO,
    )
    .await;
    let response = outbound(&["127.0.0.0/8", "::1/128"])
        .post_form(&format!("http://{addr}/logout"), &[("logout_token", "abc")])
        .await
        .must();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"ok");
    let seen = seen.await.must();
    assert_eq!(seen.body, b"logout_token=abc");
    assert!(
        seen.head.starts_with("POST /logout HTTP/1.1\r\n"),
        "{}",
        seen.head
    );
    let head = seen.head.to_ascii_lowercase();
    assert!(head.contains("\r\nuser-agent: valet\r\n"), "{head}");
    assert!(
        head.contains("content-type: application/x-www-form-urlencoded"),
        "{head}"
    );
}

#[tokio::test]
async fn localhost_name_is_refused_by_the_resolver() {
    let listener = TcpListener::bind("127.0.0.1:0").await.must();
    let port = listener.local_addr().must().port();
    let error = outbound(&[])
        .get(&format!("http://localhost:{port}/jwks"), "application/json")
        .await;
    assert!(
        matches!(&error, Err(OutboundError::Forbidden { host, ip: refused })
            if host == "localhost" && refused.is_loopback()),
        "{error:?}"
    );
    assert_no_connection(&listener).await;
}

#[tokio::test]
async fn localhost_name_resolves_when_loopback_is_allowed() {
    let (addr, seen) = respond_once(
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
        Duration::ZERO,
    )
    .await;
    let response = outbound(&["127.0.0.0/8", "::1/128"])
        .get(
            &format!("http://localhost:{}/jwks", addr.port()),
            "application/json",
        )
        .await
        .must();
    assert_eq!(
        (response.status, response.body.as_slice()),
        (200, &b"{}"[..])
    );
    let head = seen.await.must().head.to_ascii_lowercase();
    assert!(head.contains("\r\naccept: application/json\r\n"), "{head}");
}

#[tokio::test]
async fn redirects_are_returned_not_followed() {
    let elsewhere = TcpListener::bind("127.0.0.1:0").await.must();
    let target = elsewhere.local_addr().must();
    let (addr, _seen) = respond_once(
        format!("HTTP/1.1 302 Found\r\nLocation: http://{target}/\r\nContent-Length: 0\r\n\r\n")
            .into_bytes(),
        Duration::ZERO,
    )
    .await;
    let response = outbound(&["127.0.0.0/8"])
        .get(&format!("http://{addr}/"), "*/*")
        .await
        .must();
    assert_eq!(response.status, 302);
    assert_no_connection(&elsewhere).await;
}

fn small_limit(max_response_bytes: usize) -> Outbound {
    Outbound::new(OutboundPolicy {
        allow: vec![net("127.0.0.0/8")],
        timeout: Duration::from_secs(5),
        max_response_bytes,
    })
    .must()
}

#[tokio::test]
async fn oversized_content_length_is_refused_before_reading_the_body() {
    // The body never arrives: only the header check can end this before the timeout.
    let (addr, _seen) = respond_once(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n".to_vec(),
        Duration::from_secs(10),
    )
    .await;
    let started = std::time::Instant::now();
    let error = small_limit(1024)
        .get(&format!("http://{addr}/"), "*/*")
        .await;
    assert!(
        matches!(error, Err(OutboundError::TooLarge(1024))),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn oversized_streamed_body_is_refused() {
    let mut response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..4 {
        response.extend_from_slice(b"400\r\n");
        response.extend_from_slice(&[b'a'; 0x400]);
        response.extend_from_slice(b"\r\n");
    }
    response.extend_from_slice(b"0\r\n\r\n");
    let (addr, _seen) = respond_once(response, Duration::ZERO).await;
    let error = small_limit(3000)
        .get(&format!("http://{addr}/"), "*/*")
        .await;
    assert!(
        matches!(error, Err(OutboundError::TooLarge(3000))),
        "{error:?}"
    );
}

#[tokio::test]
async fn body_at_the_limit_is_accepted() {
    let mut response = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
    response.extend_from_slice(&[b'a'; 3000]);
    let (addr, _seen) = respond_once(response, Duration::ZERO).await;
    let ok = small_limit(3000)
        .get(&format!("http://{addr}/"), "*/*")
        .await
        .must();
    assert_eq!(ok.body.len(), 3000);
}

#[tokio::test]
async fn silent_server_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.must();
    let addr = listener.local_addr().must();
    let _holder = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.must();
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(stream);
    });
    let guard = Outbound::new(OutboundPolicy {
        allow: vec![net("127.0.0.0/8")],
        timeout: Duration::from_millis(300),
        max_response_bytes: 1024,
    })
    .must();
    let started = std::time::Instant::now();
    let error = guard
        .post_form(&format!("http://{addr}/logout"), &[("logout_token", "abc")])
        .await;
    assert!(matches!(error, Err(OutboundError::Timeout)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn userinfo_and_foreign_schemes_are_refused() {
    let guard = outbound(&["0.0.0.0/0", "::/0"]);
    let error = guard.get("http://user:pw@example.com/jwks", "*/*").await;
    assert!(
        matches!(error, Err(OutboundError::InvalidUrl(_))),
        "{error:?}"
    );
    let error = guard.get("https://user@example.com/jwks", "*/*").await;
    assert!(
        matches!(error, Err(OutboundError::InvalidUrl(_))),
        "{error:?}"
    );
    let error = guard.get("ftp://example.com/jwks", "*/*").await;
    assert!(
        matches!(&error, Err(OutboundError::NotHttp(s)) if s == "ftp"),
        "{error:?}"
    );
    let error = guard.get("file:///etc/passwd", "*/*").await;
    assert!(matches!(error, Err(OutboundError::NotHttp(_))), "{error:?}");
    let error = guard.get("not a url", "*/*").await;
    assert!(
        matches!(error, Err(OutboundError::InvalidUrl(_))),
        "{error:?}"
    );
}

#[tokio::test]
async fn error_messages_never_carry_query_or_userinfo() {
    // A port nothing listens on: the connection is refused and reqwest reports an error.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").await.must();
        listener.local_addr().must().port()
    };
    let guard = outbound(&["127.0.0.0/8"]);
    let error = guard
        .get(&format!("http://127.0.0.1:{port}/cb?secret=x#frag"), "*/*")
        .await
        .must_fail();
    let message = error.to_string();
    assert!(matches!(error, OutboundError::Http(_)), "{error:?}");
    assert!(
        message.contains(&format!("http://127.0.0.1:{port}/cb")),
        "{message}"
    );
    assert!(
        !message.contains("secret") && !message.contains("frag"),
        "{message}"
    );

    let error = guard
        .get("https://alice:hunter2@example.com/cb?secret=x", "*/*")
        .await
        .must_fail()
        .to_string();
    assert!(error.contains("https://example.com:443/cb"), "{error}");
    for leak in ["secret", "alice", "hunter2"] {
        assert!(!error.contains(leak), "{error}");
    }
    let error = outbound(&[])
        .get("http://10.0.0.1/cb?secret=x", "*/*")
        .await
        .must_fail()
        .to_string();
    assert!(!error.contains("secret"), "{error}");
}

#[test]
fn redaction_keeps_only_scheme_host_port_and_path() {
    let url = Url::parse("https://u:p@[::1]:8443/a/b?secret=x#f").must();
    assert_eq!(redacted(&url), "https://[::1]:8443/a/b");
}
