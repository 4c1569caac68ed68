//! Import of saved logs and captures back into engine [`Event`]s: socklab's JSONL records (the
//! `--log-file` export and the CLI's `--json` output, old and new) and classic pcap captures,
//! whether written by [`super::pcap::PcapWriter`] or by tcpdump, Wireshark and friends.
//!
//! A log shows one socket's view, "local" and "peer". A capture has no such view, so the import
//! picks one:
//! - TCP: the side that received the SYN (the server) is local; for a stream whose handshake is
//!   not in the capture, the side with the lower port. Payload is reported once per byte, in
//!   sequence order as captured: retransmissions and duplicates are dropped. Segments that arrive
//!   out of order are not reordered (the late one counts as a retransmission, with a warning about
//!   the gap it left).
//! - UDP: per pair of endpoints, the destination of the first datagram is local.
//!
//! Bad input never fails the whole import when some of it is usable: bad lines and packets are
//! counted in [`Imported::skipped`] and described in [`Imported::warnings`].

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::Ordering;

use jiff::Timestamp;

use crate::codec;
use crate::engine::problem::Problem;
use crate::engine::{CloseReason, ConnId, Event, EventKind, Proto};
use crate::i18n;
use crate::log::export::Progress;
use crate::log::record::close_text;

/// At most this many warnings are kept; one more line then says how many were left out.
pub const MAX_WARNINGS: usize = 20;

/// Largest payload of one event that an import accepts: the largest SockLab itself logs (a
/// framed TCP message, [`codec::framing::MAX_MESSAGE`], 16 MiB). Bigger rx/tx records are
/// skipped with a warning, so that whatever an import holds, an export writes and an import
/// reads back.
pub const MAX_PAYLOAD: usize = codec::framing::MAX_MESSAGE;

/// Longest JSONL line read (longer ones are skipped: a guard against huge binary files): the
/// longest line the JSONL export writes for a [`MAX_PAYLOAD`] payload. Its `hex` takes 3 bytes
/// per payload byte and its `text` at most 6 (a control byte is escaped as `\u0001`), plus
/// room for the other fields: 144 MiB + 64 KiB.
pub const MAX_LINE: usize = 9 * MAX_PAYLOAD + 64 * 1024;

/// Largest packet record read from a pcap file (real captures stop at a snap length of
/// 262,144 bytes); a bigger length means a corrupt file, and reading stops there.
pub const MAX_RECORD: usize = 16 * 1024 * 1024;

/// What an import produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// The events, in file order. All have `source` 0.
    pub events: Vec<Event>,
    /// Lines or packets that were not UDP/TCP or could not be parsed.
    pub skipped: usize,
    /// Human-readable notes such as `line 7: not JSON: …`; at most [`MAX_WARNINGS`] plus a
    /// count of the rest.
    pub warnings: Vec<String>,
}

/// Why nothing could be imported.
#[derive(Debug)]
pub enum ImportError {
    /// The file could not be read.
    Io(io::Error),
    /// The file is not something we can import (not pcap/JSONL, pcapng, unknown link type, …).
    Format(String),
    /// The user cancelled the import.
    Cancelled,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::Io(e) => write!(f, "cannot read the file: {e}"),
            ImportError::Format(m) => f.write_str(m),
            ImportError::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for ImportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ImportError::Io(e) => Some(e),
            ImportError::Format(_) | ImportError::Cancelled => None,
        }
    }
}

impl From<io::Error> for ImportError {
    fn from(e: io::Error) -> Self {
        ImportError::Io(e)
    }
}

/// What a streaming import ([`read_file_into`]) produced besides the events it handed over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Events handed to the sink.
    pub events: usize,
    /// As [`Imported::skipped`].
    pub skipped: usize,
    /// As [`Imported::warnings`].
    pub warnings: Vec<String>,
}

/// Collects the result: events (handed to the sink as they come), skips and a bounded list
/// of warnings.
struct Output<'s> {
    sink: &'s mut dyn FnMut(Event),
    events: usize,
    skipped: usize,
    warnings: Vec<String>,
    warnings_left_out: usize,
}

impl<'s> Output<'s> {
    fn new(sink: &'s mut dyn FnMut(Event)) -> Output<'s> {
        Output { sink, events: 0, skipped: 0, warnings: Vec::new(), warnings_left_out: 0 }
    }

    fn emit(&mut self, event: Event) {
        self.events += 1;
        (self.sink)(event);
    }

    fn warn(&mut self, msg: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(msg);
        } else {
            self.warnings_left_out += 1;
        }
    }

    /// Counts a skipped line or packet, with a warning when there is something to say.
    fn skip(&mut self, why: Option<String>) {
        self.skipped += 1;
        if let Some(msg) = why {
            self.warn(msg);
        }
    }

    fn finish(mut self) -> ImportSummary {
        if self.warnings_left_out > 0 {
            self.warnings.push(format!("… and {} more warnings", self.warnings_left_out));
        }
        ImportSummary { events: self.events, skipped: self.skipped, warnings: self.warnings }
    }
}

/// Runs a streaming import, collecting its events.
fn collect(
    read: impl FnOnce(&mut dyn FnMut(Event)) -> Result<ImportSummary, ImportError>,
) -> Result<Imported, ImportError> {
    let mut events = Vec::new();
    let summary = read(&mut |ev| events.push(ev))?;
    Ok(Imported { events, skipped: summary.skipped, warnings: summary.warnings })
}

/// Counts the bytes read through it, for the progress bar.
struct Counting<'p, R> {
    inner: R,
    progress: &'p Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.done.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// Sniffing

/// What the first bytes of a file say it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FileKind {
    Pcap,
    Pcapng,
    /// gzip-compressed: read through a decompressor (`capture.pcap.gz`, `log.jsonl.gz`).
    Gzip,
    /// Anything else: tried as JSONL.
    Other,
}

fn sniff(magic: &[u8]) -> FileKind {
    match magic.get(..4) {
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => FileKind::Pcapng,
        Some(m) if PcapFormat::from_magic(m).is_some() => FileKind::Pcap,
        _ if magic.starts_with(&[0x1f, 0x8b]) => FileKind::Gzip,
        _ => FileKind::Other,
    }
}

