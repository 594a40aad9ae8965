//! English wording of every mail.

use super::{Catalog, Copy};

pub(crate) struct English;

impl Catalog for English {
    fn greeting(&self, name: &str) -> String {
        if name.is_empty() {
            "Hello,".to_owned()
        } else {
            format!("Hello {name},")
        }
    }

    fn signature(&self, brand: &str) -> String {
        format!("— {brand}")
    }

    fn link_fallback(&self) -> String {
        "If the button does not work, copy this link into your browser:".to_owned()
    }

    fn verify_email(&self, brand: &str, account: &str, valid_minutes: i64) -> Copy {
        Copy {
            subject: format!("Confirm your email address for {brand}"),
            before: vec![format!(
                "Please confirm that this address is yours, to use it for the {brand} account \
                 \u{201c}{account}\u{201d}. Applications you sign in to through that account will \
                 see the address as verified."
            )],
            action: Some("Confirm email address".to_owned()),
            after: vec![
                format!("This link is valid for {}.", duration(valid_minutes)),
                format!(
                    "If you did not ask to use this address for a {brand} account, you can ignore \
                     this message: nothing will change."
                ),
            ],
        }
    }

    fn reset_password(&self, brand: &str, valid_minutes: i64) -> Copy {
        Copy {
            subject: format!("Reset your {brand} password"),
            before: vec![format!(
                "We received a request to reset the password of your {brand} account. Open the link \
                 below to choose a new one."
            )],
            action: Some("Choose a new password".to_owned()),
            after: vec![
                format!("This link is valid for {}.", duration(valid_minutes)),
                "If you did not ask for this, you can ignore this message: your password stays as \
                 it is. If such messages keep coming, tell your administrator."
                    .to_owned(),
            ],
        }
    }

    fn password_changed(&self, brand: &str) -> Copy {
        Copy {
            subject: format!("Your {brand} password was changed"),
            before: vec![
                format!("The password of your {brand} account was just changed."),
                "If you made this change, there is nothing else to do.".to_owned(),
            ],
            action: None,
            after: vec![
                "If you did not change it, someone else may have access to your account: reset your \
                 password right away and tell your administrator."
                    .to_owned(),
            ],
        }
    }

    fn activate_account(&self, brand: &str, valid_minutes: i64) -> Copy {
        Copy {
            subject: format!("Activate your new {brand} account"),
            before: vec![format!(
                "A {brand} account was just created with this email address. It stays off until \
                 this address's owner opens the link below and chooses its password."
            )],
            action: Some("Choose a password and activate".to_owned()),
            after: vec![
                format!("The link is valid for {}.", duration(valid_minutes)),
                "If you did not create this account, ignore this mail: the account will never \
                 work."
                    .to_owned(),
            ],
        }
    }

    fn mfa_removed(&self, brand: &str) -> Copy {
        Copy {
            subject: format!("Two-step verification was turned off for your {brand} account"),
            before: vec![
                format!(
                    "Two-step verification (such as your authenticator app) was just turned off \
                     on the account page of your {brand} account. Signing in now needs only your \
                     password."
                ),
                "If you did this, there is nothing else to do.".to_owned(),
            ],
            action: None,
            after: vec![
                "If you did not, someone else may have access to your account: change your \
                 password, turn two-step verification back on and tell your administrator."
                    .to_owned(),
            ],
        }
    }

    fn recovery_codes_renewed(&self, brand: &str) -> Copy {
        Copy {
            subject: format!("New recovery codes for your {brand} account"),
            before: vec![
                format!(
                    "New recovery codes were just created on the account page of your {brand} \
                     account. Your earlier codes no longer work."
                ),
                "If you did this, there is nothing else to do.".to_owned(),
            ],
            action: None,
            after: vec![
                "If you did not, someone else may have access to your account: change your \
                 password, create new recovery codes and tell your administrator."
                    .to_owned(),
            ],
        }
    }

    fn mfa_reset(&self, brand: &str) -> Copy {
        Copy {
            subject: format!("Two-step verification was reset for your {brand} account"),
            before: vec![
                format!(
                    "Two-step verification (such as your authenticator app) was removed from your \
                     {brand} account. You will be asked to set it up again the next time you sign in."
                ),
                "If you asked for this, there is nothing else to do.".to_owned(),
            ],
            action: None,
            after: vec![
                "If you did not ask for it, tell your administrator right away: someone may be \
                 trying to take over your account."
                    .to_owned(),
            ],
        }
    }
}

fn duration(minutes: i64) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    match minutes {
        ..=0 => "a short time".to_owned(),
        m if m % 1440 == 0 => plural(m / 1440, "day"),
        m if m % 60 == 0 => plural(m / 60, "hour"),
        m => plural(m, "minute"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_the_largest_whole_unit() {
        assert_eq!(duration(1), "1 minute");
        assert_eq!(duration(90), "90 minutes");
        assert_eq!(duration(60), "1 hour");
        assert_eq!(duration(120), "2 hours");
        assert_eq!(duration(2880), "2 days");
        assert_eq!(duration(0), "a short time");
    }

    #[test]
    fn the_greeting_does_without_a_name() {
        assert_eq!(English.greeting(""), "Hello,");
        assert_eq!(English.greeting("Ada"), "Hello Ada,");
    }
}
