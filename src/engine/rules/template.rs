//! Reply templates: checking a template and splitting it into parts once, when a rule is
//! made, and expanding the parts for one message (placeholders, captures, case changes).

#![allow(clippy::indexing_slicing, reason = "ranges found by parsing the same template text")]

use std::borrow::Cow;
use std::cell::OnceCell;
use std::net::SocketAddr;

use super::{Place, RuleProblem};
use crate::codec::{self, Encoding};
use crate::engine::Problem;

/// A reply template split into parts, with the source it was made from.
#[derive(Clone, Debug, Default)]
pub(super) struct Template {
    pub(super) source: Option<String>,
    pub(super) parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Part {
    /// Literal text, encoded with the message's encoding when replying.
    Text(String),
    /// Raw bytes from `\xHH` escapes.
    Bytes(Vec<u8>),
    Field(Field),
    /// A reply with `${…}` fields is a message template (`codec::template`): the whole reply,
    /// compiled for UTF-8 (other encodings compile its source again when replying).
    Message(Box<MessageReply>),
}

/// A reply written as a message template, and how many times it has answered (`${seq}`).
#[derive(Debug)]
pub(super) struct MessageReply {
    src: String,
    utf8: codec::template::Template,
    replies: std::sync::atomic::AtomicU64,
}

impl Clone for MessageReply {
    fn clone(&self) -> Self {
        let replies = std::sync::atomic::AtomicU64::new(self.replies.load(std::sync::atomic::Ordering::Relaxed));
        MessageReply { src: self.src.clone(), utf8: self.utf8.clone(), replies }
    }
}

impl PartialEq for MessageReply {
    fn eq(&self, other: &Self) -> bool {
        self.src == other.src
    }
}

impl Eq for MessageReply {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Field {
    Text,
    Upper,
    Lower,
    AsciiUpper,
    AsciiLower,
    Raw,
    Hex,
    Len,
    Peer,
    Time,
    /// A regex capture group, 1..=9.
    Capture(usize),
}

fn field_by_name(name: &str) -> Option<Field> {
    Some(match name {
        "text" => Field::Text,
        "upper" => Field::Upper,
        "lower" => Field::Lower,
        "ascii_upper" => Field::AsciiUpper,
        "ascii_lower" => Field::AsciiLower,
        "raw" => Field::Raw,
        "hex" => Field::Hex,
        "len" => Field::Len,
        "peer" => Field::Peer,
        "time" => Field::Time,
        _ => {
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                (Some(c @ '1'..='9'), None) => Field::Capture(c as usize - '0' as usize),
                _ => return None,
            }
        }
    })
}

/// Why a template is refused: the 0-based character position in the template and the problem.
#[derive(Debug)]
pub(super) struct TemplateError {
    pos: usize,
    kind: TemplateProblem,
}

#[derive(Debug)]
enum TemplateProblem {
    BadEscape(String),
    Unclosed,
    Unknown(String),
    Message(codec::template::TemplateProblem),
}

impl TemplateError {
    /// The problem, placed with `place` (a column or a position) from the 1-based number `first`
    /// where the template starts.
    pub(super) fn problem(self, place: fn(usize) -> Place, first: usize) -> RuleProblem {
        let at = place(first + self.pos);
        match self.kind {
            TemplateProblem::BadEscape(esc) => RuleProblem::BadEscape { esc, at },
            TemplateProblem::Unclosed => RuleProblem::Unclosed { at },
            TemplateProblem::Unknown(name) => RuleProblem::UnknownPlaceholder { name: shorten(&name, 40).into(), at },
            TemplateProblem::Message(problem) => RuleProblem::Template { problem, at },
        }
    }
}

/// At most `max` characters of `s`, with `…` when cut.
pub(super) fn shorten(s: &str, max: usize) -> Cow<'_, str> {
    crate::codec::short::shorten(s, max, "…")
}

