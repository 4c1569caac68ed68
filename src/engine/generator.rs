//! The traffic generator of a UDP socket: the same datagram again and again at a set rate
//! (packets/s, bytes/s or as fast as the socket takes them), always bounded by a count and/or
//! a duration. The pacing is kept here, apart from the socket, so it can be tested alone.

use std::time::{Duration, Instant};

use super::Problem;
use super::problem::GenLimit;

/// The largest datagram over IPv4 (65,535 − 8 UDP − 20 IP header bytes).
pub const MAX_DATAGRAM: usize = 65_507;
/// The largest datagram over IPv6 without jumbograms (65,535 − 8 UDP bytes: IPv6's payload
/// length does not count its 40-byte header).
pub const MAX_DATAGRAM_V6: usize = 65_527;
/// The largest message the TCP generator writes at a time (1 MiB).
pub const MAX_MESSAGE: usize = 1 << 20;
/// At most this many datagrams in one run…
pub const MAX_COUNT: u64 = 100_000_000;
/// …and at most this long.
pub const MAX_DURATION: Duration = Duration::from_secs(3600);
/// Datagrams sent per loop turn before the worker looks at its socket and commands again.
pub const BATCH: u64 = 512;

/// How fast to send.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rate {
    /// As fast as the socket takes them.
    Max,
    PacketsPerSec(f64),
    BytesPerSec(f64),
}

/// One run of the generator.
#[derive(Clone, Debug, PartialEq)]
pub struct GenSpec {
    /// Where the datagrams go (`ip:port` or `host:port`).
    pub to: String,
    /// The datagram, sent as is every time (without a template), or message 1 of the template
    /// (the checks of size look at it).
    pub data: Vec<u8>,
    /// A message template with fields (`${seq}`, a checksum, …): each datagram is rendered
    /// anew, numbered from 1.
    pub template: Option<std::sync::Arc<crate::codec::template::Template>>,
    pub rate: Rate,
    /// Stop after this many datagrams…
    pub count: Option<u64>,
    /// …or after this long, whichever comes first.
    pub duration: Option<Duration>,
}

impl GenSpec {
    /// Checks the limits: a count or a duration (never unbounded), a datagram UDP can carry,
    /// a positive rate.
    pub fn check(&self) -> Result<(), Problem> {
        self.check_size(MAX_DATAGRAM, false)
    }

    /// The same limits for messages written to a TCP stream (`to` is not used).
    pub fn check_stream(&self) -> Result<(), Problem> {
        self.check_size(MAX_MESSAGE, true)
    }

    fn check_size(&self, max: usize, stream: bool) -> Result<(), Problem> {
        let bad = |limit: GenLimit| Err(Problem::Generator(limit));
        if self.count.is_none() && self.duration.is_none() {
            return bad(GenLimit::Unbounded);
        }
        if self.count.is_some_and(|c| c == 0 || c > MAX_COUNT) {
            return bad(GenLimit::Count { max: MAX_COUNT });
        }
        if self.duration.is_some_and(|d| d.is_zero() || d > MAX_DURATION) {
            return bad(GenLimit::Duration { max_secs: MAX_DURATION.as_secs() });
        }
        if self.data.is_empty() || self.data.len() > max {
            return bad(GenLimit::Size { max, stream });
        }
        match self.rate {
            Rate::PacketsPerSec(r) | Rate::BytesPerSec(r) if !(r.is_finite() && r > 0.0) => bad(GenLimit::Rate),
            _ => Ok(()),
        }
    }

    /// Seconds between two datagrams, or `None` for as fast as possible.
    fn interval(&self) -> Option<f64> {
        match self.rate {
            Rate::Max => None,
            Rate::PacketsPerSec(r) => Some(1.0 / r),
            Rate::BytesPerSec(r) => Some(self.data.len() as f64 / r),
        }
    }
}

/// Where a run is: what was sent, what is due.
#[derive(Debug)]
pub struct Pacer {
    start: Instant,
    interval: Option<f64>,
    count: Option<u64>,
    end: Option<Instant>,
    pub sent: u64,
    pub bytes: u64,
}

