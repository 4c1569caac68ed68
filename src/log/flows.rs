//! Per-flow counters with a bound on how many flows are remembered. Flows live in two
//! least-recently-active lists, one for open TCP connections and one for everything else, so
//! that forgetting a flow is O(1) whatever the mix (a linked list in a slab, indexed by a hash
//! map): no event ever looks at more than a few flows.

#![allow(
    clippy::indexing_slicing,
    reason = "slab indices come from the free list or the map and are always below nodes.len()"
)]

use rustc_hash::FxHashMap;

use super::{Counters, FlowKey};
use crate::engine::Event;

/// Flows whose counters are kept; past this the least recently active flows that are not open
/// TCP connections are forgotten first (a UDP flood from random ports must not grow memory).
pub const MAX_FLOWS: usize = 65_536;

/// Open TCP connections whose counters are kept even past [`MAX_FLOWS`]; past this (a capture
/// with this many connections that never close) the least recently active ones are forgotten
/// too. About 150 bytes each: 256 Ki connections cost about 40 MiB.
pub const MAX_OPEN_FLOWS: usize = 262_144;

const NIL: u32 = u32::MAX;

#[derive(Debug)]
struct Node {
    key: FlowKey,
    counters: Counters,
    prev: u32,
    next: u32,
    open: bool,
}

/// A doubly linked list threaded through the slab: oldest at `head`.
#[derive(Debug)]
struct List {
    head: u32,
    tail: u32,
    len: usize,
}

impl Default for List {
    fn default() -> Self {
        List { head: NIL, tail: NIL, len: 0 }
    }
}

/// The counters of every remembered flow.
#[derive(Debug)]
pub struct FlowTable {
    index: FxHashMap<FlowKey, u32>,
    nodes: Vec<Node>,
    free: Vec<u32>,
    idle: List,
    open: List,
    max_flows: usize,
    max_open: usize,
    forgotten: u64,
    forgotten_open: u64,
    /// Flows looked at to find ones to forget: each is forgotten, so this equals `forgotten`,
    /// kept apart as the measure of the bound's cost.
    probes: u64,
}

impl Default for FlowTable {
    fn default() -> Self {
        FlowTable::with_limits(MAX_FLOWS, MAX_OPEN_FLOWS)
    }
}

impl FlowTable {
    /// A table keeping at most `max_flows` flows, of which open connections may exceed it up to
    /// `max_open` (each limit at least 1).
    pub fn with_limits(max_flows: usize, max_open: usize) -> FlowTable {
        FlowTable {
            index: FxHashMap::default(),
            nodes: Vec::new(),
            free: Vec::new(),
            idle: List::default(),
            open: List::default(),
            max_flows: max_flows.max(1),
            max_open: max_open.max(1),
            forgotten: 0,
            forgotten_open: 0,
            probes: 0,
        }
    }

    /// Counts an event in its flow (if it has one), then forgets flows past the limits.
    pub fn apply(&mut self, event: &Event) {
        let Some(key) = FlowKey::of(event) else { return };
        let i = match self.index.get(&key) {
            Some(&i) => {
                self.unlink(i);
                i
            }
            None => {
                let node = Node { key, counters: Counters::default(), prev: NIL, next: NIL, open: false };
                let i = match self.free.pop() {
                    Some(i) => {
                        self.nodes[i as usize] = node;
                        i
                    }
                    None => {
                        // At most max_flows + max_open + 1 nodes ever exist (a forgotten node is
                        // reused), far below u32::MAX for the limits in use.
                        let i = u32::try_from(self.nodes.len()).unwrap_or(NIL - 1);
                        self.nodes.push(node);
                        i
                    }
                };
                self.index.insert(key, i);
                i
            }
        };
        let node = &mut self.nodes[i as usize];
        node.counters.apply(event);
        node.open = node.counters.open_connections > 0;
        self.link_tail(i);
        self.forget_past_limits();
    }

    /// Each turn forgets one flow, so the work is O(1) amortised per event.
    fn forget_past_limits(&mut self) {
        while self.index.len() > self.max_flows && self.idle.len > 0 {
            self.forget(self.idle.head);
        }
        while self.open.len > self.max_open {
            self.forget(self.open.head);
            self.forgotten_open += 1;
        }
    }

    fn forget(&mut self, i: u32) {
        if i == NIL {
            return;
        }
        self.probes += 1;
        self.unlink(i);
        let key = self.nodes[i as usize].key;
        self.index.remove(&key);
        self.free.push(i);
        self.forgotten += 1;
    }