/// Splits a reply template into parts.
pub(super) fn compile(src: &str) -> Result<Vec<Part>, TemplateError> {
    if src.contains("${") {
        let t = codec::template::compile(src, codec::InputMode::Text, Encoding::Utf8, true)
            .map_err(|e| TemplateError { pos: e.pos, kind: TemplateProblem::Message(e.problem) })?;
        let replies = std::sync::atomic::AtomicU64::new(0);
        return Ok(vec![Part::Message(Box::new(MessageReply { src: src.to_string(), utf8: t, replies }))]);
    }
    let chars: Vec<char> = src.chars().collect();
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                let c = match chars.get(i + 1) {
                    Some('r') => '\r',
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('0') => '\0',
                    Some('\\') => '\\',
                    Some('x') => {
                        let hi = chars.get(i + 2).and_then(|c| c.to_digit(16));
                        let lo = chars.get(i + 3).and_then(|c| c.to_digit(16));
                        let (Some(hi), Some(lo)) = (hi, lo) else {
                            let esc: String = chars[i..chars.len().min(i + 4)].iter().collect();
                            return Err(TemplateError { pos: i, kind: TemplateProblem::BadEscape(esc) });
                        };
                        flush_text(&mut parts, &mut text);
                        // Both digits are below 16.
                        let byte = (hi * 16 + lo) as u8;
                        match parts.last_mut() {
                            Some(Part::Bytes(b)) => b.push(byte),
                            _ => parts.push(Part::Bytes(vec![byte])),
                        }
                        i += 4;
                        continue;
                    }
                    _ => {
                        let esc: String = chars[i..chars.len().min(i + 2)].iter().collect();
                        return Err(TemplateError { pos: i, kind: TemplateProblem::BadEscape(esc) });
                    }
                };
                text.push(c);
                i += 2;
            }
            '{' if chars.get(i + 1) == Some(&'{') => {
                text.push('{');
                i += 2;
            }
            '}' if chars.get(i + 1) == Some(&'}') => {
                text.push('}');
                i += 2;
            }
            '{' => {
                let rest = &chars[i + 1..];
                let end = rest.iter().position(|&c| c == '}' || c == '{');
                let Some(end) = end.filter(|&e| rest[e] == '}') else {
                    return Err(TemplateError { pos: i, kind: TemplateProblem::Unclosed });
                };
                let name: String = rest[..end].iter().collect();
                let Some(field) = field_by_name(&name) else {
                    return Err(TemplateError { pos: i, kind: TemplateProblem::Unknown(name) });
                };
                flush_text(&mut parts, &mut text);
                parts.push(Part::Field(field));
                i += end + 2;
            }
            // A lone `}` is just a brace.
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    flush_text(&mut parts, &mut text);
    Ok(parts)
}

fn flush_text(parts: &mut Vec<Part>, text: &mut String) {
    if !text.is_empty() {
        parts.push(Part::Text(std::mem::take(text)));
    }
}

/// The parts of a template that may not have been checked: a bad one is sent as it is written.
pub(super) fn compile_lenient(src: &str) -> Vec<Part> {
    compile(src).unwrap_or_else(|_| vec![Part::Text(src.to_string())])
}

impl Template {
    pub(super) fn new(reply: Option<&str>) -> Result<Template, TemplateError> {
        let parts = match reply {
            Some(src) => compile(src)?,
            None => Vec::new(),
        };
        Ok(Template { source: reply.map(str::to_string), parts })
    }
}

/// One received message (or none, for a greeting), decoded at most once.
pub(super) struct Message<'a> {
    data: Option<&'a [u8]>,
    encoding: Encoding,
    peer: Option<SocketAddr>,
    decoded: OnceCell<String>,
}

