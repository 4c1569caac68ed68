//! Setting up a UDP socket: options, binding, multicast, SO_RCVBUF and connected mode.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use socket2::{Domain, Protocol, Socket, Type};

use super::{DEFAULT_SO_RCVBUF, IpAddr, Multicast, Op, Problem, UdpConfig};

/// Creates a non-blocking UDP socket with the given options and binds it.
pub(crate) fn bind_socket(
    addr: SocketAddr,
    reuse_addr: bool,
    broadcast: bool,
    multicast: Option<&Multicast>,
) -> Result<std::net::UdpSocket, Problem> {
    let opt = |e: io::Error| Problem::from_io(Op::Option, Some(addr), &e);
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP)).map_err(opt)?;
    if reuse_addr {
        s.set_reuse_address(true).map_err(opt)?;
    }
    if broadcast {
        s.set_broadcast(true).map_err(opt)?;
    }
    s.set_nonblocking(true).map_err(opt)?;
    crate::engine::dual_stack(&s, addr);
    s.bind(&addr.into()).map_err(|e| Problem::from_io(Op::Bind, Some(addr), &e))?;
    if let Some(m) = multicast {
        set_multicast(&s, addr, m)?;
    }
    Ok(s.into())
}

fn set_multicast(s: &Socket, addr: SocketAddr, m: &Multicast) -> Result<(), Problem> {
    let opt = |e: io::Error| Problem::from_io(Op::Option, Some(addr), &e);
    let iface = m.interface.unwrap_or(Ipv4Addr::UNSPECIFIED);
    if addr.is_ipv4() {
        if m.interface.is_some() {
            s.set_multicast_if_v4(&iface).map_err(opt)?;
        }
        s.set_multicast_ttl_v4(m.ttl).map_err(opt)?;
        s.set_multicast_loop_v4(m.loopback).map_err(opt)?;
    } else {
        if m.interface_index != 0 {
            s.set_multicast_if_v6(m.interface_index).map_err(opt)?;
        }
        s.set_multicast_hops_v6(m.ttl).map_err(opt)?;
        s.set_multicast_loop_v6(m.loopback).map_err(opt)?;
    }
    match m.join {
        Some(IpAddr::V4(g)) if g.is_multicast() => s.join_multicast_v4(&g, &iface).map_err(opt),
        Some(IpAddr::V6(g)) if g.is_multicast() => s.join_multicast_v6(&g, m.interface_index).map_err(opt),
        Some(g) => Err(Problem::NotMulticast(g)),
        None => Ok(()),
    }
}

/// SO_RCVBUF and connected mode, after binding.
pub(super) fn set_up(s: &std::net::UdpSocket, cfg: &UdpConfig) -> Result<Option<SocketAddr>, Problem> {
    if let Some(bytes) = cfg.so_rcvbuf {
        match socket2::SockRef::from(s).set_recv_buffer_size(bytes) {
            Ok(()) => {}
            // The default is a wish: a system that refuses that much (macOS above
            // kern.ipc.maxsockbuf) keeps its own size. A size the user chose must work.
            Err(_) if bytes == DEFAULT_SO_RCVBUF => {}
            Err(e) => return Err(Problem::from_io(Op::Option, s.local_addr().ok(), &e)),
        }
    }
    let Some(to) = &cfg.connect else { return Ok(None) };
    let peer = crate::engine::resolve(to)?;
    s.connect(peer).map_err(|e| Problem::from_io(Op::Connect, Some(peer), &e))?;
    Ok(Some(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The receive buffer a socket got, as Linux reports it (twice the request, capped).
    fn rcvbuf(cfg: &UdpConfig) -> usize {
        let s = bind_socket("127.0.0.1:0".parse().unwrap(), false, false, None).unwrap();
        set_up(&s, cfg).unwrap();
        socket2::SockRef::from(&s).recv_buffer_size().unwrap()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn asks_for_a_large_receive_buffer_unless_told_otherwise() {
        let sysctl = |name: &str| -> usize {
            std::fs::read_to_string(format!("/proc/sys/net/core/{name}")).unwrap().trim().parse().unwrap()
        };
        let (rmem_max, rmem_default) = (sysctl("rmem_max"), sysctl("rmem_default"));
        assert_eq!(rcvbuf(&UdpConfig::default()), 2 * DEFAULT_SO_RCVBUF.min(rmem_max), "capped, then doubled");
        assert_eq!(rcvbuf(&UdpConfig { so_rcvbuf: None, ..UdpConfig::default() }), rmem_default);
        assert_eq!(rcvbuf(&UdpConfig { so_rcvbuf: Some(8192), ..UdpConfig::default() }), 16384);
    }
}
