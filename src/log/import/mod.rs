//! Import of saved logs and captures back into engine [`Event`]s: socklab's JSONL records (the
//! `--log-file` export and the CLI's `--json` output, old and new), classic pcap and pcapng
//! captures (read with `pcap-parser`), whether written by [`super::pcap::PcapWriter`] or by
//! tcpdump, dumpcap, Wireshark and friends; any of them gzip-compressed, too.
//!
//! A log shows one socket's view, "local" and "peer". A capture has no such view, so the import
//! picks one:
//! - TCP: the side that received the SYN (the server) is local; for a stream whose handshake is
//!   not in the capture, the side with the lower port. Each direction is put back in sequence
//!   order as the receiver saw it: retransmitted, duplicate and overlapping bytes are reported
//!   once; a segment that arrives early waits (bounded) for the ones before it. A hole the
//!   capture never filled becomes a [`EventKind::Gap`](crate::engine::EventKind::Gap) row of its
//!   size, followed by the bytes after it, once the receiver acknowledges past it, the wait
//!   bound is reached, a FIN or RST ends the direction, or the capture ends. Bytes are never
//!   glued across a hole. A row's time is that of the segment that made its bytes deliverable.
//! - UDP: per pair of endpoints, the destination of the first datagram is local.
//! - IP fragments are put together (bounded); other traffic (ARP, ICMP, …) is counted by kind.
//!
//! Bad input never fails the whole import when some of it is usable: bad lines and packets are
//! counted in [`Imported::skipped`] and described in [`Imported::warnings`]; a damaged or cut-off
//! block ends the import with a [`Fault`], keeping the events before it. Only a file that is no
//! capture or log at all is an [`ImportError`].

#![allow(clippy::indexing_slicing, reason = "the slice end is min(len, 4)")]

mod capture;
mod decode;
mod defrag;
mod jsonl;
mod pcap;
mod pcapng;
mod reassembly;
mod stream;
mod warning;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::Ordering;

use crate::codec;
use crate::engine::Event;
use crate::log::export::Progress;
#[cfg(any(test, feature = "test-support"))]
pub use jsonl::read_jsonl;
use jsonl::read_jsonl_stream;
#[cfg(any(test, feature = "test-support"))]
pub use pcap::read_pcap;
use pcap::{is_pcap_magic, read_pcap_stream};
#[cfg(any(test, feature = "test-support"))]
pub use pcapng::read_pcapng;
use pcapng::read_pcapng_stream;
pub use warning::*;

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

/// Largest packet record or pcapng block read from a capture (real captures stop at a snap
/// length of 262,144 bytes); a bigger length means a corrupt file, and reading stops there
/// with a [`Fault`].
pub const MAX_RECORD: usize = 16 * 1024 * 1024;

/// What an import produced.
#[cfg(any(test, feature = "test-support"))]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imported {
    /// The events, in file order. All have `source` 0.
    pub events: Vec<Event>,
    /// Lines or packets that were not UDP/TCP or could not be parsed.
    pub skipped: usize,
    /// As [`ImportSummary::packets`].
    pub packets: u64,
    /// As [`ImportSummary::bytes`].
    pub bytes: u64,
    /// Notes such as "line 7: not JSON", as data; at most [`MAX_WARNINGS`] plus a count of
    /// the rest ([`ImportWarning::LeftOut`]).
    pub warnings: Vec<ImportWarning>,
    /// Comments on events (pcapng packet comments, a log's `comment` fields): the index in
    /// `events` and the text.
    pub comments: Vec<(usize, String)>,
    /// As [`ImportSummary::skipped_kinds`].
    pub skipped_kinds: Vec<(SkipKind, u64)>,
    /// As [`ImportSummary::fault`].
    pub fault: Option<Fault>,
}

