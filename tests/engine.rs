//! Engine integration tests over loopback: every worker, real sockets, bounded in time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::time::Duration;

use common::{Events, is_error};
use socklab::codec::Encoding;
use socklab::engine::tcp_client::TcpClientConfig;
use socklab::engine::tcp_server::TcpServerConfig;
use socklab::engine::udp::UdpConfig;
use socklab::engine::{self, CloseReason, Command, EventKind, Problem, ReplyMode};

fn udp_worker(reply: ReplyMode) -> (engine::WorkerHandle, Events, SocketAddr) {
    let (sink, mut ev) = Events::new();
    let cfg = UdpConfig { bind: "127.0.0.1:0".into(), reply, ..UdpConfig::default() };
    let h = engine::udp::spawn(cfg, sink).unwrap();
    let addr = ev.listening();
    (h, ev, addr)
}

fn server(reply: ReplyMode) -> (engine::WorkerHandle, Events, SocketAddr) {
    let (sink, mut ev) = Events::new();
    let cfg = TcpServerConfig { bind: "127.0.0.1:0".into(), reply, ..TcpServerConfig::default() };
    let h = engine::tcp_server::spawn(cfg, sink).unwrap();
    let addr = ev.listening();
    (h, ev, addr)
}

fn stop(mut h: engine::WorkerHandle, ev: &mut Events) {
    h.request_stop();
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    h.join();
}

#[test]
fn udp_two_workers_talk_and_port_zero_is_reported() {
    let (a, mut ea, addr_a) = udp_worker(ReplyMode::None);
    let (b, mut eb, addr_b) = udp_worker(ReplyMode::Upper);
    assert_ne!(addr_a.port(), 0, "the OS-chosen port is reported");
    a.send(Command::SendTo { to: addr_b.to_string(), data: "hi 你好".as_bytes().to_vec() }).unwrap();
    let got = eb.wait_for("rx at b", |e| matches!(e.kind, EventKind::Rx { .. }));
    assert_eq!(got.peer, Some(addr_a));
    let back = ea.wait_for("reply at a", |e| matches!(e.kind, EventKind::Rx { .. }));
    assert_eq!(back.kind, EventKind::Rx { data: "HI 你好".as_bytes().to_vec(), lost: 0 });
    assert_eq!(back.peer, Some(addr_b));
    stop(a, &mut ea);
    stop(b, &mut eb);
}

#[test]
fn udp_datagram_larger_than_buffer_is_reported_truncated() {
    let (sink, mut ev) = Events::new();
    let cfg = UdpConfig { bind: "127.0.0.1:0".into(), recv_buffer: 1024, ..UdpConfig::default() };
    let h = engine::udp::spawn(cfg, sink).unwrap();
    let addr = ev.listening();
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.send_to(&[b'x'; 1500], addr).unwrap();
    let got = ev.wait_for("rx", |e| matches!(e.kind, EventKind::Rx { .. }));
    match got.kind {
        EventKind::Rx { data, lost } => {
            assert_eq!(data.len(), 1024);
            assert_eq!(lost, 476);
        }
        _ => unreachable!(),
    }
    stop(h, &mut ev);
}

#[test]
fn udp_bad_destination_and_too_big_keep_worker_alive() {
    let (a, mut ea, _) = udp_worker(ReplyMode::None);
    a.send(Command::SendTo { to: "127.0.0.1".into(), data: b"x".to_vec() }).unwrap();
    ea.wait_for("missing port", |e| e.kind == EventKind::Error(Problem::MissingPort("127.0.0.1".into())));
    a.send(Command::SendTo { to: "127.0.0.1:9".into(), data: vec![0; 70_000] }).unwrap();
    ea.wait_for("too big", |e| e.kind == EventKind::Error(Problem::TooBig { len: 70_000, max: 65_507, ipv6: false }));
    // Still alive: a normal datagram goes out.
    let r = UdpSocket::bind("127.0.0.1:0").unwrap();
    a.send(Command::SendTo { to: r.local_addr().unwrap().to_string(), data: b"ok".to_vec() }).unwrap();
    r.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 16];
    let (n, _) = r.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"ok");
    stop(a, &mut ea);
}

#[test]
fn udp_port_in_use_is_explained() {
    let taken = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let (sink, mut ev) = Events::new();
    let h = engine::udp::spawn(UdpConfig { bind: addr.to_string(), ..UdpConfig::default() }, sink).unwrap();
    ev.wait_for("addr in use", |e| e.kind == EventKind::Error(Problem::AddrInUse(addr)));
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    drop(h);
    let text = socklab::i18n::problem(socklab::i18n::Lang::En, &Problem::AddrInUse(addr));
    assert!(text.contains(&format!("Port {} is already in use by another program", addr.port())), "{text}");
}

#[test]
fn tcp_server_many_clients_echo_and_close() {
    let (h, mut ev, addr) = server(ReplyMode::Echo);
    const N: usize = 50;
    let mut clients: Vec<TcpStream> = (0..N).map(|_| TcpStream::connect(addr).unwrap()).collect();
    for (i, c) in clients.iter_mut().enumerate() {
        c.write_all(format!("client {i}").as_bytes()).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let want = format!("client {i}");
        let mut got = vec![0u8; want.len()];
        c.read_exact(&mut got).unwrap();
        assert_eq!(got, want.as_bytes());
    }
    drop(clients);
    // Every client closes: recv of 0 bytes on the server side.
    let deadline = std::time::Instant::now() + common::LIMIT;
    loop {
        let closed = ev.seen.iter().filter(|e| e.kind == EventKind::Closed { reason: CloseReason::PeerClosed }).count();
        if closed == N {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "only {closed} closes seen");
        ev.settle(Duration::from_millis(50));
    }
    let connects = ev.seen.iter().filter(|e| matches!(e.kind, EventKind::Connected { .. })).count();
    assert_eq!(connects, N);
    stop(h, &mut ev);
}

