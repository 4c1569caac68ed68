//! Helpers shared by the integration tests: collect a worker's events with time limits.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use socklab::engine::{Event, EventKind, EventSink};

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

    /// Collects received bytes until `n` bytes arrived (TCP may split or merge reads).
    pub fn rx_bytes(&mut self, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + LIMIT;
        loop {
            let got: Vec<u8> = self
                .seen
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::Rx { data, .. } => Some(data.clone()),
                    _ => None,
                })
                .flatten()
                .collect();
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

pub fn is_error(e: &Event) -> bool {
    matches!(e.kind, EventKind::Error(_))
}
