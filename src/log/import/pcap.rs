//! Import of classic pcap captures: the file and record headers, and the loop that hands each
//! packet to the decoder and the connection tracker.

#![allow(clippy::indexing_slicing, reason = "record headers are checked against the bytes read before they are sliced")]

use std::io::{self, BufRead};

use jiff::Timestamp;

use super::decode::decode_frame;
use super::reassembly::Flows;
use super::warning::{ImportWarning, PacketProblem};
#[cfg(any(test, feature = "test-support"))]
use super::{Imported, collect};
use super::{
    CHECK_EVERY, FileKind, FormatProblem, ImportError, ImportSummary, MAX_RECORD, Output, cancelled,
    sniff,
};
use crate::engine::Event;
use crate::log::export::Progress;

/// Byte order and time resolution of a classic pcap file.
#[derive(Clone, Copy, Debug)]
pub(super) struct PcapFormat {
    big_endian: bool,
    nanos: bool,
}

impl PcapFormat {
    pub(super) fn from_magic(m: &[u8]) -> Option<PcapFormat> {
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
    fn from_header(field: u32) -> Result<LinkType, ImportError> {
        // The upper 16 bits may carry FCS information; the link type is the lower 16.
        Ok(match field & 0xffff {
            0 | 108 => LinkType::Null,
            1 => LinkType::Ethernet,
            101 | 228 | 229 => LinkType::RawIp,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            other => {
                return Err(ImportError::Format(FormatProblem::LinkType(other)));
            }
        })
    }
}

const FILE_HEADER: usize = 24;
const RECORD_HEADER: usize = 16;

#[cfg(any(test, feature = "test-support"))]
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

pub(super) fn read_pcap_stream(
    r: &mut dyn BufRead,
    progress: &Progress,
    sink: &mut dyn FnMut(Event, Option<&str>),
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
            out.skip(Some(packet(number, PacketProblem::CutOff)));
            break;
        };
        let incl_len = incl_len as usize;
        if incl_len > MAX_RECORD {
            out.skip(Some(packet(number, PacketProblem::RecordTooBig(incl_len))));
            break;
        }
        data.resize(incl_len, 0);
        if read_full(r, &mut data)? < incl_len {
            out.skip(Some(packet(number, PacketProblem::CutOff)));
            break;
        }
        let time = format.time(secs, frac);
        match decode_frame(link, &data) {
            Ok(Some(pkt)) => {
                if pkt.missing > 0 {
                    let snapped = PacketProblem::Snapped { kept: pkt.payload.len(), missing: pkt.missing };
                    out.warn(packet(number, snapped));
                }
                flows.packet(&mut out, number, time, &pkt);
            }
            Ok(None) => out.skip(None),
            Err(why) => out.skip(Some(packet(number, PacketProblem::Frame(why)))),
        }
    }
    Ok(out.finish())
}

fn pcap_header(bytes: &[u8]) -> Result<(PcapFormat, LinkType), ImportError> {
    if sniff(bytes) == FileKind::Pcapng {
        return Err(ImportError::Format(FormatProblem::Pcapng));
    }
    let format =
        bytes.get(..4).and_then(PcapFormat::from_magic).ok_or(ImportError::Format(FormatProblem::UnknownMagic))?;
    let link = format.u32_at(bytes, 20).ok_or(ImportError::Format(FormatProblem::HeaderCut))?;
    Ok((format, LinkType::from_header(link)?))
}

fn packet(packet: usize, problem: PacketProblem) -> ImportWarning {
    ImportWarning::Packet { packet, problem }
}
