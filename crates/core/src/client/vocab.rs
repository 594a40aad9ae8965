//! Protocol vocabularies of client metadata, as enums (RFC 7591 §2, OIDC Registration §2, RFC 7518 §3.1).

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown value `{value}` (expected one of: {expected})")]
pub struct UnknownValue {
    pub value: String,
    pub expected: String,
}

/// Implements `ALL`, `as_str`, `FromStr` and `Display` for an enum whose variants map one-to-one to
/// protocol strings.
macro_rules! vocabulary_impl {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::client::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| $crate::client::UnknownValue {
                    value: s.to_owned(),
                    expected: Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use vocabulary_impl;

/// Declares an enum whose variants map one-to-one to protocol strings.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        vocabulary_impl!($name { $($variant => $text),+ });
    };
}

vocabulary!(
    /// RFC 7591 §2 `grant_types`.
    GrantType {
        AuthorizationCode => "authorization_code",
        RefreshToken => "refresh_token",
        ClientCredentials => "client_credentials",
        Password => "password",
        DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
    }
);

vocabulary!(
    /// RFC 7591 §2 `response_types`, with OAuth 2.0 Multiple Response Types combinations.
    ResponseType {
        Code => "code",
        IdToken => "id_token",
        IdTokenToken => "id_token token",
        CodeIdToken => "code id_token",
        CodeToken => "code token",
        CodeIdTokenToken => "code id_token token",
        None => "none",
    }
);

vocabulary!(
    /// RFC 7591 §2 `token_endpoint_auth_method`, OIDC Core §9.
    TokenEndpointAuthMethod {
        ClientSecretBasic => "client_secret_basic",
        ClientSecretPost => "client_secret_post",
        ClientSecretJwt => "client_secret_jwt",
        PrivateKeyJwt => "private_key_jwt",
        None => "none",
    }
);

vocabulary!(
    /// OIDC Registration §2 `application_type`.
    ApplicationType {
        Web => "web",
        Native => "native",
    }
);

vocabulary!(
    /// OIDC Core §8 subject identifier types.
    SubjectType {
        Public => "public",
        Pairwise => "pairwise",
    }
);

vocabulary!(
    /// JWS algorithms a client may sign with (RFC 7518 §3.1); `none` is never accepted.
    JwsAlg {
        Hs256 => "HS256",
        Hs384 => "HS384",
        Hs512 => "HS512",
        Rs256 => "RS256",
        Rs384 => "RS384",
        Rs512 => "RS512",
        Ps256 => "PS256",
        Ps384 => "PS384",
        Ps512 => "PS512",
        Es256 => "ES256",
        Es384 => "ES384",
        Es512 => "ES512",
        EdDsa => "EdDSA",
    }
);

impl ResponseType {
    /// Parses a space-separated value in any word order ("id_token code" is "code id_token").
    pub fn parse_words(text: &str) -> Result<Self, UnknownValue> {
        let mut words: Vec<&str> = text.split(' ').collect();
        words.sort_by_key(|w| match *w {
            "code" => 0,
            "id_token" => 1,
            "token" => 2,
            _ => 3,
        });
        words
            .join(" ")
            .parse()
            .map_err(|_: UnknownValue| UnknownValue {
                value: text.to_owned(),
                expected: Self::ALL
                    .iter()
                    .map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vocabulary_round_trips() {
        for g in GrantType::ALL {
            assert_eq!(g.as_str().parse::<GrantType>().as_ref(), Ok(g));
        }
        for m in TokenEndpointAuthMethod::ALL {
            assert_eq!(
                m.as_str().parse::<TokenEndpointAuthMethod>().as_ref(),
                Ok(m)
            );
        }
        for a in JwsAlg::ALL {
            assert_eq!(a.as_str().parse::<JwsAlg>().as_ref(), Ok(a));
        }
    }

    #[test]
    fn unknown_values_name_the_alternatives() {
        let err = "implicit"
            .parse::<GrantType>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("`implicit`") && err.contains("authorization_code"),
            "{err}"
        );
        assert!("none".parse::<JwsAlg>().is_err());
    }

    #[test]
    fn response_type_words_may_come_in_any_order() {
        assert_eq!(
            ResponseType::parse_words("id_token code"),
            Ok(ResponseType::CodeIdToken)
        );
        assert_eq!(
            ResponseType::parse_words("token id_token code"),
            Ok(ResponseType::CodeIdTokenToken)
        );
        assert!(ResponseType::parse_words("code code").is_err());
        assert!(ResponseType::parse_words("").is_err());
    }
}
