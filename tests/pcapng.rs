//! pcapng import: files written block by block by a small generator (both byte orders), the
//! packet layers inside them (link types, VLAN, IPv6 extension headers, IPv4 fragments),
//! TCP put back in order as the receiver saw it (retransmission, reordering, loss), faults,
//! a conversion by editcap, and property tests (truncation, bit flips).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

mod common;

use std::net::SocketAddr;
use std::process::Command as Proc;

use etherparse::{PacketBuilder, VlanId};
use proptest::prelude::*;
use socklab::engine::{CloseReason, Event, EventKind, Proto};
use socklab::log::import::{self, FaultProblem, Imported, SkipKind};
use socklab::log::pcap::PcapWriter;

/// Seconds of the captures' first packet.
const T0: u64 = 1_790_000_000;

/// Writes a pcapng file block by block, in the byte order of the current section.
#[derive(Default)]
struct Ng {
    bytes: Vec<u8>,
    be: bool,
}

/// A block body in a byte order.
struct Body {
    b: Vec<u8>,
    be: bool,
}

impl Body {
    fn u16(&mut self, v: u16) -> &mut Body {
        self.b.extend_from_slice(&if self.be { v.to_be_bytes() } else { v.to_le_bytes() });
        self
    }
    fn u32(&mut self, v: u32) -> &mut Body {
        self.b.extend_from_slice(&if self.be { v.to_be_bytes() } else { v.to_le_bytes() });
        self
    }
    fn raw(&mut self, data: &[u8]) -> &mut Body {
        self.b.extend_from_slice(data);
        while !self.b.len().is_multiple_of(4) {
            self.b.push(0);
        }
        self
    }
    fn option(&mut self, code: u16, value: &[u8]) -> &mut Body {
        self.u16(code).u16(value.len() as u16).raw(value)
    }
    fn end_of_options(&mut self) -> &mut Body {
        self.u16(0).u16(0)
    }
}

impl Ng {
    fn body(&self) -> Body {
        Body { b: Vec::new(), be: self.be }
    }

    fn u32(&self, v: u32) -> [u8; 4] {
        if self.be { v.to_be_bytes() } else { v.to_le_bytes() }
    }

    fn block(&mut self, ty: u32, body: &Body) {
        let len = 12 + body.b.len() as u32;
        let (t, l) = (self.u32(ty), self.u32(len));
        self.bytes.extend_from_slice(&t);
        self.bytes.extend_from_slice(&l);
        self.bytes.extend_from_slice(&body.b);
        self.bytes.extend_from_slice(&l);
    }

    /// A new section in byte order `be`.
    fn shb(&mut self, be: bool) -> &mut Ng {
        self.be = be;
        let mut b = self.body();
        b.u32(0x1a2b_3c4d).u16(1).u16(0).u32(u32::MAX).u32(u32::MAX); // section length: unknown
        b.option(4, b"socklab test").end_of_options();
        self.block(0x0a0d_0d0a, &b);
        self
    }

    /// An interface: link type, `if_tsresol` and `if_tsoffset` if given.
    fn idb(&mut self, link: u16, tsresol: Option<u8>, tsoffset: Option<i64>) -> &mut Ng {
        let mut b = self.body();
        b.u16(link).u16(0).u32(262_144);
        b.option(2, b"eth0");
        if let Some(r) = tsresol {
            b.option(9, &[r]);
        }
        if let Some(o) = tsoffset {
            b.option(14, &if self.be { o.to_be_bytes() } else { o.to_le_bytes() });
        }
        b.end_of_options();
        self.block(1, &b);
        self
    }

    /// An Enhanced Packet Block with a time stamp in the interface's units.
    fn epb(&mut self, iface: u32, ticks: u64, frame: &[u8], comment: Option<&str>) -> &mut Ng {
        let mut b = self.body();
        b.u32(iface).u32((ticks >> 32) as u32).u32(ticks as u32).u32(frame.len() as u32).u32(frame.len() as u32);
        b.raw(frame);
        if let Some(c) = comment {
            b.option(1, c.as_bytes()).end_of_options();
        }
        self.block(6, &b);
        self
    }

