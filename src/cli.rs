//! The headless command line: the same engine as the GUI, one line per event on stdout.
//!
//! The subcommands, flags and `--json` fields are a public interface: scripts rely on them.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{ArgMatches, Args, Parser, Subcommand, ValueEnum};
use crossbeam_channel::{Receiver, RecvTimeoutError};

use crate::codec::{self, Encoding};
use crate::engine::tcp_client::TcpClientConfig;
use crate::engine::tcp_server::TcpServerConfig;
use crate::engine::udp::UdpConfig;
use crate::engine::{self, CloseReason, Command, Event, EventKind, EventSink, Problem, ReplyMode, WorkerHandle};
use crate::i18n::{self, Lang};
use crate::log::Counters;

#[derive(Parser, Debug)]
#[command(
    name = "socklab",
    version,
    about = "SockLab: a network playground for UDP, TCP and broadcast. Without a subcommand it opens the GUI."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Cmd>,
    /// GUI language for this run: en or zh-CN.
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Bind a UDP socket, send datagrams, print what arrives.
    Udp(UdpArgs),
    /// Listen for TCP clients and print what they send.
    TcpServer(TcpServerArgs),
    /// Connect to a TCP server, send messages, print the replies.
    TcpClient(TcpClientArgs),
    /// Listen for UDP broadcasts, or send one.
    Broadcast(BroadcastArgs),
}

#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Text encoding for --send and for printing received bytes.
    #[arg(long, default_value = "utf-8", value_parser = parse_encoding)]
    pub encoding: Encoding,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct UdpArgs {
    /// Local address to bind, e.g. 127.0.0.1:9999 (port 0: any free port).
    #[arg(long)]
    pub bind: String,
    /// Where --send/--hex datagrams go.
    #[arg(long)]
    pub to: Option<String>,
    /// A text datagram to send (repeatable; order kept with --hex).
    #[arg(long)]
    pub send: Vec<String>,
    /// A datagram given as hex, e.g. "48 65 6c 6c 6f" (repeatable).
    #[arg(long)]
    pub hex: Vec<String>,
    /// Answer every datagram automatically.
    #[arg(long, value_enum, default_value = "none")]
    pub reply: UdpReply,
    /// Exit after this many received datagrams.
    #[arg(long)]
    pub count: Option<u64>,
    /// Exit after this many seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct TcpServerArgs {
    /// Address to listen on, e.g. 127.0.0.1:9999.
    #[arg(long)]
    pub bind: String,
    /// Answer clients automatically, like the tutorial's servers.
    #[arg(long, value_enum, default_value = "none")]
    pub reply: TcpReply,
    /// Serve this many clients, then stop listening and exit when they have all left.
    #[arg(long)]
    pub max_clients: Option<u64>,
    /// Exit after this many received messages (reads).
    #[arg(long)]
    pub count: Option<u64>,
    /// Exit after this many seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    /// listen() backlog.
    #[arg(long, default_value_t = 1024)]
    pub backlog: i32,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct TcpClientArgs {
    /// Server to connect to, e.g. 127.0.0.1:9999.
    #[arg(long)]
    pub connect: String,
    /// A text message to send (repeatable; order kept with --hex).
    #[arg(long)]
    pub send: Vec<String>,
    /// A message given as hex (repeatable).
    #[arg(long)]
    pub hex: Vec<String>,
    /// After the last send, wait this many ms for replies (or until the server closes).
    #[arg(long, default_value_t = 500)]
    pub wait: u64,
    /// Give up connecting after this many ms.
    #[arg(long, default_value_t = 5000)]
    pub timeout: u64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("mode").required(true).args(["listen", "port"]))]
