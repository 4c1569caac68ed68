//! Long texts cut for a message, a table row or a bubble: the one place that decides where a
//! text is cut (never inside a character).

use std::borrow::Cow;

/// The first `max` characters of `s` when it is longer, `None` when it fits.
pub fn cut(s: &str, max: usize) -> Option<&str> {
    s.char_indices().nth(max).map(|(i, _)| s.get(..i).unwrap_or(s))
}

/// At most `max` characters of `s`, then `end` when it was cut.
pub fn shorten<'a>(s: &'a str, max: usize, end: &str) -> Cow<'a, str> {
    match cut(s, max) {
        Some(head) => Cow::Owned(format!("{head}{end}")),
        None => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_between_characters_and_only_when_needed() {
        assert_eq!(cut("hello", 5), None);
        assert_eq!(cut("hello", 3), Some("hel"));
        assert_eq!(cut("你好世界", 2), Some("你好"));
        assert_eq!(shorten("你好世界", 2, "…"), "你好…");
        assert_eq!(shorten("abc", 0, " …"), " …");
        assert!(matches!(shorten("ok", 10, "…"), Cow::Borrowed(_)));
    }
}
