//! The UDP relay over loopback: sessions, both directions, faults with their exact counts, idle
//! expiry, IPv6, and an upstream that is not there yet.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{Events, LIMIT};
use socklab::engine::relay::{self, FaultAction, Faults, RelayConfig, Rng};
use socklab::engine::{CloseReason, Command, Dir, Event, EventKind, Problem, Proto, WorkerHandle};

/// A relay on 127.0.0.1 (or `listen`) towards `upstream` with `faults` (as `--fault` specs).
fn relay_with(cfg: RelayConfig) -> (WorkerHandle, Events, SocketAddr) {
    let (sink, mut ev) = Events::new();
    let h = relay::start(RelayConfig { proto: Proto::Udp, ..cfg }, sink).unwrap();
    let addr = ev.listening();
    (h, ev, addr)
}

fn faults(specs: &[&str]) -> Faults {
    let mut f = Faults::default();
    for s in specs {
        relay::fault::parse(s, &mut f).unwrap();
    }
    f
}

fn relay(upstream: SocketAddr, specs: &[&str], seed: u64) -> (WorkerHandle, Events, SocketAddr) {
    relay_with(RelayConfig { upstream: upstream.to_string(), faults: faults(specs), seed, ..RelayConfig::default() })
}

/// Stops the relay; its own check of its counts (received = sent + dropped) held.
fn stop(h: &WorkerHandle, ev: &mut Events) {
    h.request_stop();
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    assert!(!ev.seen.iter().any(|e| matches!(e.kind, EventKind::Error(Problem::WorkerPanicked(_)))), "{:#?}", ev.seen);
}

/// Datagrams an upstream received, with when.
type Arrived = Vec<(Vec<u8>, Instant)>;

/// An upstream server thread: answers each datagram in upper case (`echo`) or just keeps it.
struct Upstream {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    got: Arc<Mutex<Arrived>>,
    thread: Option<JoinHandle<()>>,
}

impl Upstream {
    fn start(bind: &str, echo: bool) -> Upstream {
        Upstream::on(UdpSocket::bind(bind).unwrap(), echo)
    }

    fn on(sock: UdpSocket, echo: bool) -> Upstream {
        sock.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let addr = sock.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let got = Arc::new(Mutex::new(Vec::new()));
        let (flag, store) = (stop.clone(), got.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 65_536];
            let deadline = Instant::now() + Duration::from_secs(60);
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                if let Ok((n, from)) = sock.recv_from(&mut buf) {
                    store.lock().unwrap().push((buf[..n].to_vec(), Instant::now()));
                    if echo {
                        sock.send_to(&buf[..n].to_ascii_uppercase(), from).unwrap();
                    }
                }
            }
        });
        Upstream { addr, stop, got, thread: Some(thread) }
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    /// Waits until `n` datagrams arrived, then a little longer to see that no more come.
    fn wait_for(&self, n: usize) {
        common::wait_until(&format!("{n} datagrams upstream"), LIMIT, || self.count() >= n);
        std::thread::sleep(Duration::from_millis(150));
    }

    fn finish(mut self) -> Arrived {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap();
        std::mem::take(&mut *self.got.lock().unwrap())
    }
}

fn client() -> UdpSocket {
    let c = UdpSocket::bind("127.0.0.1:0").unwrap();
    c.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    c
}

/// Receives one datagram within `limit`, or `None`.
fn recv(c: &UdpSocket, limit: Duration) -> Option<Vec<u8>> {
    let deadline = Instant::now() + limit;
    let mut buf = vec![0u8; 65_536];
    while Instant::now() < deadline {
        if let Ok(n) = c.recv(&mut buf) {
            return Some(buf[..n].to_vec());
        }
    }
    None
}

fn relayed(e: &Event, dir: Dir) -> Option<&[u8]> {
    match &e.kind {
        EventKind::Relayed { dir: d, data, .. } if *d == dir => Some(data),
        _ => None,
    }
}

fn fault(e: &Event, dir: Dir) -> Option<&FaultAction> {
    match &e.kind {
        EventKind::Fault { dir: d, action, .. } if *d == dir => Some(action),
        _ => None,
    }
}