#[test]
fn tcp_server_send_to_one_and_all_and_disconnect() {
    let (h, mut ev, addr) = server(ReplyMode::None);
    let mut a = TcpStream::connect(addr).unwrap();
    let mut b = TcpStream::connect(addr).unwrap();
    for s in [&a, &b] {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    }
    ev.wait_for("2 connects", |e| e.conn == Some(2) && matches!(e.kind, EventKind::Connected { .. }));
    h.send(Command::Send { conn: None, data: b"all".to_vec() }).unwrap();
    h.send(Command::Send { conn: Some(2), data: b"+b".to_vec() }).unwrap();
    let mut buf = [0u8; 3];
    a.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"all");
    let mut buf = [0u8; 5];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"all+b");
    h.send(Command::Disconnect { conn: Some(1) }).unwrap();
    let mut rest = Vec::new();
    assert_eq!(a.read_to_end(&mut rest).unwrap(), 0, "server closed client 1");
    h.send(Command::Send { conn: Some(1), data: b"x".to_vec() }).unwrap();
    ev.wait_for("no such connection", |e| e.kind == EventKind::Error(Problem::NoSuchConnection(1)));
    stop(h, &mut ev);
}

#[test]
fn tcp_server_hello_mode_like_the_tutorial() {
    let (h, mut ev, addr) = server(ReplyMode::Hello);
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 8];
    c.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"welcome!");
    c.write_all(b"Michael").unwrap();
    let mut buf = [0u8; 15];
    c.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hello, Michael!");
    c.write_all(b"exit").unwrap();
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    ev.wait_for("closed by us", |e| e.kind == EventKind::Closed { reason: CloseReason::LocalClose });
    stop(h, &mut ev);
}

#[test]
fn tcp_server_reports_reset() {
    let (h, mut ev, addr) = server(ReplyMode::None);
    let c = TcpStream::connect(addr).unwrap();
    ev.wait_for("connect", |e| matches!(e.kind, EventKind::Connected { .. }));
    // Linger 0 makes close() send RST.
    socket2::SockRef::from(&c).set_linger(Some(Duration::ZERO)).unwrap();
    drop(c);
    ev.wait_for("reset", |e| e.kind == EventKind::Closed { reason: CloseReason::Reset });
    stop(h, &mut ev);
}

#[test]
fn tcp_server_port_in_use() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let (sink, mut ev) = Events::new();
    let cfg = TcpServerConfig { bind: addr.to_string(), reuse_addr: true, ..TcpServerConfig::default() };
    let _h = engine::tcp_server::spawn(cfg, sink).unwrap();
    ev.wait_for("addr in use", |e| e.kind == EventKind::Error(Problem::AddrInUse(addr)));
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
}

#[test]
fn tcp_server_accept_limit_ends_after_last_client() {
    let (sink, mut ev) = Events::new();
    let cfg = TcpServerConfig { bind: "127.0.0.1:0".into(), accept_limit: Some(2), ..TcpServerConfig::default() };
    let mut h = engine::tcp_server::spawn(cfg, sink).unwrap();
    let addr = ev.listening();
    let a = TcpStream::connect(addr).unwrap();
    let b = TcpStream::connect(addr).unwrap();
    ev.wait_for("second", |e| e.conn == Some(2) && matches!(e.kind, EventKind::Connected { .. }));
    drop(a);
    drop(b);
    ev.wait_for("stopped by itself", |e| e.kind == EventKind::Stopped);
    h.join();
}

fn client(addr: &str) -> (engine::WorkerHandle, Events) {
    let (sink, ev) = Events::new();
    let cfg = TcpClientConfig { connect: addr.into(), timeout: Duration::from_secs(3), ..TcpClientConfig::default() };
    (engine::tcp_client::spawn(cfg, sink).unwrap(), ev)
}

#[test]
fn tcp_client_refused() {
    // Bind then drop: nothing listens on that port now.
    let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (h, mut ev) = client(&addr.to_string());
    ev.wait_for("refused", |e| e.kind == EventKind::Error(Problem::Refused(addr)));
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    drop(h);
    assert_eq!(
        socklab::i18n::problem(socklab::i18n::Lang::En, &Problem::Refused(addr)),
        format!("Connection refused: nothing is listening on {addr}.")
    );
}

#[test]
fn tcp_client_and_server_talk_half_close_and_peer_close() {
    let (srv, mut sev, addr) = server(ReplyMode::Upper);
    let (cli, mut cev) = client(&addr.to_string());
    cev.wait_for("connected", |e| matches!(e.kind, EventKind::Connected { .. }));
    cli.send(Command::Send { conn: None, data: b"abc".to_vec() }).unwrap();
    assert_eq!(cev.rx_bytes(3), b"ABC");
    // Half-close: the server sees EOF, finishes and closes; the client sees the close.
    cli.send(Command::ShutdownWrite { conn: None }).unwrap();
    cev.wait_for("half closed", |e| e.kind == EventKind::HalfClosed);
    sev.wait_for("server sees peer close", |e| e.kind == EventKind::Closed { reason: CloseReason::PeerClosed });
    cev.wait_for("client sees server close", |e| e.kind == EventKind::Closed { reason: CloseReason::PeerClosed });
    cev.wait_for("client worker ends", |e| e.kind == EventKind::Stopped);
    drop(cli);
    stop(srv, &mut sev);
}

