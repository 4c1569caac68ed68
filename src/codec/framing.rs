//! Message framing over a byte stream: the lesson on TCP "sticky packets" (粘包).
//!
//! TCP delivers a stream of bytes, not messages: two `send()`s can arrive in one `recv()`, and one
//! `send()` can arrive split over several. An application that wants messages has to mark where
//! each one ends. [`Framing`] names the usual ways (a line ending, a custom delimiter, a fixed
//! size, a length header), [`Framing::encode`] writes one message that way, and a [`Deframer`] fed
//! the chunks `recv()` returns gives the messages back, however the stream was cut.
//!
//! Safety: the peer decides what we receive. A [`Deframer`] never keeps more than its limit
//! ([`Deframer::max_message`]) plus 8 bytes buffered between calls. A message longer than the
//! limit (a length header announcing 4 GiB, a delimiter that never comes) is delivered in pieces of
//! at most the limit, each marked [`Frame::partial`], and counted once in [`Deframer::oversized`];
//! the deframer stays in step with the stream, so the messages after it come out whole.

#![allow(
    clippy::indexing_slicing,
    reason = "header and delimiter offsets are checked against the buffer length first; tests/props.rs feeds random streams"
)]

use std::fmt;

use super::parse_hex;

/// The largest [`Framing::Fixed`] size: 1 MiB.
pub const MAX_FIXED: u32 = 1 << 20;

/// The largest message a [`Deframer`] collects for the framings with no smaller natural limit
/// (16 MiB): bigger messages are delivered in pieces.
pub const MAX_MESSAGE: usize = 16 << 20;

/// The longest [`Framing::Delimiter`], in bytes.
pub const MAX_DELIMITER: usize = 8;

/// How messages are marked in a byte stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Framing {
    /// No framing: every `recv()` is shown as it came, merged or split messages and all.
    #[default]
    None,
    /// A message ends with `\n`; a `\r` just before it is removed too (so `\r\n` lines work).
    Line,
    /// A message ends with a custom sequence of 1 to 8 bytes.
    Delimiter(DelimiterBytes),
    /// Every message is exactly N bytes (1 ..= [`MAX_FIXED`]); shorter ones are padded with zeros.
    Fixed(u32),
    /// A 1-byte length, then that many payload bytes.
    Len8,
    /// A 2-byte big-endian length, then that many payload bytes.
    Len16,
    /// A 4-byte big-endian length, then that many payload bytes (at most [`MAX_MESSAGE`]).
    Len32,
}

/// A [`Framing::Delimiter`]: 1 to [`MAX_DELIMITER`] bytes, stored inline so `Framing` stays `Copy`.
///
/// Serialized as a list of bytes; deserializing checks the length.
#[derive(Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "Vec<u8>")]
pub struct DelimiterBytes {
    /// The delimiter, then zeros (always zeros, so the derived `Eq` and `Hash` are right).
    bytes: [u8; MAX_DELIMITER],
    len: u8,
}

impl DelimiterBytes {
    /// A delimiter of 1 to [`MAX_DELIMITER`] bytes.
    pub fn new(bytes: &[u8]) -> Result<DelimiterBytes, FramingError> {
        if bytes.is_empty() {
            return Err(FramingError::BadDelimiter(DelimiterProblem::Empty));
        }
        if bytes.len() > MAX_DELIMITER {
            return Err(FramingError::BadDelimiter(DelimiterProblem::TooLong { len: bytes.len() }));
        }
        let mut inline = [0u8; MAX_DELIMITER];
        inline[..bytes.len()].copy_from_slice(bytes);
        Ok(DelimiterBytes { bytes: inline, len: bytes.len() as u8 })
    }

    /// The delimiter's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len).min(MAX_DELIMITER)]
    }
}

impl fmt::Debug for DelimiterBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DelimiterBytes({})", super::to_hex_compact(self.as_bytes()))
    }
}

impl TryFrom<Vec<u8>> for DelimiterBytes {
    type Error = FramingError;

    fn try_from(bytes: Vec<u8>) -> Result<DelimiterBytes, FramingError> {
        DelimiterBytes::new(&bytes)
    }
}

