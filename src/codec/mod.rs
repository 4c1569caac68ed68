//! Text and hex codecs: what the user types becomes bytes, and received bytes become text.
//!
//! No egui and no sockets here, so the CLI, the GUI and the tests share one implementation.

#![allow(
    clippy::indexing_slicing,
    reason = "positions found by scanning the same text; tests/props.rs feeds random input"
)]

pub mod dump;
pub mod framing;
pub mod json;
pub mod short;
pub mod template;
pub mod tls;

use std::fmt::Write as _;

/// The character encoding a tab uses for text it sends and shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Encoding {
    #[default]
    Utf8,
    /// GBK, decoded with the GB18030 decoder (a superset), encoded as GBK.
    Gbk,
}

impl Encoding {
    pub const ALL: [Encoding; 2] = [Encoding::Utf8, Encoding::Gbk];

    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Gbk => "GBK",
        }
    }

    /// Parses `utf-8`, `utf8`, `gbk`, `gb2312`, `gb18030` (case-insensitive).
    pub fn parse(s: &str) -> Option<Encoding> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            "gbk" | "gb2312" | "gb18030" | "cp936" => Some(Encoding::Gbk),
            _ => None,
        }
    }

    /// Encodes text. Characters GBK cannot represent are reported, not silently replaced.
    pub fn encode(self, text: &str) -> Result<Vec<u8>, CodecError> {
        match self {
            Encoding::Utf8 => Ok(text.as_bytes().to_vec()),
            Encoding::Gbk => {
                if let Some(c) = text.chars().find(|c| !gbk_can_encode(*c)) {
                    return Err(CodecError::Unencodable { ch: c, encoding: self });
                }
                let (bytes, _, _) = encoding_rs::GBK.encode(text);
                Ok(bytes.into_owned())
            }
        }
    }

    /// Decodes bytes, replacing invalid sequences with U+FFFD (�). Never sniffs a BOM.
    pub fn decode_lossy(self, bytes: &[u8]) -> String {
        match self {
            Encoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
            Encoding::Gbk => {
                let (text, _) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
                text.into_owned()
            }
        }
    }
}

fn gbk_can_encode(c: char) -> bool {
    if c.is_ascii() {
        return true;
    }
    let mut buf = [0u8; 4];
    let s = c.encode_utf8(&mut buf);
    let (_, _, had_errors) = encoding_rs::GBK.encode(s);
    !had_errors
}

/// Decodes a byte stream chunk by chunk: a character split across two TCP reads comes out
/// whole (in the chunk where it ends) instead of as two replacement marks.
pub struct StreamDecoder {
    decoder: encoding_rs::Decoder,
}

impl StreamDecoder {
    pub fn new(encoding: Encoding) -> StreamDecoder {
        let enc = match encoding {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Gbk => encoding_rs::GB18030,
        };
        StreamDecoder { decoder: enc.new_decoder_without_bom_handling() }
    }

    /// The text of `chunk`, given everything decoded before; `last` flushes an unfinished
    /// character as a replacement mark.
    pub fn decode(&mut self, chunk: &[u8], last: bool) -> String {
        let mut out =
            String::with_capacity(self.decoder.max_utf8_buffer_length(chunk.len()).unwrap_or(chunk.len() * 3 + 8));
        let mut input = chunk;
        loop {
            let (result, read, _) = self.decoder.decode_to_string(input, &mut out, last);
            input = &input[read..];
            match result {
                encoding_rs::CoderResult::InputEmpty => return out,
                // Not expected with the reserved capacity; make room and go on.
                encoding_rs::CoderResult::OutputFull => out.reserve(input.len() * 3 + 16),
            }
        }
    }
}

/// How a send box interprets what the user typed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum InputMode {
    #[default]
    Text,
    Hex,
    Base64,
    /// Bits, eight to a byte.
    Binary,
}

impl InputMode {
    pub const ALL: [InputMode; 4] = [InputMode::Text, InputMode::Hex, InputMode::Base64, InputMode::Binary];
}