#[test]
fn tcp_client_half_close_still_receives() {
    // A server that reads to EOF and only then answers: proves the client still receives.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        s.write_all(format!("got {} bytes", all.len()).as_bytes()).unwrap();
    });
    let (cli, mut cev) = client(&addr.to_string());
    cev.wait_for("connected", |e| matches!(e.kind, EventKind::Connected { .. }));
    cli.send(Command::Send { conn: None, data: b"12345".to_vec() }).unwrap();
    cli.send(Command::ShutdownWrite { conn: None }).unwrap();
    assert_eq!(cev.rx_bytes(11), b"got 5 bytes");
    cev.wait_for("closed by peer", |e| e.kind == EventKind::Closed { reason: CloseReason::PeerClosed });
    t.join().unwrap();
}

#[test]
fn tcp_client_bad_address_is_explained() {
    let (_h, mut ev) = client("127.0.0.1:99999");
    ev.wait_for("bad port", |e| e.kind == EventKind::Error(Problem::BadPort("99999".into())));
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
}

#[test]
fn tcp_gbk_text_survives() {
    let (srv, mut sev, addr) = server(ReplyMode::Echo);
    let (cli, mut cev) = client(&addr.to_string());
    cev.wait_for("connected", |e| matches!(e.kind, EventKind::Connected { .. }));
    let gbk = Encoding::Gbk.encode("你好,世界").unwrap();
    cli.send(Command::Send { conn: None, data: gbk.clone() }).unwrap();
    let back = cev.rx_bytes(gbk.len());
    assert_eq!(Encoding::Gbk.decode_lossy(&back), "你好,世界");
    drop(cli);
    stop(srv, &mut sev);
}

