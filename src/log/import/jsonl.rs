//! Import of socklab's JSONL logs: the JSONL export and the CLI's `--json` output, old
//! (no `event`, no `proto`) and new.

use std::collections::HashSet;
use std::io::{self, BufRead, Read};
use std::net::SocketAddr;

use jiff::Timestamp;

use super::warning::{AddrField, ImportWarning, LineProblem};
#[cfg(any(test, feature = "test-support"))]
use super::{Imported, collect};
use super::{
    CHECK_EVERY, FormatProblem, ImportError, ImportSummary, MAX_LINE, MAX_PAYLOAD, Output, Sink, SkipKind, cancelled,
};
use crate::codec;
use crate::engine::problem::Problem;
use crate::engine::{CloseReason, Event, EventKind, Proto};
use crate::log::export::Progress;
use crate::log::format::{self, event as ev_name, kind as k};

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
    /// An error event's problem as data (logs since version 0.1 with issue 16); kept as JSON so
    /// a problem this version does not know still imports, as its text.
    problem: Option<serde_json::Value>,
    dir: Option<crate::vocab::Dir>,
    upstream: Option<String>,
    action: Option<crate::engine::relay::FaultAction>,
    /// A gap row's sender (`peer` or `local`).
    from: Option<String>,
    /// A row's comment (from a pcapng capture).
    comment: Option<String>,
    tls_version: Option<String>,
    cipher: Option<String>,
    tls_group: Option<String>,
    alpn: Option<String>,
    sni: Option<String>,
    verify: Option<String>,
    certs: Option<Vec<crate::engine::tls::CertSummary>>,
    records: Option<Vec<crate::codec::tls::TlsRecord>>,
}

/// What one line turned out to be.
#[allow(clippy::large_enum_variant, reason = "one line at a time, moved once: boxing would cost an allocation per line")]
enum Line {
    Blank,
    /// The CLI's closing summary (`"kind": "summary"`): ignored.
    Summary,
    Event {
        event: Event,
        proto_guessed: bool,
        /// The row's comment.
        comment: Option<String>,
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
    /// (every line names its protocol) never wait here. Each keeps its comment.
    held: Vec<(Event, bool, Option<String>)>,
}

impl JsonlContext {
    fn accepted(&self, local: SocketAddr) -> bool {
        self.listening.iter().any(|l| l.port() == local.port() && (l.ip() == local.ip() || l.ip().is_unspecified()))
    }

    /// Passes an event on, or holds it back while an earlier guess is open.
    fn event(&mut self, out: &mut Output<'_>, mut event: Event, proto_guessed: bool, comment: Option<String>) {
        if proto_guessed && self.saw_tcp {
            event.proto = Proto::Tcp;
        } else if proto_guessed || !self.held.is_empty() {
            self.held.push((event, proto_guessed, comment));
            return;
        }
        self.release(out);
        out.emit_commented(event, comment);
    }

    /// Passes on the held events, as TCP if a TCP event was seen since.
    fn release(&mut self, out: &mut Output<'_>) {
        for (mut ev, guessed, comment) in self.held.drain(..) {
            if guessed && self.saw_tcp {
                ev.proto = Proto::Tcp;
            }
            out.emit_commented(ev, comment);
        }
    }
}

#[cfg(any(test, feature = "test-support"))]
/// Imports a JSONL log: one record per line, as written by the log export or the CLI's
/// `--json`. Bad lines are skipped with a warning; if no line is a record, that is an error.
pub fn read_jsonl(mut r: impl BufRead) -> Result<Imported, ImportError> {
    collect(|sink| read_jsonl_stream(&mut r, &Progress::default(), sink))
}

/// Lines longer than this give their buffer back after use.
const KEEP_LINE_BUFFER: usize = 1024 * 1024;

pub(super) fn read_jsonl_stream(
    r: &mut dyn BufRead,
    progress: &Progress,
    sink: &mut Sink<'_>,
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
        out.packets += 1;
        out.bytes += buf.len() as u64;
        let parsed = if complete { parse_line(&buf, &mut ctx) } else { Err(LineProblem::TooLong) };
        if buf.capacity() > KEEP_LINE_BUFFER {
            buf = Vec::new();
        }
        match parsed {
            Ok(Line::Blank) => {}
            Ok(Line::Summary) => records += 1,
            Ok(Line::Event { event, proto_guessed, comment }) => {
                records += 1;
                ctx.event(&mut out, event, proto_guessed, comment);
            }
            Err(problem) => {
                let warning = ImportWarning::Line { line: line_no, problem };
                first_problem.get_or_insert_with(|| warning.clone());
                out.skip(SkipKind::Line, Some(warning));
            }
        }
    }
    if records == 0 {
        return Err(ImportError::Format(FormatProblem::NoRecord(first_problem.map(Box::new))));
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

fn parse_line(bytes: &[u8], ctx: &mut JsonlContext) -> Result<Line, LineProblem> {
    let text = std::str::from_utf8(bytes).map_err(LineProblem::NotUtf8)?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Ok(Line::Blank);
    }
    // Straight into the record (no `serde_json::Value` in between: a line may hold a 16 MiB
    // payload, whose text and hex should not be copied once more).
    let rec: LineRecord = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => LineProblem::NotRecord(e.to_string()),
        _ => LineProblem::NotJson(e.to_string()),
    })?;
    if rec.kind.as_deref() == Some(k::SUMMARY) {
        return Ok(Line::Summary);
    }
    record_to_event(&rec, ctx)
}

