//! What kind of address this is: its classful class (A–E) and the special-purpose ranges
//! (private, loopback, link-local, multicast, …) it belongs to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

use serde::Serialize;

/// The classful address class of an IPv4 address (RFC 791, 1981), decided by its first bits.
///
/// Classes were replaced by classless addressing (CIDR, RFC 1519, 1993): today the prefix length
/// or mask says where the network part ends, not the first bits. They are still taught, and the
/// tutorial uses them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum AddrClass {
    A,
    B,
    C,
    D,
    E,
}

impl AddrClass {
    #[cfg(any(test, feature = "test-support"))]
    /// All classes, in order.
    pub const ALL: [AddrClass; 5] = [AddrClass::A, AddrClass::B, AddrClass::C, AddrClass::D, AddrClass::E];

    /// The class of an IPv4 address, by its leading bits.
    pub fn of(addr: Ipv4Addr) -> AddrClass {
        match addr.octets()[0] {
            0..=127 => AddrClass::A,
            128..=191 => AddrClass::B,
            192..=223 => AddrClass::C,
            224..=239 => AddrClass::D,
            240..=255 => AddrClass::E,
        }
    }

    /// `"A"` … `"E"`.
    pub fn name(self) -> &'static str {
        match self {
            AddrClass::A => "A",
            AddrClass::B => "B",
            AddrClass::C => "C",
            AddrClass::D => "D",
            AddrClass::E => "E",
        }
    }

    /// The first bits that define the class: `0`, `10`, `110`, `1110`, `1111`.
    pub fn leading_bits(self) -> &'static str {
        match self {
            AddrClass::A => "0",
            AddrClass::B => "10",
            AddrClass::C => "110",
            AddrClass::D => "1110",
            AddrClass::E => "1111",
        }
    }

    #[cfg(any(test, feature = "test-support"))]
    /// The range of first octets the leading bits allow (A: 0–127, B: 128–191, C: 192–223,
    /// D: 224–239, E: 240–255).
    pub fn first_octets(self) -> (u8, u8) {
        match self {
            AddrClass::A => (0, 127),
            AddrClass::B => (128, 191),
            AddrClass::C => (192, 223),
            AddrClass::D => (224, 239),
            AddrClass::E => (240, 255),
        }
    }

    /// The usable range as the tutorial gives it: A `1.0.0.1`–`126.255.255.254`,
    /// B `128.1.0.1`–`191.255.255.254`, C `192.0.1.1`–`223.255.255.254`,
    /// D `224.0.0.1`–`239.255.255.254`. The tutorial gives no range for E (reserved); this
    /// returns its whole block `240.0.0.0`–`255.255.255.255`.
    pub fn tutorial_range(self) -> (Ipv4Addr, Ipv4Addr) {
        match self {
            AddrClass::A => (Ipv4Addr::new(1, 0, 0, 1), Ipv4Addr::new(126, 255, 255, 254)),
            AddrClass::B => (Ipv4Addr::new(128, 1, 0, 1), Ipv4Addr::new(191, 255, 255, 254)),
            AddrClass::C => (Ipv4Addr::new(192, 0, 1, 1), Ipv4Addr::new(223, 255, 255, 254)),
            AddrClass::D => (Ipv4Addr::new(224, 0, 0, 1), Ipv4Addr::new(239, 255, 255, 254)),
            AddrClass::E => (Ipv4Addr::new(240, 0, 0, 0), Ipv4Addr::BROADCAST),
        }
    }

    /// The classful network prefix: A /8, B /16, C /24; D and E have no network/host split.
    pub fn default_prefix(self) -> Option<u8> {
        match self {
            AddrClass::A => Some(8),
            AddrClass::B => Some(16),
            AddrClass::C => Some(24),
            AddrClass::D | AddrClass::E => None,
        }
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Number of networks of this class as the tutorial counts them: A 126 (0 and 127 are
    /// special), B 16384 (2^14), C 2097152 (2^21); none for D and E.
    pub fn network_count(self) -> Option<u32> {
        match self {
            AddrClass::A => Some(126),
            AddrClass::B => Some(1 << 14),
            AddrClass::C => Some(1 << 21),
            AddrClass::D | AddrClass::E => None,
        }
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Usable hosts per network, 2^(host bits) − 2: A 16777214, B 65534, C 254; none for D, E.
    pub fn hosts_per_network(self) -> Option<u32> {
        self.default_prefix().map(|p| (1u32 << (32 - p)) - 2)
    }

    /// What the class was for.
    pub fn usage(self) -> ClassUsage {
        match self {
            AddrClass::A | AddrClass::B | AddrClass::C => ClassUsage::Unicast,
            AddrClass::D => ClassUsage::Multicast,
            AddrClass::E => ClassUsage::Reserved,
        }
    }
}

/// What a class of addresses was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassUsage {
    /// A, B, C: one host each, split into network and host parts.
    Unicast,
    /// D: multicast groups.
    Multicast,
    /// E: reserved for experiments and future use.
    Reserved,
}

/// The classful view of an IPv4 address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClassInfo {
    pub class: AddrClass,
    /// The first bits that define the class (`"0"`, `"10"`, `"110"`, `"1110"`, `"1111"`).
    pub leading_bits: &'static str,
    pub usage: ClassUsage,
    /// The classful prefix (8, 16, 24), none for D and E.
    pub default_prefix: Option<u8>,
    /// Whether the address lies in the range the tutorial gives for the class (for example
    /// `127.0.0.1` has class A bits but is outside `1.0.0.1`–`126.255.255.254`).
    pub in_tutorial_range: bool,
    /// Always true: classless addressing (CIDR, 1993) replaced classes, so the class is history
    /// and the prefix or mask is what counts. A flag so a UI can show its note.
    pub superseded_by_cidr: bool,
}

