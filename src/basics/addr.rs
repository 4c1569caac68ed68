//! IP address inspector: what kind of address is this, which class would it have been in, and
//! what does its subnet look like.
//!
//! [`inspect`] accepts what a student types:
//!
//! - an IPv4 or IPv6 address alone: `192.168.1.1`, `::1`, `[fe80::1]`;
//! - `address/prefix`: `192.168.1.1/24`, `fe80::1/64`;
//! - an IPv4 address with a dotted mask, after a slash or a space: `192.168.1.1/255.255.255.0`,
//!   `192.168.1.1 255.255.255.0` (an IPv6 address may likewise take an IPv6-form mask);
//!
//! with any surrounding whitespace. Bad input never panics: it gives an [`AddrError`] precise
//! enough to say what is wrong ("octet 256 is larger than 255", "prefix 33 is longer than 32",
//! "255.0.255.0 is not a valid mask: the 1-bits must be contiguous", …).
//!
//! The subnet arithmetic is done by the [`ipnet`] crate.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::Serialize;

/// IPv4 or IPv6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// `"IPv4"` or `"IPv6"`.
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }

    /// The family of an address.
    pub fn of(addr: IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// Number of bits in an address: 32 or 128.
    pub fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }
}

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

/// Bits of an address as text, grouped (`.` between IPv4 octets, `:` between IPv6 16-bit
/// groups), with where the network part ends so a UI can colour network and host bits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bits {
    /// `"11000000.10101000.00000001.00000001"` (35 chars for IPv4, 135 for IPv6).
    pub text: String,
    /// Byte (= char) index in `text` of the first host bit: chars before it are network bits
    /// (and separators), from it on host bits. `text.len()` when there are no host bits.
    pub host_start: usize,
}

impl Bits {
    /// The bits of `addr` with the first `prefix_len` bits marked as network bits.
    pub fn new(addr: IpAddr, prefix_len: u8) -> Bits {
        let (text, group) = match addr {
            IpAddr::V4(a) => (a.octets().iter().map(|o| format!("{o:08b}")).collect::<Vec<_>>().join("."), 8),
            IpAddr::V6(a) => (a.segments().iter().map(|s| format!("{s:016b}")).collect::<Vec<_>>().join(":"), 16),
        };
        let p = usize::from(prefix_len);
        let host_start = (p + p / group).min(text.len());
        Bits { text, host_start }
    }

    /// The network-bit part of `text` (with separators).
    pub fn network_part(&self) -> &str {
        self.text.get(..self.host_start).unwrap_or(&self.text)
    }

    /// The host-bit part of `text` (with separators).
    pub fn host_part(&self) -> &str {
        self.text.get(self.host_start..).unwrap_or("")
    }
}

/// A subnet worked out from an address and a prefix length (or mask).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Network {
    pub family: Family,
    /// The address this was worked out from.
    pub address: IpAddr,
    /// Number of network bits.
    pub prefix_len: u8,
    /// Number of host bits: 32 or 128 minus `prefix_len`.
    pub host_bits: u8,
    /// The network in CIDR notation, e.g. `"192.168.1.0/24"`.
    pub cidr: String,
    /// The network address: all host bits 0.
    pub network: IpAddr,
    /// The broadcast address, all host bits 1: IPv4 up to /30 only. A /31 (RFC 3021
    /// point-to-point) and a /32 have none, and IPv6 has no broadcast at all (it uses multicast).
    pub broadcast: Option<Ipv4Addr>,
    /// The last address of the network (all host bits 1), whether or not it is a broadcast.
    pub last_address: IpAddr,
    /// First usable host address (IPv4 /31: the first of the two; /32 and IPv6 /128: the
    /// address itself; IPv6: the network address, as every IPv6 address counts as a host here).
    pub first_host: IpAddr,
    /// Last usable host address.
    pub last_host: IpAddr,
    /// Number of addresses, 2^host_bits. `None` only for IPv6 `/0`, whose 2^128 does not fit in a
    /// `u128`: use `host_bits`. (Serialized as a JSON number, which may exceed `u64`:
    /// `serde_json::to_string` writes it exactly, `serde_json::to_value` cannot hold it.)
    pub addresses: Option<u128>,
    /// Usable hosts: IPv4 2^n − 2 (network and broadcast excluded), /31 → 2 (RFC 3021),
    /// /32 → 1; IPv6 all addresses (`None` for `/0`, as for `addresses`).
    pub usable_hosts: Option<u128>,
    /// The mask: dotted for IPv4 (`255.255.255.0`), IPv6 form for IPv6 (`ffff:ffff::`).
    pub netmask: IpAddr,
    /// The host mask (wildcard mask), the mask inverted: `0.0.0.255`.
    pub hostmask: IpAddr,
    /// The mask in binary, grouped: `11111111.11111111.11111111.00000000`.
    pub netmask_bits: Bits,
    /// The address in binary, grouped, split at the end of the network bits.
    pub address_bits: Bits,
    /// Whether the address is the network address itself (all host bits 0).
    pub is_network_address: bool,
    /// Whether the address is the broadcast address itself (IPv4 up to /30, all host bits 1).
    pub is_broadcast_address: bool,
    /// Whether the address is between `first_host` and `last_host`, i.e. may be given to a host.
    pub is_usable_host: bool,
}

