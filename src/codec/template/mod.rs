//! Messages that compute themselves: `${…}` fields inside a text or hex message.
//!
//! A template is compiled once (`compile`: checked, literal parts encoded, `${file:…}` read) and
//! rendered for each message it sends (`Template::render`): a sequence number that counts up,
//! the time, random values, parts of a received message, and computed fields filled last — a
//! length over the bytes after it, checksums over the bytes before them (or a range). Every
//! error names the character where the template went wrong; rendering never panics.
//!
//! The syntax (a format: never translated), `docs/templates.md` in words:
//!
//! | field | bytes |
//! |---|---|
//! | `${seq}` `${seq:start=0,step=2,width=4}` `${seq:u16be}` | the message number, as text or binary |
//! | `${time}` `${time:%H:%M:%S}` | local time, strftime |
//! | `${unix_ms}` `${uuid}` `${rand:1-6}` | milliseconds since 1970, a v4 UUID, a number |
//! | `${hex:de ad}` `${hex:RANDOM 8}` | bytes, random bytes |
//! | `${file:PATH}` | a file's bytes (read when compiled) |
//! | `${rx}` `${rx.line}` `${rx.1}` `${rx[2..4]}` | the received message (rule replies) |
//! | `${crc16-modbus}` `${crc32:be,0..10}` … | a checksum of the bytes before it, or of a range |
//! | `${len:u16be}` `${len:u8,0..4}` | the number of bytes after it, or in a range |
//!
//! `$${` writes `${`; a `$` not followed by `{` is a `$`.

pub mod checksum;
mod parse;
pub mod render;

use std::ops::Range;

pub use checksum::{Checksum, Order};
pub use render::{Received, Rendered, SpanKind};

use super::{CodecError, Encoding, InputMode};

/// The longest message a template renders (16 MiB): a `${file:…}` or a big `${hex:RANDOM N}`
/// cannot make more.
pub const MAX_OUTPUT: usize = 16 << 20;
/// The longest file `${file:PATH}` reads.
pub const MAX_FILE: u64 = MAX_OUTPUT as u64;
/// The most random bytes one `${hex:RANDOM N}` makes.
pub const MAX_RANDOM: usize = 65_536;
/// The widest zero-padded `${seq:width=N}`.
pub const MAX_WIDTH: usize = 20;

/// A compiled template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
    encoding: Encoding,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Part {
    kind: PartKind,
    /// Where it is in the template, in characters (for errors and the preview).
    src: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PartKind {
    Bytes(Vec<u8>),
    Seq { start: u64, step: u64, width: usize, bin: Option<IntWidth> },
    Time(String),
    UnixMs,
    Uuid,
    Rand { lo: u64, hi: u64 },
    RandomBytes(usize),
    Rx(RxPart),
    Sum { algo: Checksum, order: Order, range: ByteRange },
    Len { width: IntWidth, range: ByteRange },
}

/// Which part of the received message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RxPart {
    All,
    /// Up to the first `\n` (without it or a `\r` before it).
    Line,
    /// A regex capture group, 1..=9.
    Capture(usize),
    Bytes(ByteRange),
}

/// Byte offsets `from..to` (`to` not included); a missing end takes the field's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ByteRange {
    from: Option<usize>,
    to: Option<usize>,
}

/// An integer on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntWidth {
    U8,
    U16Be,
    U16Le,
    U32Be,
    U32Le,
    U64Be,
    U64Le,
}

impl IntWidth {
    const ALL: [(&'static str, IntWidth); 7] = [
        ("u8", IntWidth::U8),
        ("u16be", IntWidth::U16Be),
        ("u16le", IntWidth::U16Le),
        ("u32be", IntWidth::U32Be),
        ("u32le", IntWidth::U32Le),
        ("u64be", IntWidth::U64Be),
        ("u64le", IntWidth::U64Le),
    ];

    fn by_name(s: &str) -> Option<IntWidth> {
        IntWidth::ALL.iter().find(|(n, _)| *n == s).map(|&(_, w)| w)
    }

    pub fn bytes(self) -> usize {
        match self {
            IntWidth::U8 => 1,
            IntWidth::U16Be | IntWidth::U16Le => 2,
            IntWidth::U32Be | IntWidth::U32Le => 4,
            IntWidth::U64Be | IntWidth::U64Le => 8,
        }
    }

    /// The largest value it holds.
    pub fn max(self) -> u64 {
        match self.bytes() {
            8 => u64::MAX,
            n => (1u64 << (8 * n)) - 1,
        }
    }

    /// `value` on the wire; `None` when it does not fit.
    fn encode(self, value: u64) -> Option<Vec<u8>> {
        if value > self.max() {
            return None;
        }
        let be = value.to_be_bytes();
        let mut bytes = be.get(8 - self.bytes()..)?.to_vec();
        if matches!(self, IntWidth::U16Le | IntWidth::U32Le | IntWidth::U64Le) {
            bytes.reverse();
        }
        Some(bytes)
    }
}

/// Why a template cannot be compiled or rendered: what, and the character where (0-based).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TemplateError {
    pub pos: usize,
    pub problem: TemplateProblem,
}

