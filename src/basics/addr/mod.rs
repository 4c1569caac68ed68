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
//!
//! The parts: `classify` (classes and special-purpose ranges), `subnet` (networks and bits),
//! `parse` (strict parsing with precise errors); this module ties them together in [`inspect`].

mod classify;
mod parse;
mod subnet;

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

pub use classify::{AddrKind, ClassInfo, kinds};
#[cfg(any(test, feature = "test-support"))]
pub use classify::{AddrClass, ClassUsage};
pub use parse::{AddrError, InputPart};
#[cfg(any(test, feature = "test-support"))]
pub use parse::parse_ipv4;
use parse::{clip, parse_addr, parse_suffix};
pub use subnet::{Bits, Network};

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
    use ipnet::IpNet;

    use super::*;

    fn ok(s: &str) -> Inspection {
        match inspect(s) {
            Ok(i) => i,
            Err(e) => panic!("{s:?}: {e:?}"),
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
        let e = err("10.0.0.1/33");
        assert_eq!(e, AddrError::PrefixTooLong { prefix: "33".into(), max: 32 });
        assert_eq!(err("::1/129"), AddrError::PrefixTooLong { prefix: "129".into(), max: 128 });
        let e = err("10.0.0.1/99999999999999");
        assert_eq!(e, AddrError::PrefixTooLong { prefix: "99999999999999".into(), max: 32 });
        let e = err("10.0.0.1 255.0.255.0");
        assert_eq!(e, AddrError::MaskNotContiguous { mask: v4("255.0.255.0") });
        let e = err("192.168.1");
        assert_eq!(e, AddrError::WrongOctetCount { part: InputPart::Address, found: 3 });
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