#[test]
fn gbk_upper_mode_is_pythons_bytes_upper_and_a_case_rule_reports_what_gbk_cannot_write() {
    let (sink, mut sev) = Events::new();
    let cfg = TcpServerConfig { reply: ReplyMode::Upper, encoding: Encoding::Gbk, ..TcpServerConfig::default() };
    let srv = engine::tcp_server::spawn(cfg, sink).unwrap();
    let addr = sev.listening();
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // "nǐ hǎo", a UTF-8 BOM and bytes that look like a UTF-16 BOM, and a GBK character whose
    // trail byte is a letter (Python changes that byte too).
    let data = [&Encoding::Gbk.encode("nǐ hǎo").unwrap()[..], b"\xef\xbb\xbfab\xff\xfeab\x81\x61"].concat();
    assert_eq!(data.len(), 19);
    c.write_all(&data).unwrap();
    let mut back = vec![0u8; data.len()];
    c.read_exact(&mut back).unwrap();
    // What Python's `data.upper()` sends back.
    assert_eq!(back, b"N\xa8\xab H\xa8\xa3O\xef\xbb\xbfAB\xff\xfeAB\x81\x41");

    let rules = engine::rules::Rules::parse("* => {upper}").unwrap();
    srv.send(Command::SetRules(std::sync::Arc::new(rules))).unwrap();
    // Ask until the new rules answer (the command and the bytes travel separately).
    let sigma = Encoding::Gbk.encode("σ").unwrap();
    let mut got = Vec::new();
    for _ in 0..50 {
        c.write_all(&sigma).unwrap();
        got = vec![0u8; sigma.len()];
        c.read_exact(&mut got).unwrap();
        if got != sigma {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(got, Encoding::Gbk.encode("Σ").unwrap(), "Unicode case change in the rules");
    c.write_all(&Encoding::Gbk.encode("nǐ").unwrap()).unwrap();
    let unencodable = EventKind::Error(Problem::Unencodable('Ǐ', Encoding::Gbk));
    sev.wait_for("unencodable", |e| e.kind == unencodable);
    let text = socklab::i18n::problem(socklab::i18n::Lang::En, &Problem::Unencodable('Ǐ', Encoding::Gbk));
    assert!(text.contains("'Ǐ'") && text.contains("GBK") && text.contains("not sent"), "{text}");
    // Nothing was sent for it (before: the entity `N&#463;`): the next bytes back answer "ok".
    c.write_all(b"ok").unwrap();
    let mut ok = [0u8; 2];
    c.read_exact(&mut ok).unwrap();
    assert_eq!(&ok, b"OK");
    let at = sev.seen.iter().position(|e| e.kind == unencodable).unwrap();
    sev.wait_for("tx OK", |e| e.kind == EventKind::Tx { data: b"OK".to_vec() });
    let sent: Vec<u8> = sev.seen[at..]
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Tx { data } => Some(data.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(sent, b"OK");
    drop(c);
    stop(srv, &mut sev);
}

#[test]
fn broadcast_reaches_two_receivers_on_one_port() {
    // Find a port free for UDP on 0.0.0.0 (below the ephemeral range).
    let port = common::ports::free_port();
    let (s1, mut e1) = Events::new();
    let (s2, mut e2) = Events::new();
    let r1 = engine::udp::spawn(engine::broadcast::receiver_config(port, Encoding::Utf8), s1).unwrap();
    let r2 = engine::udp::spawn(engine::broadcast::receiver_config(port, Encoding::Utf8), s2).unwrap();
    e1.listening();
    e2.listening();
    let (st, mut et) = Events::new();
    let tx = engine::udp::spawn(engine::broadcast::sender_config(Encoding::Utf8), st).unwrap();
    let sender = et.listening();
    tx.send(Command::SendTo { to: format!("127.255.255.255:{port}"), data: b"to everyone".to_vec() }).unwrap();
    for e in [&mut e1, &mut e2] {
        let got = e.wait_for("broadcast", |e| matches!(e.kind, EventKind::Rx { .. }));
        assert_eq!(got.kind, EventKind::Rx { data: b"to everyone".to_vec(), lost: 0 });
        assert_eq!(got.peer.map(|p| p.port()), Some(sender.port()));
        // The receivers are bound to 0.0.0.0: the event says where the datagram was sent (the
        // capture's destination), not 127.0.0.1.
        assert_eq!(got.local, Some(format!("127.255.255.255:{port}").parse().unwrap()));
    }
    assert!(!et.seen.iter().any(is_error));
    stop(tx, &mut et);
    stop(r1, &mut e1);
    stop(r2, &mut e2);
}

#[test]
fn broadcast_without_so_broadcast_is_explained() {
    let (a, mut ea, _) = udp_worker(ReplyMode::None);
    a.send(Command::SendTo { to: "127.255.255.255:20999".into(), data: b"x".to_vec() }).unwrap();
    let addr: SocketAddr = "127.255.255.255:20999".parse().unwrap();
    ea.wait_for("denied", |e| e.kind == EventKind::Error(Problem::BroadcastDenied(addr)));
    stop(a, &mut ea);
}

#[test]
fn broadcast_targets_always_offer_loopback() {
    let t = engine::broadcast::targets();
    assert_eq!(t[0].broadcast, engine::broadcast::LOOPBACK_BROADCAST);
}

#[test]
fn tcp_line_framing_separates_sticky_messages() {
    let (sink, mut ev) = Events::new();
    let cfg = TcpServerConfig {
        bind: "127.0.0.1:0".into(),
        reply: ReplyMode::Echo,
        framing: socklab::codec::framing::Framing::Line,
        ..TcpServerConfig::default()
    };
    let h = engine::tcp_server::spawn(cfg, sink).unwrap();
    let addr = ev.listening();
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.set_nodelay(true).unwrap();
    // Two and a half messages in one write, the rest in another once the server has read the
    // first (it delivered "two"): "three" comes from two reads, and framing puts it together.
    c.write_all(b"one\ntwo\nthr").unwrap();
    ev.wait_for("the first write read", |e| e.kind == EventKind::Rx { data: b"two".to_vec(), lost: 0 });
    let rx = |ev: &Events| ev.seen.iter().filter(|e| matches!(e.kind, EventKind::Rx { .. })).count();
    assert_eq!(rx(&ev), 2, "the split happened: \"thr\" waits for the rest: {:?}", ev.seen);
    c.write_all(b"ee\r\n").unwrap();
    let mut echoed = vec![0u8; "one\ntwo\nthree\n".len()];
    c.read_exact(&mut echoed).unwrap();
    assert_eq!(echoed, b"one\ntwo\nthree\n");
    ev.settle(Duration::from_millis(200));
    let msgs: Vec<Vec<u8>> = ev
        .seen
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Rx { data, .. } => Some(data.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(msgs, vec![b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]);
    drop(c);
    h.request_stop();
}

#[test]
fn multicast_on_loopback_reaches_two_members() {
    use socklab::engine::udp::Multicast;
    let group: std::net::IpAddr = "239.255.0.77".parse().unwrap();
    let port = common::ports::free_port();
    // Join on the loopback interface and send from it: the traffic never leaves this machine.
    let lo = Some(std::net::Ipv4Addr::LOCALHOST);
    let member = |sink| {
        let cfg = UdpConfig {
            bind: format!("0.0.0.0:{port}"),
            reuse_addr: true,
            multicast: Some(Multicast { join: Some(group), interface: lo, ..Multicast::default() }),
            ..UdpConfig::default()
        };
        engine::udp::spawn(cfg, sink).unwrap()
    };
    let (s1, mut e1) = Events::new();
    let (s2, mut e2) = Events::new();
    let (m1, m2) = (member(s1), member(s2));
    e1.listening();
    e2.listening();
    let (st, mut et) = Events::new();
    let cfg = UdpConfig {
        bind: "127.0.0.1:0".into(),
        multicast: Some(Multicast { interface: lo, ..Multicast::default() }),
        ..UdpConfig::default()
    };
    let tx = engine::udp::spawn(cfg, st).unwrap();
    et.listening();
    tx.send(Command::SendTo { to: format!("{group}:{port}"), data: b"to the group".to_vec() }).unwrap();
    assert_eq!(e1.rx_bytes(12), b"to the group");
    assert_eq!(e2.rx_bytes(12), b"to the group");
    // Each member's event says the datagram went to the group (its capture's destination).
    for e in [&e1, &e2] {
        let rx = e.seen.iter().find(|e| matches!(e.kind, EventKind::Rx { .. })).unwrap();
        assert_eq!(rx.local, Some(std::net::SocketAddr::new(group, port)));
    }
    // Joining something that is not a group is explained.
    let (sb, mut eb) = Events::new();
    let bad = UdpConfig {
        bind: "0.0.0.0:0".into(),
        multicast: Some(Multicast { join: Some("10.0.0.1".parse().unwrap()), interface: lo, ..Multicast::default() }),
        ..UdpConfig::default()
    };
    let _b = engine::udp::spawn(bad, sb).unwrap();
    eb.wait_for("not multicast", |e| e.kind == EventKind::Error(Problem::NotMulticast("10.0.0.1".parse().unwrap())));
    for h in [m1, m2, tx] {
        h.request_stop();
    }
}

#[test]
fn ipv6_loopback_udp_and_tcp() {
    let (sink, mut ev) = Events::new();
    let Ok(h) =
        engine::udp::spawn(UdpConfig { bind: "[::1]:0".into(), reply: ReplyMode::Upper, ..UdpConfig::default() }, sink)
    else {
        common::skip("no IPv6 loopback here");
        return;
    };
    let first = ev.wait_for("outcome", |e| matches!(e.kind, EventKind::Listening { .. } | EventKind::Stopped));
    let EventKind::Listening { local } = first.kind else {
        common::skip("no IPv6 loopback here");
        return;
    };
    assert!(local.is_ipv6());
    let c = UdpSocket::bind("[::1]:0").unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.send_to(b"six", local).unwrap();
    let mut buf = [0u8; 8];
    let (n, _) = c.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"SIX");
    h.request_stop();

    let (sink, mut sev) = Events::new();
    let cfg = TcpServerConfig { bind: "[::1]:0".into(), reply: ReplyMode::Echo, ..TcpServerConfig::default() };
    let srv = engine::tcp_server::spawn(cfg, sink).unwrap();
    let addr = sev.listening();
    let (cli, mut cev) = {
        let (sink, ev) = Events::new();
        let cfg = TcpClientConfig { connect: addr.to_string(), ..TcpClientConfig::default() };
        (engine::tcp_client::spawn(cfg, sink).unwrap(), ev)
    };
    cev.wait_for("connected", |e| matches!(e.kind, EventKind::Connected { .. }));
    cli.send(Command::Send { conn: None, data: b"v6".to_vec() }).unwrap();
    assert_eq!(cev.rx_bytes(2), b"v6");
    assert!(sev.seen.iter().chain(cev.seen.iter()).all(|e| e.peer.is_none_or(|p| p.is_ipv6())));
    drop(cli);
    srv.request_stop();
}

#[test]
fn tcp_small_receive_buffer_splits_reads_but_loses_nothing() {
    let (sink, mut ev) = Events::new();
    let cfg = TcpServerConfig { bind: "127.0.0.1:0".into(), recv_buffer: 4, ..TcpServerConfig::default() };
    let h = engine::tcp_server::spawn(cfg, sink).unwrap();
    let addr = ev.listening();
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(b"0123456789").unwrap();
    assert_eq!(ev.rx_bytes(10), b"0123456789");
    let sizes: Vec<usize> = ev
        .seen
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Rx { data, lost } => {
                assert_eq!(*lost, 0, "TCP never truncates");
                Some(data.len())
            }
            _ => None,
        })
        .collect();
    assert_eq!(sizes, vec![4, 4, 2], "each read at most the buffer size");
    h.request_stop();
}

#[test]
fn interface_index_by_name_and_unroutable_ipv6_group_explained() {
    use socklab::engine::udp::{Multicast, interface_index};
    let Some(lo) = interface_index("lo") else {
        common::skip("no interface named lo");
        return;
    };
    assert!(interface_index("no-such-interface-xyz").is_none());
    // Loopback has no IPv6 multicast route by default: sending to a group through it is
    // refused by the kernel, and SockLab says so instead of failing silently.
    let (st, mut et) = Events::new();
    let cfg = UdpConfig {
        bind: "[::1]:0".into(),
        multicast: Some(Multicast { interface_index: lo, ..Multicast::default() }),
        ..UdpConfig::default()
    };
    let Ok(tx) = engine::udp::spawn(cfg, st) else { return };
    let first = et.wait_for("outcome", |e| matches!(e.kind, EventKind::Listening { .. } | EventKind::Stopped));
    if !matches!(first.kind, EventKind::Listening { .. }) {
        common::skip("no IPv6 loopback here");
        return;
    }
    tx.send(Command::SendTo { to: "[ff01::5e1]:29001".into(), data: b"x".to_vec() }).unwrap();
    let outcome = et.wait_for("sent or refused", |e| matches!(e.kind, EventKind::Tx { .. } | EventKind::Error(_)));
    if let EventKind::Error(p) = outcome.kind {
        assert!(matches!(p, Problem::Unreachable(_)), "{p:?}");
    }
    tx.request_stop();
}

#[test]
fn dual_stack_servers_on_any_ipv6_address_take_ipv4_peers() {
    // TCP: a server on [::] answers a client connecting to 127.0.0.1.
    let (sink, mut ev) = Events::new();
    let cfg = TcpServerConfig { bind: "[::]:0".into(), reply: ReplyMode::Upper, ..TcpServerConfig::default() };
    let h = engine::tcp_server::spawn(cfg, sink).unwrap();
    let port = ev.listening().port();
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"v4 here").unwrap();
    let mut buf = [0u8; 16];
    let n = c.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"V4 HERE");
    let got = ev.wait_for("connected", |e| matches!(e.kind, EventKind::Connected { .. }));
    let peer = got.peer.unwrap();
    assert_eq!(peer.ip().to_string(), "::ffff:127.0.0.1", "an IPv4 peer of a dual-stack socket is IPv4-mapped");
    assert_eq!(peer.port(), c.local_addr().unwrap().port());
    stop(h, &mut ev);

    // UDP: the same for datagrams.
    let (sink, mut ev) = Events::new();
    let h = engine::udp::spawn(UdpConfig { bind: "[::]:0".into(), ..UdpConfig::default() }, sink).unwrap();
    let port = ev.listening().port();
    let v4 = UdpSocket::bind("127.0.0.1:0").unwrap();
    v4.send_to(b"dgram", ("127.0.0.1", port)).unwrap();
    let rx = ev.wait_for("rx", |e| matches!(e.kind, EventKind::Rx { .. }));
    assert_eq!(rx.peer.unwrap().ip().to_string(), "::ffff:127.0.0.1");
    stop(h, &mut ev);
}