/// What is wrong with a template (as data: `i18n::template_error` words it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateProblem {
    /// `${` without its `}`.
    Unclosed,
    /// `${name}` that is not a field.
    UnknownField { name: String },
    /// A field's argument it does not take (`${rand:x}`), with what it takes.
    BadArgument { field: String, arg: String, expected: Expected },
    /// Text or hex between fields that cannot become bytes (positions are the template's).
    Codec(CodecError),
    /// `${file:PATH}` could not be read.
    File { path: String, error: String },
    /// `${file:PATH}` is bigger than [`MAX_FILE`].
    FileTooBig { path: String, max: u64 },
    /// The rendered message would be bigger than [`MAX_OUTPUT`].
    TooBig { max: usize },
    /// A range past the end of the message.
    RangeOutside { from: usize, to: usize, len: usize },
    /// A checksum whose range takes in its own bytes.
    CoversItself,
    /// Checksums whose ranges take in each other's bytes.
    Circular,
    /// A length that does not fit its field (`${len:u8}` over 300 bytes).
    LengthTooBig { len: usize, max: u64 },
}

/// What a field takes after its `:` (words in `i18n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// No argument at all.
    Nothing,
    /// `FROM..TO`.
    Range,
    /// `A-B`, two whole numbers, A ≤ B.
    RandRange,
    /// A strftime format the encoding can write.
    TimeFormat,
    /// `start=N`, `step=N`, `width=N` (≤ [`MAX_WIDTH`]), a binary width.
    SeqOptions,
    /// Hex bytes, or `RANDOM N` (1 to [`MAX_RANDOM`]).
    HexOrRandom,
    /// A file's path.
    Path,
    /// A width (`u8` … `u32le`) and optionally a range.
    LenOptions,
    /// A range, `le` or `be`.
    SumOptions,
}

impl TemplateError {
    fn at(pos: usize, problem: TemplateProblem) -> TemplateError {
        TemplateError { pos, problem }
    }
}

/// Compiles what the user typed in `mode`: text (in `encoding`, with `\r \n \xHH` escapes when
/// `escapes`) or hex bytes, with `${…}` fields between.
pub fn compile(src: &str, mode: InputMode, encoding: Encoding, escapes: bool) -> Result<Template, TemplateError> {
    let parts = parse::parse(src, mode, encoding, escapes)?;
    Ok(Template { parts, encoding })
}

impl Template {
    /// The bytes, when every message is the same (no fields): the fast path.
    pub fn fixed_bytes(&self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for p in &self.parts {
            match &p.kind {
                PartKind::Bytes(b) => out.extend_from_slice(b),
                _ => return None,
            }
        }
        Some(out)
    }

    /// Whether it uses the received message (`${rx…}`): only a rule's reply has one.
    pub fn uses_rx(&self) -> bool {
        self.parts.iter().any(|p| matches!(p.kind, PartKind::Rx(_)))
    }

    /// Whether it reads the clock (`${time}`, `${unix_ms}`): a preview of it goes stale.
    pub fn uses_clock(&self) -> bool {
        self.parts.iter().any(|p| matches!(p.kind, PartKind::Time(_) | PartKind::UnixMs))
    }

    /// The bytes of message number `n` (1-based, per socket) without a received message.
    pub fn bytes(&self, n: u64) -> Result<Vec<u8>, TemplateError> {
        self.render(n, None).map(|r| r.bytes)
    }
}

#[cfg(test)]
mod tests;
