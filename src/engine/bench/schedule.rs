//! When each connection sends: its share of the target rate, its start (spread over the ramp-up
//! and over one interval, so connections do not send in lockstep), and its share of the count.

use std::time::{Duration, Instant};

use super::Run;

/// One connection's schedule.
#[derive(Clone, Debug)]
pub struct Pace {
    /// Between two requests of this connection (`None`: as soon as the last one is done).
    interval: Option<Duration>,
    /// When the next request is due.
    next: Instant,
    /// Requests left (`None`: until the duration ends).
    left: Option<u64>,
}

impl Pace {
    pub fn new(run: &Run, i: usize) -> Pace {
        let n = run.spec.connections.max(1);
        let interval = run.rate.map(|r| Duration::from_secs_f64((n as f64 / r).min(86_400.0)));
        let share = |d: Duration| d.mul_f64(i as f64 / n as f64);
        let offset = share(run.spec.ramp_up) + interval.map_or(Duration::ZERO, share);
        let left = run.spec.count.map(|c| c / n as u64 + u64::from((i as u64) < c % n as u64));
        Pace { interval, next: run.start + offset, left }
    }

    /// Whether a request is due at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.left != Some(0) && now >= self.next
    }

    /// Whether every request of this connection has been made.
    pub fn spent(&self) -> bool {
        self.left == Some(0)
    }

    /// When the next request is due (`None`: never, the count is spent).
    pub fn next(&self) -> Option<Instant> {
        (!self.spent()).then_some(self.next)
    }

    /// Takes the next request; returns when it should have gone: at a rate, its place in the
    /// schedule (which may be in the past: the server held up the ones before), else `now`.
    pub fn take(&mut self, now: Instant) -> Instant {
        if let Some(l) = &mut self.left {
            *l = l.saturating_sub(1);
        }
        match self.interval {
            Some(i) => {
                let intended = self.next;
                self.next += i;
                intended
            }
            None => {
                self.next = now;
                now
            }
        }
    }

    /// How many requests are due at `now` (throughput, blast: a burst catches up a late start),
    /// at most `cap`.
    pub fn due_count(&self, now: Instant, cap: u64) -> u64 {
        if !self.due(now) {
            return 0;
        }
        let n = match self.interval {
            Some(i) if !i.is_zero() => {
                let behind = now.saturating_duration_since(self.next).as_nanos() / i.as_nanos().max(1);
                u64::try_from(behind).unwrap_or(u64::MAX).saturating_add(1)
            }
            _ => u64::MAX,
        };
        n.min(cap).min(self.left.unwrap_or(u64::MAX))
    }

    /// Waits a little before the next request (after a failed connection, so a refused port
    /// is not hammered).
    pub fn back_off(&mut self, now: Instant, by: Duration) {
        self.next = self.next.max(now + by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::bench::{BenchSpec, Expect, Message, Mode, Proto, Rate};
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    fn run(connections: usize, rate: Option<f64>, count: Option<u64>) -> Run {
        let spec = BenchSpec {
            proto: Proto::Tcp,
            mode: Mode::PingPong,
            target: "127.0.0.1:1".parse().unwrap(),
            connections,
            rate: rate.map_or(Rate::Max, Rate::Messages),
            duration: None,
            count,
            message: Message::fixed(b"x".to_vec()),
            expect: Expect::Sized,
            threads: 1,
            timeout: Duration::from_secs(1),
            ramp_up: Duration::ZERO,
        };
        Run { spec: Arc::new(spec), rate, stop: Arc::new(AtomicBool::new(false)), start: Instant::now() }
    }

    #[test]
    fn the_count_and_the_rate_are_shared_out() {
        let r = run(3, Some(300.0), Some(10));
        let paces: Vec<Pace> = (0..3).map(|i| r.pace(i)).collect();
        assert_eq!(paces.iter().map(|p| p.left.unwrap()).collect::<Vec<_>>(), [4, 3, 3]);
        assert_eq!(paces[0].interval, Some(Duration::from_millis(10)));
        // Starts are spread over one interval.
        assert!(paces[1].next > paces[0].next && paces[2].next > paces[1].next);
        assert!(paces[2].next - paces[0].next < Duration::from_millis(10));
    }

    #[test]
    fn a_late_request_keeps_its_place_in_the_schedule() {
        let r = run(1, Some(1000.0), None);
        let mut p = r.pace(0);
        let late = r.start + Duration::from_millis(500);
        assert_eq!(p.take(late), r.start, "measured from when it should have gone");
        assert_eq!(p.take(late), r.start + Duration::from_millis(1));
        assert!(p.due(late));
        assert_eq!(p.due_count(late, 1_000_000), 499);
        let r = run(1, None, Some(2));
        let mut p = r.pace(0);
        let now = Instant::now();
        assert_eq!(p.take(now), now);
        p.take(now);
        assert!(p.spent() && !p.due(now) && p.next().is_none());
    }
}