fn count(ev: &Events, f: impl Fn(&Event) -> bool) -> usize {
    ev.seen.iter().filter(|e| f(e)).count()
}

/// Waits until `n` events match `f`.
fn wait_count(ev: &mut Events, what: &str, n: usize, f: impl Fn(&Event) -> bool) {
    let deadline = Instant::now() + LIMIT;
    while count(ev, &f) < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match ev.rx.recv_timeout(left) {
            Ok(e) => ev.seen.push(e),
            Err(_) => panic!("timed out waiting for {n} × {what}; saw {:#?}", ev.seen),
        }
    }
}

#[test]
fn two_clients_chat_through_the_relay_and_each_gets_its_own_replies() {
    let up = Upstream::start("127.0.0.1:0", true);
    let (h, mut ev, addr) = relay(up.addr, &[], 1);
    let (a, b) = (client(), client());
    a.send_to(b"hello from a", addr).unwrap();
    assert_eq!(recv(&a, LIMIT).unwrap(), b"HELLO FROM A");
    b.send_to(b"hi from b", addr).unwrap();
    assert_eq!(recv(&b, LIMIT).unwrap(), b"HI FROM B");
    a.send_to(b"again a", addr).unwrap();
    assert_eq!(recv(&a, LIMIT).unwrap(), b"AGAIN A");
    assert_eq!(recv(&b, Duration::from_millis(200)), None, "b gets nothing of a's");
    wait_count(&mut ev, "relayed down", 3, |e| relayed(e, Dir::Down).is_some());
    let sessions: Vec<(u64, SocketAddr, SocketAddr)> = ev
        .seen
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::UpstreamConnected { local, upstream } => {
                assert!(local.ip().is_loopback() && local.port() != 0, "{local}");
                Some((e.conn.unwrap(), e.peer.unwrap(), upstream))
            }
            _ => None,
        })
        .collect();
    let (pa, pb) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    assert_eq!(sessions, [(1, pa, up.addr), (2, pb, up.addr)]);
    let rows: Vec<(Dir, u64, Vec<u8>)> = ev
        .seen
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Relayed { dir, data, upstream } => {
                assert_eq!(*upstream, up.addr);
                assert_eq!(e.local, Some(addr));
                Some((*dir, e.conn.unwrap(), data.clone()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        rows,
        [
            (Dir::Up, 1, b"hello from a".to_vec()),
            (Dir::Down, 1, b"HELLO FROM A".to_vec()),
            (Dir::Up, 2, b"hi from b".to_vec()),
            (Dir::Down, 2, b"HI FROM B".to_vec()),
            (Dir::Up, 1, b"again a".to_vec()),
            (Dir::Down, 1, b"AGAIN A".to_vec()),
        ]
    );
    assert_eq!(count(&ev, |e| matches!(e.kind, EventKind::Fault { .. } | EventKind::Error(_))), 0);
    stop(&h, &mut ev);
    assert_eq!(count(&ev, |e| e.kind == EventKind::Closed { reason: CloseReason::LocalClose }), 2);
    up.finish();
}

#[test]
fn full_loss_down_delivers_nothing_and_every_datagram_is_a_dropped_row() {
    let up = Upstream::start("127.0.0.1:0", true);
    let (h, mut ev, addr) = relay(up.addr, &["down:loss=100%"], 1);
    let c = client();
    for i in 0..5 {
        c.send_to(format!("ping {i}").as_bytes(), addr).unwrap();
    }
    wait_count(&mut ev, "relayed down", 5, |e| relayed(e, Dir::Down).is_some());
    wait_count(&mut ev, "dropped down", 5, |e| matches!(fault(e, Dir::Down), Some(FaultAction::Dropped { len: 6 })));
    assert_eq!(recv(&c, Duration::from_millis(300)), None);
    assert_eq!(count(&ev, |e| fault(e, Dir::Up).is_some()), 0);
    stop(&h, &mut ev);
    assert_eq!(up.finish().len(), 5, "up is untouched");
}

/// Sends 60 numbered datagrams through `up:loss=30%` with `seed`; returns the numbers dropped,
/// checking that received = sent + dropped exactly, from the events and from what arrived.
fn loss_run(seed: u64) -> Vec<u32> {
    const N: u32 = 60;
    let up = Upstream::start("127.0.0.1:0", false);
    let (h, mut ev, addr) = relay(up.addr, &["up:loss=30%"], seed);
    let c = client();
    for i in 0..N {
        c.send_to(format!("seq {i:03}").as_bytes(), addr).unwrap();
    }
    wait_count(&mut ev, "relayed up", N as usize, |e| relayed(e, Dir::Up).is_some());
    // Each datagram's fault row follows its Relayed row: they come from one thread, in order.
    let mut dropped = Vec::new();
    let mut last = None;
    let seq = |d: &[u8]| -> u32 { String::from_utf8_lossy(&d[4..]).parse().unwrap() };
    ev.settle(Duration::from_millis(50));
    for e in &ev.seen {
        if let Some(d) = relayed(e, Dir::Up) {
            last = Some(seq(d));
        }
        if let Some(FaultAction::Dropped { len }) = fault(e, Dir::Up) {
            assert_eq!(*len, 7);
            dropped.push(last.unwrap());
        }
    }
    up.wait_for(N as usize - dropped.len());
    let arrived = up.finish();
    let mut got: Vec<u32> = arrived.iter().map(|(d, _)| seq(d)).collect();
    got.sort_unstable();
    let mut all: Vec<u32> = got.iter().chain(&dropped).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..N).collect::<Vec<_>>(), "every datagram arrived or was dropped, never both");
    assert_eq!(count(&ev, |e| relayed(e, Dir::Up).is_some()), got.len() + dropped.len());
    stop(&h, &mut ev);
    dropped
}