/// Why nothing could be imported (as data: `i18n::import_error` words it).
#[derive(Debug)]
pub enum ImportError {
    /// The file could not be read.
    Io(io::Error),
    /// The file is not something we can import (not pcap/pcapng/JSONL, an empty file, …).
    Format(FormatProblem),
    /// The user cancelled the import.
    Cancelled,
}

/// Why a file is not something we can import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatProblem {
    /// The file has no bytes (or a gzip file holds none).
    EmptyFile,
    /// A gzip file that cannot be decompressed (the decompressor's message).
    DamagedGzip(String),
    /// A gzip file inside a gzip file.
    GzipInGzip,
    /// Not a capture: the magic number (or a pcapng file's first block) is unknown.
    UnknownMagic,
    /// Not a capture: the file header (a pcapng file's first block) is cut off.
    HeaderCut,
    /// No line of a JSONL log is a log record: the first line's problem, none if the log is
    /// empty (blank lines only).
    NoRecord(Option<Box<ImportWarning>>),
    /// Neither a pcap capture nor a log: what reading it as a log said.
    NotPcapOrLog(Box<FormatProblem>),
}

impl From<io::Error> for ImportError {
    fn from(e: io::Error) -> Self {
        ImportError::Io(e)
    }
}

/// Where a streaming import ([`read_file_into`]) hands its events, one by one, each with the
/// comment on it (a pcapng packet comment, a log line's `comment`). A sink that keeps no event
/// (a reader that prints or counts) hands back the payload buffer of the one it was given
/// (`Some(data)`) and the importer copies the next payload into it: no allocation per packet.
pub type Sink<'a> = dyn FnMut(Event, Option<&str>) -> Option<Vec<u8>> + 'a;

/// A handed-back payload buffer bigger than this is dropped rather than kept for the next.
const MAX_SPARE: usize = 256 * 1024;

/// What a streaming import ([`read_file_into`]) produced besides the events it handed over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Events handed to the sink.
    pub events: usize,
    /// Lines or packets that gave no event (for a capture: the sum of `skipped_kinds` other than
    /// [`SkipKind::Block`], which are no packets).
    pub skipped: usize,
    /// Notes such as "line 7: not JSON", as data; at most [`MAX_WARNINGS`] plus a count of
    /// the rest ([`ImportWarning::LeftOut`]).
    pub warnings: Vec<ImportWarning>,
    /// Packets of a capture read (shown or skipped), or lines of a log.
    pub packets: u64,
    /// Captured bytes of those packets (for a log: the bytes of its lines).
    pub bytes: u64,
    /// What was skipped, by kind, most frequent first: ARP, ICMP, unknown pcapng blocks, …
    pub skipped_kinds: Vec<(SkipKind, u64)>,
    /// Set when reading stopped before the end of the file (a damaged or cut-off block or
    /// record, a read error): where and why. The events before it were handed over.
    pub fault: Option<Fault>,
}

/// What an import skipped: a packet that is not UDP/TCP over IP, or a pcapng block that holds
/// no packet and that SockLab does not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipKind {
    Arp,
    Icmp,
    Icmpv6,
    Igmp,
    /// Another EtherType (LLDP, 802.1X, IPX, …): its value.
    EtherType(u16),
    /// Another IP protocol (SCTP, GRE, ESP, OSPF, …): its number.
    IpProtocol(u8),
    /// An interface of a link type SockLab does not read: its value.
    LinkType(u32),
    /// IP fragments whose datagram never became whole in the capture.
    Fragment,
    /// A BSD loopback frame of another address family than IPv4/IPv6: its value.
    Family(u32),
    /// A frame whose headers are malformed (the warnings say which and why).
    Malformed,
    /// A pcapng block of a type SockLab does not read (Name Resolution, Interface Statistics,
    /// Decryption Secrets, custom, …): the block type.
    Block(u32),
    /// A JSONL line that is no log record.
    Line,
}

