//! A subnet worked out from an address and a prefix length: network and broadcast addresses,
//! host counts, and the bits of an address with where the network part ends.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;
use serde::Serialize;

use super::{AddrError, Family};

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

    #[cfg(any(test, feature = "test-support"))]
    /// The network-bit part of `text` (with separators).
    pub fn network_part(&self) -> &str {
        self.text.get(..self.host_start).unwrap_or(&self.text)
    }

    #[cfg(any(test, feature = "test-support"))]
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

    #[cfg(any(test, feature = "test-support"))]
    /// The network as an [`IpNet`] (with host bits cleared).
    pub fn ipnet(&self) -> IpNet {
        // prefix_len came from a valid IpNet of the same family, so this cannot fail; fall back to
        // the single address rather than panic.
        IpNet::new(self.network, self.prefix_len).unwrap_or_else(|_| IpNet::from(self.network))
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Whether `other` is inside this network.
    pub fn contains(&self, other: IpAddr) -> bool {
        self.ipnet().contains(&other)
    }
}
