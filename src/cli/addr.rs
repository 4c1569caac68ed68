//! `socklab addr` (what an address or network is) and `socklab ports` (this machine's sockets):
//! the two subcommands that look things up instead of moving traffic.

use std::io::Write;

use super::{AddrArgs, Failure, PortsArgs};

pub(super) fn run_addr(a: AddrArgs) -> Result<(), Failure> {
    use crate::basics::addr;
    let input = a.input.join(" ");
    let words = |e| crate::i18n::addr_error(crate::i18n::Lang::En, &e);
    let i = addr::inspect(&input).map_err(|e| Failure::Usage(format!("{input}: {}", words(e))))?;
    let mut out = std::io::stdout().lock();
    if a.json {
        // to_string (not to_value) keeps IPv6 address counts above 2^64 exact.
        let _ = writeln!(out, "{}", serde_json::to_string(&i).unwrap_or_default());
        return Ok(());
    }
    let mut lines: Vec<(&str, String)> = vec![("address", format!("{} ({})", i.address, i.family.name()))];
    if let Some(c) = &i.class {
        let mut s = format!("{} (first bits {})", c.class.name(), c.leading_bits);
        if let Some(p) = c.default_prefix {
            s.push_str(&format!(", classful prefix /{p}"));
        }
        s.push_str("; classes are history: since CIDR (1993) the prefix decides the network");
        lines.push(("class", s));
    }
    lines.push(("kind", i.kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")));
    if let Some(m) = i.mapped_ipv4 {
        lines.push(("ipv4 inside", m.to_string()));
    }
    let (net, label) = match (&i.network, &i.classful_network) {
        (Some(n), _) => (Some(n), "network"),
        (None, Some(n)) => (Some(n), "classful net"),
        _ => (None, ""),
    };
    lines.push(("bits", mark_bits(&i.address_bits)));
    if let Some(n) = net {
        lines.push((label, n.cidr.clone()));
        lines.push(("mask", format!("{} = /{}", n.netmask, n.prefix_len)));
        lines.push(("mask bits", mark_bits(&n.netmask_bits)));
        lines.push(("network addr", n.network.to_string()));
        if let Some(b) = n.broadcast {
            lines.push(("broadcast", b.to_string()));
        }
        lines.push(("hosts", format!("{} - {}", n.first_host, n.last_host)));
        let count = |c: Option<u128>| c.map(|c| c.to_string()).unwrap_or_else(|| "2^128".into());
        lines.push(("host count", format!("{} usable of {} addresses", count(n.usable_hosts), count(n.addresses))));
        if n.is_network_address {
            lines.push(("note", "this is the network address itself (host bits all 0)".into()));
        }
        if n.is_broadcast_address {
            lines.push(("note", "this is the broadcast address (host bits all 1)".into()));
        }
    }
    for (k, v) in lines {
        let _ = writeln!(out, "{k:<13} {v}");
    }
    Ok(())
}

/// Binary with a `|` between network and host bits.
fn mark_bits(b: &crate::basics::addr::Bits) -> String {
    let (net, host) = b.text.split_at(b.host_start.min(b.text.len()));
    if host.is_empty() { net.to_string() } else { format!("{net}|{host}") }
}

pub(super) fn run_ports(a: PortsArgs) -> Result<(), Failure> {
    use crate::basics::sockets::{self, TcpState};
    let mut list = sockets::list().map_err(|e| Failure::Usage(format!("cannot list sockets here: {e}")))?;
    list.retain(|s| {
        (!a.listening || matches!(s.state, TcpState::Listen | TcpState::Unconnected))
            && a.port.is_none_or(|p| s.local.port() == p || s.remote.port() == p)
    });
    list.sort_by_key(|s| (s.proto.name(), s.local.port(), s.remote));
    let mut out = std::io::stdout().lock();
    if !a.json {
        let _ = writeln!(out, "{:<5} {:<46} {:<46} {:<12} PROCESS", "PROTO", "LOCAL", "REMOTE", "STATE");
    }
    for s in &list {
        let line = if a.json {
            serde_json::to_string(s).unwrap_or_default()
        } else {
            let who = match (s.pid, &s.command) {
                (Some(p), Some(c)) => format!("{p}/{c}"),
                (Some(p), None) => p.to_string(),
                _ => "-".into(),
            };
            format!("{:<5} {:<46} {:<46} {:<12} {who}", s.proto.name(), s.local, s.remote, s.state.name())
        };
        let _ = writeln!(out, "{line}");
    }
    Ok(())
}
