//! The framed protocol's header lines, and an incremental parser that copes with any split of
//! the bytes (TCP is a stream: a header may arrive one byte at a time, or together with the
//! first bytes of the file).
//!
//! ```text
//! client: GET <offset> <name>\n
//! server: OK <size> <sha256-hex>\n  then bytes offset..size, then close
//!     or: ERR <code> <message>\n    then close
//! ```

#![allow(clippy::indexing_slicing, reason = "offsets found by searching the same line buffer")]

use std::marker::PhantomData;

use super::error::Malformed;
use super::hex;

/// The longest header line, newline included.
pub const MAX_LINE: usize = 2048;
/// The longest `ERR` message the server sends.
const MAX_MESSAGE: usize = 1500;

/// Why the server says no (`ERR <code> …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrCode {
    BadRequest,
    NotFound,
    Refused,
    TooBig,
    BadOffset,
    /// The server could not read the file (permissions, disk error).
    IoError,
    /// The server is serving as many clients as it may; try again later.
    Busy,
}

impl ErrCode {
    pub const ALL: [ErrCode; 7] = [
        ErrCode::BadRequest,
        ErrCode::NotFound,
        ErrCode::Refused,
        ErrCode::TooBig,
        ErrCode::BadOffset,
        ErrCode::IoError,
        ErrCode::Busy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrCode::BadRequest => "bad_request",
            ErrCode::NotFound => "not_found",
            ErrCode::Refused => "refused",
            ErrCode::TooBig => "too_big",
            ErrCode::BadOffset => "bad_offset",
            ErrCode::IoError => "io_error",
            ErrCode::Busy => "busy",
        }
    }

    pub fn parse(s: &str) -> Option<ErrCode> {
        ErrCode::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// `GET <offset> <name>`: the whole file from byte `offset`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub offset: u64,
    pub name: String,
}

/// The server's header line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// `size` and SHA-256 of the whole file (not just the part after the offset).
    Ok {
        size: u64,
        sha256: [u8; 32],
    },
    Err {
        code: ErrCode,
        message: String,
    },
}

/// A header line type the [`LineParser`] can produce.
pub trait Header: Sized {
    /// Parses one line without its `\n` (a trailing `\r`, as `nc -C` sends, is already gone).
    fn parse_line(line: &[u8]) -> Result<Self, Malformed>;
}

impl Request {
    /// The request line. Names with a newline, or ending in `\r`, cannot be sent.
    pub fn encode(&self) -> Result<Vec<u8>, Malformed> {
        if self.name.contains('\n') || self.name.ends_with('\r') {
            return Err(Malformed::MissingField);
        }
        let line = format!("GET {} {}\n", self.offset, self.name).into_bytes();
        if line.len() > MAX_LINE {
            return Err(Malformed::LineTooLong);
        }
        Ok(line)
    }
}

impl Header for Request {
    fn parse_line(line: &[u8]) -> Result<Request, Malformed> {
        let line = std::str::from_utf8(line).map_err(|_| Malformed::NotUtf8)?;
        let rest = line.strip_prefix("GET ").ok_or(Malformed::NotGet)?;
        let (offset, name) = rest.split_once(' ').ok_or(Malformed::MissingField)?;
        Ok(Request { offset: decimal(offset)?, name: name.to_string() })
    }
}

impl Response {
    /// An `ERR` answer; the message is made safe for one line (control characters become spaces,
    /// long messages are cut).
    pub fn error(code: ErrCode, message: &str) -> Response {
        let mut m: String = message.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        if m.len() > MAX_MESSAGE {
            let mut end = MAX_MESSAGE;
            while !m.is_char_boundary(end) {
                end -= 1;
            }
            m.truncate(end);
        }
        Response::Err { code, message: m }
    }

    pub fn encode(&self) -> Vec<u8> {
        match self {
            Response::Ok { size, sha256 } => format!("OK {size} {}\n", hex(sha256)).into_bytes(),
            Response::Err { code, message } => {
                let clean = match Response::error(*code, message) {
                    Response::Err { message, .. } => message,
                    Response::Ok { .. } => unreachable!("error() builds an Err"),
                };
                format!("ERR {} {clean}\n", code.as_str()).into_bytes()
            }
        }
    }
}