impl<'de> serde::Deserialize<'de> for DelimiterBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<DelimiterBytes, D::Error> {
        let bytes = Vec::<u8>::deserialize(d)?;
        // serde's own wording of a format error (as for any other malformed field).
        DelimiterBytes::new(&bytes).map_err(|_| serde::de::Error::invalid_length(bytes.len(), &"1 to 8 bytes"))
    }
}

impl From<DelimiterBytes> for Vec<u8> {
    fn from(d: DelimiterBytes) -> Vec<u8> {
        d.as_bytes().to_vec()
    }
}

/// Why a framing could not be parsed or a message could not be framed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FramingError {
    /// A framing name that is not one of the CLI spellings (the text as given).
    Unknown(String),
    /// The N of `fixed:N` is not a whole number (the text as given).
    BadNumber(String),
    /// `fixed:0`: a message needs at least one byte.
    ZeroFixed,
    /// A fixed size over [`MAX_FIXED`].
    FixedTooLarge { size: u64 },
    /// A message longer than the framing can carry ([`Framing::max_message`], or N for `fixed:N`).
    TooLong { len: usize, max: usize },
    /// A delimiter that is not 1 to 8 bytes of hex.
    BadDelimiter(DelimiterProblem),
    /// The message contains its own end marker, at this byte offset, so the receiver would end
    /// the message there.
    DelimiterInPayload { at: usize },
}

/// What is wrong with a `delim:` delimiter.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelimiterProblem {
    /// No bytes.
    Empty,
    /// More than [`MAX_DELIMITER`] bytes (this many).
    TooLong { len: usize },
    /// Not hex.
    Hex(super::CodecError),
}

impl Framing {
    /// Parses the CLI spelling (case-insensitive, surrounding spaces ignored): `none`, `line`,
    /// `fixed:N` (N in bytes, 1 ..= 1048576), `len8`, `len16`, `len32`, or `delim:HEX` with 1 to 8
    /// bytes in any form [`parse_hex`] takes (`delim:0d0a`, `delim:0d 0a`, `delim:7c`).
    pub fn parse(s: &str) -> Result<Framing, FramingError> {
        let s = s.trim();
        let (name, arg) = match s.split_once(':') {
            Some((name, arg)) => (name.trim(), Some(arg.trim())),
            None => (s, None),
        };
        match (name.to_ascii_lowercase().as_str(), arg) {
            ("none", None) => Ok(Framing::None),
            ("line", None) => Ok(Framing::Line),
            ("len8", None) => Ok(Framing::Len8),
            ("len16", None) => Ok(Framing::Len16),
            ("len32", None) => Ok(Framing::Len32),
            ("fixed", arg) => parse_fixed(arg.unwrap_or("")),
            ("delim", arg) => {
                let bytes =
                    parse_hex(arg.unwrap_or("")).map_err(|e| FramingError::BadDelimiter(DelimiterProblem::Hex(e)))?;
                Ok(Framing::Delimiter(DelimiterBytes::new(&bytes)?))
            }
            _ => Err(FramingError::Unknown(s.to_string())),
        }
    }

    /// The CLI spelling: `none`, `line`, `fixed:16`, `len16`, `delim:0d0a`. [`Framing::parse`]
    /// gives the same framing back for every framing it accepts.
    pub fn cli_name(&self) -> String {
        match self {
            Framing::None => "none".into(),
            Framing::Line => "line".into(),
            Framing::Delimiter(d) => format!("delim:{}", super::to_hex_compact(d.as_bytes())),
            Framing::Fixed(n) => format!("fixed:{n}"),
            Framing::Len8 => "len8".into(),
            Framing::Len16 => "len16".into(),
            Framing::Len32 => "len32".into(),
        }
    }

    /// Bytes of length header before each payload: 1, 2 or 4 for `Len*`, 0 otherwise.
    pub fn header_len(&self) -> usize {
        match self {
            Framing::Len8 => 1,
            Framing::Len16 => 2,
            Framing::Len32 => 4,
            _ => 0,
        }
    }

    /// The longest payload one message may have: 255 for `Len8`, 65535 for `Len16`, N for
    /// `Fixed(N)` (an out-of-range N is clamped to 1 ..= [`MAX_FIXED`]), and [`MAX_MESSAGE`]
    /// (16 MiB, a safety cap) for the others, `Len32` included.
    pub fn max_message(&self) -> usize {
        match *self {
            Framing::Len8 => u8::MAX.into(),
            Framing::Len16 => u16::MAX.into(),
            Framing::Fixed(n) => n.clamp(1, MAX_FIXED) as usize,
            Framing::None | Framing::Line | Framing::Delimiter(_) | Framing::Len32 => MAX_MESSAGE,
        }
    }