/// The first bytes of a stream (up to 4), without consuming them: what the first read gave
/// (a file or a decompressor gives at least 4 bytes when it has them).
fn peek_magic(r: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let buffered = r.fill_buf()?;
    Ok(buffered[..buffered.len().min(4)].to_vec())
}

const PCAPNG_MESSAGE: &str = "this is a pcapng file, which socklab cannot import yet; save it as pcap \
    (Wireshark: File › Save As… › \"Wireshark/tcpdump/… - pcap\", or `tshark -r in.pcapng -w out.pcap -F pcap`)";

/// Imports a pcap capture or a JSONL log, whichever the file is (pcapng is refused with advice).
pub fn read_file(path: &Path) -> Result<Imported, ImportError> {
    read_file_with(path, &Progress::default())
}

/// Like [`read_file`], reporting the bytes read so far in `progress.done` and stopping with
/// [`ImportError::Cancelled`] soon after `progress.cancel` is set.
pub fn read_file_with(path: &Path, progress: &Progress) -> Result<Imported, ImportError> {
    collect(|sink| read_file_into(path, progress, sink))
}

/// Buffer of the file reader.
const READ_BUFFER: usize = 256 * 1024;

/// Streams a pcap capture or a JSONL log (either of them gzip-compressed, too) into `sink`,
/// event by event: the file is never held in memory, `progress.done` counts the bytes read
/// from the file as they are read, and `progress.cancel` is looked at every
/// [`CHECK_EVERY`] packets or lines.
pub fn read_file_into(
    path: &Path,
    progress: &Progress,
    sink: &mut dyn FnMut(Event),
) -> Result<ImportSummary, ImportError> {
    let file = File::open(path)?;
    let mut r = BufReader::with_capacity(READ_BUFFER, Counting { inner: file, progress });
    let mut magic = peek_magic(&mut r)?;
    let mut gz;
    let mut r: &mut dyn BufRead = &mut r;
    if sniff(&magic) == FileKind::Gzip {
        gz = BufReader::with_capacity(READ_BUFFER, flate2::bufread::MultiGzDecoder::new(r));
        r = &mut gz;
        magic = peek_magic(&mut r).map_err(|e| match e.kind() {
            io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => {
                ImportError::Format(format!("a damaged gzip file: {e}"))
            }
            _ => ImportError::Io(e),
        })?;
    }
    if magic.is_empty() {
        return Err(ImportError::Format("the file is empty".into()));
    }
    match sniff(&magic) {
        FileKind::Pcapng => Err(ImportError::Format(PCAPNG_MESSAGE.into())),
        FileKind::Gzip => Err(ImportError::Format("a gzip file inside a gzip file: decompress it first".into())),
        FileKind::Pcap => read_pcap_stream(r, progress, sink),
        FileKind::Other => read_jsonl_stream(r, progress, sink).map_err(|e| match e {
            ImportError::Format(m) => ImportError::Format(format!("not a pcap capture or a socklab log: {m}")),
            io => io,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// JSONL

/// One JSONL line. Mirrors [`crate::log::record::Record`], but every field is optional so that
/// older CLI `--json` output (no `event`, no `proto`) imports too.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct LineRecord {
    ts: Option<String>,
    kind: Option<String>,
    event: Option<String>,
    proto: Option<Proto>,
    peer: Option<String>,
    text: Option<String>,
    hex: Option<String>,
    conn: Option<u64>,
    local: Option<String>,
    group: Option<String>,
    packets: Option<u64>,
    micros: Option<u64>,
    len: Option<u64>,
    reason: Option<CloseReason>,
    lost: Option<usize>,
}

/// What one line turned out to be.
enum Line {
    Blank,
    /// The CLI's closing summary (`"kind": "summary"`): ignored.
    Summary,
    Event {
        event: Event,
        proto_guessed: bool,
    },
}

/// What earlier lines tell about later ones.
#[derive(Default)]
struct JsonlContext {
    /// Addresses seen in `listening` events: a connection on one of their ports was accepted.
    listening: HashSet<SocketAddr>,
    /// Some event was certainly TCP.
    saw_tcp: bool,
    /// Events held back since the first one whose protocol was not in the line (old format)
    /// and was guessed to be UDP, with whether it was guessed: old-format logs hold one
    /// socket's events, so if a later one is TCP, the guessed ones are too. New-format logs
    /// (every line names its protocol) never wait here.
    held: Vec<(Event, bool)>,
}

impl JsonlContext {
    fn accepted(&self, local: SocketAddr) -> bool {
        self.listening.iter().any(|l| l.port() == local.port() && (l.ip() == local.ip() || l.ip().is_unspecified()))
    }

    /// Passes an event on, or holds it back while an earlier guess is open.
    fn event(&mut self, out: &mut Output<'_>, mut event: Event, proto_guessed: bool) {
        if proto_guessed && self.saw_tcp {
            event.proto = Proto::Tcp;
        } else if proto_guessed || !self.held.is_empty() {
            self.held.push((event, proto_guessed));
            return;
        }
        self.release(out);
        out.emit(event);
    }

    /// Passes on the held events, as TCP if a TCP event was seen since.
    fn release(&mut self, out: &mut Output<'_>) {
        for (mut ev, guessed) in self.held.drain(..) {
            if guessed && self.saw_tcp {
                ev.proto = Proto::Tcp;
            }
            out.emit(ev);
        }
    }
}

/// Imports a JSONL log: one record per line, as written by the log export or the CLI's
/// `--json`. Bad lines are skipped with a warning; if no line is a record, that is an error.
pub fn read_jsonl(mut r: impl BufRead) -> Result<Imported, ImportError> {
    collect(|sink| read_jsonl_stream(&mut r, &Progress::default(), sink))
}

/// Lines or packets read between two looks at the cancel flag.
const CHECK_EVERY: usize = 1024;

fn cancelled(progress: &Progress) -> bool {
    progress.cancel.load(Ordering::Relaxed)
}

/// Lines longer than this give their buffer back after use.
const KEEP_LINE_BUFFER: usize = 1024 * 1024;

fn read_jsonl_stream(
    r: &mut dyn BufRead,
    progress: &Progress,
    sink: &mut dyn FnMut(Event),
) -> Result<ImportSummary, ImportError> {
    let mut out = Output::new(sink);
    let mut ctx = JsonlContext::default();
    let mut buf = Vec::new();
    let mut records = 0usize;
    let mut first_problem = None;
    for line_no in 1usize.. {
        if line_no.is_multiple_of(CHECK_EVERY) && cancelled(progress) {
            return Err(ImportError::Cancelled);
        }
        let Some(complete) = read_line(r, &mut buf)? else { break };
        let parsed = if complete { parse_line(&buf, &mut ctx) } else { Err(format!("longer than {MAX_LINE} bytes")) };
        if buf.capacity() > KEEP_LINE_BUFFER {
            buf = Vec::new();
        }
        match parsed {
            Ok(Line::Blank) => {}
            Ok(Line::Summary) => records += 1,
            Ok(Line::Event { event, proto_guessed }) => {
                records += 1;
                ctx.event(&mut out, event, proto_guessed);
            }
            Err(why) => {
                let msg = format!("line {line_no}: {why}");
                first_problem.get_or_insert_with(|| msg.clone());
                out.skip(Some(msg));
            }
        }
    }
    if records == 0 {
        return Err(ImportError::Format(match first_problem {
            Some(p) => format!("no line is a log record ({p})"),
            None => "the log is empty".into(),
        }));
    }
    ctx.release(&mut out);
    Ok(out.finish())
}

/// Reads one line (without its newline) into `buf`. `None` at the end of input; `Some(false)`
/// if the line was longer than [`MAX_LINE`] (the rest of it is consumed and dropped).
fn read_line(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buf.clear();
    let n = Read::take(&mut *r, MAX_LINE as u64 + 1).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        return Ok(Some(true));
    }
    if buf.len() <= MAX_LINE {
        return Ok(Some(true)); // the last line, without a newline
    }
    // Too long: skip to the next newline without keeping anything.
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => {
                r.consume(i + 1);
                break;
            }
            None => {
                let len = chunk.len();
                r.consume(len);
            }
        }
    }
    buf.clear();
    Ok(Some(false))
}