impl ClassInfo {
    /// The classful view of `addr`.
    pub fn of(addr: Ipv4Addr) -> ClassInfo {
        let class = AddrClass::of(addr);
        let (lo, hi) = class.tutorial_range();
        ClassInfo {
            class,
            leading_bits: class.leading_bits(),
            usage: class.usage(),
            default_prefix: class.default_prefix(),
            in_tutorial_range: (lo..=hi).contains(&addr),
            superseded_by_cidr: true,
        }
    }
}

/// A special-purpose range an address belongs to (IANA special-purpose registries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddrKind {
    /// RFC 1918 private: `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`.
    Private,
    /// Loopback: `127.0.0.0/8`, `::1`.
    Loopback,
    /// Link-local: `169.254.0.0/16`, `fe80::/10`.
    LinkLocal,
    /// Multicast: `224.0.0.0/4` (class D), `ff00::/8`.
    Multicast,
    /// The limited broadcast address `255.255.255.255`.
    LimitedBroadcast,
    /// The unspecified ("any") address: `0.0.0.0`, `::`.
    Unspecified,
    /// "This network" `0.0.0.0/8` (other than `0.0.0.0` itself).
    ThisNetwork,
    /// Documentation examples: `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`,
    /// `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// Shared address space for carrier-grade NAT: `100.64.0.0/10`.
    SharedCgnat,
    /// Network benchmarking: `198.18.0.0/15`.
    Benchmarking,
    /// Reserved: `240.0.0.0/4` (class E, except `255.255.255.255`); for IPv6, anything outside
    /// global unicast `2000::/3` not covered by another kind.
    Reserved,
    /// IPv6 unique local addresses (the IPv6 "private" addresses): `fc00::/7`.
    UniqueLocal,
    /// IPv4-mapped IPv6 address `::ffff:a.b.c.d` (how a dual-stack socket shows IPv4 peers).
    Ipv4Mapped,
    /// None of the above: a global (public) address.
    Global,
}

impl AddrKind {
    /// Short English name: `"private"`, `"loopback"`, `"link-local"`, …
    pub fn name(self) -> &'static str {
        match self {
            AddrKind::Private => "private",
            AddrKind::Loopback => "loopback",
            AddrKind::LinkLocal => "link-local",
            AddrKind::Multicast => "multicast",
            AddrKind::LimitedBroadcast => "limited broadcast",
            AddrKind::Unspecified => "unspecified",
            AddrKind::ThisNetwork => "this network",
            AddrKind::Documentation => "documentation",
            AddrKind::SharedCgnat => "shared (CGNAT)",
            AddrKind::Benchmarking => "benchmarking",
            AddrKind::Reserved => "reserved",
            AddrKind::UniqueLocal => "unique local",
            AddrKind::Ipv4Mapped => "IPv4-mapped",
            AddrKind::Global => "global",
        }
    }

    #[cfg(any(test, feature = "test-support"))]
    /// The blocks (CIDR notation) that make up this kind, both families.
    pub fn blocks(self) -> &'static [&'static str] {
        match self {
            AddrKind::Private => &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
            AddrKind::Loopback => &["127.0.0.0/8", "::1/128"],
            AddrKind::LinkLocal => &["169.254.0.0/16", "fe80::/10"],
            AddrKind::Multicast => &["224.0.0.0/4", "ff00::/8"],
            AddrKind::LimitedBroadcast => &["255.255.255.255/32"],
            AddrKind::Unspecified => &["0.0.0.0/32", "::/128"],
            AddrKind::ThisNetwork => &["0.0.0.0/8"],
            AddrKind::Documentation => {
                &["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20"]
            }
            AddrKind::SharedCgnat => &["100.64.0.0/10"],
            AddrKind::Benchmarking => &["198.18.0.0/15"],
            AddrKind::Reserved => &["240.0.0.0/4"],
            AddrKind::UniqueLocal => &["fc00::/7"],
            AddrKind::Ipv4Mapped => &["::ffff:0:0/96"],
            AddrKind::Global => &[],
        }
    }
}