    /// The bytes to put on the wire for one message:
    /// - `None`: the payload as is (any length);
    /// - `Line`: payload + `\n`. A payload containing `\n` is refused; one ending in `\r` is
    ///   allowed (that is how to send a `\r\n` line), and the receiver removes that `\r`;
    /// - `Delimiter`: payload + delimiter; refused if the delimiter would be found earlier;
    /// - `Fixed(n)`: the payload padded with zeros to n bytes; refused if longer than n;
    /// - `Len8`/`Len16`/`Len32`: big-endian payload length, then the payload.
    ///
    /// Payloads longer than [`Framing::max_message`] are refused (except with `None`).
    pub fn encode(&self, payload: &[u8]) -> Result<Vec<u8>, FramingError> {
        let len = payload.len();
        let max = self.max_message();
        match *self {
            Framing::None => return Ok(payload.to_vec()),
            Framing::Fixed(0) => return Err(FramingError::ZeroFixed),
            Framing::Fixed(n) if n > MAX_FIXED => return Err(FramingError::FixedTooLarge { size: n.into() }),
            _ if len > max => return Err(FramingError::TooLong { len, max }),
            _ => {}
        }
        let mut wire = Vec::with_capacity(len + self.header_len() + MAX_DELIMITER);
        match *self {
            Framing::None => wire.extend_from_slice(payload),
            Framing::Line => {
                if let Some(at) = payload.iter().position(|&b| b == b'\n') {
                    return Err(FramingError::DelimiterInPayload { at });
                }
                wire.extend_from_slice(payload);
                wire.push(b'\n');
            }
            Framing::Delimiter(d) => {
                wire.extend_from_slice(payload);
                wire.extend_from_slice(d.as_bytes());
                // The receiver ends the message at the first match, which may overlap the end of
                // the payload (payload "xa" + delimiter "aa").
                match find(&wire, d.as_bytes()) {
                    Some(at) if at < len => return Err(FramingError::DelimiterInPayload { at }),
                    _ => {}
                }
            }
            Framing::Fixed(_) => {
                wire.extend_from_slice(payload);
                wire.resize(max, 0);
            }
            Framing::Len8 | Framing::Len16 | Framing::Len32 => {
                // `len <= max <= 16 MiB`, so it fits in a u32 and in the header.
                let header = (len as u32).to_be_bytes();
                wire.extend_from_slice(&header[header.len() - self.header_len()..]);
                wire.extend_from_slice(payload);
            }
        }
        Ok(wire)
    }
}

impl fmt::Display for Framing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cli_name())
    }
}

impl std::str::FromStr for Framing {
    type Err = FramingError;

    fn from_str(s: &str) -> Result<Framing, FramingError> {
        Framing::parse(s)
    }
}

fn parse_fixed(arg: &str) -> Result<Framing, FramingError> {
    let size: u64 = arg.parse().map_err(|_| FramingError::BadNumber(arg.to_string()))?;
    match u32::try_from(size) {
        Ok(0) => Err(FramingError::ZeroFixed),
        Ok(n) if n <= MAX_FIXED => Ok(Framing::Fixed(n)),
        _ => Err(FramingError::FixedTooLarge { size }),
    }
}

/// Where `needle` first occurs in `hay`. An empty needle is never found.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [] => None,
        [b] => hay.iter().position(|x| x == b),
        _ => hay.windows(needle.len()).position(|w| w == needle),
    }
}

/// One message (or piece of one) out of a [`Deframer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The payload, without delimiter or length header.
    pub payload: Vec<u8>,
    /// This is a piece of a message longer than the deframer's limit: the message was delivered
    /// in several pieces of at most the limit each (all marked partial).
    pub partial: bool,
}

/// Turns the chunks `recv()` returns back into messages.
#[derive(Clone, Debug)]
pub struct Deframer {
    framing: Framing,
    /// The longest message collected whole (at least 1).
    max: usize,
    /// Received bytes not yet delivered.
    buf: Vec<u8>,
    /// Delimited framings: no delimiter starts before this index of `buf`.
    scan_from: usize,
    /// Delimited framings: pieces of the message now in `buf` were already delivered.
    cutting: bool,
    /// Length-prefixed framings: payload bytes still to come of an oversized message.
    skip: u64,
    oversized: u64,
}

