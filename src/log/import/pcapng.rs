//! Import of pcapng captures (what Wireshark, dumpcap and tshark save), read with
//! `pcap-parser`'s streaming [`PcapNGReader`]: several sections (each with its own byte order
//! and interfaces), Interface Description Blocks (link type, `if_tsresol`, `if_tsoffset`),
//! Enhanced, Simple and the obsolete Packet Blocks, and packet comments (`opt_comment`), which
//! go with the event their packet gives. Other blocks are skipped and counted.

use std::io::BufRead;

use jiff::Timestamp;
use pcap_parser::pcapng::{Block, OptionCode, PcapNGOption};
use pcap_parser::traits::PcapNGPacketBlock;
use pcap_parser::{PcapBlockOwned, PcapNGReader};

use super::capture::{BUFFER, Container, LinkType, Packets, Source, drive, header_error, with_io_message};
#[cfg(any(test, feature = "test-support"))]
use super::{Imported, collect};
use super::{ImportError, ImportSummary, Output, Sink, PacketProblem, SkipKind};
use crate::log::export::Progress;

/// The obsolete Packet Block's type.
const PACKET_BLOCK: u32 = 2;
/// Interfaces of one section kept at most (more are counted as skipped blocks).
const MAX_INTERFACES: usize = 1 << 16;
/// Longest comment kept (longer ones are cut, at a character boundary).
const MAX_COMMENT: usize = 64 * 1024;

#[cfg(any(test, feature = "test-support"))]
/// Imports a pcapng capture; see [`super::read_file`].
pub fn read_pcapng(mut bytes: &[u8]) -> Result<Imported, ImportError> {
    collect(|sink| read_pcapng_stream(&mut bytes, &Progress::default(), sink))
}

/// One interface of a section.
struct Interface {
    link: Result<LinkType, u32>,
    /// Time stamp units per second (`None`: an `if_tsresol` too fine to use; taken as µs).
    units: Option<u64>,
    /// Seconds added to every time stamp (`if_tsoffset`).
    offset: i64,
}