#[test]
fn loss_with_a_seed_drops_the_same_datagrams_every_run() {
    let (a, b, c) = (loss_run(7), loss_run(7), loss_run(8));
    assert_eq!(a, b, "seed 7 twice");
    assert_ne!(a, c, "seed 8");
    assert!((5..=35).contains(&a.len()), "{} of 60 at 30%", a.len());
}

#[test]
fn duplicate_sends_twice_and_truncate_cuts() {
    let up = Upstream::start("127.0.0.1:0", false);
    let (h, mut ev, addr) = relay(up.addr, &["up:duplicate=100%", "up:truncate=10"], 1);
    let c = client();
    for i in 0..3u8 {
        c.send_to(&[b'a' + i; 100], addr).unwrap();
    }
    wait_count(&mut ev, "duplicated", 3, |e| matches!(fault(e, Dir::Up), Some(FaultAction::Duplicated { len: 10 })));
    assert_eq!(count(&ev, |e| matches!(fault(e, Dir::Up), Some(FaultAction::Truncated { from: 100, to: 10 }))), 3);
    assert!(ev.seen.iter().filter_map(|e| relayed(e, Dir::Up)).all(|d| d.len() == 100), "rows show what was read");
    up.wait_for(6);
    stop(&h, &mut ev);
    let got: Vec<Vec<u8>> = up.finish().into_iter().map(|(d, _)| d).collect();
    let want: Vec<Vec<u8>> = (0..3u8).flat_map(|i| [vec![b'a' + i; 10], vec![b'a' + i; 10]]).collect();
    assert_eq!(got, want);
}

#[test]
fn latency_delays_each_datagram() {
    let up = Upstream::start("127.0.0.1:0", false);
    let (h, mut ev, addr) = relay(up.addr, &["up:latency=200ms"], 1);
    let c = client();
    let t0 = Instant::now();
    c.send_to(b"slow", addr).unwrap();
    ev.wait_for("delayed", |e| fault(e, Dir::Up) == Some(&FaultAction::Delayed { ms: 200 }));
    up.wait_for(1);
    let got = up.finish();
    assert_eq!(got.len(), 1);
    let took = got[0].1 - t0;
    assert!(took >= Duration::from_millis(200), "arrived after {took:?}");
    assert!(took < Duration::from_secs(5), "arrived after {took:?}");
    stop(&h, &mut ev);
}