fn record_to_event(rec: &LineRecord, ctx: &mut JsonlContext) -> Result<Line, LineProblem> {
    let ts = rec.ts.as_deref().ok_or(LineProblem::NoTimestamp)?;
    let time =
        ts.parse::<Timestamp>().map_err(|e| LineProblem::BadTimestamp { ts: ts.to_string(), error: e.to_string() })?;
    let peer = rec.peer.as_deref().map(|p| parse_addr(AddrField::Peer, p)).transpose()?;
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
        (_, Some(l)) => Some(parse_addr(AddrField::Local, l)?),
        (_, None) => None,
    };
    let event = Event { time, tab: 0, source: 0, proto, conn: rec.conn, local, peer, kind };
    Ok(Line::Event { event, proto_guessed, comment: rec.comment.clone() })
}

/// The precise event name; derived from `kind` (and the text) for old logs without `event`.
fn event_name(rec: &LineRecord) -> Result<&str, LineProblem> {
    if let Some(e) = &rec.event {
        return Ok(e);
    }
    let text = rec.text.as_deref().unwrap_or_default();
    match rec.kind.as_deref() {
        Some(k::RX) => Ok(ev_name::RX),
        Some(k::TX) => Ok(ev_name::TX),
        Some(k::ERROR) => Ok(ev_name::ERROR),
        Some(k::CONNECT) => Ok(ev_name::CONNECTED),
        Some(k::DISCONNECT) => Ok(ev_name::CLOSED),
        Some(k::INFO) if text.starts_with(format::LISTENING_PREFIX) => Ok(ev_name::LISTENING),
        Some(k::INFO) if text.starts_with(format::CONNECTING_PREFIX) => Ok(ev_name::CONNECTING),
        Some(k::INFO) if text == format::HALF_CLOSED_TEXT => Ok(ev_name::HALF_CLOSED),
        Some(k::INFO) => Err(LineProblem::UnknownInfo(text.to_string())),
        Some(other) => Err(LineProblem::UnknownKind(other.to_string())),
        None => Err(LineProblem::NoEventOrKind),
    }
}

fn event_kind(
    rec: &LineRecord,
    name: &str,
    peer: Option<SocketAddr>,
    ctx: &JsonlContext,
) -> Result<EventKind, LineProblem> {
    let text = rec.text.as_deref().unwrap_or_default();
    Ok(match name {
        ev_name::RX => EventKind::Rx { data: payload(rec)?, lost: rec.lost.unwrap_or(0) },
        ev_name::TX => EventKind::Tx { data: payload(rec)? },
        ev_name::LISTENING => EventKind::Listening { local: local_addr(rec, format::LISTENING_PREFIX)? },
        ev_name::CONNECTING => {
            let peer = match peer {
                Some(p) => p,
                None => address_in_text(text, format::CONNECTING_PREFIX).ok_or(LineProblem::ConnectingWithoutPeer)?,
            };
            EventKind::Connecting { peer }
        }
        ev_name::CONNECTED => {
            let local = local_addr(rec, format::CONNECTED_PREFIX)?;
            EventKind::Connected { local, inbound: ctx.accepted(local), tls: tls_info(rec) }
        }
        ev_name::TLS_RECORDS => EventKind::TlsRecords {
            sent: rec.from.as_deref() == Some(format::side::LOCAL),
            data: payload(rec)?,
            records: rec.records.clone().unwrap_or_default(),
        },
        ev_name::HALF_CLOSED => EventKind::HalfClosed,
        ev_name::GENERATED => EventKind::GeneratorDone {
            packets: rec.packets.unwrap_or(0),
            bytes: rec.len.unwrap_or(0),
            micros: rec.micros.unwrap_or(0),
        },
        ev_name::JOINED | ev_name::LEFT => {
            let g = rec.group.as_deref().or_else(|| text.rsplit(' ').next()).unwrap_or_default();
            let group = g.parse().map_err(|_| LineProblem::NoGroup { joined: name == ev_name::JOINED })?;
            EventKind::Membership { group, joined: name == ev_name::JOINED }
        }
        ev_name::CLOSED => EventKind::Closed {
            reason: rec.reason.or_else(|| format::reason_of_text(text)).unwrap_or(CloseReason::PeerClosed),
        },
        ev_name::RELAYED => {
            let (Some(dir), Some(upstream)) = (rec.dir, upstream_addr(rec)) else {
                return Err(LineProblem::NoRelayFields);
            };
            EventKind::Relayed { dir, data: payload(rec)?, upstream }
        }
        ev_name::FAULT => {
            let (Some(dir), Some(upstream), Some(action)) = (rec.dir, upstream_addr(rec), rec.action.clone()) else {
                return Err(LineProblem::NoRelayFields);
            };
            EventKind::Fault { dir, action, upstream }
        }
        ev_name::UPSTREAM_CONNECTED => {
            let Some(upstream) = upstream_addr(rec) else { return Err(LineProblem::NoRelayFields) };
            EventKind::UpstreamConnected { local: local_addr(rec, "")?, upstream }
        }
        ev_name::GAP => EventKind::Gap {
            bytes: rec.len.unwrap_or(0),
            from_peer: rec.from.as_deref() != Some(format::side::LOCAL),
        },
        ev_name::ERROR => EventKind::Error(
            rec.problem
                .clone()
                .and_then(|v| serde_json::from_value::<Problem>(v).ok())
                .unwrap_or_else(|| Problem::Logged(text.to_string())),
        ),
        other => return Err(LineProblem::UnknownEvent(other.to_string())),
    })
}