/// Why typed input could not become bytes (as data: `i18n::codec_error` words it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodecError {
    /// A character that is not a hex digit, with its 0-based character position.
    BadHexDigit { ch: char, pos: usize },
    /// An odd number of hex digits.
    OddHexLength { digits: usize },
    /// A character the chosen encoding cannot represent.
    Unencodable { ch: char, encoding: Encoding },
    /// A backslash escape that is not one of `\r \n \t \0 \\ \xHH`, at this character.
    BadEscape { pos: usize },
    /// Base64 that does not decode, at this 0-based character.
    BadBase64 { pos: usize },
    /// A character that is not 0 or 1 in bits, at this 0-based character.
    BadBinaryDigit { ch: char, pos: usize },
    /// A number of bits that is not a whole number of bytes.
    BinaryLength { bits: usize },
}

/// Parses hex such as `48 65 6c 6c 6f`, `48656c6c6f`, `0x48,0x65` or `48:65`.
/// Spaces, tabs, newlines, commas, colons, dashes and `0x` prefixes are separators.
pub fn parse_hex(input: &str) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(input.len() / 2);
    let mut pending: Option<u8> = None;
    let mut digits = 0usize;
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // A `0x` prefix at the start of a group is a separator, not a digit.
        if c == '0'
            && pending.is_none()
            && matches!(chars.get(i + 1), Some('x') | Some('X'))
            && (i == 0 || is_hex_separator(chars[i - 1]))
        {
            i += 2;
            continue;
        }
        if is_hex_separator(c) {
            i += 1;
            continue;
        }
        let v = c.to_digit(16).ok_or(CodecError::BadHexDigit { ch: c, pos: i })? as u8;
        digits += 1;
        match pending.take() {
            Some(hi) => out.push(hi << 4 | v),
            None => pending = Some(v),
        }
        i += 1;
    }
    if pending.is_some() {
        return Err(CodecError::OddHexLength { digits });
    }
    Ok(out)
}

fn is_hex_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ':' | '-')
}

/// Lower-case hex with a space between bytes: `48 65 6c`.
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    push_hex(&mut s, bytes, " ");
    s
}

/// Lower-case hex without separators: `48656c` (how SHA-256 sums and delimiters are written).
pub fn to_hex_compact(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes, "");
    s
}

/// Appends `bytes` to `out` as lower-case hex, with `sep` between bytes: the one hex encoder
/// of the core.
pub fn push_hex(out: &mut String, bytes: &[u8], sep: &str) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
}

/// Standard Base64 with padding (RFC 4648), as `base64` and most tools print it.
pub fn to_base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Parses Base64 (standard or URL-safe alphabet, padding optional, whitespace ignored).
pub fn parse_base64(input: &str) -> Result<Vec<u8>, CodecError> {
    use base64::Engine as _;
    let mut clean = String::with_capacity(input.len());
    let mut at = Vec::with_capacity(input.len());
    for (pos, c) in input.chars().enumerate() {
        if c.is_whitespace() {
            continue;
        }
        let c = match c {
            '-' => '+',
            '_' => '/',
            c => c,
        };
        if !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')) {
            return Err(CodecError::BadBase64 { pos });
        }
        clean.push(c);
        at.push(pos);
    }
    let trimmed = clean.trim_end_matches('=');
    let engine = base64::engine::general_purpose::STANDARD_NO_PAD;
    engine.decode(trimmed).map_err(|e| {
        let i = match e {
            base64::DecodeError::InvalidByte(i, _) | base64::DecodeError::InvalidLastSymbol(i, _) => i,
            _ => trimmed.len().saturating_sub(1),
        };
        CodecError::BadBase64 { pos: at.get(i).copied().unwrap_or(0) }
    })
}

/// Bits, eight to a byte, most significant first: `01001000 01101001`.
pub fn to_binary(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 9);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:08b}");
    }
    s
}

/// Parses bits such as `01001000 01101001` (separators as for hex; every byte needs 8 bits).
pub fn parse_binary(input: &str) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(input.len() / 8);
    let (mut acc, mut bits, mut total) = (0u8, 0u32, 0usize);
    for (pos, c) in input.chars().enumerate() {
        if is_hex_separator(c) {
            continue;
        }
        let v = match c {
            '0' => 0,
            '1' => 1,
            _ => return Err(CodecError::BadBinaryDigit { ch: c, pos }),
        };
        acc = acc << 1 | v;
        bits += 1;
        total += 1;
        if bits == 8 {
            out.push(acc);
            (acc, bits) = (0, 0);
        }
    }
    if bits != 0 {
        return Err(CodecError::BinaryLength { bits: total });
    }
    Ok(out)
}

