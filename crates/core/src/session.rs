//! SSO sessions (OIDC Core §3.1.2.3 "authenticate the end-user"): one row per browser login, behind an
//! opaque cookie whose SHA-256 alone is stored. `sid` in ID and logout tokens is the session id.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::password::PasswordHash;
use crate::random::Random;
use crate::secret::opaque_secret;

/// How stale a session's `last_seen_at`, or a grant's `last_used_at`, may get before a use
/// writes it again.
pub const SEEN_EVERY: Duration = Duration::minutes(5);

/// What a sign-in checked, which must still hold when its session is written: the account is
/// enabled and its password hash is still the one the password was verified against (a new
/// password or a disabled account in between voids the sign-in, even one whose password check ran
/// before the change committed), and a sign-in carried on in a stored interaction (past the
/// password, to a second factor or an enrolment) still has it, since such changes end them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInCheck {
    pub password_hash: Option<PasswordHash>,
    pub interaction: Option<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    /// When the user last actively authenticated (OIDC Core §2 `auth_time`).
    pub auth_time: DateTime<Utc>,
    /// Authentication methods (RFC 8176), e.g. `pwd`, `otp`.
    pub amr: Vec<String>,
    pub acr: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

opaque_secret!(
    /// The cookie value that names a session; prints as `***`.
    SessionToken
);

impl SessionToken {
    /// A CSRF token for the forms of `purpose` shown to this browser: derived from the session
    /// cookie's secret, which only the browser holding that HttpOnly cookie knows, so another site
    /// cannot forge a submission.
    pub fn form_token(&self, purpose: &str) -> String {
        crate::secret::Secret::new(format!("{purpose}:{}", self.expose()))
            .sha256()
            .as_str()
            .to_owned()
    }

    /// Compares a submitted form token in constant time.
    pub fn form_token_matches(&self, purpose: &str, submitted: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.form_token(purpose)
            .as_bytes()
            .ct_eq(submitted.as_bytes())
            .into()
    }
}

/// Where a login came from, for the user's session list.
#[derive(Clone, Debug, Default)]
pub struct LoginOrigin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Session {
    /// A session for a user who just authenticated with `amr`, valid for `ttl`.
    pub fn start(
        user_id: Uuid,
        amr: Vec<String>,
        acr: Option<String>,
        from: LoginOrigin,
        now: DateTime<Utc>,
        ttl: Duration,
        random: &dyn Random,
    ) -> (Self, SessionToken) {
        let session = Self {
            id: Uuid::now_v7(),
            user_id,
            auth_time: now,
            amr,
            acr,
            ip: from.ip,
            user_agent: from.user_agent.map(|ua| ua.chars().take(512).collect()),
            created_at: now,
            last_seen_at: now,
            expires_at: now + ttl,
            ended_at: None,
        };
        (session, SessionToken::generate(random))
    }

    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.ended_at.is_none() && now < self.expires_at
    }

    /// Whether a use of the session at `now` should be written as its `last_seen_at`: when that is
    /// older than [`SEEN_EVERY`], so the account page's "last seen" is that fresh while a busy
    /// session does not write on every request.
    pub fn seen_due(&self, now: DateTime<Utc>) -> bool {
        now - self.last_seen_at >= SEEN_EVERY
    }

    /// OIDC Core §3.1.2.1 `max_age`: whether the last authentication is recent enough.
    pub fn authenticated_within(&self, max_age: Duration, now: DateTime<Utc>) -> bool {
        now - self.auth_time <= max_age
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;
    use crate::secret::Secret;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    fn start() -> (Session, SessionToken) {
        Session::start(
            Uuid::now_v7(),
            vec!["pwd".into()],
            None,
            LoginOrigin::default(),
            t0(),
            Duration::days(1),
            &OsRandom,
        )
    }

    #[test]
    fn a_session_is_active_until_it_expires_or_ends() {
        let (mut session, _) = start();
        assert!(session.is_active(t0()));
        assert!(!session.is_active(t0() + Duration::days(1)));
        session.ended_at = Some(t0());
        assert!(!session.is_active(t0()));
    }

    #[test]
    fn a_use_is_written_once_last_seen_is_older_than_seen_every() {
        let (mut session, _) = start();
        assert!(!session.seen_due(t0() + SEEN_EVERY - Duration::seconds(1)));
        assert!(session.seen_due(t0() + SEEN_EVERY));
        session.last_seen_at = t0() + SEEN_EVERY;
        assert!(!session.seen_due(t0() + SEEN_EVERY));
    }

    #[test]
    fn max_age_compares_with_the_authentication_time() {
        let (session, _) = start();
        assert!(session.authenticated_within(Duration::seconds(1), t0() + Duration::seconds(1)));
        assert!(!session.authenticated_within(Duration::seconds(1), t0() + Duration::seconds(2)));
        assert!(session.authenticated_within(Duration::zero(), t0()));
    }

    #[test]
    fn the_cookie_value_is_secret_and_only_its_hash_is_kept() {
        let (_, token) = start();
        assert_eq!(format!("{token:?}"), "SessionToken(***)");
        assert!(token.hash().matches(&Secret::new(token.expose())));
        assert_eq!(token.expose().len(), 43);
    }

    #[test]
    fn form_tokens_are_per_session_and_purpose() {
        let (_, a) = start();
        let (_, b) = start();
        let token = a.form_token("account");
        assert!(a.form_token_matches("account", &token));
        assert!(!a.form_token_matches("logout", &token));
        assert!(!b.form_token_matches("account", &token));
        assert!(!a.form_token_matches("account", ""));
    }
}
