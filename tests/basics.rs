//! The basics modules against the real machine: our own sockets must show up in the socket
//! listing with the right states, ports and owner.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use socklab::basics::addr::{self, AddrKind};
use socklab::basics::ports;
use socklab::basics::sockets::{self, Proto, SocketEntry, TcpState};

/// The listing, or `None` (after saying why) where the platform has none.
fn listing() -> Option<Vec<SocketEntry>> {
    match sockets::list() {
        Ok(v) => Some(v),
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
            eprintln!("skipped: no socket listing on this platform ({e})");
            None
        }
        Err(e) => panic!("sockets::list failed: {e}"),
    }
}

fn find(entries: &[SocketEntry], proto: Proto, local: SocketAddr, remote: Option<SocketAddr>) -> Option<&SocketEntry> {
    entries.iter().find(|e| e.proto == proto && e.local == local && remote.is_none_or(|r| e.remote == r))
}

#[test]
fn own_listener_and_udp_socket_are_listed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp_addr = listener.local_addr().unwrap();
    let udp = match UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)) {
        Ok(s) => Some(s),
        Err(e) => {
            eprintln!("skipped: the UDP [::1] part: no IPv6 loopback ({e})");
            None
        }
    };
    let Some(entries) = listing() else { return };
    let me = std::process::id();

    let l = find(&entries, Proto::Tcp, tcp_addr, None).unwrap_or_else(|| panic!("{tcp_addr} not listed"));
    assert_eq!(l.state, TcpState::Listen);
    assert_eq!(l.remote.port(), 0);
    assert_eq!(l.pid, Some(me));
    assert!(l.own && l.is_own());
    assert_ne!(l.inode, 0);

    if let Some(udp) = udp {
        let udp_addr = udp.local_addr().unwrap();
        let u = find(&entries, Proto::Udp, udp_addr, None).unwrap_or_else(|| panic!("{udp_addr} not listed"));
        assert_eq!(u.state, TcpState::Unconnected);
        assert_eq!(u.local.ip(), IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(u.pid, Some(me));
        assert!(u.own);
        // The port the OS picked for us is one of its ephemeral ports.
        assert!(ports::classify(udp_addr.port()).in_ephemeral_range, "{udp_addr}");
    }
}

#[test]
fn established_pair_then_time_wait() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server_addr = listener.local_addr().unwrap();
    let mut client = TcpStream::connect(server_addr).unwrap();
    let (mut server, _) = listener.accept().unwrap();
    let client_addr = client.local_addr().unwrap();
    client.write_all(b"hello").unwrap();
    let mut buf = [0u8; 5];
    server.read_exact(&mut buf).unwrap();

    let Some(entries) = listing() else { return };
    let me = std::process::id();
    let c = find(&entries, Proto::Tcp, client_addr, Some(server_addr)).expect("client side listed");
    let s = find(&entries, Proto::Tcp, server_addr, Some(client_addr)).expect("server side listed");
    for e in [c, s] {
        assert_eq!(e.state, TcpState::Established, "{e:?}");
        assert_eq!(e.pid, Some(me));
        assert!(e.own);
    }
    let l = find(&entries, Proto::Tcp, server_addr, Some("0.0.0.0:0".parse().unwrap())).expect("listener listed");
    assert_eq!(l.state, TcpState::Listen);

    // The client closes first, so its side goes through FIN_WAIT and ends in TIME_WAIT once the
    // server has closed too.
    drop(client);
    let n = server.read(&mut buf).unwrap();
    assert_eq!(n, 0, "the server sees the client's FIN as end of stream");
    drop(server);

    let deadline = Instant::now() + Duration::from_secs(2);
    let mut last = None;
    loop {
        let entries = sockets::read_tables().unwrap();
        if let Some(e) = find(&entries, Proto::Tcp, client_addr, Some(server_addr)) {
            if e.state == TcpState::TimeWait {
                assert_eq!(e.inode, 0, "no program holds a TIME_WAIT socket");
                return;
            }
            last = Some(e.state);
        }
        if Instant::now() >= deadline {
            eprintln!(
                "skipped: no TIME_WAIT seen for {client_addr} -> {server_addr} within 2 s (last state: {last:?}); \
                 the kernel may have recycled it"
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn public_api_shapes() {
    let i = addr::inspect(" 192.168.1.1 255.255.255.0 ").unwrap();
    let n = i.network.as_ref().unwrap();
    assert_eq!(n.usable_hosts, Some(254));
    assert_eq!(n.network.to_string(), "192.168.1.0");
    assert_eq!(n.broadcast.map(|b| b.to_string()).as_deref(), Some("192.168.1.255"));
    assert_eq!(i.kinds, vec![AddrKind::Private]);
    let e = addr::inspect("300.1.1.1").unwrap_err();
    assert_eq!(socklab::i18n::addr_error(socklab::i18n::Lang::En, &e), "octet 300 is larger than 255");

    let p = ports::classify(22);
    assert_eq!(p.service.map(|s| s.name), Some("ssh"));
    assert_eq!(p.class, ports::PortClass::WellKnown);

    let json = serde_json::to_string(&i).unwrap();
    assert!(json.contains("\"usable_hosts\":254"), "{json}");
}
