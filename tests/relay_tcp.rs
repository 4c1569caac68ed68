//! The TCP relay over loopback: real clients and servers (std threads) on either side of it,
//! every wait bounded in time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Events, LIMIT};
use socklab::engine::relay::fault::{self, FaultAction, Faults};
use socklab::engine::relay::{RelayConfig, start};
use socklab::engine::{CloseReason, Command, Dir, Event, EventKind, Problem, WorkerHandle};

/// A server on 127.0.0.1:0 that runs `handler` on each of its first `n` clients (a thread each).
fn server(n: usize, handler: impl Fn(TcpStream) + Send + Sync + 'static) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        for _ in 0..n {
            let Ok((s, _)) = l.accept() else { return };
            s.set_read_timeout(Some(LIMIT)).unwrap();
            s.set_write_timeout(Some(LIMIT)).unwrap();
            let h = handler.clone();
            std::thread::spawn(move || h(s));
        }
    });
    addr
}

/// The tutorial's upper-case server: recv, send it back upper-cased, until EOF; then closes.
fn upper(mut s: TcpStream) {
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if s.write_all(&buf[..n].to_ascii_uppercase()).is_err() {
                    return;
                }
            }
        }
    }
}

fn relay_with(upstream: SocketAddr, tweak: impl FnOnce(&mut RelayConfig)) -> (WorkerHandle, Events, SocketAddr) {
    let (sink, mut ev) = Events::new();
    let mut cfg = RelayConfig { upstream: upstream.to_string(), ..RelayConfig::default() };
    tweak(&mut cfg);
    let h = start(cfg, sink).unwrap();
    let addr = ev.listening();
    (h, ev, addr)
}

fn relay(upstream: SocketAddr, specs: &[&str]) -> (WorkerHandle, Events, SocketAddr) {
    let mut faults = Faults::default();
    for s in specs {
        fault::parse(s, &mut faults).unwrap();
    }
    relay_with(upstream, |c| c.faults = faults)
}

fn stop(mut h: WorkerHandle, ev: &mut Events) {
    h.request_stop();
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    h.join();
}

fn client(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(LIMIT)).unwrap();
    s.set_write_timeout(Some(LIMIT)).unwrap();
    s
}

fn read_to_end(s: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    out
}

fn closed(conn: u64, reason: CloseReason) -> impl Fn(&Event) -> bool {
    move |e| e.conn == Some(conn) && e.kind == EventKind::Closed { reason }
}

fn fault_row(action: FaultAction) -> impl Fn(&Event) -> bool {
    move |e| matches!(&e.kind, EventKind::Fault { action: a, .. } if *a == action)
}

fn relayed_bytes(ev: &Events, dir: Dir) -> usize {
    ev.seen
        .iter()
        .map(|e| match &e.kind {
            EventKind::Relayed { dir: d, data, .. } if *d == dir => data.len(),
            _ => 0,
        })
        .sum()
}