#[test]
fn reorder_holds_one_back_and_the_next_overtakes_it() {
    // A seed whose first reorder choice at 50% holds and whose second does not.
    let seed = (1..1000)
        .find(|s| {
            let mut r = Rng::new(*s);
            r.chance(0.5) && !r.chance(0.5)
        })
        .unwrap();
    let up = Upstream::start("127.0.0.1:0", false);
    let (h, mut ev, addr) = relay(up.addr, &["up:reorder=50%,delay=200ms"], seed);
    let c = client();
    c.send_to(b"first", addr).unwrap();
    ev.wait_for("reordered", |e| fault(e, Dir::Up) == Some(&FaultAction::Reordered { ms: 200 }));
    c.send_to(b"second", addr).unwrap();
    wait_count(&mut ev, "relayed", 2, |e| relayed(e, Dir::Up).is_some());
    up.wait_for(2);
    stop(&h, &mut ev);
    let got: Vec<Vec<u8>> = up.finish().into_iter().map(|(d, _)| d).collect();
    assert_eq!(got, [b"second".to_vec(), b"first".to_vec()]);
    assert_eq!(count(&ev, |e| fault(e, Dir::Up).is_some()), 1);
}

#[test]
fn idle_sessions_are_forgotten_and_the_client_gets_a_new_one() {
    let up = Upstream::start("127.0.0.1:0", true);
    let cfg = RelayConfig {
        upstream: up.addr.to_string(),
        idle_timeout: Duration::from_millis(300),
        ..RelayConfig::default()
    };
    let (h, mut ev, addr) = relay_with(cfg);
    let c = client();
    let t0 = Instant::now();
    c.send_to(b"one", addr).unwrap();
    assert_eq!(recv(&c, LIMIT).unwrap(), b"ONE");
    let closed = ev.wait_for("closed", |e| matches!(e.kind, EventKind::Closed { .. }));
    assert!(t0.elapsed() >= Duration::from_millis(300));
    assert_eq!((closed.conn, closed.peer), (Some(1), Some(c.local_addr().unwrap())));
    assert_eq!(closed.kind, EventKind::Closed { reason: CloseReason::LocalClose });
    c.send_to(b"two", addr).unwrap();
    assert_eq!(recv(&c, LIMIT).unwrap(), b"TWO");
    let again =
        ev.wait_for("second session", |e| e.conn == Some(2) && matches!(e.kind, EventKind::UpstreamConnected { .. }));
    assert_eq!(again.peer, Some(c.local_addr().unwrap()));
    stop(&h, &mut ev);
    up.finish();
}

#[test]
fn too_many_clients_is_said_once_per_client() {
    let up = Upstream::start("127.0.0.1:0", true);
    let cfg = RelayConfig { upstream: up.addr.to_string(), max_clients: 1, ..RelayConfig::default() };
    let (h, mut ev, addr) = relay_with(cfg);
    let (a, b) = (client(), client());
    a.send_to(b"a", addr).unwrap();
    assert_eq!(recv(&a, LIMIT).unwrap(), b"A");
    for _ in 0..3 {
        b.send_to(b"b", addr).unwrap();
    }
    ev.wait_for("too many", |e| e.kind == EventKind::Error(Problem::TooManyClients(1)));
    assert_eq!(recv(&b, Duration::from_millis(200)), None);
    a.send_to(b"a2", addr).unwrap();
    assert_eq!(recv(&a, LIMIT).unwrap(), b"A2");
    stop(&h, &mut ev);
    assert_eq!(count(&ev, |e| matches!(e.kind, EventKind::Error(_))), 1);
    up.finish();
}

#[test]
fn ipv6_client_side() {
    let Ok(probe) = UdpSocket::bind("[::1]:0") else {
        return common::skip("no IPv6 loopback");
    };
    drop(probe);
    let up = Upstream::start("127.0.0.1:0", true);
    let cfg = RelayConfig { listen: "[::1]:0".into(), upstream: up.addr.to_string(), ..RelayConfig::default() };
    let (h, mut ev, addr) = relay_with(cfg);
    assert!(addr.is_ipv6());
    let c = UdpSocket::bind("[::1]:0").unwrap();
    c.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    c.send_to(b"over six", addr).unwrap();
    assert_eq!(recv(&c, LIMIT).unwrap(), b"OVER SIX");
    let s = ev.wait_for("session", |e| matches!(e.kind, EventKind::UpstreamConnected { .. }));
    assert_eq!(s.peer, Some(c.local_addr().unwrap()));
    stop(&h, &mut ev);
    up.finish();
}