fn parse_line(bytes: &[u8], ctx: &mut JsonlContext) -> Result<Line, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Ok(Line::Blank);
    }
    // Straight into the record (no `serde_json::Value` in between: a line may hold a 16 MiB
    // payload, whose text and hex should not be copied once more).
    let rec: LineRecord = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => format!("not a log record: {e}"),
        _ => format!("not JSON: {e}"),
    })?;
    if rec.kind.as_deref() == Some("summary") {
        return Ok(Line::Summary);
    }
    record_to_event(&rec, ctx)
}

fn record_to_event(rec: &LineRecord, ctx: &mut JsonlContext) -> Result<Line, String> {
    let ts = rec.ts.as_deref().ok_or("no \"ts\" (time stamp)")?;
    let time = ts.parse::<Timestamp>().map_err(|e| format!("bad time stamp {ts:?}: {e}"))?;
    let peer = rec.peer.as_deref().map(|p| parse_addr("peer", p)).transpose()?;
    let name = event_name(rec)?;
    let kind = event_kind(rec, name, peer, ctx)?;
    let (proto, proto_guessed) = match rec.proto {
        Some(p) => (p, false),
        None => (guess_proto(rec, &kind), true),
    };
    let proto_guessed = proto_guessed && proto == Proto::Udp;
    ctx.saw_tcp |= proto == Proto::Tcp;
    if let EventKind::Listening { local } = kind {
        ctx.listening.insert(local);
    }
    let local = match (&kind, rec.local.as_deref()) {
        (EventKind::Listening { local } | EventKind::Connected { local, .. }, _) => Some(*local),
        (_, Some(l)) => Some(parse_addr("local", l)?),
        (_, None) => None,
    };
    let event = Event { time, tab: 0, source: 0, proto, conn: rec.conn, local, peer, kind };
    Ok(Line::Event { event, proto_guessed })
}

/// The precise event name; derived from `kind` (and the text) for old logs without `event`.
fn event_name(rec: &LineRecord) -> Result<&str, String> {
    if let Some(e) = &rec.event {
        return Ok(e);
    }
    let text = rec.text.as_deref().unwrap_or_default();
    match rec.kind.as_deref() {
        Some(k @ ("rx" | "tx" | "error")) => Ok(k),
        Some("connect") => Ok("connected"),
        Some("disconnect") => Ok("closed"),
        Some("info") if text.starts_with("listening on ") => Ok("listening"),
        Some("info") if text.starts_with("connecting to ") => Ok("connecting"),
        Some("info") if text == i18n::EN.ev_half_closed => Ok("half_closed"),
        Some("info") => Err(format!("unknown info line {text:?}")),
        Some(k) => Err(format!("unknown kind {k:?}")),
        None => Err("no \"event\" or \"kind\"".into()),
    }
}

fn event_kind(rec: &LineRecord, name: &str, peer: Option<SocketAddr>, ctx: &JsonlContext) -> Result<EventKind, String> {
    let text = rec.text.as_deref().unwrap_or_default();
    Ok(match name {
        "rx" => EventKind::Rx { data: payload(rec)?, lost: rec.lost.unwrap_or(0) },
        "tx" => EventKind::Tx { data: payload(rec)? },
        "listening" => EventKind::Listening { local: local_addr(rec, "listening on ")? },
        "connecting" => {
            let peer = match peer {
                Some(p) => p,
                None => address_in_text(text, "connecting to ").ok_or("connecting without a peer address")?,
            };
            EventKind::Connecting { peer }
        }
        "connected" => {
            let local = local_addr(rec, "connected (local ")?;
            EventKind::Connected { local, inbound: ctx.accepted(local) }
        }
        "half_closed" => EventKind::HalfClosed,
        "generated" => EventKind::GeneratorDone {
            packets: rec.packets.unwrap_or(0),
            bytes: rec.len.unwrap_or(0),
            micros: rec.micros.unwrap_or(0),
        },
        "joined" | "left" => {
            let g = rec.group.as_deref().or_else(|| text.rsplit(' ').next()).unwrap_or_default();
            let group = g.parse().map_err(|_| format!("{name} without a multicast group"))?;
            EventKind::Membership { group, joined: name == "joined" }
        }
        "closed" => {
            EventKind::Closed { reason: rec.reason.or_else(|| reason_in_text(text)).unwrap_or(CloseReason::PeerClosed) }
        }
        "error" => EventKind::Error(Problem::Logged(text.to_string())),
        other => return Err(format!("unknown event {other:?}")),
    })
}

