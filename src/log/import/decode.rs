//! Packet decoding for the capture import: the link layer (Ethernet with VLAN tags, Linux cooked
//! SLL and SLL2, BSD loopback, raw IP), IPv4/IPv6 with extension headers and fragments, and the
//! UDP/TCP header. Other traffic is named by kind ([`SkipKind`]) for the import's counts.
//!
//! The headers are read by etherparse's zero-copy slices (Ethernet, VLAN tags, IPv4, IPv6 and
//! its extension headers, UDP, TCP), with no allocation per packet (the hot path of a big
//! capture). Thin shims remain where etherparse has no parser or refuses what captures hold:
//! SLL (etherparse refuses the loopback hardware type that `tcpdump -i any` writes on `lo`),
//! SLL2 and BSD null; a TCP header the snap length cut inside its options; the walk over IPv6
//! extension headers (it must stop at a fragment header). IP fragments are put together by
//! [`super::defrag`] with etherparse's defragmentation buffers.

#![allow(
    clippy::indexing_slicing,
    reason = "each header offset is checked against the frame length before it is read; tests/props.rs feeds random frames"
)]

use std::net::{IpAddr, SocketAddr};

use etherparse::err::tcp::{HeaderError as TcpHeaderError, HeaderSliceError as TcpError};
use etherparse::{
    EtherType, Ethernet2HeaderSlice, Ipv4HeaderSlice, SingleVlanHeaderSlice, Ipv6FragmentHeaderSlice, Ipv6HeaderSlice, Ipv6RawExtHeaderSlice, TcpSlice, UdpSlice,
};

use super::SkipKind;
use super::capture::LinkType;
use super::warning::{FrameProblem as F, Header};
pub(super) use crate::log::pcap::{ACK as TCP_ACK, FIN as TCP_FIN, RST as TCP_RST, SYN as TCP_SYN};

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_ARP: u16 = 0x0806;
#[cfg(test)]
const ETHERTYPE_VLAN: u16 = 0x8100;
const IPPROTO_ICMP: u8 = 1;
const IPPROTO_IGMP: u8 = 2;
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;
const IPPROTO_ICMPV6: u8 = 58;

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// A UDP datagram or TCP segment taken out of a frame.
#[derive(Debug)]
pub(super) struct Packet<'a> {
    pub(super) src: SocketAddr,
    pub(super) dst: SocketAddr,
    pub(super) transport: Transport,
    pub(super) payload: &'a [u8],
    /// Payload bytes the IP header announces but the capture did not keep.
    pub(super) missing: usize,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Transport {
    Udp,
    Tcp { seq: u32, ack: u32, flags: u8 },
}

/// What a frame holds, as far as the import cares.
#[derive(Debug)]
pub(super) enum Decoded<'a> {
    /// A UDP datagram or TCP segment.
    Packet(Packet<'a>),
    /// A fragment of an IP datagram: whole once its fragments are put together.
    Fragment(Fragment<'a>),
    /// Other traffic, by kind.
    Skip(SkipKind),
}

/// The UDP/TCP packet in a frame, a fragment or the kind of other traffic; `Err` for a
/// malformed frame.
pub(super) fn decode_frame(link: LinkType, frame: &[u8]) -> Result<Decoded<'_>, F> {
    let ip = match link_payload(link, frame)? {
        Link::Ip(ip) => ip,
        Link::Other(kind) => return Ok(Decoded::Skip(kind)),
    };
    match decode_ip(ip)? {
        Ip::Whole(ip) => decode_transport(&ip),
        Ip::Fragment(f) => Ok(Decoded::Fragment(f)),
    }
}

/// What a link-layer frame carries.
enum Link<'a> {
    Ip(&'a [u8]),
    Other(SkipKind),
}

/// The IP packet inside a link-layer frame, or the kind of what it carries instead.
fn link_payload(link: LinkType, f: &[u8]) -> Result<Link<'_>, F> {
    match link {
        LinkType::RawIp => Ok(Link::Ip(f)),
        LinkType::Ethernet => ethernet_payload(f),
        LinkType::LinuxSll => {
            let ty = be16(f, 14).ok_or(F::HeaderCut(Header::LinuxCooked))?;
            Ok(by_ethertype(ty, &f[16..]))
        }
        LinkType::LinuxSll2 => {
            let ty = be16(f, 0).ok_or(F::HeaderCut(Header::LinuxCookedV2))?;
            let rest = f.get(20..).ok_or(F::HeaderCut(Header::LinuxCookedV2))?;
            Ok(by_ethertype(ty, rest))
        }
        LinkType::Null => {
            let family: [u8; 4] = f.get(..4).and_then(|b| b.try_into().ok()).ok_or(F::HeaderCut(Header::Loopback))?;
            // The family is in the byte order of the machine that captured: try both.
            let is_ip = |v: u32| matches!(v, 2 | 24 | 28 | 30); // AF_INET, AF_INET6 on BSDs/macOS
            let (le, be) = (u32::from_le_bytes(family), u32::from_be_bytes(family));
            if is_ip(le) || is_ip(be) {
                Ok(Link::Ip(&f[4..]))
            } else {
                // Families are small numbers: the smaller reading is the right byte order.
                Ok(Link::Other(SkipKind::Family(le.min(be))))
            }
        }
    }
}