impl<'a> Message<'a> {
    pub(super) fn new(data: Option<&'a [u8]>, encoding: Encoding, peer: Option<SocketAddr>) -> Message<'a> {
        Message { data, encoding, peer, decoded: OnceCell::new() }
    }

    pub(super) fn bytes(&self) -> &[u8] {
        self.data.unwrap_or_default()
    }

    pub(super) fn text(&self) -> &str {
        self.decoded.get_or_init(|| self.encoding.decode_lossy(self.bytes()))
    }
}

/// The bytes of a template for one message; an error when a character cannot be written in
/// the message's encoding (from the template or made by a case change).
pub(super) fn render(parts: &[Part], msg: &Message<'_>, groups: &[Option<&str>; 9]) -> Result<Vec<u8>, Problem> {
    let mut out = Vec::new();
    let encoding = msg.encoding;
    let has_message = msg.data.is_some();
    let unencodable = |ch: char| Problem::Unencodable(ch, encoding);
    for part in parts {
        match part {
            Part::Text(t) => out.extend(encoding.encode(t).map_err(|e| unencodable(codec_char(&e)))?),
            Part::Bytes(b) => out.extend_from_slice(b),
            Part::Message(m) => out.extend(m.render(msg, groups)?),
            Part::Field(field) => match field {
                Field::Peer => {
                    if let Some(p) = msg.peer {
                        out.extend_from_slice(p.to_string().as_bytes());
                    }
                }
                Field::Time => {
                    let now = jiff::Zoned::now().strftime("%Y-%m-%d %H:%M:%S").to_string();
                    out.extend_from_slice(now.as_bytes());
                }
                _ if !has_message => {}
                // The message's own bytes: decoding and encoding again could only lose (a byte
                // that is not text, a character GBK cannot write back), never add.
                Field::Text => out.extend_from_slice(msg.bytes()),
                Field::Upper => out.extend(change_case(msg.bytes(), encoding, Case::Upper).map_err(unencodable)?),
                Field::Lower => out.extend(change_case(msg.bytes(), encoding, Case::Lower).map_err(unencodable)?),
                Field::AsciiUpper => out.extend(msg.bytes().to_ascii_uppercase()),
                Field::AsciiLower => out.extend(msg.bytes().to_ascii_lowercase()),
                Field::Raw => out.extend_from_slice(msg.bytes()),
                Field::Hex => out.extend_from_slice(codec::to_hex(msg.bytes()).as_bytes()),
                Field::Len => out.extend_from_slice(msg.bytes().len().to_string().as_bytes()),
                Field::Capture(n) => {
                    if let Some(Some(g)) = n.checked_sub(1).and_then(|k| groups.get(k)) {
                        out.extend(encoding.encode(g).map_err(|e| unencodable(codec_char(&e)))?);
                    }
                }
            },
        }
    }
    Ok(out)
}

impl MessageReply {
    /// Whether it quotes the received message (and so may want the regex's groups).
    pub(super) fn uses_rx(&self) -> bool {
        self.utf8.uses_rx()
    }