/// The bytes of an rx/tx record: from `hex`, or the text for a record without hex.
fn payload(rec: &LineRecord) -> Result<Vec<u8>, String> {
    let data = match (&rec.hex, &rec.text) {
        (Some(hex), _) => codec::parse_hex(hex).map_err(|e| format!("bad hex: {e}"))?,
        (None, Some(text)) => text.as_bytes().to_vec(),
        (None, None) => return Err("rx/tx without \"hex\"".into()),
    };
    if data.len() > MAX_PAYLOAD {
        return Err(format!("a payload of {} bytes, more than the {MAX_PAYLOAD} an event may hold", data.len()));
    }
    Ok(data)
}

/// The local address: the `local` field, else the address in the text after `prefix`.
fn local_addr(rec: &LineRecord, prefix: &str) -> Result<SocketAddr, String> {
    match &rec.local {
        Some(l) => parse_addr("local", l),
        None => address_in_text(rec.text.as_deref().unwrap_or_default(), prefix)
            .ok_or_else(|| "no \"local\" address".to_string()),
    }
}

fn address_in_text(text: &str, prefix: &str) -> Option<SocketAddr> {
    let rest = text.strip_prefix(prefix)?;
    rest.trim_end_matches(')').trim().parse().ok()
}

fn reason_in_text(text: &str) -> Option<CloseReason> {
    [CloseReason::PeerClosed, CloseReason::Reset, CloseReason::LocalClose, CloseReason::Failed]
        .into_iter()
        .find(|&r| close_text(r) == text)
}

fn parse_addr(field: &str, s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|_| format!("bad {field} address {s:?}"))
}

/// The protocol of an old record that does not say: TCP if only TCP has such events.
fn guess_proto(rec: &LineRecord, kind: &EventKind) -> Proto {
    let tcp_only = matches!(
        kind,
        EventKind::Connecting { .. } | EventKind::Connected { .. } | EventKind::HalfClosed | EventKind::Closed { .. }
    );
    if tcp_only || rec.conn.is_some() { Proto::Tcp } else { Proto::Udp }
}

// ---------------------------------------------------------------------------------------------
// pcap: file and record headers

/// Byte order and time resolution of a classic pcap file.
#[derive(Clone, Copy, Debug)]
struct PcapFormat {
    big_endian: bool,
    nanos: bool,
}

impl PcapFormat {
    fn from_magic(m: &[u8]) -> Option<PcapFormat> {
        let (big_endian, nanos) = match m {
            [0xd4, 0xc3, 0xb2, 0xa1] => (false, false),
            [0xa1, 0xb2, 0xc3, 0xd4] => (true, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => (false, true),
            [0xa1, 0xb2, 0x3c, 0x4d] => (true, true),
            _ => return None,
        };
        Some(PcapFormat { big_endian, nanos })
    }

    fn u32_at(self, b: &[u8], at: usize) -> Option<u32> {
        let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian { u32::from_be_bytes(bytes) } else { u32::from_le_bytes(bytes) })
    }

    fn time(self, secs: u32, frac: u32) -> Timestamp {
        let frac_ns = if self.nanos { i128::from(frac) } else { i128::from(frac) * 1_000 };
        // Cannot fail for u32 seconds, but a corrupt file must not panic: fall back to the epoch.
        Timestamp::from_nanosecond(i128::from(secs) * 1_000_000_000 + frac_ns).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

/// The link types we can take IP packets out of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkType {
    /// 0 (BSD loopback, host byte order) and 108 (OpenBSD loopback, network byte order).
    Null,
    Ethernet,
    /// 101, 228 and 229: the packet starts with the IP header.
    RawIp,
    LinuxSll,
    LinuxSll2,
}

impl LinkType {
    fn from_header(field: u32) -> Result<LinkType, ImportError> {
        // The upper 16 bits may carry FCS information; the link type is the lower 16.
        Ok(match field & 0xffff {
            0 | 108 => LinkType::Null,
            1 => LinkType::Ethernet,
            101 | 228 | 229 => LinkType::RawIp,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            other => {
                return Err(ImportError::Format(format!(
                    "the capture's link type {other} is not supported (supported: Ethernet, raw IP, \
                     Linux cooked SLL/SLL2, BSD loopback)"
                )));
            }
        })
    }
}

const FILE_HEADER: usize = 24;
const RECORD_HEADER: usize = 16;

/// Imports a classic pcap capture (either byte order, micro- or nanosecond time stamps).
/// UDP datagrams and TCP segments over IPv4/IPv6 become events; other packets are counted in
/// `skipped`. A truncated last record gives a warning, not an error.
pub fn read_pcap(mut bytes: &[u8]) -> Result<Imported, ImportError> {
    collect(|sink| read_pcap_stream(&mut bytes, &Progress::default(), sink))
}

/// Reads as many bytes as there are up to `buf.len()`: fewer only at the end of the input.
fn read_full(r: &mut dyn BufRead, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn read_pcap_stream(
    r: &mut dyn BufRead,
    progress: &Progress,
    sink: &mut dyn FnMut(Event),
) -> Result<ImportSummary, ImportError> {
    let mut header = [0u8; FILE_HEADER];
    let got = read_full(r, &mut header)?;
    let (format, link) = pcap_header(&header[..got])?;
    let mut out = Output::new(sink);
    let mut flows = Flows::default();
    let mut record = [0u8; RECORD_HEADER];
    let mut data = Vec::new();
    for number in 1usize.. {
        if number.is_multiple_of(CHECK_EVERY) && cancelled(progress) {
            return Err(ImportError::Cancelled);
        }
        let got = read_full(r, &mut record)?;
        if got == 0 {
            break;
        }
        let (Some(secs), Some(frac), Some(incl_len)) =
            (format.u32_at(&record[..got], 0), format.u32_at(&record[..got], 4), format.u32_at(&record[..got], 8))
        else {
            out.skip(Some(format!("packet {number}: cut off at the end of the file")));
            break;
        };
        let incl_len = incl_len as usize;
        if incl_len > MAX_RECORD {
            out.skip(Some(format!(
                "packet {number}: a record of {incl_len} bytes (more than {MAX_RECORD}): the file is damaged here, \
                 the rest is not read"
            )));
            break;
        }
        data.resize(incl_len, 0);
        if read_full(r, &mut data)? < incl_len {
            out.skip(Some(format!("packet {number}: cut off at the end of the file")));
            break;
        }
        let time = format.time(secs, frac);
        match decode_frame(link, &data) {
            Ok(Some(pkt)) => {
                if pkt.missing > 0 {
                    out.warn(format!(
                        "packet {number}: truncated by the capture's snap length: {} payload bytes kept, {} missing",
                        pkt.payload.len(),
                        pkt.missing
                    ));
                }
                flows.packet(&mut out, number, time, &pkt);
            }
            Ok(None) => out.skip(None),
            Err(why) => out.skip(Some(format!("packet {number}: {why}"))),
        }
    }
    Ok(out.finish())
}

fn pcap_header(bytes: &[u8]) -> Result<(PcapFormat, LinkType), ImportError> {
    if sniff(bytes) == FileKind::Pcapng {
        return Err(ImportError::Format(PCAPNG_MESSAGE.into()));
    }
    let format = bytes
        .get(..4)
        .and_then(PcapFormat::from_magic)
        .ok_or_else(|| ImportError::Format("not a pcap file (unknown magic number)".into()))?;
    let link = format
        .u32_at(bytes, 20)
        .ok_or_else(|| ImportError::Format("not a pcap file: the file header is cut off".into()))?;
    Ok((format, LinkType::from_header(link)?))
}

// ---------------------------------------------------------------------------------------------
// pcap: packet decoding (link layer, IP, UDP/TCP)

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;

use super::pcap::{ACK as TCP_ACK, FIN as TCP_FIN, RST as TCP_RST, SYN as TCP_SYN};

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// A UDP datagram or TCP segment taken out of a frame.
#[derive(Debug)]
struct Packet<'a> {
    src: SocketAddr,
    dst: SocketAddr,
    transport: Transport,
    payload: &'a [u8],
    /// Payload bytes the IP header announces but the capture did not keep.
    missing: usize,
}

#[derive(Clone, Copy, Debug)]
enum Transport {
    Udp,
    Tcp { seq: u32, flags: u8 },
}

/// The UDP/TCP packet in a frame: `Ok(None)` for other traffic, `Err` for a malformed frame.
fn decode_frame(link: LinkType, frame: &[u8]) -> Result<Option<Packet<'_>>, String> {
    let Some(ip) = link_payload(link, frame)? else { return Ok(None) };
    let Some(ip) = decode_ip(ip)? else { return Ok(None) };
    decode_transport(&ip)
}

