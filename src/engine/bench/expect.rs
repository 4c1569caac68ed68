//! When a reply is complete, and whether it is right: the `--expect` of a load test.
//!
//! A TCP reply is cut from the bytes that arrived since the request (what is left over belongs
//! to the next one); a UDP reply is one datagram. The spelling is a format (never translated):
//! `sized`, `read`, `echo`, `line`, `bytes:N`, `regex:RE`, `frame:FRAMING`.

use regex::bytes::Regex;

use crate::codec::framing::Framing;

/// The longest reply a test waits for: past it, the reply is wrong (and memory stays bounded).
pub const MAX_REPLY: usize = 16 << 20;

/// What a reply looks like.
#[derive(Clone, Debug)]
pub enum Expect {
    /// As many bytes as the message (an echo or upper-case server): the default.
    Sized,
    /// Whatever one read (one datagram) brings.
    Read,
    /// The message itself, byte for byte.
    Echo,
    /// Up to and with a `\n`.
    Line,
    /// Exactly N bytes.
    Bytes(usize),
    /// Up to the end of the first match of a regex (bytes, not text).
    Regex(Regex),
    /// One message of a framing (`len16`, `delim:0d0a`, `fixed:8`, …).
    Frame(Framing),
}

/// Why an `--expect` was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpectError {
    /// Not one of the spellings.
    Unknown(String),
    /// `bytes:N` with N not a number in 1 ..= [`MAX_REPLY`].
    BadBytes(String),
    /// `regex:RE` that does not compile (the regex crate's words).
    BadRegex(String),
    /// `frame:F` with F not a framing (the framing's own words, English).
    BadFrame(String),
}

/// What the bytes so far say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Not complete yet: read more.
    More,
    /// A complete reply of this many bytes (the rest belongs to the next one), right or not.
    Reply { len: usize, ok: bool },
}

impl Expect {
    pub fn parse(s: &str) -> Result<Expect, ExpectError> {
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n.trim().to_ascii_lowercase(), Some(a)),
            None => (s.trim().to_ascii_lowercase(), None),
        };
        match (name.as_str(), arg) {
            ("sized", None) => Ok(Expect::Sized),
            ("read", None) => Ok(Expect::Read),
            ("echo", None) => Ok(Expect::Echo),
            ("line", None) => Ok(Expect::Line),
            ("bytes", Some(n)) => match n.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_REPLY).contains(&n) => Ok(Expect::Bytes(n)),
                _ => Err(ExpectError::BadBytes(n.to_string())),
            },
            ("regex", Some(re)) => Regex::new(re).map(Expect::Regex).map_err(|e| ExpectError::BadRegex(e.to_string())),
            ("frame", Some(f)) => match Framing::parse(f) {
                Ok(Framing::None) => Ok(Expect::Read),
                Ok(f) => Ok(Expect::Frame(f)),
                Err(e) => Err(ExpectError::BadFrame(format!("{e:?}"))),
            },
            _ => Err(ExpectError::Unknown(s.to_string())),
        }
    }

    /// The spelling [`Expect::parse`] reads back.
    pub fn cli_name(&self) -> String {
        match self {
            Expect::Sized => "sized".into(),
            Expect::Read => "read".into(),
            Expect::Echo => "echo".into(),
            Expect::Line => "line".into(),
            Expect::Bytes(n) => format!("bytes:{n}"),
            Expect::Regex(re) => format!("regex:{}", re.as_str()),
            Expect::Frame(f) => format!("frame:{}", f.cli_name()),
        }
    }

    /// A TCP reply: `got` is every byte that arrived since `sent` went out.
    pub fn check_stream(&self, got: &[u8], sent: &[u8]) -> Check {
        let whole = |len: usize| if got.len() >= len { Check::Reply { len, ok: true } } else { Check::More };
        let c = match self {
            Expect::Sized => whole(sent.len().max(1)),
            Expect::Read if got.is_empty() => Check::More,
            Expect::Read => Check::Reply { len: got.len(), ok: true },
            Expect::Echo => match whole(sent.len().max(1)) {
                Check::Reply { len, .. } => Check::Reply { len, ok: got.get(..len) == Some(sent) },
                more => more,
            },
            Expect::Line => match got.iter().position(|&b| b == b'\n') {
                Some(i) => Check::Reply { len: i + 1, ok: true },
                None => Check::More,
            },
            Expect::Bytes(n) => whole(*n),
            Expect::Regex(re) => match re.find(got) {
                Some(m) if m.end() > 0 => Check::Reply { len: m.end(), ok: true },
                _ => Check::More,
            },
            Expect::Frame(f) => frame_len(*f, got).map_or(Check::More, |len| Check::Reply { len, ok: true }),
        };
        match c {
            Check::More if got.len() > MAX_REPLY => Check::Reply { len: got.len(), ok: false },
            c => c,
        }
    }

    /// A UDP reply: one datagram.
    pub fn check_datagram(&self, got: &[u8], sent: &[u8]) -> bool {
        match self {
            Expect::Sized => got.len() == sent.len(),
            Expect::Read => true,
            Expect::Echo => got == sent,
            Expect::Line => got.ends_with(b"\n"),
            Expect::Bytes(n) => got.len() == *n,
            Expect::Regex(re) => re.is_match(got),
            Expect::Frame(f) => frame_len(*f, got) == Some(got.len()),
        }
    }
}

