//! Token lifetimes: global defaults, overridden per client, and capped so that no signed token outlives
//! the time its signing key stays published.

use chrono::Duration;

use crate::client::Client;

/// The lifetimes in force for one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    pub code: Duration,
    pub access_token: Duration,
    pub id_token: Duration,
    pub refresh_token: Duration,
    pub refresh_token_idle: Option<Duration>,
}

/// Global defaults plus the cap that key retention imposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenPolicy {
    pub defaults: Lifetimes,
    /// How long a retired key stays published: signed tokens may not live longer.
    pub max_signed: Duration,
}

impl Default for Lifetimes {
    /// Code 60 s, access token 10 min, ID token 10 min, refresh token 30 days, no idle limit.
    fn default() -> Self {
        Self {
            code: Duration::seconds(60),
            access_token: Duration::minutes(10),
            id_token: Duration::minutes(10),
            refresh_token: Duration::days(30),
            refresh_token_idle: None,
        }
    }
}

impl TokenPolicy {
    pub fn for_client(&self, client: &Client) -> Lifetimes {
        let l = &client.metadata.lifetimes;
        let pick = |given: Option<i64>, default: Duration| given.map_or(default, Duration::seconds);
        Lifetimes {
            code: pick(l.code_secs, self.defaults.code),
            access_token: pick(l.access_token_secs, self.defaults.access_token)
                .min(self.max_signed),
            id_token: pick(l.id_token_secs, self.defaults.id_token).min(self.max_signed),
            refresh_token: pick(l.refresh_token_secs, self.defaults.refresh_token),
            refresh_token_idle: l
                .refresh_token_idle_secs
                .map(Duration::seconds)
                .or(self.defaults.refresh_token_idle),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::ClientEntry;

    fn client(entry: ClientEntry) -> Client {
        let spec = entry.validate(0).unwrap_or_else(|e| panic!("{e}"));
        let now = chrono::Utc::now();
        Client {
            id: uuid::Uuid::now_v7(),
            client_id: spec.client_id,
            secret_hash: None,
            previous_secret: None,
            sealed_secret: None,
            metadata: spec.metadata,
            created_at: now,
            updated_at: now,
        }
    }

    fn entry() -> ClientEntry {
        ClientEntry {
            client_id: "c".into(),
            client_name: "C".into(),
            token_endpoint_auth_method: Some("none".into()),
            redirect_uris: vec!["https://c.example/cb".into()],
            ..Default::default()
        }
    }

    #[test]
    fn clients_without_overrides_get_the_defaults() {
        let policy = TokenPolicy {
            defaults: Lifetimes::default(),
            max_signed: Duration::days(1),
        };
        assert_eq!(policy.for_client(&client(entry())), Lifetimes::default());
    }

    #[test]
    fn overrides_apply_but_signed_tokens_never_outlive_key_retention() {
        let policy = TokenPolicy {
            defaults: Lifetimes::default(),
            max_signed: Duration::hours(1),
        };
        let c = client(ClientEntry {
            access_token_ttl_secs: Some(300),
            id_token_ttl_secs: Some(86_400),
            refresh_token_ttl_secs: Some(60),
            ..entry()
        });
        let l = policy.for_client(&c);
        assert_eq!(l.access_token, Duration::seconds(300));
        assert_eq!(l.id_token, Duration::hours(1), "capped by key retention");
        assert_eq!(
            l.refresh_token,
            Duration::seconds(60),
            "refresh tokens are opaque, not signed"
        );
    }
}