/// The IP packet inside a link-layer frame, or `None` if it carries something else.
fn link_payload(link: LinkType, f: &[u8]) -> Result<Option<&[u8]>, String> {
    let cut = |what: &str| format!("{what} header cut off");
    match link {
        LinkType::RawIp => Ok(Some(f)),
        LinkType::Ethernet => ethernet_payload(f),
        LinkType::LinuxSll => {
            let ty = be16(f, 14).ok_or_else(|| cut("Linux cooked"))?;
            Ok(ip_ethertype(ty).then(|| &f[16..]))
        }
        LinkType::LinuxSll2 => {
            let ty = be16(f, 0).ok_or_else(|| cut("Linux cooked v2"))?;
            let rest = f.get(20..).ok_or_else(|| cut("Linux cooked v2"))?;
            Ok(ip_ethertype(ty).then_some(rest))
        }
        LinkType::Null => {
            let family: [u8; 4] = f.get(..4).and_then(|b| b.try_into().ok()).ok_or_else(|| cut("loopback"))?;
            // The family is in the byte order of the machine that captured: try both.
            let is_ip = |v: u32| matches!(v, 2 | 24 | 28 | 30); // AF_INET, AF_INET6 on BSDs/macOS
            let ip = is_ip(u32::from_le_bytes(family)) || is_ip(u32::from_be_bytes(family));
            Ok(ip.then(|| &f[4..]))
        }
    }
}

fn ip_ethertype(ty: u16) -> bool {
    ty == ETHERTYPE_IPV4 || ty == ETHERTYPE_IPV6
}

/// Ethernet II, with up to two VLAN tags (802.1Q, or 802.1ad outer tag).
fn ethernet_payload(f: &[u8]) -> Result<Option<&[u8]>, String> {
    let cut = || "Ethernet header cut off".to_string();
    let mut ty = be16(f, 12).ok_or_else(cut)?;
    let mut at = 14;
    for _ in 0..2 {
        if ty != ETHERTYPE_VLAN && ty != ETHERTYPE_QINQ {
            break;
        }
        ty = be16(f, at + 2).ok_or_else(cut)?;
        at += 4;
    }
    Ok(ip_ethertype(ty).then(|| &f[at..]))
}

/// The interesting part of an IP packet.
struct IpPacket<'a> {
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    /// The transport header and payload, as far as captured and no further than the IP length
    /// (Ethernet padding and trailers are left out).
    payload: &'a [u8],
    missing: usize,
}

fn decode_ip(p: &[u8]) -> Result<Option<IpPacket<'_>>, String> {
    match p.first().map(|b| b >> 4) {
        Some(4) => ipv4(p),
        Some(6) => ipv6(p),
        Some(v) => Err(format!("IP version {v} is not 4 or 6")),
        None => Err("empty IP packet".into()),
    }
}

fn ipv4(p: &[u8]) -> Result<Option<IpPacket<'_>>, String> {
    if p.len() < 20 {
        return Err("IPv4 header cut off".into());
    }
    let header_len = usize::from(p[0] & 0x0f) * 4;
    if header_len < 20 || header_len > p.len() {
        return Err(format!("bad IPv4 header length {header_len}"));
    }
    // A total length of 0 appears in captures of TCP segmentation offload: use what is there.
    let total = match be16(p, 2) {
        Some(0) | None => p.len(),
        Some(t) => usize::from(t),
    };
    if total < header_len {
        return Err(format!("bad IPv4 total length {total}"));
    }
    let fragment = be16(p, 6).unwrap_or(0) & 0x3fff; // more-fragments flag and offset
    if fragment != 0 {
        return Err("IPv4 fragment (fragments are not reassembled)".into());
    }
    let src = Ipv4Addr::from([p[12], p[13], p[14], p[15]]);
    let dst = Ipv4Addr::from([p[16], p[17], p[18], p[19]]);
    Ok(Some(IpPacket {
        src: src.into(),
        dst: dst.into(),
        protocol: p[9],
        payload: &p[header_len..total.min(p.len())],
        missing: total.saturating_sub(p.len()),
    }))
}

