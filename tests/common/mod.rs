//! Helpers shared by the integration tests: collect a worker's events with time limits, wait for
//! a condition with a deadline, say why a test skips, and run the built binary (see [`bin`]);
//! free ports for tests that need a fixed one are in [`ports`].
#![allow(dead_code)]

pub mod bin;
pub mod ports;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use socklab::engine::tcp_client::TcpClientConfig;
use socklab::engine::tcp_server::TcpServerConfig;
use socklab::engine::{self, CloseReason, Command, Event, EventKind, EventSink, ReplyMode};

pub const LIMIT: Duration = Duration::from_secs(10);

/// A worker's event stream with everything seen so far.
pub struct Events {
    pub rx: Receiver<Event>,
    pub seen: Vec<Event>,
}

impl Events {
    pub fn new() -> (EventSink, Events) {
        let (sink, rx) = EventSink::channel(None);
        (sink, Events { rx, seen: Vec::new() })
    }

    /// Waits (at most `LIMIT`) for an event matching `f`, keeping all events seen.
    pub fn wait_for(&mut self, what: &str, f: impl Fn(&Event) -> bool) -> Event {
        if let Some(e) = self.seen.iter().find(|e| f(e)) {
            return e.clone();
        }
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(ev) => {
                    self.seen.push(ev.clone());
                    if f(&ev) {
                        return ev;
                    }
                }
                Err(_) => panic!("timed out waiting for {what}; saw {:#?}", self.seen),
            }
        }
    }

    pub fn listening(&mut self) -> SocketAddr {
        match self.wait_for("listening", |e| matches!(e.kind, EventKind::Listening { .. })).kind {
            EventKind::Listening { local } => local,
            _ => unreachable!(),
        }
    }

    /// All bytes received so far, in order.
    pub fn all_rx(&self) -> Vec<u8> {
        self.seen
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Rx { data, .. } => Some(data.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Collects received bytes until `n` bytes arrived (TCP may split or merge reads).
    pub fn rx_bytes(&mut self, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + LIMIT;
        loop {
            let got = self.all_rx();
            if got.len() >= n {
                return got;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(ev) => self.seen.push(ev),
                Err(_) => panic!(
                    "timed out waiting for {n} bytes, have {:?}; saw {:#?}",
                    String::from_utf8_lossy(&got),
                    self.seen
                ),
            }
        }
    }

    /// Drains whatever arrives within `d`.
    pub fn settle(&mut self, d: Duration) {
        let deadline = Instant::now() + d;
        while let Ok(ev) = self.rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            self.seen.push(ev);
        }
    }
}

/// Waits until `cond` holds, looking every 5 ms; panics naming `what` if it still does not hold
/// after `limit`. For tests that wait for something to happen instead of sleeping and hoping.
pub fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Says on stderr why a test (or a part of it) does not run here: `skipped: <reason>`.
pub fn skip(reason: impl std::fmt::Display) {
    eprintln!("skipped: {reason}");
}

pub fn is_error(e: &Event) -> bool {
    matches!(e.kind, EventKind::Error(_))
}

/// Runs a TCP session: upper-case server, a client that sends two messages, half-closes, and
/// sees the server close. Returns the server's and the client's events, and the server address.
pub fn tcp_session() -> (Vec<Event>, Vec<Event>, SocketAddr) {
    let (ssink, mut sev) = Events::new();
    let scfg = TcpServerConfig { bind: "127.0.0.1:0".into(), reply: ReplyMode::Upper, ..TcpServerConfig::default() };
    let srv = engine::tcp_server::spawn(scfg, ssink).unwrap();
    let addr = sev.listening();
    let (csink, mut cev) = Events::new();
    let ccfg =
        TcpClientConfig { connect: addr.to_string(), timeout: Duration::from_secs(5), ..TcpClientConfig::default() };
    let cli = engine::tcp_client::spawn(ccfg, csink).unwrap();
    cev.wait_for("connected", |e| matches!(e.kind, EventKind::Connected { .. }));
    cli.send(Command::Send { conn: None, data: b"hello ".to_vec() }).unwrap();
    assert_eq!(cev.rx_bytes(6), b"HELLO ");
    cli.send(Command::Send { conn: None, data: "你好".as_bytes().to_vec() }).unwrap();
    assert_eq!(cev.rx_bytes(12), "HELLO 你好".as_bytes());
    cli.send(Command::ShutdownWrite { conn: None }).unwrap();
    cev.wait_for("closed", |e| matches!(e.kind, EventKind::Closed { .. }));
    cev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    sev.wait_for("server side closed", |e| e.kind == EventKind::Closed { reason: CloseReason::PeerClosed });
    srv.request_stop();
    sev.wait_for("server stopped", |e| e.kind == EventKind::Stopped);
    (sev.seen, cev.seen, addr)
}
