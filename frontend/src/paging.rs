//! Keyset pagination as the console walks it: the API only goes forward (`next_cursor`), so the
//! console remembers the cursors of the pages it came through to offer "Previous".

/// The cursors leading to the current page; the first page has none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pager {
    trail: Vec<String>,
}

impl Pager {
    /// The cursor to request the current page with.
    pub fn cursor(&self) -> Option<&str> {
        self.trail.last().map(String::as_str)
    }

    /// 1-based, for "Page 3".
    pub fn number(&self) -> usize {
        self.trail.len() + 1
    }

    pub fn has_previous(&self) -> bool {
        !self.trail.is_empty()
    }

    /// Moves to the page `next_cursor` names (the current page's answer).
    pub fn forward(&mut self, next_cursor: &str) {
        self.trail.push(next_cursor.to_owned());
    }

    pub fn back(&mut self) {
        self.trail.pop();
    }

    /// Back to the first page: a new search starts over.
    pub fn reset(&mut self) {
        self.trail.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_and_back_retrace_the_cursors() {
        let mut pager = Pager::default();
        assert_eq!((pager.cursor(), pager.number()), (None, 1));
        assert!(!pager.has_previous());
        pager.forward("c2");
        pager.forward("c3");
        assert_eq!((pager.cursor(), pager.number()), (Some("c3"), 3));
        pager.back();
        assert_eq!(pager.cursor(), Some("c2"));
        pager.back();
        pager.back();
        assert_eq!(pager.cursor(), None);
    }

    #[test]
    fn a_new_search_starts_on_the_first_page() {
        let mut pager = Pager::default();
        pager.forward("c2");
        pager.reset();
        assert_eq!(pager, Pager::default());
    }
}