impl Header for Response {
    fn parse_line(line: &[u8]) -> Result<Response, Malformed> {
        let line = std::str::from_utf8(line).map_err(|_| Malformed::NotUtf8)?;
        if let Some(rest) = line.strip_prefix("OK ") {
            let (size, sum) = rest.split_once(' ').ok_or(Malformed::MissingField)?;
            return Ok(Response::Ok { size: decimal(size)?, sha256: parse_sha256(sum)? });
        }
        if let Some(rest) = line.strip_prefix("ERR ") {
            let (code, message) = rest.split_once(' ').unwrap_or((rest, ""));
            let code = ErrCode::parse(code).ok_or(Malformed::UnknownCode)?;
            return Ok(Response::Err { code, message: message.to_string() });
        }
        Err(Malformed::NotOkOrErr)
    }
}

/// A decimal `u64`: digits only (no sign, no spaces), at most 20 of them.
fn decimal(s: &str) -> Result<u64, Malformed> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Malformed::BadNumber);
    }
    s.parse().map_err(|_| Malformed::BadNumber)
}

/// 64 hexadecimal digits (either case).
pub fn parse_sha256(s: &str) -> Result<[u8; 32], Malformed> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return Err(Malformed::BadChecksum);
    }
    let digit = |c: u8| (c as char).to_digit(16).ok_or(Malformed::BadChecksum);
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (digit(b[2 * i])? << 4 | digit(b[2 * i + 1])?) as u8;
    }
    Ok(out)
}

/// Collects one header line from pieces of a stream. Holds at most [`MAX_LINE`] bytes.
#[derive(Debug)]
pub struct LineParser<T> {
    buf: Vec<u8>,
    _header: PhantomData<fn() -> T>,
}

impl<T: Header> Default for LineParser<T> {
    fn default() -> Self {
        LineParser::new()
    }
}

impl<T: Header> LineParser<T> {
    pub fn new() -> Self {
        LineParser { buf: Vec::new(), _header: PhantomData }
    }

    /// Feeds the next bytes. `Ok(None)`: the line is not complete yet. `Ok(Some((header, used)))`:
    /// the first `used` bytes of `data` finished the line (newline included); the rest is body.
    /// After a result (or an error) the parser starts over with an empty line.
    pub fn push(&mut self, data: &[u8]) -> Result<Option<(T, usize)>, Malformed> {
        let room = MAX_LINE - self.buf.len();
        let look = &data[..data.len().min(room)];
        match look.iter().position(|&b| b == b'\n') {
            Some(i) => {
                self.buf.extend_from_slice(&look[..i]);
                let mut line = std::mem::take(&mut self.buf);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                T::parse_line(&line).map(|h| Some((h, i + 1)))
            }
            None => {
                self.buf.extend_from_slice(look);
                if self.buf.len() >= MAX_LINE {
                    self.buf.clear();
                    return Err(Malformed::LineTooLong);
                }
                Ok(None)
            }
        }
    }