    /// An EPB at `us` microseconds after T0 (for an interface with the default resolution).
    fn epb_us(&mut self, iface: u32, us: u64, frame: &[u8]) -> &mut Ng {
        self.epb(iface, T0 * 1_000_000 + us, frame, None)
    }

    fn spb(&mut self, frame: &[u8]) -> &mut Ng {
        let mut b = self.body();
        b.u32(frame.len() as u32).raw(frame);
        self.block(3, &b);
        self
    }

    /// A block of any other type, with a body of `len` bytes.
    fn other(&mut self, ty: u32, len: usize) -> &mut Ng {
        let mut b = self.body();
        b.raw(&vec![0x55; len]);
        self.block(ty, &b);
        self
    }
}

fn read(bytes: &[u8]) -> Imported {
    import::read_pcapng(bytes).unwrap()
}

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];

fn udp_ip(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ipv4(A, B, 64).udp(4000, 9).write(&mut v, payload).unwrap();
    v
}

fn udp_eth(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    PacketBuilder::ethernet2([2; 6], [4; 6]).ipv4(A, B, 64).udp(4000, 9).write(&mut v, payload).unwrap();
    v
}

fn rx_data(e: &Event) -> Option<&[u8]> {
    match &e.kind {
        EventKind::Rx { data, .. } => Some(data),
        _ => None,
    }
}

fn rx_all(imported: &Imported) -> Vec<&[u8]> {
    imported.events.iter().filter_map(rx_data).collect()
}

fn ns_after_t0(e: &Event) -> i128 {
    e.time.as_nanosecond() - i128::from(T0) * 1_000_000_000
}

fn kind_count(imported: &Imported, kind: SkipKind) -> u64 {
    imported.skipped_kinds.iter().find(|(k, _)| *k == kind).map_or(0, |(_, n)| *n)
}

#[test]
fn two_sections_of_different_byte_order() {
    let mut ng = Ng::default();
    ng.shb(false).idb(1, None, None).epb_us(0, 5, &udp_eth(b"little"));
    ng.shb(true).idb(101, None, None).epb_us(0, 7, &udp_ip(b"big"));
    assert_eq!(&ng.bytes[8..12], &[0x4d, 0x3c, 0x2b, 0x1a]);
    let got = read(&ng.bytes);
    assert_eq!(rx_all(&got), [&b"little"[..], b"big"], "{got:?}");
    assert_eq!(got.events.iter().map(ns_after_t0).collect::<Vec<_>>(), [5_000, 7_000]);
    assert_eq!((got.skipped, got.fault.clone(), got.warnings.clone()), (0, None, vec![]));
    assert_eq!(got.packets, 2);
    // The interfaces of a section end with it: a packet naming interface 1 of the first
    // section in the second is not decoded.
    ng.epb_us(1, 9, &udp_ip(b"nowhere"));
    let got = read(&ng.bytes);
    assert_eq!(rx_all(&got).len(), 2);
    assert_eq!(kind_count(&got, SkipKind::Malformed), 1);
    assert_eq!(got.warnings.len(), 1, "{:?}", got.warnings);
}

#[test]
fn time_stamp_resolutions_and_offsets() {
    let mut ng = Ng::default();
    ng.shb(false).idb(101, Some(9), None).idb(101, Some(0x80 | 10), None).idb(101, None, Some(100));
    ng.epb(0, T0 * 1_000_000_000 + 123_456_789, &udp_ip(b"ns"), None);
    ng.epb(1, T0 * 1024 + 512, &udp_ip(b"2^-10"), None); // half a second
    ng.epb(2, (T0 - 100) * 1_000_000 + 1, &udp_ip(b"offset"), None); // +100 s
    let got = read(&ng.bytes);
    assert_eq!(rx_all(&got).len(), 3, "{got:?}");
    assert_eq!(got.events.iter().map(ns_after_t0).collect::<Vec<_>>(), [123_456_789, 500_000_000, 1_000]);
}