#[test]
fn udp_joins_and_leaves_a_group_while_running() {
    use engine::udp::Multicast;
    let group: std::net::IpAddr = "239.255.0.83".parse().unwrap();
    let lo = Some(std::net::Ipv4Addr::LOCALHOST);
    let (sink, mut ev) = Events::new();
    let cfg = UdpConfig {
        bind: "0.0.0.0:0".into(),
        multicast: Some(Multicast { interface: lo, ..Multicast::default() }),
        ..UdpConfig::default()
    };
    let h = engine::udp::spawn(cfg, sink).unwrap();
    let port = ev.listening().port();
    let sender = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    sender.set_multicast_if_v4(&std::net::Ipv4Addr::LOCALHOST).unwrap();
    let to: socket2::SockAddr = SocketAddr::new(group, port).into();

    h.send(Command::JoinGroup(group)).unwrap();
    ev.wait_for("joined", |e| e.kind == EventKind::Membership { group, joined: true });
    sender.send_to(b"while a member", &to).unwrap();
    let rx = ev.wait_for("group datagram", |e| matches!(e.kind, EventKind::Rx { .. }));
    assert_eq!(rx.kind, EventKind::Rx { data: b"while a member".to_vec(), lost: 0 });

    h.send(Command::LeaveGroup(group)).unwrap();
    ev.wait_for("left", |e| e.kind == EventKind::Membership { group, joined: false });
    sender.send_to(b"after leaving", &to).unwrap();
    // A unicast marker sent after it: once the marker is in, the group datagram would be too.
    let plain = UdpSocket::bind("127.0.0.1:0").unwrap();
    plain.send_to(b"marker", ("127.0.0.1", port)).unwrap();
    ev.wait_for("marker", |e| e.kind == EventKind::Rx { data: b"marker".to_vec(), lost: 0 });
    let after = EventKind::Rx { data: b"after leaving".to_vec(), lost: 0 };
    assert!(!ev.seen.iter().any(|e| e.kind == after), "nothing from the group after leaving");

    // Not a group: explained, the worker keeps running.
    h.send(Command::JoinGroup("10.0.0.1".parse().unwrap())).unwrap();
    ev.wait_for("not multicast", |e| e.kind == EventKind::Error(Problem::NotMulticast("10.0.0.1".parse().unwrap())));
    stop(h, &mut ev);
}

