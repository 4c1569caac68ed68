//! The traffic log store: append-only rows with a memory bound, plus counters that stay exact
//! when old rows are evicted. No egui here.

#![allow(clippy::indexing_slicing, reason = "the tab table is resized to hold the index just before it is indexed")]

pub mod export;
pub mod flows;
pub mod format;
pub mod import;
pub mod pcap;
pub mod rates;
pub mod record;
pub mod recorder;
pub mod search;

use std::collections::VecDeque;
use std::net::SocketAddr;

use crate::engine::{ConnId, Event, EventKind, Proto};

/// Packet, byte and connection totals. They count every event, evicted or not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counters {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// TCP connections made or accepted.
    pub connections: u64,
    /// TCP connections open now.
    pub open_connections: u64,
    pub errors: u64,
    /// Relay: bytes and reads (TCP) or datagrams (UDP) that came from the client (`up`) and
    /// from the upstream (`down`), as read, before faults.
    pub up_bytes: u64,
    pub down_bytes: u64,
    pub up_datagrams: u64,
    pub down_datagrams: u64,
    /// Relay: datagrams the faults dropped, sent twice and held back.
    pub dropped: u64,
    pub duplicated: u64,
    pub reordered: u64,
}

impl Counters {
    pub fn apply(&mut self, ev: &Event) {
        match &ev.kind {
            EventKind::Rx { data, .. } => {
                self.rx_packets += 1;
                self.rx_bytes += data.len() as u64;
            }
            EventKind::Tx { data } => {
                self.tx_packets += 1;
                self.tx_bytes += data.len() as u64;
            }
            EventKind::Connected { .. } => {
                self.connections += 1;
                self.open_connections += 1;
            }
            EventKind::Closed { .. } => self.open_connections = self.open_connections.saturating_sub(1),
            EventKind::Error(_) => self.errors += 1,
            EventKind::Relayed { dir, data, .. } => {
                let (bytes, reads) = match dir {
                    crate::vocab::Dir::Up => (&mut self.up_bytes, &mut self.up_datagrams),
                    crate::vocab::Dir::Down => (&mut self.down_bytes, &mut self.down_datagrams),
                };
                *bytes += data.len() as u64;
                *reads += 1;
            }
            EventKind::Fault { action, .. } => match action {
                crate::engine::relay::FaultAction::Dropped { .. } => self.dropped += 1,
                crate::engine::relay::FaultAction::Duplicated { .. } => self.duplicated += 1,
                crate::engine::relay::FaultAction::Reordered { .. } => self.reordered += 1,
                _ => {}
            },
            _ => {}
        }
    }
}

/// One conversation: a TCP connection of one worker, or a UDP peer of one worker. Per-flow
/// counters are kept under this key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FlowKey {
    pub tab: u16,
    pub source: u16,
    pub conn: Option<ConnId>,
    /// For UDP only (a TCP connection is known by its number).
    pub peer: Option<SocketAddr>,
}

impl FlowKey {
    /// The flow an event belongs to; `None` for events of no conversation (listening, errors of
    /// a UDP socket, …).
    pub fn of(ev: &Event) -> Option<FlowKey> {
        let (tab, source) = (ev.tab, ev.source);
        match (ev.proto, ev.conn) {
            (Proto::Tcp, Some(conn)) => Some(FlowKey { tab, source, conn: Some(conn), peer: None }),
            // A UDP relay numbers its sessions like connections.
            (Proto::Udp, Some(conn))
                if matches!(
                    ev.kind,
                    EventKind::Relayed { .. }
                        | EventKind::Fault { .. }
                        | EventKind::UpstreamConnected { .. }
                        | EventKind::Closed { .. }
                ) =>
            {
                Some(FlowKey { tab, source, conn: Some(conn), peer: None })
            }
            (Proto::Udp, _) if matches!(ev.kind, EventKind::Rx { .. } | EventKind::Tx { .. }) => {
                Some(FlowKey { tab, source, conn: None, peer: ev.peer })
            }
            _ => None,
        }
    }
}

