//! The relay (issue 17) with peers it did not write, and under abuse: the tutorial's Python
//! programs (tests/peers/), socat and nc through `socklab relay`, IPv6, an upstream that
//! vanishes mid-stream, hundreds of idle clients, thousands of short connections and a client
//! that never reads. All over loopback, every wait bounded in time. A test whose tool is missing
//! says so and skips.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

mod common;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command as Proc, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use common::bin::{JsonReader, exits_within, peer, socklab, spawn_json};
use common::{Events, LIMIT};
use socklab::engine::relay::{RelayConfig, start};
use socklab::engine::{CloseReason, Dir, Event, EventKind, Proto, WorkerHandle};

fn have(tool: &str) -> bool {
    common::bin::have(tool, "this test")
}

/// Starts a Python peer from tests/peers/ that prints its port on the first line.
fn python_server(script: &str, args: &[&str]) -> (Child, u16) {
    let mut child =
        Proc::new("python3").arg(peer(script)).args(args).stdout(Stdio::piped()).spawn().expect("python3 runs");
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("port line");
    let port = line.trim().parse().expect("a port number");
    (child, port)
}

/// Waits (10 s at most) for a peer to exit by itself, successfully.
fn wait_ok(child: &mut Child, what: &str) {
    let status = exits_within(child, Duration::from_secs(10), what);
    assert!(status.success(), "{what} failed: {status}");
}

/// A relay worker (the engine, no CLI) towards `upstream`.
fn relay_cfg(cfg: RelayConfig) -> (WorkerHandle, Events, SocketAddr) {
    let (sink, mut ev) = Events::new();
    let h = start(cfg, sink).unwrap();
    let addr = ev.listening();
    (h, ev, addr)
}

fn relay(upstream: SocketAddr) -> (WorkerHandle, Events, SocketAddr) {
    relay_cfg(RelayConfig { upstream: upstream.to_string(), ..RelayConfig::default() })
}

/// Stops the relay and waits for its `Stopped` (and its thread).
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

fn is_closed(e: &Event) -> bool {
    matches!(e.kind, EventKind::Closed { .. })
}

fn closed_of(conn: u64) -> impl Fn(&Event) -> bool {
    move |e| e.conn == Some(conn) && is_closed(e)
}

/// Keeps receiving events (at most `limit`) until `count` of those seen match `f`.
fn wait_count(ev: &mut Events, what: &str, limit: Duration, count: usize, f: impl Fn(&Event) -> bool) {
    let deadline = Instant::now() + limit;
    while ev.seen.iter().filter(|e| f(e)).count() < count {
        let left = deadline.saturating_duration_since(Instant::now());
        match ev.rx.recv_timeout(left) {
            Ok(e) => ev.seen.push(e),
            Err(_) => panic!(
                "timed out after {limit:?} waiting for {count} {what}, have {}",
                ev.seen.iter().filter(|e| f(e)).count()
            ),
        }
    }
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

/// Writes `msg` on a thread of its own, half-closes, and reads everything the other side sends
/// until it closes (so a big message cannot dead-lock against a server that answers as it reads).
fn exchange(s: &mut TcpStream, msg: &[u8]) -> std::io::Result<Vec<u8>> {
    let writer = {
        let mut w = s.try_clone()?;
        let msg = msg.to_vec();
        std::thread::spawn(move || -> std::io::Result<()> {
            w.write_all(&msg)?;
            w.shutdown(Shutdown::Write)
        })
    };
    let mut got = Vec::new();
    let read = s.read_to_end(&mut got);
    writer.join().unwrap()?;
    read.map(|_| got)
}

/// Every byte value, over and over: `n` bytes.
fn all_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 256) as u8).collect()
}

