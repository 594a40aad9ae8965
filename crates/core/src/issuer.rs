//! The issuer identifier (OIDC Discovery §3, RFC 8414 §2) and the endpoint URLs derived from it.

use std::fmt;

use url::{Host, Url};

/// An issuer URL: https (or http on a loopback host, for development), a host, no query, fragment or
/// user-info. A trailing slash is dropped so `{issuer}/.well-known/openid-configuration` has one slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issuer {
    url: String,
    path: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IssuerError {
    #[error("the issuer `{0}` is not an absolute URL")]
    NotAUrl(String),
    #[error(
        "the issuer must use https (http is only allowed for localhost and loopback addresses)"
    )]
    NotHttps,
    #[error("the issuer must not have a query, a fragment or user-info")]
    ExtraParts,
}

impl Issuer {
    pub fn parse(text: &str) -> Result<Self, IssuerError> {
        let url = Url::parse(text).map_err(|_| IssuerError::NotAUrl(text.to_owned()))?;
        let host = url
            .host()
            .ok_or_else(|| IssuerError::NotAUrl(text.to_owned()))?;
        let loopback = match host {
            Host::Domain(name) => name == "localhost" || name.ends_with(".localhost"),
            Host::Ipv4(ip) => ip.is_loopback(),
            Host::Ipv6(ip) => ip.is_loopback(),
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(IssuerError::NotHttps),
        }
        if url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(IssuerError::ExtraParts);
        }
        let path = url.path().trim_end_matches('/').to_owned();
        let origin = url.origin().ascii_serialization();
        Ok(Self {
            url: format!("{origin}{path}"),
            path,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The issuer's path (`""` or `/tenant`): every route is mounted under it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The absolute URL of an endpoint at `relative` (no leading slash) below the issuer.
    pub fn endpoint(&self, relative: &str) -> String {
        format!("{}/{relative}", self.url)
    }

    /// The host (and port, when not the scheme's default): how mail and authenticator apps name this
    /// provider.
    pub fn host(&self) -> String {
        let origin = self
            .url
            .strip_suffix(self.path.as_str())
            .unwrap_or(&self.url);
        origin
            .split_once("://")
            .map_or(origin, |(_, host)| host)
            .to_owned()
    }

    pub fn is_https(&self) -> bool {
        self.url.starts_with("https://")
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_issuers_with_and_without_path() {
        let root = Issuer::parse("https://id.example.com/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(root.as_str(), "https://id.example.com");
        assert_eq!(root.path(), "");
        assert_eq!(root.endpoint("jwks"), "https://id.example.com/jwks");
        let tenant =
            Issuer::parse("https://id.example.com/tenants/acme").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(tenant.path(), "/tenants/acme");
        assert_eq!(tenant.host(), "id.example.com");
        let local = Issuer::parse("http://127.0.0.1:9000/x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(local.host(), "127.0.0.1:9000");
        assert_eq!(
            tenant.endpoint(".well-known/openid-configuration"),
            "https://id.example.com/tenants/acme/.well-known/openid-configuration"
        );
    }

    #[test]
    fn http_only_on_loopback() {
        assert!(Issuer::parse("http://localhost:8080").is_ok());
        assert!(Issuer::parse("http://127.0.0.1:9000").is_ok());
        assert!(Issuer::parse("http://[::1]:9000").is_ok());
        assert_eq!(
            Issuer::parse("http://id.example.com"),
            Err(IssuerError::NotHttps)
        );
        assert_eq!(Issuer::parse("ftp://localhost"), Err(IssuerError::NotHttps));
    }

    #[test]
    fn query_fragment_and_userinfo_are_refused() {
        for bad in [
            "https://x.example?a=1",
            "https://x.example#f",
            "https://u:p@x.example",
        ] {
            assert_eq!(Issuer::parse(bad), Err(IssuerError::ExtraParts), "{bad}");
        }
        assert!(matches!(
            Issuer::parse("/relative"),
            Err(IssuerError::NotAUrl(_))
        ));
    }
}
