//! Following TCP connections and UDP flows through a capture: the local/peer view, and each
//! payload byte reported once, in sequence order (retransmissions and duplicates dropped).

#![allow(clippy::indexing_slicing, reason = "`seen` is at most the payload length (checked above)")]

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::SocketAddr;

use jiff::Timestamp;

use super::Output;
use super::decode::{Packet, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, Transport};
use super::warning::{ImportWarning, PacketProblem};
use crate::engine::{CloseReason, ConnId, Event, EventKind, Proto};

/// How far past the expected sequence number a segment may start and still be believed
/// (further is taken as garbage rather than as that many bytes missing from the capture).
const MAX_GAP: u32 = 16 * 1024 * 1024;

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
    tcp: HashMap<FlowKey, TcpConn>,
    /// The last connection id given out.
    last_conn: ConnId,
}

impl Flows {
    pub(super) fn packet(&mut self, out: &mut Output<'_>, number: usize, time: Timestamp, pkt: &Packet<'_>) {
        match pkt.transport {
            Transport::Udp => self.udp(out, time, pkt),
            Transport::Tcp { seq, flags } => {
                let seg = Segment { time, from: pkt.src, seq, flags, payload: pkt.payload, missing: pkt.missing };
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
                    out.warn(ImportWarning::Packet { packet: number, problem });
                }
            }
        }
    }

    fn udp(&mut self, out: &mut Output<'_>, time: Timestamp, pkt: &Packet<'_>) {
        let local = *self.udp.entry(flow_key(pkt.src, pkt.dst)).or_insert(pkt.dst);
        let data = pkt.payload.to_vec();
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

/// One direction of a connection.
#[derive(Clone, Debug, Default)]
struct Direction {
    /// The sequence number of the next new byte, once known.
    next: Option<u32>,
    fin: bool,
}

/// Something odd about a segment, worth a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anomaly {
    /// It starts this many bytes after the expected ones: the capture missed some.
    Gap(u32),
    /// It starts implausibly far ahead: ignored.
    OutOfWindow,
}

impl Direction {
    /// The bytes of a segment starting at `seq` that were not seen before (retransmitted and
    /// duplicate bytes are left out), and what was odd about it.
    fn fresh<'p>(&mut self, seq: u32, payload: &'p [u8], missing: usize) -> (&'p [u8], Option<Anomaly>) {
        // The sequence space the segment covers, including bytes the capture cut off.
        let end = seq.wrapping_add((payload.len() + missing) as u32);
        let Some(next) = self.next else {
            self.next = Some(end);
            return (payload, None);
        };
        let ahead = seq.wrapping_sub(next);
        if ahead == 0 {
            self.next = Some(end);
            (payload, None)
        } else if ahead <= MAX_GAP {
            self.next = Some(end);
            (payload, Some(Anomaly::Gap(ahead)))
        } else if ahead < 1 << 31 {
            (&[], Some(Anomaly::OutOfWindow))
        } else {
            // Starts before `next` (mod 2^32): a retransmission, maybe with new bytes at the end.
            let seen = next.wrapping_sub(seq) as usize;
            if seen >= payload.len() {
                return (&[], None);
            }
            self.next = Some(end);
            (&payload[seen..], None)
        }
    }
}

