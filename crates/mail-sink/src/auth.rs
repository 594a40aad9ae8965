//! SMTP AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN mechanisms.

use std::io;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncBufRead, AsyncWrite};

use crate::io::{Io, Line};

/// RFC 4954 §4 lets an AUTH exchange line be this long.
const AUTH_LINE_LIMIT: usize = 12288;

/// A SASL mechanism the sink can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMechanism {
    Plain,
    Login,
}

impl AuthMechanism {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMechanism::Plain => "PLAIN",
            AuthMechanism::Login => "LOGIN",
        }
    }
}

/// The only user and password the sink accepts.
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) user: String,
    pub(crate) pass: String,
}

pub(crate) enum Outcome {
    Accepted,
    Rejected,
    Cancelled,
    Malformed,
}

/// Runs the challenge/response exchange for one AUTH command.
pub(crate) async fn authenticate<R, W>(
    io: &mut Io<R, W>,
    expected: &Credentials,
    mechanism: AuthMechanism,
    initial: Option<String>,
) -> io::Result<Outcome>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let given = match mechanism {
        AuthMechanism::Plain => {
            let response = match initial {
                Some(response) => response,
                None => match challenge(io, "").await? {
                    Some(response) => response,
                    None => return Ok(Outcome::Cancelled),
                },
            };
            decode_plain(&response)
        }
        AuthMechanism::Login => {
            let user = match initial {
                Some(user) => user,
                // "Username:" and "Password:" in base64, as every LOGIN server sends them.
                None => match challenge(io, "VXNlcm5hbWU6").await? {
                    Some(user) => user,
                    None => return Ok(Outcome::Cancelled),
                },
            };
            let Some(pass) = challenge(io, "UGFzc3dvcmQ6").await? else {
                return Ok(Outcome::Cancelled);
            };
            decode_text(&user).zip(decode_text(&pass))
        }
    };
    Ok(match given {
        None => Outcome::Malformed,
        Some((user, pass)) if user == expected.user && pass == expected.pass => Outcome::Accepted,
        Some(_) => Outcome::Rejected,
    })
}

/// Sends a 334 challenge; `None` when the client cancels with `*` or goes away.
async fn challenge<R, W>(io: &mut Io<R, W>, text: &str) -> io::Result<Option<String>>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    io.reply(334, text).await?;
    Ok(match io.read_line(AUTH_LINE_LIMIT).await? {
        Line::Text(line) if line.trim() != "*" => Some(line.trim().to_owned()),
        _ => None,
    })
}

/// PLAIN is `authzid NUL authcid NUL passwd`; the authorization identity is ignored.
pub(crate) fn decode_plain(response: &str) -> Option<(String, String)> {
    let text = decode_text(response)?;
    let mut fields = text.split('\0');
    let (_authzid, user, pass) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() {
        return None;
    }
    Some((user.to_owned(), pass.to_owned()))
}

fn decode_text(b64: &str) -> Option<String> {
    String::from_utf8(STANDARD.decode(b64).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_yields_the_authentication_identity_and_password() {
        let response = STANDARD.encode("admin\0alice\0s3cret");
        assert_eq!(
            decode_plain(&response),
            Some(("alice".into(), "s3cret".into()))
        );
    }

    #[test]
    fn plain_without_two_separators_or_base64_is_malformed() {
        assert_eq!(decode_plain(&STANDARD.encode("alice:s3cret")), None);
        assert_eq!(decode_plain("not base64!"), None);
    }
}