/// The length of the first whole message of `framing` at the start of `got`, header and
/// delimiter included.
fn frame_len(framing: Framing, got: &[u8]) -> Option<usize> {
    let header = framing.header_len();
    let total = match framing {
        Framing::None => (!got.is_empty()).then_some(got.len())?,
        Framing::Line => got.iter().position(|&b| b == b'\n')? + 1,
        Framing::Delimiter(d) => {
            let d = d.as_bytes();
            got.windows(d.len()).position(|w| w == d)? + d.len()
        }
        Framing::Fixed(n) => n as usize,
        Framing::Len8 => header + *got.first()? as usize,
        Framing::Len16 => header + u16::from_be_bytes([*got.first()?, *got.get(1)?]) as usize,
        Framing::Len32 => header + u32::from_be_bytes(got.get(..4)?.try_into().ok()?) as usize,
    };
    (got.len() >= total).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_read_back() {
        for s in ["sized", "read", "echo", "line", "bytes:12", "regex:hello, .*!", "frame:len16", "frame:delim:0d0a"] {
            let e = Expect::parse(s).unwrap();
            assert_eq!(e.cli_name(), s);
            assert_eq!(Expect::parse(&e.cli_name()).unwrap().cli_name(), s);
        }
        assert!(matches!(Expect::parse("bytes:0"), Err(ExpectError::BadBytes(_))));
        assert!(matches!(Expect::parse("regex:("), Err(ExpectError::BadRegex(_))));
        assert!(matches!(Expect::parse("frame:len7"), Err(ExpectError::BadFrame(_))));
        assert!(matches!(Expect::parse("lines"), Err(ExpectError::Unknown(_))));
    }

    #[test]
    fn stream_replies_are_cut_where_they_end() {
        let sent = b"abc";
        assert_eq!(Expect::Sized.check_stream(b"AB", sent), Check::More);
        assert_eq!(Expect::Sized.check_stream(b"ABCD", sent), Check::Reply { len: 3, ok: true });
        assert_eq!(Expect::Echo.check_stream(b"ABC", sent), Check::Reply { len: 3, ok: false });
        assert_eq!(Expect::Echo.check_stream(b"abc", sent), Check::Reply { len: 3, ok: true });
        assert_eq!(Expect::Read.check_stream(b"xy", sent), Check::Reply { len: 2, ok: true });
        assert_eq!(Expect::Line.check_stream(b"hi\nrest", sent), Check::Reply { len: 3, ok: true });
        let re = Expect::parse("regex:hello, [^!]*!").unwrap();
        assert_eq!(re.check_stream(b"welcome!hello, b", sent), Check::More);
        assert_eq!(re.check_stream(b"welcome!hello, bob!", sent), Check::Reply { len: 19, ok: true });
        let f = Expect::parse("frame:len16").unwrap();
        assert_eq!(f.check_stream(&[0, 2, b'o'], sent), Check::More);
        assert_eq!(f.check_stream(&[0, 2, b'o', b'k', 9], sent), Check::Reply { len: 4, ok: true });
    }

    #[test]
    fn datagrams_are_whole_replies() {
        assert!(Expect::Sized.check_datagram(b"ABC", b"abc"));
        assert!(!Expect::Sized.check_datagram(b"AB", b"abc"));
        assert!(!Expect::Echo.check_datagram(b"ABC", b"abc"));
        assert!(Expect::Bytes(2).check_datagram(b"ok", b"abc"));
        assert!(Expect::parse("regex:^OK").unwrap().check_datagram(b"OK 1", b""));
    }
}