#[cfg(any(test, feature = "test-support"))]
pub use flows::{MAX_FLOWS, MAX_OPEN_FLOWS};

/// Totals of one tab: counters and rates exact whatever the log evicted, plus how many of its
/// rows are held and how many were evicted.
#[derive(Debug, Default)]
pub struct TabTotals {
    pub counters: Counters,
    pub rates: rates::Rates,
    pub held: u64,
    pub evicted: u64,
}

/// One logged event with its sequence number (1, 2, 3, … never reused).
#[derive(Clone, Debug)]
pub struct Row {
    pub seq: u64,
    /// When the row entered the log, on the monotonic clock (time since the process started):
    /// unlike the event's wall-clock time it never jumps when the system clock is set.
    #[cfg_attr(
        not(any(test, feature = "test-support")),
        allow(dead_code, reason = "every row carries its monotonic time (issue 4); no view shows it yet")
    )]
    pub mono: std::time::Duration,
    pub event: Event,
}

/// Time since the first call, on the monotonic clock.
pub fn monotonic() -> std::time::Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// Fixed cost of a row besides its payload, for the memory budget.
const ROW_OVERHEAD: usize = std::mem::size_of::<Row>() + 16;

/// Cost of a comment besides its text, for the memory budget.
const COMMENT_OVERHEAD: usize = 48;

/// Default memory budget of a store.
pub const DEFAULT_BUDGET: usize = 256 * 1024 * 1024;

/// An append-only log with a memory budget; the oldest rows go first. One store holds the
/// traffic of every tab (each event says which), with totals per tab and per flow.
#[derive(Debug)]
pub struct LogStore {
    rows: VecDeque<Row>,
    next_seq: u64,
    bytes: usize,
    budget: usize,
    evicted: u64,
    counters: Counters,
    rates: rates::Rates,
    /// Indexed by tab number (tab numbers are small).
    tabs: Vec<Option<TabTotals>>,
    flows: flows::FlowTable,
    /// Comments on rows (a pcapng capture's packet comments), by seq; rare, so kept aside.
    comments: std::collections::BTreeMap<u64, Box<str>>,
    /// Recordings to files in progress (a view starts and stops its own through `&self`), by id.
    recorders: std::cell::RefCell<Vec<(u64, recorder::Recorder)>>,
    next_recorder: std::cell::Cell<u64>,
}

impl Default for LogStore {
    fn default() -> Self {
        LogStore::with_budget(DEFAULT_BUDGET)
    }
}

impl LogStore {
    pub fn with_budget(budget: usize) -> LogStore {
        LogStore {
            rows: VecDeque::new(),
            next_seq: 1,
            bytes: 0,
            budget,
            evicted: 0,
            counters: Counters::default(),
            rates: rates::Rates::default(),
            tabs: Vec::new(),
            flows: flows::FlowTable::default(),
            comments: std::collections::BTreeMap::new(),
            recorders: std::cell::RefCell::new(Vec::new()),
            next_recorder: std::cell::Cell::new(1),
        }
    }

    /// Starts recording the rows of `scope` (a tab, or every tab) from the next one on, to
    /// `path` in the format its name says; returns the recording's id.
    pub fn start_recording(
        &self,
        path: &std::path::Path,
        scope: Option<u16>,
        encoding: crate::codec::Encoding,
        words: record::Words<'static>,
    ) -> std::io::Result<u64> {
        let r = recorder::Recorder::start(path, scope, encoding, words)?;
        let id = self.next_recorder.get();
        self.next_recorder.set(id + 1);
        if let Ok(mut recs) = self.recorders.try_borrow_mut() {
            recs.push((id, r));
        }
        Ok(id)
    }

    /// The file and the figures of recording `id`, while it runs.
    pub fn recording(&self, id: u64) -> Option<(std::path::PathBuf, std::sync::Arc<recorder::RecordStats>)> {
        let recs = self.recorders.try_borrow().ok()?;
        recs.iter().find(|(i, _)| *i == id).map(|(_, r)| (r.path.clone(), std::sync::Arc::clone(&r.stats)))
    }