#[test]
fn simple_packet_blocks_comments_and_unknown_blocks() {
    let mut ng = Ng::default();
    ng.shb(false).idb(1, None, None);
    ng.other(4, 16); // Name Resolution
    let arp = [vec![0xff; 6], vec![2; 6], vec![0x08, 0x06], vec![0; 28]].concat();
    ng.epb(0, T0 * 1_000_000 + 10, &udp_eth(b"first"), Some("look at this one"));
    ng.epb(0, T0 * 1_000_000 + 20, &arp, Some("an ARP: no row"));
    ng.spb(&udp_eth(b"simple"));
    ng.other(5, 24); // Interface Statistics
    ng.other(0x0000_abcd, 8); // unknown
    ng.other(0x0000_0bad, 12); // custom
    let got = read(&ng.bytes);
    assert_eq!(rx_all(&got), [&b"first"[..], b"simple"], "{got:?}");
    // The simple packet has no time stamp: it takes the one before it.
    assert_eq!(ns_after_t0(&got.events[1]), 20_000);
    assert_eq!(got.comments, vec![(0, "look at this one".to_string()), (1, "an ARP: no row".to_string())]);
    assert_eq!(got.skipped, 1, "the ARP packet; blocks are no packets");
    for ty in [4, 5, 0xabcd, 0xbad] {
        assert_eq!(kind_count(&got, SkipKind::Block(ty)), 1, "{ty:#x}: {:?}", got.skipped_kinds);
    }
    assert_eq!(kind_count(&got, SkipKind::Arp), 1);
    // The same in big-endian.
    let mut be = Ng::default();
    be.shb(true).idb(1, None, None).other(4, 16).epb(0, 1, &udp_eth(b"x"), Some("c")).spb(&udp_eth(b"y"));
    let got = read(&be.bytes);
    assert_eq!(rx_all(&got), [&b"x"[..], b"y"], "{got:?}");
    assert_eq!(got.comments, vec![(0, "c".to_string())]);
    assert_eq!(kind_count(&got, SkipKind::Block(4)), 1, "{:?}", got.skipped_kinds);
}