impl Network {
    /// Works out the network of `address` with `prefix_len` network bits.
    pub fn new(address: IpAddr, prefix_len: u8) -> Result<Network, AddrError> {
        let net = IpNet::new(address, prefix_len).map_err(|_| AddrError::PrefixTooLong {
            prefix: prefix_len.to_string(),
            max: Family::of(address).bits(),
        })?;
        Ok(Network::from_ipnet(net))
    }

    /// Works out the network of an [`IpNet`] (its address is kept as the given address).
    pub fn from_ipnet(net: IpNet) -> Network {
        let address = net.addr();
        let family = Family::of(address);
        let prefix_len = net.prefix_len();
        let host_bits = family.bits() - prefix_len;
        let addresses = 1u128.checked_shl(u32::from(host_bits));
        let network = net.network();
        let last_address = net.broadcast();
        let (broadcast, usable_hosts, first_host, last_host) = match net {
            IpNet::V4(n) => {
                let broadcast = (prefix_len <= 30).then(|| n.broadcast());
                let usable = match prefix_len {
                    32 => 1,
                    31 => 2,
                    // host_bits ≥ 2 here, so the count is at least 4.
                    _ => (1u128 << host_bits) - 2,
                };
                let mut hosts = n.hosts();
                let first = hosts.next().map_or(network, IpAddr::V4);
                let last = hosts.next_back().map_or(first, IpAddr::V4);
                (broadcast, Some(usable), first, last)
            }
            IpNet::V6(_) => (None, addresses, network, last_address),
        };
        let is_usable_host = match (address, first_host, last_host) {
            (IpAddr::V4(a), IpAddr::V4(f), IpAddr::V4(l)) => (f..=l).contains(&a),
            (IpAddr::V6(a), IpAddr::V6(f), IpAddr::V6(l)) => (f..=l).contains(&a),
            _ => false,
        };
        Network {
            family,
            address,
            prefix_len,
            host_bits,
            cidr: net.trunc().to_string(),
            network,
            broadcast,
            last_address,
            first_host,
            last_host,
            addresses,
            usable_hosts,
            netmask: net.netmask(),
            hostmask: net.hostmask(),
            netmask_bits: Bits::new(net.netmask(), prefix_len),
            address_bits: Bits::new(address, prefix_len),
            is_network_address: address == network,
            is_broadcast_address: broadcast.is_some_and(|b| IpAddr::V4(b) == address),
            is_usable_host,
        }
    }

    /// The network as an [`IpNet`] (with host bits cleared).
    pub fn ipnet(&self) -> IpNet {
        // prefix_len came from a valid IpNet of the same family, so this cannot fail; fall back to
        // the single address rather than panic.
        IpNet::new(self.network, self.prefix_len).unwrap_or_else(|_| IpNet::from(self.network))
    }

    /// Whether `other` is inside this network.
    pub fn contains(&self, other: IpAddr) -> bool {
        self.ipnet().contains(&other)
    }
}

/// How the network part was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Notation {
    /// Just an address.
    Bare,
    /// `address/24`, or `address 24`.
    Prefix,
    /// `address/255.255.255.0` or `address 255.255.255.0` (or an IPv6-form mask).
    Mask,
}

/// Everything [`inspect`] found out about an input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// The address typed (host bits kept).
    pub address: IpAddr,
    pub family: Family,
    /// How the network part was given.
    pub notation: Notation,
    /// The classful view, IPv4 only.
    pub class: Option<ClassInfo>,
    /// Special-purpose kinds that apply (never empty: `[Global]` if nothing else).
    pub kinds: Vec<AddrKind>,
    /// For an IPv4-mapped IPv6 address `::ffff:a.b.c.d`, the IPv4 address inside.
    pub mapped_ipv4: Option<Ipv4Addr>,
    /// The address in binary, grouped (`host_start` marks the prefix if one was given, else
    /// the classful prefix for IPv4 A/B/C, else the whole address).
    pub address_bits: Bits,
    /// The network, when a prefix or mask was given.
    pub network: Option<Network>,
    /// For a bare IPv4 address of class A, B or C, the network its class would give it
    /// (/8, /16, /24). None otherwise.
    pub classful_network: Option<Network>,
}

