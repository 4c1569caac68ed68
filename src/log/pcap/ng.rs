//! The pcapng container (Wireshark's default format): one Section Header Block naming SockLab,
//! one Interface Description Block (Ethernet, nanosecond time), then an Enhanced Packet Block
//! per frame, with the row's comments (`opt_comment`). The frames are the ones
//! [`super::PcapWriter`] synthesizes for classic pcap: one writer, two containers.
//! Little-endian throughout, as the byte-order magic says.

use std::io::{self, Write};

use super::{LINKTYPE_ETHERNET, SNAPLEN};

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const EPB: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

const OPT_ENDOFOPT: u16 = 0;
const OPT_COMMENT: u16 = 1;
const SHB_HARDWARE: u16 = 2;
const SHB_OS: u16 = 3;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_DESCRIPTION: u16 = 3;
const IF_TSRESOL: u16 = 9;

/// The interface's name in the capture (Wireshark's "Interface" column and `frame.interface_name`).
pub const IF_NAME_VALUE: &str = "socklab";
/// Time stamps are in nanoseconds: `if_tsresol` 9 (10^-9 s).
pub const TSRESOL_NANOS: u8 = 9;
/// An option's value is at most this long (its length field is 16 bits); longer comments are cut
/// at a character boundary.
const MAX_OPTION: usize = 65_532;

/// Appends one option (code, length, value padded to 32 bits).
fn option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    let value = value.get(..value.len().min(MAX_OPTION)).unwrap_or_default();
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
    out.resize(out.len() + pad(value.len()), 0);
}

/// A text option, cut at a character boundary if it does not fit.
fn text_option(out: &mut Vec<u8>, code: u16, text: &str) {
    let mut end = text.len().min(MAX_OPTION);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    option(out, code, text.get(..end).unwrap_or_default().as_bytes());
}

fn pad(len: usize) -> usize {
    (4 - len % 4) % 4
}

/// Writes a block: type, total length, `body`, total length.
fn block(out: &mut impl Write, kind: u32, body: &[u8]) -> io::Result<()> {
    let total = (12 + body.len()) as u32;
    out.write_all(&kind.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}

/// The Section Header Block and the one Interface Description Block.
pub(super) fn write_header(out: &mut impl Write) -> io::Result<()> {
    let mut shb = Vec::with_capacity(96);
    shb.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes()); // section length: not given
    text_option(&mut shb, SHB_HARDWARE, std::env::consts::ARCH);
    text_option(&mut shb, SHB_OS, std::env::consts::OS);
    text_option(&mut shb, SHB_USERAPPL, &user_appl());
    option(&mut shb, OPT_ENDOFOPT, &[]);
    block(out, SHB, &shb)?;
    let mut idb = Vec::with_capacity(64);
    idb.extend_from_slice(&(LINKTYPE_ETHERNET as u16).to_le_bytes());
    idb.extend_from_slice(&0u16.to_le_bytes());
    idb.extend_from_slice(&SNAPLEN.to_le_bytes());
    text_option(&mut idb, IF_NAME, IF_NAME_VALUE);
    text_option(&mut idb, IF_DESCRIPTION, "SockLab log, frames synthesized from its rows");
    option(&mut idb, IF_TSRESOL, &[TSRESOL_NANOS]);
    option(&mut idb, OPT_ENDOFOPT, &[]);
    block(out, IDB, &idb)
}

/// `shb_userappl`: `SockLab <version>`.
pub fn user_appl() -> String {
    format!("SockLab {}", env!("CARGO_PKG_VERSION"))
}

/// One Enhanced Packet Block on interface 0: `nanos` since the Unix epoch, the frame, and a
/// comment option per comment.
pub(super) fn write_packet(out: &mut impl Write, nanos: u64, frame: &[u8], comments: &[String]) -> io::Result<()> {
    let notes: usize = comments.iter().map(|c| 4 + c.len() + 3).sum();
    let mut body = Vec::with_capacity(20 + frame.len() + 3 + notes + 4);
    body.extend_from_slice(&0u32.to_le_bytes()); // interface id
    body.extend_from_slice(&((nanos >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(nanos as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(frame);
    body.resize(body.len() + pad(frame.len()), 0);
    if !comments.is_empty() {
        for c in comments {
            text_option(&mut body, OPT_COMMENT, c);
        }
        option(&mut body, OPT_ENDOFOPT, &[]);
    }
    block(out, EPB, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_padded_and_framed_by_their_length() {
        let mut out = Vec::new();
        write_header(&mut out).unwrap();
        write_packet(&mut out, 1_700_000_000_123_456_789, b"abcde", &["tab: UDP".into()]).unwrap();
        let mut at = 0;
        let mut kinds = Vec::new();
        while at < out.len() {
            let kind = u32::from_le_bytes(out[at..at + 4].try_into().unwrap());
            let len = u32::from_le_bytes(out[at + 4..at + 8].try_into().unwrap()) as usize;
            assert_eq!(len % 4, 0);
            assert_eq!(u32::from_le_bytes(out[at + len - 4..at + len].try_into().unwrap()) as usize, len);
            kinds.push(kind);
            at += len;
        }
        assert_eq!(at, out.len());
        assert_eq!(kinds, [SHB, IDB, EPB]);
        let s = String::from_utf8_lossy(&out);
        assert!(s.contains("SockLab ") && s.contains("socklab") && s.contains("tab: UDP"));
        let mut long = Vec::new();
        text_option(&mut long, OPT_COMMENT, &"é".repeat(40_000));
        assert_eq!(long.len() % 4, 0);
        assert!(long.len() <= 4 + MAX_OPTION);
    }
}