impl Deframer {
    /// A deframer whose limit is [`Framing::max_message`].
    pub fn new(framing: Framing) -> Deframer {
        Deframer::with_limit(framing, usize::MAX)
    }

    /// A deframer with a lower limit than [`Framing::max_message`] (clamped to 1 ..= that), e.g.
    /// to cap memory per connection or to show the oversized behaviour with small messages.
    /// `Fixed(n)` always uses n: a fixed-size message is never cut.
    pub fn with_limit(framing: Framing, limit: usize) -> Deframer {
        let max = match framing {
            Framing::Fixed(_) => framing.max_message(),
            _ => limit.clamp(1, framing.max_message()),
        };
        Deframer { framing, max, buf: Vec::new(), scan_from: 0, cutting: false, skip: 0, oversized: 0 }
    }

    #[cfg(any(test, feature = "test-support"))]
    pub fn framing(&self) -> Framing {
        self.framing
    }

    #[cfg(any(test, feature = "test-support"))]
    /// The longest message delivered whole; longer ones come in pieces this long.
    pub fn max_message(&self) -> usize {
        self.max
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Feed the bytes of one `recv()`; returns the complete messages now available (payloads
    /// without delimiters or headers). With [`Framing::None`], returns the chunk itself as one
    /// message (if non-empty). Pieces of oversized messages are included (see [`Frame::partial`]).
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        self.push_frames(chunk).into_iter().map(|f| f.payload).collect()
    }

    /// Like [`Deframer::push`], but tells whole messages from pieces of oversized ones.
    pub fn push_frames(&mut self, chunk: &[u8]) -> Vec<Frame> {
        let mut out = Vec::new();
        let framing = self.framing;
        if framing == Framing::None {
            if !chunk.is_empty() {
                out.push(Frame { payload: chunk.to_vec(), partial: false });
            }
            return out;
        }
        self.buf.extend_from_slice(chunk);
        let used = match framing {
            Framing::None => 0,
            Framing::Line => self.split_delimited(b"\n", true, &mut out),
            Framing::Delimiter(d) => self.split_delimited(d.as_bytes(), false, &mut out),
            Framing::Fixed(_) => self.split_fixed(&mut out),
            Framing::Len8 | Framing::Len16 | Framing::Len32 => self.split_length(&mut out),
        };
        self.buf.drain(..used);
        self.scan_from = self.scan_from.saturating_sub(used);
        // After a big message, give the memory back.
        if self.buf.capacity() > 1 << 20 && self.buf.len() < self.buf.capacity() / 4 {
            self.buf.shrink_to(self.buf.len() * 2);
        }
        out
    }

    /// Bytes received but not yet delivered ("N bytes waiting for the rest of a message").
    /// Between calls this is at most [`Deframer::max_message`] + 8.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    #[cfg(any(test, feature = "test-support"))]
    /// How many messages were longer than the limit and delivered in pieces.
    pub fn oversized(&self) -> u64 {
        self.oversized
    }

    /// At end of stream: the bytes left over (an incomplete last message, raw: with its length
    /// header if that was not used yet), if any. The deframer starts afresh afterwards.
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        let rest = std::mem::take(&mut self.buf);
        self.scan_from = 0;
        self.cutting = false;
        self.skip = 0;
        (!rest.is_empty()).then_some(rest)
    }