/// Which part of the input an error is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputPart {
    Address,
    Mask,
}

/// Why [`inspect`] rejected its input. `Display` gives a short English message; a UI wanting
/// another language matches on the variants.
///
/// Octet `index`es count from 0. Texts quoted from the input are cut to 40 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddrError {
    /// Nothing but whitespace.
    Empty,
    /// An IPv4 address or mask without exactly 4 dot-separated parts.
    WrongOctetCount { part: InputPart, found: usize },
    /// Two dots in a row, or a dot at an end: `1..2.3`.
    EmptyOctet { part: InputPart, index: usize },
    /// Something other than decimal digits where a number should be.
    InvalidOctet { part: InputPart, index: usize, text: String },
    /// A number with a leading zero such as `010` (ambiguous: some tools read it as octal).
    LeadingZero { part: InputPart, index: usize, text: String },
    /// A number larger than 255.
    OctetTooLarge { part: InputPart, index: usize, text: String },
    /// Not a valid IPv6 address.
    InvalidIpv6 { part: InputPart, text: String },
    /// A slash with nothing after it.
    EmptyPrefix,
    /// After the slash: neither a prefix length nor a mask.
    InvalidPrefix { text: String },
    /// A prefix length larger than the address has bits.
    PrefixTooLong { prefix: String, max: u8 },
    /// A mask whose 1-bits are not all on the left: `255.0.255.0`.
    MaskNotContiguous { mask: IpAddr },
    /// An IPv4 mask with an IPv6 address or the other way round.
    MaskFamilyMismatch { address: Family, mask: Family },
    /// More input after the address and mask.
    TrailingInput { text: String },
}

impl fmt::Display for AddrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn of(part: &InputPart) -> &'static str {
            match part {
                InputPart::Address => "",
                InputPart::Mask => "mask ",
            }
        }
        match self {
            AddrError::Empty => write!(f, "empty input"),
            AddrError::WrongOctetCount { part, found } => {
                write!(f, "{}expected 4 numbers separated by dots, found {found}", of(part))
            }
            AddrError::EmptyOctet { part, index } => write!(f, "{}octet {} is empty", of(part), index + 1),
            AddrError::InvalidOctet { part, text, .. } => write!(f, "{}octet {text:?} is not a number", of(part)),
            AddrError::LeadingZero { part, text, .. } => {
                write!(f, "{}octet {text} has a leading zero", of(part))
            }
            AddrError::OctetTooLarge { part, text, .. } => write!(f, "{}octet {text} is larger than 255", of(part)),
            AddrError::InvalidIpv6 { part, text } => match part {
                InputPart::Address => write!(f, "{text:?} is not a valid IPv6 address"),
                InputPart::Mask => write!(f, "{text:?} is not a valid IPv6 mask"),
            },
            AddrError::EmptyPrefix => write!(f, "missing prefix length or mask after '/'"),
            AddrError::InvalidPrefix { text } => write!(f, "{text:?} is neither a prefix length nor a mask"),
            AddrError::PrefixTooLong { prefix, max } => write!(f, "prefix {prefix} is longer than {max}"),
            AddrError::MaskNotContiguous { mask } => {
                write!(f, "{mask} is not a valid mask: the 1-bits must be contiguous")
            }
            AddrError::MaskFamilyMismatch { address, mask } => {
                write!(f, "an {} mask does not fit an {} address", mask.name(), address.name())
            }
            AddrError::TrailingInput { text } => write!(f, "unexpected {text:?} after the address and mask"),
        }
    }
}

impl std::error::Error for AddrError {}

/// At most 40 characters of `s`, for quoting input in errors.
fn clip(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Parses a dotted-decimal IPv4 address strictly, with precise errors.
pub fn parse_ipv4(text: &str, part: InputPart) -> Result<Ipv4Addr, AddrError> {
    let pieces: Vec<&str> = text.split('.').collect();
    if pieces.len() != 4 {
        return Err(AddrError::WrongOctetCount { part, found: pieces.len() });
    }
    let mut octets = [0u8; 4];
    for (index, (piece, octet)) in pieces.iter().zip(octets.iter_mut()).enumerate() {
        if piece.is_empty() {
            return Err(AddrError::EmptyOctet { part, index });
        }
        if !piece.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AddrError::InvalidOctet { part, index, text: clip(piece) });
        }
        if piece.len() > 1 && piece.starts_with('0') {
            return Err(AddrError::LeadingZero { part, index, text: clip(piece) });
        }
        *octet = match piece.parse::<u8>() {
            Ok(v) => v,
            Err(_) => return Err(AddrError::OctetTooLarge { part, index, text: clip(piece) }),
        };
    }
    Ok(Ipv4Addr::from(octets))
}