#[test]
fn three_clients_through_the_relay_to_the_upper_case_server() {
    let up = server(3, upper);
    let (h, mut ev, addr) = relay(up, &[]);
    let threads: Vec<_> = (0..3u8)
        .map(|i| {
            std::thread::spawn(move || {
                let msg: Vec<u8> = (0..50_000u32).map(|k| b'a' + ((k + u32::from(i)) % 26) as u8).collect();
                let mut c = client(addr);
                let writer = {
                    let mut c = c.try_clone().unwrap();
                    let msg = msg.clone();
                    std::thread::spawn(move || {
                        c.write_all(&msg).unwrap();
                        c.shutdown(Shutdown::Write).unwrap();
                    })
                };
                let got = read_to_end(&mut c);
                writer.join().unwrap();
                assert_eq!(got, msg.to_ascii_uppercase(), "client {i}: byte-exact");
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    for id in 1..=3 {
        ev.wait_for("closed", closed(id, CloseReason::PeerClosed));
        let c = ev.wait_for("connected", |e| e.conn == Some(id) && matches!(e.kind, EventKind::Connected { .. }));
        assert_eq!(c.kind, EventKind::Connected { local: addr, inbound: true, tls: None });
        let u =
            ev.wait_for("upstream", |e| e.conn == Some(id) && matches!(e.kind, EventKind::UpstreamConnected { .. }));
        assert!(matches!(u.kind, EventKind::UpstreamConnected { upstream, .. } if upstream == up));
        assert_eq!(u.peer, c.peer, "peer is the client");
    }
    assert_eq!(relayed_bytes(&ev, Dir::Up), 150_000);
    assert_eq!(relayed_bytes(&ev, Dir::Down), 150_000);
    assert!(!ev.seen.iter().any(common::is_error), "{:#?}", ev.seen);
    stop(h, &mut ev);
}

#[test]
fn half_close_passes_eof_and_the_reply_still_comes_back() {
    let (saw_eof_tx, saw_eof) = mpsc::channel();
    // Answers only after EOF: the reply can only arrive if the client's half-close passed.
    let up = server(1, move |mut s| {
        let got = read_to_end(&mut s);
        saw_eof_tx.send(got.clone()).unwrap();
        s.write_all(&got.to_ascii_uppercase()).unwrap();
    });
    let (h, mut ev, addr) = relay(up, &[]);
    let mut c = client(addr);
    c.write_all(b"hello, relay").unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut c), b"HELLO, RELAY");
    assert_eq!(saw_eof.recv_timeout(LIMIT).unwrap(), b"hello, relay", "the upstream saw EOF");
    ev.wait_for("closed", closed(1, CloseReason::PeerClosed));
    stop(h, &mut ev);
}

#[test]
fn upstream_refused_closes_the_client() {
    let up = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap(); // nothing listens now
    let (h, mut ev, addr) = relay(up, &[]);
    let mut c = client(addr);
    let mut buf = [0u8; 16];
    match c.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        other => panic!("client not closed: {other:?}"),
    }
    let err = ev.wait_for("error", |e| e.conn == Some(1) && common::is_error(e));
    assert_eq!(err.kind, EventKind::Error(Problem::Refused(up)));
    ev.wait_for("closed", closed(1, CloseReason::Failed));
    let pos = |f: &dyn Fn(&Event) -> bool| ev.seen.iter().position(f).unwrap();
    assert!(pos(&|e| common::is_error(e)) < pos(&|e| matches!(e.kind, EventKind::Closed { .. })));
    stop(h, &mut ev);
}

#[test]
fn a_bad_upstream_fails_at_start() {
    let (sink, mut ev) = Events::new();
    let cfg = RelayConfig { upstream: "127.0.0.1".into(), ..RelayConfig::default() };
    let _h = start(cfg, sink).unwrap();
    ev.wait_for("error", common::is_error);
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    assert!(!ev.seen.iter().any(|e| matches!(e.kind, EventKind::Listening { .. })));
}

#[test]
fn a_client_reset_resets_the_upstream() {
    let (got_tx, got) = mpsc::channel();
    let up = server(1, move |mut s| {
        let mut buf = [0u8; 1024];
        let mut first = true;
        loop {
            match s.read(&mut buf) {
                Ok(0) => return got_tx.send("eof").unwrap(),
                Ok(_) if first => {
                    first = false;
                    got_tx.send("data").unwrap();
                }
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return got_tx.send("reset").unwrap(),
                Err(e) => panic!("{e}"),
            }
        }
    });
    let (h, mut ev, addr) = relay(up, &[]);
    let mut c = client(addr);
    c.write_all(b"some bytes").unwrap();
    assert_eq!(got.recv_timeout(LIMIT).unwrap(), "data");
    socket2::SockRef::from(&c).set_linger(Some(Duration::ZERO)).unwrap();
    drop(c);
    let end = got.recv_timeout(LIMIT).unwrap();
    assert!(end == "reset" || end == "eof", "{end}");
    ev.wait_for("closed", closed(1, CloseReason::Reset));
    stop(h, &mut ev);
}

#[test]
fn a_client_that_never_reads_keeps_the_relay_bounded_and_responsive() {
    const BUFFER: usize = 64 * 1024;
    let (blocked_tx, blocked) = mpsc::channel();
    let up = server(1, move |mut s| {
        s.set_write_timeout(Some(Duration::from_millis(500))).unwrap();
        let chunk = [b'x'; 16 * 1024];
        let mut total = 0usize;
        let start = Instant::now();
        while start.elapsed() < LIMIT {
            match s.write(&chunk) {
                Ok(n) => total += n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return blocked_tx.send(Some(total)).unwrap();
                }
                Err(_) => break,
            }
        }
        blocked_tx.send(None).unwrap();
    });
    let (h, mut ev, addr) = relay_with(up, |c| c.buffer = BUFFER);
    let c = client(addr);
    let written = blocked.recv_timeout(LIMIT * 2).unwrap().expect("the server's writes block");
    ev.settle(Duration::from_millis(300));
    let relayed = relayed_bytes(&ev, Dir::Down);
    ev.settle(Duration::from_millis(300));
    assert_eq!(relayed_bytes(&ev, Dir::Down), relayed, "the relay stopped reading");
    assert!(relayed <= written, "{relayed} relayed of {written} written");
    assert!(written < 64 << 20, "kernel buffers plus the relay's {BUFFER}: {written}");
    let t = Instant::now();
    stop(h, &mut ev);
    assert!(t.elapsed() < LIMIT);
    drop(c);
}