/// Text with escapes: `\r \n \t \0 \\` and `\xHH` (a raw byte), the rest in `encoding`.
pub fn encode_escaped(input: &str, encoding: Encoding) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(input.len());
    let mut text = String::new();
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '\\' {
            text.push(chars[i]);
            i += 1;
            continue;
        }
        let byte = match chars.get(i + 1) {
            Some('r') => b'\r',
            Some('n') => b'\n',
            Some('t') => b'\t',
            Some('0') => 0,
            Some('\\') => b'\\',
            Some('x') => {
                let hex: String = chars.iter().skip(i + 2).take(2).collect();
                let b = (hex.len() == 2).then(|| u8::from_str_radix(&hex, 16).ok()).flatten();
                let Some(b) = b else { return Err(CodecError::BadEscape { pos: i }) };
                out.extend(encoding.encode(&std::mem::take(&mut text))?);
                out.push(b);
                i += 4;
                continue;
            }
            _ => return Err(CodecError::BadEscape { pos: i }),
        };
        out.extend(encoding.encode(&std::mem::take(&mut text))?);
        out.push(byte);
        i += 2;
    }
    out.extend(encoding.encode(&text)?);
    Ok(out)
}

/// Turns typed input into the bytes to send.
pub fn encode_input(input: &str, mode: InputMode, encoding: Encoding) -> Result<Vec<u8>, CodecError> {
    match mode {
        InputMode::Text => encoding.encode(input),
        InputMode::Hex => parse_hex(input),
        InputMode::Base64 => parse_base64(input),
        InputMode::Binary => parse_binary(input),
    }
}

