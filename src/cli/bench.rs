//! `socklab bench tcp|udp`: a load test against one server (the engine's `bench`), a line per
//! second, a summary (or one `--json` object), and reports to attach to a ticket. A report
//! repeats its run: `socklab bench --repeat REPORT`.
//!
//! The flags and the `--json` fields are a public interface.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::{Args, Parser, ValueEnum};

use super::printer::say;
use super::{Failure, INTERRUPTED};
use crate::codec::template;
use crate::codec::{self, Encoding};
use crate::engine::bench::{
    self, Bench, BenchEvent, BenchSpec, Ended, Expect, FailureKind, Message, Mode, Outcome, Proto, Rate, SpecError, report,
};
use crate::i18n::{self, Lang};

/// The message when neither `--send` nor `--hex` is given.
pub const DEFAULT_MESSAGE: &str = "hello\n";
/// The run's length when neither `--duration` nor `--count` is given, in seconds.
pub const DEFAULT_DURATION: f64 = 10.0;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchProto {
    Tcp,
    Udp,
}

#[derive(Args, Debug, Clone)]
#[command(after_help = BENCH_HELP)]
pub struct BenchArgs {
    /// tcp or udp (not needed with --repeat).
    #[arg(value_enum, required_unless_present = "repeat")]
    pub proto: Option<BenchProto>,
    /// The server to load, e.g. 127.0.0.1:9000.
    #[arg(long, value_name = "ADDR:PORT", required_unless_present = "repeat")]
    pub connect: Option<String>,
    /// pingpong (send, wait for the reply, send the next: TCP or UDP), throughput (stream
    /// messages: TCP), churn (connect, send, read the reply, close: TCP), blast (datagrams as
    /// fast as they go, replies counted: UDP).
    #[arg(long, default_value = "pingpong", value_parser = parse_mode)]
    pub mode: Mode,
    /// Connections (UDP: sockets) at once, 1 to 10000.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub connections: usize,
    /// The total target rate: messages/s (5000, 2.5k), bytes/s (10MB/s, 512KiB/s), or max. At a
    /// rate, round trips count from when each request should have gone (coordinated omission
    /// corrected).
    #[arg(long, value_name = "R|max", default_value = "max", value_parser = parse_rate)]
    pub rate: Rate,
    /// How long to run, in seconds (default 10 unless --count).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// How many requests (messages) in all, shared by the connections.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// The message as text; `${…}` fields compute themselves per message (${seq} counts per
    /// connection). Default: "hello\n".
    #[arg(long, value_name = "TEXT", conflicts_with = "hex")]
    pub send: Option<String>,
    /// The message as hex bytes, with `${…}` fields between them.
    #[arg(long, value_name = "HEX")]
    pub hex: Option<String>,
    /// What a reply is: sized (as long as the message: echo or upper-case servers), read (one
    /// read or datagram), echo (the message itself), line, bytes:N, regex:RE (up to the match's
    /// end), frame:FRAMING (len16, delim:0d0a, …).
    #[arg(long, value_name = "KIND", default_value = "sized", value_parser = parse_expect)]
    pub expect: Expect,
    /// Worker threads the connections are spread over (default: one per core).
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// A reply (or a connection) that takes longer counts as a timeout, in seconds (up to 60).
    #[arg(long, value_name = "S", default_value_t = bench::DEFAULT_TIMEOUT.as_secs_f64())]
    pub timeout: f64,
    /// Start the connections one after another over this many seconds.
    #[arg(long, value_name = "S", default_value_t = 0.0)]
    pub ramp_up: f64,
    /// --send understands \r \n \t \\ and \xHH escapes (as the GUI's send box does).
    #[arg(long)]
    pub escapes: bool,
    /// The text encoding of --send.
    #[arg(long, default_value = "utf-8", value_parser = parse_encoding)]
    pub encoding: Encoding,
    /// One JSON object at the end instead of text.
    #[arg(long)]
    pub json: bool,
    /// No line per second (the summary, errors and the exit code remain).
    #[arg(long)]
    pub quiet: bool,
    /// Write a report: FILE.csv (a row per second) or FILE.json (everything, the histogram
    /// too). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub report: Vec<PathBuf>,
    /// Run the test of a report again (its settings; flags given here are added after them,
    /// so --report and --json can be changed).
    #[arg(long, value_name = "REPORT")]
    pub repeat: Option<PathBuf>,
}