#[test]
fn too_many_clients_are_turned_away() {
    let up = server(2, upper);
    let (h, mut ev, addr) = relay_with(up, |c| c.max_clients = 1);
    let mut a = client(addr);
    a.write_all(b"a").unwrap();
    let mut one = [0u8; 1];
    a.read_exact(&mut one).unwrap();
    let mut b = client(addr);
    let mut buf = [0u8; 4];
    assert!(matches!(b.read(&mut buf), Ok(0) | Err(_)));
    ev.wait_for("too many", |e| e.kind == EventKind::Error(Problem::TooManyClients(1)));
    stop(h, &mut ev);
}

/// Each read a server made, as it came.
type Reads = Vec<Vec<u8>>;

/// A server that counts its reads until EOF and reports them with the bytes.
fn counting_server() -> (SocketAddr, mpsc::Receiver<(Reads, Instant)>) {
    let (tx, rx) = mpsc::channel();
    let up = server(1, move |mut s| {
        s.set_nodelay(true).unwrap();
        let mut reads = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(n @ 1..) = s.read(&mut buf) {
            reads.push(buf[..n].to_vec());
        }
        tx.send((reads, Instant::now())).unwrap();
    });
    (up, rx)
}

#[test]
fn slice_turns_one_send_into_many_reads() {
    // The pieces leave as separate segments (TCP_NODELAY); the pause makes sure the server has
    // read each before the next lands, even on a busy machine (else its recv merges them).
    let (up, reads) = counting_server();
    let (h, mut ev, addr) = relay(up, &["up:slice=8,pause=30ms"]);
    let mut c = client(addr);
    let msg: Vec<u8> = (0..80u8).collect();
    c.write_all(&msg).unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let (got, _) = reads.recv_timeout(LIMIT).unwrap();
    assert_eq!(got.concat(), msg);
    assert!(got.len() >= 10, "{} reads: {got:?}", got.len());
    ev.wait_for("sliced", |e| matches!(e.kind, EventKind::Fault { action: FaultAction::Sliced { .. }, .. }));
    let pieces: usize = ev
        .seen
        .iter()
        .map(|e| match e.kind {
            EventKind::Fault { action: FaultAction::Sliced { pieces, .. }, .. } => pieces,
            _ => 0,
        })
        .sum();
    assert_eq!(pieces, 10);
    stop(h, &mut ev);
}

