//! Load tests (`socklab bench`, the Load tab): N connections against one server, at a target
//! rate or as fast as it goes, for a duration or a count, with round trips in an HdrHistogram.
//!
//! A run is one coordinator thread (`bench`) and T worker threads (`bench-1` …), each with its
//! own `mio` poll and a share of the connections (connection i goes to worker i mod T). Every
//! second a worker hands the coordinator what it counted in that second; once every worker has
//! handed in a second, the coordinator sends it on as a [`BenchEvent::Second`], and at the end
//! the whole run as a [`BenchEvent::Done`]. The channels are bounded; stopping (or dropping the
//! handle) joins every thread.
//!
//! At a target rate each connection has its own schedule (the rate shared out, starts spread
//! out) and a round trip is measured from when its request *should* have gone, not when it did
//! (coordinated omission corrected, as wrk2 does): a server that stalls holds up the requests
//! due meanwhile, and each of them counts the stall. At `max` a round trip is measured from the
//! send.

pub mod expect;
pub mod report;
mod schedule;
pub mod stats;
mod tcp;
mod udp;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

pub use expect::{Expect, ExpectError};
pub use stats::{FailureKind, Figures, Stats};

use super::Notify;
pub use crate::vocab::Proto;

/// The most connections (or UDP sockets) one run opens: each is a file descriptor, and the
/// process may hold 20,000 (both ends of a loopback test count).
pub const MAX_CONNECTIONS: usize = 10_000;
/// The most worker threads.
pub const MAX_THREADS: usize = 64;
/// The highest target rate, in messages per second.
pub const MAX_RATE: f64 = 10_000_000.0;
/// The lowest target rate.
pub const MIN_RATE: f64 = 0.01;
/// The longest run.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);
/// How long a reply (or a connection) may take before it counts as a timeout, by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest `--timeout`.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest message of a load test (a TCP write or a UDP datagram's limit applies too).
pub const MAX_MESSAGE: usize = 1 << 20;

/// What a run does on each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    /// Send a message, wait for its reply, send the next (TCP or UDP).
    #[default]
    PingPong,
    /// Stream messages as fast as the connection takes them, or at the rate (TCP).
    Throughput,
    /// Connect, send, read the reply, close, again (TCP).
    Churn,
    /// Send datagrams as fast as they go, or at the rate; replies are counted (UDP).
    Blast,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::PingPong, Mode::Throughput, Mode::Churn, Mode::Blast];

    /// The CLI spelling (a format: never translated).
    pub fn name(self) -> &'static str {
        match self {
            Mode::PingPong => "pingpong",
            Mode::Throughput => "throughput",
            Mode::Churn => "churn",
            Mode::Blast => "blast",
        }
    }

    pub fn by_name(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == s)
    }

    /// Whether the mode works over this protocol.
    pub fn fits(self, proto: Proto) -> bool {
        match self {
            Mode::PingPong => true,
            Mode::Throughput | Mode::Churn => proto == Proto::Tcp,
            Mode::Blast => proto == Proto::Udp,
        }
    }

    /// Whether a run in this mode measures round trips.
    pub fn measures_latency(self) -> bool {
        matches!(self, Mode::PingPong | Mode::Churn)
    }
}

/// A target rate: messages per second, or bytes per second (turned into messages by the length
/// of the first message).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rate {
    Max,
    Messages(f64),
    Bytes(f64),
}