const BENCH_HELP: &str = "\
The --json summary: sent, received, failures (by kind: refused, reset, timeout, short, wrong,
closed, error), failure_examples (the first of each kind), qps (replies/s; messages/s for
throughput and blast), mbit_s (message bytes sent), p50_us, p90_us, p99_us, p999_us, max_us
(null when no round trip was measured), corrected (a target rate: coordinated omission
corrected), elapsed_s, ended (count, duration, stopped, failed).

Limits: --connections 1 to 10000, --threads 1 to 64, --rate 0.01 to 10000000 messages/s,
--duration up to 86400 s, --timeout up to 60 s, a message up to 1048576 bytes.

Exit codes: 0 the run ended and every request got its reply; 1 some failed (the summary says
which kinds) or the test could not start; 2 bad flags (nothing was sent).";

/// A wrapper to parse `bench …` arguments (a report's) on their own.
#[derive(Parser, Debug)]
#[command(name = "socklab", no_binary_name = true)]
struct Repeat {
    #[command(subcommand)]
    cmd: RepeatCmd,
}
#[derive(clap::Subcommand, Debug)]
enum RepeatCmd {
    Bench(BenchArgs),
}

fn parse_encoding(s: &str) -> Result<Encoding, String> {
    Encoding::parse(s).ok_or_else(|| format!("unknown encoding '{s}': use utf-8 or gbk"))
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    Mode::by_name(&s.to_ascii_lowercase()).ok_or_else(|| "one of pingpong, throughput, churn, blast".into())
}

fn parse_rate(s: &str) -> Result<Rate, String> {
    Rate::parse(s).ok_or_else(|| "messages/s (5000, 2.5k), bytes/s (10MB/s, 512KiB/s) or max".into())
}

fn parse_expect(s: &str) -> Result<Expect, String> {
    Expect::parse(s).map_err(|e| match e {
        bench::ExpectError::Unknown(_) => "one of sized, read, echo, line, bytes:N, regex:RE, frame:FRAMING".into(),
        bench::ExpectError::BadBytes(n) => format!("bytes:N needs N from 1 to {}, not {n:?}", bench::expect::MAX_REPLY),
        bench::ExpectError::BadRegex(e) => format!("the regex does not compile: {e}"),
        bench::ExpectError::BadFrame(e) => format!("not a framing: {e}"),
    })
}

/// The arguments after `socklab` that repeat a run of these flags (what a report keeps).
pub fn args_of(a: &BenchArgs) -> Vec<String> {
    let mut v: Vec<String> = vec!["bench".into()];
    v.push(match a.proto {
        Some(BenchProto::Udp) => "udp".into(),
        _ => "tcp".into(),
    });
    let mut flag = |f: &str, val: String| {
        v.push(format!("--{f}"));
        v.push(val);
    };
    flag("connect", a.connect.clone().unwrap_or_default());
    flag("mode", a.mode.name().into());
    flag("connections", a.connections.to_string());
    flag("rate", a.rate.cli_name());
    if let Some(d) = a.duration {
        flag("duration", d.to_string());
    }
    if let Some(c) = a.count {
        flag("count", c.to_string());
    }
    if let Some(s) = &a.send {
        flag("send", s.clone());
    }
    if let Some(h) = &a.hex {
        flag("hex", h.clone());
    }
    flag("expect", a.expect.cli_name());
    if let Some(t) = a.threads {
        flag("threads", t.to_string());
    }
    flag("timeout", a.timeout.to_string());
    if a.ramp_up > 0.0 {
        flag("ramp-up", a.ramp_up.to_string());
    }
    if a.encoding != Encoding::Utf8 {
        flag("encoding", "gbk".into());
    }
    if a.escapes {
        v.push("--escapes".into());
    }
    v
}