fn ipv6(p: &[u8]) -> Result<Option<IpPacket<'_>>, String> {
    if p.len() < 40 {
        return Err("IPv6 header cut off".into());
    }
    let total = match be16(p, 4) {
        Some(0) | None => p.len(), // jumbogram or offload: use what is there
        Some(len) => 40 + usize::from(len),
    };
    let addr = |at: usize| -> Ipv6Addr {
        let mut a = [0u8; 16];
        a.copy_from_slice(&p[at..at + 16]);
        a.into()
    };
    let Some((protocol, payload)) = skip_ipv6_extensions(p[6], &p[40..total.min(p.len())])? else {
        return Ok(None);
    };
    Ok(Some(IpPacket {
        src: addr(8).into(),
        dst: addr(24).into(),
        protocol,
        payload,
        missing: total.saturating_sub(p.len()),
    }))
}

/// Follows IPv6 extension headers to the transport header: `(protocol, rest)`.
fn skip_ipv6_extensions(mut next: u8, mut rest: &[u8]) -> Result<Option<(u8, &[u8])>, String> {
    const HOP_BY_HOP: u8 = 0;
    const ROUTING: u8 = 43;
    const FRAGMENT: u8 = 44;
    const AUTH: u8 = 51;
    const DEST_OPTS: u8 = 60;
    for _ in 0..8 {
        let len = match next {
            HOP_BY_HOP | ROUTING | DEST_OPTS => rest.get(1).map(|&l| (usize::from(l) + 1) * 8),
            AUTH => rest.get(1).map(|&l| (usize::from(l) + 2) * 4),
            FRAGMENT => {
                let offset_and_more = be16(rest, 2).ok_or("IPv6 fragment header cut off")?;
                if offset_and_more & 0xfff9 != 0 {
                    return Err("IPv6 fragment (fragments are not reassembled)".into());
                }
                Some(8)
            }
            _ => return Ok(Some((next, rest))),
        };
        let (Some(len), Some(&following)) = (len, rest.first()) else {
            return Err("IPv6 extension header cut off".into());
        };
        rest = rest.get(len..).ok_or("IPv6 extension header cut off")?;
        next = following;
    }
    Ok(None) // an absurd chain of extension headers: not something we show
}

/// Said of a header that the capture's snap length cut off.
const SNAPPED: &str = "truncated by the capture's snap length";

fn decode_transport<'a>(ip: &IpPacket<'a>) -> Result<Option<Packet<'a>>, String> {
    let p = ip.payload;
    let snapped = ip.missing > 0;
    let cut = |what: &str| if snapped { format!("{what} header {SNAPPED}") } else { format!("{what} header cut off") };
    let mut missing = ip.missing;
    let (transport, payload) = match ip.protocol {
        IPPROTO_UDP => {
            if p.len() < 8 {
                return Err(cut("UDP"));
            }
            let len = be16(p, 4).unwrap_or(0);
            // The UDP length bounds the payload (0 happens with offload; then use what is there).
            let end = if len >= 8 { usize::from(len).min(p.len()) } else { p.len() };
            (Transport::Udp, &p[8..end])
        }
        IPPROTO_TCP => {
            // The sequence number and flags are in the first 14 bytes; options may follow.
            let (Some(&flags), Some(seq)) = (p.get(13), be32(p, 4)) else { return Err(cut("TCP")) };
            let offset = usize::from(p[12] >> 4) * 4;
            // The whole segment as sent: what was captured and what the snap length cut off.
            let sent = p.len() + ip.missing;
            if offset < 20 || offset > sent {
                return Err(format!("bad TCP data offset {offset}"));
            }
            if offset > p.len() {
                // The snap length cut into the options: no payload byte was kept, but the
                // segment still tells the connection's state and how many bytes it carried.
                missing = sent - offset;
                (Transport::Tcp { seq, flags }, &p[p.len()..])
            } else {
                (Transport::Tcp { seq, flags }, &p[offset..])
            }
        }
        _ => return Ok(None),
    };
    // Both headers start with the ports, and both are at least 8 bytes (checked above).
    let (sport, dport) = (be16(p, 0).unwrap_or(0), be16(p, 2).unwrap_or(0));
    Ok(Some(Packet {
        src: SocketAddr::new(ip.src, sport),
        dst: SocketAddr::new(ip.dst, dport),
        transport,
        payload,
        missing,
    }))
}

// ---------------------------------------------------------------------------------------------
// pcap: from packets to events

/// How far past the expected sequence number a segment may start and still be believed
/// (further is taken as garbage rather than as that many bytes missing from the capture).
const MAX_GAP: u32 = 16 * 1024 * 1024;

/// A pair of endpoints in a fixed order, so both directions of a flow share a key.
type FlowKey = (SocketAddr, SocketAddr);

fn flow_key(a: SocketAddr, b: SocketAddr) -> FlowKey {
    if a <= b { (a, b) } else { (b, a) }
}

/// The UDP flows and TCP connections seen so far.
#[derive(Default)]
struct Flows {
    /// Per UDP flow, the endpoint taken as local.
    udp: HashMap<FlowKey, SocketAddr>,
    tcp: HashMap<FlowKey, TcpConn>,
    /// The last connection id given out.
    last_conn: ConnId,
}

impl Flows {
    fn packet(&mut self, out: &mut Output<'_>, number: usize, time: Timestamp, pkt: &Packet<'_>) {
        match pkt.transport {
            Transport::Udp => self.udp(out, time, pkt),
            Transport::Tcp { seq, flags } => {
                let seg = Segment { time, from: pkt.src, seq, flags, payload: pkt.payload, missing: pkt.missing };
                let conn = match self.tcp.entry(flow_key(pkt.src, pkt.dst)) {
                    Entry::Vacant(e) => e.insert(TcpConn::new(pkt.src, pkt.dst, flags)),
                    Entry::Occupied(e) => {
                        let conn = e.into_mut();
                        // The same ports again after a close: a new connection.
                        if conn.closed && seg.is_pure_syn() {
                            *conn = TcpConn::new(pkt.src, pkt.dst, flags);
                        }
                        conn
                    }
                };
                if let Some(note) = conn.segment(&seg, &mut self.last_conn, out) {
                    out.warn(format!("packet {number}: {note}"));
                }
            }
        }
    }