impl Rate {
    /// `max`, `5000` (messages/s), `2.5k`, `1m`, or bytes/s: `10MB/s`, `500kB/s`, `64B/s`
    /// (k, M, G are powers of 1000; KiB/MiB/GiB of 1024).
    pub fn parse(s: &str) -> Option<Rate> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("max") {
            return Some(Rate::Max);
        }
        let (num, bytes) = match s.strip_suffix("/s") {
            Some(b) => (b.strip_suffix('B')?, true),
            None => (s, false),
        };
        let units: [(&str, f64); 6] =
            [("Ki", 1024.0), ("Mi", 1048576.0), ("Gi", 1073741824.0), ("k", 1e3), ("M", 1e6), ("G", 1e9)];
        let (num, scale) = units
            .iter()
            .find_map(|(u, f)| num.strip_suffix(u).map(|n| (n, *f)))
            .or_else(|| (!bytes).then(|| num.strip_suffix('m').map(|n| (n, 1e6))).flatten())
            .unwrap_or((num, 1.0));
        let v = num.trim().parse::<f64>().ok()? * scale;
        if !v.is_finite() || v <= 0.0 {
            return None;
        }
        Some(if bytes { Rate::Bytes(v) } else { Rate::Messages(v) })
    }

    /// The spelling [`Rate::parse`] reads back.
    pub fn cli_name(self) -> String {
        match self {
            Rate::Max => "max".into(),
            Rate::Messages(m) => format!("{m}"),
            Rate::Bytes(b) => format!("{b}B/s"),
        }
    }
}

/// Makes message `n` (from 1) of a connection: a fixed message, a template, a saved packet…
pub type MessageSource = Arc<dyn Fn(u64) -> Result<Vec<u8>, String> + Send + Sync>;

/// The message of a run.
#[derive(Clone)]
pub struct Message {
    /// The same bytes every time (the fast path: nothing rendered).
    pub fixed: Option<Arc<[u8]>>,
    /// Otherwise message `n` of a connection; an error ends the run (said in the outcome).
    pub source: Option<MessageSource>,
}

impl Message {
    pub fn fixed(bytes: Vec<u8>) -> Message {
        Message { fixed: Some(bytes.into()), source: None }
    }

    pub fn make(&self, n: u64) -> Result<Arc<[u8]>, String> {
        match (&self.fixed, &self.source) {
            (Some(b), _) => Ok(b.clone()),
            (None, Some(f)) => f(n).map(Into::into),
            (None, None) => Ok(Arc::from(&b""[..])),
        }
    }
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.fixed {
            Some(b) => write!(f, "Message({} bytes)", b.len()),
            None => f.write_str("Message(rendered)"),
        }
    }
}

/// Everything a run needs.
#[derive(Clone, Debug)]
pub struct BenchSpec {
    pub proto: Proto,
    pub mode: Mode,
    pub target: SocketAddr,
    pub connections: usize,
    pub rate: Rate,
    /// At least one of `duration` and `count`: a run is always bounded.
    pub duration: Option<Duration>,
    /// Requests (ping-pong, churn) or messages (throughput, blast) in all.
    pub count: Option<u64>,
    pub message: Message,
    pub expect: Expect,
    pub threads: usize,
    pub timeout: Duration,
    /// Connections start one after another over this long.
    pub ramp_up: Duration,
}

/// Why a spec was refused (nothing was started).
#[derive(Clone, Debug, PartialEq)]
pub enum SpecError {
    ModeProto(Mode, Proto),
    Connections(usize),
    Threads(usize),
    Rate(f64),
    Unbounded,
    Duration(Duration),
    Timeout(Duration),
    RampUp(Duration),
    Message(String),
    MessageTooLong(usize),
    EmptyMessage,
}