fn in_v4(addr: Ipv4Addr, net: [u8; 4], prefix: u8) -> bool {
    Ipv4Net::new(Ipv4Addr::from(net), prefix).is_ok_and(|n| n.contains(&addr))
}

fn in_v6(addr: Ipv6Addr, net: [u16; 8], prefix: u8) -> bool {
    Ipv6Net::new(Ipv6Addr::from(net), prefix).is_ok_and(|n| n.contains(&addr))
}

/// The special-purpose kinds that apply to an address; `[Global]` when none does. Never empty.
pub fn kinds(addr: IpAddr) -> Vec<AddrKind> {
    let mut k = Vec::new();
    match addr {
        IpAddr::V4(a) => {
            if a.is_unspecified() {
                k.push(AddrKind::Unspecified);
            } else if in_v4(a, [0, 0, 0, 0], 8) {
                k.push(AddrKind::ThisNetwork);
            }
            if in_v4(a, [10, 0, 0, 0], 8) || in_v4(a, [172, 16, 0, 0], 12) || in_v4(a, [192, 168, 0, 0], 16) {
                k.push(AddrKind::Private);
            }
            if in_v4(a, [127, 0, 0, 0], 8) {
                k.push(AddrKind::Loopback);
            }
            if in_v4(a, [169, 254, 0, 0], 16) {
                k.push(AddrKind::LinkLocal);
            }
            if in_v4(a, [224, 0, 0, 0], 4) {
                k.push(AddrKind::Multicast);
            }
            if a == Ipv4Addr::BROADCAST {
                k.push(AddrKind::LimitedBroadcast);
            } else if in_v4(a, [240, 0, 0, 0], 4) {
                k.push(AddrKind::Reserved);
            }
            if in_v4(a, [192, 0, 2, 0], 24) || in_v4(a, [198, 51, 100, 0], 24) || in_v4(a, [203, 0, 113, 0], 24) {
                k.push(AddrKind::Documentation);
            }
            if in_v4(a, [100, 64, 0, 0], 10) {
                k.push(AddrKind::SharedCgnat);
            }
            if in_v4(a, [198, 18, 0, 0], 15) {
                k.push(AddrKind::Benchmarking);
            }
        }
        IpAddr::V6(a) => {
            if a.is_unspecified() {
                k.push(AddrKind::Unspecified);
            }
            if a.is_loopback() {
                k.push(AddrKind::Loopback);
            }
            if in_v6(a, [0xfe80, 0, 0, 0, 0, 0, 0, 0], 10) {
                k.push(AddrKind::LinkLocal);
            }
            if in_v6(a, [0xff00, 0, 0, 0, 0, 0, 0, 0], 8) {
                k.push(AddrKind::Multicast);
            }
            if in_v6(a, [0xfc00, 0, 0, 0, 0, 0, 0, 0], 7) {
                k.push(AddrKind::UniqueLocal);
            }
            if in_v6(a, [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32) || in_v6(a, [0x3fff, 0, 0, 0, 0, 0, 0, 0], 20) {
                k.push(AddrKind::Documentation);
            }
            if a.to_ipv4_mapped().is_some() {
                k.push(AddrKind::Ipv4Mapped);
            }
            if k.is_empty() && !in_v6(a, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) {
                k.push(AddrKind::Reserved);
            }
        }
    }
    if k.is_empty() {
        k.push(AddrKind::Global);
    }
    k
}
