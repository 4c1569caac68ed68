//! What an import says about the lines and packets it skipped or found odd, as data: the
//! faces (the log viewer) put it in words.

use std::net::SocketAddr;

use super::{MAX_LINE, MAX_PAYLOAD, MAX_RECORD};
use crate::codec::CodecError;
use crate::engine::ConnId;

/// A note about one line or packet of an imported file ([`super::Imported::warnings`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportWarning {
    /// A JSONL line (1-based) that was skipped.
    Line { line: usize, problem: LineProblem },
    /// A capture's packet (1-based) that was skipped or is odd.
    Packet { packet: usize, problem: PacketProblem },
    /// More than [`super::MAX_WARNINGS`] warnings: this many more were left out.
    LeftOut(usize),
}

/// Why a JSONL line was skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineProblem {
    /// Not UTF-8.
    NotUtf8(std::str::Utf8Error),
    /// Not JSON (serde_json's message).
    NotJson(String),
    /// JSON, but not a log record (serde_json's message).
    NotRecord(String),
    /// Longer than [`MAX_LINE`] bytes.
    TooLong,
    /// No `ts` field.
    NoTimestamp,
    /// A `ts` that is no time stamp (the value and jiff's message).
    BadTimestamp { ts: String, error: String },
    /// A `peer` or `local` field that is no socket address.
    BadAddress { field: AddrField, value: String },
    /// An old record of kind `info` whose text names no known event.
    UnknownInfo(String),
    /// An old record of an unknown kind.
    UnknownKind(String),
    /// Neither `event` nor `kind`.
    NoEventOrKind,
    /// A `connecting` event without a peer address.
    ConnectingWithoutPeer,
    /// A `listening` or `connected` event without a local address.
    NoLocal,
    /// A `joined` (true) or `left` (false) event without a multicast group.
    NoGroup { joined: bool },
    /// An unknown `event` name.
    UnknownEvent(String),
    /// A `hex` field that is not hex.
    BadHex(CodecError),
    /// A payload of this many bytes, more than [`MAX_PAYLOAD`].
    PayloadTooBig(usize),
    /// An rx/tx record with neither `hex` nor `text`.
    NoHex,
}

/// Which address field of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddrField {
    Peer,
    Local,
}

/// Why a packet of a capture was skipped, or what is odd about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PacketProblem {
    /// The file ends inside this packet's record.
    CutOff,
    /// A record longer than [`MAX_RECORD`] bytes: the file is damaged here, the rest is not read.
    RecordTooBig(usize),
    /// The capture's snap length cut the payload: `kept` bytes are there, `missing` not.
    Snapped { kept: usize, missing: usize },
    /// A malformed frame.
    Frame(FrameProblem),
    /// `bytes` bytes sent by `from` on connection `conn` are missing from the capture.
    Gap { conn: ConnId, bytes: u32, from: SocketAddr },
    /// A segment from `from` on connection `conn`, far outside the stream, was ignored.
    OutOfWindow { conn: ConnId, from: SocketAddr },
}

/// What is wrong with a captured frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameProblem {
    /// A header is cut off.
    HeaderCut(Header),
    /// A header is cut off by the capture's snap length.
    HeaderSnapped(Header),
    /// An IP version other than 4 or 6.
    IpVersion(u8),
    EmptyIp,
    Ipv4HeaderLength(usize),
    Ipv4TotalLength(usize),
    /// IPv4 fragments are not reassembled.
    Ipv4Fragment,
    /// IPv6 fragments are not reassembled.
    Ipv6Fragment,
    TcpDataOffset(usize),
}

/// A header of a captured frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    LinuxCooked,
    LinuxCookedV2,
    Loopback,
    Ethernet,
    Ipv4,
    Ipv6,
    Ipv6Fragment,
    Ipv6Extension,
    Udp,
    Tcp,
}

impl ImportWarning {
    /// The warning in English.
    // LEAD: move wording to i18n (this is a bridge so that the log viewer shows what it showed).
    pub fn describe_en(&self) -> String {
        match self {
            ImportWarning::Line { line, problem } => format!("line {line}: {}", problem.describe_en()),
            ImportWarning::Packet { packet, problem } => format!("packet {packet}: {}", problem.describe_en()),
            ImportWarning::LeftOut(n) => format!("… and {n} more warnings"),
        }
    }
}

