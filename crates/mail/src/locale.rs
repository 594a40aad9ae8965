//! The languages Valet writes mail in, chosen from a BCP 47 tag (RFC 5646) or an
//! `Accept-Language` list (RFC 9110 §12.5.4), falling back to English.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::locales::{self, Catalog};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    En,
}

impl Locale {
    pub const ALL: &'static [Locale] = &[Locale::En];

    /// The primary language subtag (`en`).
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
        }
    }

    /// The best supported language for `tag`: a single tag (`en-GB`) or a weighted list
    /// (`fr-CH, fr;q=0.9, en;q=0.8`). Anything unsupported, malformed or absent gives English.
    pub fn negotiate(tag: Option<&str>) -> Locale {
        let mut ranges: Vec<(f32, Locale)> = tag
            .unwrap_or_default()
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';');
                let locale = parts.next()?.trim().parse().ok()?;
                let weight = parts
                    .find_map(|p| p.trim().strip_prefix("q=").map(|q| q.trim().parse::<f32>()))
                    .unwrap_or(Ok(1.0))
                    .ok()?;
                (weight > 0.0).then_some((weight, locale))
            })
            .collect();
        // Stable, so equal weights keep the order the client gave.
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges
            .first()
            .map_or_else(Locale::default, |(_, locale)| *locale)
    }

    pub(crate) fn catalog(self) -> &'static dyn Catalog {
        match self {
            Locale::En => &locales::en::English,
        }
    }
}

/// Matches on the primary language subtag only: `en`, `EN`, `en-GB`, `en_US` are English.
impl FromStr for Locale {
    type Err = UnsupportedLocale;

    fn from_str(tag: &str) -> Result<Self, Self::Err> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default();
        Locale::ALL
            .iter()
            .copied()
            .find(|locale| locale.as_str().eq_ignore_ascii_case(primary))
            .ok_or(UnsupportedLocale)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no mail templates for this language")]
pub struct UnsupportedLocale;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_tags_in_any_form_are_english() {
        for tag in ["en", "EN", "en-GB", "en_US", "en-Latn-US"] {
            assert_eq!(Locale::negotiate(Some(tag)), Locale::En, "{tag}");
        }
    }

    #[test]
    fn unsupported_missing_or_malformed_tags_fall_back_to_english() {
        for tag in [
            None,
            Some(""),
            Some("fr"),
            Some("zz-ZZ"),
            Some(";;;"),
            Some("en;q=abc"),
        ] {
            assert_eq!(Locale::negotiate(tag), Locale::En, "{tag:?}");
        }
    }

    #[test]
    fn an_accept_language_list_is_read_by_weight() {
        assert_eq!(
            Locale::negotiate(Some("fr-CH, fr;q=0.9, en-GB;q=0.8")),
            Locale::En
        );
        assert_eq!(Locale::negotiate(Some("en;q=0")), Locale::En);
    }

    #[test]
    fn from_str_refuses_languages_without_templates() {
        assert_eq!("de".parse::<Locale>(), Err(UnsupportedLocale));
        assert_eq!("en-AU".parse::<Locale>(), Ok(Locale::En));
    }
}
