//! Long texts shortened for display: the one place that cuts a payload, a name or a hex dump
//! for a table row, a bubble or a message, so they all end the same way.

#![allow(clippy::indexing_slicing, reason = "n is at most the data length")]

use std::borrow::Cow;

/// What ends a shortened text.
const CUT: &str = " …";

/// At most `max` characters of `s`, ended by ` …` when cut (never in the middle of a
/// character).
pub fn shorten(s: &str, max: usize) -> Cow<'_, str> {
    crate::codec::short::shorten(s, max, CUT)
}

/// The hex of at most `max_chars / 3` bytes of `data` (3 characters a byte), ended like
/// [`shorten`] when cut.
pub fn shorten_hex(data: &[u8], max_chars: usize) -> String {
    let n = data.len().min(max_chars / 3);
    let mut hex = crate::codec::to_hex(&data[..n]);
    if n < data.len() {
        hex.push_str(CUT);
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_at_a_character_and_says_so() {
        assert_eq!(shorten("hello", 5), "hello");
        assert_eq!(shorten("hello", 3), "hel …");
        assert_eq!(shorten("你好世界", 2), "你好 …");
        assert!(matches!(shorten("ok", 10), Cow::Borrowed(_)));
    }

    #[test]
    fn shorten_hex_keeps_whole_bytes() {
        assert_eq!(shorten_hex(&[1, 2], 9), crate::codec::to_hex(&[1, 2]));
        assert_eq!(shorten_hex(&[1, 2, 3, 4], 6), format!("{} …", crate::codec::to_hex(&[1, 2])));
    }
}
