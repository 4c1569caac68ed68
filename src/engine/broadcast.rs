//! UDP broadcast: a receiver bound to `0.0.0.0:PORT` with SO_REUSEADDR (so several receivers on
//! one machine each get a copy) and a sender with SO_BROADCAST. Both are UDP workers.

use std::net::Ipv4Addr;

use super::udp::UdpConfig;
use crate::codec::Encoding;

/// The safe, local broadcast address: reaches receivers on this machine only.
pub const LOOPBACK_BROADCAST: Ipv4Addr = Ipv4Addr::new(127, 255, 255, 255);

/// A receiver for broadcasts to `port`.
pub fn receiver_config(port: u16, encoding: Encoding) -> UdpConfig {
    UdpConfig {
        bind: format!("0.0.0.0:{port}"),
        reuse_addr: true,
        broadcast: true,
        encoding,
        thread_name: format!("bcast-rx-{port}"),
        ..UdpConfig::default()
    }
}

/// A sender: any local port, SO_BROADCAST on.
pub fn sender_config(encoding: Encoding) -> UdpConfig {
    UdpConfig {
        bind: "0.0.0.0:0".into(),
        reuse_addr: false,
        broadcast: true,
        encoding,
        thread_name: "bcast-tx".into(),
        ..UdpConfig::default()
    }
}

/// A broadcast address the user can pick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BroadcastTarget {
    /// Interface name, e.g. `lo` or `eth0`.
    pub interface: String,
    /// The interface's IPv4 address and prefix, for display (`10.0.0.5/24`).
    pub network: String,
    pub broadcast: Ipv4Addr,
}

/// The loopback broadcast first (always offered), then each interface's broadcast address.
pub fn targets() -> Vec<BroadcastTarget> {
    let mut out =
        vec![BroadcastTarget { interface: "lo".into(), network: "127.0.0.1/8".into(), broadcast: LOOPBACK_BROADCAST }];
    if let Ok(ifaces) = if_addrs::get_if_addrs() {
        for iface in ifaces {
            if let if_addrs::IfAddr::V4(v4) = &iface.addr
                && let Some(b) = v4.broadcast
                && b != LOOPBACK_BROADCAST
                && !out.iter().any(|t| t.broadcast == b)
            {
                out.push(BroadcastTarget {
                    interface: iface.name.clone(),
                    network: format!("{}/{}", v4.ip, v4.prefixlen),
                    broadcast: b,
                });
            }
        }
    }
    out
}