impl BenchSpec {
    /// The default number of worker threads: one per core.
    pub fn default_threads() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS)
    }

    /// Checks the limits and works out the rate in messages per second (`None`: max).
    pub fn check(&self) -> Result<Option<f64>, SpecError> {
        if !self.mode.fits(self.proto) {
            return Err(SpecError::ModeProto(self.mode, self.proto));
        }
        if !(1..=MAX_CONNECTIONS).contains(&self.connections) {
            return Err(SpecError::Connections(self.connections));
        }
        if !(1..=MAX_THREADS).contains(&self.threads) {
            return Err(SpecError::Threads(self.threads));
        }
        if self.duration.is_none() && self.count.is_none() {
            return Err(SpecError::Unbounded);
        }
        if let Some(d) = self.duration
            && (d.is_zero() || d > MAX_DURATION)
        {
            return Err(SpecError::Duration(d));
        }
        if self.timeout.is_zero() || self.timeout > MAX_TIMEOUT {
            return Err(SpecError::Timeout(self.timeout));
        }
        if self.ramp_up > MAX_DURATION {
            return Err(SpecError::RampUp(self.ramp_up));
        }
        let first = self.message.make(1).map_err(SpecError::Message)?;
        if first.len() > MAX_MESSAGE {
            return Err(SpecError::MessageTooLong(first.len()));
        }
        if first.is_empty() && self.mode != Mode::Churn && !(self.proto == Proto::Udp) {
            return Err(SpecError::EmptyMessage);
        }
        let rate = match self.rate {
            Rate::Max => None,
            Rate::Messages(m) => Some(m),
            Rate::Bytes(b) => Some(b / first.len().max(1) as f64),
        };
        match rate {
            Some(r) if !(MIN_RATE..=MAX_RATE).contains(&r) || !r.is_finite() => Err(SpecError::Rate(r)),
            r => Ok(r),
        }
    }
}

/// What a run sends its owner.
#[derive(Debug)]
pub enum BenchEvent {
    /// One second of the run (from 0), every worker's share added up.
    Second { second: u64, figures: Figures },
    /// The run is over.
    Done(Box<Outcome>),
}

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Every request of `--count` was made.
    Count,
    /// `--duration` passed.
    Duration,
    /// Stopped by its owner (Stop, Ctrl-C).
    Stopped,
    /// A message could not be made (a template's error), or a worker could not start.
    Failed(String),
}

/// A whole run.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub ended: Ended,
    /// From the start to the end of the last request.
    pub elapsed: Duration,
    pub total: Stats,
    /// The figures of each second.
    pub seconds: Vec<Figures>,
    /// Round trips measured from when each request should have gone (a target rate was set).
    pub corrected: bool,
}

impl Outcome {
    pub fn figures(&self) -> Figures {
        self.total.figures(self.elapsed.as_secs_f64())
    }
}

/// A running load test. Dropping it stops the run and joins its threads.
pub struct Bench {
    pub events: Receiver<BenchEvent>,
    stop: Arc<AtomicBool>,
    coordinator: Option<JoinHandle<()>>,
}

impl Bench {
    /// Starts a run (the spec is checked first: nothing starts if it is refused).
    pub fn start(spec: BenchSpec, notify: Option<Notify>) -> Result<Bench, SpecError> {
        let rate = spec.check()?;
        let (tx, events) = crossbeam_channel::bounded(256);
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let run = Run { spec: Arc::new(spec), rate, stop: stop.clone(), start: started };
        let coordinator = std::thread::Builder::new()
            .name("bench".into())
            .spawn(move || coordinate(run, tx, notify))
            .map_err(|e| SpecError::Message(e.to_string()))?;
        Ok(Bench { events, stop, coordinator: Some(coordinator) })
    }

    /// Asks the run to end now (requests in flight are left unanswered); the last event is
    /// still [`BenchEvent::Done`].
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Waits for the threads to end (after [`Bench::stop`] or the run's own end).
    pub fn join(&mut self) {
        if let Some(h) = self.coordinator.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        self.stop();
        // The coordinator may be waiting to hand over an event: drain while it ends.
        while self.coordinator.as_ref().is_some_and(|h| !h.is_finished()) {
            while self.events.try_recv().is_ok() {}
            std::thread::sleep(Duration::from_millis(2));
        }
        self.join();
    }
}

/// What every thread of a run shares.
#[derive(Clone)]
pub(crate) struct Run {
    pub spec: Arc<BenchSpec>,
    /// Messages per second in all, or `None`: max.
    pub rate: Option<f64>,
    pub stop: Arc<AtomicBool>,
    pub start: Instant,
}

impl Run {
    /// The end of the run's duration.
    pub fn end(&self) -> Option<Instant> {
        self.spec.duration.map(|d| self.start + d)
    }