    /// Bytes of an unfinished line held so far.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parse_all<T: Header>(pieces: &[&[u8]]) -> Result<Option<(T, usize)>, Malformed> {
        let mut p = LineParser::<T>::new();
        for (i, piece) in pieces.iter().enumerate() {
            if let Some((h, used)) = p.push(piece)? {
                assert_eq!(i, pieces.len() - 1, "the last piece finished it");
                return Ok(Some((h, used)));
            }
        }
        Ok(None)
    }

    #[test]
    fn requests_and_answers_parse() {
        let r = parse_all::<Request>(&[b"GET 0 a.txt\n"]).unwrap().unwrap();
        assert_eq!(r, (Request { offset: 0, name: "a.txt".into() }, 12));
        let r = parse_all::<Request>(&[b"GE", b"T 12 sub/dir/", b"x y.txt\r", b"\nBODY"]).unwrap().unwrap();
        assert_eq!(r, (Request { offset: 12, name: "sub/dir/x y.txt".into() }, 1));
        let sum = [0xabu8; 32];
        let ok = Response::Ok { size: 5, sha256: sum };
        let line = ok.encode();
        assert_eq!(line, format!("OK 5 {}\n", "ab".repeat(32)).into_bytes());
        assert_eq!(parse_all::<Response>(&[&line]).unwrap().unwrap().0, ok);
        let err = parse_all::<Response>(&[b"ERR too_big file.bin is big\n"]).unwrap().unwrap().0;
        assert_eq!(err, Response::Err { code: ErrCode::TooBig, message: "file.bin is big".into() });
        assert_eq!(
            parse_all::<Response>(&[b"ERR refused\n"]).unwrap().unwrap().0,
            Response::Err { code: ErrCode::Refused, message: String::new() }
        );
    }

    #[test]
    fn garbage_is_a_clear_error() {
        assert_eq!(parse_all::<Request>(&[b"PUT 0 a\n"]), Err(Malformed::NotGet));
        assert_eq!(parse_all::<Request>(&[b"GET -1 a\n"]), Err(Malformed::BadNumber));
        assert_eq!(parse_all::<Request>(&[b"GET 99999999999999999999 a\n"]), Err(Malformed::BadNumber));
        assert_eq!(parse_all::<Request>(&[b"GET 0\n"]), Err(Malformed::MissingField));
        assert_eq!(parse_all::<Request>(&[b"GET 0 \xff\n"]), Err(Malformed::NotUtf8));
        assert_eq!(parse_all::<Response>(&[b"HTTP/1.1 200 OK\n"]), Err(Malformed::NotOkOrErr));
        assert_eq!(parse_all::<Response>(&[b"OK 1 abc\n"]), Err(Malformed::BadChecksum));
        assert_eq!(parse_all::<Response>(&[b"ERR teapot x\n"]), Err(Malformed::UnknownCode));
        let long = vec![b'a'; MAX_LINE];
        assert_eq!(parse_all::<Request>(&[&long]), Err(Malformed::LineTooLong));
        let mut fits = b"GET 0 ".to_vec();
        fits.resize(MAX_LINE - 1, b'n');
        fits.push(b'\n');
        assert!(parse_all::<Request>(&[&fits]).unwrap().is_some(), "2047 bytes and a newline fit");
        assert!(Request { offset: 0, name: "a\nb".into() }.encode().is_err());
    }

    #[test]
    fn error_messages_stay_on_one_line() {
        let r = Response::error(ErrCode::Refused, "two\nlines");
        assert_eq!(r.encode(), b"ERR refused two lines\n");
        let long = Response::error(ErrCode::NotFound, &"é".repeat(2000)).encode();
        assert!(long.len() < MAX_LINE);
        assert!(std::str::from_utf8(&long).is_ok());
    }

    fn name() -> impl Strategy<Value = String> {
        "[^\n]{0,300}".prop_filter("no trailing CR", |s| !s.ends_with('\r'))
    }

    fn code() -> impl Strategy<Value = ErrCode> {
        prop::sample::select(ErrCode::ALL.to_vec())
    }

    /// Feeds `bytes` cut at `cuts`, returns the parse result and how many bytes it used.
    fn split_parse<T: Header>(bytes: &[u8], cuts: &[usize]) -> Result<Option<(T, usize)>, Malformed> {
        let mut p = LineParser::<T>::new();
        let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        points.dedup();
        for w in points.windows(2) {
            if let Some((h, used)) = p.push(&bytes[w[0]..w[1]])? {
                return Ok(Some((h, w[0] + used)));
            }
        }
        Ok(None)
    }

    proptest! {
        #[test]
        fn request_round_trips_through_any_split(offset: u64, name in name(), cuts in prop::collection::vec(any::<usize>(), 0..8), tail in prop::collection::vec(any::<u8>(), 0..20)) {
            let req = Request { offset, name };
            let line = req.encode().unwrap();
            let mut bytes = line.clone();
            bytes.extend(&tail);
            let (got, used) = split_parse::<Request>(&bytes, &cuts).unwrap().unwrap();
            prop_assert_eq!(got, req);
            prop_assert_eq!(used, line.len());
        }

        #[test]
        fn response_round_trips_through_any_split(size: u64, sha: [u8; 32], code in code(), message in "[^\\p{Cc}]{0,200}", ok: bool, cuts in prop::collection::vec(any::<usize>(), 0..8)) {
            let resp = if ok { Response::Ok { size, sha256: sha } } else { Response::Err { code, message } };
            let line = resp.encode();
            let (got, used) = split_parse::<Response>(&line, &cuts).unwrap().unwrap();
            prop_assert_eq!(got, resp);
            prop_assert_eq!(used, line.len());
        }

        #[test]
        fn arbitrary_bytes_never_panic_and_any_split_agrees(bytes in prop::collection::vec(any::<u8>(), 0..3000), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
            let whole_req = split_parse::<Request>(&bytes, &[]);
            prop_assert_eq!(split_parse::<Request>(&bytes, &cuts), whole_req);
            let whole_resp = split_parse::<Response>(&bytes, &[]);
            prop_assert_eq!(split_parse::<Response>(&bytes, &cuts), whole_resp);
        }

        #[test]
        fn arbitrary_text_lines_never_panic(line in "(GET|OK|ERR)? ?[0-9a-f ]{0,80}.{0,40}") {
            let _ = Request::parse_line(line.as_bytes());
            let _ = Response::parse_line(line.as_bytes());
        }
    }
}