/// Parses an address: IPv6 if it has a colon (optionally in `[…]`), else strict IPv4.
fn parse_addr(text: &str, part: InputPart) -> Result<IpAddr, AddrError> {
    if text.contains(':') || text.starts_with('[') {
        let inner = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
        inner.parse::<Ipv6Addr>().map(IpAddr::V6).map_err(|_| AddrError::InvalidIpv6 { part, text: clip(text) })
    } else {
        parse_ipv4(text, part).map(IpAddr::V4)
    }
}

/// Parses what follows the address (a prefix length or a mask) into a prefix length.
fn parse_suffix(address: IpAddr, text: &str) -> Result<(u8, Notation), AddrError> {
    let family = Family::of(address);
    if text.is_empty() {
        return Err(AddrError::EmptyPrefix);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let max = family.bits();
        return match text.parse::<u8>() {
            Ok(p) if p <= max => Ok((p, Notation::Prefix)),
            _ => Err(AddrError::PrefixTooLong { prefix: clip(text.trim_start_matches('0')), max }),
        };
    }
    let looks_v6 = text.contains(':');
    if !looks_v6 && !text.contains('.') {
        return Err(AddrError::InvalidPrefix { text: clip(text) });
    }
    let mask = parse_addr(text, InputPart::Mask)?;
    let mask_family = Family::of(mask);
    if mask_family != family {
        return Err(AddrError::MaskFamilyMismatch { address: family, mask: mask_family });
    }
    ipnet::ip_mask_to_prefix(mask).map(|p| (p, Notation::Mask)).map_err(|_| AddrError::MaskNotContiguous { mask })
}