    /// The connections of worker `w` of `workers`: every `workers`-th, from `w`.
    pub fn connections_of(&self, w: usize, workers: usize) -> impl Iterator<Item = usize> {
        (w..self.spec.connections).step_by(workers.max(1))
    }

    /// The schedule of connection `i`.
    pub fn pace(&self, i: usize) -> schedule::Pace {
        schedule::Pace::new(self, i)
    }

    /// Milliseconds since the start, for failure examples.
    pub fn at_ms(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.start).as_millis()).unwrap_or(u64::MAX)
    }
}

/// What a worker hands the coordinator.
pub(crate) enum WorkerMsg {
    /// What worker `worker` counted in second `second`.
    Second { worker: usize, second: u64, stats: Box<Stats> },
    /// Worker `worker` is done: its last second was handed in before; `last` is when its last
    /// request ended; `error` says why it ended early.
    Done { worker: usize, last: Instant, error: Option<String> },
}

/// A worker's counters for the current second, handed in as seconds pass.
pub(crate) struct Tally {
    worker: usize,
    start: Instant,
    second: u64,
    stats: Box<Stats>,
    tx: Sender<WorkerMsg>,
}

impl Tally {
    pub fn new(run: &Run, worker: usize, tx: Sender<WorkerMsg>) -> Tally {
        Tally { worker, start: run.start, second: 0, stats: Box::default(), tx }
    }

    /// The counters of the second `now` falls in (handing in the seconds before it).
    pub fn at(&mut self, now: Instant) -> &mut Stats {
        let s = now.saturating_duration_since(self.start).as_secs();
        while self.second < s {
            let stats = std::mem::take(&mut self.stats);
            let _ = self.tx.send(WorkerMsg::Second { worker: self.worker, second: self.second, stats });
            self.second += 1;
        }
        &mut self.stats
    }

    /// Hands in the last second and says the worker is done.
    pub fn finish(mut self, last: Instant, error: Option<String>) {
        let now = Instant::now();
        self.at(now);
        let stats = std::mem::take(&mut self.stats);
        // The second the run ended in, unless nothing happened in it (the end fell just past a
        // second's start): a plot would show a drop to zero that did not happen.
        if !stats.is_empty() || self.second == 0 {
            let _ = self.tx.send(WorkerMsg::Second { worker: self.worker, second: self.second, stats });
        }
        let _ = self.tx.send(WorkerMsg::Done { worker: self.worker, last, error });
    }
}

