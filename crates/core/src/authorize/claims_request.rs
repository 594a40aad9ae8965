//! The `claims` request parameter: OIDC Core §5.5 (requesting individual claims) and §5.5.1 (the
//! `essential`, `value` and `values` members of one claim's request).
//!
//! It is stored and restored as the same JSON it was parsed from, so one parser serves both.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// What the client asked for, per place the claims go (§5.5: `userinfo` and `id_token`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClaimsRequest {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub userinfo: BTreeMap<String, ClaimRequest>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub id_token: BTreeMap<String, ClaimRequest>,
}

/// One claim's request (§5.5.1). `null` in the JSON is the default: requested, voluntary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClaimRequest {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub essential: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClaimsRequestError {
    #[error("claims is not valid JSON")]
    NotJson,
    #[error("claims must be a JSON object (OIDC Core §5.5)")]
    NotAnObject,
    #[error("claims.{0} must be a JSON object of claim names")]
    NotAMemberList(&'static str),
    #[error("each claim in claims.{0} must be null or an object")]
    NotAClaimRequest(&'static str),
    #[error("in claims.{0}, essential must be a boolean and values an array")]
    BadMember(&'static str),
}

impl ClaimsRequest {
    pub fn parse(text: &str) -> Result<Self, ClaimsRequestError> {
        let value: Value = serde_json::from_str(text).map_err(|_| ClaimsRequestError::NotJson)?;
        Self::from_json(value)
    }

    /// Unknown top-level members (for example `verified_claims` of OIDC for Identity Assurance) are
    /// ignored: an OP answers the parts it understands.
    pub fn from_json(value: Value) -> Result<Self, ClaimsRequestError> {
        let Value::Object(mut top) = value else {
            return Err(ClaimsRequestError::NotAnObject);
        };
        Ok(Self {
            userinfo: claims_of(top.remove("userinfo"), "userinfo")?,
            id_token: claims_of(top.remove("id_token"), "id_token")?,
        })
    }

    pub fn userinfo_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.userinfo.keys().map(String::as_str)
    }

    pub fn id_token_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.id_token.keys().map(String::as_str)
    }
}

impl<'de> Deserialize<'de> for ClaimsRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_json(value).map_err(serde::de::Error::custom)
    }
}

fn claims_of(
    member: Option<Value>,
    section: &'static str,
) -> Result<BTreeMap<String, ClaimRequest>, ClaimsRequestError> {
    match member {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(claims)) => claims
            .into_iter()
            .map(|(name, request)| Ok((name, ClaimRequest::from_json(request, section)?)))
            .collect(),
        Some(_) => Err(ClaimsRequestError::NotAMemberList(section)),
    }
}

impl ClaimRequest {
    fn from_json(value: Value, section: &'static str) -> Result<Self, ClaimsRequestError> {
        let mut members: Map<String, Value> = match value {
            Value::Null => return Ok(Self::default()),
            Value::Object(members) => members,
            _ => return Err(ClaimsRequestError::NotAClaimRequest(section)),
        };
        let essential = match members.remove("essential") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(essential)) => essential,
            Some(_) => return Err(ClaimsRequestError::BadMember(section)),
        };
        let values = match members.remove("values") {
            None | Some(Value::Null) => None,
            Some(Value::Array(values)) => Some(values),
            Some(_) => return Err(ClaimsRequestError::BadMember(section)),
        };
        let value = members.remove("value").filter(|v| !v.is_null());
        Ok(Self {
            essential,
            value,
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(text: &str) -> ClaimsRequest {
        ClaimsRequest::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_the_oidc_core_5_5_example() {
        let request = parse(
            r#"{"userinfo":{"given_name":{"essential":true},"nickname":null,
                "email":{"essential":true},"email_verified":{"essential":true},"picture":null,
                "http://example.info/claims/groups":null},
               "id_token":{"auth_time":{"essential":true},
                "acr":{"values":["urn:mace:incommon:iap:silver"]},
                "sub":{"value":"248289761001"}}}"#,
        );
        assert_eq!(
            request.userinfo_names().collect::<Vec<_>>(),
            [
                "email",
                "email_verified",
                "given_name",
                "http://example.info/claims/groups",
                "nickname",
                "picture"
            ]
        );
        assert_eq!(
            request.id_token_names().collect::<Vec<_>>(),
            ["acr", "auth_time", "sub"]
        );
        assert!(request.userinfo["given_name"].essential);
        assert_eq!(request.userinfo["nickname"], ClaimRequest::default());
        assert_eq!(
            request.id_token["acr"].values,
            Some(vec![json!("urn:mace:incommon:iap:silver")])
        );
        assert_eq!(request.id_token["sub"].value, Some(json!("248289761001")));
    }

    #[test]
    fn null_members_mean_the_default() {
        let request = parse(
            r#"{"userinfo":{"name":{"essential":null,"value":null,"values":null}},"id_token":null}"#,
        );
        assert_eq!(request.userinfo["name"], ClaimRequest::default());
        assert!(request.id_token.is_empty());
    }

    #[test]
    fn unknown_members_are_ignored() {
        let request = parse(
            r#"{"verified_claims":{"x":1},"userinfo":{"name":{"purpose":"why","essential":true}}}"#,
        );
        assert!(request.userinfo["name"].essential);
        assert!(request.id_token.is_empty());
    }

    #[test]
    fn malformed_claims_are_refused() {
        let err = |text: &str| ClaimsRequest::parse(text).err();
        assert_eq!(err("{"), Some(ClaimsRequestError::NotJson));
        assert_eq!(err("[]"), Some(ClaimsRequestError::NotAnObject));
        assert_eq!(err(r#""name""#), Some(ClaimsRequestError::NotAnObject));
        assert_eq!(
            err(r#"{"userinfo":["name"]}"#),
            Some(ClaimsRequestError::NotAMemberList("userinfo"))
        );
        assert_eq!(
            err(r#"{"id_token":{"name":true}}"#),
            Some(ClaimsRequestError::NotAClaimRequest("id_token"))
        );
        assert_eq!(
            err(r#"{"userinfo":{"name":{"essential":"yes"}}}"#),
            Some(ClaimsRequestError::BadMember("userinfo"))
        );
        assert_eq!(
            err(r#"{"userinfo":{"acr":{"values":"a"}}}"#),
            Some(ClaimsRequestError::BadMember("userinfo"))
        );
    }

    #[test]
    fn stored_json_round_trips() {
        let request = parse(
            r#"{"userinfo":{"name":{"essential":true},"nickname":null},
               "id_token":{"acr":{"values":["a","b"]},"sub":{"value":"42"}}}"#,
        );
        let stored = serde_json::to_string(&request).unwrap_or_else(|e| panic!("{e}"));
        let restored: ClaimsRequest =
            serde_json::from_str(&stored).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(restored, request);
        assert_eq!(ClaimsRequest::parse(&stored), Ok(request));
    }

    #[test]
    fn restoring_goes_through_the_same_rules() {
        assert!(serde_json::from_str::<ClaimsRequest>(r#"{"userinfo":[1]}"#).is_err());
        assert!(serde_json::from_str::<ClaimsRequest>("[]").is_err());
    }
}
