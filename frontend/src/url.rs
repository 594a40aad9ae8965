//! URLs the console builds and reads: percent-encoding (RFC 3986 §2.1), query strings and
//! `application/x-www-form-urlencoded` bodies, and where the issuer is, seen from the page.

/// The path of the console below the issuer; also its OAuth redirect URI's path.
pub const CONSOLE_PATH: &str = "/admin/";

/// Percent-encodes everything but RFC 3986 unreserved characters, so the result is safe in a path
/// segment, a query value and a form body alike.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte));
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Decodes a query or form component (`+` is a space); `None` for a broken escape or bad UTF-8.
pub fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `a=1&b=x%20y`, skipping pairs whose value is `None` or empty.
pub fn query<'a>(pairs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> String {
    pairs
        .into_iter()
        .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| (k, v)))
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `path` with `?query` appended when there is one.
pub fn with_query<'a>(
    path: &str,
    pairs: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
) -> String {
    let q = query(pairs);
    if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{q}")
    }
}

/// The decoded pairs of a query string (with or without its leading `?`); broken pairs are dropped.
pub fn parse_query(text: &str) -> Vec<(String, String)> {
    text.trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

/// The first value of `name` in a parsed query.
pub fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Where the issuer and the console are, from the page's origin and path: the console lives at
/// `{issuer}/admin/`, so the issuer is what precedes the first `/admin/` (or a final `/admin`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// `https://id.example/tenant`: no trailing slash.
    pub issuer: String,
    /// The issuer's path (`""` or `/tenant`).
    pub issuer_path: String,
}

impl Site {
    pub fn from_location(origin: &str, pathname: &str) -> Option<Self> {
        let at = pathname.find(CONSOLE_PATH).or_else(|| {
            pathname
                .strip_suffix(CONSOLE_PATH.trim_end_matches('/'))
                .map(str::len)
        })?;
        let issuer_path = pathname[..at].to_owned();
        Some(Self {
            issuer: format!("{origin}{issuer_path}"),
            issuer_path,
        })
    }

    /// `{issuer}/{relative}`, e.g. `token`.
    pub fn endpoint(&self, relative: &str) -> String {
        format!("{}/{relative}", self.issuer)
    }

    /// The console's own URL, which is also its OAuth redirect URI and post-logout URI.
    pub fn console_url(&self) -> String {
        format!("{}{CONSOLE_PATH}", self.issuer)
    }

    /// The router's base: `/tenant/admin` (no trailing slash).
    pub fn router_base(&self) -> String {
        format!("{}{}", self.issuer_path, CONSOLE_PATH.trim_end_matches('/'))
    }

    /// An admin API URL from a path below `/admin/api/v1` (with its query).
    pub fn api(&self, path: &str) -> String {
        format!("{}{}{path}", self.issuer, valet_admin_api::BASE_PATH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(encode("a b/c?d=é&~"), "a%20b%2Fc%3Fd%3D%C3%A9%26~");
        assert_eq!(decode("a%20b+c%2F%C3%A9").as_deref(), Some("a b c/é"));
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("%4"), None);
    }

    #[test]
    fn queries_skip_absent_and_empty_values() {
        assert_eq!(
            with_query(
                "/users",
                [("q", Some("ali ce")), ("cursor", None), ("limit", Some(""))]
            ),
            "/users?q=ali%20ce"
        );
        assert_eq!(with_query("/users", [("q", None)]), "/users");
    }

    #[test]
    fn callback_queries_are_parsed() {
        let pairs = parse_query("?code=abc%2Bd&state=s+1&flag");
        assert_eq!(param(&pairs, "code"), Some("abc+d"));
        assert_eq!(param(&pairs, "state"), Some("s 1"));
        assert_eq!(param(&pairs, "flag"), Some(""));
        assert_eq!(param(&pairs, "error"), None);
    }

    #[test]
    fn the_issuer_is_what_precedes_the_console() {
        let root = Site::from_location("https://id.example", "/admin/clients/x");
        assert_eq!(
            root.as_ref().map(|s| s.issuer.as_str()),
            Some("https://id.example")
        );
        let tenant = Site::from_location("http://localhost:8080", "/acme/admin/");
        let tenant = tenant.unwrap_or_else(|| Site {
            issuer: String::new(),
            issuer_path: String::new(),
        });
        assert_eq!(tenant.issuer, "http://localhost:8080/acme");
        assert_eq!(tenant.console_url(), "http://localhost:8080/acme/admin/");
        assert_eq!(tenant.router_base(), "/acme/admin");
        assert_eq!(tenant.endpoint("token"), "http://localhost:8080/acme/token");
        assert_eq!(
            tenant.api("/users?q=a"),
            "http://localhost:8080/acme/admin/api/v1/users?q=a"
        );
        assert_eq!(
            Site::from_location("https://id.example", "/admin").map(|s| s.issuer),
            Some("https://id.example".to_owned())
        );
        assert_eq!(Site::from_location("https://id.example", "/other/"), None);
    }

    #[test]
    fn a_client_named_admin_does_not_move_the_issuer() {
        let site = Site::from_location("https://id.example", "/admin/clients/admin/edit");
        assert_eq!(site.map(|s| s.issuer_path), Some(String::new()));
    }
}
