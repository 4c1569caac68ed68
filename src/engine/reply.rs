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
    /// The text in upper case (the tutorial's first server: `conn.send(data.upper())`).
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
}

impl ReplyMode {
    pub const ALL: [ReplyMode; 5] =
        [ReplyMode::None, ReplyMode::Echo, ReplyMode::Upper, ReplyMode::Timestamp, ReplyMode::Hello];
    /// The modes that make sense without connections.
    pub const UDP: [ReplyMode; 3] = [ReplyMode::None, ReplyMode::Echo, ReplyMode::Upper];

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
    pub fn respond(self, data: &[u8], encoding: Encoding) -> ReplyAction {
        let reply = match self {
            ReplyMode::None => None,
            ReplyMode::Echo => Some(data.to_vec()),
            ReplyMode::Upper => Some(upper(data, encoding)),
            ReplyMode::Timestamp => {
                let now = jiff::Zoned::now().strftime("%Y-%m-%d %H:%M:%S").to_string();
                let text = encoding.decode_lossy(data);
                Some(encode_lossy(&format!("[{now}]:{text}"), encoding))
            }
            ReplyMode::Hello => {
                let text = encoding.decode_lossy(data);
                // The tutorial compares with 'exit' exactly; a trailing newline from nc counts too.
                if text.trim_end_matches(['\r', '\n']) == "exit" {
                    return ReplyAction { reply: None, close: true };
                }
                Some(encode_lossy(&format!("hello, {text}!"), encoding))
            }
        };
        ReplyAction { reply, close: false }
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

    /// Sent to a TCP client as soon as it connects.
    pub fn greeting(&self, encoding: Encoding, peer: Option<std::net::SocketAddr>) -> Option<Vec<u8>> {
        if self.rules.is_empty() { self.mode.greeting() } else { self.rules.greeting(encoding, peer) }
    }

    /// The answer to one received message.
    pub fn respond(&self, data: &[u8], encoding: Encoding, peer: Option<std::net::SocketAddr>) -> ReplyAction {
        if self.rules.is_empty() { self.mode.respond(data, encoding) } else { self.rules.respond(data, encoding, peer) }
    }
}

/// Upper-cases text; bytes that are not valid text keep their value (ASCII letters still change).
fn upper(data: &[u8], encoding: Encoding) -> Vec<u8> {
    match encoding {
        // ASCII upper-casing never touches UTF-8 multi-byte sequences.
        Encoding::Utf8 => match std::str::from_utf8(data) {
            Ok(s) => s.to_uppercase().into_bytes(),
            Err(_) => data.to_ascii_uppercase(),
        },
        // GBK trail bytes can be ASCII letters, so go through text.
        Encoding::Gbk => {
            let (text, _, had_errors) = encoding_rs::GB18030.decode(data);
            if had_errors {
                return data.to_vec();
            }
            encode_lossy(&text.to_uppercase(), encoding)
        }
    }
}

fn encode_lossy(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Gbk => encoding_rs::GBK.encode(text).0.into_owned(),
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
}