pub struct BroadcastArgs {
    /// Receive broadcasts on this port (binds 0.0.0.0:PORT with SO_REUSEADDR).
    #[arg(long, conflicts_with_all = ["port", "to", "send"])]
    pub listen: Option<u16>,
    /// Send broadcasts to this port.
    #[arg(long, requires = "send")]
    pub port: Option<u16>,
    /// Broadcast address to send to.
    #[arg(long, default_value = "127.255.255.255")]
    pub to: String,
    /// Text to broadcast (repeatable).
    #[arg(long)]
    pub send: Vec<String>,
    /// Exit after this many received datagrams.
    #[arg(long)]
    pub count: Option<u64>,
    /// Exit after this many seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum UdpReply {
    None,
    Echo,
    Upper,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum TcpReply {
    None,
    Echo,
    Upper,
    Timestamp,
    Hello,
}

impl From<UdpReply> for ReplyMode {
    fn from(r: UdpReply) -> Self {
        match r {
            UdpReply::None => ReplyMode::None,
            UdpReply::Echo => ReplyMode::Echo,
            UdpReply::Upper => ReplyMode::Upper,
        }
    }
}

impl From<TcpReply> for ReplyMode {
    fn from(r: TcpReply) -> Self {
        match r {
            TcpReply::None => ReplyMode::None,
            TcpReply::Echo => ReplyMode::Echo,
            TcpReply::Upper => ReplyMode::Upper,
            TcpReply::Timestamp => ReplyMode::Timestamp,
            TcpReply::Hello => ReplyMode::Hello,
        }
    }
}

fn parse_encoding(s: &str) -> Result<Encoding, String> {
    Encoding::parse(s).ok_or_else(|| format!("unknown encoding '{s}': use utf-8 or gbk"))
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("unknown language '{s}': use en or zh-CN"))
}