/// Parses the arguments of a report (`bench tcp …`), then `extra` flags after them.
pub fn parse_args(args: &[String]) -> Result<BenchArgs, String> {
    match Repeat::try_parse_from(args) {
        Ok(Repeat { cmd: RepeatCmd::Bench(a) }) => Ok(a),
        Err(e) => Err(e.to_string().trim().to_string()),
    }
}

/// Why flags do not make a load test (the faces put it in words).
#[derive(Clone, Debug)]
pub enum ArgProblem {
    /// `--connect` is not an address.
    Connect(String, crate::engine::Problem),
    /// The message's template is wrong (`hex`: it was `--hex`).
    Template { hex: bool, src: String, error: template::TemplateError },
    /// A number of seconds outside 0 ..= `max`.
    Secs { flag: &'static str, value: f64, max: Duration },
    /// The engine refused the spec.
    Spec(SpecError),
}

fn secs(flag: &'static str, s: f64, max: Duration) -> Result<Duration, ArgProblem> {
    if s.is_finite() && s >= 0.0 && s <= max.as_secs_f64() {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(ArgProblem::Secs { flag, value: s, max })
    }
}

/// The engine's spec of these flags.
pub fn spec_of(a: &BenchArgs) -> Result<BenchSpec, ArgProblem> {
    let proto = match a.proto {
        Some(BenchProto::Udp) => Proto::Udp,
        _ => Proto::Tcp,
    };
    let connect = a.connect.as_deref().unwrap_or_default();
    let target = crate::engine::resolve(connect).map_err(|p| ArgProblem::Connect(connect.to_string(), p))?;
    let (src, mode) = match (&a.send, &a.hex) {
        (_, Some(h)) => (h.as_str(), codec::InputMode::Hex),
        (Some(s), None) => (s.as_str(), codec::InputMode::Text),
        (None, None) => (DEFAULT_MESSAGE, codec::InputMode::Text),
    };
    let t = template::compile(src, mode, a.encoding, a.escapes).map_err(|error| ArgProblem::Template {
        hex: mode == codec::InputMode::Hex,
        src: src.to_string(),
        error,
    })?;
    let message = match t.fixed_bytes() {
        Some(b) => Message::fixed(b),
        None => {
            let t = std::sync::Arc::new(t);
            let source: bench::MessageSource = std::sync::Arc::new(move |n| t.bytes(n).map_err(|e| i18n::template_error(Lang::En, &e)));
            Message { fixed: None, source: Some(source) }
        }
    };
    let duration = match (a.duration, a.count) {
        (Some(d), _) => Some(secs("duration", d, bench::MAX_DURATION)?),
        (None, Some(_)) => None,
        (None, None) => Some(Duration::from_secs_f64(DEFAULT_DURATION)),
    };
    let spec = BenchSpec {
        proto,
        mode: a.mode,
        target,
        connections: a.connections,
        rate: a.rate,
        duration,
        count: a.count,
        message,
        expect: a.expect.clone(),
        threads: a.threads.unwrap_or_else(BenchSpec::default_threads),
        timeout: secs("timeout", a.timeout, bench::MAX_TIMEOUT)?,
        ramp_up: secs("ramp-up", a.ramp_up, bench::MAX_DURATION)?,
    };
    spec.check().map_err(ArgProblem::Spec)?;
    Ok(spec)
}

/// An [`ArgProblem`] in English, naming the flag.
pub fn arg_problem(p: &ArgProblem) -> String {
    match p {
        ArgProblem::Connect(c, p) => format!("--connect {c:?}: {}", super::english(p)),
        ArgProblem::Template { hex, src, error } => {
            format!("{} {src:?}: {}", if *hex { "--hex" } else { "--send" }, i18n::template_error(Lang::En, error))
        }
        ArgProblem::Secs { flag, value, max } => format!("--{flag} {value}: a number of seconds from 0 to {}", max.as_secs()),
        ArgProblem::Spec(e) => spec_error(e),
    }
}

/// A refused spec in English, naming the flag.
pub fn spec_error(e: &SpecError) -> String {
    match e {
        SpecError::ModeProto(m, p) => format!("--mode {} does not work over {}", m.name(), p.name()),
        SpecError::Connections(n) => format!("--connections {n}: from 1 to {}", bench::MAX_CONNECTIONS),
        SpecError::Threads(n) => format!("--threads {n}: from 1 to {}", bench::MAX_THREADS),
        SpecError::Rate(r) => format!("--rate: {r} messages/s is outside {} to {}", bench::MIN_RATE, bench::MAX_RATE),
        SpecError::Unbounded => "give --duration or --count: a run is always bounded".into(),
        SpecError::Duration(d) => format!("--duration {d:?}: more than 0 and at most {} s", bench::MAX_DURATION.as_secs()),
        SpecError::Timeout(d) => format!("--timeout {d:?}: more than 0 and at most {} s", bench::MAX_TIMEOUT.as_secs()),
        SpecError::RampUp(d) => format!("--ramp-up {d:?} is too long"),
        SpecError::Message(m) => format!("the message: {m}"),
        SpecError::MessageTooLong(n) => format!("the message is {n} bytes; a load test sends at most {}", bench::MAX_MESSAGE),
        SpecError::EmptyMessage => "the message is empty".into(),
    }
}

/// Standard output that a gone reader (`| head`) closes quietly.
struct Out {
    closed: bool,
}
impl Out {
    fn line(&mut self, s: &str) {
        if !self.closed {
            let mut o = std::io::stdout().lock();
            if writeln!(o, "{s}").and_then(|_| o.flush()).is_err() {
                self.closed = true;
            }
        }
    }
}

fn us(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:.1}"))
}

