//! Writes events as a libpcap capture that Wireshark and tshark open: synthesized Ethernet,
//! IPv4/IPv6, UDP and TCP headers with checksums, and TCP sequence numbers per direction
//! (handshake on connect, FIN on half-close and close, RST on reset), so streams can be followed.
//! The same frames go into a pcapng file instead ([`PcapWriter::new_pcapng`], see `ng.rs`), with
//! nanosecond time and the rows' comments.

#![allow(clippy::indexing_slicing, reason = "checksum offsets inside headers this module built with fixed sizes")]

pub mod ng;
mod relay;

use std::collections::HashMap;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::engine::{CloseReason, Event, EventKind, Proto};

const LINKTYPE_ETHERNET: u32 = 1;
/// The snap length both containers declare (no frame is longer).
const SNAPLEN: u32 = 262_144;
/// Largest TCP payload per synthesized segment (keeps IPv4 total length under 65,535).
const MAX_SEGMENT: usize = 65_000;
/// Largest UDP payload of one IPv4 datagram: 65,535 − 20 (IP header) − 8 (UDP header).
pub const MAX_UDP_V4: usize = 65_507;
/// Largest UDP payload of one IPv6 datagram without jumbograms: 65,535 − 8 (UDP header).
pub const MAX_UDP_V6: usize = 65_527;

/// What one event became in the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// This many packets (a TCP connect is three, a payload over 65,000 bytes several segments).
    Packets(u64),
    /// A UDP payload bigger than one datagram can carry (an imported log can hold one): written
    /// as this many datagrams of at most `max` bytes each, in order, rather than with lengths
    /// that wrap around.
    Split { datagrams: u64, max: usize },
    /// Not traffic on the wire (listening, errors, a generator's summary, …): nothing written.
    NotTraffic,
    /// Traffic whose peer address is unknown: a packet needs both ends, so nothing is written.
    NoPeer,
}
const MAC_LOCAL: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const MAC_PEER: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// TCP header flags (also used by the importer).
pub(crate) const FIN: u8 = 0x01;
pub(crate) const SYN: u8 = 0x02;
pub(crate) const RST: u8 = 0x04;
const PSH: u8 = 0x08;
pub(crate) const ACK: u8 = 0x10;

/// Initial sequence numbers: the connecting side and the accepting side.
const ISN_CLIENT: u32 = 1_000;
const ISN_SERVER: u32 = 500_000;

struct TcpState {
    local: SocketAddr,
    peer: SocketAddr,
    /// Next sequence number we send, and the peer's.
    local_seq: u32,
    peer_seq: u32,
    local_fin: bool,
    peer_fin: bool,
}

