//! The account pages that stand alone: authenticator enrolment, the recovery codes (shown once),
//! and the pages of mailed links (forgot password, reset, verify email).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;

use super::{field, form};
use crate::pages::{escape, html};

pub struct EnrolView<'a> {
    pub action: &'a str,
    pub csrf: &'a str,
    /// The QR code of the `otpauth://` URI, as an SVG document.
    pub qr_svg: &'a str,
    /// The secret in base32, for typing it in instead.
    pub secret: &'a str,
    pub error: Option<&'a str>,
}

/// Step one of two-step verification: scan (or type) the secret, then prove it with a code.
pub fn enrol(view: &EnrolView) -> HttpResponse {
    use base64::Engine;
    let qr = base64::engine::general_purpose::STANDARD.encode(view.qr_svg);
    let alert = view.error.map_or_else(String::new, |e| {
        format!("<p class=\"alert\" role=\"alert\">{}</p>\n", escape(e))
    });
    let code = field(
        "code",
        "Code from the app",
        "text",
        "",
        " inputmode=\"numeric\" autocomplete=\"one-time-code\" required autofocus",
    );
    let body = format!(
        "<p>Scan this QR code with your authenticator app (Google Authenticator, Authy, 1Password, …).</p>\n\
         <img class=\"qr\" src=\"data:image/svg+xml;base64,{qr}\" alt=\"QR code for your authenticator app\" width=\"220\" height=\"220\">\n\
         <p>Or enter this key by hand: <code id=\"totp-secret\">{secret}</code></p>\n{alert}{form}",
        secret = escape(view.secret),
        form = form(
            view.action,
            view.csrf,
            &code,
            "Turn on two-step verification",
            ""
        ),
    );
    let status = if view.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    html(status, "Set up two-step verification", &body)
}

/// The recovery codes, shown this once.
pub fn recovery_codes(codes: &[String], account: &str) -> HttpResponse {
    let items: String = codes
        .iter()
        .map(|c| format!("<li><code>{}</code></li>", escape(c)))
        .collect();
    let body = format!(
        "<p>Keep these recovery codes somewhere safe. Each one signs you in once if you lose your \
         authenticator app. They are shown only now.</p>\n<ul id=\"recovery-codes\">{items}</ul>\n\
         <p><a href=\"{}\">Back to your account</a></p>",
        escape(account)
    );
    html(StatusCode::OK, "Your recovery codes", &body)
}

/// "Forgot your password?": asks for the username or email. No CSRF token: a forged submission
/// can do nothing the forger could not do by submitting it themselves (it only mails the owner).
pub fn forgot(action: &str, error: Option<&str>) -> HttpResponse {
    let alert = error.map_or_else(String::new, |e| {
        format!("<p class=\"alert\" role=\"alert\">{}</p>\n", escape(e))
    });
    let inner = field(
        "identifier",
        "Username or email",
        "text",
        "",
        " autocomplete=\"username\" required autofocus",
    );
    let body = format!(
        "<p>Enter your username or email address. If it belongs to an account with an email \
         address, we will send a link to choose a new password.</p>\n{alert}<form method=\"post\" \
         action=\"{}\">\n{inner}<button type=\"submit\">Send the link</button>\n</form>",
        escape(action)
    );
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    html(status, "Reset your password", &body)
}

/// The same answer whether or not the account exists.
pub fn forgot_sent() -> HttpResponse {
    html(
        StatusCode::OK,
        "Check your email",
        "<p id=\"forgot-sent\">If the account exists and has an email address, a link to choose a \
         new password is on its way. It is valid for 30 minutes.</p>",
    )
}

/// What a new-password form says around its field.
struct NewPasswordCopy<'a> {
    title: &'a str,
    /// HTML, escaped by the caller.
    intro: &'a str,
    button: &'a str,
    note: &'a str,
}