/// The coordinator: starts the workers, adds up their seconds in order, joins them.
fn coordinate(run: Run, tx: Sender<BenchEvent>, notify: Option<Notify>) {
    let workers = run.spec.threads.min(run.spec.connections).max(1);
    let (wtx, wrx) = crossbeam_channel::bounded::<WorkerMsg>(64 * workers);
    let mut handles = Vec::with_capacity(workers);
    let mut failed: Option<String> = None;
    for w in 0..workers {
        let (mine, wtx) = (run.clone(), wtx.clone());
        let body = move || match mine.spec.proto {
            Proto::Udp => udp::work(&mine, w, workers, wtx),
            Proto::Tcp => tcp::work(&mine, w, workers, wtx),
        };
        match std::thread::Builder::new().name(format!("bench-{}", w + 1)).spawn(body) {
            Ok(h) => handles.push(h),
            Err(e) => {
                failed = Some(e.to_string());
                run.stop.store(true, Ordering::SeqCst);
                break;
            }
        }
    }
    drop(wtx);
    let started = handles.len();
    let wake = || {
        if let Some(n) = &notify {
            n();
        }
    };
    // Seconds handed in and not yet sent on, by second. A worker hands in its seconds in order,
    // so worker w has handed in every second before `handed[w]`.
    let mut pending: std::collections::BTreeMap<u64, Stats> = Default::default();
    let mut handed = vec![0u64; started];
    let mut finished = vec![false; started];
    let mut done = 0usize;
    let mut total = Stats::default();
    let mut seconds: Vec<Figures> = Vec::new();
    let mut last = run.start;
    while done < started {
        let Ok(msg) = wrx.recv() else { break };
        match msg {
            WorkerMsg::Second { worker, second, stats } => {
                pending.entry(second).or_default().merge(&stats);
                if let Some(h) = handed.get_mut(worker) {
                    *h = second + 1;
                }
            }
            WorkerMsg::Done { worker, last: l, error } => {
                done += 1;
                if let Some(f) = finished.get_mut(worker) {
                    *f = true;
                }
                last = last.max(l);
                if failed.is_none() {
                    failed = error;
                }
            }
        }
        // Send on every second that each worker still running has handed in.
        while let Some(&s) = pending.keys().next() {
            let complete = handed.iter().zip(&finished).all(|(&h, &f)| f || h > s);
            let Some(stats) = complete.then(|| pending.remove(&s)).flatten() else { break };
            let figures = stats.figures(second_length(&run, s, (done == started).then_some(last)));
            total.merge(&stats);
            seconds.push(figures.clone());
            // An owner that does not keep up misses a second; the outcome has them all.
            let _ = tx.try_send(BenchEvent::Second { second: s, figures });
            wake();
        }
    }
    // A worker that did not say it was done (it panicked): what it handed in still counts.
    for (s, stats) in std::mem::take(&mut pending) {
        seconds.push(stats.figures(second_length(&run, s, Some(last))));
        total.merge(&stats);
    }
    for h in handles {
        let _ = h.join();
    }
    let ended = match failed {
        Some(e) => Ended::Failed(e),
        None if run.stop.load(Ordering::SeqCst) => Ended::Stopped,
        None if run.spec.count.is_some() && run.end().is_none_or(|end| last < end) => Ended::Count,
        None => Ended::Duration,
    };
    let elapsed = last.saturating_duration_since(run.start).max(Duration::from_micros(1));
    let outcome = Outcome { ended, elapsed, total, seconds, corrected: run.rate.is_some() };
    let _ = tx.send(BenchEvent::Done(Box::new(outcome)));
    wake();
}

/// How long second `s` of the run lasted, in seconds: 1, but the last one (once every worker
/// is done, `last` is when the run's last reply came) only up to that moment, so its rate is
/// not diluted by the part of the second after the end.
fn second_length(run: &Run, s: u64, last: Option<Instant>) -> f64 {
    let len = last.map_or(1.0, |l| l.saturating_duration_since(run.start).as_secs_f64() - s as f64);
    // A second after the last event (nothing in it was timed): a whole one.
    if len > 0.0 { len.min(1.0) } else { 1.0 }
}

/// The bytes of a reply for a failure example: printable ASCII as is, the rest escaped, at
/// most 64 bytes shown.
pub(crate) fn shown(bytes: &[u8]) -> String {
    let mut s: String = bytes.iter().take(64).flat_map(|&b| std::ascii::escape_default(b)).map(char::from).collect();
    if bytes.len() > 64 {
        s.push_str(&format!("… ({} bytes)", bytes.len()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_back() {
        assert_eq!(Rate::parse("max"), Some(Rate::Max));
        assert_eq!(Rate::parse("5000"), Some(Rate::Messages(5000.0)));
        assert_eq!(Rate::parse("2.5k"), Some(Rate::Messages(2500.0)));
        assert_eq!(Rate::parse("1m"), Some(Rate::Messages(1e6)));
        assert_eq!(Rate::parse("10MB/s"), Some(Rate::Bytes(1e7)));
        assert_eq!(Rate::parse("64KiB/s"), Some(Rate::Bytes(65536.0)));
        assert_eq!(Rate::parse("0"), None);
        assert_eq!(Rate::parse("fast"), None);
        assert_eq!(Rate::parse("10mB/s"), None);
        for r in [Rate::Max, Rate::Messages(5000.0), Rate::Messages(0.5), Rate::Bytes(1e7)] {
            assert_eq!(Rate::parse(&r.cli_name()), Some(r));
        }
    }
}
