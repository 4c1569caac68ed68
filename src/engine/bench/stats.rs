//! What a load test counts: messages and bytes each way, failures by kind (with the first of
//! each), and round-trip times in an HdrHistogram, per second and for the whole run.

use std::time::Duration;

use hdrhistogram::Histogram;

/// The longest round trip a histogram holds apart (60 s); longer ones count as 60 s.
pub const MAX_LATENCY_NS: u64 = 60_000_000_000;
/// Significant digits the histogram keeps: 3, so 10.0 µs and 10.01 µs are told apart.
const SIGFIG: u8 = 3;

/// How a request went wrong. The names are a format (`--json`, reports): never translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureKind {
    /// The connection was refused (nothing listens there; for UDP, an ICMP port unreachable).
    Refused,
    /// The peer reset the connection.
    Reset,
    /// No reply (or no connection) within the timeout.
    Timeout,
    /// The peer closed in the middle of a reply.
    Short,
    /// A reply that is not what `--expect` asked for.
    Wrong,
    /// The peer closed before any of the reply came.
    Closed,
    /// Anything else the system said (no route, a send that failed, too many open files, …).
    Error,
}

impl FailureKind {
    pub const ALL: [FailureKind; 7] = [
        FailureKind::Refused,
        FailureKind::Reset,
        FailureKind::Timeout,
        FailureKind::Short,
        FailureKind::Wrong,
        FailureKind::Closed,
        FailureKind::Error,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FailureKind::Refused => "refused",
            FailureKind::Reset => "reset",
            FailureKind::Timeout => "timeout",
            FailureKind::Short => "short",
            FailureKind::Wrong => "wrong",
            FailureKind::Closed => "closed",
            FailureKind::Error => "error",
        }
    }

    #[cfg(test)]
    pub fn by_name(name: &str) -> Option<FailureKind> {
        FailureKind::ALL.into_iter().find(|k| k.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The kind of an I/O error on a socket.
    pub fn of_io(e: &std::io::Error) -> FailureKind {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::ConnectionRefused => FailureKind::Refused,
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => FailureKind::Reset,
            K::TimedOut => FailureKind::Timeout,
            K::UnexpectedEof => FailureKind::Closed,
            _ => FailureKind::Error,
        }
    }
}

/// The first failure of a kind: where and when, and what was seen.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FailureExample {
    /// The connection (or UDP socket), from 0.
    pub connection: usize,
    /// The message number on it, from 1 (0: before any message, e.g. the connect).
    pub message: u64,
    /// Milliseconds after the start of the run.
    pub at_ms: u64,
    /// The system's error, or the bytes that came (escaped, at most 64 shown).
    pub detail: String,
}

/// Counters and round-trip times of a stretch of a run.
#[derive(Clone, Debug)]
pub struct Stats {
    /// Messages sent (written whole to the socket).
    pub sent: u64,
    /// Replies received whole (ping-pong, churn) or datagrams that came back (blast).
    pub received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Connections made (TCP).
    pub connects: u64,
    failures: [u64; 7],
    examples: [Option<FailureExample>; 7],
    /// Round trips, in nanoseconds.
    pub latency: Histogram<u64>,
}

fn histogram() -> Histogram<u64> {
    // The bounds are constants that satisfy the crate's rules (low ≥ 1, high ≥ 2 × low, sigfig ≤ 5).
    #[allow(clippy::expect_used, reason = "constant, valid bounds")]
    Histogram::new_with_bounds(1, MAX_LATENCY_NS, SIGFIG).expect("valid histogram bounds")
}

impl Default for Stats {
    fn default() -> Stats {
        Stats {
            sent: 0,
            received: 0,
            bytes_sent: 0,
            bytes_received: 0,
            connects: 0,
            failures: [0; 7],
            examples: Default::default(),
            latency: histogram(),
        }
    }
}

impl Stats {
    pub fn record(&mut self, round_trip: Duration) {
        let ns = u64::try_from(round_trip.as_nanos()).unwrap_or(u64::MAX).clamp(1, MAX_LATENCY_NS);
        self.latency.saturating_record(ns);
    }

    pub fn fail(&mut self, kind: FailureKind, example: impl FnOnce() -> FailureExample) {
        let i = kind.index();
        if let (Some(n), Some(first)) = (self.failures.get_mut(i), self.examples.get_mut(i)) {
            *n += 1;
            if first.is_none() {
                *first = Some(example());
            }
        }
    }

