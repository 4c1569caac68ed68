//! Rendering a template for one message: values first, then the lengths, then the checksums
//! (a checksum may cover a length or another checksum, never itself).

use std::ops::Range;

use super::{
    ByteRange, MAX_OUTPUT, Part, PartKind, RxPart, Template, TemplateError, TemplateProblem as P,
};

/// The received message a rule's reply may quote.
#[derive(Clone, Copy, Debug)]
pub struct Received<'a> {
    pub data: &'a [u8],
    /// Regex capture groups 1..=9 (`captures[0]` is group 1).
    pub captures: &'a [Option<&'a str>],
}

/// The bytes of one message and where its fields landed (the preview highlights them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rendered {
    pub bytes: Vec<u8>,
    pub spans: Vec<Span>,
}

/// One field in the rendered bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// Its bytes in [`Rendered::bytes`].
    pub bytes: Range<usize>,
    /// Its characters in the template.
    pub src: Range<usize>,
    pub kind: SpanKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    /// A variable (sequence number, time, random, received).
    Value,
    /// A length field.
    Length,
    /// A checksum.
    Checksum,
}

impl Template {
    /// Message number `n` (1-based, per socket), with the received message if there is one
    /// (without one, `${rx…}` fields are empty).
    pub fn render(&self, n: u64, rx: Option<Received<'_>>) -> Result<Rendered, TemplateError> {
        let mut out = Rendered::default();
        // Computed fields, filled once every other byte is known: (part, bytes).
        let mut computed: Vec<(&Part, Range<usize>)> = Vec::new();
        for part in &self.parts {
            let start = out.bytes.len();
            let kind = match &part.kind {
                PartKind::Bytes(b) => {
                    push(&mut out.bytes, b, part)?;
                    continue;
                }
                PartKind::Sum { algo, .. } => {
                    push(&mut out.bytes, &vec![0; algo.width()], part)?;
                    computed.push((part, start..out.bytes.len()));
                    SpanKind::Checksum
                }
                PartKind::Len { width, .. } => {
                    push(&mut out.bytes, &vec![0; width.bytes()], part)?;
                    computed.push((part, start..out.bytes.len()));
                    SpanKind::Length
                }
                kind => {
                    let value = self.value(kind, n, rx)?;
                    push(&mut out.bytes, &value, part)?;
                    SpanKind::Value
                }
            };
            out.spans.push(Span { bytes: start..out.bytes.len(), src: part.src.clone(), kind });
        }
        fill_lengths(&mut out.bytes, &computed)?;
        fill_checksums(&mut out.bytes, &computed)?;
        Ok(out)
    }

    /// The bytes of a variable.
    fn value(&self, kind: &PartKind, n: u64, rx: Option<Received<'_>>) -> Result<Vec<u8>, TemplateError> {
        Ok(match kind {
            PartKind::Seq { start, step, width, bin } => {
                let v = start.wrapping_add(n.saturating_sub(1).wrapping_mul(*step));
                match bin {
                    // A number too big for its width wraps, as a counter on the wire does.
                    Some(w) => w.encode(v & w.max()).unwrap_or_default(),
                    None => format!("{v:0width$}").into_bytes(),
                }
            }
            PartKind::Time(fmt) => {
                // Checked when compiled: the format works and the encoding can write it.
                let s = jiff::fmt::strtime::format(fmt.as_str(), &jiff::Zoned::now()).unwrap_or_default();
                self.encoding.encode(&s).unwrap_or_else(|_| s.into_bytes())
            }
            PartKind::UnixMs => jiff::Timestamp::now().as_millisecond().to_string().into_bytes(),
            PartKind::Uuid => {
                let bytes: [u8; 16] = std::array::from_fn(|_| fastrand::u8(..));
                uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string().into_bytes()
            }
            PartKind::Rand { lo, hi } => fastrand::u64(*lo..=*hi).to_string().into_bytes(),
            PartKind::RandomBytes(len) => std::iter::repeat_with(|| fastrand::u8(..)).take(*len).collect(),
            PartKind::Rx(part) => match rx {
                None => Vec::new(),
                Some(rx) => received(*part, rx, self.encoding),
            },
            PartKind::Bytes(b) => b.clone(),
            PartKind::Sum { .. } | PartKind::Len { .. } => Vec::new(),
        })
    }
}

