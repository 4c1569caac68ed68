//! Splitting a template into literal bytes and fields, each checked once.

use super::{
    ByteRange, Checksum, Expected as X, IntWidth, MAX_FILE, MAX_RANDOM, MAX_WIDTH, Order, Part, PartKind, RxPart,
    TemplateError, TemplateProblem as P,
};
use crate::codec::{self, CodecError, Encoding, InputMode};

/// The parts of `src`, literal runs encoded in `mode`.
pub(super) fn parse(src: &str, mode: InputMode, encoding: Encoding, escapes: bool) -> Result<Vec<Part>, TemplateError> {
    let chars: Vec<char> = src.chars().collect();
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut lit_start = 0;
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        if c == '$' && next == Some('$') && chars.get(i + 2) == Some(&'{') {
            if lit.is_empty() {
                lit_start = i;
            }
            // `$${` is a literal `${`, kept as a run of its own so hex mode sees no `$`.
            literal(&mut parts, &mut lit, lit_start, mode, encoding, escapes)?;
            push_bytes(&mut parts, b"${".to_vec(), i..i + 3);
            i += 3;
            continue;
        }
        if c == '$' && next == Some('{') {
            literal(&mut parts, &mut lit, lit_start, mode, encoding, escapes)?;
            let body_start = i + 2;
            let end = chars.get(body_start..).and_then(|rest| rest.iter().position(|&c| c == '}'));
            let Some(end) = end else { return Err(TemplateError::at(i, P::Unclosed)) };
            let body: String = chars.get(body_start..body_start + end).unwrap_or_default().iter().collect();
            let src = i..body_start + end + 1;
            let kind = field(&body, i, encoding)?;
            match kind {
                PartKind::Bytes(b) => push_bytes(&mut parts, b, src),
                kind => parts.push(Part { kind, src }),
            }
            i = body_start + end + 1;
            continue;
        }
        if lit.is_empty() {
            lit_start = i;
        }
        lit.push(c);
        i += 1;
    }
    literal(&mut parts, &mut lit, lit_start, mode, encoding, escapes)?;
    Ok(parts)
}

fn push_bytes(parts: &mut Vec<Part>, bytes: Vec<u8>, src: std::ops::Range<usize>) {
    if let Some(Part { kind: PartKind::Bytes(b), src: s }) = parts.last_mut() {
        b.extend(bytes);
        s.end = src.end;
    } else {
        parts.push(Part { kind: PartKind::Bytes(bytes), src });
    }
}

/// Encodes the literal run that starts at character `start`, errors placed in the template.
fn literal(
    parts: &mut Vec<Part>,
    lit: &mut String,
    start: usize,
    mode: InputMode,
    encoding: Encoding,
    escapes: bool,
) -> Result<(), TemplateError> {
    if lit.is_empty() {
        return Ok(());
    }
    let text = std::mem::take(lit);
    let bytes = match mode {
        InputMode::Hex => codec::parse_hex(&text),
        InputMode::Base64 => codec::parse_base64(&text),
        InputMode::Binary => codec::parse_binary(&text),
        InputMode::Text if escapes => codec::encode_escaped(&text, encoding),
        InputMode::Text => encoding.encode(&text),
    };
    let bytes = bytes.map_err(|e| codec_error(e, &text, start))?;
    let n = text.chars().count();
    push_bytes(parts, bytes, start..start + n);
    Ok(())
}

/// A codec error of a run starting at `start`, its positions made the template's.
fn codec_error(e: CodecError, text: &str, start: usize) -> TemplateError {
    let (pos, e) = match e {
        CodecError::BadHexDigit { ch, pos } => (start + pos, CodecError::BadHexDigit { ch, pos: start + pos }),
        CodecError::BadEscape { pos } => (start + pos, CodecError::BadEscape { pos: start + pos }),
        CodecError::BadBase64 { pos } => (start + pos, CodecError::BadBase64 { pos: start + pos }),
        CodecError::BadBinaryDigit { ch, pos } => (start + pos, CodecError::BadBinaryDigit { ch, pos: start + pos }),
        CodecError::Unencodable { ch, encoding } => {
            let at = text.chars().position(|c| c == ch).unwrap_or(0);
            (start + at, CodecError::Unencodable { ch, encoding })
        }
        e @ (CodecError::OddHexLength { .. } | CodecError::BinaryLength { .. }) => (start, e),
    };
    TemplateError::at(pos, P::Codec(e))
}