impl Pacer {
    pub fn new(spec: &GenSpec, now: Instant) -> Pacer {
        Pacer {
            start: now,
            interval: spec.interval(),
            count: spec.count,
            end: spec.duration.map(|d| now + d),
            sent: 0,
            bytes: 0,
        }
    }

    /// Datagrams to send now (at most [`BATCH`]): the first one at once, then one per interval.
    pub fn due(&self, now: Instant) -> u64 {
        if self.finished(now) {
            return 0;
        }
        let by_time = match self.interval {
            None => u64::MAX,
            // Whole intervals elapsed, plus the one sent at the start. A huge rate makes the
            // quotient infinite: `as` saturates it to u64::MAX, and the `+ 1` saturates too.
            Some(i) => (((now - self.start).as_secs_f64() / i) as u64).saturating_add(1),
        };
        let by_count = self.count.unwrap_or(u64::MAX);
        by_time.min(by_count).saturating_sub(self.sent).min(BATCH)
    }

    pub fn record(&mut self, bytes: usize) {
        self.sent += 1;
        self.bytes += bytes as u64;
    }

    /// Ends the run now (a message could not be made): nothing more is due.
    pub fn stop(&mut self) {
        self.count = Some(self.sent);
    }

    /// Every datagram sent, or the time is up.
    pub fn finished(&self, now: Instant) -> bool {
        self.count.is_some_and(|c| self.sent >= c) || self.end.is_some_and(|e| now >= e)
    }

    /// How long the worker may sleep before the next datagram is due (or the run ends), at
    /// most [`MAX_DURATION`]: a rate so small that the next datagram is due later than any run
    /// may last (1e-20/s: in 1e20 s, more than a `Duration` holds) sleeps an hour at a time
    /// instead of overflowing.
    pub fn wait(&self, now: Instant) -> Duration {
        if self.due(now) > 0 || self.finished(now) {
            return Duration::ZERO;
        }
        let next = match self.interval {
            Some(i) => Duration::try_from_secs_f64(i * self.sent as f64).ok().and_then(|d| self.start.checked_add(d)),
            None => Some(now),
        };
        let next = match (next, self.end) {
            (Some(n), Some(e)) => n.min(e),
            (Some(n), None) => n,
            (None, Some(e)) => e,
            (None, None) => return MAX_DURATION,
        };
        next.saturating_duration_since(now).min(MAX_DURATION)
    }

