//! What the capture containers (classic pcap, pcapng) share: the link types, each packet's way
//! through the decoder, the defragmenter and the flow tracker, and the loop that drives a
//! `pcap-parser` streaming reader (refill, grow, stop at a damaged or cut-off block).

use std::io::{self, BufRead, Read};

use jiff::Timestamp;
use pcap_parser::{PcapBlockOwned, PcapError, traits::PcapReaderIterator};

use super::decode::{Decoded, IpPacket, Packet, decode_frame, decode_transport};
use super::defrag::{Added, Defrag};
use super::reassembly::Flows;
use super::warning::{FrameProblem, ImportWarning, PacketProblem};
use super::{CHECK_EVERY, Fault, FaultProblem, ImportError, MAX_RECORD, Output, SkipKind, cancelled};
use crate::log::export::Progress;

/// Starting size of a reader's buffer (it grows for a bigger block, up to [`MAX_RECORD`]).
pub(super) const BUFFER: usize = 256 * 1024;

/// The link types we can take IP packets out of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LinkType {
    /// 0 (BSD loopback, host byte order) and 108 (OpenBSD loopback, network byte order).
    Null,
    Ethernet,
    /// 101, 228 and 229: the packet starts with the IP header.
    RawIp,
    LinuxSll,
    LinuxSll2,
}

impl LinkType {
    /// The link type of a header's value; `Err` with the value if it is not one we read.
    pub(super) fn from_code(field: u32) -> Result<LinkType, u32> {
        // The upper 16 bits may carry FCS information; the link type is the lower 16.
        Ok(match field & 0xffff {
            0 | 108 => LinkType::Null,
            1 => LinkType::Ethernet,
            101 | 228 | 229 => LinkType::RawIp,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            other => return Err(other),
        })
    }
}

/// The packets of a capture on their way to events.
#[derive(Default)]
pub(super) struct Packets {
    flows: Flows,
    defrag: Defrag,
    /// The time of the last packet (for a pcapng Simple Packet Block, which has none).
    pub(super) last_time: Option<Timestamp>,
}

fn warning(packet: u64, problem: PacketProblem) -> ImportWarning {
    ImportWarning::Packet { packet: usize::try_from(packet).unwrap_or(usize::MAX), problem }
}

impl Packets {
    /// Counts a packet that is not decoded (no interface for it): skipped as malformed.
    pub(super) fn undecodable(&mut self, out: &mut Output<'_>, data: &[u8], problem: PacketProblem) {
        out.packets += 1;
        out.bytes += data.len() as u64;
        out.skip(SkipKind::Malformed, Some(warning(out.packets, problem)));
    }

    /// One captured frame of link type `link`.
    pub(super) fn frame(&mut self, out: &mut Output<'_>, time: Timestamp, link: Result<LinkType, u32>, data: &[u8]) {
        out.packets += 1;
        out.bytes += data.len() as u64;
        self.last_time = Some(time);
        let number = out.packets;
        let link = match link {
            Ok(link) => link,
            Err(code) => return out.skip(SkipKind::LinkType(code), None),
        };
        match decode_frame(link, data) {
            Ok(Decoded::Packet(pkt)) => self.packet(out, number, time, &pkt),
            Ok(Decoded::Skip(kind)) => out.skip(kind, None),
            Ok(Decoded::Fragment(f)) => {
                if f.missing > 0 {
                    // Cut by the snap length: the datagram can never be whole.
                    return out.skip(SkipKind::Fragment, None);
                }
                let (added, given_up) = self.defrag.add(&f);
                out.skip_many(SkipKind::Fragment, given_up);
                match added {
                    Added::Held => {}
                    Added::Bad(n) => {
                        out.skip_many(SkipKind::Fragment, n.saturating_sub(1));
                        out.skip(SkipKind::Fragment, Some(warning(number, PacketProblem::Frame(FrameProblem::BadFragment))));
                    }
                    Added::Whole(datagram, fragments) => {
                        let ip = IpPacket { src: f.src, dst: f.dst, protocol: f.protocol, payload: &datagram, missing: 0 };
                        match decode_transport(&ip) {
                            Ok(Decoded::Packet(pkt)) => self.packet(out, number, time, &pkt),
                            Ok(Decoded::Skip(kind)) => out.skip_many(kind, fragments),
                            Ok(Decoded::Fragment(_)) => out.skip_many(SkipKind::Fragment, fragments),
                            Err(why) => {
                                out.skip_many(SkipKind::Malformed, fragments.saturating_sub(1));
                                out.skip(SkipKind::Malformed, Some(warning(number, PacketProblem::Frame(why))));
                            }
                        }
                    }
                }
            }
            Err(why) => out.skip(SkipKind::Malformed, Some(warning(number, PacketProblem::Frame(why)))),
        }
    }