/// A form that sets a password behind a mailed link. The link's token is the form's CSRF
/// protection: only the mailbox's owner has it.
fn new_password_form(
    action: &str,
    min_length: usize,
    error: Option<&str>,
    copy: &NewPasswordCopy,
) -> HttpResponse {
    let alert = error.map_or_else(String::new, |e| {
        format!("<p class=\"alert\" role=\"alert\">{}</p>\n", escape(e))
    });
    let inner = field(
        "new_password",
        &format!("New password (at least {min_length} characters)"),
        "password",
        "",
        " autocomplete=\"new-password\" required autofocus",
    );
    let body = format!(
        "{intro}{alert}<form method=\"post\" action=\"{}\">\n{inner}<button type=\"submit\">{button}\
         </button>\n</form>\n<p class=\"muted\">{note}</p>",
        escape(action),
        intro = copy.intro,
        button = escape(copy.button),
        note = escape(copy.note),
    );
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    html(status, copy.title, &body)
}

/// The new-password form behind a reset link.
pub fn reset_form(action: &str, min_length: usize, error: Option<&str>) -> HttpResponse {
    let copy = NewPasswordCopy {
        title: "Choose a new password",
        intro: "",
        button: "Set the new password",
        note: "Every session of your account will be signed out.",
    };
    new_password_form(action, min_length, error, &copy)
}

/// The form behind an activation link: the mailbox's owner chooses the account's password, so
/// whoever signed the address up never knows it.
pub fn activate_form(
    action: &str,
    email: &str,
    min_length: usize,
    error: Option<&str>,
) -> HttpResponse {
    let intro = format!(
        "<p>Choose the password of the account <strong>{}</strong>. You sign in with this email \
         address and the password.</p>\n",
        escape(email)
    );
    let copy = NewPasswordCopy {
        title: "Activate your account",
        intro: &intro,
        button: "Activate the account",
        note: "Your email address will be verified at the same time.",
    };
    new_password_form(action, min_length, error, &copy)
}

/// The confirmation behind a verification link (a POST, so mail scanners that open links do not
/// use it up). It names the account the address would join: whoever typed the address in chose it.
pub fn verify_form(action: &str, email: &str, account: &str) -> HttpResponse {
    let body = format!(
        "<p>Confirm that <strong>{}</strong> is your email address, for your account \
         <strong id=\"verify-account\">{}</strong>.</p>\n<form method=\"post\" action=\"{}\">\n\
         <button type=\"submit\">Verify my email address</button>\n</form>\n<p class=\"muted\">If \
         that account is not yours, do not confirm: close this page.</p>",
        escape(email),
        escape(account),
        escape(action)
    );
    html(StatusCode::OK, "Verify your email address", &body)
}

/// The sign-up form: only the address. Its password is chosen behind the mailed link, by the
/// mailbox's owner.
pub fn register(action: &str, previous: Option<&str>, error: Option<&str>) -> HttpResponse {
    let alert = error.map_or_else(String::new, |e| {
        format!("<p class=\"alert\" role=\"alert\">{}</p>\n", escape(e))
    });
    let inner = field(
        "email",
        "Email (you sign in with it)",
        "email",
        previous.unwrap_or(""),
        " autocomplete=\"email\" required autofocus",
    );
    // No CSRF token: a forged sign-up creates nothing its forger could not create directly, and
    // the account stays off until the mailbox's owner activates it.
    let body = format!(
        "{alert}<form method=\"post\" action=\"{}\">\n{inner}<button type=\"submit\">Create the \
         account</button>\n</form>\n<p class=\"muted\">We will mail you a link to choose your \
         password.</p>",
        escape(action)
    );
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    html(status, "Create an account", &body)
}

/// The same answer whether or not the address was new.
pub fn registered(email: &str) -> HttpResponse {
    html(
        StatusCode::OK,
        "Check your email",
        &format!(
            "<p id=\"registered\">We sent a link to <strong>{}</strong>. Open it within 24 hours to \
             choose your password and activate your account.</p>",
            escape(email)
        ),
    )
}