/// Streams events into a pcap file.
pub struct PcapWriter<W: Write> {
    out: W,
    tcp: HashMap<(u16, u64), TcpState>,
    /// TLS connections: their records are written, their decrypted rows are not.
    tls: std::collections::HashSet<(u16, u64)>,
    udp_local: HashMap<u16, SocketAddr>,
    /// Relay connections and sessions: the relay's local address toward the upstream, and the
    /// upstream's (see `relay.rs`).
    relays: HashMap<(u16, u64), (SocketAddr, SocketAddr)>,
    /// A relayed datagram not yet written on its way out.
    pending: Option<relay::Pending>,
    ip_id: u16,
    packets: u64,
    /// pcapng (Enhanced Packet Blocks) instead of classic pcap records.
    ng: bool,
    /// The comments of the event being written, on each of its packets (pcapng only).
    notes: Vec<String>,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the file header.
    pub fn new(mut out: W) -> io::Result<PcapWriter<W>> {
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
        out.write_all(&2u16.to_le_bytes())?;
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&0i32.to_le_bytes())?; // thiszone
        out.write_all(&0u32.to_le_bytes())?; // sigfigs
        out.write_all(&SNAPLEN.to_le_bytes())?;
        out.write_all(&LINKTYPE_ETHERNET.to_le_bytes())?;
        Ok(PcapWriter::with(out, false))
    }

    /// Writes a pcapng section header and interface: the packets that follow are Enhanced
    /// Packet Blocks with nanosecond time stamps and the comments given to
    /// [`PcapWriter::write_noted`].
    pub fn new_pcapng(mut out: W) -> io::Result<PcapWriter<W>> {
        ng::write_header(&mut out)?;
        Ok(PcapWriter::with(out, true))
    }

    /// Classic pcap, or pcapng when `ng`.
    pub fn create(out: W, ng: bool) -> io::Result<PcapWriter<W>> {
        if ng { PcapWriter::new_pcapng(out) } else { PcapWriter::new(out) }
    }

    fn with(out: W, ng: bool) -> PcapWriter<W> {
        PcapWriter {
            out,
            tcp: HashMap::new(),
            tls: Default::default(),
            udp_local: HashMap::new(),
            relays: HashMap::new(),
            pending: None,
            ip_id: 1,
            packets: 0,
            ng,
            notes: Vec::new(),
        }
    }

    /// True when writing pcapng.
    pub fn is_pcapng(&self) -> bool {
        self.ng
    }

    /// Packets written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Writes out what is buffered (the capture stays open).
    /// (A relayed datagram whose fate is not known yet stays back: it is written with the next
    /// event, or at the end.)
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.flush_pending()?;
        self.out.flush()?;
        Ok(self.out)
    }

    /// Adds the packets an event stands for (none for events that are not on the wire).
    pub fn write(&mut self, ev: &Event) -> io::Result<()> {
        self.write_event(ev).map(|_| ())
    }

    /// Like [`PcapWriter::write_event`], with comments on each packet of the event (pcapng's
    /// `opt_comment`; classic pcap has no place for them).
    pub fn write_noted(&mut self, ev: &Event, comments: &[&str]) -> io::Result<Written> {
        if !self.ng || comments.is_empty() {
            return self.write_event(ev);
        }
        self.notes = comments.iter().map(|c| (*c).to_string()).collect();
        let written = self.write_event(ev);
        self.notes.clear();
        written
    }

    /// Like [`PcapWriter::write`], saying what it wrote.
    pub fn write_event(&mut self, ev: &Event) -> io::Result<Written> {
        if let Some(w) = self.write_relay(ev)? {
            return Ok(w);
        }
        let before = self.packets;
        let written = match ev.proto {
            Proto::Udp => self.write_udp(ev)?,
            Proto::Tcp => self.write_tcp(ev)?,
        };
        Ok(match written {
            Some(w) => w,
            None if self.packets > before => Written::Packets(self.packets - before),
            None => Written::NotTraffic,
        })
    }

    /// `Some` when the event is not written as plain packets.
    fn write_udp(&mut self, ev: &Event) -> io::Result<Option<Written>> {
        match &ev.kind {
            EventKind::Listening { local } => {
                self.udp_local.insert(ev.source, *local);
            }
            EventKind::Rx { data, .. } | EventKind::Tx { data } => {
                let Some(peer) = ev.peer else { return Ok(Some(Written::NoPeer)) };
                // A received datagram's event says where it was sent (IP_PKTINFO): the group or
                // broadcast address for a receiver bound to 0.0.0.0.
                let dst = match ev.kind {
                    EventKind::Rx { .. } => ev.local.filter(|l| !l.ip().is_unspecified()),
                    _ => None,
                };
                let local =
                    dst.or_else(|| self.udp_local.get(&ev.source).copied()).unwrap_or_else(|| unspecified(peer));
                let (local, peer) = endpoints(local, peer);
                let (src, dst) = if matches!(ev.kind, EventKind::Rx { .. }) { (peer, local) } else { (local, peer) };
                let outbound = matches!(ev.kind, EventKind::Tx { .. });
                let max = if src.is_ipv4() { MAX_UDP_V4 } else { MAX_UDP_V6 };
                if data.len() <= max {
                    self.packet(ev, outbound, src, dst, Transport::Udp, data)?;
                    return Ok(None);
                }
                for chunk in data.chunks(max) {
                    self.packet(ev, outbound, src, dst, Transport::Udp, chunk)?;
                }
                return Ok(Some(Written::Split { datagrams: data.len().div_ceil(max) as u64, max }));
            }
            _ => {}
        }
        Ok(None)
    }

    /// A connection's three-way handshake, done by the kernels before the app saw it.
    fn open_tcp(
        &mut self,
        ev: &Event,
        key: (u16, u64),
        local: SocketAddr,
        peer: SocketAddr,
        inbound: bool,
    ) -> io::Result<()> {
        let (local, peer) = endpoints(local, peer);
        let (l_isn, p_isn) = if inbound { (ISN_SERVER, ISN_CLIENT) } else { (ISN_CLIENT, ISN_SERVER) };
        let st = TcpState { local, peer, local_seq: l_isn + 1, peer_seq: p_isn + 1, local_fin: false, peer_fin: false };
        if inbound {
            self.tcp_seg(ev, false, &st, p_isn, 0, SYN, &[])?;
            self.tcp_seg(ev, true, &st, l_isn, p_isn + 1, SYN | ACK, &[])?;
            self.tcp_seg(ev, false, &st, p_isn + 1, l_isn + 1, ACK, &[])?;
        } else {
            self.tcp_seg(ev, true, &st, l_isn, 0, SYN, &[])?;
            self.tcp_seg(ev, false, &st, p_isn, l_isn + 1, SYN | ACK, &[])?;
            self.tcp_seg(ev, true, &st, l_isn + 1, p_isn + 1, ACK, &[])?;
        }
        self.tcp.insert(key, st);
        Ok(())
    }

    /// `Some` when the event is not written as plain packets.
    fn write_tcp(&mut self, ev: &Event) -> io::Result<Option<Written>> {
        let (Some(conn), Some(peer)) = (ev.conn, ev.peer) else {
            let traffic = matches!(ev.kind, EventKind::Rx { .. } | EventKind::Tx { .. });
            return Ok(traffic.then_some(Written::NoPeer));
        };
        let key = (ev.source, conn);
        match &ev.kind {
            // A TLS connection's `connected` comes after its handshake records, which opened it.
            EventKind::Connected { tls: Some(_), .. } if self.tcp.contains_key(&key) => return Ok(None),
            EventKind::Connected { local, inbound, .. } => {
                self.open_tcp(ev, key, *local, peer, *inbound)?;
                return Ok(None);
            }
            // What the wire carried of a TLS connection is its records, not the plaintext.
            EventKind::Rx { .. } | EventKind::Tx { .. } if self.tls.contains(&key) => return Ok(Some(Written::NotTraffic)),
            // (The guard marks the connection as TLS whether or not it opens it.)
            EventKind::TlsRecords { sent, .. } if self.tls.insert(key) && !self.tcp.contains_key(&key) => {
                // The first record of a connection: whoever sent it (the ClientHello) connected.
                let local = ev.local.unwrap_or_else(|| unspecified(peer));
                self.open_tcp(ev, key, local, peer, !*sent)?;
            }
            _ => {}
        }
        // Traffic whose connect was not seen (e.g. evicted from the log): no handshake.
        let st = self.tcp.entry(key).or_insert_with(|| {
            let (local, peer) = endpoints(unspecified(peer), peer);
            TcpState { local, peer, local_seq: ISN_CLIENT, peer_seq: ISN_SERVER, local_fin: false, peer_fin: false }
        });
        let mut segs: Vec<(bool, u32, u32, u8, &[u8])> = Vec::new();
        match &ev.kind {
            EventKind::Rx { data, .. } => {
                for chunk in data.chunks(MAX_SEGMENT) {
                    segs.push((false, st.peer_seq, st.local_seq, PSH | ACK, chunk));
                    st.peer_seq = st.peer_seq.wrapping_add(chunk.len() as u32);
                }
            }
            EventKind::TlsRecords { sent: false, data, .. } => {
                for chunk in data.chunks(MAX_SEGMENT) {
                    segs.push((false, st.peer_seq, st.local_seq, PSH | ACK, chunk));
                    st.peer_seq = st.peer_seq.wrapping_add(chunk.len() as u32);
                }
            }
            EventKind::Tx { data } | EventKind::TlsRecords { sent: true, data, .. } => {
                for chunk in data.chunks(MAX_SEGMENT) {
                    segs.push((true, st.local_seq, st.peer_seq, PSH | ACK, chunk));
                    st.local_seq = st.local_seq.wrapping_add(chunk.len() as u32);
                }
            }
            // Bytes missing from the capture this log came from: skip their sequence numbers,
            // so a reader sees the same hole ("previous segment not captured").
            EventKind::Gap { bytes, from_peer } => {
                let skip = u32::try_from(*bytes).unwrap_or(u32::MAX);
                if *from_peer {
                    st.peer_seq = st.peer_seq.wrapping_add(skip);
                } else {
                    st.local_seq = st.local_seq.wrapping_add(skip);
                }
            }
            EventKind::HalfClosed if !st.local_fin => {
                segs.push((true, st.local_seq, st.peer_seq, FIN | ACK, &[]));
                st.local_seq = st.local_seq.wrapping_add(1);
                st.local_fin = true;
            }
            EventKind::Closed { reason } => match reason {
                CloseReason::PeerClosed | CloseReason::LocalClose => {
                    let peer_first = *reason == CloseReason::PeerClosed;
                    let mut fins = [(false, !st.peer_fin), (true, !st.local_fin)];
                    if !peer_first {
                        fins.reverse();
                    }
                    let mut last_fin_outbound = None;
                    for (outbound, needed) in fins {
                        if !needed {
                            continue;
                        }
                        if outbound {
                            segs.push((true, st.local_seq, st.peer_seq, FIN | ACK, &[]));
                            st.local_seq = st.local_seq.wrapping_add(1);
                            st.local_fin = true;
                        } else {
                            segs.push((false, st.peer_seq, st.local_seq, FIN | ACK, &[]));
                            st.peer_seq = st.peer_seq.wrapping_add(1);
                            st.peer_fin = true;
                        }
                        last_fin_outbound = Some(outbound);
                    }
                    // The other side acknowledges the last FIN.
                    match last_fin_outbound {
                        Some(true) => segs.push((false, st.peer_seq, st.local_seq, ACK, &[])),
                        Some(false) => segs.push((true, st.local_seq, st.peer_seq, ACK, &[])),
                        None => {}
                    }
                }
                CloseReason::Reset | CloseReason::Failed => {
                    segs.push((false, st.peer_seq, st.local_seq, RST | ACK, &[]));
                }
            },
            _ => {}
        }
        let closed = matches!(ev.kind, EventKind::Closed { .. });
        // Re-borrow immutably to write.
        if let Some(st) = self.tcp.remove(&key) {
            for (outbound, seq, ack, flags, payload) in segs {
                self.tcp_seg(ev, outbound, &st, seq, ack, flags, payload)?;
            }
            if !closed {
                self.tcp.insert(key, st);
            }
        }
        Ok(None)
    }

    #[allow(clippy::too_many_arguments)]
    fn tcp_seg(
        &mut self,
        ev: &Event,
        outbound: bool,
        st: &TcpState,
        seq: u32,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) -> io::Result<()> {
        let (src, dst) = if outbound { (st.local, st.peer) } else { (st.peer, st.local) };
        self.packet(ev, outbound, src, dst, Transport::Tcp { seq, ack, flags }, payload)
    }

    fn packet(
        &mut self,
        ev: &Event,
        outbound: bool,
        src: SocketAddr,
        dst: SocketAddr,
        t: Transport,
        payload: &[u8],
    ) -> io::Result<()> {
        let frame = build_frame(outbound, src, dst, t, payload, self.ip_id);
        self.ip_id = self.ip_id.wrapping_add(1);
        self.packets += 1;
        if self.ng {
            let nanos = u64::try_from(ev.time.as_nanosecond()).unwrap_or(0);
            return ng::write_packet(&mut self.out, nanos, &frame, &self.notes);
        }
        let secs = ev.time.as_second().max(0) as u32;
        let micros = ev.time.subsec_microsecond().max(0) as u32;
        self.out.write_all(&secs.to_le_bytes())?;
        self.out.write_all(&micros.to_le_bytes())?;
        self.out.write_all(&(frame.len() as u32).to_le_bytes())?;
        self.out.write_all(&(frame.len() as u32).to_le_bytes())?;
        self.out.write_all(&frame)

    }
}