fn by_ethertype(ty: u16, rest: &[u8]) -> Link<'_> {
    match ty {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => Link::Ip(rest),
        ETHERTYPE_ARP => Link::Other(SkipKind::Arp),
        other => Link::Other(SkipKind::EtherType(other)),
    }
}

/// Ethernet II, with up to two VLAN tags (802.1Q, or an 802.1ad outer tag), by etherparse's
/// header slices.
fn ethernet_payload(f: &[u8]) -> Result<Link<'_>, F> {
    let cut = |_| F::HeaderCut(Header::Ethernet);
    let eth = Ethernet2HeaderSlice::from_slice(f).map_err(cut)?;
    let mut ty = eth.ether_type();
    let mut rest = &f[eth.slice().len()..];
    for _ in 0..2 {
        if ty != EtherType::VLAN_TAGGED_FRAME && ty != EtherType::PROVIDER_BRIDGING {
            break;
        }
        let tag = SingleVlanHeaderSlice::from_slice(rest).map_err(cut)?;
        ty = tag.ether_type();
        rest = &rest[tag.slice().len()..];
    }
    Ok(by_ethertype(ty.0, rest))
}

/// The interesting part of an IP packet (or of a datagram put together from fragments).
pub(super) struct IpPacket<'a> {
    pub(super) src: IpAddr,
    pub(super) dst: IpAddr,
    pub(super) protocol: u8,
    /// The transport header and payload, as far as captured and no further than the IP length
    /// (Ethernet padding and trailers are left out).
    pub(super) payload: &'a [u8],
    pub(super) missing: usize,
}

/// One fragment of an IPv4 or IPv6 datagram.
#[derive(Debug)]
pub(super) struct Fragment<'a> {
    pub(super) src: IpAddr,
    pub(super) dst: IpAddr,
    /// The identification (16 bits for IPv4, 32 for IPv6).
    pub(super) id: u32,
    pub(super) protocol: u8,
    /// Where its bytes go in the datagram, in units of 8 bytes.
    pub(super) offset: u16,
    /// More fragments follow.
    pub(super) more: bool,
    pub(super) payload: &'a [u8],
    /// Bytes the capture's snap length cut off.
    pub(super) missing: usize,
}

/// An IP packet: whole, or a fragment.
enum Ip<'a> {
    Whole(IpPacket<'a>),
    Fragment(Fragment<'a>),
}

fn decode_ip(p: &[u8]) -> Result<Ip<'_>, F> {
    match p.first().map(|b| b >> 4) {
        Some(4) => ipv4(p),
        Some(6) => ipv6(p),
        Some(v) => Err(F::IpVersion(v)),
        None => Err(F::EmptyIp),
    }
}

/// An IPv4 header, read by etherparse's [`Ipv4HeaderSlice`] (zero-copy; it checks the version,
/// the header length and that the options are there).
fn ipv4(p: &[u8]) -> Result<Ip<'_>, F> {
    use etherparse::err::ipv4::{HeaderError as E, HeaderSliceError as S};
    let h = Ipv4HeaderSlice::from_slice(p).map_err(|e| match e {
        S::Len(l) if l.required_len > 20 => F::Ipv4HeaderLength(l.required_len),
        S::Len(_) => F::HeaderCut(Header::Ipv4),
        S::Content(E::HeaderLengthSmallerThanHeader { ihl }) => F::Ipv4HeaderLength(usize::from(ihl) * 4),
        S::Content(E::UnexpectedVersion { version_number }) => F::IpVersion(version_number),
    })?;
    let header_len = h.slice().len();
    // A total length of 0 appears in captures of TCP segmentation offload: use what is there.
    let total = match h.total_len() {
        0 => p.len(),
        t => usize::from(t),
    };
    if total < header_len {
        return Err(F::Ipv4TotalLength(total));
    }
    let (src, dst) = (h.source_addr().into(), h.destination_addr().into());
    let payload = p.get(header_len..total.min(p.len())).unwrap_or_default();
    let missing = total.saturating_sub(p.len());
    let protocol = h.protocol().0;
    if h.is_fragmenting_payload() {
        let id = u32::from(h.identification());
        let (offset, more) = (h.fragments_offset().value(), h.more_fragments());
        return Ok(Ip::Fragment(Fragment { src, dst, id, protocol, offset, more, payload, missing }));
    }
    Ok(Ip::Whole(IpPacket { src, dst, protocol, payload, missing }))
}