#[test]
fn an_upstream_not_there_yet_is_nobody_listening_then_works() {
    let port = common::ports::free_port();
    let upstream: SocketAddr = ([127, 0, 0, 1], port).into();
    let (h, mut ev, addr) = relay(upstream, &[], 1);
    let c = client();
    c.send_to(b"anyone?", addr).unwrap();
    let e = ev.wait_for("nobody listening", |e| e.kind == EventKind::Error(Problem::NobodyListening(upstream)));
    assert_eq!((e.conn, e.peer), (Some(1), Some(c.local_addr().unwrap())));
    let up = Upstream::on(UdpSocket::bind(upstream).unwrap(), true);
    let deadline = Instant::now() + LIMIT;
    let reply = loop {
        assert!(Instant::now() < deadline, "no reply once the server is up");
        c.send_to(b"now?", addr).unwrap();
        if let Some(r) = recv(&c, Duration::from_millis(200)) {
            break r;
        }
    };
    assert_eq!(reply, b"NOW?");
    assert!(!ev.seen.iter().any(|e| e.kind == EventKind::Stopped));
    stop(&h, &mut ev);
    up.finish();
}

#[test]
fn a_bad_upstream_stops_the_relay_with_an_error() {
    let (sink, mut ev) = Events::new();
    let cfg = RelayConfig { proto: Proto::Udp, upstream: "127.0.0.1".into(), ..RelayConfig::default() };
    let _h = relay::start(cfg, sink).unwrap();
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    assert!(ev.seen.iter().any(|e| e.kind == EventKind::Error(Problem::MissingPort("127.0.0.1".into()))));
}

#[test]
fn set_faults_changes_a_running_relay() {
    let up = Upstream::start("127.0.0.1:0", true);
    let (h, mut ev, addr) = relay(up.addr, &[], 1);
    let c = client();
    c.send_to(b"clear", addr).unwrap();
    assert_eq!(recv(&c, LIMIT).unwrap(), b"CLEAR");
    h.send(Command::SetFaults(Box::new(faults(&["down:loss=100%"])))).unwrap();
    // The command is taken before the next datagram read after it; bounded retries.
    let deadline = Instant::now() + LIMIT;
    while count(&ev, |e| matches!(fault(e, Dir::Down), Some(FaultAction::Dropped { .. }))) == 0 {
        assert!(Instant::now() < deadline, "loss never applied");
        c.send_to(b"lost?", addr).unwrap();
        ev.settle(Duration::from_millis(100));
    }
    while recv(&c, Duration::from_millis(100)).is_some() {}
    c.send_to(b"lost!", addr).unwrap();
    assert_eq!(recv(&c, Duration::from_millis(300)), None);
    // A fault of the other protocol is refused, and the old faults stay.
    h.send(Command::SetFaults(Box::new(faults(&["up:slice=8"])))).unwrap();
    ev.wait_for("refused", |e| matches!(e.kind, EventKind::Error(Problem::FaultSpec(_))));
    stop(&h, &mut ev);
    up.finish();
}

#[test]
fn an_injected_panic_stops_only_the_relay() {
    let up = Upstream::start("127.0.0.1:0", true);
    let (h, mut ev, _addr) = relay(up.addr, &[], 1);
    h.send(Command::InjectPanic).unwrap();
    ev.wait_for("panicked", |e| matches!(e.kind, EventKind::Error(Problem::WorkerPanicked(_))));
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    up.finish();
}