#[derive(Clone, Copy)]
enum Transport {
    Udp,
    Tcp { seq: u32, ack: u32, flags: u8 },
}

/// A stand-in local address when the real one is unknown: loopback for loopback peers.
fn unspecified(peer: SocketAddr) -> SocketAddr {
    match peer.ip() {
        IpAddr::V4(_) => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0),
        IpAddr::V6(_) => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0),
    }
}

/// Makes both addresses the same family and replaces a wildcard local address by a concrete one.
fn endpoints(local: SocketAddr, peer: SocketAddr) -> (SocketAddr, SocketAddr) {
    let mut local = local;
    if local.ip().is_unspecified() {
        let ip: IpAddr = match peer.ip() {
            IpAddr::V4(p) if p.is_loopback() || p.octets()[0] == 127 => Ipv4Addr::LOCALHOST.into(),
            IpAddr::V6(p) if p.is_loopback() => Ipv6Addr::LOCALHOST.into(),
            ip => {
                if ip.is_ipv4() {
                    Ipv4Addr::UNSPECIFIED.into()
                } else {
                    Ipv6Addr::UNSPECIFIED.into()
                }
            }
        };
        local.set_ip(ip);
    }
    match (local.ip(), peer.ip()) {
        (IpAddr::V4(l), IpAddr::V6(_)) => (SocketAddr::new(l.to_ipv6_mapped().into(), local.port()), peer),
        (IpAddr::V6(_), IpAddr::V4(p)) => (local, SocketAddr::new(p.to_ipv6_mapped().into(), peer.port())),
        _ => (local, peer),
    }
}