    pub fn elapsed(&self, now: Instant) -> Duration {
        now - self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(rate: Rate, count: Option<u64>, duration: Option<Duration>) -> GenSpec {
        GenSpec { to: "127.0.0.1:9".into(), data: vec![0; 100], template: None, rate, count, duration }
    }

    #[test]
    fn limits_are_checked() {
        assert!(spec(Rate::Max, Some(10), None).check().is_ok());
        assert!(spec(Rate::Max, None, Some(Duration::from_secs(1))).check().is_ok());
        for s in [
            spec(Rate::Max, None, None),
            spec(Rate::Max, Some(0), None),
            spec(Rate::Max, Some(MAX_COUNT + 1), None),
            spec(Rate::Max, None, Some(Duration::ZERO)),
            spec(Rate::Max, None, Some(MAX_DURATION + Duration::from_secs(1))),
            spec(Rate::PacketsPerSec(0.0), Some(1), None),
            spec(Rate::BytesPerSec(f64::NAN), Some(1), None),
            GenSpec { data: vec![], ..spec(Rate::Max, Some(1), None) },
            GenSpec { data: vec![0; MAX_DATAGRAM + 1], ..spec(Rate::Max, Some(1), None) },
        ] {
            assert!(matches!(s.check(), Err(Problem::Generator(_))), "{s:?}");
        }
        let big = GenSpec { data: vec![0; MAX_DATAGRAM + 1], ..spec(Rate::Max, Some(1), None) };
        assert!(big.check_stream().is_ok(), "a TCP message may be larger than a datagram");
        let huge = GenSpec { data: vec![0; MAX_MESSAGE + 1], ..big };
        assert!(huge.check_stream().is_err());
    }

    #[test]
    fn packets_per_second_are_paced() {
        let t0 = Instant::now();
        let mut p = Pacer::new(&spec(Rate::PacketsPerSec(100.0), Some(1000), None), t0);
        assert_eq!(p.due(t0), 1, "the first one at once");
        p.record(100);
        assert_eq!(p.due(t0), 0);
        assert_eq!(p.wait(t0), Duration::from_millis(10));
        assert_eq!(p.due(t0 + Duration::from_millis(55)), 5, "one per 10 ms");
        for _ in 0..5 {
            p.record(100);
        }
        assert_eq!(p.due(t0 + Duration::from_secs(60)), BATCH, "a late worker catches up in batches");
        assert_eq!(p.bytes, 600);
    }

    #[test]
    fn bytes_per_second_and_limits_end_the_run() {
        let t0 = Instant::now();
        // 100-byte datagrams at 1000 B/s: 10 per second.
        let mut p = Pacer::new(&spec(Rate::BytesPerSec(1000.0), Some(3), None), t0);
        assert_eq!(p.due(t0 + Duration::from_millis(150)), 2);
        for _ in 0..3 {
            p.record(100);
        }
        assert!(p.finished(t0), "the count is reached");
        assert_eq!(p.due(t0 + Duration::from_secs(9)), 0);

        let p = Pacer::new(&spec(Rate::Max, None, Some(Duration::from_secs(2))), t0);
        assert_eq!(p.due(t0), BATCH, "as fast as possible, a batch at a time");
        assert!(!p.finished(t0 + Duration::from_secs(1)));
        assert!(p.finished(t0 + Duration::from_secs(2)), "the time is up");
        assert_eq!(p.wait(t0 + Duration::from_secs(2)), Duration::ZERO);
    }

    #[test]
    fn a_tiny_rate_saturates_the_wait_instead_of_panicking() {
        let t0 = Instant::now();
        for rate in [Rate::PacketsPerSec(1e-20), Rate::BytesPerSec(1e-300), Rate::PacketsPerSec(f64::MIN_POSITIVE)] {
            // The second datagram is due in 1e20 s or more: later than any run may last.
            let mut p = Pacer::new(&spec(rate, Some(2), None), t0);
            assert_eq!(p.due(t0), 1, "{rate:?}: the first one at once");
            p.record(100);
            assert_eq!(p.due(t0 + MAX_DURATION), 0, "{rate:?}");
            let w = p.wait(t0);
            assert!(w > Duration::ZERO && w <= MAX_DURATION, "{rate:?}: a bounded sleep, not a panic: {w:?}");
            // With a duration the run ends on time.
            let mut p = Pacer::new(&spec(rate, Some(2), Some(Duration::from_secs(2))), t0);
            p.record(100);
            assert_eq!(p.wait(t0 + Duration::from_secs(1)), Duration::from_secs(1), "{rate:?}");
            assert!(p.finished(t0 + Duration::from_secs(2)));
        }
    }

    #[test]
    fn a_huge_rate_saturates_to_as_fast_as_possible() {
        let t0 = Instant::now();
        for rate in [Rate::PacketsPerSec(1e300), Rate::BytesPerSec(f64::MAX), Rate::PacketsPerSec(1e20)] {
            let mut p = Pacer::new(&spec(rate, Some(10_000), None), t0);
            assert_eq!(p.due(t0), 1, "{rate:?}");
            p.record(100);
            // Every datagram is overdue a moment later: a full batch each turn, like Rate::Max.
            let later = t0 + Duration::from_millis(1);
            assert_eq!(p.due(later), BATCH, "{rate:?}: sends, never stalls at zero");
            assert_eq!(p.wait(later), Duration::ZERO, "{rate:?}");
            for _ in 0..9_999 {
                p.record(100);
            }
            assert!(p.finished(later));
            assert_eq!(p.due(later), 0);
        }
    }
}