    /// Delivers the delimited messages in `buf`; returns how many bytes of it were used.
    fn split_delimited(&mut self, delim: &[u8], strip_cr: bool, out: &mut Vec<Frame>) -> usize {
        let max = self.max;
        // Bytes a message of `max` may need beyond `max` before it is known to be complete.
        let slack = delim.len() + usize::from(strip_cr);
        let mut start = 0;
        loop {
            let from = self.scan_from.max(start);
            if let Some(i) = find(&self.buf[from..], delim) {
                let end = from + i;
                let mut payload = &self.buf[start..end];
                if strip_cr && let [rest @ .., b'\r'] = payload {
                    payload = rest;
                }
                let was_cutting = std::mem::take(&mut self.cutting);
                if payload.len() > max {
                    if !was_cutting {
                        self.oversized += 1;
                    }
                    out.extend(payload.chunks(max).map(|p| Frame { payload: p.to_vec(), partial: true }));
                } else {
                    out.push(Frame { payload: payload.to_vec(), partial: was_cutting });
                }
                start = end + delim.len();
                self.scan_from = start;
                continue;
            }
            // No delimiter anywhere in buf[start..]: only its last bytes may begin one.
            let len = self.buf.len();
            self.scan_from = len.saturating_sub(delim.len().saturating_sub(1)).max(start);
            if len - start < max + slack {
                return start;
            }
            // The message is already longer than `max`: deliver `max` bytes of it. The rest keeps
            // at least `slack` bytes, so a delimiter is never cut in two.
            if !self.cutting {
                self.cutting = true;
                self.oversized += 1;
            }
            out.push(Frame { payload: self.buf[start..start + max].to_vec(), partial: true });
            start += max;
        }
    }

    fn split_fixed(&mut self, out: &mut Vec<Frame>) -> usize {
        let n = self.max;
        let mut start = 0;
        while self.buf.len() - start >= n {
            out.push(Frame { payload: self.buf[start..start + n].to_vec(), partial: false });
            start += n;
        }
        start
    }