/// The tutorial's upper-case server as a std thread: recv, send it back upper-cased, until EOF.
fn upper(mut s: TcpStream) {
    let mut buf = [0u8; 4096];
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

/// A server on `bind` that hands its `i`-th client (from 0) to `handler(i, stream)` on a
/// thread of its own, for its first `n` clients (or until nobody connects for 30 s).
fn server(bind: &str, n: usize, handler: impl Fn(usize, TcpStream) + Send + Sync + 'static) -> SocketAddr {
    let l = TcpListener::bind(bind).unwrap();
    let addr = l.local_addr().unwrap();
    l.set_nonblocking(true).unwrap();
    let handler = Arc::new(handler);
    std::thread::spawn(move || {
        let mut i = 0;
        let mut idle_until = Instant::now() + Duration::from_secs(30);
        while i < n && Instant::now() < idle_until {
            match l.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false).unwrap();
                    s.set_read_timeout(Some(LIMIT)).unwrap();
                    s.set_write_timeout(Some(LIMIT)).unwrap();
                    let h = handler.clone();
                    std::thread::spawn(move || h(i, s));
                    i += 1;
                    idle_until = Instant::now() + Duration::from_secs(30);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(1)),
                Err(e) => panic!("accept: {e}"),
            }
        }
    });
    addr
}

// 1. The tutorial's upper-case server and its threaded hello server with its own client.

#[test]
fn tutorial_upper_server_through_the_relay_is_byte_exact() {
    if !have("python3") {
        return;
    }
    let (mut py, port) = python_server("upper_server.py", &[]);
    let (h, mut ev, addr) = relay(SocketAddr::from(([127, 0, 0, 1], port)));
    let msg = all_bytes(200_000);
    let mut c = client(addr);
    let got = exchange(&mut c, &msg).unwrap();
    assert_eq!(got.len(), msg.len());
    assert!(got == msg.to_ascii_uppercase(), "byte-exact through the relay and the tutorial's server");
    wait_ok(&mut py, "upper_server.py");
    ev.wait_for("closed", |e| e.conn == Some(1) && e.kind == EventKind::Closed { reason: CloseReason::PeerClosed });
    assert_eq!((relayed_bytes(&ev, Dir::Up), relayed_bytes(&ev, Dir::Down)), (200_000, 200_000));
    assert!(!ev.seen.iter().any(common::is_error), "{:#?}", ev.seen);
    stop(h, &mut ev);
}

