//! A classic hex dump (offset | hex | text) and "copy as" byte literals for the detail pane.

use std::fmt::Write as _;

use super::Encoding;

/// Bytes per dump line.
pub const LINE: usize = 16;

/// One line of a hex dump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DumpLine {
    pub offset: usize,
    /// `48 65 6c 6c 6f 20 e4 bd  a0 e5 a5 bd` with an extra space after 8 bytes.
    pub hex: String,
    /// Printable ASCII as itself, anything else as `.`.
    pub ascii: String,
}

/// The dump of `bytes`, 16 bytes a line.
pub fn hex_dump(bytes: &[u8]) -> Vec<DumpLine> {
    bytes
        .chunks(LINE)
        .enumerate()
        .map(|(i, chunk)| {
            // Two groups of 8 bytes, two spaces between them.
            let mut hex = String::with_capacity(LINE * 3 + 1);
            let (first, second) = chunk.split_at(chunk.len().min(8));
            super::push_hex(&mut hex, first, " ");
            if !second.is_empty() {
                hex.push_str("  ");
                super::push_hex(&mut hex, second, " ");
            }
            let ascii = chunk.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
            DumpLine { offset: i * LINE, hex, ascii }
        })
        .collect()
}

/// The dump as text, like `xxd`/Wireshark: `0000  48 65 …  Hello…`.
pub fn hex_dump_text(bytes: &[u8]) -> String {
    let mut out = String::new();
    for l in hex_dump(bytes) {
        let _ = writeln!(out, "{:04x}  {:<49} {}", l.offset, l.hex, l.ascii);
    }
    out
}

/// Formats for "copy as".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyAs {
    /// `48 65 6c 6c 6f`
    Hex,
    /// The decoded text in the tab's encoding.
    Text,
    /// `{ 0x48, 0x65 }`
    C,
    /// `b'He\x00'`
    Python,
    /// `b"He\x00"` (or `&[0x.., …]` for long non-text data, which stays a valid literal too)
    Rust,
    /// The dump with offsets.
    Dump,
    /// `SGVsbG8=`
    Base64,
    /// `01001000 01100101`
    Binary,
}

impl CopyAs {
    pub const ALL: [CopyAs; 8] = [
        CopyAs::Hex,
        CopyAs::Text,
        CopyAs::Base64,
        CopyAs::Binary,
        CopyAs::C,
        CopyAs::Python,
        CopyAs::Rust,
        CopyAs::Dump,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CopyAs::Hex => "Hex",
            CopyAs::Text => "Text",
            CopyAs::C => "C array",
            CopyAs::Python => "Python bytes",
            CopyAs::Rust => "Rust byte string",
            CopyAs::Dump => "Hex dump",
            CopyAs::Base64 => "Base64",
            CopyAs::Binary => "Bits",
        }
    }
}

/// `bytes` in the chosen format.
pub fn copy_as(bytes: &[u8], format: CopyAs, encoding: Encoding) -> String {
    match format {
        CopyAs::Hex => super::to_hex(bytes),
        CopyAs::Text => encoding.decode_lossy(bytes),
        CopyAs::C => {
            let items: Vec<String> = bytes.iter().map(|b| format!("0x{b:02x}")).collect();
            format!("{{ {} }}", items.join(", "))
        }
        CopyAs::Python => format!("b'{}'", escape(bytes, '\'')),
        CopyAs::Rust => format!("b\"{}\"", escape(bytes, '"')),
        CopyAs::Dump => hex_dump_text(bytes),
        CopyAs::Base64 => super::to_base64(bytes),
        CopyAs::Binary => super::to_binary(bytes),
    }
}

/// Escapes bytes for a Python/Rust byte-string literal quoted with `quote`.
fn escape(bytes: &[u8], quote: char) -> String {
    let mut s = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            b if b as char == quote => {
                s.push('\\');
                s.push(quote);
            }
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_lines() {
        let bytes: Vec<u8> = (0x40..0x40 + 20).collect();
        let d = hex_dump(&bytes);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].hex, "40 41 42 43 44 45 46 47  48 49 4a 4b 4c 4d 4e 4f");
        assert_eq!(d[0].ascii, "@ABCDEFGHIJKLMNO");
        assert_eq!(d[1].offset, 16);
        assert_eq!(hex_dump(&[0, 0x7f, b'a']).first().map(|l| l.ascii.clone()), Some("..a".into()));
        assert!(hex_dump_text(b"Hi").starts_with("0000  48 69"));
    }

    #[test]
    fn literals() {
        let b = b"He'\"\\\n\x00\xff";
        assert_eq!(copy_as(b, CopyAs::C, Encoding::Utf8), "{ 0x48, 0x65, 0x27, 0x22, 0x5c, 0x0a, 0x00, 0xff }");
        assert_eq!(copy_as(b, CopyAs::Python, Encoding::Utf8), r#"b'He\'"\\\n\x00\xff'"#);
        assert_eq!(copy_as(b, CopyAs::Rust, Encoding::Utf8), r#"b"He'\"\\\n\x00\xff""#);
        assert_eq!(copy_as("你".as_bytes(), CopyAs::Text, Encoding::Utf8), "你");
        assert_eq!(copy_as(&[1, 2], CopyAs::Hex, Encoding::Utf8), "01 02");
    }
}
