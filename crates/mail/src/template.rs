//! The notices Valet sends, rendered in one language as plain text and HTML (the two parts of an
//! RFC 2046 §5.1.4 multipart/alternative). The text part puts the link alone on its own line so
//! it can be copied; the HTML part escapes every inserted value.

use std::fmt;

use crate::html;
use crate::locale::Locale;
use crate::locales::Copy;
use crate::message::Mail;

#[derive(Clone, Copy)]
pub enum Template<'a> {
    /// Confirms an email address for the account named `account` (its username, so the owner of
    /// an address someone else typed into their own account sees whose account it would join);
    /// `link` carries a one-time token.
    VerifyEmail {
        name: &'a str,
        account: &'a str,
        link: &'a str,
        valid_minutes: i64,
    },
    /// Lets the user choose a new password; `link` carries a one-time token.
    ResetPassword {
        name: &'a str,
        link: &'a str,
        valid_minutes: i64,
    },
    /// Tells the user the password changed, so a stranger's change does not go unnoticed.
    PasswordChanged { name: &'a str },
    /// Activates a self-registered account; `link` carries a one-time token. Says an account was
    /// created, so the owner of an address someone else signed up with does not activate it.
    ActivateAccount {
        name: &'a str,
        link: &'a str,
        valid_minutes: i64,
    },
    /// Tells the user their second factor was removed by an administrator.
    MfaReset { name: &'a str },
    /// Tells the user they (or someone in their session) turned their second factor off.
    MfaRemoved { name: &'a str },
    /// Tells the user new recovery codes replaced their old ones.
    RecoveryCodesRenewed { name: &'a str },
}

/// The links carry one-time tokens, which are secrets.
impl fmt::Debug for Template<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Template::VerifyEmail { .. } => "VerifyEmail",
            Template::ResetPassword { .. } => "ResetPassword",
            Template::PasswordChanged { .. } => "PasswordChanged",
            Template::ActivateAccount { .. } => "ActivateAccount",
            Template::MfaReset { .. } => "MfaReset",
            Template::MfaRemoved { .. } => "MfaRemoved",
            Template::RecoveryCodesRenewed { .. } => "RecoveryCodesRenewed",
        };
        f.write_str(name)
    }
}

/// Renders `template` for the recipient `to`; `brand` names the service (e.g. `Valet` or the
/// issuer's host) in the subject and text.
pub fn render(template: &Template<'_>, locale: Locale, brand: &str, to: &str) -> Mail {
    let catalog = locale.catalog();
    let brand = &single_line(brand);
    let (name, link, copy) = match *template {
        Template::VerifyEmail {
            name,
            account,
            link,
            valid_minutes,
        } => (
            name,
            Some(link),
            catalog.verify_email(brand, &single_line(account), valid_minutes),
        ),
        Template::ResetPassword {
            name,
            link,
            valid_minutes,
        } => (
            name,
            Some(link),
            catalog.reset_password(brand, valid_minutes),
        ),
        Template::PasswordChanged { name } => (name, None, catalog.password_changed(brand)),
        Template::ActivateAccount {
            name,
            link,
            valid_minutes,
        } => (
            name,
            Some(link),
            catalog.activate_account(brand, valid_minutes),
        ),
        Template::MfaReset { name } => (name, None, catalog.mfa_reset(brand)),
        Template::MfaRemoved { name } => (name, None, catalog.mfa_removed(brand)),
        Template::RecoveryCodesRenewed { name } => {
            (name, None, catalog.recovery_codes_renewed(brand))
        }
    };
    let greeting = catalog.greeting(&single_line(name));
    let signature = catalog.signature(brand);
    let action = copy.action.as_deref().zip(link);

    let mut text = format!("{greeting}\n\n");
    let mut body = html::paragraph(&greeting);
    for paragraph in &copy.before {
        text.push_str(&format!("{paragraph}\n\n"));
        body.push_str(&html::paragraph(paragraph));
    }
    if let Some((label, link)) = action {
        text.push_str(&format!("{label}:\n{link}\n\n"));
        body.push_str(&html::action(label, link, &catalog.link_fallback()));
    }
    for paragraph in &copy.after {
        text.push_str(&format!("{paragraph}\n\n"));
        body.push_str(&html::paragraph(paragraph));
    }
    text.push_str(&format!("{signature}\n"));
    body.push_str(&html::paragraph(&signature));

    let Copy { subject, .. } = copy;
    let html = html::page(locale.as_str(), &subject, &body);
    Mail {
        to: to.to_owned(),
        subject,
        text,
        html,
    }
}

/// Names and brands are one line: a line break in a display name must not forge text lines.
fn single_line(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests;