pub(super) fn run_bench(a: BenchArgs) -> Result<(), Failure> {
    let (a, args) = match &a.repeat {
        Some(path) => {
            let mut args = report::read_args(path).map_err(|e| {
                Failure::Usage(match e {
                    report::ReadError::Io(e) => format!("--repeat {}: {e}", path.display()),
                    report::ReadError::NotAReport => format!("--repeat {}: not a SockLab bench report", path.display()),
                    report::ReadError::Version(v) => format!("--repeat {}: a report of version {v}, newer than this SockLab", path.display()),
                })
            })?;
            let base = parse_args(&args).map_err(|e| Failure::Usage(format!("--repeat {}: {e}", path.display())))?;
            args = args_of(&base);
            // What this command line changes: where the report goes, the output.
            let mut a2 = base;
            a2.report = a.report.clone();
            a2.json = a.json;
            a2.quiet = a.quiet;
            (a2, args)
        }
        None => {
            let args = args_of(&a);
            (a, args)
        }
    };
    let spec = spec_of(&a).map_err(|p| Failure::Usage(arg_problem(&p)))?;
    let started = jiff::Timestamp::now().to_string();
    let mut out = Out { closed: false };
    let live = !a.json && !a.quiet;
    if live {
        let rate = match spec.rate {
            Rate::Max => "max rate".to_string(),
            r => format!("rate {} (coordinated omission corrected)", r.cli_name()),
        };
        let bound = match (spec.duration, spec.count) {
            (Some(d), Some(c)) => format!("{c} requests or {} s", d.as_secs_f64()),
            (Some(d), None) => format!("{} s", d.as_secs_f64()),
            (None, Some(c)) => format!("{c} requests"),
            (None, None) => String::new(),
        };
        out.line(&format!(
            "socklab bench: {} {} to {}, {} connection(s) on {} thread(s), {rate}, {bound}",
            spec.proto.name(),
            spec.mode.name(),
            spec.target,
            spec.connections,
            spec.threads.min(spec.connections)
        ));
        out.line(&format!("{:>6} {:>9} {:>9} {:>8} {:>10} {:>9} {:>9} {:>9} {:>9}", "second", "sent", "received", "failures", "qps", "Mbit/s", "p50 µs", "p99 µs", "max µs"));
    }
    let mut run = Bench::start(spec.clone(), None).map_err(|e| Failure::Usage(spec_error(&e)))?;
    let outcome = loop {
        if INTERRUPTED.load(Ordering::SeqCst) || (live && out.closed) {
            run.stop();
        }
        match run.events.recv_timeout(Duration::from_millis(100)) {
            Ok(BenchEvent::Second { second, figures: f, .. }) => {
                if live {
                    out.line(&format!(
                        "{:>6} {:>9} {:>9} {:>8} {:>10.1} {:>9.3} {:>9} {:>9} {:>9}",
                        second + 1,
                        f.sent,
                        f.received,
                        f.failures,
                        f.qps,
                        f.mbit_s,
                        us(f.p50_us),
                        us(f.p99_us),
                        us(f.max_us)
                    ));
                }
            }
            Ok(BenchEvent::Done(o)) => break o,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                return Err(Failure::Net(crate::engine::Problem::WorkerGone));
            }
        }
    };
    run.join();
    let mut report_failed = false;
    for path in &a.report {
        if let Err(e) = report::write(path, &args, &spec, &outcome, &started) {
            say!("socklab: cannot write the report {}: {e}", path.display());
            report_failed = true;
        }
    }
    if a.json {
        out.line(&report::summary_json(&spec, &outcome).to_string());
    } else {
        let lines = summary_lines(&spec, &outcome, &a.report);
        if out.closed {
            for l in lines {
                say!("{l}");
            }
        } else {
            for l in lines {
                out.line(&l);
            }
        }
    }
    match &outcome.ended {
        Ended::Failed(e) => {
            say!("socklab: the load test stopped: {e}");
            Err(Failure::Reported)
        }
        _ if report_failed || outcome.total.total_failures() > 0 => Err(Failure::Reported),
        _ => Ok(()),
    }
}