    fn packet(&mut self, out: &mut Output<'_>, number: u64, time: Timestamp, pkt: &Packet<'_>) {
        if pkt.missing > 0 {
            let snapped = PacketProblem::Snapped { kept: pkt.payload.len(), missing: pkt.missing };
            out.warn(warning(number, snapped));
        }
        self.flows.packet(out, number, time, pkt);
    }

    /// The end of the capture: streams with holes are delivered, unfinished fragments counted.
    pub(super) fn finish(self, out: &mut Output<'_>) {
        self.flows.finish(out);
        out.skip_many(SkipKind::Fragment, self.defrag.finish());
    }
}

/// Reads the file for a `pcap-parser` reader, and keeps the system's error for the fault.
/// A read gives at least [`MIN_READ`] bytes unless the input ends (the reader parses the
/// file header from its first read), and otherwise what one read of the input gives (so
/// that progress and cancel follow the file as it is read).
pub(super) struct Source<'r> {
    inner: &'r mut dyn BufRead,
    pub(super) error: Option<io::Error>,
}

/// See [`Source`].
const MIN_READ: usize = 64 * 1024;

impl<'r> Source<'r> {
    pub(super) fn new(inner: &'r mut dyn BufRead) -> Source<'r> {
        Source { inner, error: None }
    }
}

impl Read for Source<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // An error stays: a decompressor reports a bad checksum once, then reads as the end.
        if let Some(e) = &self.error {
            return Err(io::Error::from(e.kind()));
        }
        let want = buf.len().clamp(1, MIN_READ);
        let mut got = 0;
        while got < want {
            let Some(rest) = buf.get_mut(got..) else { break };
            match self.inner.read(rest) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let kind = e.kind();
                    self.error = Some(e);
                    if got > 0 {
                        break; // the next read returns it
                    }
                    return Err(io::Error::from(kind));
                }
            }
        }
        Ok(got)
    }
}

/// A container format's part of the reading loop.
pub(super) trait Container {
    /// Blocks before the first record that are not counted in a fault's number (the classic
    /// pcap file header: its records are numbered from 1).
    const HEADER_BLOCKS: u64;
    /// What a fault's number counts in this container.
    const UNIT: super::FaultUnit;

    /// Handles one block (the file header, a record, a pcapng block).
    fn block(&mut self, block: PcapBlockOwned<'_>, out: &mut Output<'_>, packets: &mut Packets);

    /// The length of the block at the start of `data`, as its header says (for a block that
    /// does not fit the buffer).
    fn declared_len(&self, data: &[u8]) -> Option<u64>;

    /// For a block the parser refused: if all of it is in `data` (its lengths agree), its
    /// length and, if it holds no packet and can be passed over, how it is counted.
    fn whole_block(&self, _data: &[u8]) -> Option<(usize, Option<SkipKind>)> {
        None
    }
}

/// What to do after a reader's answer (no borrow of the reader left).
enum Step {
    Consume(usize),
    /// A block the parser refused, but whose lengths agree and that holds no packet.
    Pass(usize, SkipKind),
    Refill,
    Grow(Option<u64>),
    Done,
    Fault(FaultProblem),
}