/// Set by SIGINT/SIGTERM.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Runs a subcommand; `matches` are the subcommand's own, used to keep --send/--hex order.
pub fn run(cmd: Cmd, matches: &ArgMatches) -> ExitCode {
    // If a handler cannot be installed, Ctrl-C still ends the process, just without a summary.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let sub = matches.subcommand().map(|(_, m)| m);
    let result = match cmd {
        Cmd::Udp(a) => run_udp(a, sub),
        Cmd::TcpServer(a) => run_tcp_server(a),
        Cmd::TcpClient(a) => run_tcp_client(a, sub),
        Cmd::Broadcast(a) => run_broadcast(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("socklab: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Net(p)) => {
            eprintln!("socklab: {p}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    /// Bad flags or payloads: nothing was sent.
    Usage(String),
    /// The network said no.
    Net(Problem),
}

/// The payloads in command-line order (--send and --hex interleaved as given).
fn payloads(
    send: &[String],
    hex: &[String],
    encoding: Encoding,
    m: Option<&ArgMatches>,
) -> Result<Vec<Vec<u8>>, Failure> {
    let idx = |id: &str| -> Vec<usize> { m.and_then(|m| m.indices_of(id)).map(|i| i.collect()).unwrap_or_default() };
    let (si, hi) = (idx("send"), idx("hex"));
    let mut all: Vec<(usize, Result<Vec<u8>, codec::CodecError>)> = Vec::new();
    for (i, s) in send.iter().enumerate() {
        all.push((si.get(i).copied().unwrap_or(i), encoding.encode(s)));
    }
    for (i, h) in hex.iter().enumerate() {
        all.push((hi.get(i).copied().unwrap_or(usize::MAX / 2 + i), codec::parse_hex(h)));
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r.map_err(|e| Failure::Usage(i18n::codec_error(Lang::En, &e)))).collect()
}

fn deadline(duration: Option<f64>) -> Result<Option<Instant>, Failure> {
    match duration {
        None => Ok(None),
        Some(d) if d.is_finite() && (0.0..1e9).contains(&d) => Ok(Some(Instant::now() + Duration::from_secs_f64(d))),
        Some(d) => Err(Failure::Usage(format!("--duration {d} is not a number of seconds"))),
    }
}

/// Prints events and keeps the counters for the summary.
struct Printer {
    json: bool,
    encoding: Encoding,
    counters: Counters,
    tz: jiff::tz::TimeZone,
}

impl Printer {
    fn new(common: &Common) -> Printer {
        Printer {
            json: common.json,
            encoding: common.encoding,
            counters: Counters::default(),
            tz: jiff::tz::TimeZone::system(),
        }
    }

    fn print(&mut self, ev: &Event) {
        self.counters.apply(ev);
        let (kind, text, data): (&str, String, Option<&[u8]>) = match &ev.kind {
            EventKind::Rx { data, lost } => {
                let mut t = self.encoding.decode_lossy(data);
                if *lost > 0 {
                    t.push_str(&i18n::fill(i18n::EN.ev_truncated, &[lost]));
                }
                ("rx", t, Some(data))
            }
            EventKind::Tx { data } => ("tx", self.encoding.decode_lossy(data), Some(data)),
            EventKind::Listening { local } => ("info", format!("listening on {local}"), None),
            EventKind::Connecting { peer } => ("info", format!("connecting to {peer}"), None),
            EventKind::Connected { local, .. } => ("connect", format!("connected (local {local})"), None),
            EventKind::HalfClosed => ("info", i18n::EN.ev_half_closed.to_string(), None),
            EventKind::Closed { reason } => ("disconnect", close_text(*reason).to_string(), None),
            EventKind::Error(p) => {
                eprintln!("socklab: {p}");
                ("error", p.to_string(), None)
            }
            EventKind::Stopped => return,
        };
        let ts = ev.time.to_zoned(self.tz.clone());
        let mut out = std::io::stdout().lock();
        let line = if self.json {
            let mut obj = serde_json::json!({
                "ts": ts.strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
                "kind": kind,
                "peer": ev.peer.map(|p| p.to_string()),
                "len": data.map_or(0, |d| d.len()),
                "text": text,
                "hex": data.map(codec::to_hex).unwrap_or_default(),
            });
            if let Some(c) = ev.conn {
                obj["conn"] = c.into();
            }
            match &ev.kind {
                EventKind::Listening { local } | EventKind::Connected { local, .. } => {
                    obj["local"] = local.to_string().into()
                }
                EventKind::Closed { reason } => obj["reason"] = serde_json::to_value(reason).unwrap_or_default(),
                EventKind::Rx { lost, .. } if *lost > 0 => obj["lost"] = (*lost).into(),
                _ => {}
            }
            obj.to_string()
        } else {
            let time = ts.strftime("%H:%M:%S%.3f");
            let peer = ev.peer.map(|p| p.to_string()).unwrap_or_else(|| "-".into());
            match data {
                Some(d) => {
                    let arrow = if kind == "rx" { ">>>" } else { "<<<" };
                    format!("{time} {kind} {peer} {arrow} {} ({} bytes)", codec::printable(&text), d.len())
                }
                None => format!("{time} {kind} {peer} {text}"),
            }
        };
        // A closed stdout (e.g. piped to `head`) must not crash the run.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    fn summary(&self) {
        let c = &self.counters;
        let line = if self.json {
            serde_json::json!({
                "ts": jiff::Timestamp::now().to_zoned(self.tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string(),
                "kind": "summary",
                "rx_packets": c.rx_packets, "rx_bytes": c.rx_bytes,
                "tx_packets": c.tx_packets, "tx_bytes": c.tx_bytes,
                "connections": c.connections,
            })
            .to_string()
        } else {
            format!(
                "summary: rx {} packets / {} bytes, tx {} packets / {} bytes, {} connections",
                c.rx_packets, c.rx_bytes, c.tx_packets, c.tx_bytes, c.connections
            )
        };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

fn close_text(r: CloseReason) -> &'static str {
    match r {
        CloseReason::PeerClosed => i18n::EN.ev_closed_peer,
        CloseReason::Reset => i18n::EN.ev_closed_reset,
        CloseReason::LocalClose => i18n::EN.ev_closed_local,
        CloseReason::Failed => i18n::EN.ev_closed_failed,
    }
}

/// A running worker and its events, as seen from the CLI.
struct Session {
    handle: WorkerHandle,
    events: Receiver<Event>,
    printer: Printer,
    stopped: bool,
}

/// What the event loop should do after an event.
enum Flow {
    Continue,
    Done,
}

impl Session {
    fn start(
        common: &Common,
        spawn: impl FnOnce(EventSink) -> Result<WorkerHandle, Problem>,
    ) -> Result<Session, Failure> {
        let (sink, events) = EventSink::channel(None);
        let handle = spawn(sink).map_err(Failure::Net)?;
        Ok(Session { handle, events, printer: Printer::new(common), stopped: false })
    }

    /// Waits for the socket to be ready; a failure to bind/listen/connect ends the run.
    fn wait_ready(&mut self, ready: impl Fn(&EventKind) -> bool) -> Result<(), Failure> {
        let mut first_problem = None;
        loop {
            match self.events.recv_timeout(Duration::from_millis(100)) {
                Ok(ev) => {
                    if let EventKind::Error(p) = &ev.kind {
                        first_problem.get_or_insert_with(|| p.clone());
                        // Print as JSON too, so scripts see why; stderr gets the text below.
                        if self.printer.json {
                            self.printer.print(&ev);
                        }
                        continue;
                    }
                    if ev.kind == EventKind::Stopped {
                        self.stopped = true;
                        return Err(Failure::Net(first_problem.unwrap_or(Problem::WorkerGone)));
                    }
                    let is_ready = ready(&ev.kind);
                    self.printer.print(&ev);
                    if is_ready {
                        return Ok(());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if INTERRUPTED.load(Ordering::SeqCst) {
                        return Err(Failure::Net(Problem::WorkerGone));
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return Err(Failure::Net(Problem::WorkerGone)),
            }
        }
    }

    fn send(&self, cmd: Command) -> Result<(), Failure> {
        self.handle.send(cmd).map_err(Failure::Net)
    }

    /// Prints events until `on_event` says done, the deadline passes, a signal comes, or the
    /// worker stops.
    fn pump(&mut self, deadline: Option<Instant>, mut on_event: impl FnMut(&Event) -> Flow) {
        while !self.stopped {
            if INTERRUPTED.load(Ordering::SeqCst) {
                return;
            }
            let wait = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) => left.min(Duration::from_millis(100)),
                    None => return,
                },
                None => Duration::from_millis(100),
            };
            match self.events.recv_timeout(wait) {
                Ok(ev) => {
                    if ev.kind == EventKind::Stopped {
                        self.stopped = true;
                        return;
                    }
                    self.printer.print(&ev);
                    if let Flow::Done = on_event(&ev) {
                        return;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.stopped = true;
                    return;
                }
            }
        }
    }

    /// Stops the worker, prints what it still reports, the summary, and joins it.
    fn finish(mut self) {
        self.handle.request_stop();
        let until = Instant::now() + Duration::from_secs(5);
        while !self.stopped && Instant::now() < until {
            match self.events.recv_timeout(Duration::from_millis(50)) {
                Ok(ev) if ev.kind == EventKind::Stopped => self.stopped = true,
                Ok(ev) => self.printer.print(&ev),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => self.stopped = true,
            }
        }
        self.printer.summary();
        drop(self.events);
        self.handle.join();
    }
}

/// Counts received messages towards `--count`.
fn rx_counter(count: Option<u64>) -> impl FnMut(&Event) -> Flow {
    let mut seen = 0u64;
    move |ev| {
        if matches!(ev.kind, EventKind::Rx { .. }) {
            seen += 1;
            if count.is_some_and(|c| seen >= c) {
                return Flow::Done;
            }
        }
        Flow::Continue
    }
}

fn is_listening(k: &EventKind) -> bool {
    matches!(k, EventKind::Listening { .. })
}

fn run_udp(a: UdpArgs, m: Option<&ArgMatches>) -> Result<(), Failure> {
    let msgs = payloads(&a.send, &a.hex, a.common.encoding, m)?;
    if !msgs.is_empty() && a.to.is_none() {
        return Err(Failure::Usage("--send/--hex need --to ADDR:PORT (where to send)".into()));
    }
    let mut until = deadline(a.duration)?;
    let cfg = UdpConfig {
        bind: a.bind.clone(),
        reply: a.reply.into(),
        encoding: a.common.encoding,
        thread_name: "udp".into(),
        ..UdpConfig::default()
    };
    let mut s = Session::start(&a.common, |sink| engine::udp::spawn(cfg, sink))?;
    s.wait_ready(is_listening)?;
    if let Some(to) = &a.to {
        for data in &msgs {
            s.send(Command::SendTo { to: to.clone(), data: data.clone() })?;
        }
    }
    if !msgs.is_empty() && a.count.is_none() && until.is_none() {
        // Sent and asked for nothing else: wait briefly for replies, then exit.
        until = Some(Instant::now() + Duration::from_millis(500));
    }
    s.pump(until, rx_counter(a.count));
    s.finish();
    Ok(())
}

fn run_tcp_server(a: TcpServerArgs) -> Result<(), Failure> {
    let until = deadline(a.duration)?;
    let cfg = TcpServerConfig {
        bind: a.bind.clone(),
        backlog: a.backlog,
        reply: a.reply.into(),
        encoding: a.common.encoding,
        accept_limit: a.max_clients,
        ..TcpServerConfig::default()
    };
    if a.max_clients == Some(0) {
        return Err(Failure::Usage("--max-clients must be at least 1".into()));
    }
    let mut s = Session::start(&a.common, |sink| engine::tcp_server::spawn(cfg, sink))?;
    s.wait_ready(is_listening)?;
    s.pump(until, rx_counter(a.count));
    s.finish();
    Ok(())
}

fn run_tcp_client(a: TcpClientArgs, m: Option<&ArgMatches>) -> Result<(), Failure> {
    let msgs = payloads(&a.send, &a.hex, a.common.encoding, m)?;
    let cfg = TcpClientConfig {
        connect: a.connect.clone(),
        timeout: Duration::from_millis(a.timeout.max(1)),
        ..TcpClientConfig::default()
    };
    let mut s = Session::start(&a.common, |sink| engine::tcp_client::spawn(cfg, sink))?;
    s.wait_ready(|k| matches!(k, EventKind::Connected { .. }))?;
    for data in msgs {
        s.send(Command::Send { conn: None, data })?;
    }
    let until = Some(Instant::now() + Duration::from_millis(a.wait));
    s.pump(until, |ev| match ev.kind {
        EventKind::Closed { .. } => Flow::Done,
        _ => Flow::Continue,
    });
    s.finish();
    Ok(())
}

fn run_broadcast(a: BroadcastArgs) -> Result<(), Failure> {
    let until = deadline(a.duration)?;
    if let Some(port) = a.listen {
        let cfg = engine::broadcast::receiver_config(port, a.common.encoding);
        let mut s = Session::start(&a.common, |sink| engine::udp::spawn(cfg, sink))?;
        s.wait_ready(is_listening)?;
        s.pump(until, rx_counter(a.count));
        s.finish();
        return Ok(());
    }
    let Some(port) = a.port else {
        return Err(Failure::Usage("give --listen PORT or --port PORT --send TEXT".into()));
    };
    let ip: std::net::IpAddr =
        a.to.trim()
            .parse()
            .map_err(|_| Failure::Usage(format!("--to {}: not an IP address like 127.255.255.255", a.to)))?;
    let to = SocketAddr::new(ip, port).to_string();
    let msgs = payloads(&a.send, &[], a.common.encoding, None)?;
    let cfg = engine::broadcast::sender_config(a.common.encoding);
    let mut s = Session::start(&a.common, |sink| engine::udp::spawn(cfg, sink))?;
    s.wait_ready(is_listening)?;
    let total = msgs.len();
    for data in msgs {
        s.send(Command::SendTo { to: to.clone(), data })?;
    }
    let mut done = 0;
    s.pump(Some(until.unwrap_or_else(|| Instant::now() + Duration::from_secs(2))), |ev| {
        if matches!(ev.kind, EventKind::Tx { .. } | EventKind::Error(_)) {
            done += 1;
        }
        if done >= total { Flow::Done } else { Flow::Continue }
    });
    s.finish();
    Ok(())
}
