//! A relying party's host for the logout tests: a minimal HTTP/1.1 server on 127.0.0.1 that records
//! every request. A POST to `/backchannel_logout` gets 200 with `Cache-Control: no-store`, as OpenID
//! Back-Channel Logout 1.0 §2.8 has the RP answer; anything else (a front-channel iframe, a
//! post-logout redirect) gets 200 "ok". A test may make the back-channel answer fail (503) or come
//! late. `logout_token` holds what the RP then checks.
//!
//! One request per connection (`Connection: close`), bodies framed by Content-Length or chunked.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::TestResult;

const MAX_REQUEST: usize = 1 << 20;

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// The request target: path and query, as sent.
    pub target: String,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query's parameters, percent-decoded.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let query = self.target.split_once('?').map_or("", |(_, q)| q);
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type of Content-Type, parameters dropped.
    pub fn media_type(&self) -> String {
        self.header("content-type")
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    }
}

/// What the receiver has seen, and how it answers back-channel POSTs: the next `failures` get 503,
/// and every one waits `delay` before its answer.
#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    failures: Mutex<u32>,
    delay: Mutex<Duration>,
}

type Log = Arc<Shared>;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running receiver; it stops when dropped.
pub struct Receiver {
    base: String,
    log: Log,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start() -> TestResult<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let log: Log = Arc::default();
        let shared = Arc::clone(&log);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let log = Arc::clone(&shared);
                tokio::spawn(async move {
                    if let Err(e) = serve(stream, log).await {
                        eprintln!("receiver: a request failed: {e}");
                    }
                });
            }
        });
        Ok(Self { base, log, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.log.requests).clone()
    }

    /// The next `n` back-channel POSTs are answered 503 (an RP that is down).
    pub fn fail_next_backchannel(&self, n: u32) {
        *lock(&self.log.failures) = n;
    }

    /// Every back-channel POST is answered only after `delay` (a slow RP).
    pub fn delay_backchannel(&self, delay: Duration) {
        *lock(&self.log.delay) = delay;
    }

    /// The requests with this method and path, in arrival order.
    pub fn received(&self, method: &str, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.method == method && r.path() == path)
            .collect()
    }

    /// The first request with this method and path, waiting up to `timeout` for it.
    pub async fn wait_for(
        &self,
        method: &str,
        path: &str,
        timeout: Duration,
    ) -> TestResult<Recorded> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(first) = self.received(method, path).into_iter().next() {
                return Ok(first);
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "no {method} {path} within {timeout:?}; received: {:?}",
                    self.requests()
                        .iter()
                        .map(|r| format!("{} {}", r.method, r.target))
                        .collect::<Vec<_>>()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn serve(mut stream: TcpStream, log: Log) -> TestResult {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(at) = find(&buf, b"\r\n\r\n") {
            break at;
        }
        read_more(&mut stream, &mut buf).await?;
    };
    let head = std::str::from_utf8(&buf[..head_end])?.to_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("bad request line {request_line:?}").into());
    };
    if !version.starts_with("HTTP/1.") {
        return Err(format!("not HTTP/1.x: {request_line:?}").into());
    }
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("bad header line {line:?}"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut rest = buf.split_off(head_end + 4);
    let body = if let Some(length) = header("content-length") {
        let length: usize = length.parse()?;
        while rest.len() < length {
            read_more(&mut stream, &mut rest).await?;
        }
        rest.truncate(length);
        rest
    } else if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        loop {
            if let Some(body) = dechunk(&rest)? {
                break body;
            }
            read_more(&mut stream, &mut rest).await?;
        }
    } else {
        Vec::new()
    };
    let backchannel = method == "POST" && target.split('?').next() == Some("/backchannel_logout");
    lock(&log.requests).push(Recorded {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body,
        at: Instant::now(),
    });
    let response: &[u8] = if backchannel {
        let delay = *lock(&log.delay);
        tokio::time::sleep(delay).await;
        let fail = {
            let mut failures = lock(&log.failures);
            let fail = *failures > 0;
            *failures = failures.saturating_sub(1);
            fail
        };
        if fail {
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        } else {
            b"HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        }
    } else {
        b"HTTP/1.1 200 OK\r\nCache-Control: no-store\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    };
    stream.write_all(response).await?;
    stream.shutdown().await?;
    Ok(())
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> TestResult {
    let mut chunk = [0u8; 8192];
    let n = stream.read(&mut chunk).await?;
    if n == 0 {
        return Err("the connection closed mid-request".into());
    }
    buf.extend_from_slice(&chunk[..n]);
    if buf.len() > MAX_REQUEST {
        return Err("request too large".into());
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A chunked body (RFC 9112 §7.1), or `None` while incomplete; trailers are ignored.
fn dechunk(mut data: &[u8]) -> TestResult<Option<Vec<u8>>> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = find(data, b"\r\n") else {
            return Ok(None);
        };
        let size_text = std::str::from_utf8(&data[..line_end])?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(find(data, b"\r\n").map(|_| body));
        }
        if data.len() < size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}