    pub fn failures(&self, kind: FailureKind) -> u64 {
        self.failures.get(kind.index()).copied().unwrap_or(0)
    }

    /// Nothing happened in these counters.
    pub fn is_empty(&self) -> bool {
        self.sent == 0 && self.received == 0 && self.bytes_sent == 0 && self.bytes_received == 0 && self.connects == 0 && self.total_failures() == 0
    }

    pub fn total_failures(&self) -> u64 {
        self.failures.iter().sum()
    }

    pub fn example(&self, kind: FailureKind) -> Option<&FailureExample> {
        self.examples.get(kind.index()).and_then(Option::as_ref)
    }

    /// Adds `other` in (its first failures count where this one has none, or an earlier one).
    pub fn merge(&mut self, other: &Stats) {
        self.sent += other.sent;
        self.received += other.received;
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
        self.connects += other.connects;
        for (a, b) in self.failures.iter_mut().zip(other.failures) {
            *a += b;
        }
        for (a, b) in self.examples.iter_mut().zip(&other.examples) {
            if let Some(b) = b
                && a.as_ref().is_none_or(|a| b.at_ms < a.at_ms)
            {
                *a = Some(b.clone());
            }
        }
        // Same bounds on both sides, so adding cannot fail; if it ever did, the counters stay right.
        let _ = self.latency.add(&other.latency);
    }

    /// The figures of this stretch, `secs` long.
    pub fn figures(&self, secs: f64) -> Figures {
        let per_s = |n: f64| if secs > 0.0 { n / secs } else { 0.0 };
        let h = &self.latency;
        let q = |q: f64| (!h.is_empty()).then(|| us(h.value_at_quantile(q)));
        Figures {
            sent: self.sent,
            received: self.received,
            failures: self.total_failures(),
            qps: per_s(if h.is_empty() { self.sent } else { self.received } as f64),
            mbit_s: per_s(self.bytes_sent as f64 * 8.0 / 1e6),
            p50_us: q(0.5),
            p90_us: q(0.9),
            p99_us: q(0.99),
            p999_us: q(0.999),
            max_us: (!h.is_empty()).then(|| us(h.max())),
        }
    }

    /// The histogram as (round trip in µs, count) for each value recorded, smallest first.
    pub fn histogram(&self) -> Vec<(f64, u64)> {
        self.latency.iter_recorded().map(|v| (us(v.value_iterated_to()), v.count_at_value())).collect()
    }
}

/// Nanoseconds as microseconds, to 0.1 µs.
fn us(ns: u64) -> f64 {
    (ns as f64 / 100.0).round() / 10.0
}

/// A stretch of a run in numbers: the `--json` summary's fields.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Figures {
    pub sent: u64,
    pub received: u64,
    pub failures: u64,
    /// Replies per second (ping-pong, churn: requests answered), or messages sent per second
    /// (throughput, blast).
    pub qps: f64,
    /// Message bytes sent per second, in megabits.
    pub mbit_s: f64,
    pub p50_us: Option<f64>,
    pub p90_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub p999_us: Option<f64>,
    pub max_us: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_merging() {
        let mut a = Stats::default();
        for i in 1..=99 {
            a.record(Duration::from_micros(100 + i % 3));
        }
        let mut b = Stats::default();
        b.record(Duration::from_millis(500));
        b.sent = 1;
        b.fail(FailureKind::Timeout, || FailureExample { connection: 2, message: 7, at_ms: 30, detail: "x".into() });
        b.fail(FailureKind::Timeout, || FailureExample { connection: 3, message: 8, at_ms: 40, detail: "y".into() });
        a.merge(&b);
        let f = a.figures(1.0);
        assert_eq!(a.latency.len(), 100);
        assert!((100.0..=102.2).contains(&f.p50_us.unwrap()), "{f:?}");
        assert!((499_000.0..=501_000.0).contains(&f.max_us.unwrap()), "{f:?}");
        assert_eq!(f.failures, 2);
        assert_eq!(a.example(FailureKind::Timeout).unwrap().message, 7);
        assert_eq!(FailureKind::by_name("reset"), Some(FailureKind::Reset));
        let total: u64 = a.histogram().iter().map(|(_, n)| n).sum();
        assert_eq!(total, 100);
    }
}
