//! One direction of a TCP relay connection as a queue of pieces: what the faults make of each
//! read (limit, coalesce, latency, slicing) and when each piece may be written (its due time
//! and the bandwidth pacer). No sockets here: `tcp_conn.rs` reads and writes.

#![allow(
    clippy::indexing_slicing,
    reason = "slices are cut at offsets bounded by the length of the data they cut (min with len)"
)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::fault::{DirFaults, FaultAction, MAX_DELAY_MS, MAX_PIECE, Rng};

/// Bytes a piece waiting for the bandwidth pacer is written in at most: a tenth of a second's
/// worth, so a slow link gets a steady trickle instead of one large write and a long pause.
fn pace_chunk(rate: u64) -> usize {
    usize::try_from(rate / 10).unwrap_or(MAX_PIECE).clamp(1, MAX_PIECE)
}

/// Bytes that become due at one time, each piece written with its own write call.
pub(super) struct Piece {
    pub due: Instant,
    pub data: Vec<u8>,
    /// Bytes of `data` already written.
    pub sent: usize,
    /// A `Throttled` row was emitted for it.
    pub throttled: bool,
}

/// One direction: the bytes read from its source and not yet written to its destination.
pub(super) struct Flow {
    pieces: VecDeque<Piece>,
    /// Bytes held: unsent bytes of `pieces` plus `held`. Kept within the relay's buffer by the
    /// reader (it reads at most the room left).
    queued: usize,
    /// Due time of the last piece queued: later pieces are never due before it (order kept).
    last_due: Option<Instant>,
    /// Coalesce: bytes held, how many reads they came in, and when they are released.
    held: Vec<u8>,
    held_reads: usize,
    held_until: Option<Instant>,
    /// Bandwidth pacer: the next write may not happen before this.
    next_send: Option<Instant>,
    /// Bytes accepted for passing (for the limit).
    passed: u64,
    /// The limit was reached: close once everything accepted is written.
    pub limit_hit: Option<u64>,
    /// The source sent EOF.
    pub eof: bool,
    /// Slow close: the close is passed on not before this.
    pub eof_at: Option<Instant>,
    /// The close was passed on (`shutdown(Write)` on the destination).
    pub shut: bool,
    /// The timeout fault stopped this direction.
    pub stalled: bool,
}

impl Flow {
    pub fn new() -> Flow {
        Flow {
            pieces: VecDeque::new(),
            queued: 0,
            last_due: None,
            held: Vec::new(),
            held_reads: 0,
            held_until: None,
            next_send: None,
            passed: 0,
            limit_hit: None,
            eof: false,
            eof_at: None,
            shut: false,
            stalled: false,
        }
    }

    /// Bytes held for this direction (waiting to be written, or held by a fault).
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Nothing waits to be written.
    pub fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Takes the bytes of one read: applies the limit, then coalescing or shaping. Returns
    /// the fault rows to emit and whether pieces were sliced (the destination wants
    /// TCP_NODELAY then).
    pub fn push_read(
        &mut self,
        data: &[u8],
        f: &DirFaults,
        rng: &mut Rng,
        now: Instant,
        actions: &mut Vec<FaultAction>,
    ) -> bool {
        let mut data = data;
        if let Some(limit) = f.limit {
            let room = usize::try_from(limit.saturating_sub(self.passed)).unwrap_or(usize::MAX);
            data = &data[..data.len().min(room)];
            self.passed = self.passed.saturating_add(data.len() as u64);
            if self.passed >= limit {
                self.limit_hit = Some(limit);
            }
        } else {
            self.passed = self.passed.saturating_add(data.len() as u64);
        }
        if data.is_empty() {
            return false;
        }
        if let Some(ms) = f.coalesce_ms {
            self.held.extend_from_slice(data);
            self.held_reads += 1;
            self.queued += data.len();
            self.held_until.get_or_insert(now + Duration::from_millis(ms.min(MAX_DELAY_MS)));
            if self.held.len() >= MAX_PIECE {
                return self.release(f, rng, now, actions);
            }
            return false;
        }
        self.queued += data.len();
        self.shape(data.to_vec(), f, rng, now, actions)
    }

