//! How times, lists and counts read in the console.

use chrono::{DateTime, Utc};

/// `2026-11-30 14:05 UTC`: unambiguous for administrators in any time zone.
pub fn when(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn maybe_when(at: Option<&DateTime<Utc>>) -> String {
    at.map(when).unwrap_or_else(|| "—".into())
}

/// `1 grant`, `2 grants`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `a, b and c`.
pub fn sentence_list(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A relative description of `at` seen from `now`: `in 3 days`, `2 hours ago`.
pub fn relative(at: &DateTime<Utc>, now: &DateTime<Utc>) -> String {
    let secs = (*at - *now).num_seconds();
    let (future, abs) = (secs >= 0, secs.unsigned_abs());
    let (n, unit) = match abs {
        0..=59 => {
            return if future {
                "now".into()
            } else {
                "just now".into()
            };
        }
        60..=3_599 => (abs / 60, "minute"),
        3_600..=86_399 => (abs / 3_600, "hour"),
        _ => (abs / 86_400, "day"),
    };
    let amount = format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if future {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_are_shown_in_utc_to_the_minute() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 14, 5, 59).single();
        assert_eq!(
            at.as_ref().map(when).as_deref(),
            Some("2026-11-30 14:05 UTC")
        );
        assert_eq!(maybe_when(None), "—");
    }

    #[test]
    fn lists_and_counts_read_as_english() {
        assert_eq!(count(1, "grant", "grants"), "1 grant");
        assert_eq!(count(0, "grant", "grants"), "0 grants");
        let parts = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(sentence_list(&parts), "a, b and c");
        assert_eq!(sentence_list(&parts[..1]), "a");
    }

    #[test]
    fn relative_times_pick_the_largest_unit() {
        let now = Utc.timestamp_opt(1_000_000, 0).single().unwrap_or_default();
        let later = now + chrono::Duration::days(3) + chrono::Duration::hours(2);
        assert_eq!(relative(&later, &now), "in 3 days");
        assert_eq!(
            relative(&(now - chrono::Duration::minutes(1)), &now),
            "1 minute ago"
        );
        assert_eq!(relative(&now, &now), "now");
    }
}