/// Inspects an address, optionally with a prefix length or mask. See the module docs for the
/// accepted forms.
pub fn inspect(input: &str) -> Result<Inspection, AddrError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(AddrError::Empty);
    }
    let (addr_text, suffix) = match input.split_once('/') {
        Some((a, s)) => (a.trim(), Some(s.trim())),
        None => {
            let mut words = input.split_whitespace();
            let a = words.next().unwrap_or("");
            let s = words.next();
            if let Some(extra) = words.next() {
                return Err(AddrError::TrailingInput { text: clip(extra) });
            }
            (a, s)
        }
    };
    if addr_text.is_empty() {
        return Err(AddrError::Empty);
    }
    if let Some((_, extra)) = addr_text.split_once(char::is_whitespace) {
        return Err(AddrError::TrailingInput { text: clip(extra.trim()) });
    }
    let address = parse_addr(addr_text, InputPart::Address)?;
    let family = Family::of(address);

    let parsed = match suffix {
        Some(s) => {
            if let Some((_, extra)) = s.split_once(char::is_whitespace) {
                return Err(AddrError::TrailingInput { text: clip(extra.trim()) });
            }
            if s.contains('/') {
                return Err(AddrError::InvalidPrefix { text: clip(s) });
            }
            Some(parse_suffix(address, s)?)
        }
        None => None,
    };

    let (network, notation) = match parsed {
        Some((prefix, notation)) => (Some(Network::new(address, prefix)?), notation),
        None => (None, Notation::Bare),
    };
    let class = match address {
        IpAddr::V4(a) => Some(ClassInfo::of(a)),
        IpAddr::V6(_) => None,
    };
    let classful_network = match (&network, &class) {
        (None, Some(c)) => c.default_prefix.and_then(|p| Network::new(address, p).ok()),
        _ => None,
    };
    let split = network.as_ref().or(classful_network.as_ref()).map(|n| n.prefix_len).unwrap_or(family.bits());
    let mapped_ipv4 = match address {
        IpAddr::V6(a) => a.to_ipv4_mapped(),
        IpAddr::V4(_) => None,
    };
    Ok(Inspection {
        address,
        family,
        notation,
        class,
        kinds: kinds(address),
        mapped_ipv4,
        address_bits: Bits::new(address, split),
        network,
        classful_network,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Inspection {
        match inspect(s) {
            Ok(i) => i,
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    fn err(s: &str) -> AddrError {
        match inspect(s) {
            Ok(i) => panic!("{s:?} unexpectedly accepted: {i:?}"),
            Err(e) => e,
        }
    }

    fn v4(s: &str) -> IpAddr {
        IpAddr::V4(s.parse().unwrap())
    }

    fn v6(s: &str) -> IpAddr {
        IpAddr::V6(s.parse().unwrap())
    }

    #[test]
    fn tutorial_example_192_168_1_1_with_mask() {
        // The tutorial: 192.168.1.1 with mask 255.255.255.0 → 24 network bits, 8 host bits,
        // 256 addresses of which 256 − 2 = 254 usable, .0 is the network, .255 the broadcast.
        for input in ["192.168.1.1/255.255.255.0", "192.168.1.1 255.255.255.0", "  192.168.1.1/24 \n"] {
            let i = ok(input);
            let n = i.network.as_ref().unwrap();
            assert_eq!(n.prefix_len, 24);
            assert_eq!(n.host_bits, 8);
            assert_eq!(n.network, v4("192.168.1.0"));
            assert_eq!(n.broadcast, Some("192.168.1.255".parse().unwrap()));
            assert_eq!(n.first_host, v4("192.168.1.1"));
            assert_eq!(n.last_host, v4("192.168.1.254"));
            assert_eq!(n.addresses, Some(256));
            assert_eq!(n.usable_hosts, Some(254));
            assert_eq!(n.netmask, v4("255.255.255.0"));
            assert_eq!(n.hostmask, v4("0.0.0.255"));
            assert_eq!(n.cidr, "192.168.1.0/24");
            assert_eq!(n.netmask_bits.text, "11111111.11111111.11111111.00000000");
            assert_eq!(n.netmask_bits.network_part(), "11111111.11111111.11111111.");
            assert_eq!(n.netmask_bits.host_part(), "00000000");
            assert_eq!(n.address_bits.text, "11000000.10101000.00000001.00000001");
            assert_eq!(n.address_bits.host_start, 27);
            assert!(!n.is_network_address && !n.is_broadcast_address && n.is_usable_host);
            assert_eq!(i.kinds, vec![AddrKind::Private]);
            assert_eq!(i.class.as_ref().unwrap().class, AddrClass::C);
            assert!(i.classful_network.is_none());
        }
        assert_eq!(ok("192.168.1.1/255.255.255.0").notation, Notation::Mask);
        assert_eq!(ok("192.168.1.1/24").notation, Notation::Prefix);
        assert_eq!(ok("192.168.1.1 24").notation, Notation::Prefix);
        assert_eq!(ok("192.168.1.1").notation, Notation::Bare);
    }

    #[test]
    fn network_and_broadcast_address_themselves() {
        let n = ok("192.168.1.0/24").network.unwrap();
        assert!(n.is_network_address && !n.is_broadcast_address && !n.is_usable_host);
        let n = ok("192.168.1.255/24").network.unwrap();
        assert!(!n.is_network_address && n.is_broadcast_address && !n.is_usable_host);
        // The tutorial's "university with 1500 machines" mask.
        let n = ok("172.20.3.4 255.255.0.0").network.unwrap();
        assert_eq!(n.network, v4("172.20.0.0"));
        assert_eq!(n.usable_hosts, Some(65534));
    }

    #[test]
    fn loopback() {
        let i = ok("127.0.0.1");
        assert_eq!(i.kinds, vec![AddrKind::Loopback]);
        let c = i.class.unwrap();
        assert_eq!(c.class, AddrClass::A);
        assert!(!c.in_tutorial_range, "127 is outside the tutorial's class A range");
        assert_eq!(ok("127.255.255.255").kinds, vec![AddrKind::Loopback]);
        assert_eq!(ok("::1").kinds, vec![AddrKind::Loopback]);
        assert_eq!(ok("[::1]").address, v6("::1"));
    }

    #[test]
    fn classes_follow_the_tutorial() {
        let cases = [
            ("1.0.0.1", AddrClass::A, true),
            ("126.255.255.254", AddrClass::A, true),
            ("0.1.2.3", AddrClass::A, false),
            ("128.1.0.1", AddrClass::B, true),
            ("128.0.0.1", AddrClass::B, false),
            ("191.255.255.254", AddrClass::B, true),
            ("192.0.1.1", AddrClass::C, true),
            ("223.255.255.254", AddrClass::C, true),
            ("224.0.0.1", AddrClass::D, true),
            ("239.255.255.254", AddrClass::D, true),
            ("240.0.0.1", AddrClass::E, true),
            ("255.255.255.255", AddrClass::E, true),
        ];
        for (s, class, in_range) in cases {
            let c = ok(s).class.unwrap();
            assert_eq!((c.class, c.in_tutorial_range), (class, in_range), "{s}");
            assert!(c.superseded_by_cidr);
        }
        // First bits 0 / 10 / 110 / 1110 / 1111.
        for class in AddrClass::ALL {
            let (lo, hi) = class.first_octets();
            for first in [lo, hi] {
                let bits = format!("{first:08b}");
                assert!(bits.starts_with(class.leading_bits()), "{class:?} {bits}");
                assert_eq!(AddrClass::of(Ipv4Addr::new(first, 0, 0, 0)), class);
            }
        }
        // Networks and hosts per network, as the tutorial counts them (its "1677214" for class A
        // is a typo for 16777214 = 2^24 − 2).
        assert_eq!(AddrClass::A.network_count(), Some(126));
        assert_eq!(AddrClass::B.network_count(), Some(16384));
        assert_eq!(AddrClass::C.network_count(), Some(2_097_152));
        assert_eq!(AddrClass::A.hosts_per_network(), Some(16_777_214));
        assert_eq!(AddrClass::B.hosts_per_network(), Some(65534));
        assert_eq!(AddrClass::C.hosts_per_network(), Some(254));
        assert_eq!(AddrClass::D.hosts_per_network(), None);
    }

    #[test]
    fn classful_network_for_bare_ipv4() {
        let i = ok("10.1.2.3");
        let n = i.classful_network.unwrap();
        assert_eq!((n.network, n.prefix_len), (v4("10.0.0.0"), 8));
        assert_eq!(n.usable_hosts, Some(16_777_214));
        assert_eq!(i.address_bits.host_start, 9);
        assert!(i.network.is_none());
        let n = ok("172.16.5.4").classful_network.unwrap();
        assert_eq!((n.network, n.prefix_len), (v4("172.16.0.0"), 16));
        let n = ok("192.168.14.60").classful_network.unwrap();
        assert_eq!((n.network, n.broadcast), (v4("192.168.14.0"), Some("192.168.14.255".parse().unwrap())));
        let i = ok("224.0.0.251");
        assert!(i.classful_network.is_none());
        assert_eq!(i.address_bits.host_start, i.address_bits.text.len());
        assert!(ok("::1").classful_network.is_none());
        assert!(ok("10.1.2.3/16").classful_network.is_none());
    }

    #[test]
    fn private_ranges() {
        for s in ["10.0.0.0", "10.255.255.255", "172.16.0.0", "172.20.1.1", "172.31.255.255", "192.168.0.0"] {
            assert_eq!(ok(s).kinds, vec![AddrKind::Private], "{s}");
        }
        for s in ["172.15.255.255", "172.32.0.0", "11.0.0.1", "192.169.0.1", "8.8.8.8"] {
            assert_eq!(ok(s).kinds, vec![AddrKind::Global], "{s}");
        }
    }

    #[test]
    fn special_kinds() {
        let cases: [(&str, &[AddrKind]); 20] = [
            ("169.254.1.2", &[AddrKind::LinkLocal]),
            ("224.0.0.1", &[AddrKind::Multicast]),
            ("239.255.255.250", &[AddrKind::Multicast]),
            ("255.255.255.255", &[AddrKind::LimitedBroadcast]),
            ("0.0.0.0", &[AddrKind::Unspecified]),
            ("0.1.2.3", &[AddrKind::ThisNetwork]),
            ("192.0.2.10", &[AddrKind::Documentation]),
            ("198.51.100.1", &[AddrKind::Documentation]),
            ("203.0.113.99", &[AddrKind::Documentation]),
            ("100.64.0.1", &[AddrKind::SharedCgnat]),
            ("100.127.255.255", &[AddrKind::SharedCgnat]),
            ("198.18.0.1", &[AddrKind::Benchmarking]),
            ("240.0.0.1", &[AddrKind::Reserved]),
            ("::", &[AddrKind::Unspecified]),
            ("fe80::1", &[AddrKind::LinkLocal]),
            ("ff02::1", &[AddrKind::Multicast]),
            ("fd12:3456::1", &[AddrKind::UniqueLocal]),
            ("2001:db8::1", &[AddrKind::Documentation]),
            ("2606:4700::1111", &[AddrKind::Global]),
            ("::ffff:192.168.1.1", &[AddrKind::Ipv4Mapped]),
        ];
        for (s, kinds) in cases {
            assert_eq!(ok(s).kinds, kinds, "{s}");
        }
        assert_eq!(ok("::ffff:192.168.1.1").mapped_ipv4, Some(Ipv4Addr::new(192, 168, 1, 1)));
        assert_eq!(ok("100::1").kinds, vec![AddrKind::Reserved]);
        for kind in [AddrKind::Private, AddrKind::Global, AddrKind::SharedCgnat] {
            assert!(!kind.name().is_empty());
        }
        // Every listed block parses.
        let all = [
            AddrKind::Private,
            AddrKind::Loopback,
            AddrKind::LinkLocal,
            AddrKind::Multicast,
            AddrKind::LimitedBroadcast,
            AddrKind::Unspecified,
            AddrKind::ThisNetwork,
            AddrKind::Documentation,
            AddrKind::SharedCgnat,
            AddrKind::Benchmarking,
            AddrKind::Reserved,
            AddrKind::UniqueLocal,
            AddrKind::Ipv4Mapped,
        ];
        for kind in all {
            for block in kind.blocks() {
                let net: IpNet = block.parse().unwrap();
                assert!(kinds(net.network()).contains(&kind) || kind == AddrKind::ThisNetwork, "{block}");
            }
        }
    }

    #[test]
    fn slash_31_32_and_0() {
        let n = ok("10.0.0.0/31").network.unwrap();
        assert_eq!(n.usable_hosts, Some(2));
        assert_eq!(n.addresses, Some(2));
        assert_eq!(n.broadcast, None);
        assert_eq!((n.first_host, n.last_host), (v4("10.0.0.0"), v4("10.0.0.1")));
        assert!(n.is_network_address && n.is_usable_host && !n.is_broadcast_address);

        let n = ok("10.0.0.7/32").network.unwrap();
        assert_eq!(n.usable_hosts, Some(1));
        assert_eq!(n.broadcast, None);
        assert_eq!((n.first_host, n.last_host), (v4("10.0.0.7"), v4("10.0.0.7")));
        assert_eq!(n.netmask_bits.host_start, n.netmask_bits.text.len());

        let n = ok("10.0.0.4/30").network.unwrap();
        assert_eq!(n.usable_hosts, Some(2));
        assert_eq!(n.broadcast, Some("10.0.0.7".parse().unwrap()));

        let n = ok("1.2.3.4/0").network.unwrap();
        assert_eq!(n.addresses, Some(1 << 32));
        assert_eq!(n.usable_hosts, Some((1 << 32) - 2));
        assert_eq!(n.network, v4("0.0.0.0"));
        assert_eq!(n.broadcast, Some(Ipv4Addr::BROADCAST));
        assert_eq!(n.netmask, v4("0.0.0.0"));
        assert_eq!(n.netmask_bits.host_start, 0);
        assert_eq!(ok("1.2.3.4 0.0.0.0").network.unwrap().prefix_len, 0);
        assert_eq!(ok("1.2.3.4/255.255.255.255").network.unwrap().prefix_len, 32);
    }

    #[test]
    fn ipv6_networks() {
        let i = ok("::1");
        assert_eq!(i.family, Family::V6);
        assert!(i.class.is_none() && i.network.is_none());
        assert_eq!(i.address_bits.text.len(), 128 + 7);

        let i = ok("fe80::1/64");
        assert_eq!(i.kinds, vec![AddrKind::LinkLocal]);
        let n = i.network.unwrap();
        assert_eq!(n.network, v6("fe80::"));
        assert_eq!(n.broadcast, None);
        assert_eq!(n.addresses, Some(1 << 64));
        assert_eq!(n.usable_hosts, Some(1 << 64));
        assert_eq!(n.first_host, v6("fe80::"));
        assert_eq!(n.last_host, v6("fe80::ffff:ffff:ffff:ffff"));
        assert_eq!(n.netmask, v6("ffff:ffff:ffff:ffff::"));
        assert_eq!(n.address_bits.host_start, 64 + 4);
        assert!(n.is_usable_host && !n.is_network_address);

        let i = ok("2001:db8::/32");
        assert_eq!(i.kinds, vec![AddrKind::Documentation]);
        let n = i.network.unwrap();
        assert_eq!(n.cidr, "2001:db8::/32");
        assert_eq!(n.addresses, Some(1 << 96));
        assert!(n.is_network_address);

        let n = ok("::/0").network.unwrap();
        assert_eq!((n.addresses, n.usable_hosts, n.host_bits), (None, None, 128));
        let n = ok("::1/128").network.unwrap();
        assert_eq!(n.usable_hosts, Some(1));
        assert_eq!(ok("fe80::1/ffff:ffff:ffff:ffff::").network.unwrap().prefix_len, 64);
    }

    #[test]
    fn precise_errors() {
        assert_eq!(err(""), AddrError::Empty);
        assert_eq!(err("   \t"), AddrError::Empty);
        assert_eq!(err("/24"), AddrError::Empty);
        let e = err("192.168.1.256");
        assert_eq!(e, AddrError::OctetTooLarge { part: InputPart::Address, index: 3, text: "256".into() });
        assert_eq!(e.to_string(), "octet 256 is larger than 255");
        let e = err("10.0.0.1/33");
        assert_eq!(e, AddrError::PrefixTooLong { prefix: "33".into(), max: 32 });
        assert_eq!(e.to_string(), "prefix 33 is longer than 32");
        assert_eq!(err("::1/129").to_string(), "prefix 129 is longer than 128");
        assert_eq!(err("10.0.0.1/99999999999999").to_string(), "prefix 99999999999999 is longer than 32");
        let e = err("10.0.0.1 255.0.255.0");
        assert_eq!(e, AddrError::MaskNotContiguous { mask: v4("255.0.255.0") });
        assert_eq!(e.to_string(), "255.0.255.0 is not a valid mask: the 1-bits must be contiguous");
        let e = err("192.168.1");
        assert_eq!(e, AddrError::WrongOctetCount { part: InputPart::Address, found: 3 });
        assert!(e.to_string().starts_with("expected 4 numbers separated by dots"));
        assert_eq!(err("1.2.3.4.5"), AddrError::WrongOctetCount { part: InputPart::Address, found: 5 });
        assert_eq!(err("1..3.4"), AddrError::EmptyOctet { part: InputPart::Address, index: 1 });
        assert!(matches!(err("1.2.x.4"), AddrError::InvalidOctet { index: 2, .. }));
        assert!(matches!(err("1.2.3.-4"), AddrError::InvalidOctet { index: 3, .. }));
        assert!(matches!(err("010.0.0.1"), AddrError::LeadingZero { index: 0, .. }));
        assert!(matches!(err("1.2.3.4/"), AddrError::EmptyPrefix));
        assert!(matches!(err("1.2.3.4/abc"), AddrError::InvalidPrefix { .. }));
        assert!(matches!(err("1.2.3.4/-1"), AddrError::InvalidPrefix { .. }));
        assert!(matches!(err("1.2.3.4/24/8"), AddrError::InvalidPrefix { .. }));
        assert!(matches!(err("1.2.3.4 24 extra"), AddrError::TrailingInput { .. }));
        assert!(matches!(err("1.2.3.4/24 extra"), AddrError::TrailingInput { .. }));
        let e = err("10.0.0.1 255.255.256.0");
        assert_eq!(e, AddrError::OctetTooLarge { part: InputPart::Mask, index: 2, text: "256".into() });
        assert_eq!(e.to_string(), "mask octet 256 is larger than 255");
        assert!(matches!(err("::1 255.255.255.0"), AddrError::MaskFamilyMismatch { .. }));
        assert!(matches!(err("1.2.3.4/ffff::"), AddrError::MaskFamilyMismatch { .. }));
        assert!(matches!(err("fe80::1::2"), AddrError::InvalidIpv6 { part: InputPart::Address, .. }));
        assert!(matches!(err("::1/ffff::1"), AddrError::MaskNotContiguous { .. }));
        assert!(matches!(err("hello"), AddrError::WrongOctetCount { found: 1, .. }));
        // Long garbage is quoted only in part.
        let long = "x".repeat(1000);
        match err(&format!("1.2.3.{long}")) {
            AddrError::InvalidOctet { text, .. } => assert!(text.chars().count() <= 41),
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn serializes() {
        let json = serde_json::to_value(ok("192.168.1.1/24")).unwrap();
        assert_eq!(json["network"]["network"], "192.168.1.0");
        assert_eq!(json["network"]["usable_hosts"], 254);
        assert_eq!(json["kinds"][0], "private");
        assert_eq!(json["class"]["class"], "C");
        // Counts above u64 are u128 numbers: `serde_json::to_string` writes them exactly
        // (`to_value` cannot hold them).
        let json = serde_json::to_string(&ok("2001:db8::/32")).unwrap();
        assert!(json.contains(&format!("\"addresses\":{}", 1u128 << 96)), "{json}");
        let json = serde_json::to_value(err("1.2.3.256")).unwrap();
        assert_eq!(json["octet_too_large"]["text"], "256");
    }

    proptest::proptest! {
        #[test]
        fn inspect_never_panics(s in "\\PC*") {
            let _ = inspect(&s);
        }

        #[test]
        fn inspect_never_panics_on_address_like_input(s in "[0-9a-fA-F.:/\\[\\] ]{0,48}") {
            if let Ok(i) = inspect(&s) {
                proptest::prop_assert!(!i.kinds.is_empty());
            }
        }

        #[test]
        fn ipv4_prefixes_are_consistent(a in proptest::prelude::any::<u32>(), p in 0u8..=32) {
            let i = inspect(&format!("{}/{p}", Ipv4Addr::from(a))).unwrap();
            let n = i.network.unwrap();
            proptest::prop_assert_eq!(n.addresses, Some(1u128 << (32 - p)));
            proptest::prop_assert!(n.contains(n.first_host) && n.contains(n.last_host));
            proptest::prop_assert!(n.contains(i.address));
            let with_mask = inspect(&format!("{} {}", Ipv4Addr::from(a), n.netmask)).unwrap();
            proptest::prop_assert_eq!(with_mask.network.unwrap().prefix_len, p);
        }
    }
}
