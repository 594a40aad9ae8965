//! The account pages: the overview with every section, the authenticator enrolment, the recovery
//! codes shown once, and the signed-out pages of mailed links.

mod overview;
mod sections;
mod standalone;

pub use overview::{AccountView, overview};
pub use standalone::{
    EnrolView, activate_form, enrol, forgot, forgot_sent, recovery_codes, register, registered,
    reset_form, verify_form,
};

use super::escape;

/// `<form method=post action=…>` with the CSRF field, the given inner HTML and a submit button.
fn form(action: &str, csrf: &str, inner: &str, button: &str, class: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\"{}>\n<input type=\"hidden\" name=\"csrf\" value=\"{}\">\n\
         {inner}<button type=\"submit\">{}</button>\n</form>\n",
        escape(action),
        if class.is_empty() {
            String::new()
        } else {
            format!(" class=\"{class}\"")
        },
        escape(csrf),
        escape(button),
    )
}

/// A labelled input named `id`, unless `extra` names it (several forms on a page post a field of
/// one name); `value` is escaped here.
fn field(id: &str, label: &str, kind: &str, value: &str, extra: &str) -> String {
    let name = if extra.contains(" name=") {
        String::new()
    } else {
        format!(" name=\"{id}\"")
    };
    format!(
        "<label for=\"{id}\">{}</label>\n<input id=\"{id}\"{name} type=\"{kind}\" \
         value=\"{}\" maxlength=\"{}\"{extra}>\n",
        escape(label),
        escape(value),
        crate::account::MAX_FIELD,
    )
}