/// Where and why reading a file stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// Byte offset in the file (after decompression, for a gzip file) where the bad block,
    /// record or line starts.
    pub offset: u64,
    /// Its number, 1-based, counted in `unit`s.
    pub number: u64,
    /// What `number` counts.
    pub unit: FaultUnit,
    pub problem: FaultProblem,
}

/// What a [`Fault`]'s number counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultUnit {
    /// pcapng blocks (the Section Header Block is block 1).
    Block,
    /// Packet records of a classic pcap file (after its file header).
    Record,
}

/// Why reading stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultProblem {
    /// The file ends inside a block or record (a capture that was cut short).
    CutOff,
    /// A block or record that cannot be parsed (the parser's words, in English).
    Damaged(String),
    /// A block or record longer than [`MAX_RECORD`] bytes.
    TooBig(u64),
    /// Reading the file failed (the system's message).
    Io(String),
}

/// Collects the result: events (handed to the sink as they come), skips by kind, counts and a
/// bounded list of warnings.
struct Output<'s> {
    sink: &'s mut Sink<'s>,
    /// A payload buffer the sink handed back, for the next payload (see [`Sink`]).
    spare: Vec<u8>,
    events: usize,
    skipped: usize,
    warnings: Vec<ImportWarning>,
    warnings_left_out: usize,
    /// The comment of the packet being read: it goes with the next event emitted.
    comment: Option<String>,
    /// Skips by kind (a handful of kinds: a list is quicker than a map).
    kinds: Vec<(SkipKind, u64)>,
    packets: u64,
    bytes: u64,
    fault: Option<Fault>,
}

impl<'s> Output<'s> {
    fn new(sink: &'s mut Sink<'s>) -> Output<'s> {
        Output {
            sink,
            spare: Vec::new(),
            events: 0,
            skipped: 0,
            warnings: Vec::new(),
            warnings_left_out: 0,
            comment: None,
            kinds: Vec::new(),
            packets: 0,
            bytes: 0,
            fault: None,
        }
    }

    /// Counts `n` skips of a kind (without adding to `skipped`).
    fn count(&mut self, kind: SkipKind, n: u64) {
        if n == 0 {
            return;
        }
        match self.kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, count)) => *count += n,
            None => self.kinds.push((kind, n)),
        }
    }

    /// Counts a skipped pcapng block (no packet: not in `skipped`).
    fn skip_block(&mut self, kind: SkipKind) {
        self.count(kind, 1);
    }

    /// Counts `n` skipped packets of a kind, without warnings.
    fn skip_many(&mut self, kind: SkipKind, n: u64) {
        self.skipped += usize::try_from(n).unwrap_or(usize::MAX);
        self.count(kind, n);
    }

    fn emit(&mut self, event: Event) {
        self.events += 1;
        let comment = self.comment.take();
        if let Some(spare) = (self.sink)(event, comment.as_deref())
            && spare.capacity() <= MAX_SPARE
        {
            self.spare = spare;
        }
    }

    /// An owned copy of a payload, in the buffer the sink handed back if there is one.
    fn payload(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut v = std::mem::take(&mut self.spare);
        v.clear();
        v.extend_from_slice(bytes);
        v
    }

    fn warn(&mut self, msg: ImportWarning) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(msg);
        } else {
            self.warnings_left_out += 1;
        }
    }

    /// Counts a skipped line or packet, with a warning when there is something to say.
    fn skip(&mut self, kind: SkipKind, why: Option<ImportWarning>) {
        self.skip_many(kind, 1);
        if let Some(msg) = why {
            self.warn(msg);
        }
    }

    /// Emits an event with its own comment (a log line's).
    fn emit_commented(&mut self, event: Event, comment: Option<String>) {
        if comment.is_some() {
            self.comment = comment;
        }
        self.emit(event);
    }

    fn finish(mut self) -> ImportSummary {
        if self.warnings_left_out > 0 {
            self.warnings.push(ImportWarning::LeftOut(self.warnings_left_out));
        }
        // Most frequent first; ties in a fixed order.
        self.kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ImportSummary {
            events: self.events,
            skipped: self.skipped,
            warnings: self.warnings,
            packets: self.packets,
            bytes: self.bytes,
            skipped_kinds: self.kinds,
            fault: self.fault,
        }
    }
}

