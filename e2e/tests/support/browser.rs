//! A minimal browser for the flow tests, like the suite's HtmlUnit but without JavaScript: one cookie jar
//! (fresh per test, as the suite's is per module), redirects never followed by themselves (each hop is
//! looked at), and just enough HTML reading for Valet's server-rendered forms.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};

use super::TestResult;

pub struct Browser {
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

/// One HTTP response as the browser saw it.
#[derive(Debug)]
pub struct Page {
    pub url: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub location: Option<String>,
    pub body: String,
}

/// A `<form>` of a page: its attributes and its `<input>` elements, values unescaped.
#[derive(Debug)]
pub struct Form {
    pub method: String,
    pub action: String,
    pub attributes: BTreeMap<String, String>,
    pub inputs: Vec<BTreeMap<String, String>>,
    pub buttons: Vec<BTreeMap<String, String>>,
}

impl Form {
    /// `name=value` of every input that has a name, in document order.
    pub fn fields(&self) -> Vec<(String, String)> {
        self.inputs
            .iter()
            .filter_map(|input| {
                let name = input.get("name")?;
                Some((
                    name.clone(),
                    input.get("value").cloned().unwrap_or_default(),
                ))
            })
            .collect()
    }

    pub fn field(&self, name: &str) -> Option<String> {
        self.fields()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

impl Page {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every `<form>` of the body, in document order.
    pub fn forms(&self) -> Vec<Form> {
        let mut forms = Vec::new();
        let mut rest = self.body.as_str();
        while let Some(start) = rest.find("<form") {
            let after = &rest[start..];
            let end = after.find("</form>").unwrap_or(after.len());
            let markup = &after[..end];
            let attributes = tags(markup, "form").into_iter().next().unwrap_or_default();
            forms.push(Form {
                method: attributes
                    .get("method")
                    .map_or_else(|| "get".to_owned(), |m| m.to_ascii_lowercase()),
                action: attributes.get("action").cloned().unwrap_or_default(),
                inputs: tags(markup, "input"),
                buttons: tags(markup, "button"),
                attributes,
            });
            rest = &after[end..];
        }
        forms
    }

    /// The attributes of every `<NAME …>` element of the body, in document order.
    pub fn elements(&self, name: &str) -> Vec<BTreeMap<String, String>> {
        tags(&self.body, name)
    }

    /// The attributes of the element whose `id` is `id`, if any.
    pub fn element_by_id(&self, name: &str, id: &str) -> Option<BTreeMap<String, String>> {
        self.elements(name)
            .into_iter()
            .find(|e| e.get("id").map(String::as_str) == Some(id))
    }

    /// The text of `<title>`, unescaped.
    pub fn title(&self) -> Option<String> {
        let start = self.body.find("<title")?;
        let after = &self.body[start..];
        let open_end = after.find('>')? + 1;
        let close = after.find("</title>")?;
        Some(unescape(after.get(open_end..close)?.trim()))
    }

    /// The page's only form (login, consent, form_post).
    pub fn form(&self) -> TestResult<Form> {
        let mut forms = self.forms();
        match forms.len() {
            1 => Ok(forms.remove(0)),
            n => Err(format!(
                "expected one form on {}, found {n}:\n{}",
                self.url, self.body
            )
            .into()),
        }
    }
}

/// The attributes of every `<NAME ...>` tag in `html` (double-quoted values, as Valet writes them;
/// bare attributes get an empty value).
fn tags(html: &str, name: &str) -> Vec<BTreeMap<String, String>> {
    let open = format!("<{name}");
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        if !after.starts_with(|c: char| c.is_whitespace() || c == '>') {
            rest = after;
            continue;
        }
        let end = after.find('>').unwrap_or(after.len());
        found.push(attributes(&after[..end]));
        rest = &after[end..];
    }
    found
}

fn attributes(mut text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    loop {
        text = text.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if text.is_empty() {
            return map;
        }
        let name_end = text
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(text.len());
        let name = text[..name_end].to_ascii_lowercase();
        text = &text[name_end..];
        if let Some(value) = text.strip_prefix("=\"") {
            let end = value.find('"').unwrap_or(value.len());
            map.insert(name, unescape(&value[..end]));
            text = value.get(end + 1..).unwrap_or_default();
        } else {
            map.insert(name, String::new());
        }
    }
}

/// The character references an HTML serializer (Valet's `escape`) produces.
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("reqwest client: {e}"));
        Self {
            http,
            cookies: BTreeMap::new(),
        }
    }

    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.contains_key(name)
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&mut self, url: &str, response: reqwest::Response) -> TestResult<Page> {
        for value in response.headers().get_all(SET_COOKIE) {
            let text = value.to_str()?;
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let expired = text.to_ascii_lowercase().contains("max-age=0");
                if value.is_empty() || expired {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers
            .get(LOCATION)
            .map(|v| v.to_str().map(str::to_owned))
            .transpose()?;
        let body = response.text().await?;
        Ok(Page {
            url: url.to_owned(),
            status,
            headers,
            location,
            body,
        })
    }

    pub async fn get(&mut self, url: &str) -> TestResult<Page> {
        let response = self
            .http
            .get(url)
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .map_err(|e| format!("GET {url}: {e}"))?;
        self.read(url, response).await
    }

    /// An `application/x-www-form-urlencoded` POST.
    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> TestResult<Page> {
        let response = self
            .http
            .post(url)
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .map_err(|e| format!("POST {url}: {e}"))?;
        self.read(url, response).await
    }
}
