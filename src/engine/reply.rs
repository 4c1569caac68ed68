//! Automatic replies, matching the tutorial's servers.

use crate::codec::Encoding;

/// What a server (or UDP socket) answers by itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ReplyMode {
    /// Only what the user sends.
    #[default]
    None,
    /// The same bytes back.
    Echo,
    /// The bytes `a`–`z` in upper case, every other byte unchanged, in every encoding: byte for
    /// byte what the tutorial's first server sends (`conn.send(data.upper())` on `bytes`).
    /// Unicode case changes are the rules' `{upper}` / `{lower}`.
    Upper,
    /// `[YYYY-MM-DD HH:MM:SS]:text` (the tutorial's second server).
    Timestamp,
    /// `welcome!` on connect, `hello, TEXT!` for each message, close on `exit`
    /// (the tutorial's threaded server).
    Hello,
}

/// What to do after a message arrived.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReplyAction {
    pub reply: Option<Vec<u8>>,
    /// Close the connection after sending `reply`.
    pub close: bool,
    /// The answer could not be made (a character the encoding cannot write): nothing is sent,
    /// the worker reports this.
    pub problem: Option<super::Problem>,
}

impl ReplyMode {
    pub const ALL: [ReplyMode; 5] =
        [ReplyMode::None, ReplyMode::Echo, ReplyMode::Upper, ReplyMode::Timestamp, ReplyMode::Hello];
    /// The modes that make sense without connections.
    pub const UDP: [ReplyMode; 3] = [ReplyMode::None, ReplyMode::Echo, ReplyMode::Upper];

    #[cfg(any(test, feature = "test-support"))]
    /// The CLI spelling.
    pub fn cli_name(self) -> &'static str {
        match self {
            ReplyMode::None => "none",
            ReplyMode::Echo => "echo",
            ReplyMode::Upper => "upper",
            ReplyMode::Timestamp => "timestamp",
            ReplyMode::Hello => "hello",
        }
    }

    /// Sent to a client as soon as it connects.
    pub fn greeting(self) -> Option<Vec<u8>> {
        match self {
            ReplyMode::Hello => Some(b"welcome!".to_vec()),
            _ => None,
        }
    }

    /// The answer to one received chunk.
    /// Every mode is byte for byte: `encoding` is not needed to answer (the tutorial's text
    /// around the message is ASCII, the same in UTF-8 and GBK).
    pub fn respond(self, data: &[u8], _encoding: Encoding) -> ReplyAction {
        let reply = match self {
            ReplyMode::None => None,
            ReplyMode::Echo => Some(data.to_vec()),
            ReplyMode::Upper => Some(data.to_ascii_uppercase()),
            // The message's bytes go into the answer as they came: ASCII around them is the
            // same in UTF-8 and GBK, and nothing is decoded and encoded again (which could turn
            // a byte that is not text into U+FFFD or an HTML entity).
            ReplyMode::Timestamp => {
                let now = jiff::Zoned::now().strftime("%Y-%m-%d %H:%M:%S").to_string();
                Some([format!("[{now}]:").as_bytes(), data].concat())
            }
            ReplyMode::Hello => {
                // The tutorial compares with 'exit' exactly; a trailing newline from nc counts too.
                let mut trimmed = data;
                while let [rest @ .., b'\r' | b'\n'] = trimmed {
                    trimmed = rest;
                }
                if trimmed == b"exit" {
                    return ReplyAction { reply: None, close: true, problem: None };
                }
                Some([b"hello, ".as_slice(), data, b"!"].concat())
            }
        };
        ReplyAction { reply, close: false, problem: None }
    }
}

/// A worker's automatic answers: response rules when there are any, else the built-in mode.
#[derive(Clone, Debug, Default)]
pub struct Replier {
    pub mode: ReplyMode,
    pub rules: std::sync::Arc<super::rules::Rules>,
}

impl Replier {
    pub fn new(mode: ReplyMode, rules: std::sync::Arc<super::rules::Rules>) -> Replier {
        Replier { mode, rules }
    }

    /// Sent to a TCP client as soon as it connects (an error: the rules' greeting has a
    /// character `encoding` cannot write).
    pub fn greeting(
        &self,
        encoding: Encoding,
        peer: Option<std::net::SocketAddr>,
    ) -> Result<Option<Vec<u8>>, super::Problem> {
        if self.rules.is_empty() { Ok(self.mode.greeting()) } else { self.rules.greeting(encoding, peer) }
    }

