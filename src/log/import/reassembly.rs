//! Following TCP connections and UDP flows through a capture: the local/peer view, and each
//! direction of a TCP connection in sequence order as its receiver saw it ([`super::stream`]).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::SocketAddr;

use jiff::Timestamp;

use super::Output;
use super::decode::{Packet, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, Transport};
use super::stream::{Anomaly, Chunk, Stream};
use super::warning::{ImportWarning, PacketProblem};
use crate::engine::{CloseReason, ConnId, Event, EventKind, Proto};

/// A pair of endpoints in a fixed order, so both directions of a flow share a key.
type FlowKey = (SocketAddr, SocketAddr);

fn flow_key(a: SocketAddr, b: SocketAddr) -> FlowKey {
    if a <= b { (a, b) } else { (b, a) }
}

/// The UDP flows and TCP connections seen so far.
#[derive(Default)]
pub(super) struct Flows {
    /// Per UDP flow, the endpoint taken as local.
    udp: HashMap<FlowKey, SocketAddr>,
    /// The last UDP flow and its local endpoint: a capture of one flow needs no lookup.
    last_udp: Option<(FlowKey, SocketAddr)>,
    tcp: HashMap<FlowKey, TcpConn>,
    /// The last connection id given out.
    last_conn: ConnId,
}

impl Flows {
    pub(super) fn packet(&mut self, out: &mut Output<'_>, number: u64, time: Timestamp, pkt: &Packet<'_>) {
        match pkt.transport {
            Transport::Udp => self.udp(out, time, pkt),
            Transport::Tcp { seq, ack, flags } => {
                let seg = Segment { time, from: pkt.src, seq, ack, flags, payload: pkt.payload, missing: pkt.missing };
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
                if let Some(problem) = conn.segment(&seg, &mut self.last_conn, out) {
                    let packet = usize::try_from(number).unwrap_or(usize::MAX);
                    out.warn(ImportWarning::Packet { packet, problem });
                }
            }
        }
    }

    /// The end of the capture: the holes of open connections are given up, in connection order.
    pub(super) fn finish(self, out: &mut Output<'_>) {
        let mut open: Vec<TcpConn> = self.tcp.into_values().filter(|c| !c.closed && c.id.is_some()).collect();
        open.sort_by_key(|c| c.id);
        for mut conn in open {
            let time = conn.last_time;
            conn.flush(Side::Peer, time, out);
            conn.flush(Side::Local, time, out);
        }
    }

    fn udp(&mut self, out: &mut Output<'_>, time: Timestamp, pkt: &Packet<'_>) {
        let key = flow_key(pkt.src, pkt.dst);
        let local = match self.last_udp {
            Some((last, local)) if last == key => local,
            _ => {
                let local = *self.udp.entry(key).or_insert(pkt.dst);
                self.last_udp = Some((key, local));
                local
            }
        };
        let data = out.payload(pkt.payload);
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
    ack: u32,
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

impl Side {
    fn other(self) -> Side {
        match self {
            Side::Local => Side::Peer,
            Side::Peer => Side::Local,
        }
    }
}

/// A TCP connection being followed.
#[derive(Debug)]
struct TcpConn {
    local: SocketAddr,
    peer: SocketAddr,
    /// Given when the connection is first reported (its Connected event).
    id: Option<ConnId>,
    from_local: Stream,
    from_peer: Stream,
    /// Who sent the first FIN.
    first_fin: Option<Side>,
    closed: bool,
    /// The time of its last segment.
    last_time: Timestamp,
}

/// What the rows of one connection need, apart from the connection (so that they can be
/// written while one of its streams is borrowed).
#[derive(Clone, Copy)]
struct Rows {
    local: SocketAddr,
    peer: SocketAddr,
    id: Option<ConnId>,
    time: Timestamp,
}

impl Rows {
    fn emit(self, out: &mut Output<'_>, kind: EventKind) {
        out.emit(Event {
            time: self.time,
            tab: 0,
            source: 0,
            proto: Proto::Tcp,
            conn: self.id,
            local: Some(self.local),
            peer: Some(self.peer),
            kind,
        });
    }

    /// The row of a chunk of the stream sent by `side`.
    fn chunk(self, out: &mut Output<'_>, side: Side, chunk: Chunk<'_>) {
        let kind = match (chunk, side) {
            (Chunk::Data { data, lost }, Side::Peer) => EventKind::Rx { data: out.payload(data), lost },
            (Chunk::Data { data, .. }, Side::Local) => EventKind::Tx { data: out.payload(data) },
            (Chunk::Gap(bytes), side) => EventKind::Gap { bytes, from_peer: side == Side::Peer },
        };
        self.emit(out, kind);
    }
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
            from_local: Stream::default(),
            from_peer: Stream::default(),
            first_fin: None,
            closed: false,
            last_time: Timestamp::UNIX_EPOCH,
        }
    }

