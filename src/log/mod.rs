//! The traffic log store: append-only rows with a memory bound, plus counters that stay exact
//! when old rows are evicted. No egui here.

pub mod export;
pub mod import;
pub mod pcap;
pub mod rates;
pub mod record;

use std::collections::VecDeque;

use crate::engine::{Event, EventKind};

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
            _ => {}
        }
    }
}

/// One logged event with its sequence number (1, 2, 3, … never reused).
#[derive(Clone, Debug)]
pub struct Row {
    pub seq: u64,
    /// When the row entered the log, on the monotonic clock (time since the process started):
    /// unlike the event's wall-clock time it never jumps when the system clock is set.
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

/// Default memory budget of one store (the app splits its 256 MiB among its tabs).
pub const DEFAULT_BUDGET: usize = 64 * 1024 * 1024;

/// An append-only log with a memory budget; the oldest rows go first.
#[derive(Debug)]
pub struct LogStore {
    rows: VecDeque<Row>,
    next_seq: u64,
    bytes: usize,
    budget: usize,
    evicted: u64,
    counters: Counters,
    rates: rates::Rates,
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
        }
    }

    fn cost(ev: &Event) -> usize {
        ROW_OVERHEAD
            + match &ev.kind {
                EventKind::Rx { data, .. } | EventKind::Tx { data } => data.capacity(),
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
                self.evicted += 1;
            }
        }
    }

    /// Appends an event, evicting the oldest rows if the budget is exceeded. Returns its seq.
    pub fn push(&mut self, event: Event) -> u64 {
        self.counters.apply(&event);
        self.rates.apply(&event);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += Self::cost(&event);
        self.rows.push_back(Row { seq, mono: monotonic(), event });
        self.evict();
        seq
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

    /// Forgets the rows (not the counters: they describe the socket's whole life).
    pub fn clear(&mut self) {
        self.evicted += self.rows.len() as u64;
        self.rows.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rx(n: usize) -> Event {
        Event {
            time: jiff::Timestamp::now(),
            source: 0,
            proto: crate::engine::Proto::Udp,
            conn: None,
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

    #[test]
    fn clear_keeps_counters() {
        let mut s = LogStore::default();
        s.push(rx(3));
        s.clear();
        assert!(s.is_empty());
        assert_eq!(s.counters().rx_bytes, 3);
    }
}