impl LineProblem {
    // LEAD: move wording to i18n.
    fn describe_en(&self) -> String {
        match self {
            LineProblem::NotUtf8(e) => format!("not UTF-8 text: {e}"),
            LineProblem::NotJson(e) => format!("not JSON: {e}"),
            LineProblem::NotRecord(e) => format!("not a log record: {e}"),
            LineProblem::TooLong => format!("longer than {MAX_LINE} bytes"),
            LineProblem::NoTimestamp => "no \"ts\" (time stamp)".into(),
            LineProblem::BadTimestamp { ts, error } => format!("bad time stamp {ts:?}: {error}"),
            LineProblem::BadAddress { field, value } => {
                let field = match field {
                    AddrField::Peer => "peer",
                    AddrField::Local => "local",
                };
                format!("bad {field} address {value:?}")
            }
            LineProblem::UnknownInfo(text) => format!("unknown info line {text:?}"),
            LineProblem::UnknownKind(kind) => format!("unknown kind {kind:?}"),
            LineProblem::NoEventOrKind => "no \"event\" or \"kind\"".into(),
            LineProblem::ConnectingWithoutPeer => "connecting without a peer address".into(),
            LineProblem::NoLocal => "no \"local\" address".into(),
            LineProblem::NoGroup { joined } => {
                format!("{} without a multicast group", if *joined { "joined" } else { "left" })
            }
            LineProblem::UnknownEvent(event) => format!("unknown event {event:?}"),
            LineProblem::BadHex(e) => format!("bad hex: {e}"),
            LineProblem::PayloadTooBig(len) => {
                format!("a payload of {len} bytes, more than the {MAX_PAYLOAD} an event may hold")
            }
            LineProblem::NoHex => "rx/tx without \"hex\"".into(),
        }
    }
}

impl PacketProblem {
    // LEAD: move wording to i18n.
    fn describe_en(&self) -> String {
        match self {
            PacketProblem::CutOff => "cut off at the end of the file".into(),
            PacketProblem::RecordTooBig(len) => format!(
                "a record of {len} bytes (more than {MAX_RECORD}): the file is damaged here, the rest is not read"
            ),
            PacketProblem::Snapped { kept, missing } => {
                format!("truncated by the capture's snap length: {kept} payload bytes kept, {missing} missing")
            }
            PacketProblem::Frame(f) => f.describe_en(),
            PacketProblem::Gap { conn, bytes, from } => {
                format!("conn {conn}: {bytes} bytes from {from} are missing from the capture")
            }
            PacketProblem::OutOfWindow { conn, from } => {
                format!("conn {conn}: ignored a segment from {from} far outside the stream")
            }
        }
    }
}

impl FrameProblem {
    // LEAD: move wording to i18n.
    fn describe_en(self) -> String {
        let header = |h: Header| match h {
            Header::LinuxCooked => "Linux cooked",
            Header::LinuxCookedV2 => "Linux cooked v2",
            Header::Loopback => "loopback",
            Header::Ethernet => "Ethernet",
            Header::Ipv4 => "IPv4",
            Header::Ipv6 => "IPv6",
            Header::Ipv6Fragment => "IPv6 fragment",
            Header::Ipv6Extension => "IPv6 extension",
            Header::Udp => "UDP",
            Header::Tcp => "TCP",
        };
        match self {
            FrameProblem::HeaderCut(h) => format!("{} header cut off", header(h)),
            FrameProblem::HeaderSnapped(h) => format!("{} header truncated by the capture's snap length", header(h)),
            FrameProblem::IpVersion(v) => format!("IP version {v} is not 4 or 6"),
            FrameProblem::EmptyIp => "empty IP packet".into(),
            FrameProblem::Ipv4HeaderLength(n) => format!("bad IPv4 header length {n}"),
            FrameProblem::Ipv4TotalLength(n) => format!("bad IPv4 total length {n}"),
            FrameProblem::Ipv4Fragment => "IPv4 fragment (fragments are not reassembled)".into(),
            FrameProblem::Ipv6Fragment => "IPv6 fragment (fragments are not reassembled)".into(),
            FrameProblem::TcpDataOffset(n) => format!("bad TCP data offset {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log viewer shows these texts until they move to i18n.
    #[test]
    fn english_descriptions() {
        let from: SocketAddr = "10.0.0.1:80".parse().unwrap();
        let cases = [
            (ImportWarning::LeftOut(30), "… and 30 more warnings".to_string()),
            (
                ImportWarning::Line { line: 7, problem: LineProblem::TooLong },
                format!("line 7: longer than {MAX_LINE} bytes"),
            ),
            (
                ImportWarning::Line {
                    line: 2,
                    problem: LineProblem::BadAddress { field: AddrField::Peer, value: "nowhere".into() },
                },
                "line 2: bad peer address \"nowhere\"".into(),
            ),
            (
                ImportWarning::Packet { packet: 4, problem: PacketProblem::Snapped { kept: 3, missing: 5 } },
                "packet 4: truncated by the capture's snap length: 3 payload bytes kept, 5 missing".into(),
            ),
            (
                ImportWarning::Packet { packet: 9, problem: PacketProblem::OutOfWindow { conn: 2, from } },
                "packet 9: conn 2: ignored a segment from 10.0.0.1:80 far outside the stream".into(),
            ),
            (
                ImportWarning::Packet {
                    packet: 1,
                    problem: PacketProblem::Frame(FrameProblem::HeaderSnapped(Header::Tcp)),
                },
                "packet 1: TCP header truncated by the capture's snap length".into(),
            ),
            (
                ImportWarning::Packet {
                    packet: 3,
                    problem: PacketProblem::Frame(FrameProblem::HeaderCut(Header::Ipv6Fragment)),
                },
                "packet 3: IPv6 fragment header cut off".into(),
            ),
        ];
        for (warning, text) in cases {
            assert_eq!(warning.describe_en(), text);
        }
    }
}