/// One field's body (between `${` and `}`); the field starts at character `at`.
fn field(body: &str, at: usize, encoding: Encoding) -> Result<PartKind, TemplateError> {
    let (name, arg) = match body.split_once(':') {
        Some((n, a)) => (n.trim(), Some(a)),
        None => (body.trim(), None),
    };
    let bad = |arg: &str, expected: X| {
        Err(TemplateError::at(at, P::BadArgument { field: name.to_string(), arg: arg.to_string(), expected }))
    };
    let no_arg = |kind: PartKind| match arg {
        Some(a) => bad(a, X::Nothing),
        None => Ok(kind),
    };
    if let Some(inner) = name.strip_prefix("rx[").and_then(|r| r.strip_suffix(']')) {
        let range = match parse_range(inner) {
            Some(r) if arg.is_none() => r,
            _ => return bad(inner, X::Range),
        };
        return Ok(PartKind::Rx(RxPart::Bytes(range)));
    }
    match name {
        "seq" => seq(arg.unwrap_or_default()).or_else(|(a, e)| bad(&a, e)),
        "time" => {
            let fmt = arg.unwrap_or("%Y-%m-%d %H:%M:%S").to_string();
            match jiff::fmt::strtime::format(fmt.as_str(), &jiff::Zoned::now()) {
                Ok(s) if encoding.encode(&s).is_ok() => Ok(PartKind::Time(fmt)),
                _ => bad(&fmt, X::TimeFormat),
            }
        }
        "unix_ms" => no_arg(PartKind::UnixMs),
        "uuid" => no_arg(PartKind::Uuid),
        "rand" => {
            let a = arg.unwrap_or_default();
            let r = a.split_once('-').and_then(|(lo, hi)| Some((lo.trim().parse().ok()?, hi.trim().parse().ok()?)));
            match r {
                Some((lo, hi)) if lo <= hi => Ok(PartKind::Rand { lo, hi }),
                _ => bad(a, X::RandRange),
            }
        }
        "hex" => hex(arg.unwrap_or_default()).or_else(|(a, e)| bad(&a, e)),
        "file" => match arg.map(str::trim).filter(|p| !p.is_empty()) {
            Some(path) => file(path, at),
            None => bad(arg.unwrap_or_default(), X::Path),
        },
        "rx" => no_arg(PartKind::Rx(RxPart::All)),
        "rx.line" => no_arg(PartKind::Rx(RxPart::Line)),
        "len" => {
            let mut width = None;
            let mut range = ByteRange::default();
            for a in arg.unwrap_or_default().split(',').map(str::trim) {
                match (IntWidth::by_name(a), parse_range(a)) {
                    (Some(w), _) if width.is_none() => width = Some(w),
                    (None, Some(r)) => range = r,
                    _ => return bad(a, X::LenOptions),
                }
            }
            match width {
                Some(width) => Ok(PartKind::Len { width, range }),
                None => bad(arg.unwrap_or_default(), X::LenOptions),
            }
        }
        _ => {
            if let Some(n) = name.strip_prefix("rx.").and_then(|d| d.parse::<usize>().ok()).filter(|n| (1..=9).contains(n))
            {
                return no_arg(PartKind::Rx(RxPart::Capture(n)));
            }
            let Some(algo) = Checksum::by_name(name) else {
                return Err(TemplateError::at(at, P::UnknownField { name: name.to_string() }));
            };
            let mut order = algo.default_order();
            let mut range = ByteRange::default();
            for a in arg.unwrap_or_default().split(',').map(str::trim).filter(|a| !a.is_empty()) {
                match (a, parse_range(a)) {
                    ("le", _) => order = Order::Little,
                    ("be", _) => order = Order::Big,
                    (_, Some(r)) => range = r,
                    _ => return bad(a, X::SumOptions),
                }
            }
            Ok(PartKind::Sum { algo, order, range })
        }
    }
}

/// `FROM..TO`, either end left out; `None` when it is not one.
fn parse_range(s: &str) -> Option<ByteRange> {
    let (from, to) = s.split_once("..")?;
    let num = |t: &str| -> Option<Option<usize>> {
        let t = t.trim();
        if t.is_empty() { Some(None) } else { t.parse().ok().map(Some) }
    };
    let r = ByteRange { from: num(from)?, to: num(to)? };
    match (r.from, r.to) {
        (Some(a), Some(b)) if a > b => None,
        _ => Some(r),
    }
}

type ArgResult = Result<PartKind, (String, X)>;

/// `${seq:start=N,step=N,width=N,u16be}`, each optional.
fn seq(arg: &str) -> ArgResult {
    const EXPECTED: X = X::SeqOptions;
    let (mut start, mut step, mut width, mut bin) = (1u64, 1u64, 0usize, None);
    for a in arg.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        let num = |v: &str| v.trim().parse::<u64>().map_err(|_| (a.to_string(), EXPECTED));
        match a.split_once('=') {
            Some(("start", v)) => start = num(v)?,
            Some(("step", v)) => step = num(v)?,
            Some(("width", v)) => {
                width = usize::try_from(num(v)?).ok().filter(|&w| w <= MAX_WIDTH).ok_or((a.to_string(), EXPECTED))?
            }
            _ => bin = Some(IntWidth::by_name(a).ok_or((a.to_string(), EXPECTED))?),
        }
    }
    Ok(PartKind::Seq { start, step, width, bin })
}

/// `${hex:BYTES}` or `${hex:RANDOM N}`.
fn hex(arg: &str) -> ArgResult {
    const EXPECTED: X = X::HexOrRandom;
    let mut words = arg.split_whitespace();
    if words.next().is_some_and(|w| w.eq_ignore_ascii_case("random")) {
        let n = words.next().and_then(|n| n.parse::<usize>().ok()).filter(|n| (1..=MAX_RANDOM).contains(n));
        return match (n, words.next()) {
            (Some(n), None) => Ok(PartKind::RandomBytes(n)),
            _ => Err((arg.to_string(), EXPECTED)),
        };
    }
    match codec::parse_hex(arg) {
        Ok(b) if !b.is_empty() => Ok(PartKind::Bytes(b)),
        _ => Err((arg.to_string(), EXPECTED)),
    }
}

/// `${file:PATH}`: the file's bytes, read now.
fn file(path: &str, at: usize) -> Result<PartKind, TemplateError> {
    let fail = |error: String| Err(TemplateError::at(at, P::File { path: path.to_string(), error }));
    match std::fs::metadata(path) {
        Ok(m) if m.len() > MAX_FILE => {
            Err(TemplateError::at(at, P::FileTooBig { path: path.to_string(), max: MAX_FILE }))
        }
        // A folder: reading it says "Is a directory" in the system's words.
        Ok(_) => match std::fs::read(path) {
            Ok(b) => Ok(PartKind::Bytes(b)),
            Err(e) => fail(e.to_string()),
        },
        Err(e) => fail(e.to_string()),
    }
}