fn push(out: &mut Vec<u8>, bytes: &[u8], part: &Part) -> Result<(), TemplateError> {
    if out.len() + bytes.len() > MAX_OUTPUT {
        return Err(TemplateError::at(part.src.start, P::TooBig { max: MAX_OUTPUT }));
    }
    out.extend_from_slice(bytes);
    Ok(())
}

fn received(part: RxPart, rx: Received<'_>, encoding: crate::codec::Encoding) -> Vec<u8> {
    match part {
        RxPart::All => rx.data.to_vec(),
        RxPart::Line => {
            let line = rx.data.split(|&b| b == b'\n').next().unwrap_or_default();
            line.strip_suffix(b"\r").unwrap_or(line).to_vec()
        }
        RxPart::Capture(k) => match k.checked_sub(1).and_then(|k| rx.captures.get(k)) {
            Some(Some(g)) => encoding.encode(g).unwrap_or_else(|_| g.as_bytes().to_vec()),
            _ => Vec::new(),
        },
        // A range past the end of a short message takes what there is.
        RxPart::Bytes(r) => {
            let from = r.from.unwrap_or(0).min(rx.data.len());
            let to = r.to.unwrap_or(rx.data.len()).clamp(from, rx.data.len());
            rx.data.get(from..to).unwrap_or_default().to_vec()
        }
    }
}

/// A field's range in a message of `len` bytes, `default` filling a missing end.
fn resolve(r: ByteRange, default: Range<usize>, len: usize, part: &Part) -> Result<Range<usize>, TemplateError> {
    let from = r.from.unwrap_or(default.start);
    let to = r.to.unwrap_or(default.end);
    if from > to || to > len {
        return Err(TemplateError::at(part.src.start, P::RangeOutside { from, to, len }));
    }
    Ok(from..to)
}

fn fill_lengths(bytes: &mut [u8], computed: &[(&Part, Range<usize>)]) -> Result<(), TemplateError> {
    let len = bytes.len();
    for (part, at) in computed {
        let PartKind::Len { width, range } = &part.kind else { continue };
        let r = resolve(*range, at.end..len, len, part)?;
        let count = r.len();
        let wire = u64::try_from(count).ok().and_then(|c| width.encode(c));
        let Some(wire) = wire else {
            return Err(TemplateError::at(part.src.start, P::LengthTooBig { len: count, max: width.max() }));
        };
        if let Some(dst) = bytes.get_mut(at.clone()) {
            dst.copy_from_slice(&wire);
        }
    }
    Ok(())
}

fn fill_checksums(bytes: &mut [u8], computed: &[(&Part, Range<usize>)]) -> Result<(), TemplateError> {
    let len = bytes.len();
    // Each checksum with its resolved range; computed in an order where no checksum covers
    // one still to be computed.
    let mut todo = Vec::new();
    for (part, at) in computed {
        let PartKind::Sum { algo, order, range } = &part.kind else { continue };
        // Up to the checksum when it comes after the start of its range, else to the end.
        let end = if range.from.unwrap_or(0) <= at.start { at.start } else { len };
        let r = resolve(*range, 0..end, len, part)?;
        if r.start < at.end && at.start < r.end {
            return Err(TemplateError::at(part.src.start, P::CoversItself));
        }
        todo.push((*part, *algo, *order, r, at.clone()));
    }
    while !todo.is_empty() {
        let ready = todo.iter().position(|(_, _, _, r, _)| {
            !todo.iter().any(|(_, _, _, _, at)| r.start < at.end && at.start < r.end)
        });
        let Some(i) = ready else {
            let pos = todo.first().map_or(0, |t| t.0.src.start);
            return Err(TemplateError::at(pos, P::Circular));
        };
        let (_, algo, order, r, at) = todo.swap_remove(i);
        let value = algo.compute(bytes.get(r).unwrap_or_default());
        if let Some(dst) = bytes.get_mut(at) {
            dst.copy_from_slice(&algo.to_wire(value, order));
        }
    }
    Ok(())
}
