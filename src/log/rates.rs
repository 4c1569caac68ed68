//! Per-second traffic totals for the throughput plot. Kept as events arrive (exact, whatever
//! the log evicts), bounded to the most recent hour.

#![allow(clippy::indexing_slicing, reason = "ring indices taken modulo the ring length")]

use std::collections::VecDeque;

use crate::engine::{Event, EventKind};

/// Seconds of history kept.
pub const HISTORY_SECS: usize = 3_600;

/// Traffic in one second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    /// Unix time of the second.
    pub second: i64,
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
}

#[derive(Debug, Default)]
pub struct Rates {
    buckets: VecDeque<Bucket>,
}

impl Rates {
    pub fn apply(&mut self, ev: &Event) {
        let (rx, len) = match &ev.kind {
            EventKind::Rx { data, .. } => (true, data.len() as u64),
            EventKind::Tx { data } => (false, data.len() as u64),
            // A relay: what came from the client counts as in, what came back as out.
            EventKind::Relayed { dir, data, .. } => (*dir == crate::vocab::Dir::Up, data.len() as u64),
            _ => return,
        };
        let second = ev.time.as_second();
        // Events arrive in time order per worker; a late one from another worker lands in its
        // own second if that is still held, else in the newest.
        let b = match self.buckets.back() {
            Some(last) if last.second >= second => {
                let i = self.buckets.iter().rposition(|b| b.second <= second).unwrap_or(0);
                &mut self.buckets[i]
            }
            _ => {
                // Fill empty seconds so the plot drops to zero between bursts.
                let from = self.buckets.back().map_or(second, |l| (l.second + 1).max(second - 60));
                for s in from..=second {
                    self.buckets.push_back(Bucket { second: s, ..Bucket::default() });
                }
                while self.buckets.len() > HISTORY_SECS {
                    self.buckets.pop_front();
                }
                // Just pushed, so there is a last bucket.
                let n = self.buckets.len() - 1;
                &mut self.buckets[n]
            }
        };
        if rx {
            b.rx_packets += 1;
            b.rx_bytes += len;
        } else {
            b.tx_packets += 1;
            b.tx_bytes += len;
        }
    }

    pub fn buckets(&self) -> &VecDeque<Bucket> {
        &self.buckets
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Proto;

    fn at(secs: i64, kind: EventKind) -> Event {
        let time = jiff::Timestamp::from_second(secs).unwrap();
        Event { time, tab: 0, source: 0, proto: Proto::Udp, conn: None, local: None, peer: None, kind }
    }

    #[test]
    fn buckets_per_second_with_gaps_filled() {
        let mut r = Rates::default();
        r.apply(&at(100, EventKind::Rx { data: vec![0; 10], lost: 0 }));
        r.apply(&at(100, EventKind::Tx { data: vec![0; 5] }));
        r.apply(&at(103, EventKind::Rx { data: vec![0; 1], lost: 0 }));
        r.apply(&at(101, EventKind::Rx { data: vec![0; 2], lost: 0 }));
        r.apply(&at(103, EventKind::HalfClosed));
        let b: Vec<(i64, u64, u64)> = r.buckets().iter().map(|b| (b.second, b.rx_bytes, b.tx_bytes)).collect();
        assert_eq!(b, vec![(100, 10, 5), (101, 2, 0), (102, 0, 0), (103, 1, 0)]);
    }
}