/// Text for one line of a log: control characters made visible so a row stays one line.
pub fn printable(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\r' => s.push_str("\\r"),
            '\n' => s.push_str("\\n"),
            '\t' => s.push_str("\\t"),
            '\0' => s.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(s, "\\x{:02x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_binary_round_trip_and_say_where() {
        assert_eq!(to_base64(b"Hello"), "SGVsbG8=");
        assert_eq!(parse_base64("SGVs bG8=").unwrap(), b"Hello");
        assert_eq!(parse_base64("SGVsbG8").unwrap(), b"Hello");
        assert_eq!(parse_base64("-_8").unwrap(), [0xFB, 0xFF]);
        assert_eq!(parse_base64("SGV*"), Err(CodecError::BadBase64 { pos: 3 }));
        assert!(parse_base64("S").is_err());
        assert_eq!(to_binary(&[0x48, 0x01]), "01001000 00000001");
        assert_eq!(parse_binary("01001000 0000_0001".replace('_', "").as_str()).unwrap(), [0x48, 0x01]);
        assert_eq!(parse_binary("0102"), Err(CodecError::BadBinaryDigit { ch: '2', pos: 3 }));
        assert_eq!(parse_binary("0101"), Err(CodecError::BinaryLength { bits: 4 }));
        for mode in InputMode::ALL {
            let text = match mode {
                InputMode::Text => "Hi".to_string(),
                InputMode::Hex => to_hex(b"Hi"),
                InputMode::Base64 => to_base64(b"Hi"),
                InputMode::Binary => to_binary(b"Hi"),
            };
            assert_eq!(encode_input(&text, mode, Encoding::Utf8).unwrap(), b"Hi");
        }
    }

    #[test]
    fn hex_forms() {
        assert_eq!(parse_hex("48 65 6c 6c 6f").unwrap(), b"Hello");
        assert_eq!(parse_hex("48656C6C6F").unwrap(), b"Hello");
        assert_eq!(parse_hex("0x48,0x65").unwrap(), b"He");
        assert_eq!(parse_hex("00 0a").unwrap(), vec![0, 10]);
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
        assert_eq!(parse_hex("  ").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn hex_errors() {
        assert_eq!(parse_hex("486"), Err(CodecError::OddHexLength { digits: 3 }));
        assert_eq!(parse_hex("4g"), Err(CodecError::BadHexDigit { ch: 'g', pos: 1 }));
        assert_eq!(parse_hex("48 你"), Err(CodecError::BadHexDigit { ch: '你', pos: 3 }));
    }

    #[test]
    fn hex_compact_and_push() {
        assert_eq!(to_hex_compact(b"\r\n\xff"), "0d0aff");
        assert_eq!(to_hex_compact(b""), "");
        let mut s = String::from("x=");
        push_hex(&mut s, b"\x01\xab", ":");
        assert_eq!(s, "x=01:ab");
    }

    #[test]
    fn hex_round_trip() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(parse_hex(&to_hex(&bytes)).unwrap(), bytes);
    }

    #[test]
    fn gbk_round_trip_and_mojibake() {
        let gbk = Encoding::Gbk.encode("你好").unwrap();
        assert_eq!(gbk, vec![0xc4, 0xe3, 0xba, 0xc3]);
        assert_eq!(Encoding::Gbk.decode_lossy(&gbk), "你好");
        // UTF-8 bytes read as GBK: the classic mojibake, no error flag.
        assert_eq!(Encoding::Gbk.decode_lossy("你好".as_bytes()), "浣犲ソ");
        // GBK bytes read as UTF-8: replacement marks.
        assert!(Encoding::Utf8.decode_lossy(&gbk).contains('\u{fffd}'));
    }

    #[test]
    fn gbk_rejects_unencodable() {
        assert!(matches!(Encoding::Gbk.encode("hi 😀"), Err(CodecError::Unencodable { ch: '😀', .. })));
    }

    #[test]
    fn no_bom_sniffing() {
        // With BOM sniffing, GBK decoding of a UTF-8 BOM would switch to UTF-8 and return "".
        let bom = [0xef, 0xbb, 0xbf];
        assert!(!Encoding::Gbk.decode_lossy(&bom).is_empty());
        assert_eq!(Encoding::Utf8.decode_lossy(&bom), "\u{feff}");
    }

    #[test]
    fn stream_decoder_joins_split_characters() {
        for enc in Encoding::ALL {
            let bytes = enc.encode("你好,世界").unwrap();
            for cut in 0..=bytes.len() {
                let mut d = StreamDecoder::new(enc);
                let text = d.decode(&bytes[..cut], false) + &d.decode(&bytes[cut..], true);
                assert_eq!(text, "你好,世界", "{enc:?} cut at {cut}");
            }
            // Per chunk, a split character is two replacement marks; streaming, it is whole.
            let mut d = StreamDecoder::new(enc);
            assert!(!d.decode(&bytes[..1], false).contains('你'));
            assert!(d.decode(&bytes[1..], true).starts_with('你'));
        }
        let mut d = StreamDecoder::new(Encoding::Utf8);
        assert_eq!(d.decode(&[0xe4, 0xbd], true), "\u{fffd}", "unfinished at the end");
    }

    #[test]
    fn escapes() {
        assert_eq!(encode_escaped("GET / HTTP/1.0\\r\\n\\r\\n", Encoding::Utf8).unwrap(), b"GET / HTTP/1.0\r\n\r\n");
        assert_eq!(encode_escaped("a\\x00\\xffb\\\\", Encoding::Utf8).unwrap(), b"a\x00\xffb\\");
        assert_eq!(encode_escaped("你\\n", Encoding::Gbk).unwrap(), vec![0xc4, 0xe3, b'\n']);
        assert_eq!(encode_escaped("bad \\q", Encoding::Utf8), Err(CodecError::BadEscape { pos: 4 }));
        assert_eq!(encode_escaped("\\x4", Encoding::Utf8), Err(CodecError::BadEscape { pos: 0 }));
        assert_eq!(encode_escaped("end\\", Encoding::Utf8), Err(CodecError::BadEscape { pos: 3 }));
    }

    #[test]
    fn printable_escapes() {
        assert_eq!(printable("a\r\nb\x01"), "a\\r\\nb\\x01");
    }

    #[test]
    fn parse_encoding_names() {
        assert_eq!(Encoding::parse("UTF-8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::parse("gbk"), Some(Encoding::Gbk));
        assert_eq!(Encoding::parse("latin1"), None);
    }
}