fn build_frame(outbound: bool, src: SocketAddr, dst: SocketAddr, t: Transport, payload: &[u8], ip_id: u16) -> Vec<u8> {
    let (l4_proto, mut l4) = match t {
        Transport::Udp => {
            let len = (8 + payload.len()) as u16;
            let mut h = Vec::with_capacity(8 + payload.len());
            h.extend_from_slice(&src.port().to_be_bytes());
            h.extend_from_slice(&dst.port().to_be_bytes());
            h.extend_from_slice(&len.to_be_bytes());
            h.extend_from_slice(&[0, 0]);
            (17u8, h)
        }
        Transport::Tcp { seq, ack, flags } => {
            let mut h = Vec::with_capacity(20 + payload.len());
            h.extend_from_slice(&src.port().to_be_bytes());
            h.extend_from_slice(&dst.port().to_be_bytes());
            h.extend_from_slice(&seq.to_be_bytes());
            h.extend_from_slice(&ack.to_be_bytes());
            h.push(5 << 4); // data offset: 5 words, no options
            h.push(flags);
            h.extend_from_slice(&65_535u16.to_be_bytes()); // window
            h.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
            (6u8, h)
        }
    };
    l4.extend_from_slice(payload);
    let csum_at = if l4_proto == 17 { 6 } else { 16 };
    let mut pseudo = Vec::with_capacity(40);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            pseudo.extend_from_slice(&s.octets());
            pseudo.extend_from_slice(&d.octets());
            pseudo.extend_from_slice(&[0, l4_proto]);
            pseudo.extend_from_slice(&(l4.len() as u16).to_be_bytes());
        }
        (s, d) => {
            pseudo.extend_from_slice(&v6(s).octets());
            pseudo.extend_from_slice(&v6(d).octets());
            pseudo.extend_from_slice(&(l4.len() as u32).to_be_bytes());
            pseudo.extend_from_slice(&[0, 0, 0, l4_proto]);
        }
    }
    let mut c = checksum(&[&pseudo, &l4]);
    if l4_proto == 17 && c == 0 {
        c = 0xffff;
    }
    l4[csum_at..csum_at + 2].copy_from_slice(&c.to_be_bytes());

    let mut f = Vec::with_capacity(14 + 40 + l4.len());
    let (dmac, smac) = if outbound { (MAC_PEER, MAC_LOCAL) } else { (MAC_LOCAL, MAC_PEER) };
    f.extend_from_slice(&dmac);
    f.extend_from_slice(&smac);
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            f.extend_from_slice(&0x0800u16.to_be_bytes());
            let mut ip = Vec::with_capacity(20);
            ip.push(0x45);
            ip.push(0);
            ip.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
            ip.extend_from_slice(&ip_id.to_be_bytes());
            ip.extend_from_slice(&0x4000u16.to_be_bytes()); // don't fragment
            ip.push(64);
            ip.push(l4_proto);
            ip.extend_from_slice(&[0, 0]);
            ip.extend_from_slice(&s.octets());
            ip.extend_from_slice(&d.octets());
            let c = checksum(&[&ip]);
            ip[10..12].copy_from_slice(&c.to_be_bytes());
            f.extend_from_slice(&ip);
        }
        (s, d) => {
            f.extend_from_slice(&0x86DDu16.to_be_bytes());
            f.extend_from_slice(&0x6000_0000u32.to_be_bytes());
            f.extend_from_slice(&(l4.len() as u16).to_be_bytes());
            f.push(l4_proto);
            f.push(64);
            f.extend_from_slice(&v6(s).octets());
            f.extend_from_slice(&v6(d).octets());
        }
    }
    f.extend_from_slice(&l4);
    f
}

