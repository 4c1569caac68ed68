//! Import of classic pcap captures (either byte order, micro- or nanosecond time stamps), read
//! with `pcap-parser`'s streaming [`LegacyPcapReader`].

use std::io::BufRead;

use jiff::Timestamp;
use pcap_parser::{LegacyPcapReader, PcapBlockOwned};

use super::capture::{BUFFER, Container, LinkType, Packets, Source, drive, header_error, with_io_message};
#[cfg(any(test, feature = "test-support"))]
use super::{Imported, collect};
use super::{ImportError, ImportSummary, Output, Sink};
use crate::log::export::Progress;

/// The magic numbers of classic pcap files (both byte orders; micro- and nanoseconds).
pub(super) fn is_pcap_magic(m: &[u8]) -> bool {
    matches!(
        m,
        [0xd4, 0xc3, 0xb2, 0xa1] | [0xa1, 0xb2, 0xc3, 0xd4] | [0x4d, 0x3c, 0xb2, 0xa1] | [0xa1, 0xb2, 0x3c, 0x4d]
    )
}

#[cfg(any(test, feature = "test-support"))]
/// Imports a classic pcap capture. UDP datagrams and TCP segments over IPv4/IPv6 become
/// events; other packets are counted by kind. A damaged or cut-off record ends the import with
/// a fault (the events before it are kept).
pub fn read_pcap(mut bytes: &[u8]) -> Result<Imported, ImportError> {
    collect(|sink| read_pcap_stream(&mut bytes, &Progress::default(), sink))
}

/// The file header's facts.
struct Legacy {
    link: Result<LinkType, u32>,
    nanos: bool,
    big_endian: bool,
}

impl Container for Legacy {
    const HEADER_BLOCKS: u64 = 1;
    const UNIT: super::FaultUnit = super::FaultUnit::Record;

    fn block(&mut self, block: PcapBlockOwned<'_>, out: &mut Output<'_>, packets: &mut Packets) {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                self.link = LinkType::from_code(u32::from_ne_bytes(h.network.0.to_ne_bytes()));
                self.nanos = h.is_nanosecond_precision();
                self.big_endian = h.is_bigendian();
            }
            PcapBlockOwned::Legacy(b) => {
                let frac = if self.nanos { i128::from(b.ts_usec) } else { i128::from(b.ts_usec) * 1_000 };
                let ns = i128::from(b.ts_sec) * 1_000_000_000 + frac;
                // Cannot fail for u32 seconds, but a corrupt file must not panic.
                let time = Timestamp::from_nanosecond(ns).unwrap_or(Timestamp::UNIX_EPOCH);
                packets.frame(out, time, self.link, b.data);
            }
            PcapBlockOwned::NG(_) => {}
        }
    }

    fn declared_len(&self, data: &[u8]) -> Option<u64> {
        let caplen: [u8; 4] = data.get(8..12)?.try_into().ok()?;
        let caplen = if self.big_endian { u32::from_be_bytes(caplen) } else { u32::from_le_bytes(caplen) };
        Some(16 + u64::from(caplen))
    }
}

pub(super) fn read_pcap_stream(
    r: &mut dyn BufRead,
    progress: &Progress,
    sink: &mut Sink<'_>,
) -> Result<ImportSummary, ImportError> {
    let mut source = Source::new(r);
    let mut out = Output::new(sink);
    let mut packets = Packets::default();
    let mut legacy = Legacy { link: Err(0), nanos: false, big_endian: false };
    let fault = match LegacyPcapReader::new(BUFFER, &mut source) {
        Ok(mut reader) => drive(&mut reader, &mut legacy, &mut out, &mut packets, progress)?,
        Err(e) => return Err(header_error(&e, &mut source)),
    };
    out.fault = with_io_message(fault, &mut source);
    packets.finish(&mut out);
    Ok(out.finish())
}