    fn udp(&mut self, out: &mut Output<'_>, time: Timestamp, pkt: &Packet<'_>) {
        let local = *self.udp.entry(flow_key(pkt.src, pkt.dst)).or_insert(pkt.dst);
        let data = pkt.payload.to_vec();
        let (peer, kind) = if pkt.dst == local {
            (pkt.src, EventKind::Rx { data, lost: pkt.missing })
        } else {
            (pkt.dst, EventKind::Tx { data })
        };
        out.emit(Event {
            time,
            tab: 0,
            source: 0,
            proto: Proto::Udp,
            conn: None,
            local: Some(local),
            peer: Some(peer),
            kind,
        });
    }
}

/// One TCP segment, as the connection tracker needs it.
struct Segment<'a> {
    time: Timestamp,
    from: SocketAddr,
    seq: u32,
    flags: u8,
    payload: &'a [u8],
    missing: usize,
}

impl Segment<'_> {
    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// A SYN without ACK: the first packet of a connection.
    fn is_pure_syn(&self) -> bool {
        self.has(TCP_SYN) && !self.has(TCP_ACK)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Local,
    Peer,
}

/// One direction of a connection.
#[derive(Clone, Debug, Default)]
struct Direction {
    /// The sequence number of the next new byte, once known.
    next: Option<u32>,
    fin: bool,
}

/// Something odd about a segment, worth a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anomaly {
    /// It starts this many bytes after the expected ones: the capture missed some.
    Gap(u32),
    /// It starts implausibly far ahead: ignored.
    OutOfWindow,
}

impl Direction {
    /// The bytes of a segment starting at `seq` that were not seen before (retransmitted and
    /// duplicate bytes are left out), and what was odd about it.
    fn fresh<'p>(&mut self, seq: u32, payload: &'p [u8], missing: usize) -> (&'p [u8], Option<Anomaly>) {
        // The sequence space the segment covers, including bytes the capture cut off.
        let end = seq.wrapping_add((payload.len() + missing) as u32);
        let Some(next) = self.next else {
            self.next = Some(end);
            return (payload, None);
        };
        let ahead = seq.wrapping_sub(next);
        if ahead == 0 {
            self.next = Some(end);
            (payload, None)
        } else if ahead <= MAX_GAP {
            self.next = Some(end);
            (payload, Some(Anomaly::Gap(ahead)))
        } else if ahead < 1 << 31 {
            (&[], Some(Anomaly::OutOfWindow))
        } else {
            // Starts before `next` (mod 2^32): a retransmission, maybe with new bytes at the end.
            let seen = next.wrapping_sub(seq) as usize;
            if seen >= payload.len() {
                return (&[], None);
            }
            self.next = Some(end);
            (&payload[seen..], None)
        }
    }
}

/// A TCP connection being followed.
#[derive(Clone, Debug)]
struct TcpConn {
    local: SocketAddr,
    peer: SocketAddr,
    /// Given when the connection is first reported (its Connected event).
    id: Option<ConnId>,
    from_local: Direction,
    from_peer: Direction,
    /// Who sent the first FIN.
    first_fin: Option<Side>,
    closed: bool,
}

impl TcpConn {
    /// A connection whose first seen packet went from `src` to `dst` with `flags`.
    fn new(src: SocketAddr, dst: SocketAddr, flags: u8) -> TcpConn {
        let syn = flags & TCP_SYN != 0;
        let ack = flags & TCP_ACK != 0;
        // The SYN's receiver is the server; mid-stream, the lower port is (likely) the server's.
        let src_is_local = match (syn, ack) {
            (true, false) => false,
            (true, true) => true,
            _ => src.port() < dst.port(),
        };
        let (local, peer) = if src_is_local { (src, dst) } else { (dst, src) };
        TcpConn {
            local,
            peer,
            id: None,
            from_local: Direction::default(),
            from_peer: Direction::default(),
            first_fin: None,
            closed: false,
        }
    }

    fn direction(&mut self, side: Side) -> &mut Direction {
        match side {
            Side::Local => &mut self.from_local,
            Side::Peer => &mut self.from_peer,
        }
    }

    fn emit(&self, out: &mut Output<'_>, time: Timestamp, kind: EventKind) {
        out.emit(Event {
            time,
            tab: 0,
            source: 0,
            proto: Proto::Tcp,
            conn: self.id,
            local: Some(self.local),
            peer: Some(self.peer),
            kind,
        });
    }

    /// Follows one segment, adding events. Returns a note worth a warning, if any.
    fn segment(&mut self, seg: &Segment<'_>, last_conn: &mut ConnId, events: &mut Output<'_>) -> Option<String> {
        if self.closed {
            return None; // late packets: the last ACK, retransmitted FINs
        }
        let side = if seg.from == self.local { Side::Local } else { Side::Peer };
        if seg.has(TCP_SYN) {
            // The SYN takes one sequence number; data starts after it.
            self.direction(side).next.get_or_insert(seg.seq.wrapping_add(1));
        }
        if seg.is_pure_syn() && seg.payload.is_empty() {
            return None; // reported once the SYN-ACK shows the connection is accepted
        }
        if seg.has(TCP_RST) {
            if self.id.is_some() {
                self.emit(events, seg.time, EventKind::Closed { reason: CloseReason::Reset });
            }
            self.closed = true; // a refused connection was never reported: nothing to close
            return None;
        }
        if self.id.is_none() {
            *last_conn += 1;
            self.id = Some(*last_conn);
            self.emit(events, seg.time, EventKind::Connected { local: self.local, inbound: true });
        }
        let anomaly = self.data(side, seg, events);
        if seg.has(TCP_FIN) && anomaly != Some(Anomaly::OutOfWindow) {
            self.fin(side, seg.time, events);
        }
        anomaly.map(|a| self.describe(side, a))
    }

