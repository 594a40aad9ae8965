//! A minimal browser for the flow tests: keeps cookies, never follows redirects by itself (each hop is
//! asserted), and reads hidden form fields from the server-rendered pages.

use std::collections::BTreeMap;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};

pub struct Browser {
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    /// `Retry-After` in seconds, when given.
    pub retry_after: Option<u64>,
    /// `Content-Security-Policy` (empty without one).
    pub csp: String,
    pub body: String,
}

impl Page {
    /// The value of `<input ... name="NAME" value="VALUE">`.
    pub fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .map(|i| i + marker.len())
            .unwrap_or_else(|| panic!("no field {name} in {}", self.body));
        let end = self.body[start..].find('"').map_or(start, |i| start + i);
        self.body[start..end].to_owned()
    }

    /// The interaction whose form this page shows: its `action` (`{issuer}/interaction/{handle}/{step}`)
    /// without the step.
    pub fn interaction(&self) -> String {
        let marker = "<form method=\"post\" action=\"";
        let start = self
            .body
            .find(marker)
            .map(|i| i + marker.len())
            .unwrap_or_else(|| panic!("no form in {}", self.body));
        let action = &self.body[start..];
        let action = &action[..action.find('"').unwrap_or(action.len())];
        action
            .rsplit_once('/')
            .map_or(action, |(interaction, _step)| interaction)
            .to_owned()
    }

    /// A query parameter of the redirect target.
    pub fn location_param(&self, name: &str) -> Option<String> {
        let url = reqwest::Url::parse(self.location.as_deref()?).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

impl Browser {
    pub fn new() -> Self {
        Self::from_address(None)
    }

    /// A browser whose connections come from `ip` (e.g. 127.0.0.2: another client address).
    pub fn from_address(ip: Option<std::net::IpAddr>) -> Self {
        Self::with(|client| client.local_address(ip))
    }

    /// A browser behind a reverse proxy, which reports it as `client` in `X-Forwarded-For`.
    pub fn behind_proxy(client: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Ok(value) = reqwest::header::HeaderValue::from_str(client) {
            headers.insert("x-forwarded-for", value);
        }
        Self::with(|builder| builder.default_headers(headers))
    }

    fn with(setup: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder) -> Self {
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // Below actix's 5 s keep-alive, so a connection the server is closing is never reused.
            .pool_idle_timeout(std::time::Duration::from_secs(2));
        Self {
            http: setup(builder).build().unwrap_or_else(|e| panic!("{e}")),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&mut self, response: Response) -> Page {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || text.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let csp = response
            .headers()
            .get(reqwest::header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await.unwrap_or_default();
        Page {
            status,
            location,
            retry_after,
            csp,
            body,
        }
    }

    pub async fn get(&mut self, url: &str) -> Page {
        let response = self
            .http
            .get(url)
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        self.read(response).await
    }

    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .http
            .post(url)
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        self.read(response).await
    }

    /// A user's password step: gets `authorize` (the login page), reads its csrf and posts the
    /// form. The interaction's address, and the answer to the POST.
    pub async fn sign_in(
        &mut self,
        authorize: &str,
        username: &str,
        password: &str,
    ) -> (String, Page) {
        let login = self.get(authorize).await;
        assert_eq!(
            login.status,
            StatusCode::OK,
            "the login page: {}",
            login.body
        );
        let interaction = login.interaction();
        let answer = self
            .post(
                &format!("{interaction}/login"),
                &[
                    ("csrf", &login.field("csrf")),
                    ("username", username),
                    ("password", password),
                ],
            )
            .await;
        (interaction, answer)
    }
}