#[cfg(any(test, feature = "test-support"))]
/// Runs a streaming import, collecting its events.
fn collect(read: impl FnOnce(&mut Sink<'_>) -> Result<ImportSummary, ImportError>) -> Result<Imported, ImportError> {
    let (mut events, mut comments) = (Vec::new(), Vec::new());
    let summary = read(&mut |ev, comment| {
        if let Some(c) = comment {
            comments.push((events.len(), c.to_string()));
        }
        events.push(ev);
        None
    })?;
    Ok(Imported {
        events,
        skipped: summary.skipped,
        packets: summary.packets,
        bytes: summary.bytes,
        warnings: summary.warnings,
        comments,
        skipped_kinds: summary.skipped_kinds,
        fault: summary.fault,
    })
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
        Some(m) if is_pcap_magic(m) => FileKind::Pcap,
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

#[cfg(any(test, feature = "test-support"))]
/// Imports a pcap or pcapng capture or a JSONL log, whichever the file is.
pub fn read_file(path: &Path) -> Result<Imported, ImportError> {
    read_file_with(path, &Progress::default())
}

#[cfg(any(test, feature = "test-support"))]
/// Like [`read_file`], reporting the bytes read so far in `progress.done` and stopping with
/// [`ImportError::Cancelled`] soon after `progress.cancel` is set.
pub fn read_file_with(path: &Path, progress: &Progress) -> Result<Imported, ImportError> {
    collect(|sink| read_file_into(path, progress, sink))
}

/// Buffer of the file reader (a capture reader's bigger reads go past it, straight into the
/// reader's own buffer).
const READ_BUFFER: usize = 64 * 1024;

/// Streams a pcap or pcapng capture or a JSONL log (either of them gzip-compressed, too) into `sink`,
/// event by event: the file is never held in memory, `progress.done` counts the bytes read
/// from the file as they are read, and `progress.cancel` is looked at every
/// [`CHECK_EVERY`] packets or lines.
pub fn read_file_into(
    path: &Path,
    progress: &Progress,
    sink: &mut Sink<'_>,
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
                ImportError::Format(FormatProblem::DamagedGzip(e.to_string()))
            }
            _ => ImportError::Io(e),
        })?;
    }
    if magic.is_empty() {
        return Err(ImportError::Format(FormatProblem::EmptyFile));
    }
    match sniff(&magic) {
        FileKind::Pcapng => read_pcapng_stream(r, progress, sink),
        FileKind::Gzip => Err(ImportError::Format(FormatProblem::GzipInGzip)),
        FileKind::Pcap => read_pcap_stream(r, progress, sink),
        FileKind::Other => read_jsonl_stream(r, progress, sink).map_err(|e| match e {
            ImportError::Format(p) => ImportError::Format(FormatProblem::NotPcapOrLog(Box::new(p))),
            io => io,
        }),
    }
}

/// Lines or packets read between two looks at the cancel flag.
const CHECK_EVERY: usize = 1024;

fn cancelled(progress: &Progress) -> bool {
    progress.cancel.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff(&[0xd4, 0xc3, 0xb2, 0xa1]), FileKind::Pcap);
        assert_eq!(sniff(&[0xa1, 0xb2, 0x3c, 0x4d]), FileKind::Pcap);
        assert_eq!(sniff(&[0x0a, 0x0d, 0x0d, 0x0a]), FileKind::Pcapng);
        assert_eq!(sniff(b"{\"ts"), FileKind::Other);
        assert_eq!(sniff(b""), FileKind::Other);
    }
}