    /// Coalesce: when the held bytes are due (or `force`, at the source's EOF), passes them on
    /// as one write. Returns whether that was sliced.
    pub fn release_due(
        &mut self,
        f: &DirFaults,
        rng: &mut Rng,
        now: Instant,
        force: bool,
        actions: &mut Vec<FaultAction>,
    ) -> bool {
        match self.held_until {
            Some(at) if force || now >= at => self.release(f, rng, now, actions),
            _ => false,
        }
    }

    fn release(&mut self, f: &DirFaults, rng: &mut Rng, now: Instant, actions: &mut Vec<FaultAction>) -> bool {
        self.held_until = None;
        let data = std::mem::take(&mut self.held);
        let reads = std::mem::take(&mut self.held_reads);
        if data.is_empty() {
            return false;
        }
        actions.push(FaultAction::Coalesced { reads, len: data.len() });
        // The bytes stay counted in `queued`: they move from `held` to a piece.
        self.shape(data, f, rng, now, actions)
    }

    /// Latency and slicing: queues `data` (already counted in `queued`) as pieces.
    fn shape(&mut self, data: Vec<u8>, f: &DirFaults, rng: &mut Rng, now: Instant, actions: &mut Vec<FaultAction>) -> bool {
        let delay = f.latency.map_or(0, |l| rng.around(l.ms, l.jitter_ms).min(MAX_DELAY_MS));
        let mut due = now + Duration::from_millis(delay);
        if let Some(last) = self.last_due {
            due = due.max(last);
        }
        if f.latency.is_some() {
            let ms = u64::try_from(due.saturating_duration_since(now).as_millis()).unwrap_or(u64::MAX);
            actions.push(FaultAction::Delayed { ms });
        }
        let sliced = match f.slice {
            Some(s) => {
                let len = data.len();
                let mut at = 0;
                let mut pieces = 0;
                while at < len {
                    let size = usize::try_from(rng.around(s.size as u64, s.jitter as u64))
                        .unwrap_or(MAX_PIECE)
                        .clamp(1, MAX_PIECE);
                    let end = len.min(at + size);
                    if pieces > 0 {
                        due += Duration::from_millis(s.pause_ms.min(MAX_DELAY_MS));
                    }
                    self.pieces.push_back(Piece { due, data: data[at..end].to_vec(), sent: 0, throttled: false });
                    pieces += 1;
                    at = end;
                }
                actions.push(FaultAction::Sliced { len, pieces });
                true
            }
            None => {
                self.pieces.push_back(Piece { due, data, sent: 0, throttled: false });
                false
            }
        };
        self.last_due = Some(due);
        sliced
    }

    /// The bytes to write now: the front piece's unsent part when it is due and the pacer
    /// allows, cut to the pacer's chunk. `Err(Some(when))`: wait until then (and the
    /// `Throttled` row to emit, once per piece); `Err(None)`: nothing waits.
    pub fn next_write(&mut self, f: &DirFaults, now: Instant) -> Result<&[u8], (Option<Instant>, Option<FaultAction>)> {
        let next_send = self.next_send;
        let Some(p) = self.pieces.front_mut() else { return Err((None, None)) };
        if p.due > now {
            return Err((Some(p.due), None));
        }
        let mut end = p.data.len();
        if let Some(rate) = f.bandwidth {
            if let Some(at) = next_send.filter(|at| *at > now) {
                let throttle = (!std::mem::replace(&mut p.throttled, true)).then(|| FaultAction::Throttled {
                    ms: u64::try_from(at.saturating_duration_since(now).as_millis()).unwrap_or(u64::MAX).max(1),
                });
                return Err((Some(at), throttle));
            }
            end = end.min(p.sent + pace_chunk(rate));
        }
        Ok(&p.data[p.sent.min(end)..end])
    }

    /// `n` bytes of the front piece were written at `now`.
    pub fn wrote(&mut self, n: usize, f: &DirFaults, now: Instant) {
        self.queued = self.queued.saturating_sub(n);
        if let Some(rate) = f.bandwidth.filter(|r| *r > 0) {
            let start = self.next_send.map_or(now, |at| at.max(now));
            self.next_send = Some(start + Duration::from_secs_f64(n as f64 / rate as f64));
        }
        if let Some(p) = self.pieces.front_mut() {
            p.sent += n;
            if p.sent >= p.data.len() {
                self.pieces.pop_front();
            }
        }
    }

