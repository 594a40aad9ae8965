//! The words of every mail, one file per language. Adding a language is adding a file that
//! implements [`Catalog`] and a variant to [`crate::Locale`].
//!
//! Catalogs return plain text; [`crate::template`] escapes it for HTML, so no catalog ever writes
//! markup.

pub(crate) mod en;

/// What one notice says, before layout.
pub(crate) struct Copy {
    pub(crate) subject: String,
    /// Paragraphs before the link.
    pub(crate) before: Vec<String>,
    /// The button text; the link itself comes from the template.
    pub(crate) action: Option<String>,
    /// Paragraphs after the link: validity, and what to do if the user did not ask for it.
    pub(crate) after: Vec<String>,
}

pub(crate) trait Catalog: Sync {
    fn greeting(&self, name: &str) -> String;
    fn signature(&self, brand: &str) -> String;
    /// Shown in HTML under the button, above the bare link.
    fn link_fallback(&self) -> String;
    fn verify_email(&self, brand: &str, account: &str, valid_minutes: i64) -> Copy;
    fn reset_password(&self, brand: &str, valid_minutes: i64) -> Copy;
    fn password_changed(&self, brand: &str) -> Copy;
    fn activate_account(&self, brand: &str, valid_minutes: i64) -> Copy;
    fn mfa_reset(&self, brand: &str) -> Copy;
    fn mfa_removed(&self, brand: &str) -> Copy;
    fn recovery_codes_renewed(&self, brand: &str) -> Copy;
}