    /// Reports the new payload bytes of a segment; returns what was odd about them.
    fn data(&mut self, side: Side, seg: &Segment<'_>, events: &mut Output<'_>) -> Option<Anomaly> {
        if seg.payload.is_empty() && seg.missing == 0 {
            return None;
        }
        let seq = if seg.has(TCP_SYN) { seg.seq.wrapping_add(1) } else { seg.seq };
        let (bytes, anomaly) = self.direction(side).fresh(seq, seg.payload, seg.missing);
        if !bytes.is_empty() {
            let data = bytes.to_vec();
            let kind = match side {
                Side::Peer => EventKind::Rx { data, lost: seg.missing },
                Side::Local => EventKind::Tx { data },
            };
            self.emit(events, seg.time, kind);
        }
        anomaly
    }

    fn describe(&self, side: Side, anomaly: Anomaly) -> String {
        let id = self.id.unwrap_or(0);
        let from = if side == Side::Local { self.local } else { self.peer };
        match anomaly {
            Anomaly::Gap(gap) => format!("conn {id}: {gap} bytes from {from} are missing from the capture"),
            Anomaly::OutOfWindow => format!("conn {id}: ignored a segment from {from} far outside the stream"),
        }
    }

    /// A FIN from `side`: half-close, or the end of the connection if the other side sent one.
    fn fin(&mut self, side: Side, time: Timestamp, events: &mut Output<'_>) {
        if self.direction(side).fin {
            return; // retransmitted
        }
        self.direction(side).fin = true;
        let other = if side == Side::Local { Side::Peer } else { Side::Local };
        if !self.direction(other).fin {
            self.first_fin = Some(side);
            if side == Side::Local {
                self.emit(events, time, EventKind::HalfClosed);
            }
            return;
        }
        let reason = if self.first_fin == Some(Side::Peer) { CloseReason::PeerClosed } else { CloseReason::LocalClose };
        self.emit(events, time, EventKind::Closed { reason });
        self.closed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 header (with `options`) around a UDP datagram, without checksums.
    fn ipv4_udp(options: &[u8], payload: &[u8]) -> Vec<u8> {
        let header_len = 20 + options.len();
        let total = header_len + 8 + payload.len();
        let mut p = vec![0x40 | (header_len / 4) as u8, 0];
        p.extend_from_slice(&(total as u16).to_be_bytes());
        p.extend_from_slice(&[0, 1, 0x40, 0, 64, IPPROTO_UDP, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend_from_slice(options);
        p.extend_from_slice(&1111u16.to_be_bytes());
        p.extend_from_slice(&2222u16.to_be_bytes());
        p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn ipv4_options_and_ethernet_padding_are_handled() {
        let ip = ipv4_udp(&[1, 1, 1, 0], b"hi");
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&ETHERTYPE_VLAN.to_be_bytes());
        frame.extend_from_slice(&[0, 5]);
        frame.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&[0xee; 20]); // padding and FCS
        let pkt = decode_frame(LinkType::Ethernet, &frame).unwrap().unwrap();
        assert_eq!(pkt.payload, b"hi");
        assert_eq!(pkt.src, "10.0.0.1:1111".parse().unwrap());
        assert_eq!(pkt.dst, "10.0.0.2:2222".parse().unwrap());
    }

    #[test]
    fn ipv6_extension_headers_are_skipped() {
        let mut p = vec![0x60, 0, 0, 0];
        let udp = [0, 7, 0, 9, 0, 10, 0, 0, b'o', b'k'];
        p.extend_from_slice(&((8 + udp.len()) as u16).to_be_bytes());
        p.push(0); // hop-by-hop options follow
        p.push(64);
        p.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        p.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        p.extend_from_slice(&[IPPROTO_UDP, 0, 1, 4, 0, 0, 0, 0]); // PadN
        p.extend_from_slice(&udp);
        let pkt = decode_frame(LinkType::RawIp, &p).unwrap().unwrap();
        assert_eq!(pkt.payload, b"ok");
        assert_eq!(pkt.dst.port(), 9);
    }

    #[test]
    fn sequence_tracking_wraps_and_drops_old_bytes() {
        let mut d = Direction { next: Some(u32::MAX - 1), fin: false };
        assert_eq!(d.fresh(u32::MAX - 1, b"abcd", 0), (&b"abcd"[..], None));
        assert_eq!(d.next, Some(2));
        assert_eq!(d.fresh(u32::MAX - 1, b"abcd", 0), (&b""[..], None));
        assert_eq!(d.fresh(0, b"cdef", 0), (&b"ef"[..], None));
        assert_eq!(d.fresh(1 << 30, b"x", 0), (&b""[..], Some(Anomaly::OutOfWindow)));
        assert_eq!(d.fresh(10, b"gh", 0), (&b"gh"[..], Some(Anomaly::Gap(6))));
        assert_eq!(d.next, Some(12));
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(&[0xd4, 0xc3, 0xb2, 0xa1]), FileKind::Pcap);
        assert_eq!(sniff(&[0xa1, 0xb2, 0x3c, 0x4d]), FileKind::Pcap);
        assert_eq!(sniff(&[0x0a, 0x0d, 0x0d, 0x0a]), FileKind::Pcapng);
        assert_eq!(sniff(b"{\"ts"), FileKind::Other);
        assert_eq!(sniff(b""), FileKind::Other);
    }

    #[test]
    fn warnings_are_bounded() {
        let text = "garbage\n".repeat(50) + "{\"kind\":\"summary\"}\n";
        let imported = read_jsonl(text.as_bytes()).unwrap();
        assert_eq!(imported.skipped, 50);
        assert_eq!(imported.warnings.len(), MAX_WARNINGS + 1);
        assert!(imported.warnings[0].starts_with("line 1: not JSON"), "{:?}", imported.warnings);
        assert_eq!(imported.warnings[MAX_WARNINGS], "… and 30 more warnings");
    }

    #[test]
    fn overlong_lines_are_skipped() {
        let mut text = vec![b'x'; MAX_LINE + 10];
        text.extend_from_slice(b"\n{\"kind\":\"summary\"}\n");
        let imported = read_jsonl(&text[..]).unwrap();
        assert_eq!(imported.skipped, 1);
        assert!(imported.warnings[0].contains("longer than"), "{:?}", imported.warnings);
    }
}