    /// When this direction's coalesced bytes are due to be released.
    pub fn held_until(&self) -> Option<Instant> {
        self.held_until
    }
}

#[cfg(test)]
mod tests {
    use super::super::fault::{Latency, Slice};
    use super::*;

    fn drain(flow: &mut Flow, f: &DirFaults, now: Instant) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Ok(d) = flow.next_write(f, now) {
            let d = d.to_vec();
            flow.wrote(d.len(), f, now);
            out.push(d);
        }
        out
    }

    #[test]
    fn slices_keep_bytes_and_order() {
        let f = DirFaults { slice: Some(Slice { size: 8, jitter: 0, pause_ms: 0 }), ..DirFaults::default() };
        let mut flow = Flow::new();
        let mut rng = Rng::new(1);
        let mut acts = Vec::new();
        let data: Vec<u8> = (0..80).collect();
        let now = Instant::now();
        assert!(flow.push_read(&data, &f, &mut rng, now, &mut acts));
        assert_eq!(acts, vec![FaultAction::Sliced { len: 80, pieces: 10 }]);
        assert_eq!(flow.queued(), 80);
        let out = drain(&mut flow, &f, now);
        assert_eq!(out.len(), 10);
        assert_eq!(out.concat(), data);
        assert!(flow.is_empty());
    }

    #[test]
    fn jitter_never_reorders() {
        let f = DirFaults { latency: Some(Latency { ms: 50, jitter_ms: 50 }), ..DirFaults::default() };
        let mut flow = Flow::new();
        let mut rng = Rng::new(3);
        let mut acts = Vec::new();
        let now = Instant::now();
        for i in 0..50u8 {
            flow.push_read(&[i], &f, &mut rng, now, &mut acts);
        }
        let dues: Vec<Instant> = flow.pieces.iter().map(|p| p.due).collect();
        assert!(dues.windows(2).all(|w| w[0] <= w[1]));
        assert!(flow.next_write(&f, now).is_err() || dues[0] <= now);
        let out = drain(&mut flow, &f, now + Duration::from_secs(1));
        assert_eq!(out.concat(), (0..50).collect::<Vec<u8>>());
    }

    #[test]
    fn limit_cuts_and_coalesce_merges() {
        let f = DirFaults { limit: Some(10), coalesce_ms: Some(100), ..DirFaults::default() };
        let mut flow = Flow::new();
        let mut rng = Rng::new(1);
        let mut acts = Vec::new();
        let now = Instant::now();
        flow.push_read(b"abcd", &f, &mut rng, now, &mut acts);
        flow.push_read(b"efgh", &f, &mut rng, now, &mut acts);
        flow.push_read(b"ijkl", &f, &mut rng, now, &mut acts);
        assert_eq!(flow.limit_hit, Some(10));
        assert_eq!(flow.queued(), 10);
        assert!(drain(&mut flow, &f, now).is_empty(), "held");
        let later = now + Duration::from_millis(100);
        flow.release_due(&f, &mut rng, later, false, &mut acts);
        assert_eq!(acts, vec![FaultAction::Coalesced { reads: 3, len: 10 }]);
        assert_eq!(drain(&mut flow, &f, later), vec![b"abcdefghij".to_vec()]);
        assert!(flow.is_empty());
    }

    #[test]
    fn bandwidth_paces_and_says_so_once() {
        let f = DirFaults { bandwidth: Some(100), ..DirFaults::default() };
        let mut flow = Flow::new();
        let mut rng = Rng::new(1);
        let mut acts = Vec::new();
        let now = Instant::now();
        flow.push_read(&[0; 30], &f, &mut rng, now, &mut acts);
        let first = flow.next_write(&f, now).map(<[u8]>::len);
        assert_eq!(first, Ok(10));
        flow.wrote(10, &f, now);
        let Err((Some(at), Some(FaultAction::Throttled { ms }))) = flow.next_write(&f, now) else { panic!() };
        assert_eq!(at, now + Duration::from_millis(100));
        assert_eq!(ms, 100);
        assert!(matches!(flow.next_write(&f, now), Err((Some(_), None))), "one row per piece");
    }
}