impl Interface {
    fn time(&self, high: u32, low: u32) -> Timestamp {
        let ticks = i128::from((u64::from(high) << 32) | u64::from(low));
        let units = i128::from(self.units.unwrap_or(1_000_000).max(1));
        let ns = ticks / units * 1_000_000_000 + ticks % units * 1_000_000_000 / units;
        let ns = ns + i128::from(self.offset) * 1_000_000_000;
        Timestamp::from_nanosecond(ns).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

/// The current section.
#[derive(Default)]
struct Section {
    big_endian: bool,
    interfaces: Vec<Interface>,
}

impl Section {
    /// A block type as the section's byte order wrote it (pcap-parser reads unknown types as
    /// little-endian).
    fn block_type(&self, raw: u32) -> u32 {
        if self.big_endian { raw.swap_bytes() } else { raw }
    }

    fn u32_at(&self, b: &[u8], at: usize) -> Option<u32> {
        let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian { u32::from_be_bytes(bytes) } else { u32::from_le_bytes(bytes) })
    }

    fn interface(&mut self, idb: &pcap_parser::pcapng::InterfaceDescriptionBlock<'_>) -> bool {
        // pcap-parser's `ts_resolution` compares the whole byte with 63, refusing every binary
        // resolution (high bit set): decoded here.
        let units = match idb.if_tsresol {
            r if r & 0x80 != 0 => 1u64.checked_shl(u32::from(r & 0x7f)),
            r => 10u64.checked_pow(u32::from(r)),
        };
        if self.interfaces.len() >= MAX_INTERFACES {
            return false;
        }
        // pcap-parser reads `if_tsoffset` as little-endian whatever the section's order.
        let offset = idb
            .options
            .iter()
            .find(|o| o.code == OptionCode::IfTsoffset)
            .and_then(|o| o.value().get(..8)?.try_into().ok())
            .map_or(0, |b: [u8; 8]| if self.big_endian { i64::from_be_bytes(b) } else { i64::from_le_bytes(b) });
        let link = LinkType::from_code(u32::from(u16::try_from(idb.linktype.0 & 0xffff).unwrap_or(0)));
        self.interfaces.push(Interface { link, units, offset });
        true
    }
}

/// The comments among a packet block's options, as one text.
fn comments(options: &[PcapNGOption<'_>]) -> Option<String> {
    let mut text: Option<String> = None;
    for o in options.iter().filter(|o| o.code == OptionCode::Comment) {
        let Ok(bytes) = o.as_bytes() else { continue };
        let c = String::from_utf8_lossy(bytes);
        let t = text.get_or_insert_with(String::new);
        if !t.is_empty() {
            t.push('\n');
        }
        t.push_str(&c);
    }
    text.map(|mut t| {
        if t.len() > MAX_COMMENT {
            let mut end = MAX_COMMENT;
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            t.truncate(end);
        }
        t
    })
}

/// Sets the comment that goes with the next event (after any not yet handed over).
fn comment(out: &mut Output<'_>, text: Option<String>) {
    let Some(text) = text else { return };
    match &mut out.comment {
        Some(pending) => {
            pending.push('\n');
            pending.push_str(&text);
        }
        None => out.comment = Some(text),
    }
}

impl Container for Section {
    const HEADER_BLOCKS: u64 = 0;
    const UNIT: super::FaultUnit = super::FaultUnit::Block;

    fn block(&mut self, block: PcapBlockOwned<'_>, out: &mut Output<'_>, packets: &mut Packets) {
        let PcapBlockOwned::NG(block) = block else { return };
        match block {
            Block::SectionHeader(shb) => {
                self.big_endian = shb.big_endian();
                self.interfaces.clear();
            }
            Block::InterfaceDescription(idb) => {
                if !self.interface(&idb) {
                    out.skip_block(SkipKind::Block(pcap_parser::pcapng::IDB_MAGIC));
                }
            }
            Block::EnhancedPacket(epb) => {
                let data = epb.packet_data();
                let Some(iface) = self.interfaces.get(epb.if_id as usize) else {
                    return packets.undecodable(out, data, PacketProblem::NoInterface(epb.if_id));
                };
                comment(out, comments(&epb.options));
                packets.frame(out, iface.time(epb.ts_high, epb.ts_low), iface.link, data);
            }
            Block::SimplePacket(spb) => {
                let data = spb.packet_data();
                let Some(iface) = self.interfaces.first() else {
                    return packets.undecodable(out, data, PacketProblem::NoInterface(0));
                };
                let time = packets.last_time.unwrap_or(Timestamp::UNIX_EPOCH);
                packets.frame(out, time, iface.link, data);
            }
            Block::Unknown(ub) if self.block_type(ub.block_type) == PACKET_BLOCK => self.packet_block(ub.data, out, packets),
            Block::Unknown(ub) => out.skip_block(SkipKind::Block(self.block_type(ub.block_type))),
            Block::Custom(cb) => out.skip_block(SkipKind::Block(self.block_type(cb.block_type))),
            other => out.skip_block(SkipKind::Block(other.magic())),
        }
    }

    fn declared_len(&self, data: &[u8]) -> Option<u64> {
        // A section header says its own byte order, with its byte-order magic.
        let big_endian = match data.get(..4) {
            Some([0x0a, 0x0d, 0x0d, 0x0a]) => data.get(8..12)? == [0x1a, 0x2b, 0x3c, 0x4d],
            _ => self.big_endian,
        };
        let len: [u8; 4] = data.get(4..8)?.try_into().ok()?;
        Some(u64::from(if big_endian { u32::from_be_bytes(len) } else { u32::from_le_bytes(len) }))
    }

    fn whole_block(&self, data: &[u8]) -> Option<(usize, Option<SkipKind>)> {
        let ty = self.u32_at(data, 0)?;
        let len = usize::try_from(self.declared_len(data)?).ok()?;
        if len < 12 || !len.is_multiple_of(4) || data.len() < len || self.u32_at(data, len - 4)? as usize != len {
            return None;
        }
        // Blocks that hold packets or describe them cannot be passed over.
        let passable = !matches!(ty, 0x0a0d_0d0a | 1 | PACKET_BLOCK | 3 | 6);
        Some((len, passable.then_some(SkipKind::Block(ty))))
    }
}

impl Section {
    /// The obsolete Packet Block: interface (16 bits), drops (16), time stamp (2 × 32), captured
    /// and original length, the data.
    fn packet_block(&self, body: &[u8], out: &mut Output<'_>, packets: &mut Packets) {
        let if_id = body.get(..2).and_then(|b| b.try_into().ok()).map(|b: [u8; 2]| {
            if self.big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) }
        });
        let (Some(if_id), Some(high), Some(low), Some(caplen)) =
            (if_id, self.u32_at(body, 4), self.u32_at(body, 8), self.u32_at(body, 12))
        else {
            return packets.undecodable(out, body, PacketProblem::NoInterface(0));
        };
        let data = body.get(20..).unwrap_or_default();
        let data = data.get(..caplen as usize).unwrap_or(data);
        let Some(iface) = self.interfaces.get(usize::from(if_id)) else {
            return packets.undecodable(out, data, PacketProblem::NoInterface(u32::from(if_id)));
        };
        packets.frame(out, iface.time(high, low), iface.link, data);
    }
}

pub(super) fn read_pcapng_stream(
    r: &mut dyn BufRead,
    progress: &Progress,
    sink: &mut Sink<'_>,
) -> Result<ImportSummary, ImportError> {
    let mut source = Source::new(r);
    let mut out = Output::new(sink);
    let mut packets = Packets::default();
    let mut section = Section::default();
    let fault = match PcapNGReader::new(BUFFER, &mut source) {
        Ok(mut reader) => drive(&mut reader, &mut section, &mut out, &mut packets, progress)?,
        Err(e) => return Err(header_error(&e, &mut source)),
    };
    out.fault = with_io_message(fault, &mut source);
    packets.finish(&mut out);
    Ok(out.finish())
}