    /// The answer to one received message.
    pub fn respond(&self, data: &[u8], encoding: Encoding, peer: Option<std::net::SocketAddr>) -> ReplyAction {
        if self.rules.is_empty() { self.mode.respond(data, encoding) } else { self.rules.respond(data, encoding, peer) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        let u = Encoding::Utf8;
        assert_eq!(ReplyMode::None.respond(b"a", u), ReplyAction::default());
        assert_eq!(ReplyMode::Echo.respond(b"a\0", u).reply.unwrap(), b"a\0");
        assert_eq!(ReplyMode::Upper.respond("abc 你好".as_bytes(), u).reply.unwrap(), "ABC 你好".as_bytes());
        assert_eq!(ReplyMode::Hello.respond(b"bob", u).reply.unwrap(), b"hello, bob!");
        assert!(ReplyMode::Hello.respond(b"exit", u).close);
        assert!(ReplyMode::Hello.respond(b"exit\n", u).close);
        assert_eq!(ReplyMode::Hello.greeting().unwrap(), b"welcome!");
        let ts = String::from_utf8(ReplyMode::Timestamp.respond(b"hi", u).reply.unwrap()).unwrap();
        // [2026-11-23 12:00:00]:hi
        assert_eq!(ts.len(), 24, "{ts}");
        assert!(ts.starts_with('[') && ts.ends_with("]:hi"), "{ts}");
    }

    #[test]
    fn upper_gbk_keeps_chinese() {
        let g = Encoding::Gbk;
        let data = g.encode("ab你好").unwrap();
        assert_eq!(ReplyMode::Upper.respond(&data, g).reply.unwrap(), g.encode("AB你好").unwrap());
    }

    #[test]
    fn hello_and_timestamp_keep_the_message_bytes_in_every_encoding() {
        // Bytes that are not GBK (a lone lead byte), a GB18030 four-byte character GBK cannot
        // encode again, invalid UTF-8: they come back unchanged, never as U+FFFD or &#NNN;.
        for data in [vec![0x81, b'a'], vec![0x81, 0x30, 0x81, 0x30], vec![0xff, 0xfe, b'x'], "你好".as_bytes().to_vec()]
        {
            for enc in Encoding::ALL {
                let hello = ReplyMode::Hello.respond(&data, enc).reply.unwrap();
                assert_eq!(hello, [b"hello, ".as_slice(), &data, b"!"].concat(), "{enc:?} {data:x?}");
                let ts = ReplyMode::Timestamp.respond(&data, enc).reply.unwrap();
                assert!(ts.ends_with(&[b"]:".as_slice(), &data].concat()), "{enc:?} {data:x?}");
                assert_eq!(ts.len(), 22 + data.len());
            }
        }
        assert!(ReplyMode::Hello.respond(b"exit\r\n", Encoding::Gbk).close);
        assert!(!ReplyMode::Hello.respond(b"exit!", Encoding::Gbk).close);
    }

    /// Python's `bytes.upper()`: b'a'..=b'z' become upper case, every other byte stays.
    fn python_upper(data: &[u8]) -> Vec<u8> {
        data.iter().map(|&b| if b.is_ascii_lowercase() { b - 32 } else { b }).collect()
    }

    #[test]
    fn upper_is_byte_exact_with_pythons_bytes_upper_in_every_encoding() {
        let all: Vec<u8> = (0..=255).collect();
        let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
            // What `python3 -c 'print(X.upper())'` prints for each input.
            ("nǐ hǎo, ß é".as_bytes().to_vec(), b"N\xc7\x90 H\xc7\x8eO, \xc3\x9f \xc3\xa9".to_vec()),
            (Encoding::Gbk.encode("nǐ hǎo").unwrap(), b"N\xa8\xab H\xa8\xa3O".to_vec()),
            // A leading BOM, and data that starts like a UTF-16 BOM.
            (vec![0xef, 0xbb, 0xbf, b'a'], vec![0xef, 0xbb, 0xbf, b'A']),
            (vec![0xff, 0xfe, b'a', 0], vec![0xff, 0xfe, b'A', 0]),
            (vec![0xfe, 0xff, 0, b'a'], vec![0xfe, 0xff, 0, b'A']),
            // A GBK character whose trail byte is a letter (0x81 0x61): Python changes it too.
            (vec![0x81, 0x61], vec![0x81, 0x41]),
            // A GB18030 four-byte sequence (U+0080) GBK cannot encode again.
            (vec![0x81, 0x30, 0x81, 0x30, b'x'], vec![0x81, 0x30, 0x81, 0x30, b'X']),
            (all.clone(), python_upper(&all)),
        ];
        for enc in Encoding::ALL {
            for (data, want) in &cases {
                let got = ReplyMode::Upper.respond(data, enc).reply.unwrap();
                assert_eq!(&got, want, "{enc:?} {data:x?}");
                assert_eq!(got, python_upper(data), "{enc:?} {data:x?}");
                assert_eq!(got.len(), data.len(), "{enc:?}: never longer (no &#NNN; entities)");
            }
        }
    }
}