    fn list(&mut self, open: bool) -> &mut List {
        if open { &mut self.open } else { &mut self.idle }
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next, open) = {
            let n = &self.nodes[i as usize];
            (n.prev, n.next, n.open)
        };
        match prev {
            NIL => self.list(open).head = next,
            p => self.nodes[p as usize].next = next,
        }
        match next {
            NIL => self.list(open).tail = prev,
            n => self.nodes[n as usize].prev = prev,
        }
        let list = self.list(open);
        list.len -= 1;
        let n = &mut self.nodes[i as usize];
        n.prev = NIL;
        n.next = NIL;
    }

    fn link_tail(&mut self, i: u32) {
        let open = self.nodes[i as usize].open;
        let tail = self.list(open).tail;
        {
            let n = &mut self.nodes[i as usize];
            n.prev = tail;
            n.next = NIL;
        }
        match tail {
            NIL => self.list(open).head = i,
            t => self.nodes[t as usize].next = i,
        }
        let list = self.list(open);
        list.tail = i;
        list.len += 1;
    }

    pub fn get(&self, key: &FlowKey) -> Option<&Counters> {
        self.index.get(key).map(|&i| &self.nodes[i as usize].counters)
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Flows remembered now.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    #[cfg(any(test, feature = "test-support"))]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Open connections remembered now.
    pub fn open_len(&self) -> usize {
        self.open.len
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Flows forgotten to stay within the limits (open connections included).
    pub fn forgotten(&self) -> u64 {
        self.forgotten
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Flows looked at so far to find ones to forget.
    pub fn probes(&self) -> u64 {
        self.probes
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Open connections forgotten because more than `max_open` were open.
    pub fn forgotten_open(&self) -> u64 {
        self.forgotten_open
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::engine::{EventKind, Proto};

    fn ev(conn: Option<u64>, port: u16, kind: EventKind) -> Event {
        Event {
            time: jiff::Timestamp::UNIX_EPOCH,
            tab: 0,
            source: 0,
            proto: if conn.is_some() { Proto::Tcp } else { Proto::Udp },
            conn,
            local: None,
            peer: Some(SocketAddr::from(([127, 0, 0, 1], port))),
            kind,
        }
    }

    fn udp(port: u16) -> Event {
        ev(None, port, EventKind::Rx { data: vec![1], lost: 0 })
    }

    fn udp_key(port: u16) -> FlowKey {
        FlowKey::of(&udp(port)).unwrap()
    }

    fn tcp_key(conn: u64) -> FlowKey {
        FlowKey { tab: 0, source: 0, conn: Some(conn), peer: None }
    }

    fn connected(conn: u64) -> Event {
        ev(Some(conn), 1, EventKind::Connected { local: "127.0.0.1:2".parse().unwrap(), inbound: true, tls: None })
    }

    fn closed(conn: u64) -> Event {
        ev(Some(conn), 1, EventKind::Closed { reason: crate::engine::CloseReason::PeerClosed })
    }

    #[test]
    fn the_least_recently_active_flow_goes_first() {
        let mut t = FlowTable::with_limits(3, 10);
        for p in [1, 2, 3] {
            t.apply(&udp(p));
        }
        t.apply(&udp(1)); // 1 is active again: 2 is now the least recent
        t.apply(&udp(4));
        assert!(t.get(&udp_key(2)).is_none());
        assert_eq!(t.get(&udp_key(1)).map(|c| c.rx_packets), Some(2));
        assert!(t.get(&udp_key(3)).is_some() && t.get(&udp_key(4)).is_some());
        assert_eq!((t.len(), t.forgotten()), (3, 1));
    }

    #[test]
    fn open_connections_are_kept_until_they_close_then_may_go() {
        let mut t = FlowTable::with_limits(2, 10);
        t.apply(&connected(1));
        t.apply(&connected(2));
        for p in 10..20 {
            t.apply(&udp(p)); // each new UDP flow is the only one that may go
        }
        assert_eq!(t.len(), 2);
        assert_eq!(t.forgotten(), 10);
        assert_eq!(t.open_len(), 2);
        t.apply(&closed(1));
        t.apply(&udp(30)); // connection 1 closed and is now the least recent idle flow
        assert!(t.get(&tcp_key(1)).is_none());
        assert_eq!(t.get(&tcp_key(2)).map(|c| c.open_connections), Some(1));
        assert_eq!(t.get(&udp_key(30)).map(|c| c.rx_packets), Some(1));
    }

    #[test]
    fn past_max_open_the_least_recently_active_connection_goes() {
        let mut t = FlowTable::with_limits(2, 3);
        for c in 1..=3 {
            t.apply(&connected(c));
        }
        t.apply(&ev(Some(1), 1, EventKind::Rx { data: vec![0; 4], lost: 0 })); // 1 is active
        t.apply(&connected(4));
        assert!(t.get(&tcp_key(2)).is_none(), "2 was the least recently active");
        assert_eq!(t.get(&tcp_key(1)).map(|c| c.rx_bytes), Some(4));
        assert_eq!((t.open_len(), t.forgotten_open(), t.forgotten()), (3, 1, 1));
    }

    /// Against a plain model (a list in activity order), over a long pseudo-random mix.
    #[test]
    fn matches_a_simple_model() {
        let (max_flows, max_open) = (8, 12);
        let mut t = FlowTable::with_limits(max_flows, max_open);
        // (key, open connections, rx packets) from least to most recently active.
        let mut model: Vec<(FlowKey, u64, u64)> = Vec::new();
        let mut x: u64 = 12345;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let r = (x >> 33) as u16;
            let (event, key) = match r % 3 {
                0 => (udp(r % 20), udp_key(r % 20)),
                1 => (connected(u64::from(r % 30)), tcp_key(u64::from(r % 30))),
                _ => (closed(u64::from(r % 30)), tcp_key(u64::from(r % 30))),
            };
            t.apply(&event);
            let mut entry = match model.iter().position(|e| e.0 == key) {
                Some(i) => model.remove(i),
                None => (key, 0, 0),
            };
            match event.kind {
                EventKind::Connected { .. } => entry.1 += 1,
                EventKind::Closed { .. } => entry.1 = entry.1.saturating_sub(1),
                _ => entry.2 += 1,
            }
            model.push(entry);
            while model.len() > max_flows {
                let Some(i) = model.iter().position(|e| e.1 == 0) else { break };
                model.remove(i);
            }
            while model.iter().filter(|e| e.1 > 0).count() > max_open {
                let Some(i) = model.iter().position(|e| e.1 > 0) else { break };
                model.remove(i);
            }
            assert_eq!(t.len(), model.len());
            for (k, open, rx) in &model {
                let c = t.get(k).unwrap();
                assert_eq!((c.open_connections, c.rx_packets), (*open, *rx));
            }
        }
    }
}