    fn stream(&mut self, side: Side) -> &mut Stream {
        match side {
            Side::Local => &mut self.from_local,
            Side::Peer => &mut self.from_peer,
        }
    }

    fn rows(&self, time: Timestamp) -> Rows {
        Rows { local: self.local, peer: self.peer, id: self.id, time }
    }

    /// Follows one segment, adding events. Returns a note worth a warning, if any.
    fn segment(&mut self, seg: &Segment<'_>, last_conn: &mut ConnId, out: &mut Output<'_>) -> Option<PacketProblem> {
        if self.closed {
            return None; // late packets: the last ACK, retransmitted FINs
        }
        self.last_time = seg.time;
        let side = if seg.from == self.local { Side::Local } else { Side::Peer };
        if seg.has(TCP_SYN) {
            // The SYN takes one sequence number; data starts after it.
            self.stream(side).start(seg.seq.wrapping_add(1));
        }
        if seg.is_pure_syn() && seg.payload.is_empty() {
            return None; // reported once the SYN-ACK shows the connection is accepted
        }
        if seg.has(TCP_RST) {
            if self.id.is_some() {
                // What was waiting reaches the receiver (or is lost) before the reset.
                self.flush(side.other(), seg.time, out);
                self.flush(side, seg.time, out);
                if !self.closed {
                    self.rows(seg.time).emit(out, EventKind::Closed { reason: CloseReason::Reset });
                }
            }
            self.closed = true; // a refused connection was never reported: nothing to close
            return None;
        }
        if self.id.is_none() {
            *last_conn += 1;
            self.id = Some(*last_conn);
            self.rows(seg.time).emit(out, EventKind::Connected { local: self.local, inbound: true, tls: None });
        }
        if seg.has(TCP_ACK) {
            // The sender got the other side's bytes up to here: holes before it are the capture's.
            let rows = self.rows(seg.time);
            let other = side.other();
            self.stream(other).ack_to(seg.ack, &mut |c| rows.chunk(out, other, c));
            self.fin_if_due(other, seg.time, out);
        }
        let seq = if seg.has(TCP_SYN) { seg.seq.wrapping_add(1) } else { seg.seq };
        let rows = self.rows(seg.time);
        let anomaly = self.stream(side).segment(seq, seg.payload, seg.missing, &mut |c| rows.chunk(out, side, c));
        if seg.has(TCP_FIN) && anomaly.is_none() {
            // The sender is done: what it sent before the FIN and the capture missed is lost.
            let end = seq.wrapping_add((seg.payload.len() + seg.missing) as u32);
            self.stream(side).fin(end);
            self.stream(side).flush(&mut |c| rows.chunk(out, side, c));
        }
        self.fin_if_due(side, seg.time, out);
        anomaly.map(|Anomaly::OutOfWindow| {
            let from = if side == Side::Local { self.local } else { self.peer };
            PacketProblem::OutOfWindow { conn: self.id.unwrap_or(0), from }
        })
    }

    /// Gives up the holes of the stream from `side` (gaps, then what waited behind them).
    fn flush(&mut self, side: Side, time: Timestamp, out: &mut Output<'_>) {
        if self.closed {
            return;
        }
        let rows = self.rows(time);
        self.stream(side).flush(&mut |c| rows.chunk(out, side, c));
        self.fin_if_due(side, time, out);
    }

    /// Reports the FIN from `side` once every byte before it was delivered.
    fn fin_if_due(&mut self, side: Side, time: Timestamp, out: &mut Output<'_>) {
        if !self.stream(side).fin_due() || self.closed {
            return;
        }
        self.stream(side).fin_reported = true;
        if !self.stream(side.other()).fin_reported {
            self.first_fin = Some(side);
            if side == Side::Local {
                self.rows(time).emit(out, EventKind::HalfClosed);
            }
            return;
        }
        let reason = if self.first_fin == Some(Side::Peer) { CloseReason::PeerClosed } else { CloseReason::LocalClose };
        self.rows(time).emit(out, EventKind::Closed { reason });
        self.closed = true;
    }
}