    /// Stops recording `id`: what was queued is written and the file closed.
    pub fn stop_recording(&self, id: u64) -> Option<std::sync::Arc<recorder::RecordStats>> {
        let r = {
            let mut recs = self.recorders.try_borrow_mut().ok()?;
            let i = recs.iter().position(|(x, _)| *x == id)?;
            recs.swap_remove(i).1
        };
        Some(r.stop())
    }

    fn cost(ev: &Event) -> usize {
        ROW_OVERHEAD
            + match &ev.kind {
                EventKind::Rx { data, .. } | EventKind::Tx { data } | EventKind::Relayed { data, .. } => data.capacity(),
                _ => 0,
            }
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    /// Changes the budget, evicting the oldest rows at once if they no longer fit.
    pub fn set_budget(&mut self, budget: usize) {
        self.budget = budget;
        self.evict();
    }

    fn evict(&mut self) {
        while self.bytes > self.budget && self.rows.len() > 1 {
            if let Some(old) = self.rows.pop_front() {
                self.bytes -= Self::cost(&old.event);
                if let Some(c) = self.comments.remove(&old.seq) {
                    self.bytes -= c.len() + COMMENT_OVERHEAD;
                }
                self.evicted += 1;
                if let Some(Some(t)) = self.tabs.get_mut(usize::from(old.event.tab)) {
                    t.held -= 1;
                    t.evicted += 1;
                }
            }
        }
    }

    /// Appends an event, evicting the oldest rows if the budget is exceeded. Returns its seq.
    pub fn push(&mut self, event: Event) -> u64 {
        self.counters.apply(&event);
        self.rates.apply(&event);
        let i = usize::from(event.tab);
        if self.tabs.len() <= i {
            self.tabs.resize_with(i + 1, || None);
        }
        let tab = self.tabs[i].get_or_insert_with(TabTotals::default);
        tab.counters.apply(&event);
        tab.rates.apply(&event);
        tab.held += 1;
        self.flows.apply(&event);
        let seq = self.next_seq;
        self.next_seq += 1;
        if let Ok(recs) = self.recorders.try_borrow() {
            for (_, r) in recs.iter() {
                r.offer(seq, &event);
            }
        }
        self.bytes += Self::cost(&event);
        self.rows.push_back(Row { seq, mono: monotonic(), event });
        self.evict();
        seq
    }

    /// Appends an event with a comment on it (from an imported capture or log), as [`push`].
    ///
    /// [`push`]: LogStore::push
    pub fn push_commented(&mut self, event: Event, comment: Option<&str>) -> u64 {
        let Some(c) = comment else { return self.push(event) };
        self.bytes += c.len() + COMMENT_OVERHEAD;
        let seq = self.next_seq;
        self.comments.insert(seq, c.into());
        self.push(event)
    }

    /// The comment on row `seq`, if it has one and is still held.
    pub fn comment(&self, seq: u64) -> Option<&str> {
        self.comments.get(&seq).map(|c| &**c)
    }

    /// Counters of one tab (all zero if it logged nothing).
    pub fn tab(&self, tab: u16) -> Option<&TabTotals> {
        self.tabs.get(usize::from(tab))?.as_ref()
    }

    /// Tabs that logged something, with their totals.
    pub fn tabs(&self) -> impl Iterator<Item = (u16, &TabTotals)> {
        // Tab numbers are u16, so every index fits.
        self.tabs.iter().enumerate().filter_map(|(i, t)| Some((i as u16, t.as_ref()?)))
    }

    /// Counters of one flow, exact whatever was evicted (unless more than [`MAX_FLOWS`] flows
    /// were active after it, or it is one of more than [`MAX_OPEN_FLOWS`] open connections).
    pub fn flow(&self, key: &FlowKey) -> Option<&Counters> {
        self.flows.get(key)
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Flows whose counters were forgotten to stay within [`MAX_FLOWS`] and
    /// [`MAX_OPEN_FLOWS`].
    pub fn flows_forgotten(&self) -> u64 {
        self.flows.forgotten()
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Flows whose counters are kept now.
    pub fn flows_kept(&self) -> usize {
        self.flows.len()
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Flows looked at so far to find ones to forget: the work the flow bound costs.
    pub fn flow_probes(&self) -> u64 {
        self.flows.probes()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row at position `i` among the rows still held (0 = oldest).
    pub fn get(&self, i: usize) -> Option<&Row> {
        self.rows.get(i)
    }

    /// The row with sequence number `seq`, if it is still held.
    pub fn get_seq(&self, seq: u64) -> Option<&Row> {
        let first = self.rows.front()?.seq;
        let i = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.rows.get(i)
    }

    /// Sequence number the next row will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Row> {
        self.rows.iter()
    }

    /// Traffic per second, for the throughput plot.
    pub fn rates(&self) -> &rates::Rates {
        &self.rates
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Rows dropped to stay within the budget.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Approximate bytes held.
    pub fn memory(&self) -> usize {
        self.bytes
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Forgets the rows (not the counters: they describe the socket's whole life).
    pub fn clear(&mut self) {
        self.evicted += self.rows.len() as u64;
        self.rows.clear();
        self.comments.clear();
        self.bytes = 0;
        for t in self.tabs.iter_mut().flatten() {
            t.evicted += t.held;
            t.held = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rx(n: usize) -> Event {
        Event {
            time: jiff::Timestamp::now(),
            tab: 0,
            source: 0,
            proto: crate::engine::Proto::Udp,
            conn: None,
            local: None,
            peer: None,
            kind: EventKind::Rx { data: vec![7; n], lost: 0 },
        }
    }

    #[test]
    fn budget_evicts_oldest_and_counters_stay_exact() {
        let mut s = LogStore::with_budget(100_000);
        for _ in 0..10_000 {
            s.push(rx(64));
        }
        assert!(s.memory() <= 100_000);
        assert!(s.len() < 10_000);
        assert_eq!(s.len() as u64 + s.evicted(), 10_000);
        assert_eq!(s.counters().rx_packets, 10_000);
        assert_eq!(s.counters().rx_bytes, 640_000);
        assert_eq!(s.get(0).unwrap().seq, s.evicted() + 1);
        assert_eq!(s.iter().last().unwrap().seq, 10_000);
        assert_eq!(s.get_seq(10_000).unwrap().seq, 10_000);
        let monos: Vec<_> = s.iter().map(|r| r.mono).collect();
        assert!(monos.windows(2).all(|w| w[0] <= w[1]), "monotonic times never go back");
        assert!(s.get_seq(1).is_none(), "evicted");
        assert!(s.get_seq(10_001).is_none());
    }

    #[test]
    fn lowering_the_budget_evicts_at_once() {
        let mut s = LogStore::with_budget(usize::MAX);
        for _ in 0..1000 {
            s.push(rx(100));
        }
        s.set_budget(10_000);
        assert!(s.memory() <= 10_000);
        assert_eq!(s.len() as u64 + s.evicted(), 1000);
        assert_eq!(s.counters().rx_packets, 1000);
    }

    fn tcp(tab: u16, conn: u64, kind: EventKind) -> Event {
        Event { tab, conn: Some(conn), proto: Proto::Tcp, peer: "127.0.0.1:4000".parse().ok(), ..rx(0) }.with_kind(kind)
    }

    impl Event {
        fn with_kind(mut self, kind: EventKind) -> Event {
            self.kind = kind;
            self
        }
    }

    #[test]
    fn one_store_for_all_tabs_with_exact_totals_per_tab_and_flow() {
        let mut s = LogStore::with_budget(20_000);
        let local = "127.0.0.1:9000".parse().unwrap();
        s.push(tcp(2, 1, EventKind::Connected { local, inbound: true, tls: None }));
        s.push(tcp(3, 1, EventKind::Connected { local, inbound: false, tls: None }));
        for i in 0..1000u64 {
            s.push(tcp(2, 1, EventKind::Rx { data: vec![1; 10], lost: 0 }));
            s.push(tcp(3, 1, EventKind::Tx { data: vec![1; 10] }));
            s.push(Event { tab: 1, peer: Some(SocketAddr::from(([127, 0, 0, 1], 5000 + (i % 4) as u16))), ..rx(3) });
        }
        assert!(s.evicted() > 0, "the budget is small");
        let server = s.tab(2).unwrap();
        assert_eq!((server.counters.rx_packets, server.counters.rx_bytes), (1000, 10_000));
        assert_eq!(server.counters.open_connections, 1);
        assert_eq!(server.held + server.evicted, 1001);
        assert_eq!(s.tab(3).unwrap().counters.tx_bytes, 10_000);
        assert_eq!(s.tab(1).unwrap().counters.rx_packets, 1000);
        let held: u64 = s.tabs().map(|(_, t)| t.held).sum();
        assert_eq!(held, s.len() as u64);
        // The same connection number in two tabs is two flows.
        let key = |tab| FlowKey { tab, source: 0, conn: Some(1), peer: None };
        assert_eq!(s.flow(&key(2)).unwrap().rx_packets, 1000);
        assert_eq!(s.flow(&key(3)).unwrap().tx_packets, 1000);
        assert_eq!(s.flow(&key(3)).unwrap().rx_packets, 0);
        let udp = FlowKey { tab: 1, source: 0, conn: None, peer: "127.0.0.1:5001".parse().ok() };
        assert_eq!(s.flow(&udp).unwrap().rx_bytes, 750);
        assert!(s.rates().buckets().iter().map(|b| b.rx_packets).sum::<u64>() >= 2000);
    }

    #[test]
    fn flow_counters_stay_bounded_and_keep_open_connections() {
        let mut s = LogStore::with_budget(1_000_000);
        let local = "127.0.0.1:9000".parse().unwrap();
        s.push(tcp(2, 7, EventKind::Connected { local, inbound: true, tls: None }));
        for i in 0..(MAX_FLOWS as u32 + 5_000) {
            let peer = SocketAddr::from(([127, 0, (i >> 16) as u8, (i >> 8) as u8], i as u16));
            s.push(Event { tab: 1, peer: Some(peer), ..rx(1) });
        }
        s.push(tcp(2, 7, EventKind::Rx { data: vec![0; 5], lost: 0 }));
        assert!(s.flows_kept() <= MAX_FLOWS);
        assert_eq!(s.flows_forgotten(), 5_001);
        let open = s.flow(&FlowKey { tab: 2, source: 0, conn: Some(7), peer: None }).unwrap();
        assert_eq!((open.connections, open.rx_bytes), (1, 5), "an open connection is never forgotten");
        assert_eq!(s.tab(1).unwrap().counters.rx_packets, MAX_FLOWS as u64 + 5_000);
    }

    #[test]
    fn forgetting_flows_is_o1_per_event_past_max_flows_open_connections() {
        // Issue 15 item 4: with more open connections than MAX_FLOWS, every new flow used to
        // look at all of them (119 s in one frame for a capture of 100k unclosed connections).
        let mut s = LogStore::with_budget(1 << 20);
        let local = "127.0.0.1:9000".parse().unwrap();
        let conns = MAX_FLOWS as u64 + 300;
        for c in 1..=conns {
            s.push(tcp(2, c, EventKind::Connected { local, inbound: true, tls: None }));
        }
        for i in 0..100u16 {
            s.push(Event { tab: 1, peer: Some(SocketAddr::from(([127, 0, 0, 1], 1000 + i))), ..rx(1) });
        }
        let events = conns + 100;
        assert!(s.flow_probes() <= 2 * events, "{} flows looked at for {events} events", s.flow_probes());
        let key = |conn| FlowKey { tab: 2, source: 0, conn: Some(conn), peer: None };
        for c in [1, conns / 2, conns] {
            assert_eq!(s.flow(&key(c)).map(|f| f.open_connections), Some(1), "open connection {c} is kept");
        }
        assert_eq!(s.flows_forgotten(), 100, "the UDP flows go first");
    }

    #[test]
    fn clear_keeps_counters() {
        let mut s = LogStore::default();
        s.push(rx(3));
        s.clear();
        assert!(s.is_empty());
        assert_eq!(s.counters().rx_bytes, 3);
    }
}