/// The summary in words (English: the CLI's language).
fn summary_lines(spec: &BenchSpec, o: &Outcome, reports: &[PathBuf]) -> Vec<String> {
    let f = o.figures();
    let mut v = Vec::new();
    let ended = match &o.ended {
        Ended::Count => "every request made",
        Ended::Duration => "the duration passed",
        Ended::Stopped => "stopped",
        Ended::Failed(_) => "failed",
    };
    v.push(format!("done in {:.3} s ({ended})", o.elapsed.as_secs_f64()));
    let kinds: Vec<String> = FailureKind::ALL
        .iter()
        .filter(|k| o.total.failures(**k) > 0)
        .map(|k| format!("{} {}", k.name(), o.total.failures(*k)))
        .collect();
    let kinds = if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) };
    v.push(format!("sent {}, received {}, failures {}{kinds}", f.sent, f.received, f.failures));
    let rate = if spec.mode.measures_latency() { "replies/s" } else { "messages/s" };
    v.push(format!("{:.1} {rate}, {:.3} Mbit/s sent, {} connection(s) made", f.qps, f.mbit_s, o.total.connects));
    if f.p50_us.is_some() {
        v.push(format!(
            "round trip µs: p50 {}, p90 {}, p99 {}, p99.9 {}, max {}",
            us(f.p50_us),
            us(f.p90_us),
            us(f.p99_us),
            us(f.p999_us),
            us(f.max_us)
        ));
        v.push(if o.corrected { report::CORRECTED_NOTE.to_string() } else { report::UNCORRECTED_NOTE.to_string() });
    }
    for k in FailureKind::ALL {
        if let Some(e) = o.total.example(k) {
            v.push(format!(
                "first {}: connection {}, message {}, at {:.3} s: {}",
                k.name(),
                e.connection,
                e.message,
                e.at_ms as f64 / 1000.0,
                e.detail
            ));
        }
    }
    for r in reports {
        v.push(format!("report: {}", r.display()));
    }
    v
}