fn v6(ip: IpAddr) -> Ipv6Addr {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for part in parts {
        for &b in *part {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_rfc1071_example() {
        // From RFC 1071 §3: 0001 f203 f4f5 f6f7 sums to ddf2, checksum 220d.
        assert_eq!(checksum(&[&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]]), 0x220d);
        // A header with its checksum filled in sums to zero.
        let ip = [0x45, 0, 0, 0x1c, 0, 1, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1];
        let c = checksum(&[&ip]);
        let mut with = ip;
        with[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(checksum(&[&with]), 0);
    }

    #[test]
    fn a_received_datagram_is_recorded_to_its_real_destination() {
        let bound: SocketAddr = "0.0.0.0:7788".parse().unwrap();
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut w = PcapWriter::new(Vec::new()).unwrap();
        let mut listening = Event::now(Proto::Udp, EventKind::Listening { local: bound });
        listening.local = Some(bound);
        w.write(&listening).unwrap();
        for dst in ["127.255.255.255:7788", "239.255.0.1:7788", "0.0.0.0:7788"] {
            let mut rx = Event::now(Proto::Udp, EventKind::Rx { data: b"hi".to_vec(), lost: 0 });
            (rx.local, rx.peer) = (Some(dst.parse().unwrap()), Some(peer));
            w.write(&rx).unwrap();
        }
        let bytes = w.finish().unwrap();
        // Each record: 16-byte header, 14 Ethernet, 20 IPv4 (destination at 16), 8 UDP, 2 data.
        let record = 16 + 14 + 20 + 8 + 2;
        let dst_of = |i: usize| {
            let at = 24 + i * record + 16 + 14 + 16;
            std::net::Ipv4Addr::new(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3])
        };
        assert_eq!(dst_of(0), std::net::Ipv4Addr::new(127, 255, 255, 255));
        assert_eq!(dst_of(1), std::net::Ipv4Addr::new(239, 255, 0, 1));
        assert_eq!(dst_of(2), std::net::Ipv4Addr::LOCALHOST, "a wildcard destination stays loopback");
    }

    #[test]
    fn wildcard_local_becomes_loopback() {
        let (l, p) = endpoints("0.0.0.0:9".parse().unwrap(), "127.0.0.1:5".parse().unwrap());
        assert_eq!(l, "127.0.0.1:9".parse().unwrap());
        assert_eq!(p, "127.0.0.1:5".parse().unwrap());
        let (l, _) = endpoints("127.0.0.1:9".parse().unwrap(), "[::1]:5".parse().unwrap());
        assert!(l.is_ipv6());
    }
}
