//! The UDP relay's faults for one direction of its link: what happens to each datagram (loss,
//! truncation, duplication, latency, reorder, bandwidth), the datagrams held back for later, and
//! the counts that must add up: received = sent + dropped (duplicates counted apart).
//!
//! Pure logic: no sockets. The worker (`udp.rs`) emits the actions as `Fault` rows, sends what
//! is due and reports every datagram that could not be sent back here as dropped.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::fault::{DirFaults, FaultAction, Rng};
use crate::engine::ConnId;

/// How the datagrams of one direction fared so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Datagrams read from the source side.
    pub received: u64,
    /// Datagrams sent on (a duplicate's second copy not included).
    pub sent: u64,
    /// Datagrams not sent: loss, a full hold buffer, a failed send, the relay's end.
    pub dropped: u64,
    /// Extra copies sent by the duplicate fault.
    pub duplicated: u64,
}

/// A datagram waiting for its time (latency, reorder, bandwidth).
#[derive(Debug)]
pub(super) struct Held {
    pub at: Instant,
    /// Arrival order: of two datagrams due at the same time the earlier goes first.
    seq: u64,
    pub conn: ConnId,
    /// The session's client.
    pub client: SocketAddr,
    pub data: Vec<u8>,
    /// The duplicate fault's second copy: not counted as received, sent or dropped.
    pub copy: bool,
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Held {
    /// Reversed: the `BinaryHeap` (a max-heap) gives the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// What became of one datagram at once: the fault rows to emit (in order), and the copies to
/// send now (`true`: the duplicate). The others are held in the [`Link`].
#[derive(Debug, Default)]
pub(super) struct Admitted {
    pub actions: Vec<FaultAction>,
    pub now: Vec<(Vec<u8>, bool)>,
}

/// One direction of the relay's link.
#[derive(Debug, Default)]
pub(super) struct Link {
    held: BinaryHeap<Held>,
    held_bytes: usize,
    seq: u64,
    /// Bandwidth: when the datagrams accepted so far have all passed.
    free_at: Option<Instant>,
    pub counts: Counts,
}

impl Link {
    /// Applies the faults `f` to a datagram just read (`buffer`: bytes that may be held).
    /// The random choices are drawn from `rng` in a fixed order (loss, duplicate, jitter,
    /// reorder), each only when its fault is set, so the same seed makes the same choices.
    pub fn admit(
        &mut self,
        f: &DirFaults,
        rng: &mut Rng,
        (conn, client): (ConnId, SocketAddr),
        mut data: Vec<u8>,
        now: Instant,
        buffer: usize,
    ) -> Admitted {
        self.counts.received += 1;
        let mut out = Admitted::default();
        if f.loss.is_some_and(|p| rng.chance(p)) {
            self.counts.dropped += 1;
            out.actions.push(FaultAction::Dropped { len: data.len() });
            return out;
        }
        if let Some(n) = f.truncate
            && data.len() > n
        {
            out.actions.push(FaultAction::Truncated { from: data.len(), to: n });
            data.truncate(n);
        }
        let duplicate = f.duplicate.is_some_and(|p| rng.chance(p));
        let latency = f.latency.map(|l| rng.around(l.ms, l.jitter_ms)).filter(|ms| *ms > 0);
        let reorder = f.reorder.filter(|r| rng.chance(r.p)).map(|r| r.ms);
        let delay = Duration::from_millis(latency.unwrap_or(0).saturating_add(reorder.unwrap_or(0)));
        let mut throttled = Vec::new();
        for copy in [false, true] {
            if copy && !duplicate {
                break;
            }
            let (start, free_at) = self.pace(f.bandwidth, data.len(), now);
            let at = start + delay;
            if at > now {
                if self.held_bytes.saturating_add(data.len()) > buffer {
                    if copy {
                        break; // No room for the second copy: it is simply not made.
                    }
                    self.counts.dropped += 1;
                    out.actions.push(FaultAction::Dropped { len: data.len() });
                    return out;
                }
                self.held_bytes += data.len();
                self.seq += 1;
                self.held.push(Held { at, seq: self.seq, conn, client, data: data.clone(), copy });
            } else {
                out.now.push((data.clone(), copy));
            }
            self.free_at = free_at.or(self.free_at);
            if start > now {
                throttled.push(FaultAction::Throttled { ms: ceil_ms(start - now) });
            }
            if copy {
                out.actions.push(FaultAction::Duplicated { len: data.len() });
            }
        }
        if let Some(ms) = reorder {
            out.actions.push(FaultAction::Reordered { ms });
        }
        if let Some(ms) = latency {
            out.actions.push(FaultAction::Delayed { ms });
        }
        out.actions.extend(throttled);
        out
    }

    /// Bandwidth: when a datagram of `len` bytes may go (the ones before it have passed), and
    /// when the link is free after it (`None`: no limit).
    fn pace(&self, bandwidth: Option<u64>, len: usize, now: Instant) -> (Instant, Option<Instant>) {
        let Some(bw) = bandwidth.filter(|b| *b > 0) else { return (now, None) };
        let start = self.free_at.map_or(now, |f| f.max(now));
        let passing = Duration::from_secs_f64(len as f64 / bw as f64);
        (start, Some(start + passing))
    }

    /// The next held datagram if it is due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<Held> {
        if self.held.peek().is_some_and(|h| h.at <= now) {
            let h = self.held.pop()?;
            self.held_bytes = self.held_bytes.saturating_sub(h.data.len());
            return Some(h);
        }
        None
    }

    /// Takes every held datagram (the relay ends), in the order they were due.
    pub fn drain(&mut self) -> Vec<Held> {
        self.held_bytes = 0;
        std::mem::take(&mut self.held).into_sorted_vec().into_iter().rev().collect()
    }

    /// When the next held datagram is due.
    pub fn next_due(&self) -> Option<Instant> {
        self.held.peek().map(|h| h.at)
    }

    /// A datagram (or a copy) went out.
    pub fn sent(&mut self, copy: bool) {
        if copy {
            self.counts.duplicated += 1;
        } else {
            self.counts.sent += 1;
        }
    }

    /// A datagram could not go out; true when it counts as dropped (not a duplicate's copy), so
    /// that a `Dropped` row is due.
    pub fn failed(&mut self, copy: bool) -> bool {
        if !copy {
            self.counts.dropped += 1;
        }
        !copy
    }
}

/// A wait in whole milliseconds, rounded up (a wait is never shown as 0 ms).
fn ceil_ms(d: Duration) -> u64 {
    let ms = d.as_millis() + u128::from(!d.subsec_nanos().is_multiple_of(1_000_000));
    u64::try_from(ms).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::relay::fault::{Latency, Reorder};

    const C: (ConnId, SocketAddr) = (1, SocketAddr::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 9)));

    fn run(link: &mut Link, f: &DirFaults, rng: &mut Rng, n: usize, now: Instant) -> Vec<Admitted> {
        (0..n).map(|i| link.admit(f, rng, C, vec![i as u8; 100], now, 1 << 20)).collect()
    }

    #[test]
    fn loss_is_repeatable_and_counted() {
        let f = DirFaults { loss: Some(0.3), ..DirFaults::default() };
        let now = Instant::now();
        let drops = |seed| {
            let mut link = Link::default();
            let out = run(&mut link, &f, &mut Rng::new(seed), 200, now);
            let dropped: Vec<usize> = (0..200).filter(|i| out[*i].now.is_empty()).collect();
            for a in &out {
                let drop_rows = a.actions.iter().filter(|x| matches!(x, FaultAction::Dropped { .. })).count();
                assert_eq!(drop_rows + a.now.len(), 1);
                a.now.iter().for_each(|(_, copy)| link.sent(*copy));
            }
            let c = link.counts;
            assert_eq!((c.received, c.sent + c.dropped, c.dropped), (200, 200, dropped.len() as u64));
            dropped
        };
        assert_eq!(drops(7), drops(7));
        assert_ne!(drops(7), drops(8));
        assert!((30..=90).contains(&drops(7).len()));
    }

    #[test]
    fn truncate_duplicate_latency_reorder() {
        let now = Instant::now();
        let mut rng = Rng::new(1);
        let mut link = Link::default();
        let f = DirFaults { truncate: Some(10), duplicate: Some(1.0), ..DirFaults::default() };
        let a = link.admit(&f, &mut rng, C, vec![0; 100], now, 1 << 20);
        assert_eq!(a.actions, [FaultAction::Truncated { from: 100, to: 10 }, FaultAction::Duplicated { len: 10 }]);
        assert_eq!(a.now, [(vec![0; 10], false), (vec![0; 10], true)]);
        let f = DirFaults {
            latency: Some(Latency { ms: 200, jitter_ms: 0 }),
            reorder: Some(Reorder { p: 1.0, ms: 50 }),
            ..DirFaults::default()
        };
        let a = link.admit(&f, &mut rng, C, vec![1; 5], now, 1 << 20);
        assert_eq!(a.actions, [FaultAction::Reordered { ms: 50 }, FaultAction::Delayed { ms: 200 }]);
        assert!(a.now.is_empty());
        assert_eq!(link.next_due(), Some(now + Duration::from_millis(250)));
        assert!(link.pop_due(now + Duration::from_millis(249)).is_none());
        let h = link.pop_due(now + Duration::from_millis(250)).unwrap();
        assert_eq!((h.data, h.copy), (vec![1; 5], false));
    }

    #[test]
    fn bandwidth_paces_and_the_buffer_bounds_what_waits() {
        let now = Instant::now();
        let mut rng = Rng::new(1);
        let mut link = Link::default();
        let f = DirFaults { bandwidth: Some(1000), ..DirFaults::default() };
        // 100 bytes at 1000 B/s: one passes each 100 ms; the first goes at once.
        let first = link.admit(&f, &mut rng, C, vec![0; 100], now, 250);
        assert_eq!((first.now.len(), first.actions.len()), (1, 0));
        let second = link.admit(&f, &mut rng, C, vec![0; 100], now, 250);
        assert_eq!(second.actions, [FaultAction::Throttled { ms: 100 }]);
        let third = link.admit(&f, &mut rng, C, vec![0; 100], now, 250);
        assert_eq!(third.actions, [FaultAction::Throttled { ms: 200 }]);
        // 200 bytes wait: the next 100 would pass the 250-byte buffer.
        let fourth = link.admit(&f, &mut rng, C, vec![0; 100], now, 250);
        assert_eq!(fourth.actions, [FaultAction::Dropped { len: 100 }]);
        assert_eq!(link.counts, Counts { received: 4, sent: 0, dropped: 1, duplicated: 0 });
        assert_eq!(link.drain().len(), 2);
        assert_eq!(link.next_due(), None);
    }
}