/// An IPv6 header, read by etherparse's [`Ipv6HeaderSlice`] (zero-copy).
fn ipv6(p: &[u8]) -> Result<Ip<'_>, F> {
    let h = Ipv6HeaderSlice::from_slice(p).map_err(|e| match e {
        etherparse::err::ipv6::HeaderSliceError::Len(_) => F::HeaderCut(Header::Ipv6),
        etherparse::err::ipv6::HeaderSliceError::Content(c) => match c {
            etherparse::err::ipv6::HeaderError::UnexpectedVersion { version_number } => F::IpVersion(version_number),
        },
    })?;
    let total = match h.payload_length() {
        0 => p.len(), // jumbogram or offload: use what is there
        len => 40 + usize::from(len),
    };
    let (src, dst) = (h.source_addr().into(), h.destination_addr().into());
    let missing = total.saturating_sub(p.len());
    let (protocol, payload, fragment) = skip_ipv6_extensions(h.next_header().0, p.get(40..total.min(p.len())).unwrap_or_default())?;
    Ok(match fragment {
        Some(Frag { id, offset, more }) => {
            Ip::Fragment(Fragment { src, dst, id, protocol, offset, more, payload, missing })
        }
        None => Ip::Whole(IpPacket { src, dst, protocol, payload, missing }),
    })
}

/// An IPv6 fragment header's fields.
struct Frag {
    id: u32,
    offset: u16,
    more: bool,
}

/// Follows IPv6 extension headers to the transport header (or, for a fragment, to the
/// fragment's data): `(protocol, rest, the fragment header)`.
fn skip_ipv6_extensions(mut next: u8, mut rest: &[u8]) -> Result<(u8, &[u8], Option<Frag>), F> {
    const HOP_BY_HOP: u8 = 0;
    const ROUTING: u8 = 43;
    const FRAGMENT: u8 = 44;
    const AUTH: u8 = 51;
    const DEST_OPTS: u8 = 60;
    for _ in 0..8 {
        let len = match next {
            HOP_BY_HOP | ROUTING | DEST_OPTS => Ipv6RawExtHeaderSlice::from_slice(rest).ok().map(|x| x.slice().len()),
            // Kept by hand: etherparse's IpAuthHeaderSlice refuses a payload length of 0,
            // which this reader skips like any other length.
            AUTH => rest.get(1).map(|&l| (usize::from(l) + 2) * 4),
            FRAGMENT => {
                let x = Ipv6FragmentHeaderSlice::from_slice(rest).map_err(|_| F::HeaderCut(Header::Ipv6Fragment))?;
                if x.is_fragmenting_payload() {
                    // The rest is the fragment's data; the protocol is the fragmented part's.
                    let frag = Frag { id: x.identification(), offset: x.fragment_offset().value(), more: x.more_fragments() };
                    return Ok((x.next_header().0, rest.get(8..).unwrap_or_default(), Some(frag)));
                }
                Some(8) // an atomic fragment: the datagram is whole
            }
            _ => return Ok((next, rest, None)),
        };
        let (Some(len), Some(&following)) = (len, rest.first()) else {
            return Err(F::HeaderCut(Header::Ipv6Extension));
        };
        rest = rest.get(len..).ok_or(F::HeaderCut(Header::Ipv6Extension))?;
        next = following;
    }
    Ok((next, rest, None)) // an absurd chain of extension headers: skipped by its last protocol
}

/// The UDP datagram or TCP segment in an IP packet, or the kind of what it holds instead.
/// The headers are read by etherparse's zero-copy slices ([`UdpSlice::from_slice_lax`] takes
/// the UDP length as a bound and falls back to what is there for 0 or a snapped datagram, like
/// tshark).
pub(super) fn decode_transport<'a>(ip: &IpPacket<'a>) -> Result<Decoded<'a>, F> {
    let p = ip.payload;
    let snapped = ip.missing > 0;
    let cut = |what: Header| if snapped { F::HeaderSnapped(what) } else { F::HeaderCut(what) };
    let (transport, (sport, dport), payload, missing) = match ip.protocol {
        IPPROTO_UDP => {
            let udp = UdpSlice::from_slice_lax(p).map_err(|_| cut(Header::Udp))?;
            (Transport::Udp, (udp.source_port(), udp.destination_port()), udp.payload(), ip.missing)
        }
        IPPROTO_TCP => match TcpSlice::from_slice(p) {
            Ok(tcp) => {
                let flags = tcp.header_slice().get(13).copied().unwrap_or(0);
                let transport = Transport::Tcp { seq: tcp.sequence_number(), ack: tcp.acknowledgment_number(), flags };
                (transport, (tcp.source_port(), tcp.destination_port()), tcp.payload(), ip.missing)
            }
            Err(TcpError::Content(TcpHeaderError::DataOffsetTooSmall { data_offset })) => {
                return Err(F::TcpDataOffset(usize::from(data_offset) * 4));
            }
            // etherparse refuses a TCP header shorter than its data offset; a snap length
            // that cuts into the options still leaves the fields the import needs.
            Err(TcpError::Len(_)) => snapped_tcp(p, ip.missing, cut)?,
        },
        IPPROTO_ICMP => return Ok(Decoded::Skip(SkipKind::Icmp)),
        IPPROTO_IGMP => return Ok(Decoded::Skip(SkipKind::Igmp)),
        IPPROTO_ICMPV6 => return Ok(Decoded::Skip(SkipKind::Icmpv6)),
        other => return Ok(Decoded::Skip(SkipKind::IpProtocol(other))),
    };
    Ok(Decoded::Packet(Packet {
        src: SocketAddr::new(ip.src, sport),
        dst: SocketAddr::new(ip.dst, dport),
        transport,
        payload,
        missing,
    }))
}