/// A relay record's `upstream` address.
fn upstream_addr(rec: &LineRecord) -> Option<SocketAddr> {
    rec.upstream.as_deref().and_then(|u| u.parse().ok())
}

/// The bytes of an rx/tx record: from `hex`, or the text for a record without hex.
/// A `connected` row's TLS fields, if it has them.
fn tls_info(rec: &LineRecord) -> Option<Box<crate::engine::tls::TlsInfo>> {
    let version = rec.tls_version.clone()?;
    Some(Box::new(crate::engine::tls::TlsInfo {
        version,
        cipher: rec.cipher.clone().unwrap_or_default(),
        group: rec.tls_group.clone(),
        alpn: rec.alpn.clone(),
        sni: rec.sni.clone(),
        verify: rec.verify.as_deref().and_then(crate::engine::tls::Verify::parse).unwrap_or_default(),
        certs: rec.certs.clone().unwrap_or_default(),
    }))
}

fn payload(rec: &LineRecord) -> Result<Vec<u8>, LineProblem> {
    let data = match (&rec.hex, &rec.text) {
        (Some(hex), _) => codec::parse_hex(hex).map_err(LineProblem::BadHex)?,
        (None, Some(text)) => text.as_bytes().to_vec(),
        (None, None) => return Err(LineProblem::NoHex),
    };
    if data.len() > MAX_PAYLOAD {
        return Err(LineProblem::PayloadTooBig(data.len()));
    }
    Ok(data)
}

/// The local address: the `local` field, else the address in the text after `prefix`.
fn local_addr(rec: &LineRecord, prefix: &str) -> Result<SocketAddr, LineProblem> {
    match &rec.local {
        Some(l) => parse_addr(AddrField::Local, l),
        None => address_in_text(rec.text.as_deref().unwrap_or_default(), prefix).ok_or(LineProblem::NoLocal),
    }
}

fn address_in_text(text: &str, prefix: &str) -> Option<SocketAddr> {
    let rest = text.strip_prefix(prefix)?;
    rest.trim_end_matches(')').trim().parse().ok()
}

fn parse_addr(field: AddrField, s: &str) -> Result<SocketAddr, LineProblem> {
    s.parse().map_err(|_| LineProblem::BadAddress { field, value: s.to_string() })
}

/// The protocol of an old record that does not say: TCP if only TCP has such events.
fn guess_proto(rec: &LineRecord, kind: &EventKind) -> Proto {
    let tcp_only = matches!(
        kind,
        EventKind::Connecting { .. }
            | EventKind::Connected { .. }
            | EventKind::HalfClosed
            | EventKind::Closed { .. }
            | EventKind::Gap { .. }
            | EventKind::TlsRecords { .. }
    );
    if tcp_only || rec.conn.is_some() { Proto::Tcp } else { Proto::Udp }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::import::MAX_WARNINGS;

    #[test]
    fn warnings_are_bounded() {
        let text = "garbage\n".repeat(50) + "{\"kind\":\"summary\"}\n";
        let imported = read_jsonl(text.as_bytes()).unwrap();
        assert_eq!(imported.skipped, 50);
        assert_eq!(imported.warnings.len(), MAX_WARNINGS + 1);
        assert!(
            matches!(imported.warnings[0], ImportWarning::Line { line: 1, problem: LineProblem::NotJson(_) }),
            "{:?}",
            imported.warnings
        );
        assert_eq!(imported.warnings[MAX_WARNINGS], ImportWarning::LeftOut(30));
    }

    #[test]
    fn overlong_lines_are_skipped() {
        let mut text = vec![b'x'; MAX_LINE + 10];
        text.extend_from_slice(b"\n{\"kind\":\"summary\"}\n");
        let imported = read_jsonl(&text[..]).unwrap();
        assert_eq!(imported.skipped, 1);
        assert_eq!(imported.warnings, [ImportWarning::Line { line: 1, problem: LineProblem::TooLong }]);
    }
}