/// Reads blocks until the end of the file or a fault, which is returned.
pub(super) fn drive<R: PcapReaderIterator, C: Container>(
    reader: &mut R,
    container: &mut C,
    out: &mut Output<'_>,
    packets: &mut Packets,
    progress: &Progress,
) -> Result<Option<Fault>, ImportError> {
    let mut blocks = 0u64;
    let mut capacity = BUFFER;
    loop {
        if blocks.is_multiple_of(CHECK_EVERY as u64) && cancelled(progress) {
            return Err(ImportError::Cancelled);
        }
        let offset = reader.consumed() as u64;
        let step = match reader.next() {
            Ok((len, block)) => {
                container.block(block, out, packets);
                Step::Consume(len)
            }
            Err(PcapError::Eof) => Step::Done,
            Err(
                e @ (PcapError::Incomplete(_)
                | PcapError::UnexpectedEof
                | PcapError::BufferTooSmall
                | PcapError::NomError(..)),
            ) => {
                let why = parse_error(&e);
                let (incomplete, eof, too_small) = (
                    matches!(e, PcapError::Incomplete(_)),
                    matches!(e, PcapError::UnexpectedEof),
                    matches!(e, PcapError::BufferTooSmall),
                );
                // A block that is all there and still refused is damaged inside (or passed
                // over, if it holds no packet); otherwise more of the file is needed.
                match container.whole_block(reader.data()) {
                    Some((len, Some(kind))) => Step::Pass(len, kind),
                    Some(_) => Step::Fault(FaultProblem::Damaged(why)),
                    None if incomplete => Step::Refill,
                    None if too_small => Step::Grow(container.declared_len(reader.data())),
                    None if eof => Step::Fault(FaultProblem::CutOff),
                    None => Step::Fault(FaultProblem::Damaged(why)),
                }
            }
            Err(PcapError::ReadError) => Step::Fault(FaultProblem::Io(String::new())),
            Err(e) => Step::Fault(FaultProblem::Damaged(parse_error(&e))),
        };
        let fault = |problem| Ok(Some(Fault { offset, number: blocks + 1 - C::HEADER_BLOCKS.min(blocks + 1), unit: C::UNIT, problem }));
        match step {
            // No shift on consume: the next refill moves only the unread rest to the front.
            Step::Consume(len) => {
                blocks += 1;
                reader.consume_noshift(len);
            }
            Step::Pass(len, kind) => {
                blocks += 1;
                out.skip_block(kind);
                reader.consume_noshift(len);
            }
            Step::Done => return Ok(None),
            Step::Fault(problem) => return fault(problem),
            Step::Refill => {
                let before = reader.data().len();
                if reader.refill().is_err() {
                    return fault(FaultProblem::Io(String::new()));
                }
                if reader.data().len() == before && !reader.reader_exhausted() {
                    // No room to read into: the block does not fit the buffer.
                    if let Some(grown) = grow(reader, &mut capacity, container.declared_len(reader.data())) {
                        return fault(grown);
                    }
                }
            }
            Step::Grow(declared) => {
                if let Some(problem) = grow(reader, &mut capacity, declared) {
                    return fault(problem);
                }
                if reader.refill().is_err() {
                    return fault(FaultProblem::Io(String::new()));
                }
            }
        }
    }
}

/// The parser's complaint, in its (English) words, without the bytes it quotes.
fn parse_error(e: &PcapError<&[u8]>) -> String {
    match e {
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("parse error ({})", kind.description())
        }
        PcapError::Incomplete(_) | PcapError::UnexpectedEof | PcapError::BufferTooSmall => {
            "its lengths do not fit its contents".into()
        }
        PcapError::HeaderNotRecognized => "header not recognized".into(),
        other => other.to_string(),
    }
}

/// Makes room for a block of `declared` bytes (or twice the room, if unknown); the fault if
/// the block is bigger than [`MAX_RECORD`] allows.
fn grow<R: PcapReaderIterator>(reader: &mut R, capacity: &mut usize, declared: Option<u64>) -> Option<FaultProblem> {
    const MAX_BUFFER: usize = MAX_RECORD + 64 * 1024;
    let wanted = match declared {
        Some(len) if len > MAX_BUFFER as u64 => return Some(FaultProblem::TooBig(len)),
        Some(len) => usize::try_from(len).unwrap_or(MAX_BUFFER).saturating_add(4096).max(*capacity * 2),
        None => *capacity * 2,
    }
    .min(MAX_BUFFER);
    if wanted <= *capacity || !reader.grow(wanted) {
        return Some(FaultProblem::TooBig(declared.unwrap_or(*capacity as u64)));
    }
    *capacity = wanted;
    None
}

/// The system's message for a read fault, once the reader is done with the source.
pub(super) fn with_io_message(fault: Option<Fault>, source: &mut Source<'_>) -> Option<Fault> {
    fault.map(|mut f| {
        if let FaultProblem::Io(msg) = &mut f.problem
            && let Some(e) = source.error.take()
        {
            *msg = e.to_string();
        }
        f
    })
}

/// Maps the error of a reader that could not even read the file header.
pub(super) fn header_error(e: &PcapError<&[u8]>, source: &mut Source<'_>) -> ImportError {
    match e {
        PcapError::ReadError => ImportError::Io(source.error.take().unwrap_or_else(|| io::Error::other("read error"))),
        PcapError::Incomplete(_) | PcapError::UnexpectedEof | PcapError::Eof => {
            ImportError::Format(super::FormatProblem::HeaderCut)
        }
        _ => ImportError::Format(super::FormatProblem::UnknownMagic),
    }
}