#[test]
fn three_tutorial_hello_clients_at_once_through_the_relay_to_the_tutorial_hello_server() {
    if !have("python3") {
        return;
    }
    let (mut py, port) = python_server("hello_server.py", &["3"]);
    let (h, mut ev, addr) = relay(SocketAddr::from(([127, 0, 0, 1], port)));
    let clients: Vec<Child> = (0..3)
        .map(|_| {
            Proc::new("python3")
                .arg(peer("hello_client.py"))
                .arg(addr.port().to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in clients {
        exits_within(&mut c, Duration::from_secs(15), "hello_client.py");
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "welcome!\nhello, Michael!\nhello, Tracy!\nhello, Sarah!\nafter exit: b''\n"
        );
    }
    wait_ok(&mut py, "hello_server.py");
    wait_count(&mut ev, "closed connections", LIMIT, 3, is_closed);
    assert!(!ev.seen.iter().any(common::is_error), "{:#?}", ev.seen);
    stop(h, &mut ev);
}

// 2. The threaded hello server and a client that half-closes.

#[test]
fn a_half_closing_client_gets_the_hello_servers_whole_reply_through_the_relay() {
    if !have("python3") {
        return;
    }
    let (mut py, port) = python_server("hello_server.py", &["2"]);
    let (h, mut ev, addr) = relay(SocketAddr::from(([127, 0, 0, 1], port)));
    // Says its name and half-closes at once: the server answers it, then sees recv() == b''.
    let mut c = client(addr);
    assert_eq!(exchange(&mut c, b"Bob").unwrap(), b"welcome!hello, Bob!");
    ev.wait_for("closed", |e| e.conn == Some(1) && e.kind == EventKind::Closed { reason: CloseReason::PeerClosed });
    // Half-closes without a word: the welcome still comes whole.
    let mut c = client(addr);
    assert_eq!(exchange(&mut c, b"").unwrap(), b"welcome!");
    ev.wait_for("closed", |e| e.conn == Some(2) && e.kind == EventKind::Closed { reason: CloseReason::PeerClosed });
    wait_ok(&mut py, "hello_server.py");
    stop(h, &mut ev);
}

// 3. socat as the server, nc as the client, `socklab relay` between.

#[test]
fn nc_through_socklab_relay_to_socat_is_byte_exact() {
    if !have("socat") || !have("nc") {
        return;
    }
    let port = common::ports::free_port();
    let mut socat = Proc::new("socat")
        .arg(format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"))
        .arg("EXEC:tr a-z A-Z")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // socat listens once a connect works (that probe costs one tr that ends at once).
    common::wait_until("socat listening", LIMIT, || TcpStream::connect(("127.0.0.1", port)).is_ok());
    let (mut relay, first, out) = spawn_json(
        socklab()
            .args(["relay", "--listen", "127.0.0.1:0", "--to", &format!("127.0.0.1:{port}")])
            .args(["--json", "--duration", "30"])
            .stderr(Stdio::null()),
    );
    assert_eq!(first["event"], "listening", "{first}");
    let listen: SocketAddr = first["local"].as_str().unwrap().parse().unwrap();
    let mut r = JsonReader::new(out);

    let mut msg = Vec::new();
    for i in 0..2_000 {
        msg.extend_from_slice(format!("line {i}: the quick brown fox, 你好, é\n").as_bytes());
    }
    let mut nc = Proc::new("nc")
        .args(["-N", "127.0.0.1", &listen.port().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = nc.stdin.take().unwrap();
    let mut stdout = nc.stdout.take().unwrap();
    let writer = {
        let msg = msg.clone();
        std::thread::spawn(move || {
            stdin.write_all(&msg).unwrap();
            // dropping stdin is nc's EOF: -N half-closes the socket
        })
    };
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let status = exits_within(&mut nc, Duration::from_secs(15), "nc");
    writer.join().unwrap();
    let got = reader.join().unwrap();
    assert!(status.success(), "nc: {status}");
    assert_eq!(got.len(), msg.len());
    assert!(got == msg.to_ascii_uppercase(), "byte-exact: nc ⇄ socklab relay ⇄ socat tr");
    let closed = r.wait_for("closed row", LIMIT, |v| v["event"] == "closed" && v["conn"] == 1);
    assert_eq!(closed["reason"], "peer_closed", "{closed}");
    let up: usize = r
        .seen
        .iter()
        .filter(|v| v["event"] == "relayed" && v["dir"] == "up" && v["conn"] == 1)
        .map(|v| v["len"].as_u64().unwrap() as usize)
        .sum();
    assert_eq!(up, msg.len(), "every byte up is in a relayed row");
    let _ = relay.kill();
    let _ = relay.wait();
    let _ = socat.kill();
    let _ = socat.wait();
}

// 4. UDP: the tutorial's chat program, twice at once, through the UDP relay.

#[test]
fn udp_replies_through_the_relay_reach_the_right_one_of_two_tutorial_chat_clients() {
    if !have("python3") {
        return;
    }
    let up = UdpSocket::bind("127.0.0.1:0").unwrap();
    up.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    let up_addr = up.local_addr().unwrap();
    let (h, mut ev, addr) =
        relay_cfg(RelayConfig { upstream: up_addr.to_string(), proto: Proto::Udp, ..RelayConfig::default() });
    let chat = |msg: &str| {
        Proc::new("python3")
            .arg(peer("udp_chat.py"))
            .args([&addr.port().to_string(), msg, "utf-8"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let alice = chat("alice says hi");
    let bob = chat("bob says 你好");
    // The upstream waits for both, then answers in the other order: each session must route
    // its own reply back.
    let mut got: Vec<(Vec<u8>, SocketAddr)> = Vec::new();
    let deadline = Instant::now() + LIMIT;
    let mut buf = [0u8; 2048];
    while got.len() < 2 {
        assert!(Instant::now() < deadline, "the upstream got only {got:?}");
        if let Ok((n, from)) = up.recv_from(&mut buf) {
            got.push((buf[..n].to_vec(), from));
        }
    }
    assert_ne!(got[0].1, got[1].1, "each client has its own upstream socket");
    for (data, from) in got.iter().rev() {
        up.send_to(&data.to_ascii_uppercase(), from).unwrap();
    }
    for (mut c, want) in [(alice, "ALICE SAYS HI"), (bob, "BOB SAYS 你好")] {
        exits_within(&mut c, Duration::from_secs(15), "udp_chat.py");
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("127.0.0.1({})>>>{want}", addr.port()));
    }
    wait_count(&mut ev, "relayed datagrams", LIMIT, 4, |e| matches!(e.kind, EventKind::Relayed { .. }));
    assert_eq!(relayed_bytes(&ev, Dir::Up), relayed_bytes(&ev, Dir::Down));
    stop(h, &mut ev);
}

// 5. IPv6 on both sides.

#[test]
fn ipv6_on_both_sides_of_the_relay() {
    if TcpListener::bind("[::1]:0").is_err() {
        common::skip("no IPv6 loopback");
        return;
    }
    let up = server("[::1]:0", 2, |_, s| upper(s));
    let (h, mut ev, addr) =
        relay_cfg(RelayConfig { listen: "[::1]:0".into(), upstream: up.to_string(), ..RelayConfig::default() });
    assert!(addr.is_ipv6(), "{addr}");
    for id in 1..=2u64 {
        let msg = all_bytes(100_000);
        let mut c = client(addr);
        let me = c.local_addr().unwrap();
        assert!(exchange(&mut c, &msg).unwrap() == msg.to_ascii_uppercase(), "byte-exact over ::1");
        ev.wait_for("closed", closed_of(id));
        let u =
            ev.wait_for("upstream", |e| e.conn == Some(id) && matches!(e.kind, EventKind::UpstreamConnected { .. }));
        assert!(matches!(u.kind, EventKind::UpstreamConnected { upstream, .. } if upstream == up), "{u:?}");
        assert_eq!(u.peer, Some(me), "the client, as an IPv6 address");
    }
    assert!(!ev.seen.iter().any(common::is_error), "{:#?}", ev.seen);
    stop(h, &mut ev);
}

// 6. The upstream vanishes mid-stream.

/// The client's end of a connection whose upstream vanished: EOF or a reset, never a hang.
fn sees_eof_or_reset(c: &mut TcpStream) {
    let mut buf = [0u8; 65_536];
    let deadline = Instant::now() + LIMIT;
    loop {
        assert!(Instant::now() < deadline, "the client still has a connection");
        match c.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted) => return,
            Err(e) => panic!("the client should see EOF or a reset, not {e}"),
        }
    }
}

#[test]
fn an_upstream_that_drops_mid_stream_closes_that_connection_and_the_relay_serves_on() {
    // Client 0's server reads 1000 bytes and drops its socket (unread bytes left: a reset);
    // client 1's server is the upper-case one.
    let up = server("127.0.0.1:0", 2, |i, mut s| {
        if i == 0 {
            let mut some = [0u8; 1000];
            s.read_exact(&mut some).unwrap();
        } else {
            upper(s);
        }
    });
    let (h, mut ev, addr) = relay(up);
    let mut c = client(addr);
    let writer = {
        let mut w = c.try_clone().unwrap();
        std::thread::spawn(move || {
            let chunk = [b'x'; 16_384];
            let deadline = Instant::now() + LIMIT;
            // keeps sending until the relay gives up on it (bounded: 10 s, 64 MiB)
            for _ in 0..4096 {
                if Instant::now() > deadline || w.write_all(&chunk).is_err() {
                    return;
                }
            }
        })
    };
    sees_eof_or_reset(&mut c);
    writer.join().unwrap();
    let closed = ev.wait_for("conn 1 closed", closed_of(1));
    assert!(
        matches!(closed.kind, EventKind::Closed { reason: CloseReason::PeerClosed | CloseReason::Reset }),
        "{closed:?}"
    );
    assert!(relayed_bytes(&ev, Dir::Up) >= 1000);
    drop(c);

    let mut c = client(addr);
    assert_eq!(exchange(&mut c, b"still here").unwrap(), b"STILL HERE");
    ev.wait_for("conn 2 closed", |e| {
        e.conn == Some(2) && e.kind == EventKind::Closed { reason: CloseReason::PeerClosed }
    });
    stop(h, &mut ev);
}

#[test]
fn a_killed_tutorial_server_closes_its_connection_and_the_next_client_is_refused_cleanly() {
    if !have("python3") {
        return;
    }
    let (mut py, port) = python_server("upper_server.py", &[]);
    let (h, mut ev, addr) = relay(SocketAddr::from(([127, 0, 0, 1], port)));
    let mut c = client(addr);
    c.write_all(b"before the kill").unwrap();
    let mut got = [0u8; 15];
    c.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"BEFORE THE KILL");
    py.kill().unwrap();
    py.wait().unwrap();
    sees_eof_or_reset(&mut c);
    // A killed process's socket sends FIN (nothing was left unread), which the relay passes on
    // as a half-close; the connection ends when the client, having seen EOF, closes too.
    drop(c);
    ev.wait_for("conn 1 closed", closed_of(1));
    // Nobody listens upstream any more: the relay still accepts, fails that connect, and closes
    // the client instead of leaving it hanging.
    let mut c2 = client(addr);
    sees_eof_or_reset(&mut c2);
    let closed = ev.wait_for("conn 2 closed", closed_of(2));
    assert_eq!(closed.kind, EventKind::Closed { reason: CloseReason::Failed });
    stop(h, &mut ev);
}

// 7. Abuse.

#[test]
fn two_hundred_idle_clients_do_not_stop_a_good_one_and_stop_is_prompt() {
    const IDLE: usize = 200;
    let up = server("127.0.0.1:0", IDLE + 1, |_, s| upper(s));
    let (h, mut ev, addr) = relay(up);
    let idle: Vec<TcpStream> = (0..IDLE).map(|_| client(addr)).collect();
    wait_count(&mut ev, "upstream connections", LIMIT, IDLE, |e| matches!(e.kind, EventKind::UpstreamConnected { .. }));
    let msg = all_bytes(100_000);
    let mut good = client(addr);
    assert!(exchange(&mut good, &msg).unwrap() == msg.to_ascii_uppercase(), "the good client's exchange");
    let good_id = (IDLE + 1) as u64;
    ev.wait_for("the good one closed", |e| {
        e.conn == Some(good_id) && e.kind == EventKind::Closed { reason: CloseReason::PeerClosed }
    });
    let asked = Instant::now();
    let mut h = h;
    h.request_stop();
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    h.join();
    assert!(asked.elapsed() < Duration::from_secs(5), "Stop took {:?} with {IDLE} idle clients", asked.elapsed());
    let local_closes =
        ev.seen.iter().filter(|e| e.kind == EventKind::Closed { reason: CloseReason::LocalClose }).count();
    assert_eq!(local_closes, IDLE, "every idle connection closed by Stop");
    for mut c in idle {
        sees_eof_or_reset(&mut c);
    }
}

#[test]
fn two_thousand_short_connections_through_the_relay_all_work_and_all_close() {
    // 2,000 connections, 4 client threads of 500 each: a few seconds in a debug build on two
    // cores (each is connect, send, half-close, read the reply, close).
    const THREADS: usize = 4;
    const EACH: usize = 500;
    const TOTAL: usize = THREADS * EACH;
    let up = server("127.0.0.1:0", TOTAL, |_, mut s| {
        let mut got = Vec::new();
        if s.read_to_end(&mut got).is_ok() {
            let _ = s.write_all(&got.to_ascii_uppercase());
        }
    });
    let (h, mut ev, addr) = relay(up);
    let started = Instant::now();
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                for i in 0..EACH {
                    let msg = format!("short connection {t}-{i}");
                    let r = TcpStream::connect(addr).and_then(|mut c| {
                        c.set_read_timeout(Some(LIMIT))?;
                        c.write_all(msg.as_bytes())?;
                        c.shutdown(Shutdown::Write)?;
                        let mut got = Vec::new();
                        c.read_to_end(&mut got)?;
                        Ok(got)
                    });
                    match r {
                        Ok(got) if got == msg.to_ascii_uppercase().as_bytes() => {}
                        other => failures.push(format!("{msg}: {other:?}")),
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert!(failures.is_empty(), "{} failures, first: {:?}", failures.len(), failures.first());
    wait_count(&mut ev, "closed connections", Duration::from_secs(30), TOTAL, is_closed);
    let peer_closed =
        ev.seen.iter().filter(|e| e.kind == EventKind::Closed { reason: CloseReason::PeerClosed }).count();
    assert_eq!(peer_closed, TOTAL, "each closed once, by its peers");
    assert!(!ev.seen.iter().any(common::is_error), "{:?}", ev.seen.iter().find(|e| common::is_error(e)));
    eprintln!("{TOTAL} short connections in {:?}", started.elapsed());
    stop(h, &mut ev);
}

#[test]
fn a_client_that_never_reads_while_the_server_floods_does_not_stall_the_relay() {
    let stop_flood = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicU64::new(0));
    let (flood_done_tx, flood_done) = mpsc::channel();
    let up = {
        let (stop_flood, written) = (stop_flood.clone(), written.clone());
        server("127.0.0.1:0", 2, move |i, mut s| {
            if i > 0 {
                return upper(s);
            }
            // The flood: 64 KiB at a time until the other side goes (or 30 s).
            s.set_write_timeout(Some(Duration::from_millis(100))).unwrap();
            let chunk = vec![b'f'; 65_536];
            let deadline = Instant::now() + Duration::from_secs(30);
            while !stop_flood.load(Ordering::Relaxed) && Instant::now() < deadline {
                match s.write(&chunk) {
                    Ok(n) => {
                        written.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                    Err(_) => break,
                }
            }
            let _ = flood_done_tx.send(());
        })
    };
    let (h, mut ev, addr) = relay(up);
    let sink = client(addr); // never reads
    wait_count(&mut ev, "the flood starting", LIMIT, 1, |e| {
        matches!(e.kind, EventKind::Relayed { dir: Dir::Down, .. })
    });
    // Back-pressure: the relay stops reading the flood once its buffer and the client's socket
    // are full, so the server's writes stall (instead of the relay buffering without end).
    let mut last = u64::MAX;
    common::wait_until("the flood stalls", Duration::from_secs(15), || {
        std::thread::sleep(Duration::from_millis(300));
        let now = written.load(Ordering::Relaxed);
        std::mem::replace(&mut last, now) == now
    });
    assert!(last < 256 << 20, "the relay took {last} bytes from the flood without the client reading");
    // Another client still gets through.
    let msg = all_bytes(50_000);
    let mut good = client(addr);
    assert!(exchange(&mut good, &msg).unwrap() == msg.to_ascii_uppercase(), "the other client's exchange");
    ev.wait_for("the good one closed", |e| {
        e.conn == Some(2) && e.kind == EventKind::Closed { reason: CloseReason::PeerClosed }
    });
    // The never-reading client goes: its connection closes and the flood ends.
    drop(sink);
    ev.wait_for("the flood connection closed", closed_of(1));
    stop_flood.store(true, Ordering::Relaxed);
    flood_done.recv_timeout(LIMIT).expect("the flood thread ends");
    stop(h, &mut ev);
}