#[test]
fn bandwidth_paces_and_what_waits_is_bounded() {
    let up = Upstream::start("127.0.0.1:0", false);
    let (h, mut ev, addr) = relay(up.addr, &["up:bandwidth=1k"], 1);
    let c = client();
    let t0 = Instant::now();
    for i in 0..5u8 {
        c.send_to(&[i; 128], addr).unwrap();
    }
    up.wait_for(5);
    let got = up.finish();
    // 128 bytes at 1024 B/s: one each 125 ms, the first at once.
    let last = got[4].1 - t0;
    assert!(last >= Duration::from_millis(500), "the fifth after {last:?}");
    assert!(last < Duration::from_secs(5), "the fifth after {last:?}");
    assert_eq!(got.iter().map(|(d, _)| d[0]).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    wait_count(&mut ev, "relayed", 5, |e| relayed(e, Dir::Up).is_some());
    ev.settle(Duration::from_millis(50));
    let waits: Vec<u64> = ev
        .seen
        .iter()
        .filter_map(|e| match fault(e, Dir::Up) {
            Some(FaultAction::Throttled { ms }) => Some(*ms),
            _ => None,
        })
        .collect();
    assert_eq!(waits.len(), 4, "{waits:?}");
    assert!(waits.windows(2).all(|w| w[0] < w[1]) && waits[3] <= 500, "{waits:?}");
    stop(&h, &mut ev);

    // A 300-byte buffer holds two waiting datagrams: the rest are dropped, like a router's.
    let up = Upstream::start("127.0.0.1:0", false);
    let cfg = RelayConfig {
        upstream: up.addr.to_string(),
        faults: faults(&["up:bandwidth=1k"]),
        buffer: 300,
        ..RelayConfig::default()
    };
    let (h, mut ev, addr) = relay_with(cfg);
    for i in 0..6u8 {
        c.send_to(&[i; 128], addr).unwrap();
    }
    wait_count(&mut ev, "relayed", 6, |e| relayed(e, Dir::Up).is_some());
    up.wait_for(3);
    stop(&h, &mut ev);
    let got: Vec<u8> = up.finish().iter().map(|(d, _)| d[0]).collect();
    assert_eq!(got, [0, 1, 2]);
    assert_eq!(count(&ev, |e| matches!(fault(e, Dir::Up), Some(FaultAction::Dropped { len: 128 }))), 3);
}

#[test]
fn the_rows_tell_what_arrived_both_ways() {
    let up = Upstream::start("127.0.0.1:0", true);
    let specs = ["both:loss=20%", "both:duplicate=20%", "both:latency=10ms,jitter=10ms", "down:reorder=20%,delay=15ms"];
    let (h, mut ev, addr) = relay(up.addr, &specs, 42);
    let c = client();
    for i in 0..40 {
        c.send_to(format!("m{i}").as_bytes(), addr).unwrap();
    }
    let rows = |ev: &Events, dir: Dir| {
        let relayed_n = count(ev, |e| relayed(e, dir).is_some());
        let dropped = count(ev, |e| matches!(fault(e, dir), Some(FaultAction::Dropped { .. })));
        let dups = count(ev, |e| matches!(fault(e, dir), Some(FaultAction::Duplicated { .. })));
        (relayed_n, dropped, dups)
    };
    wait_count(&mut ev, "relayed up", 40, |e| relayed(e, Dir::Up).is_some());
    ev.settle(Duration::from_millis(50));
    let (r, d, x) = rows(&ev, Dir::Up);
    let at_upstream = r - d + x;
    up.wait_for(at_upstream);
    assert_eq!(up.count(), at_upstream, "up: {r} relayed, {d} dropped, {x} duplicated");
    wait_count(&mut ev, "relayed down", at_upstream, |e| relayed(e, Dir::Down).is_some());
    // Held datagrams go within 35 ms; then every row is in.
    std::thread::sleep(Duration::from_millis(200));
    ev.settle(Duration::from_millis(50));
    let (r, d, x) = rows(&ev, Dir::Down);
    let mut at_client = 0;
    while recv(&c, Duration::from_millis(100)).is_some() {
        at_client += 1;
    }
    assert_eq!(at_client, r - d + x, "down: {r} relayed, {d} dropped, {x} duplicated");
    stop(&h, &mut ev);
    up.finish();
}