/// An IPv6 UDP packet with a hop-by-hop and a destination options header.
fn ipv6_with_extensions(payload: &[u8]) -> Vec<u8> {
    let udp_len = 8 + payload.len();
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&((16 + udp_len) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 64]); // hop-by-hop options follow
    p.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    p.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]); // hop-by-hop: PadN; destination options next
    p.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]); // destination options: PadN; UDP next
    p.extend_from_slice(&5000u16.to_be_bytes());
    p.extend_from_slice(&9u16.to_be_bytes());
    p.extend_from_slice(&(udp_len as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(payload);
    p
}

#[test]
fn interfaces_of_different_link_types() {
    let vlan = {
        let mut v = Vec::new();
        PacketBuilder::ethernet2([2; 6], [4; 6])
            .single_vlan(VlanId::try_new(42).unwrap())
            .ipv4(A, B, 64)
            .udp(4000, 9)
            .write(&mut v, b"vlan")
            .unwrap();
        v
    };
    let sll2 =
        [&[0x86, 0xdd, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0][..], &ipv6_with_extensions(b"sll2")]
            .concat();
    let null = [&2u32.to_le_bytes()[..], &udp_ip(b"null")].concat();
    let null_be = [&30u32.to_be_bytes()[..], &ipv6_with_extensions(b"null6")].concat();
    let mut ng = Ng::default();
    ng.shb(false).idb(1, None, None).idb(101, None, None).idb(276, None, None).idb(0, None, None).idb(147, None, None);
    ng.epb_us(0, 1, &vlan).epb_us(1, 2, &udp_ip(b"raw")).epb_us(2, 3, &sll2).epb_us(3, 4, &null);
    ng.epb_us(3, 5, &null_be).epb_us(4, 6, b"a link type we do not read");
    let got = read(&ng.bytes);
    assert_eq!(rx_all(&got), [&b"vlan"[..], b"raw", b"sll2", b"null", b"null6"], "{got:?}");
    let v6: SocketAddr = "[fd00::1]:5000".parse().unwrap();
    assert_eq!(got.events[2].peer, Some(v6));
    assert_eq!(got.skipped_kinds, vec![(SkipKind::LinkType(147), 1)]);
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
}

/// The fragments of one UDP datagram over IPv4 (identification `id`), `cut` bytes into the
/// IP payload (a multiple of 8).
fn ipv4_fragments(id: u16, payload: &[u8], cut: usize) -> (Vec<u8>, Vec<u8>) {
    let whole = udp_ip(payload);
    let ip_payload = &whole[20..];
    let frag = |offset: usize, more: bool, data: &[u8]| {
        let mut h = whole[..20].to_vec();
        h[2..4].copy_from_slice(&((20 + data.len()) as u16).to_be_bytes());
        h[4..6].copy_from_slice(&id.to_be_bytes());
        let field = ((offset / 8) as u16) | if more { 0x2000 } else { 0 };
        h[6..8].copy_from_slice(&field.to_be_bytes());
        h.extend_from_slice(data);
        h
    };
    (frag(0, true, &ip_payload[..cut]), frag(cut, false, &ip_payload[cut..]))
}

/// One fragment of an IPv6 datagram carrying `proto`: `data` at byte `offset`.
fn ipv6_fragment(id: u32, offset: usize, more: bool, data: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    p.extend_from_slice(&[44, 64]); // a fragment header follows
    p.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    p.extend_from_slice(&[17, 0]);
    p.extend_from_slice(&(((offset / 8) as u16) << 3 | u16::from(more)).to_be_bytes());
    p.extend_from_slice(&id.to_be_bytes());
    p.extend_from_slice(data);
    p
}

#[test]
fn ipv6_fragments_are_put_together() {
    let payload = b"sixteen bytes ok and then some more";
    let mut udp = Vec::new();
    udp.extend_from_slice(&5000u16.to_be_bytes());
    udp.extend_from_slice(&9u16.to_be_bytes());
    udp.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(payload);
    let mut ng = Ng::default();
    ng.shb(false).idb(101, None, None);
    ng.epb_us(0, 1, &ipv6_fragment(77, 0, true, &udp[..24]));
    ng.epb_us(0, 2, &ipv6_fragment(77, 24, false, &udp[24..]));
    let got = read(&ng.bytes);
    assert_eq!(rx_all(&got), [&payload[..]], "{got:?}");
    assert_eq!(got.events[0].peer, Some("[fd00::1]:5000".parse().unwrap()));
    assert_eq!((got.skipped, got.packets), (0, 2));
}

#[test]
fn ip_fragments_are_put_together_and_other_traffic_counted() {
    let payload: Vec<u8> = (0..100u8).collect();
    let (first, second) = ipv4_fragments(7, &payload, 48);
    let (orphan, _) = ipv4_fragments(8, b"never whole, never whole, never whole, never whole", 16);
    let icmp = {
        let mut v = Vec::new();
        PacketBuilder::ipv4(A, B, 64).icmpv4_echo_request(1, 1).write(&mut v, b"ping").unwrap();
        v
    };
    let sctp = {
        let mut v = udp_ip(b"pretend");
        v[9] = 132;
        v
    };
    let mut ng = Ng::default();
    ng.shb(true).idb(101, None, None);
    ng.epb_us(0, 1, &second).epb_us(0, 2, &icmp).epb_us(0, 3, &orphan).epb_us(0, 4, &first);
    ng.epb_us(0, 5, &icmp).epb_us(0, 6, &sctp);
    let got = read(&ng.bytes);
    assert_eq!(rx_all(&got), [&payload[..]], "{got:?}");
    assert_eq!(ns_after_t0(&got.events[0]), 4_000, "the fragment that completed it");
    assert_eq!(
        got.skipped_kinds,
        vec![(SkipKind::Icmp, 2), (SkipKind::IpProtocol(132), 1), (SkipKind::Fragment, 1)],
        "{got:?}"
    );
    assert_eq!(got.skipped, 4);
    assert_eq!(got.packets, 6);
}

const CLIENT: ([u8; 4], u16) = ([10, 0, 0, 2], 40_000);
const SERVER: ([u8; 4], u16) = ([10, 0, 0, 1], 80);

/// A TCP segment between CLIENT and SERVER; `flags` from "SAFR".
fn tcp(from_client: bool, seq: u32, ack: u32, flags: &str, payload: &[u8]) -> Vec<u8> {
    let ((sip, sport), (dip, dport)) = if from_client { (CLIENT, SERVER) } else { (SERVER, CLIENT) };
    let mut b = PacketBuilder::ethernet2([2; 6], [4; 6]).ipv4(sip, dip, 64).tcp(sport, dport, seq, 65_535);
    for flag in flags.chars() {
        b = match flag {
            'S' => b.syn(),
            'A' => b.ack(ack),
            'F' => b.fin(),
            'R' => b.rst(),
            other => panic!("flag {other}"),
        };
    }
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

fn rows(imported: &Imported) -> Vec<(i128, EventKind)> {
    imported.events.iter().map(|e| (ns_after_t0(e) / 1000, e.kind.clone())).collect()
}

#[test]
fn tcp_as_the_receiver_saw_it() {
    let (c, s) = (u32::MAX - 6, 5_000u32); // the client's sequence numbers wrap around
    let mut ng = Ng::default();
    ng.shb(false).idb(1, None, None);
    let mut t = 0;
    let mut seg = |ng: &mut Ng, from_client, seq: u32, ack: u32, flags, payload: &[u8]| {
        t += 1;
        ng.epb_us(0, t, &tcp(from_client, seq, ack, flags, payload));
    };
    seg(&mut ng, true, c, 0, "S", b"");
    seg(&mut ng, false, s, c.wrapping_add(1), "SA", b""); // 2: connected
    seg(&mut ng, true, c.wrapping_add(1), s + 1, "A", b"");
    seg(&mut ng, true, c.wrapping_add(1), s + 1, "A", b"aaaa"); // 4
    seg(&mut ng, true, c.wrapping_add(1), s + 1, "A", b"aaaa"); // retransmitted
    seg(&mut ng, true, c.wrapping_add(9), s + 1, "A", b"cccc"); // before "bbbb": waits
    seg(&mut ng, true, c.wrapping_add(5), s + 1, "A", b"bbbb"); // 7: both delivered
    seg(&mut ng, false, s + 1, c.wrapping_add(13), "A", b"");
    seg(&mut ng, true, c.wrapping_add(17), s + 1, "A", b"eeee"); // "dddd" is lost
    seg(&mut ng, true, c.wrapping_add(11), s + 1, "A", b"ccdd"); // 10: overlaps; "dd" is new
    seg(&mut ng, false, s + 1, c.wrapping_add(21), "A", b"OK"); // 11: acks past the hole
    seg(&mut ng, true, c.wrapping_add(21), s + 3, "FA", b"");
    seg(&mut ng, false, s + 3, c.wrapping_add(22), "FA", b""); // 13
    seg(&mut ng, true, c.wrapping_add(22), s + 4, "A", b"");
    let got = read(&ng.bytes);
    let server: SocketAddr = (SERVER.0, SERVER.1).into();
    let rx = |d: &[u8]| EventKind::Rx { data: d.to_vec(), lost: 0 };
    assert_eq!(
        rows(&got),
        vec![
            (2, EventKind::Connected { local: server, inbound: true, tls: None }),
            (4, rx(b"aaaa")),
            (7, rx(b"bbbb")),
            (7, rx(b"cccc")),
            (10, rx(b"dd")),
            (11, EventKind::Gap { bytes: 2, from_peer: true }),
            (11, rx(b"eeee")),
            (11, EventKind::Tx { data: b"OK".to_vec() }),
            (13, EventKind::Closed { reason: CloseReason::PeerClosed }),
        ],
        "{got:#?}"
    );
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
}

#[test]
fn holes_are_given_up_at_a_fin_or_the_end_of_the_capture() {
    let (c, s) = (1_000u32, 9_000u32);
    let mut ng = Ng::default();
    ng.shb(true).idb(1, None, None);
    let frames = [
        tcp(true, c, 0, "S", b""),
        tcp(false, s, c + 1, "SA", b""),
        tcp(true, c + 1, s + 1, "A", b"one"),
        tcp(true, c + 9, s + 1, "A", b"three"), // 5 bytes before it never captured
        tcp(false, s + 1, c + 4, "A", b"reply"), // acks only "one": the hole stays
        tcp(false, s + 11, c + 4, "A", b"late?"), // after a hole of 5 bytes of its own
        tcp(true, c + 14, s + 1, "FA", b""),    // 7: the client's FIN gives its hole up
    ];
    for (i, f) in frames.iter().enumerate() {
        ng.epb_us(0, i as u64 + 1, f);
    }
    let got = read(&ng.bytes);
    let tx = |d: &[u8]| EventKind::Tx { data: d.to_vec() };
    let rx = |d: &[u8]| EventKind::Rx { data: d.to_vec(), lost: 0 };
    let server: SocketAddr = (SERVER.0, SERVER.1).into();
    assert_eq!(
        rows(&got),
        vec![
            (2, EventKind::Connected { local: server, inbound: true, tls: None }),
            (3, rx(b"one")),
            (5, tx(b"reply")),
            (7, EventKind::Gap { bytes: 5, from_peer: true }),
            (7, rx(b"three")),
            // The end of the capture gives up the server's hole.
            (7, EventKind::Gap { bytes: 5, from_peer: false }),
            (7, tx(b"late?")),
        ],
        "{got:#?}"
    );
}

#[test]
fn a_file_cut_inside_a_block_keeps_the_events_before_it() {
    let mut ng = Ng::default();
    ng.shb(false).idb(1, None, None).epb_us(0, 1, &udp_eth(b"kept"));
    let start = ng.bytes.len() as u64;
    ng.epb_us(0, 2, &udp_eth(b"cut off"));
    let whole = ng.bytes.clone();
    for keep in [start as usize + 1, start as usize + 20, whole.len() - 1] {
        let got = read(&whole[..keep]);
        assert_eq!(rx_all(&got), [b"kept"], "{got:?}");
        let fault = got.fault.clone().unwrap();
        assert_eq!((fault.offset, fault.number, fault.problem), (start, 4, FaultProblem::CutOff), "{keep}");
    }
    // A block whose two lengths differ is damaged.
    let mut bad = whole.clone();
    let n = bad.len();
    bad[n - 4] ^= 0x40;
    let got = read(&bad);
    assert_eq!(rx_all(&got), [b"kept"]);
    let fault = got.fault.unwrap();
    assert_eq!((fault.offset, fault.number), (start, 4));
    assert!(matches!(fault.problem, FaultProblem::Damaged(_)), "{fault:?}");
    // A packet block whose captured length runs past its end is damaged, whatever the length.
    for caplen in [200u32, 1 << 28] {
        let mut lying = whole.clone();
        let at = start as usize + 20; // the EPB's captured length
        lying[at..at + 4].copy_from_slice(&caplen.to_le_bytes());
        let got = read(&lying);
        assert_eq!(rx_all(&got), [b"kept"]);
        let fault = got.fault.unwrap();
        assert_eq!((fault.offset, fault.number), (start, 4));
        assert!(matches!(fault.problem, FaultProblem::Damaged(_)), "{caplen}: {fault:?}");
    }
    // A block longer than the import takes.
    let mut huge = whole[..start as usize].to_vec();
    huge.extend_from_slice(&6u32.to_le_bytes());
    huge.extend_from_slice(&(1u32 << 30).to_le_bytes());
    huge.extend_from_slice(&[0; 64]);
    let got = read(&huge);
    assert_eq!(got.fault.unwrap().problem, FaultProblem::TooBig(1 << 30));
    // Not even a section header: an error.
    assert!(import::read_pcapng(&whole[..10]).is_err());
}

// ---------------------------------------------------------------------------------------------
// editcap

fn synthetic(ms: i64, proto: Proto, conn: Option<u64>, peer: &str, kind: EventKind) -> Event {
    let time = jiff::Timestamp::from_millisecond(1_790_000_000_000 + ms).unwrap();
    Event { time, tab: 0, source: 0, proto, conn, local: None, peer: Some(peer.parse().unwrap()), kind }
}

#[test]
fn a_capture_converted_by_editcap_reads_the_same() {
    if !common::bin::have("editcap", "the editcap conversion") {
        return;
    }
    use EventKind::*;
    let local: SocketAddr = "127.0.0.1:7000".parse().unwrap();
    let peer = "127.0.0.1:50001";
    let tcp = |ms, kind| synthetic(ms, Proto::Tcp, Some(1), peer, kind);
    let udp = |ms, kind| {
        let mut e = synthetic(ms, Proto::Udp, None, "127.0.0.1:6001", kind);
        e.local = Some("127.0.0.1:6000".parse().unwrap());
        e
    };
    let log = vec![
        tcp(1, Connected { local, inbound: true, tls: None }),
        tcp(2, Rx { data: b"hello".to_vec(), lost: 0 }),
        tcp(3, Tx { data: vec![7; 70_000] }),
        tcp(4, Gap { bytes: 10, from_peer: true }),
        tcp(5, Rx { data: b"after the gap".to_vec(), lost: 0 }),
        udp(6, Rx { data: b"dgram".to_vec(), lost: 0 }),
        udp(7, Tx { data: b"back".to_vec() }),
        tcp(8, Closed { reason: CloseReason::PeerClosed }),
    ];
    let mut w = PcapWriter::new(Vec::new()).unwrap();
    for ev in &log {
        w.write(ev).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let (pcap, pcapng) = (dir.path().join("a.pcap"), dir.path().join("a.pcapng"));
    std::fs::write(&pcap, w.finish().unwrap()).unwrap();
    let o = Proc::new("editcap")
        .args(["-F", "pcapng", "-a", "4:from editcap", pcap.to_str().unwrap(), pcapng.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "editcap: {}", String::from_utf8_lossy(&o.stderr));
    let (a, b) = (import::read_file(&pcap).unwrap(), import::read_file(&pcapng).unwrap());
    assert_eq!(&std::fs::read(&pcapng).unwrap()[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
    assert_eq!(a.events, b.events);
    assert!(a.events.iter().any(|e| e.kind == Gap { bytes: 10, from_peer: true }), "{:#?}", a.events);
    assert_eq!((a.packets, a.bytes, a.skipped), (b.packets, b.bytes, b.skipped));
    assert!(b.fault.is_none() && b.warnings.is_empty(), "{b:?}");
    // Frame 4 (after the handshake) is the "hello": its comment goes with that row.
    assert_eq!(b.comments, vec![(1, "from editcap".to_string())], "{:#?}", b.events);
    assert_eq!(b.events[1].kind, Rx { data: b"hello".to_vec(), lost: 0 });
}

// ---------------------------------------------------------------------------------------------
// Robustness

fn sample_pcapng() -> Vec<u8> {
    let mut ng = Ng::default();
    ng.shb(false).idb(1, None, None).idb(101, Some(9), None);
    ng.epb(0, 1, &tcp(true, 1, 0, "S", b""), Some("syn"));
    ng.epb(0, 2, &tcp(false, 50, 2, "SA", b""), None);
    ng.epb(0, 3, &tcp(true, 2, 51, "A", b"hello"), None);
    ng.epb(0, 4, &tcp(true, 12, 51, "A", b"later"), None);
    ng.other(5, 16);
    ng.shb(true).idb(101, None, None).epb_us(0, 5, &udp_ip(b"big endian"));
    ng.spb(&udp_ip(b"simple"));
    let (first, second) = ipv4_fragments(3, &[9; 40], 16);
    ng.epb_us(0, 6, &first).epb_us(0, 7, &second);
    ng.bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn truncated_or_flipped_pcapng_never_panics(
        cut in 0usize..600,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 0..8),
    ) {
        let whole = sample_pcapng();
        let full = read(&whole);
        let mut bytes = whole.clone();
        for (at, bit) in &flips {
            let i = at.index(bytes.len());
            bytes[i] ^= 1 << bit;
        }
        bytes.truncate(bytes.len().saturating_sub(cut));
        if let Ok(got) = import::read_pcapng(&bytes) && flips.is_empty() {
            // Only cut: no more rows than the whole file gives.
            prop_assert!(got.events.len() <= full.events.len());
        }
    }
}
