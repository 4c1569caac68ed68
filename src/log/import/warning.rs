//! What an import says about the lines and packets it skipped or found odd, and why an import
//! failed, as data: the faces put it in words (`i18n::import_warning`, `i18n::import_error`).

use std::net::SocketAddr;

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
    /// Longer than [`super::MAX_LINE`] bytes.
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
    /// A payload of this many bytes, more than [`super::MAX_PAYLOAD`].
    PayloadTooBig(usize),
    /// An rx/tx record with neither `hex` nor `text`.
    NoHex,
    /// A relay record (`relayed`, `fault`, `upstream_connected`) without its `dir`, `upstream`
    /// or `action`.
    NoRelayFields,
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
    /// The capture's snap length cut the payload: `kept` bytes are there, `missing` not.
    Snapped { kept: usize, missing: usize },
    /// A malformed frame.
    Frame(FrameProblem),
    /// A segment from `from` on connection `conn`, far outside the stream, was ignored.
    OutOfWindow { conn: ConnId, from: SocketAddr },
    /// A pcapng packet block names an interface its section did not describe.
    NoInterface(u32),
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
    /// An IP fragment that does not fit the others of its datagram (overlapping ends, a
    /// datagram longer than 65,535 bytes): the datagram is dropped.
    BadFragment,
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
