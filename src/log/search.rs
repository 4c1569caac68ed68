//! The text/hex search of a row's payload, shared by the log view's filter bar and
//! `socklab read --filter`: a case-insensitive substring of the decoded text, or of the bytes
//! when the needle is also hex (`48 65 6c`), or a regular expression on the decoded text.

use crate::codec::{self, Encoding};
use crate::engine::EventKind;

/// A compiled text filter.
#[derive(Clone, Debug)]
pub enum TextMatch {
    /// No text filter: every row matches.
    Any,
    /// Lower-case needle, plus the bytes if the needle is also valid hex.
    Substring(String, Option<Vec<u8>>),
    Regex(regex::Regex),
}

impl TextMatch {
    /// Compiles `needle` (trimmed; empty matches everything). A bad regular expression is
    /// refused with the regex crate's message.
    pub fn new(needle: &str, regex: bool) -> Result<TextMatch, String> {
        let needle = needle.trim();
        Ok(if needle.is_empty() {
            TextMatch::Any
        } else if regex {
            TextMatch::Regex(regex::Regex::new(needle).map_err(|e| e.to_string())?)
        } else {
            let bytes = codec::parse_hex(needle).ok().filter(|b| !b.is_empty());
            TextMatch::Substring(needle.to_lowercase(), bytes)
        })
    }

    /// True when this filter keeps every row.
    pub fn is_any(&self) -> bool {
        matches!(self, TextMatch::Any)
    }

    /// Whether a row with this payload matches (a row without payload matches only
    /// [`TextMatch::Any`]).
    pub fn matches(&self, data: Option<&[u8]>, encoding: Encoding) -> bool {
        match self {
            TextMatch::Any => true,
            TextMatch::Substring(needle, bytes) => {
                let Some(d) = data else { return false };
                if let Some(b) = bytes
                    && d.windows(b.len()).any(|w| w == b.as_slice())
                {
                    return true;
                }
                encoding.decode_lossy(d).to_lowercase().contains(needle.as_str())
            }
            TextMatch::Regex(re) => data.is_some_and(|d| re.is_match(&encoding.decode_lossy(d))),
        }
    }

    /// Whether an event matches, by its payload ([`payload`]).
    pub fn matches_event(&self, kind: &EventKind, encoding: Encoding) -> bool {
        self.matches(payload(kind), encoding)
    }
}

/// The bytes a row carries: received, sent or relayed data.
pub fn payload(kind: &EventKind) -> Option<&[u8]> {
    match kind {
        EventKind::Rx { data, .. } | EventKind::Tx { data } | EventKind::Relayed { data, .. } => Some(data.as_slice()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_hex_and_regex() {
        let m = |needle: &str, regex: bool, data: &[u8]| TextMatch::new(needle, regex).unwrap().matches(Some(data), Encoding::Utf8);
        assert!(m("WORLD", false, b"hello world"));
        assert!(!m("planet", false, b"hello world"));
        assert!(m("62 79 65", false, b"good bye"), "hex bytes of 'bye'");
        assert!(m("ab", false, b"\xab"), "ab is hex too");
        assert!(m("^h.*d$", true, b"hello world"));
        assert!(m("你", false, "你好".as_bytes()));
        assert!(TextMatch::new("(", true).is_err());
        assert!(TextMatch::new("  ", false).unwrap().is_any());
        assert!(!TextMatch::new("x", false).unwrap().matches(None, Encoding::Utf8));
        assert!(TextMatch::Any.matches(None, Encoding::Utf8));
    }
}