/// A TCP connection being followed.
#[derive(Clone, Debug)]
struct TcpConn {
    local: SocketAddr,
    peer: SocketAddr,
    /// Given when the connection is first reported (its Connected event).
    id: Option<ConnId>,
    from_local: Direction,
    from_peer: Direction,
    /// Who sent the first FIN.
    first_fin: Option<Side>,
    closed: bool,
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
            from_local: Direction::default(),
            from_peer: Direction::default(),
            first_fin: None,
            closed: false,
        }
    }

    fn direction(&mut self, side: Side) -> &mut Direction {
        match side {
            Side::Local => &mut self.from_local,
            Side::Peer => &mut self.from_peer,
        }
    }

    fn emit(&self, out: &mut Output<'_>, time: Timestamp, kind: EventKind) {
        out.emit(Event {
            time,
            tab: 0,
            source: 0,
            proto: Proto::Tcp,
            conn: self.id,
            local: Some(self.local),
            peer: Some(self.peer),
            kind,
        });
    }

    /// Follows one segment, adding events. Returns a note worth a warning, if any.
    fn segment(&mut self, seg: &Segment<'_>, last_conn: &mut ConnId, events: &mut Output<'_>) -> Option<PacketProblem> {
        if self.closed {
            return None; // late packets: the last ACK, retransmitted FINs
        }
        let side = if seg.from == self.local { Side::Local } else { Side::Peer };
        if seg.has(TCP_SYN) {
            // The SYN takes one sequence number; data starts after it.
            self.direction(side).next.get_or_insert(seg.seq.wrapping_add(1));
        }
        if seg.is_pure_syn() && seg.payload.is_empty() {
            return None; // reported once the SYN-ACK shows the connection is accepted
        }
        if seg.has(TCP_RST) {
            if self.id.is_some() {
                self.emit(events, seg.time, EventKind::Closed { reason: CloseReason::Reset });
            }
            self.closed = true; // a refused connection was never reported: nothing to close
            return None;
        }
        if self.id.is_none() {
            *last_conn += 1;
            self.id = Some(*last_conn);
            self.emit(events, seg.time, EventKind::Connected { local: self.local, inbound: true });
        }
        let anomaly = self.data(side, seg, events);
        if seg.has(TCP_FIN) && anomaly != Some(Anomaly::OutOfWindow) {
            self.fin(side, seg.time, events);
        }
        anomaly.map(|a| self.describe(side, a))
    }

    /// Reports the new payload bytes of a segment; returns what was odd about them.
    fn data(&mut self, side: Side, seg: &Segment<'_>, events: &mut Output<'_>) -> Option<Anomaly> {
        if seg.payload.is_empty() && seg.missing == 0 {
            return None;
        }
        let seq = if seg.has(TCP_SYN) { seg.seq.wrapping_add(1) } else { seg.seq };
        let (bytes, anomaly) = self.direction(side).fresh(seq, seg.payload, seg.missing);
        if !bytes.is_empty() {
            let data = bytes.to_vec();
            let kind = match side {
                Side::Peer => EventKind::Rx { data, lost: seg.missing },
                Side::Local => EventKind::Tx { data },
            };
            self.emit(events, seg.time, kind);
        }
        anomaly
    }

    fn describe(&self, side: Side, anomaly: Anomaly) -> PacketProblem {
        let conn = self.id.unwrap_or(0);
        let from = if side == Side::Local { self.local } else { self.peer };
        match anomaly {
            Anomaly::Gap(bytes) => PacketProblem::Gap { conn, bytes, from },
            Anomaly::OutOfWindow => PacketProblem::OutOfWindow { conn, from },
        }
    }

    /// A FIN from `side`: half-close, or the end of the connection if the other side sent one.
    fn fin(&mut self, side: Side, time: Timestamp, events: &mut Output<'_>) {
        if self.direction(side).fin {
            return; // retransmitted
        }
        self.direction(side).fin = true;
        let other = if side == Side::Local { Side::Peer } else { Side::Local };
        if !self.direction(other).fin {
            self.first_fin = Some(side);
            if side == Side::Local {
                self.emit(events, time, EventKind::HalfClosed);
            }
            return;
        }
        let reason = if self.first_fin == Some(Side::Peer) { CloseReason::PeerClosed } else { CloseReason::LocalClose };
        self.emit(events, time, EventKind::Closed { reason });
        self.closed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_tracking_wraps_and_drops_old_bytes() {
        let mut d = Direction { next: Some(u32::MAX - 1), fin: false };
        assert_eq!(d.fresh(u32::MAX - 1, b"abcd", 0), (&b"abcd"[..], None));
        assert_eq!(d.next, Some(2));
        assert_eq!(d.fresh(u32::MAX - 1, b"abcd", 0), (&b""[..], None));
        assert_eq!(d.fresh(0, b"cdef", 0), (&b"ef"[..], None));
        assert_eq!(d.fresh(1 << 30, b"x", 0), (&b""[..], Some(Anomaly::OutOfWindow)));
        assert_eq!(d.fresh(10, b"gh", 0), (&b"gh"[..], Some(Anomaly::Gap(6))));
        assert_eq!(d.next, Some(12));
    }
}
