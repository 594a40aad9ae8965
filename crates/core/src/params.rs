//! Request parameters as received (query string or form body), before they become domain types.
//!
//! RFC 6749 §3.1 and §3.2: parameters sent without a value are treated as omitted, and a parameter
//! must not be included more than once. Unknown parameters are kept but ignored by the rules.

use std::collections::BTreeMap;

/// The parameters of one request, in order of appearance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the parameter `{0}` is included more than once")]
pub struct RepeatedParam(pub String);

impl Params {
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// Parses `application/x-www-form-urlencoded` text (a query string or a form body).
    pub fn parse_urlencoded(text: &str) -> Self {
        Self(
            url::form_urlencoded::parse(text.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The value of `name`, `None` when absent or empty; an error when it appears more than once with
    /// a value.
    pub fn get(&self, name: &str) -> Result<Option<&str>, RepeatedParam> {
        let mut values = self
            .0
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(RepeatedParam(name.to_owned()));
        }
        Ok(first)
    }

    /// The first parameter (among `names`) that is repeated, if any.
    pub fn first_repeated(&self, names: &[&str]) -> Option<RepeatedParam> {
        names.iter().find_map(|name| self.get(name).err())
    }

    /// All non-empty parameters, last value winning; for carrying a request across an interaction.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.0
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .cloned()
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_absent() {
        let params = Params::parse_urlencoded("state=&scope=openid");
        assert_eq!(params.get("state"), Ok(None));
        assert_eq!(params.get("scope"), Ok(Some("openid")));
        assert_eq!(params.get("nonce"), Ok(None));
    }

    #[test]
    fn repeated_parameters_are_an_error() {
        let params = Params::parse_urlencoded("scope=openid&scope=email&state=x");
        assert_eq!(params.get("scope"), Err(RepeatedParam("scope".into())));
        assert_eq!(
            params.first_repeated(&["state", "scope"]),
            Some(RepeatedParam("scope".into()))
        );
        assert_eq!(params.first_repeated(&["state"]), None);
    }

    #[test]
    fn values_are_percent_decoded_byte_exact() {
        let params = Params::parse_urlencoded(
            "state=a%20b%2Bc~-._&redirect_uri=https%3A%2F%2Fx%2Fcb%3Fq%3D1",
        );
        assert_eq!(params.get("state"), Ok(Some("a b+c~-._")));
        assert_eq!(params.get("redirect_uri"), Ok(Some("https://x/cb?q=1")));
    }
}