    /// The reply to `msg`: `${seq}` counts this rule's replies from 1, `${rx…}` quotes `msg`.
    fn render(&self, msg: &Message<'_>, groups: &[Option<&str>; 9]) -> Result<Vec<u8>, Problem> {
        let n = self.replies.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let other;
        let t = match msg.encoding {
            Encoding::Utf8 => &self.utf8,
            e => {
                other = codec::template::compile(&self.src, codec::InputMode::Text, e, true).map_err(Problem::Template)?;
                &other
            }
        };
        let rx = msg.data.map(|data| codec::template::Received { data, captures: groups });
        t.render(n, rx).map(|r| r.bytes).map_err(Problem::Template)
    }
}

/// The character a codec error names (encoding text only fails on an unencodable character).
fn codec_char(e: &codec::CodecError) -> char {
    match e {
        codec::CodecError::Unencodable { ch, .. } => *ch,
        _ => '\u{fffd}',
    }
}

/// Which way `{upper}` / `{lower}` change letters.
#[derive(Clone, Copy)]
enum Case {
    Upper,
    Lower,
}

impl Case {
    fn apply(self, s: &str) -> String {
        match self {
            Case::Upper => s.to_uppercase(),
            Case::Lower => s.to_lowercase(),
        }
    }
}

/// Unicode case change of the text in `data`. Bytes that are not text in `encoding` are copied
/// as they are, and so are the bytes of every character the change leaves alone (no BOM is
/// sniffed, a GB18030 four-byte character GBK lacks is kept). `Err(ch)`: the changed character
/// `ch` cannot be written in `encoding`.
fn change_case(data: &[u8], encoding: Encoding, case: Case) -> Result<Vec<u8>, char> {
    let mut out = Vec::with_capacity(data.len());
    match encoding {
        // UTF-8 can write every character; invalid bytes stay as they are.
        Encoding::Utf8 => {
            for chunk in data.utf8_chunks() {
                out.extend_from_slice(case.apply(chunk.valid()).as_bytes());
                out.extend_from_slice(chunk.invalid());
            }
        }
        // GBK trail bytes can be ASCII letters, so go character by character.
        Encoding::Gbk => {
            let mut rest = data;
            while let Some(&first) = rest.first() {
                let (unit, tail) = rest.split_at(gb18030_unit_len(rest));
                rest = tail;
                if first.is_ascii() {
                    out.push(match case {
                        Case::Upper => first.to_ascii_uppercase(),
                        Case::Lower => first.to_ascii_lowercase(),
                    });
                    continue;
                }
                let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(unit);
                let mut chars = text.chars();
                let (Some(c), None, false) = (chars.next(), chars.next(), had_errors) else {
                    out.extend_from_slice(unit);
                    continue;
                };
                let changed = case.apply(c.encode_utf8(&mut [0; 4]));
                if changed.chars().eq([c]) {
                    out.extend_from_slice(unit);
                } else {
                    out.extend(Encoding::Gbk.encode(&changed).map_err(|e| codec_char(&e))?);
                }
            }
        }
    }
    Ok(out)
}

/// The length of the GB18030 unit `bytes` starts with: 1 (ASCII, or a byte that starts no
/// character), 2 (a two-byte character) or 4 (a four-byte one). `bytes` is not empty.
fn gb18030_unit_len(bytes: &[u8]) -> usize {
    let lead = |b: u8| (0x81..=0xfe).contains(&b);
    let digit = |b: u8| b.is_ascii_digit();
    match *bytes {
        [a, b, c, d, ..] if lead(a) && digit(b) && lead(c) && digit(d) => 4,
        [a, b, ..] if lead(a) && matches!(b, 0x40..=0x7e | 0x80..=0xfe) => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;

    #[test]
    fn every_placeholder() {
        let r = rules("* => t={text} u={upper} l={lower} h={hex} n={len} p={peer} r={raw} {{x}} a}b");
        let out = r.respond(b"Hi \xc3\xa9", U, peer()).reply.unwrap();
        assert_eq!(out, "t=Hi é u=HI É l=hi é h=48 69 20 c3 a9 n=5 p=10.0.0.7:5555 r=Hi é {x} a}b".as_bytes());
        // Without a peer.
        let r = rules("* => [{peer}]");
        assert_eq!(reply(&r, b"x").unwrap(), b"[]");
        // {time} is local time `YYYY-MM-DD HH:MM:SS`.
        let r = rules("* => {time}");
        let t = String::from_utf8(reply(&r, b"x").unwrap()).unwrap();
        assert_eq!(t.len(), 19, "{t}");
        assert!(jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", &t).is_ok(), "{t}");
        // Escapes.
        let r = rules("* => a\\r\\n\\t\\0\\\\\\x41\\x7f");
        assert_eq!(reply(&r, b"x").unwrap(), b"a\r\n\t\0\\A\x7f");
        // Trailing spaces are dropped, leading ones after ` => ` kept.
        let r = rules("* =>  x  \t");
        assert_eq!(reply(&r, b"x").unwrap(), b" x");
    }

    #[test]
    fn non_text_bytes() {
        let bytes = [0xff, 0xfe, b'a', 0x80, 0];
        let r = rules("* => {raw}");
        assert_eq!(reply(&r, &bytes).unwrap(), bytes);
        assert_eq!(r.respond(&bytes, G, None).reply.unwrap(), bytes);
        let r = rules("* => {upper}|{lower}|{text}");
        assert_eq!(reply(&r, &[0xff, b'a', b'B']).unwrap(), b"\xffAB|\xffab|\xffaB", "{{text}} keeps the bytes");
    }

    #[test]
    fn gbk_in_and_out() {
        let r = rules("exact:你好 => 再见\ncontains:世界 => {text}!\n* => {upper}");
        let out = r.respond(&G.encode("你好").unwrap(), G, None).reply.unwrap();
        assert_eq!(out, G.encode("再见").unwrap());
        assert_eq!(out, [0xd4, 0xd9, 0xbc, 0xfb]);
        let out = r.respond(&G.encode("你好\r\n").unwrap(), G, None).reply.unwrap();
        assert_eq!(out, G.encode("再见").unwrap());
        let out = r.respond(&G.encode("hi 世界").unwrap(), G, None).reply.unwrap();
        assert_eq!(out, G.encode("hi 世界!").unwrap());
        let out = r.respond(&G.encode("abc中文").unwrap(), G, None).reply.unwrap();
        assert_eq!(out, G.encode("ABC中文").unwrap());
        // The same rules in UTF-8 see UTF-8.
        assert_eq!(reply(&r, "你好".as_bytes()).unwrap(), "再见".as_bytes());
        // GBK bytes read as UTF-8 are not 你好.
        assert_eq!(reply(&r, &G.encode("你好").unwrap()).unwrap(), G.encode("你好").unwrap());
    }

    #[test]
    fn text_is_the_message_bytes_and_a_capture_gbk_cannot_write_is_reported() {
        let r = rules("* => <{text}>");
        for data in [vec![0x81, b'a'], vec![0x81, 0x30, 0x81, 0x30], vec![0xff, 0xfe, b'x']] {
            for enc in Encoding::ALL {
                let got = r.respond(&data, enc, None).reply.unwrap();
                assert_eq!(got, [b"<".as_slice(), &data, b">"].concat(), "{enc:?} {data:x?}");
            }
        }
        // A capture of text that is not valid GBK holds U+FFFD, which GBK cannot write: reported.
        let r = rules("regex:^(.*)$ => [{1}]");
        let a = r.respond(&[0x81], Encoding::Gbk, None);
        assert_eq!(a.reply, None);
        assert_eq!(a.problem, Some(Problem::Unencodable('\u{fffd}', Encoding::Gbk)));
        assert_eq!(r.respond("你好".as_bytes(), Encoding::Utf8, None).reply.unwrap(), "[你好]".as_bytes());
    }

    #[test]
    fn case_placeholders_keep_every_other_byte_and_never_write_entities() {
        let r = rules("* => {upper}|{lower}");
        let both = |data: &[u8], enc: Encoding| r.respond(data, enc, None);
        // Unicode case in UTF-8 (Python's str.upper()), invalid bytes kept around it.
        assert_eq!(both("ß é\u{feff}a".as_bytes(), U).reply.unwrap(), "SS É\u{feff}A|ß é\u{feff}a".as_bytes());
        assert_eq!(both(b"\xe9a\xff", U).reply.unwrap(), b"\xe9A\xff|\xe9a\xff");
        // GBK: a leading UTF-8 BOM or UTF-16 BOM is data, not a hint to decode otherwise.
        let bom = [0xef, 0xbb, 0xbf, b'a', b'b'];
        assert_eq!(both(&bom, G).reply.unwrap(), [&bom[..3], b"aB|", &bom[..3], b"ab"].concat());
        let utf16 = [0xff, 0xfe, b'a', b'b', 0];
        assert_eq!(both(&utf16, G).reply.unwrap(), b"\xff\xfeaB\0|\xff\xfeab\0");
        // A four-byte GB18030 character (U+0080) GBK cannot write is kept as it came.
        let four = [0x81, 0x30, 0x81, 0x30, b'x'];
        assert_eq!(both(&four, G).reply.unwrap(), b"\x81\x30\x81\x30X|\x81\x30\x81\x30x");
        // Letters GBK has in both cases change; Chinese and invalid bytes stay.
        let data = G.encode("abc中文 Σя").unwrap();
        let want = [G.encode("ABC中文 ΣЯ").unwrap(), b"|".to_vec(), G.encode("abc中文 σя").unwrap()].concat();
        assert_eq!(both(&data, G).reply.unwrap(), want);
        // GBK has ǐ and ǎ but not Ǐ: an error naming the character, nothing sent, no `&#463;`.
        let nihao = G.encode("nǐ hǎo").unwrap();
        assert_eq!(
            both(&nihao, G),
            ReplyAction { reply: None, close: false, problem: Some(Problem::Unencodable('Ǐ', G)) }
        );
        let lower = rules("* => {lower} ; close").respond(&nihao, G, None);
        assert_eq!(lower, ReplyAction { reply: Some(nihao.clone()), close: true, problem: None });
        // A template character GBK lacks is an error too, in a reply and in a greeting.
        let r = rules("greeting => hi 😀\n* => {raw} 😀 ; close");
        assert_eq!(
            r.respond(b"x", G, None),
            ReplyAction { reply: None, close: true, problem: Some(Problem::Unencodable('😀', G)) }
        );
        assert_eq!(r.greeting(G, None), Err(Problem::Unencodable('😀', G)));
        assert_eq!(r.greeting(U, None).unwrap().unwrap(), "hi 😀".as_bytes());
        // The ASCII forms are Python's bytes.upper() / bytes.lower(), whatever the encoding.
        let r = rules("* => {ascii_upper}|{ascii_lower}");
        for enc in Encoding::ALL {
            let data = [&nihao[..], "ß É".as_bytes(), &[0x81, 0x61, 0xff, 0xfe]].concat();
            let want = [data.to_ascii_uppercase(), b"|".to_vec(), data.to_ascii_lowercase()].concat();
            assert_eq!(r.respond(&data, enc, None).reply.unwrap(), want, "{enc:?}");
        }
    }
}