#[test]
fn udp_rules_replace_the_reply_mode_while_running() {
    let (h, mut ev, addr) = udp_worker(ReplyMode::Echo);
    let c = UdpSocket::bind("127.0.0.1:0").unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let ask = |q: &[u8]| {
        c.send_to(q, addr).unwrap();
        let mut buf = [0u8; 64];
        let (n, _) = c.recv_from(&mut buf).unwrap();
        buf[..n].to_vec()
    };
    assert_eq!(ask(b"echo me"), b"echo me");
    let rules = engine::rules::Rules::parse("hex:ca fe => \\x01{len}\ncontains:time => {peer}").unwrap();
    h.send(Command::SetRules(std::sync::Arc::new(rules))).unwrap();
    // The command and the datagrams travel separately: a datagram already on its way may still
    // get the old answer, so ask until the new rules answer (bounded).
    let mut got = Vec::new();
    for _ in 0..50 {
        got = ask(&[0xca, 0xfe, 0x00]);
        if got != [0xca, 0xfe, 0x00] {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(got, b"\x013");
    let me = c.local_addr().unwrap().to_string();
    // No rule matches "nothing": no reply at all (the rules replace the echo), so the next
    // datagram back is the answer to the question after it.
    c.send_to(b"nothing", addr).unwrap();
    assert_eq!(ask(b"what time is it"), me.as_bytes());
    h.send(Command::SetRules(std::sync::Arc::default())).unwrap();
    // "echo time" has an answer either way (the peer while the rule holds, the echo after).
    let mut got = Vec::new();
    for _ in 0..50 {
        got = ask(b"echo time");
        if got == b"echo time" {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(got, b"echo time", "empty rules: the mode answers again");
    stop(h, &mut ev);
}

#[test]
fn udp_traffic_generator_paces_counts_and_stops() {
    use engine::generator::{GenSpec, Rate};
    let (h, mut ev, _) = udp_worker(ReplyMode::None);
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let to = rx.local_addr().unwrap().to_string();
    // The n-th event matching `f` (wait_for looks at the events seen so far first).
    let nth = |ev: &mut Events, what: &str, n: usize, f: fn(&EventKind) -> bool| {
        let k = std::cell::Cell::new(0);
        ev.wait_for(what, |e| {
            if f(&e.kind) {
                k.set(k.get() + 1);
            }
            k.get() == n
        })
        .kind
    };
    let is_done = |k: &EventKind| matches!(k, EventKind::GeneratorDone { .. });
    let done = |ev: &mut Events, n: usize| nth(ev, "generator done", n, is_done);

    // 200 datagrams of 100 bytes at 2000/s: all arrive, and pacing makes it take ≥ 199 intervals.
    let spec = GenSpec {
        to: to.clone(),
        data: vec![b'x'; 100],
        template: None,
        rate: Rate::PacketsPerSec(2000.0),
        count: Some(200),
        duration: Some(Duration::from_secs(30)),
    };
    h.send(Command::Generate(Box::new(spec))).unwrap();
    let EventKind::GeneratorDone { packets, bytes, micros } = done(&mut ev, 1) else { unreachable!() };
    assert_eq!((packets, bytes), (200, 20_000));
    assert!(micros >= 99_000, "paced: 199 intervals of 0.5 ms, took {micros} µs");
    let mut buf = [0u8; 200];
    for _ in 0..200 {
        assert_eq!(rx.recv(&mut buf).unwrap(), 100);
    }
    let tx = ev.seen.iter().filter(|e| matches!(e.kind, EventKind::Tx { .. })).count();
    assert_eq!(tx, 200, "every datagram is logged");

    // Stop in the middle of a long, slow run.
    let slow = GenSpec { rate: Rate::PacketsPerSec(50.0), count: Some(1_000_000), duration: None, ..spec_of(&to) };
    h.send(Command::Generate(Box::new(slow))).unwrap();
    nth(&mut ev, "first of the slow run", 201, |k| matches!(k, EventKind::Tx { .. }));
    h.send(Command::StopGenerate).unwrap();
    let EventKind::GeneratorDone { packets, .. } = done(&mut ev, 2) else { unreachable!() };
    assert!((1..1_000_000).contains(&packets), "stopped early after {packets}");

    // Unbounded or oversized runs are refused; the worker keeps running.
    let unbounded = GenSpec { count: None, duration: None, ..spec_of(&to) };
    h.send(Command::Generate(Box::new(unbounded))).unwrap();
    ev.wait_for("refused", |e| {
        matches!(&e.kind, EventKind::Error(Problem::Generator(socklab::engine::problem::GenLimit::Unbounded)))
    });
    stop(h, &mut ev);
}

#[test]
fn udp_generator_survives_extreme_rates() {
    use engine::generator::{GenSpec, Rate};
    let (h, mut ev, _) = udp_worker(ReplyMode::None);
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = rx.local_addr().unwrap().to_string();
    let done = |ev: &mut Events, n: usize| {
        let k = std::cell::Cell::new(0);
        let got = ev.wait_for("generator done", |e| {
            k.set(k.get() + usize::from(matches!(e.kind, EventKind::GeneratorDone { .. })));
            k.get() == n
        });
        assert!(
            !ev.seen.iter().any(|e| matches!(e.kind, EventKind::Error(Problem::WorkerPanicked(_)))),
            "{:#?}",
            ev.seen
        );
        match got.kind {
            EventKind::GeneratorDone { packets, .. } => packets,
            _ => unreachable!(),
        }
    };
    // 1e-20 datagrams/s: the first goes at once, the second is due in 1e20 s (before: a panic
    // converting that to a Duration, which stopped the worker).
    let tiny = GenSpec { rate: Rate::PacketsPerSec(1e-20), count: Some(2), ..spec_of(&to) };
    h.send(Command::Generate(Box::new(tiny.clone()))).unwrap();
    ev.wait_for("the first datagram", |e| matches!(e.kind, EventKind::Tx { .. }));
    h.send(Command::StopGenerate).unwrap();
    assert_eq!(done(&mut ev, 1), 1);
    let timed = GenSpec { duration: Some(Duration::from_millis(200)), ..tiny };
    h.send(Command::Generate(Box::new(timed))).unwrap();
    assert_eq!(done(&mut ev, 2), 1, "the time is up after one datagram");
    // 1e300 datagrams/s: as fast as possible (before: nothing sent, the worker spinning at
    // 100 % CPU until killed; in debug builds an overflow panic).
    let huge = GenSpec { rate: Rate::PacketsPerSec(1e300), count: Some(1000), ..spec_of(&to) };
    h.send(Command::Generate(Box::new(huge))).unwrap();
    assert_eq!(done(&mut ev, 3), 1000);
    let huge_bytes = GenSpec { rate: Rate::BytesPerSec(f64::MAX), count: Some(100), ..spec_of(&to) };
    h.send(Command::Generate(Box::new(huge_bytes))).unwrap();
    assert_eq!(done(&mut ev, 4), 100);
    let tx = ev.seen.iter().filter(|e| matches!(e.kind, EventKind::Tx { .. })).count();
    assert_eq!(tx, 1 + 1 + 1000 + 100);
    stop(h, &mut ev);
}

fn spec_of(to: &str) -> engine::generator::GenSpec {
    engine::generator::GenSpec {
        to: to.to_string(),
        data: b"gen".to_vec(),
        template: None,
        rate: engine::generator::Rate::Max,
        count: Some(1),
        duration: None,
    }
}

#[test]
fn tcp_client_generator_streams_messages_as_fast_as_the_peer_reads() {
    use engine::generator::{GenSpec, Rate};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The peer reads everything and counts it; it sleeps at first so the send queue fills up.
    let reader = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let mut all = Vec::new();
        s.read_to_end(&mut all).unwrap();
        all
    });
    let (h, mut ev) = client(&addr.to_string());
    ev.wait_for("connected", |e| matches!(e.kind, EventKind::Connected { .. }));

    // 3000 messages of 1000 bytes as fast as possible: far more than the socket buffers hold,
    // so the generator has to wait for the slow reader, and every byte arrives.
    let spec = GenSpec {
        to: String::new(),
        data: vec![b'm'; 1000],
        template: None,
        rate: Rate::Max,
        count: Some(3000),
        duration: Some(Duration::from_secs(30)),
    };
    h.send(Command::Generate(Box::new(spec))).unwrap();
    let done = ev.wait_for("generator done", |e| matches!(e.kind, EventKind::GeneratorDone { .. }));
    assert!(matches!(done.kind, EventKind::GeneratorDone { packets: 3000, bytes: 3_000_000, .. }), "{done:?}");

    // Paced: 20 messages at 100/s take at least 19 intervals.
    let paced = GenSpec {
        to: String::new(),
        data: b"tick\n".to_vec(),
        template: None,
        rate: Rate::PacketsPerSec(100.0),
        count: Some(20),
        duration: Some(Duration::from_secs(30)),
    };
    h.send(Command::Generate(Box::new(paced))).unwrap();
    let k = std::cell::Cell::new(0);
    let done = ev.wait_for("second run done", |e| {
        if matches!(e.kind, EventKind::GeneratorDone { .. }) {
            k.set(k.get() + 1);
        }
        k.get() == 2
    });
    let EventKind::GeneratorDone { packets, bytes, micros } = done.kind else { unreachable!() };
    assert_eq!((packets, bytes), (20, 100));
    assert!(micros >= 185_000, "paced at 100/s, took {micros} µs");

    // Unbounded runs are refused and the connection stays up.
    let unbounded = GenSpec { count: None, duration: None, ..spec_of("") };
    h.send(Command::Generate(Box::new(unbounded))).unwrap();
    ev.wait_for("refused", |e| {
        matches!(&e.kind, EventKind::Error(Problem::Generator(socklab::engine::problem::GenLimit::Unbounded)))
    });

    h.send(Command::Disconnect { conn: None }).unwrap();
    ev.wait_for("closed", |e| matches!(e.kind, EventKind::Closed { .. }));
    let got = reader.join().unwrap();
    assert_eq!(got.len(), 3_000_100, "every byte of both runs arrived");
    let sent: usize = ev
        .seen
        .iter()
        .map(|e| match &e.kind {
            EventKind::Tx { data } => data.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(sent, 3_000_100, "the log counts exactly what was written");
    drop(h);
}

#[test]
fn an_unfinished_framed_message_is_delivered_when_we_close_the_connection() {
    // A client that sends `line1\npartial-tail` and stays connected; the server stops (its own
    // close): the tail is still logged and counted, as when the peer closes.
    let (sink, mut ev) = Events::new();
    let cfg = TcpServerConfig {
        bind: "127.0.0.1:0".into(),
        framing: socklab::codec::framing::Framing::Line,
        ..TcpServerConfig::default()
    };
    let h = engine::tcp_server::spawn(cfg, sink).unwrap();
    let addr = ev.listening();
    let mut c = TcpStream::connect(addr).unwrap();
    c.write_all(b"line1\npartial-tail").unwrap();
    ev.wait_for("line1", |e| matches!(&e.kind, EventKind::Rx { data, .. } if data == b"line1"));
    ev.settle(Duration::from_millis(100));
    stop(h, &mut ev);
    let rx: Vec<Vec<u8>> = ev
        .seen
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Rx { data, .. } => Some(data.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(rx, vec![b"line1".to_vec(), b"partial-tail".to_vec()]);
    let tail = ev.seen.iter().position(|e| matches!(&e.kind, EventKind::Rx { data, .. } if data == b"partial-tail"));
    let closed = ev.seen.iter().position(|e| matches!(e.kind, EventKind::Closed { .. }));
    assert!(tail < closed, "the tail comes before the close");
    drop(c);
}

/// The test hook works in the TCP workers too: each reports its panic and stops, alone.
#[test]
fn tcp_workers_report_an_injected_panic_and_stop() {
    let (ssink, mut sev) = Events::new();
    let srv =
        engine::tcp_server::spawn(TcpServerConfig { bind: "127.0.0.1:0".into(), ..Default::default() }, ssink).unwrap();
    let addr = sev.listening();
    let (csink, mut cev) = Events::new();
    let ccfg =
        TcpClientConfig { connect: addr.to_string(), timeout: Duration::from_secs(5), ..TcpClientConfig::default() };
    let cli = engine::tcp_client::spawn(ccfg, csink).unwrap();
    cev.wait_for("connected", |e| matches!(e.kind, EventKind::Connected { .. }));
    for (h, ev, who) in [(&cli, &mut cev, "TCP client"), (&srv, &mut sev, "TCP server")] {
        h.send(Command::InjectPanic).unwrap();
        let e = ev.wait_for("the panic", |e| matches!(e.kind, EventKind::Error(Problem::WorkerPanicked(_))));
        assert!(matches!(&e.kind, EventKind::Error(Problem::WorkerPanicked(m)) if m.contains(who)), "{e:?}");
        ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    }
}