/// What [`decode_transport`] takes from a TCP header etherparse refused for its length (a
/// shim, because [`TcpSlice`] needs the whole header): the sequence number and flags are in
/// the first 14 bytes, and a header cut by the snap length inside its options still tells the
/// connection's state and how many payload bytes the segment carried (none of them kept).
type TcpParts<'a> = (Transport, (u16, u16), &'a [u8], usize);

fn snapped_tcp<'a>(p: &'a [u8], ip_missing: usize, cut: impl Fn(Header) -> F) -> Result<TcpParts<'a>, F> {
    let (Some(&flags), Some(&offset), Some(seq), Some(ack), Some(sport), Some(dport)) =
        (p.get(13), p.get(12), be32(p, 4), be32(p, 8), be16(p, 0), be16(p, 2))
    else {
        return Err(cut(Header::Tcp));
    };
    let offset = usize::from(offset >> 4) * 4;
    // The whole segment as sent: what was captured and what the snap length cut off.
    let sent = p.len() + ip_missing;
    if offset < 20 || offset > sent {
        return Err(F::TcpDataOffset(offset));
    }
    let (kept, missing) = match p.get(offset..) {
        Some(rest) => (rest, ip_missing),
        // No payload byte was kept: all the segment carried is missing.
        None => (p.get(p.len()..).unwrap_or_default(), sent - offset),
    };
    Ok((Transport::Tcp { seq, ack, flags }, (sport, dport), kept, missing))
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;

    use super::*;

    /// An IPv4 header (with `options`) around a UDP datagram, without checksums.
    fn ipv4_udp(options: &[u8], payload: &[u8]) -> Vec<u8> {
        let header_len = 20 + options.len();
        let total = header_len + 8 + payload.len();
        let mut p = vec![0x40 | (header_len / 4) as u8, 0];
        p.extend_from_slice(&(total as u16).to_be_bytes());
        p.extend_from_slice(&[0, 1, 0x40, 0, 64, IPPROTO_UDP, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend_from_slice(options);
        p.extend_from_slice(&1111u16.to_be_bytes());
        p.extend_from_slice(&2222u16.to_be_bytes());
        p.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn ipv4_options_and_ethernet_padding_are_handled() {
        let ip = ipv4_udp(&[1, 1, 1, 0], b"hi");
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&ETHERTYPE_VLAN.to_be_bytes());
        frame.extend_from_slice(&[0, 5]);
        frame.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&[0xee; 20]); // padding and FCS
        let Decoded::Packet(pkt) = decode_frame(LinkType::Ethernet, &frame).unwrap() else { panic!() };
        assert_eq!(pkt.payload, b"hi");
        assert_eq!(pkt.src, "10.0.0.1:1111".parse().unwrap());
        assert_eq!(pkt.dst, "10.0.0.2:2222".parse().unwrap());
    }

    #[test]
    fn ipv6_extension_headers_are_skipped() {
        let mut p = vec![0x60, 0, 0, 0];
        let udp = [0, 7, 0, 9, 0, 10, 0, 0, b'o', b'k'];
        p.extend_from_slice(&((8 + udp.len()) as u16).to_be_bytes());
        p.push(0); // hop-by-hop options follow
        p.push(64);
        p.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        p.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        p.extend_from_slice(&[IPPROTO_UDP, 0, 1, 4, 0, 0, 0, 0]); // PadN
        p.extend_from_slice(&udp);
        let Decoded::Packet(pkt) = decode_frame(LinkType::RawIp, &p).unwrap() else { panic!() };
        assert_eq!(pkt.payload, b"ok");
        assert_eq!(pkt.dst.port(), 9);
    }
}
