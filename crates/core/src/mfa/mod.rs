//! Multi-factor authentication (NIST SP 800-63B §5.1.4–5.1.5, §5.1.2): time-based one-time passwords
//! from an authenticator app (RFC 6238 over RFC 4226 HOTP), the secret sealed at rest, the enrolment
//! URI and its QR code, and single-use recovery codes.

pub mod otpauth;
pub mod qr;
pub mod recovery;
pub mod sealing;
pub mod totp;

pub use otpauth::otpauth_uri;
pub use qr::QrError;
pub use recovery::RecoveryCode;
pub use sealing::{open_secret, seal_secret};
pub use totp::{InvalidTotpSecret, TotpError, TotpSecret, code_at, verify};