#[test]
fn latency_set_while_running_delays_the_reply() {
    let up = server(1, upper);
    let (h, mut ev, addr) = relay(up, &[]);
    let mut faults = Faults::default();
    fault::parse("down:latency=200ms", &mut faults).unwrap();
    h.send(Command::SetFaults(Box::new(faults))).unwrap();
    let mut c = client(addr);
    ev.wait_for("upstream", |e| matches!(e.kind, EventKind::UpstreamConnected { .. }));
    let t = Instant::now();
    c.write_all(b"ping").unwrap();
    let mut buf = [0u8; 4];
    c.read_exact(&mut buf).unwrap();
    let took = t.elapsed();
    assert_eq!(&buf, b"PING");
    assert!(took >= Duration::from_millis(200), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let d = ev.wait_for("delayed", |e| matches!(e.kind, EventKind::Fault { action: FaultAction::Delayed { .. }, .. }));
    assert!(matches!(d.kind, EventKind::Fault { dir: Dir::Down, action: FaultAction::Delayed { ms: 200 }, .. }));
    stop(h, &mut ev);
}

#[test]
fn limit_closes_after_that_many_bytes() {
    let (up, reads) = counting_server();
    let (h, mut ev, addr) = relay(up, &["up:limit=10"]);
    let mut c = client(addr);
    c.write_all(b"0123456789abcdefghij").unwrap();
    let (got, _) = reads.recv_timeout(LIMIT).unwrap();
    assert_eq!(got.concat(), b"0123456789");
    ev.wait_for("limit", fault_row(FaultAction::LimitReached { bytes: 10 }));
    ev.wait_for("closed", closed(1, CloseReason::LocalClose));
    assert!(read_to_end(&mut c).is_empty());
    stop(h, &mut ev);
}

#[test]
fn reset_after_resets_both_sides() {
    let (tx, rx) = mpsc::channel();
    let up = server(1, move |mut s| {
        let mut buf = [0u8; 16];
        tx.send(s.read(&mut buf).map_err(|e| e.kind())).unwrap();
    });
    let (h, mut ev, addr) = relay(up, &["up:reset-after=200ms"]);
    let t = Instant::now();
    let mut c = client(addr);
    let mut buf = [0u8; 16];
    let r = c.read(&mut buf).map_err(|e| e.kind());
    assert_eq!(r, Err(ErrorKind::ConnectionReset));
    assert!(t.elapsed() >= Duration::from_millis(200), "{:?}", t.elapsed());
    assert_eq!(rx.recv_timeout(LIMIT).unwrap(), Err(ErrorKind::ConnectionReset));
    ev.wait_for("reset row", fault_row(FaultAction::Reset));
    ev.wait_for("closed", closed(1, CloseReason::Reset));
    stop(h, &mut ev);
}

#[test]
fn coalesce_merges_quick_writes_into_one_read() {
    let (up, reads) = counting_server();
    let (h, mut ev, addr) = relay(up, &["up:coalesce=200ms"]);
    let mut c = client(addr);
    c.set_nodelay(true).unwrap();
    for b in [b"a", b"b", b"c"] {
        c.write_all(b).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    let row =
        ev.wait_for("coalesced", |e| matches!(e.kind, EventKind::Fault { action: FaultAction::Coalesced { .. }, .. }));
    assert!(matches!(row.kind, EventKind::Fault { action: FaultAction::Coalesced { len: 3, .. }, .. }), "{row:?}");
    c.shutdown(Shutdown::Write).unwrap();
    let (got, _) = reads.recv_timeout(LIMIT).unwrap();
    assert_eq!(got, vec![b"abc".to_vec()]);
    stop(h, &mut ev);
}

#[test]
fn ipv6_clients_reach_an_ipv4_upstream() {
    if TcpListener::bind("[::1]:0").is_err() {
        return common::skip("no IPv6 loopback");
    }
    let up = server(1, upper);
    let (h, mut ev, addr) = relay_with(up, |c| c.listen = "[::1]:0".into());
    assert!(addr.is_ipv6());
    let mut c = client(addr);
    c.write_all("v6 → v4".as_bytes()).unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_end(&mut c), "V6 → V4".as_bytes());
    let conn = ev.wait_for("connected", |e| matches!(e.kind, EventKind::Connected { .. }));
    assert!(conn.peer.unwrap().is_ipv6());
    ev.wait_for("closed", closed(1, CloseReason::PeerClosed));
    stop(h, &mut ev);
}

#[test]
fn bandwidth_paces_the_bytes() {
    let (up, reads) = counting_server();
    let (h, mut ev, addr) = relay(up, &["up:bandwidth=10k"]);
    let mut c = client(addr);
    let t = Instant::now();
    c.write_all(&[b'z'; 5 * 1024]).unwrap();
    c.shutdown(Shutdown::Write).unwrap();
    let (got, at) = reads.recv_timeout(LIMIT).unwrap();
    assert_eq!(got.concat().len(), 5 * 1024);
    let took = at - t;
    // Five chunks of 1 KiB a tenth of a second apart: the last leaves 400 ms after the first.
    assert!(took >= Duration::from_millis(350), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    ev.wait_for("throttled", |e| matches!(e.kind, EventKind::Fault { action: FaultAction::Throttled { .. }, .. }));
    stop(h, &mut ev);
}

#[test]
fn timeout_stops_passing_then_closes() {
    let (up, reads) = counting_server();
    let (h, mut ev, addr) = relay(up, &["up:timeout=200ms"]);
    let t = Instant::now();
    let mut c = client(addr);
    c.write_all(b"early").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    c.write_all(b"late").unwrap();
    let (got, _) = reads.recv_timeout(LIMIT).unwrap();
    assert_eq!(got.concat(), b"early", "nothing passes after the timeout");
    ev.wait_for("stalled", fault_row(FaultAction::TimedOut { closing: false }));
    ev.wait_for("closing", fault_row(FaultAction::TimedOut { closing: true }));
    ev.wait_for("closed", closed(1, CloseReason::LocalClose));
    assert!(t.elapsed() >= Duration::from_millis(400), "{:?}", t.elapsed());
    stop(h, &mut ev);
}

#[test]
fn slow_close_holds_the_eof() {
    let (up, reads) = counting_server();
    let (h, mut ev, addr) = relay(up, &["up:slow-close=300ms"]);
    let mut c = client(addr);
    c.write_all(b"bye").unwrap();
    let t = Instant::now();
    c.shutdown(Shutdown::Write).unwrap();
    let (got, at) = reads.recv_timeout(LIMIT).unwrap();
    assert_eq!(got.concat(), b"bye");
    assert!(at - t >= Duration::from_millis(300), "{:?}", at - t);
    ev.wait_for("slow close", fault_row(FaultAction::SlowClose { ms: 300 }));
    ev.wait_for("closed", closed(1, CloseReason::PeerClosed));
    stop(h, &mut ev);
}

#[test]
fn disconnect_closes_one_and_unknown_ids_are_reported() {
    let up = server(1, upper);
    let (h, mut ev, addr) = relay(up, &[]);
    let mut c = client(addr);
    ev.wait_for("upstream", |e| matches!(e.kind, EventKind::UpstreamConnected { .. }));
    h.send(Command::Disconnect { conn: Some(7) }).unwrap();
    ev.wait_for("unknown", |e| e.kind == EventKind::Error(Problem::NoSuchConnection(7)));
    h.send(Command::Disconnect { conn: Some(1) }).unwrap();
    ev.wait_for("closed", closed(1, CloseReason::LocalClose));
    assert!(read_to_end(&mut c).is_empty());
    stop(h, &mut ev);
}

#[test]
fn an_injected_panic_stops_only_the_relay() {
    let up = server(1, upper);
    let (h, mut ev, _addr) = relay(up, &[]);
    h.send(Command::InjectPanic).unwrap();
    ev.wait_for("panicked", |e| matches!(e.kind, EventKind::Error(Problem::WorkerPanicked(_))));
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
}