    fn split_length(&mut self, out: &mut Vec<Frame>) -> usize {
        let header = self.framing.header_len();
        let max = self.max;
        let mut start = 0;
        loop {
            let avail = self.buf.len() - start;
            if self.skip > 0 {
                // Inside an oversized message: deliver it `max` bytes at a time.
                let want = usize::try_from(self.skip).unwrap_or(usize::MAX).min(max);
                if avail < want {
                    return start;
                }
                out.push(Frame { payload: self.buf[start..start + want].to_vec(), partial: true });
                start += want;
                self.skip -= want as u64;
                continue;
            }
            if avail < header {
                return start;
            }
            let len = self.buf[start..start + header].iter().fold(0u64, |n, &b| n << 8 | u64::from(b));
            if len > max as u64 {
                self.oversized += 1;
                self.skip = len;
                start += header;
                continue;
            }
            // `len <= max`, a usize.
            let len = len as usize;
            if avail < header + len {
                return start;
            }
            out.push(Frame { payload: self.buf[start + header..start + header + len].to_vec(), partial: false });
            start += header + len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::CodecError;

    fn delim(bytes: &[u8]) -> Framing {
        Framing::Delimiter(DelimiterBytes::new(bytes).unwrap())
    }

    /// Encodes the messages, feeds the stream in chunks of `step` bytes, returns what came out.
    fn round_trip(framing: Framing, messages: &[&[u8]], step: usize) -> Vec<Vec<u8>> {
        let wire: Vec<u8> = messages.iter().flat_map(|m| framing.encode(m).unwrap()).collect();
        let mut d = Deframer::new(framing);
        let mut got = Vec::new();
        for chunk in wire.chunks(step) {
            got.extend(d.push(chunk));
        }
        assert_eq!(d.pending(), 0);
        assert_eq!(d.finish(), None);
        got
    }

    #[test]
    fn none_passes_chunks_through() {
        let mut d = Deframer::new(Framing::None);
        assert_eq!(d.push(b"ab"), vec![b"ab".to_vec()]);
        assert!(d.push(b"").is_empty());
        assert_eq!(d.pending(), 0);
        assert_eq!(d.finish(), None);
        assert_eq!(Framing::None.encode(b"x\ny").unwrap(), b"x\ny");
    }

    #[test]
    fn line_round_trip_and_crlf() {
        for step in 1..8 {
            assert_eq!(
                round_trip(Framing::Line, &[b"hello", b"", b"world"], step),
                vec![b"hello".to_vec(), vec![], b"world".to_vec()]
            );
        }
        let mut d = Deframer::new(Framing::Line);
        assert_eq!(d.push(b"GET / HTTP/1.0\r\nHost: x\r"), vec![b"GET / HTTP/1.0".to_vec()]);
        assert_eq!(d.pending(), 8);
        assert_eq!(d.push(b"\n\r\n"), vec![b"Host: x".to_vec(), vec![]]);
        // Only one \r is removed, and only just before \n.
        assert_eq!(d.push(b"a\rb\r\r\n"), vec![b"a\rb\r".to_vec()]);
        assert_eq!(Framing::Line.encode(b"hi\r").unwrap(), b"hi\r\n");
    }

    #[test]
    fn line_refuses_newline_in_payload() {
        assert_eq!(Framing::Line.encode(b"a\nb"), Err(FramingError::DelimiterInPayload { at: 1 }));
    }

    #[test]
    fn delimiter_spanning_two_chunks() {
        let f = delim(b"\r\n\r\n");
        let mut d = Deframer::new(f);
        assert!(d.push(b"one\r\n").is_empty());
        assert!(d.push(b"\r").is_empty());
        assert_eq!(d.push(b"\ntwo\r\n\r"), vec![b"one".to_vec()]);
        assert_eq!(d.pending(), 6);
        assert_eq!(d.push(b"\n"), vec![b"two".to_vec()]);
        for step in 1..10 {
            assert_eq!(
                round_trip(f, &[b"a\r\nb", b"", b"\r\n\r"], step),
                vec![b"a\r\nb".to_vec(), vec![], b"\r\n\r".to_vec()]
            );
        }
    }

    #[test]
    fn delimiter_overlapping_payload_end_is_refused() {
        // "xa" + "aa" = "xaaa": the receiver would end the message after "x".
        assert_eq!(delim(b"aa").encode(b"xa"), Err(FramingError::DelimiterInPayload { at: 1 }));
        assert_eq!(delim(b"|").encode(b"a|b"), Err(FramingError::DelimiterInPayload { at: 1 }));
        // "xa" + "ab" = "xaab": the first "ab" is the delimiter itself.
        assert_eq!(round_trip(delim(b"ab"), &[b"xa", b"b"], 1), vec![b"xa".to_vec(), b"b".to_vec()]);
    }

    #[test]
    fn fixed_with_padding() {
        let f = Framing::Fixed(4);
        assert_eq!(f.encode(b"ab").unwrap(), b"ab\0\0");
        assert_eq!(f.encode(b"abcd").unwrap(), b"abcd");
        assert_eq!(f.encode(b"abcde"), Err(FramingError::TooLong { len: 5, max: 4 }));
        for step in 1..6 {
            assert_eq!(
                round_trip(f, &[b"ab", b"", b"wxyz"], step),
                vec![b"ab\0\0".to_vec(), vec![0; 4], b"wxyz".to_vec()]
            );
        }
        let mut d = Deframer::new(f);
        assert_eq!(d.push(b"abcdef"), vec![b"abcd".to_vec()]);
        assert_eq!(d.finish(), Some(b"ef".to_vec()));
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn fixed_out_of_range_is_refused_but_deframing_is_safe() {
        assert_eq!(Framing::Fixed(0).encode(b""), Err(FramingError::ZeroFixed));
        assert_eq!(Framing::Fixed(MAX_FIXED + 1).encode(b""), Err(FramingError::FixedTooLarge { size: 1048577 }));
        // Made directly (or deserialized), not parsed: clamped.
        assert_eq!(Framing::Fixed(0).max_message(), 1);
        assert_eq!(Framing::Fixed(u32::MAX).max_message(), MAX_FIXED as usize);
        assert_eq!(Deframer::new(Framing::Fixed(0)).push(b"ab"), vec![b"a".to_vec(), b"b".to_vec()]);
    }

    #[test]
    fn length_prefixed_round_trips() {
        assert_eq!(Framing::Len8.encode(b"hi").unwrap(), b"\x02hi");
        assert_eq!(Framing::Len16.encode(b"hi").unwrap(), b"\x00\x02hi");
        assert_eq!(Framing::Len32.encode(b"").unwrap(), b"\0\0\0\0");
        let long = vec![7u8; 300];
        for f in [Framing::Len8, Framing::Len16, Framing::Len32] {
            for step in [1, 2, 3, 5, 64] {
                let msgs: [&[u8]; 3] = [b"abc", b"", if f == Framing::Len8 { b"z" } else { &long }];
                let got = round_trip(f, &msgs, step);
                assert_eq!(got, msgs.iter().map(|m| m.to_vec()).collect::<Vec<_>>(), "{f} step {step}");
            }
        }
    }

    #[test]
    fn len16_header_split_across_chunks() {
        let mut d = Deframer::new(Framing::Len16);
        assert!(d.push(b"\x01").is_empty());
        assert_eq!(d.pending(), 1);
        assert!(d.push(b"\x02").is_empty());
        let body = vec![b'x'; 0x0102];
        assert!(d.push(&body[..100]).is_empty());
        assert_eq!(d.pending(), 102);
        let mut rest = body[100..].to_vec();
        rest.extend_from_slice(b"\x00\x01!\x00");
        assert_eq!(d.push(&rest), vec![body.clone(), b"!".to_vec()]);
        assert_eq!(d.finish(), Some(vec![0]));
    }

    #[test]
    fn too_long_for_the_header() {
        assert_eq!(Framing::Len8.encode(&[0; 256]), Err(FramingError::TooLong { len: 256, max: 255 }));
        assert_eq!(Framing::Len16.encode(&[0; 65536]), Err(FramingError::TooLong { len: 65536, max: 65535 }));
        assert!(Framing::Len16.encode(&[0; 65535]).is_ok());
        let big = vec![0; MAX_MESSAGE + 1];
        assert_eq!(Framing::Len32.encode(&big), Err(FramingError::TooLong { len: MAX_MESSAGE + 1, max: MAX_MESSAGE }));
        assert!(Framing::Line.encode(&big).is_err());
        assert!(Framing::None.encode(&big).is_ok());
    }

    #[test]
    fn huge_length_header_is_delivered_in_pieces() {
        let mut d = Deframer::with_limit(Framing::Len32, 4);
        // Announces 10 bytes with a limit of 4: pieces 4 + 4 + 2, then the next message is whole.
        let frames = d.push_frames(b"\x00\x00\x00\x0aabcdefghij\x00\x00\x00\x02ok");
        let piece = |p: &[u8], partial| Frame { payload: p.to_vec(), partial };
        assert_eq!(frames, vec![piece(b"abcd", true), piece(b"efgh", true), piece(b"ij", true), piece(b"ok", false)]);
        assert_eq!(d.oversized(), 1);

        // A hostile 4 GiB header: memory stays bounded however much follows.
        let mut d = Deframer::new(Framing::Len32);
        assert!(d.push(&[0xff; 4]).is_empty());
        assert_eq!(d.oversized(), 1);
        let chunk = vec![0u8; 1 << 20];
        let mut delivered = 0;
        for _ in 0..40 {
            delivered += d.push(&chunk).iter().map(Vec::len).sum::<usize>();
            assert!(d.pending() <= d.max_message() + 8);
        }
        assert_eq!(delivered, 2 * MAX_MESSAGE);
    }

    #[test]
    fn missing_delimiter_is_delivered_in_pieces() {
        let mut d = Deframer::with_limit(Framing::Line, 3);
        let frames = d.push_frames(b"abcdefg");
        assert_eq!(frames, vec![Frame { payload: b"abc".to_vec(), partial: true }]);
        // "defg" is kept: a 3-byte line with its "\r\n" takes 5 bytes, so 4 may still be one.
        assert_eq!(d.pending(), 4);
        let frames = d.push_frames(b"h\r\nxyz\n");
        assert_eq!(
            frames.iter().map(|f| (f.payload.as_slice(), f.partial)).collect::<Vec<_>>(),
            vec![(&b"def"[..], true), (b"gh", true), (b"xyz", false)]
        );
        assert_eq!(d.oversized(), 1);

        // A \r\n line of exactly the limit is whole.
        let mut d = Deframer::with_limit(Framing::Line, 3);
        assert_eq!(d.push_frames(b"abc\r\n"), vec![Frame { payload: b"abc".to_vec(), partial: false }]);
        // One byte over, found at once: two pieces.
        let frames = d.push_frames(b"abcd\n");
        assert_eq!(frames.iter().map(|f| f.partial).collect::<Vec<_>>(), vec![true, true]);
        assert_eq!(d.oversized(), 1);

        // A long stream without a delimiter: memory stays bounded.
        let mut d = Deframer::with_limit(delim(b"\0\0"), 100);
        for _ in 0..50 {
            d.push(&[1; 37]);
            assert!(d.pending() <= 100 + 8);
        }
        assert_eq!(d.oversized(), 1);
    }

    #[test]
    fn finish_returns_leftovers_and_resets() {
        let mut d = Deframer::new(Framing::Len8);
        assert!(d.push(b"\x05ab").is_empty());
        assert_eq!(d.finish(), Some(b"\x05ab".to_vec()));
        assert_eq!(d.finish(), None);
        assert_eq!(d.push(b"\x01z"), vec![b"z".to_vec()]);
        let mut d = Deframer::new(Framing::Line);
        d.push(b"no newline");
        assert_eq!(d.finish(), Some(b"no newline".to_vec()));
    }

    #[test]
    fn parse_and_cli_name_round_trip() {
        let all = [
            Framing::None,
            Framing::Line,
            delim(b"\r\n"),
            delim(b"|"),
            delim(&[0, 1, 2, 3, 4, 5, 6, 0xff]),
            Framing::Fixed(1),
            Framing::Fixed(16),
            Framing::Fixed(MAX_FIXED),
            Framing::Len8,
            Framing::Len16,
            Framing::Len32,
        ];
        for f in all {
            assert_eq!(Framing::parse(&f.cli_name()), Ok(f), "{}", f.cli_name());
            assert_eq!(f.to_string().parse::<Framing>(), Ok(f));
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(serde_json::from_str::<Framing>(&json).unwrap(), f, "{json}");
        }
        assert_eq!(delim(b"\r\n").cli_name(), "delim:0d0a");
        assert_eq!(Framing::Fixed(16).cli_name(), "fixed:16");
    }

    #[test]
    fn parse_spellings() {
        assert_eq!(Framing::parse(" LINE "), Ok(Framing::Line));
        assert_eq!(Framing::parse("Fixed: 8"), Ok(Framing::Fixed(8)));
        assert_eq!(Framing::parse("delim:0d 0a"), Ok(delim(b"\r\n")));
        assert_eq!(Framing::parse("delim:0x7c"), Ok(delim(b"|")));
    }

    #[test]
    fn parse_errors() {
        assert_eq!(Framing::parse("lines"), Err(FramingError::Unknown("lines".into())));
        assert_eq!(Framing::parse("line:2"), Err(FramingError::Unknown("line:2".into())));
        assert_eq!(Framing::parse("len64"), Err(FramingError::Unknown("len64".into())));
        assert_eq!(Framing::parse("fixed:abc"), Err(FramingError::BadNumber("abc".into())));
        assert_eq!(Framing::parse("fixed"), Err(FramingError::BadNumber(String::new())));
        assert_eq!(Framing::parse("fixed:-1"), Err(FramingError::BadNumber("-1".into())));
        assert_eq!(Framing::parse("fixed:0"), Err(FramingError::ZeroFixed));
        assert_eq!(Framing::parse("fixed:1048577"), Err(FramingError::FixedTooLarge { size: 1048577 }));
        assert_eq!(Framing::parse("fixed:99999999999"), Err(FramingError::FixedTooLarge { size: 99999999999 }));
        let bad = |p| Err(FramingError::BadDelimiter(p));
        assert_eq!(Framing::parse("delim:"), bad(DelimiterProblem::Empty));
        assert_eq!(Framing::parse("delim"), bad(DelimiterProblem::Empty));
        assert_eq!(Framing::parse("delim:0g"), bad(DelimiterProblem::Hex(CodecError::BadHexDigit { ch: 'g', pos: 1 })));
        assert_eq!(Framing::parse("delim:0d0"), bad(DelimiterProblem::Hex(CodecError::OddHexLength { digits: 3 })));
        assert_eq!(Framing::parse("delim:000102030405060708"), bad(DelimiterProblem::TooLong { len: 9 }));
    }

    #[test]
    fn delimiter_bytes_checks_length_when_deserialized() {
        assert!(serde_json::from_str::<Framing>(r#"{"Delimiter":[]}"#).is_err());
        assert!(serde_json::from_str::<Framing>(r#"{"Delimiter":[1,2,3,4,5,6,7,8,9]}"#).is_err());
        assert_eq!(serde_json::from_str::<Framing>(r#"{"Delimiter":[124]}"#).unwrap(), delim(b"|"));
        assert_eq!(format!("{:?}", delim(b"\r\n")), "Delimiter(DelimiterBytes(0d0a))");
    }
}
