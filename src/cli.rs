//! The headless command line: the same engine as the GUI, one line per event on stdout.
//!
//! The subcommands, flags and `--json` fields are a public interface: scripts rely on them.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{ArgMatches, Args, Parser, Subcommand, ValueEnum};
use crossbeam_channel::{Receiver, RecvTimeoutError, TryRecvError};

use crate::codec::framing::Framing;
use crate::codec::{self, Encoding};
use crate::engine::generator::{GenSpec, Rate};
use crate::engine::tcp_client::TcpClientConfig;
use crate::engine::tcp_server::TcpServerConfig;
use crate::engine::udp::UdpConfig;
use crate::engine::{self, Command, Event, EventKind, EventSink, Problem, Proto, ReplyMode, WorkerHandle};
use crate::i18n::{self, Lang};
use crate::log::Counters;
use crate::log::pcap::PcapWriter;
use crate::log::record::{self, Record};

#[derive(Parser, Debug)]
#[command(
    name = "socklab",
    version,
    about = "SockLab: a network playground for UDP, TCP and broadcast. Without a subcommand it opens the GUI.",
    after_help = EXIT_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Cmd>,
    /// GUI language for this run: en or zh-CN.
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
}

/// Exit codes and limits, shown by `--help`.
const EXIT_HELP: &str = "\
Exit codes:
  0  done: everything asked for was sent and received (also after --count, --duration, Ctrl-C,
     or when the reader of standard output goes away, e.g. `| head`: the summary then goes to
     standard error)
  1  the network said no or something failed on the way: bind/connect failed, a send failed
     (too big, bad or unknown destination, broadcast without permission), no answer within
     --wait with --await-reply, a log file could not be written, a worker crashed
  2  bad flags or payloads (odd hex, text the encoding cannot hold, a malformed --to, a datagram
     larger than UDP allows): nothing was sent

Limits (defaults; a value past a limit is refused with a message):
  UDP datagram        65507 bytes over IPv4, 65527 over IPv6
  --recv-buffer       65536 bytes (1 to 16777216)
  --so-rcvbuf         4194304 bytes (1024 to 1073741824, or system)
  --rate              max, or 0.01 to 100000000 datagrams/s; needs --count or --duration
  --gap               0 ms (up to 600000)
  --ttl               1 (0 to 255)
  TCP framed message  16 MiB (MAX_MESSAGE); longer unframed data is delivered in pieces
  tcp-server          --max-unfinished 64 MiB of unfinished framed messages, all clients
  file-server         --max-size 1 GiB, --max-clients 64, --min-rate 16384 bytes/s
  file-get            --max-size 1 GiB
";

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
    /// Inspect an IP address or network: class, kind, network, broadcast, hosts, mask.
    Addr(AddrArgs),
    /// This machine's TCP/UDP sockets, like `netstat -an`.
    Ports(PortsArgs),
    /// Share the files of one folder (the tutorial's file downloader, without its hole).
    FileServer(FileServerArgs),
    /// Download a file from a file server.
    FileGet(FileGetArgs),
}

#[derive(Args, Debug)]
pub struct FileServerArgs {
    /// The shared folder: only files inside it are served.
    #[arg(long, value_name = "DIR")]
    pub root: PathBuf,
    /// Address to listen on (127.0.0.1: this machine only).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:7890")]
    pub bind: String,
    /// tutorial: name in, bytes out (the tutorial's client works); framed: GET/OK/ERR header
    /// lines with size and SHA-256 (resumable, verifiable).
    #[arg(long, value_enum, default_value = "framed")]
    pub protocol: FileProtoArg,
    /// Refuse files larger than this.
    #[arg(long, value_name = "BYTES", default_value_t = engine::files::DEFAULT_MAX_FILE_SIZE)]
    pub max_size: u64,
    /// Clients served at once; more are turned away (framed: with `ERR busy`).
    #[arg(long, value_name = "N", default_value_t = engine::files::DEFAULT_MAX_CLIENTS)]
    pub max_clients: usize,
    /// A client that takes its file slower than this many bytes/s (over 10 s) is dropped, so
    /// slow readers cannot hold every slot; 0 turns the check off.
    #[arg(long, value_name = "BYTES_PER_SEC", default_value_t = engine::files::DEFAULT_MIN_SEND_RATE)]
    pub min_rate: u64,
    /// Exit after this many seconds (below 1000000000).
    #[arg(long)]
    pub duration: Option<f64>,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct FileGetArgs {
    /// The file server, e.g. 127.0.0.1:7890.
    #[arg(long, value_name = "ADDR:PORT")]
    pub connect: String,
    /// The file to ask for (relative to the server's shared folder).
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Folder to save into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// tutorial: send the name, read bytes until the server closes (no size, no checksum);
    /// framed: GET/OK/ERR header lines with size and SHA-256 (resumable, verified).
    #[arg(long, value_enum, default_value = "framed")]
    pub protocol: FileProtoArg,
    /// Replace an existing file of the same name.
    #[arg(long)]
    pub overwrite: bool,
    /// Start over instead of continuing an existing .socklab-part file.
    #[arg(long)]
    pub no_resume: bool,
    /// Refuse a file larger than this (framed: as announced; tutorial: stop when more arrives).
    #[arg(long, value_name = "BYTES", default_value_t = engine::files::DEFAULT_MAX_FILE_SIZE)]
    pub max_size: u64,
    /// One JSON object at the end instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print no progress or per-message lines (the result, errors and the exit code remain).
    #[arg(long)]
    pub quiet: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FileProtoArg {
    Tutorial,
    Framed,
}

impl From<FileProtoArg> for engine::files::FileProtocol {
    fn from(p: FileProtoArg) -> Self {
        match p {
            FileProtoArg::Tutorial => engine::files::FileProtocol::Tutorial,
            FileProtoArg::Framed => engine::files::FileProtocol::Framed,
        }
    }
}

#[derive(Args, Debug)]
pub struct AddrArgs {
    /// An address, optionally with /PREFIX or a mask: 192.168.1.1/24, 192.168.1.1 255.255.255.0, fe80::1/64.
    #[arg(required = true, num_args = 1..=2, value_name = "ADDR[/PREFIX | MASK]")]
    pub input: Vec<String>,
    /// One JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print no progress or per-message lines (the result, errors and the exit code remain).
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct PortsArgs {
    /// Only listening TCP sockets and unconnected UDP sockets.
    #[arg(long)]
    pub listening: bool,
    /// Only sockets with this local or remote port.
    #[arg(long)]
    pub port: Option<u16>,
    /// One JSON object per socket instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Print no progress or per-message lines (the result, errors and the exit code remain).
    #[arg(long)]
    pub quiet: bool,
}

#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Text encoding (utf-8 or gbk) of the text sent and of received bytes as printed.
    #[arg(long, default_value = "utf-8", value_parser = parse_encoding)]
    pub encoding: Encoding,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write every event to this file: JSON lines, or CSV if the name ends in .csv.
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Also write the traffic as a pcap capture (opens in Wireshark/tshark).
    #[arg(long, value_name = "PATH")]
    pub pcap: Option<PathBuf>,
    /// Do not print a line per datagram or read: count them (and still write --log-file/--pcap),
    /// print connections, errors and the summary. For floods and benchmarks.
    #[arg(long)]
    pub quiet: bool,
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
    /// Pause this many milliseconds between two sends, so the peer reads them apart (TCP
    /// merges messages sent back to back: 粘包). 0: back to back.
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=MAX_GAP_MS))]
    pub gap: u64,
    /// Before each next send, wait for the peer's answer to the last one (at most --wait ms;
    /// no answer in time ends the run with exit 1).
    #[arg(long)]
    pub await_reply: bool,
    /// After the last send (without --count/--duration), wait this many ms for replies.
    #[arg(long, value_name = "MS", default_value_t = 500)]
    pub wait: u64,
    /// Answer every datagram automatically.
    #[arg(long, value_enum, default_value = "none")]
    pub reply: UdpReply,
    /// A response rule, e.g. 'exact:ping => pong' or 'regex:^GET (\S+) => you asked for {1}'
    /// (repeatable; the first that matches answers; rules replace --reply).
    #[arg(long = "rule", value_name = "RULE")]
    pub rules: Vec<String>,
    /// Exit after this many received datagrams (with --rate: send this many).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Exit after this many seconds, below 1000000000 (with --rate: send for this long).
    #[arg(long)]
    pub duration: Option<f64>,
    /// Traffic generator: send the --send/--hex datagram again and again to --to, `max` (as fast
    /// as the socket takes them) or N datagrams/s, until --count datagrams are sent or --duration
    /// is up (one of them is required). Prints no line per datagram, only the summary with the
    /// rate reached; --log-file and --pcap still get every datagram.
    /// N is from 0.01 (one every 100 s) to 100000000.
    #[arg(long, value_name = "max|N", value_parser = parse_rate)]
    pub rate: Option<Rate>,
    /// Bytes one recv() reads; a larger datagram is cut off and the lost bytes are reported.
    #[arg(long, value_name = "BYTES", default_value_t = engine::DEFAULT_RECV_BUFFER, value_parser = parse_recv_buffer)]
    pub recv_buffer: usize,
    /// SO_RCVBUF: how many bytes of datagrams the kernel queues before it drops some, or
    /// `system` for the system's default (about 208 KiB). Linux caps the value at
    /// net.core.rmem_max and doubles it.
    #[arg(long, value_name = "BYTES|system", default_value = "4194304", value_parser = parse_so_rcvbuf)]
    pub so_rcvbuf: SoRcvbuf,
    /// Join this multicast group (e.g. 239.255.0.1); bind 0.0.0.0:PORT to receive it.
    #[arg(long, value_name = "GROUP")]
    pub multicast: Option<std::net::IpAddr>,
    /// Interface to join on and send group traffic from: an IPv4 address (127.0.0.1 keeps it on
    /// this machine) or, for IPv6 groups, an interface name or index (lo).
    #[arg(long, value_name = "ADDR")]
    pub interface: Option<String>,
    /// Multicast TTL (hops, 0-255), 1 = this network only, 0 = this machine only.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=255))]
    pub ttl: u32,
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
    /// A response rule, e.g. 'exact:ping => pong', 'exact:bye => close', 'greeting => hi {peer}'
    /// (repeatable; the first that matches answers; rules replace --reply).
    #[arg(long = "rule", value_name = "RULE")]
    pub rules: Vec<String>,
    /// Serve this many clients, then stop listening and exit when they have all left.
    #[arg(long)]
    pub max_clients: Option<u64>,
    /// Exit after this many received messages (reads).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Exit after this many seconds (below 1000000000).
    #[arg(long)]
    pub duration: Option<f64>,
    /// listen() backlog: connections the kernel queues before they are accepted (1-65535;
    /// Linux caps it at net.core.somaxconn).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(i32).range(1..=65_535))]
    pub backlog: i32,
    /// All clients together may hold this many bytes of framed messages not yet complete; past
    /// it, the client holding the most is told and disconnected.
    /// At least 65536.
    #[arg(long, value_name = "BYTES", default_value_t = engine::tcp_server::DEFAULT_MAX_UNFINISHED, value_parser = parse_max_unfinished)]
    pub max_unfinished: usize,
    /// Message framing: none | line | fixed:N | len8 | len16 | len32 | delim:HEX.
    #[arg(long, default_value = "none", value_parser = parse_framing)]
    pub framing: Framing,
    /// TCP_NODELAY: turn Nagle's algorithm off, so small writes leave at once.
    #[arg(long)]
    pub nodelay: bool,
    /// Bytes one recv() reads.
    #[arg(long, value_name = "BYTES", default_value_t = engine::DEFAULT_RECV_BUFFER, value_parser = parse_recv_buffer)]
    pub recv_buffer: usize,
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
    /// Pause this many milliseconds between two sends, so the peer reads them apart (TCP
    /// merges messages sent back to back: 粘包). 0: back to back.
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=MAX_GAP_MS))]
    pub gap: u64,
    /// Before each next send, wait for the peer's answer to the last one (at most --wait ms;
    /// no answer in time ends the run with exit 1).
    #[arg(long)]
    pub await_reply: bool,
    /// After the last send, wait this many ms for replies (or until the server closes).
    #[arg(long, default_value_t = 500)]
    pub wait: u64,
    /// Give up connecting after this many ms.
    #[arg(long, default_value_t = 5000)]
    pub timeout: u64,
    /// Message framing: none | line | fixed:N | len8 | len16 | len32 | delim:HEX.
    #[arg(long, default_value = "none", value_parser = parse_framing)]
    pub framing: Framing,
    /// TCP_NODELAY: turn Nagle's algorithm off, so small writes leave at once.
    #[arg(long)]
    pub nodelay: bool,
    /// Bytes one recv() reads.
    #[arg(long, value_name = "BYTES", default_value_t = engine::DEFAULT_RECV_BUFFER, value_parser = parse_recv_buffer)]
    pub recv_buffer: usize,
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
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Exit after this many seconds (below 1000000000).
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

fn parse_framing(s: &str) -> Result<Framing, String> {
    Framing::parse(s).map_err(|e| e.to_string())
}

fn parse_recv_buffer(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if (1..=16 * 1024 * 1024).contains(&n) => Ok(n),
        _ => Err(format!("'{s}': use a number of bytes from 1 to 16777216")),
    }
}

/// The smallest `--max-unfinished`: below it, every message that spans two reads would cost a
/// client its connection.
pub const MIN_MAX_UNFINISHED: usize = 64 * 1024;

fn parse_max_unfinished(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n >= MIN_MAX_UNFINISHED => Ok(n),
        _ => Err(format!("'{s}': use a number of bytes of at least {MIN_MAX_UNFINISHED}")),
    }
}

/// `--so-rcvbuf`: bytes, or `system` (`None`) for the system's default.
#[derive(Clone, Copy, Debug)]
pub struct SoRcvbuf(pub Option<usize>);

fn parse_so_rcvbuf(s: &str) -> Result<SoRcvbuf, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("system") {
        return Ok(SoRcvbuf(None));
    }
    match s.parse::<usize>() {
        Ok(n) if (1024..=1 << 30).contains(&n) => Ok(SoRcvbuf(Some(n))),
        _ => Err(format!("'{s}': use system or a number of bytes from 1024 to 1073741824")),
    }
}

/// The slowest `--rate`: one datagram every 100 s.
pub const MIN_RATE: f64 = 0.01;
/// The fastest paced `--rate` (`max` sends as fast as the socket takes datagrams).
pub const MAX_RATE: f64 = 100_000_000.0;
/// The longest `--gap`: 10 minutes.
pub const MAX_GAP_MS: u64 = 600_000;

/// `--rate`: `max`, or datagrams per second.
fn parse_rate(s: &str) -> Result<Rate, String> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("max") {
        return Ok(Rate::Max);
    }
    match s.parse::<f64>() {
        Ok(r) if (MIN_RATE..=MAX_RATE).contains(&r) => Ok(Rate::PacketsPerSec(r)),
        _ => Err(format!("'{s}': use max or a number of datagrams per second from {MIN_RATE} to {MAX_RATE}")),
    }
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("unknown language '{s}': use en or zh-CN"))
}

/// Set by SIGINT/SIGTERM.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Writes a line to standard error; a closed stderr (e.g. `2>&1 | head -c 10`) is ignored
/// instead of panicking the way `eprintln!` does.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Whether the reader of standard output has gone (a pipe whose reader exited, like `head`
/// after its lines): `poll` reports `POLLERR` on the write end of such a pipe, so the run can
/// end even when it has nothing more to write.
fn stdout_reader_gone() -> bool {
    #[cfg(unix)]
    {
        let mut fd = libc::pollfd { fd: libc::STDOUT_FILENO, events: 0, revents: 0 };
        // SAFETY: one valid pollfd, timeout 0 (never blocks).
        let n = unsafe { libc::poll(&mut fd, 1, 0) };
        n > 0 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0
    }
    #[cfg(not(unix))]
    {
        false
    }
}

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
        Cmd::Addr(a) => run_addr(a),
        Cmd::Ports(a) => run_ports(a),
        Cmd::FileServer(a) => run_file_server(a),
        Cmd::FileGet(a) => run_file_get(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            say!("socklab: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Net(p)) => {
            say!("socklab: {p}");
            ExitCode::FAILURE
        }
        Err(Failure::Reported) => ExitCode::FAILURE,
    }
}

enum Failure {
    /// Bad flags or payloads: nothing was sent.
    Usage(String),
    /// The network said no.
    Net(Problem),
    /// The network said no, and the problem was already printed.
    Reported,
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

/// `--log-file` and `--pcap` reach the disk at least this often (also when no more events come),
/// so `kill -9` loses at most the last ~100 ms.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// Where `--log-file` writes, by its extension: `.csv` gives CSV, anything else JSONL.
enum LogFile {
    Jsonl(BufWriter<File>),
    Csv(BufWriter<File>),
}

/// Prints events, writes them to `--log-file`/`--pcap`, and keeps the counters for the summary.
struct Printer {
    json: bool,
    encoding: Encoding,
    counters: Counters,
    tz: jiff::tz::TimeZone,
    seq: u64,
    log_file: Option<LogFile>,
    pcap: Option<PcapWriter<BufWriter<File>>>,
    /// The first write error of a file (which file, what went wrong); reported once, at the end.
    file_error: Option<(&'static str, String)>,
    /// Errors that make the run a failure (exit 1), see [`Printer::is_failure`].
    failures: u64,
    /// A server: problems of one client (it reset, it left, it does not read) are reported but
    /// do not make the run a failure; the server goes on serving others.
    server: bool,
    /// Standard output could not be written (its reader is gone, e.g. `| head`): the run ends,
    /// and the summary goes to standard error.
    stdout_closed: bool,
    /// Events written to the files since they were last flushed, and when that was: the files
    /// are flushed at least every [`FLUSH_EVERY`], so a killed run loses at most that much.
    unflushed: bool,
    last_flush: Instant,
    /// Standard output, buffered: written out when no more events are waiting (see `waiting`),
    /// at least every [`FLUSH_EVERY`], and at the end, instead of one write per line.
    out: BufWriter<std::io::Stdout>,
    /// The event channel, to see whether more events are waiting.
    waiting: Option<Receiver<Event>>,
    /// TCP text is decoded as a stream per connection and direction, so a character split
    /// across two reads prints whole.
    decoders: HashMap<(u16, u64, bool), codec::StreamDecoder>,
    /// Datagrams (Rx/Tx) are counted and written to the files but not printed (`udp --rate`).
    quiet_data: bool,
    /// The last traffic generator run: packets, bytes, microseconds.
    generated: Option<(u64, u64, u64)>,
    /// The local time's `HH:MM:SS` for one Unix second (see [`Printer::clock`]).
    clock_cache: Option<(i64, String)>,
}

fn create(path: &Path) -> Result<BufWriter<File>, Failure> {
    File::create(path).map(BufWriter::new).map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))
}

impl Printer {
    fn new(common: &Common) -> Result<Printer, Failure> {
        if let (Some(log), Some(pcap)) = (&common.log_file, &common.pcap) {
            let same = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            if same(log) == same(pcap) {
                return Err(Failure::Usage(format!(
                    "--log-file and --pcap are the same file ({}): give each its own",
                    log.display()
                )));
            }
        }
        let log_file = match &common.log_file {
            None => None,
            Some(p) => {
                let csv = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
                let mut w = create(p)?;
                if csv {
                    writeln!(w, "{}", Record::CSV_HEADER)
                        .map_err(|e| Failure::Usage(format!("{}: {e}", p.display())))?;
                    Some(LogFile::Csv(w))
                } else {
                    Some(LogFile::Jsonl(w))
                }
            }
        };
        let pcap = match &common.pcap {
            None => None,
            Some(p) => Some(PcapWriter::new(create(p)?).map_err(|e| Failure::Usage(format!("{}: {e}", p.display())))?),
        };
        Ok(Printer {
            json: common.json,
            encoding: common.encoding,
            counters: Counters::default(),
            tz: jiff::tz::TimeZone::system(),
            seq: 0,
            log_file,
            pcap,
            file_error: None,
            failures: 0,
            server: false,
            stdout_closed: false,
            unflushed: false,
            last_flush: Instant::now(),
            out: BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            waiting: None,
            decoders: HashMap::new(),
            quiet_data: common.quiet,
            generated: None,
            clock_cache: None,
        })
    }

    fn print(&mut self, ev: &Event) {
        if self.quiet_data && matches!(ev.kind, EventKind::Rx { .. } | EventKind::Tx { .. }) {
            return self.count_quietly(ev);
        }
        self.counters.apply(ev);
        match &ev.kind {
            EventKind::Error(p) => {
                say!("socklab: {p}");
                if self.is_failure(ev, p) {
                    self.failures += 1;
                }
            }
            EventKind::GeneratorDone { packets, bytes, micros } => self.generated = Some((*packets, *bytes, *micros)),
            _ => {}
        }
        self.seq += 1;
        let line = match (&ev.kind, self.json || self.log_file.is_some()) {
            // Data printed as text only: no record (its RFC 3339 time and hex are not needed).
            (EventKind::Rx { data, lost }, false) => self.data_line(ev, data, *lost, true),
            (EventKind::Tx { data }, false) => self.data_line(ev, data, 0, false),
            _ => match self.record_line(ev) {
                Some(line) => line,
                None => return,
            },
        };
        self.emit_line(&line);
        let idle = self.waiting.as_ref().is_none_or(|w| w.is_empty());
        if idle || self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush_out();
            if !idle {
                self.flush_files();
            }
        }
    }

    /// Whether an error makes the run fail (exit 1): everything but kernel drops (counted and
    /// reported, the socket goes on) and, on a server, the problems of one client.
    fn is_failure(&self, ev: &Event, p: &Problem) -> bool {
        let benign = matches!(p, Problem::KernelDrops(_) | Problem::TooManyClients(_) | Problem::ClientNotReading(_));
        let one_client = self.server && ev.conn.is_some();
        !(benign || one_client)
    }

    /// One line to standard output (buffered). A closed stdout (e.g. piped to `head`) ends the
    /// run instead of crashing it or running on unseen.
    fn emit_line(&mut self, line: &str) {
        if !self.stdout_closed && writeln!(self.out, "{line}").is_err() {
            self.stdout_closed = true;
        }
    }

    fn flush_out(&mut self) {
        if !self.stdout_closed && self.out.flush().is_err() {
            self.stdout_closed = true;
        }
    }

    /// The text of received or sent bytes: TCP decoded as a stream per connection and
    /// direction (a character split across two reads prints whole), a datagram on its own.
    fn data_text(&mut self, ev: &Event, data: &[u8], lost: usize, rx: bool) -> String {
        if let (Proto::Tcp, Some(conn)) = (ev.proto, ev.conn) {
            let encoding = self.encoding;
            let d = self.decoders.entry((ev.source, conn, rx)).or_insert_with(|| codec::StreamDecoder::new(encoding));
            return d.decode(data, false);
        }
        let mut text = self.encoding.decode_lossy(data);
        if lost > 0 {
            text.push_str(&i18n::fill(i18n::EN.ev_truncated, &[&lost]));
        }
        text
    }

    /// `HH:MM:SS.mmm` in the local time zone; the part up to the second is formatted once a
    /// second, not for every event.
    fn clock(&mut self, t: jiff::Timestamp) -> String {
        let second = t.as_second();
        if self.clock_cache.as_ref().is_none_or(|(s, _)| *s != second) {
            let hms = t.to_zoned(self.tz.clone()).strftime("%H:%M:%S").to_string();
            self.clock_cache = Some((second, hms));
        }
        let hms = self.clock_cache.as_ref().map_or("", |(_, h)| h.as_str());
        format!("{hms}.{:03}", t.subsec_millisecond().unsigned_abs())
    }

    /// One received or sent message as a text line; the capture still gets it.
    fn data_line(&mut self, ev: &Event, data: &[u8], lost: usize, rx: bool) -> String {
        let text = self.data_text(ev, data, lost, rx);
        if self.pcap.is_some() {
            self.write_files(ev, None);
        }
        let peer = ev.peer.map(|p| p.to_string());
        self.text_line(ev.time, rx, peer.as_deref(), &text, data.len())
    }

    /// `12:00:00.123 rx 127.0.0.1:5000 >>> text (N bytes)`.
    fn text_line(&mut self, time: jiff::Timestamp, rx: bool, peer: Option<&str>, text: &str, len: usize) -> String {
        let (kind, arrow) = if rx { ("rx", ">>>") } else { ("tx", "<<<") };
        let time = self.clock(time);
        format!("{time} {kind} {} {arrow} {} ({len} bytes)", peer.unwrap_or("-"), codec::printable(text))
    }

    /// Any event as a record: written to the log file and capture, printed as JSON or text.
    fn record_line(&mut self, ev: &Event) -> Option<String> {
        let mut rec = Record::from_event(ev, self.encoding, &self.tz, Some(self.seq))?;
        let tcp = ev.proto == Proto::Tcp && ev.conn.is_some();
        match &ev.kind {
            EventKind::Rx { data, lost } if tcp => rec.text = self.data_text(ev, data, *lost, true),
            EventKind::Tx { data } if tcp => rec.text = self.data_text(ev, data, 0, false),
            EventKind::Closed { .. } => {
                if let Some(conn) = ev.conn {
                    self.decoders.retain(|k, _| (k.0, k.1) != (ev.source, conn));
                }
            }
            _ => {}
        }
        self.write_files(ev, Some(&rec));
        Some(if self.json {
            rec.seq = None;
            rec.to_json()
        } else if matches!(ev.kind, EventKind::Rx { .. } | EventKind::Tx { .. }) {
            self.text_line(ev.time, rec.kind == "rx", rec.peer.as_deref(), &rec.text, rec.len)
        } else {
            format!("{} {} {} {}", self.clock(ev.time), rec.kind, rec.peer.as_deref().unwrap_or("-"), rec.text)
        })
    }

    /// Counts a datagram without printing it: the generator's hot path. Only when a log file or
    /// a capture is being written is its record built.
    fn count_quietly(&mut self, ev: &Event) {
        self.counters.apply(ev);
        self.seq += 1;
        if self.log_file.is_some() {
            if let Some(rec) = Record::from_event(ev, self.encoding, &self.tz, Some(self.seq)) {
                self.write_files(ev, Some(&rec));
            }
        } else if self.pcap.is_some() {
            self.write_files(ev, None);
        }
    }

    /// Writes an event to the capture and its record to the log file (`rec` is needed only when
    /// there is a log file).
    fn write_files(&mut self, ev: &Event, rec: Option<&Record>) {
        let logged = match (&mut self.log_file, rec) {
            (Some(LogFile::Jsonl(w)), Some(rec)) => writeln!(w, "{}", rec.to_json()),
            (Some(LogFile::Csv(w)), Some(rec)) => writeln!(w, "{}", rec.to_csv()),
            _ => Ok(()),
        };
        self.file_failed(LOG_FILE, logged);
        if let Some(p) = &mut self.pcap {
            let captured = p.write(ev);
            self.file_failed(PCAP, captured);
        }
        self.unflushed = true;
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush_files();
        }
    }

    /// Writes buffered log and capture lines to disk (called as events come and when idle).
    fn flush_files(&mut self) {
        self.flush_out();
        if !self.unflushed {
            self.last_flush = Instant::now();
            return;
        }
        let logged = match &mut self.log_file {
            Some(LogFile::Jsonl(w)) | Some(LogFile::Csv(w)) => w.flush(),
            None => Ok(()),
        };
        self.file_failed(LOG_FILE, logged);
        if let Some(p) = &mut self.pcap {
            let captured = p.flush();
            self.file_failed(PCAP, captured);
        }
        self.unflushed = false;
        self.last_flush = Instant::now();
    }

    /// Keeps the first write error of a file, to report it (once) at the end.
    fn file_failed(&mut self, which: &'static str, result: std::io::Result<()>) {
        if let Err(e) = result {
            self.file_error.get_or_insert_with(|| (which, e.to_string()));
        }
    }

    /// Flushes the files and prints the summary (to standard error when standard output is
    /// closed). A file that could not be written makes the run a failure.
    fn summary(&mut self) {
        self.flush_out();
        let logged = match self.log_file.take() {
            Some(LogFile::Jsonl(mut w)) | Some(LogFile::Csv(mut w)) => w.flush(),
            None => Ok(()),
        };
        self.file_failed(LOG_FILE, logged);
        if let Some(p) = self.pcap.take() {
            let captured = p.finish().map(|_| ());
            self.file_failed(PCAP, captured);
        }
        if let Some((which, e)) = &self.file_error {
            say!("socklab: writing the {which} failed: {e}");
            self.failures += 1;
        }
        let c = &self.counters;
        // The generator's run and the rate it reached: datagrams/s and Mbit/s of payload.
        let generated = self.generated.map(|(packets, bytes, micros)| {
            let secs = micros as f64 / 1e6;
            let per_sec = |n: f64| if secs > 0.0 { n / secs } else { 0.0 };
            (packets, bytes, micros, per_sec(packets as f64), per_sec(bytes as f64 * 8.0) / 1e6)
        });
        let line = if self.json {
            let mut v = serde_json::json!({
                "ts": record::rfc3339(jiff::Timestamp::now(), &self.tz),
                "kind": "summary",
                "rx_packets": c.rx_packets, "rx_bytes": c.rx_bytes,
                "tx_packets": c.tx_packets, "tx_bytes": c.tx_bytes,
                "connections": c.connections,
            });
            if let (Some((packets, bytes, micros, rate, mbit)), Some(o)) = (generated, v.as_object_mut()) {
                o.insert("gen_packets".into(), packets.into());
                o.insert("gen_bytes".into(), bytes.into());
                o.insert("gen_micros".into(), micros.into());
                o.insert("gen_rate".into(), ((rate * 10.0).round() / 10.0).into());
                o.insert("gen_mbit_s".into(), ((mbit * 1000.0).round() / 1000.0).into());
            }
            v.to_string()
        } else {
            let mut line = format!(
                "summary: rx {} packets / {} bytes, tx {} packets / {} bytes, {} connections",
                c.rx_packets, c.rx_bytes, c.tx_packets, c.tx_bytes, c.connections
            );
            if let Some((packets, bytes, micros, rate, mbit)) = generated {
                line.push_str(&format!(
                    "; generated {packets} datagrams / {bytes} bytes in {:.3} s: {rate:.0} datagrams/s, {mbit:.2} Mbit/s",
                    micros as f64 / 1e6
                ));
            }
            line
        };
        self.emit_line(&line);
        self.flush_out();
        if self.stdout_closed {
            say!("{line}");
        }
    }
}

/// Names of the files, for a write error.
const LOG_FILE: &str = "log file (--log-file)";
const PCAP: &str = "capture (--pcap)";

/// A running worker and its events, as seen from the CLI.
struct Session {
    handle: WorkerHandle,
    events: Receiver<Event>,
    printer: Printer,
    stopped: bool,
}

/// How `--send` messages are spaced: `--gap` and `--await-reply` (with `--wait` as the longest
/// wait for an answer).
#[derive(Clone, Copy)]
struct Pace {
    gap: Duration,
    await_reply: bool,
    reply_timeout: Duration,
}

/// How [`Session::send_paced`] ended.
#[derive(PartialEq)]
enum Sent {
    All,
    /// A send failed, an answer did not come, the connection closed, or the run was ended.
    Stopped,
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
        let mut printer = Printer::new(common)?;
        printer.waiting = Some(events.clone());
        let handle = spawn(sink).map_err(Failure::Net)?;
        // Test hook (feature `test-hooks` only): tests/cli.rs makes the worker panic this way.
        #[cfg(feature = "test-hooks")]
        if std::env::var_os("SOCKLAB_TEST_INJECT_PANIC").is_some() {
            let _ = handle.send(crate::engine::Command::InjectPanic);
        }
        Ok(Session { handle, events, printer, stopped: false })
    }

    /// Waits for the socket to be ready; a failure to bind/listen/connect ends the run.
    fn wait_ready(&mut self, ready: impl Fn(&EventKind) -> bool) -> Result<(), Failure> {
        let mut reported = false;
        loop {
            match self.events.recv_timeout(Duration::from_millis(100)) {
                Ok(ev) => {
                    if let EventKind::Error(p) = &ev.kind {
                        // Once on stderr; with --json also as a JSON line, so scripts see why.
                        if self.printer.json {
                            self.printer.print(&ev);
                        } else {
                            say!("socklab: {p}");
                        }
                        reported = true;
                        continue;
                    }
                    if ev.kind == EventKind::Stopped {
                        self.stopped = true;
                        return Err(if reported { Failure::Reported } else { Failure::Net(Problem::WorkerGone) });
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

    /// Sends the commands in order, printing what arrives meanwhile: with `pace.gap`, a pause
    /// between two of them; with `pace.await_reply`, before the next one, the peer's answer to
    /// this one (an Rx after this send's Tx) within `pace.reply_timeout`. A failed send, a
    /// missing answer or a closed connection stops sending; the first two make the run fail.
    fn send_paced(&mut self, cmds: Vec<Command>, pace: Pace) -> Result<Sent, Failure> {
        let n = cmds.len();
        for (i, cmd) in cmds.into_iter().enumerate() {
            self.send(cmd)?;
            let left = n - i - 1;
            if pace.await_reply {
                let (mut sent, mut answered, mut failed, mut closed) = (false, false, false, false);
                let until = Instant::now() + pace.reply_timeout;
                self.pump(Some(until), |ev| match ev.kind {
                    EventKind::Tx { .. } => {
                        sent = true;
                        Flow::Continue
                    }
                    EventKind::Rx { .. } if sent => {
                        answered = true;
                        Flow::Done
                    }
                    EventKind::Error(_) => {
                        failed = true;
                        Flow::Done
                    }
                    EventKind::Closed { .. } => {
                        closed = true;
                        Flow::Done
                    }
                    _ => Flow::Continue,
                });
                if self.ended(failed, closed, left) {
                    return Ok(Sent::Stopped);
                }
                if !answered {
                    let rest = if left > 0 { "; the rest was not sent" } else { "" };
                    say!(
                        "socklab: no answer to message {} within {} ms (--await-reply){rest}",
                        i + 1,
                        pace.reply_timeout.as_millis()
                    );
                    self.printer.failures += 1;
                    return Ok(Sent::Stopped);
                }
            }
            if !pace.gap.is_zero() && left > 0 {
                let (mut failed, mut closed) = (false, false);
                self.pump(Some(Instant::now() + pace.gap), |ev| {
                    failed |= matches!(ev.kind, EventKind::Error(_));
                    closed |= matches!(ev.kind, EventKind::Closed { .. });
                    if failed || closed { Flow::Done } else { Flow::Continue }
                });
                if self.ended(failed, closed, left) {
                    return Ok(Sent::Stopped);
                }
            }
        }
        Ok(Sent::All)
    }

    /// Whether pacing must stop: a send failed (already reported and counted), the connection
    /// closed, or the run was ended. A close with `left` messages still to send is a failure
    /// (they were not sent); after the last one it is how the peer answers (the hello server
    /// closes on `exit`).
    fn ended(&mut self, failed: bool, closed: bool, left: usize) -> bool {
        if closed && left > 0 {
            say!("socklab: the connection closed: {left} message(s) were not sent");
            self.printer.failures += 1;
        }
        failed || closed || self.stopped || INTERRUPTED.load(Ordering::SeqCst) || self.printer.stdout_closed
    }

    /// Prints events until `on_event` says done, the deadline passes, a signal comes, or the
    /// worker stops.
    ///
    /// While events flow, the channel is drained without blocking, with 1 ms sleeps when it is
    /// empty. A blocking receive would make the worker wake this thread for nearly every event
    /// (a futex call, a context switch, and crossbeam's spinning before it parks), which under a
    /// flood costs more CPU than the worker's own work per datagram. The channel holds 65,536
    /// events, far more than arrive in a millisecond. After [`FLOWING`] without an event it
    /// blocks again, so an idle run costs nothing.
    fn pump(&mut self, deadline: Option<Instant>, mut on_event: impl FnMut(&Event) -> Flow) {
        const IDLE: Duration = Duration::from_millis(1);
        const FLOWING: Duration = Duration::from_millis(50);
        let mut last_event: Option<Instant> = None;
        while !self.stopped {
            if INTERRUPTED.load(Ordering::SeqCst) || self.printer.stdout_closed {
                return;
            }
            let now = Instant::now();
            let left = match deadline.map(|d| d.checked_duration_since(now)) {
                Some(None) => return,
                Some(Some(left)) => left.min(Duration::from_millis(100)),
                None => Duration::from_millis(100),
            };
            let flowing = last_event.is_some_and(|t| now.duration_since(t) < FLOWING);
            let got = if flowing {
                match self.events.try_recv() {
                    Ok(ev) => Ok(ev),
                    Err(TryRecvError::Empty) => {
                        self.printer.flush_files();
                        std::thread::sleep(IDLE.min(left));
                        continue;
                    }
                    Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
                }
            } else {
                self.events.recv_timeout(left)
            };
            match got {
                Ok(ev) => {
                    last_event = Some(now);
                    if ev.kind == EventKind::Stopped {
                        self.stopped = true;
                        return;
                    }
                    self.printer.print(&ev);
                    if let Flow::Done = on_event(&ev) {
                        return;
                    }
                }
                Err(RecvTimeoutError::Timeout) => self.idle(),
                Err(RecvTimeoutError::Disconnected) => {
                    self.stopped = true;
                    return;
                }
            }
        }
    }

    /// Nothing came for a while: write the files out, and notice a reader of standard output
    /// that has gone although nothing was written to it since.
    fn idle(&mut self) {
        self.printer.flush_files();
        if !self.printer.stdout_closed && stdout_reader_gone() {
            self.printer.stdout_closed = true;
        }
    }

    /// Stops the worker, prints what it still reports, the summary, and joins it; a run in
    /// which something failed (see [`Printer::is_failure`]) is a failure (exit 1).
    fn finish(mut self) -> Result<(), Failure> {
        self.handle.request_stop();
        let until = Instant::now() + Duration::from_secs(5);
        while !self.stopped && Instant::now() < until {
            match self.events.recv_timeout(Duration::from_millis(50)) {
                Ok(ev) if ev.kind == EventKind::Stopped => self.stopped = true,
                Ok(ev) => self.printer.print(&ev),
                Err(RecvTimeoutError::Timeout) => self.printer.flush_files(),
                Err(RecvTimeoutError::Disconnected) => self.stopped = true,
            }
        }
        self.printer.summary();
        drop(self.events);
        self.handle.join();
        if self.printer.failures > 0 { Err(Failure::Reported) } else { Ok(()) }
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

/// The multicast settings of `udp`: `--interface` is an IPv4 address or an interface name/index.
fn multicast_of(a: &UdpArgs) -> Result<Option<engine::udp::Multicast>, Failure> {
    if a.multicast.is_none() && a.interface.is_none() {
        return Ok(None);
    }
    let mut m = engine::udp::Multicast { join: a.multicast, ttl: a.ttl, ..Default::default() };
    if let Some(i) = a.interface.as_deref().map(str::trim) {
        if let Ok(v4) = i.parse::<std::net::Ipv4Addr>() {
            m.interface = Some(v4);
        } else {
            m.interface_index =
                i.parse::<u32>().ok().or_else(|| engine::udp::interface_index(i)).ok_or_else(|| {
                    Failure::Usage(format!("--interface {i}: not an IPv4 address or an interface name"))
                })?;
        }
    }
    Ok(Some(m))
}

/// The `--rule` arguments, one rule each, checked.
fn rules_of(rules: &[String]) -> Result<std::sync::Arc<engine::rules::Rules>, Failure> {
    engine::rules::Rules::parse(&rules.join("\n"))
        .map(std::sync::Arc::new)
        .map_err(|e| Failure::Usage(format!("--rule: {e}")))
}

/// The generator run `udp --rate` asks for, checked before anything is sent: one datagram,
/// a destination, and a count or a duration (never unbounded).
fn gen_spec(a: &UdpArgs, rate: Rate, msgs: &[Vec<u8>]) -> Result<GenSpec, Failure> {
    let usage = |s: &str| Err(Failure::Usage(s.into()));
    let Some(to) = &a.to else { return usage("--rate needs --to ADDR:PORT (where to send)") };
    if a.gap > 0 || a.await_reply {
        return usage("--rate paces the datagrams itself: --gap and --await-reply do not apply to it");
    }
    let data = match msgs {
        [one] => one.clone(),
        [] => return usage("--rate needs the datagram to repeat: give one --send TEXT or --hex HEX"),
        _ => return usage("--rate repeats one datagram: give one --send or --hex"),
    };
    if a.count.is_none() && a.duration.is_none() {
        return usage("--rate needs --count N (datagrams to send) or --duration SECS: it never runs unbounded");
    }
    deadline(a.duration)?;
    let spec =
        GenSpec { to: to.clone(), data, rate, count: a.count, duration: a.duration.map(Duration::from_secs_f64) };
    spec.check().map_err(|p| Failure::Usage(format!("--rate: {}", i18n::problem(Lang::En, &p))))?;
    Ok(spec)
}

/// The largest UDP payload to `to`: 65,535 minus the IP header (20 bytes for IPv4; none counts
/// for IPv6, whose payload length excludes its header) and the UDP header (8). Jumbograms are
/// not supported.
fn max_datagram(to: SocketAddr) -> usize {
    use engine::generator::{MAX_DATAGRAM, MAX_DATAGRAM_V6};
    let v4 = match to.ip() {
        std::net::IpAddr::V4(_) => true,
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some(),
    };
    if v4 { MAX_DATAGRAM } else { MAX_DATAGRAM_V6 }
}

/// `--to` checked before anything is sent: a malformed address is a usage error (exit 2), a
/// host name that does not resolve a network one (exit 1); and no datagram may be larger than
/// UDP allows to that address.
fn check_destination(to: &str, msgs: &[Vec<u8>]) -> Result<(), Failure> {
    let addr = engine::resolve(to).map_err(|p| match p {
        Problem::UnknownHost(_) | Problem::UnknownInterface(_) => Failure::Net(p),
        p => Failure::Usage(format!("--to: {p}")),
    })?;
    let max = max_datagram(addr);
    if let Some((i, m)) = msgs.iter().enumerate().find(|(_, m)| m.len() > max) {
        let family = if addr.is_ipv4() { "IPv4" } else { "IPv6" };
        return Err(Failure::Usage(format!(
            "message {} is {} bytes: a UDP datagram over {family} holds at most {max} bytes (nothing was sent)",
            i + 1,
            m.len()
        )));
    }
    Ok(())
}

fn run_udp(a: UdpArgs, m: Option<&ArgMatches>) -> Result<(), Failure> {
    let msgs = payloads(&a.send, &a.hex, a.common.encoding, m)?;
    if !msgs.is_empty() && a.to.is_none() {
        return Err(Failure::Usage("--send/--hex need --to ADDR:PORT (where to send)".into()));
    }
    if let Some(to) = &a.to {
        check_destination(to, &msgs)?;
    }
    let spec = match a.rate {
        Some(rate) => Some(gen_spec(&a, rate, &msgs)?),
        None => None,
    };
    let mut until = deadline(a.duration)?;
    let multicast = multicast_of(&a)?;
    let cfg = UdpConfig {
        bind: a.bind.clone(),
        reply: a.reply.into(),
        rules: rules_of(&a.rules)?,
        encoding: a.common.encoding,
        recv_buffer: a.recv_buffer,
        so_rcvbuf: a.so_rcvbuf.0,
        // Several receivers of one group on one machine share the port.
        reuse_addr: a.multicast.is_some(),
        multicast,
        thread_name: "udp".into(),
        ..UdpConfig::default()
    };
    let mut s = Session::start(&a.common, |sink| engine::udp::spawn(cfg, sink))?;
    s.wait_ready(is_listening)?;
    if let Some(spec) = spec {
        return run_generator(s, spec);
    }
    if let Some(to) = &a.to {
        let cmds = msgs.iter().map(|data| Command::SendTo { to: to.clone(), data: data.clone() }).collect();
        let pace = Pace {
            gap: Duration::from_millis(a.gap),
            await_reply: a.await_reply,
            reply_timeout: Duration::from_millis(a.wait),
        };
        s.send_paced(cmds, pace)?;
    }
    if !msgs.is_empty() && a.count.is_none() && until.is_none() {
        // Sent and asked for nothing else: wait briefly for replies, then exit.
        until = Some(Instant::now() + Duration::from_millis(a.wait));
    }
    s.pump(until, rx_counter(a.count));
    s.finish()
}

/// `udp --rate`: the engine's traffic generator sends, the CLI counts without printing each
/// datagram, and the run ends when the generator reports it is done.
fn run_generator(mut s: Session, spec: GenSpec) -> Result<(), Failure> {
    s.printer.quiet_data = true;
    // The generator ends itself at its duration; allow that much and some more for its report.
    let until = spec.duration.map(|d| Instant::now() + d + Duration::from_secs(5));
    s.send(Command::Generate(Box::new(spec)))?;
    let (mut sent_any, mut failed) = (false, false);
    s.pump(until, |ev| match ev.kind {
        EventKind::GeneratorDone { packets, .. } => {
            failed |= packets == 0;
            Flow::Done
        }
        EventKind::Tx { .. } => {
            sent_any = true;
            Flow::Continue
        }
        // An error before the first datagram: the run did not start (e.g. an unknown host), and
        // no GeneratorDone follows. (An error during a run is followed by GeneratorDone.)
        EventKind::Error(_) if !sent_any => {
            failed = true;
            Flow::Done
        }
        _ => Flow::Continue,
    });
    let finished = s.finish();
    // The summary is printed either way; a run that sent nothing is a failure (exit 1).
    if failed { Err(Failure::Reported) } else { finished }
}

fn run_tcp_server(a: TcpServerArgs) -> Result<(), Failure> {
    let until = deadline(a.duration)?;
    let cfg = TcpServerConfig {
        bind: a.bind.clone(),
        backlog: a.backlog,
        reply: a.reply.into(),
        rules: rules_of(&a.rules)?,
        encoding: a.common.encoding,
        accept_limit: a.max_clients,
        framing: a.framing,
        nodelay: a.nodelay,
        recv_buffer: a.recv_buffer,
        max_unfinished: a.max_unfinished,
        ..TcpServerConfig::default()
    };
    if a.max_clients == Some(0) {
        return Err(Failure::Usage("--max-clients must be at least 1".into()));
    }
    let mut s = Session::start(&a.common, |sink| engine::tcp_server::spawn(cfg, sink))?;
    s.printer.server = true;
    s.wait_ready(is_listening)?;
    s.pump(until, rx_counter(a.count));
    s.finish()
}

fn run_tcp_client(a: TcpClientArgs, m: Option<&ArgMatches>) -> Result<(), Failure> {
    let msgs = payloads(&a.send, &a.hex, a.common.encoding, m)?;
    let cfg = TcpClientConfig {
        connect: a.connect.clone(),
        timeout: Duration::from_millis(a.timeout.max(1)),
        framing: a.framing,
        nodelay: a.nodelay,
        recv_buffer: a.recv_buffer,
        ..TcpClientConfig::default()
    };
    let mut s = Session::start(&a.common, |sink| engine::tcp_client::spawn(cfg, sink))?;
    s.wait_ready(|k| matches!(k, EventKind::Connected { .. }))?;
    let cmds = msgs.into_iter().map(|data| Command::Send { conn: None, data }).collect();
    let pace = Pace {
        gap: Duration::from_millis(a.gap),
        await_reply: a.await_reply,
        reply_timeout: Duration::from_millis(a.wait),
    };
    if s.send_paced(cmds, pace)? == Sent::Stopped {
        return s.finish();
    }
    let until = Some(Instant::now() + Duration::from_millis(a.wait));
    s.pump(until, |ev| match ev.kind {
        EventKind::Closed { .. } => Flow::Done,
        _ => Flow::Continue,
    });
    s.finish()
}

fn run_broadcast(a: BroadcastArgs) -> Result<(), Failure> {
    let until = deadline(a.duration)?;
    if let Some(port) = a.listen {
        let cfg = engine::broadcast::receiver_config(port, a.common.encoding);
        let mut s = Session::start(&a.common, |sink| engine::udp::spawn(cfg, sink))?;
        s.wait_ready(is_listening)?;
        s.pump(until, rx_counter(a.count));
        return s.finish();
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
    check_destination(&to, &msgs)?;
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
    s.finish()
}

fn run_addr(a: AddrArgs) -> Result<(), Failure> {
    use crate::basics::addr;
    let input = a.input.join(" ");
    let i = addr::inspect(&input).map_err(|e| Failure::Usage(format!("{input}: {e}")))?;
    let mut out = std::io::stdout().lock();
    if a.json {
        // to_string (not to_value) keeps IPv6 address counts above 2^64 exact.
        let _ = writeln!(out, "{}", serde_json::to_string(&i).unwrap_or_default());
        return Ok(());
    }
    let mut lines: Vec<(&str, String)> = vec![("address", format!("{} ({})", i.address, i.family.name()))];
    if let Some(c) = &i.class {
        let mut s = format!("{} (first bits {})", c.class.name(), c.leading_bits);
        if let Some(p) = c.default_prefix {
            s.push_str(&format!(", classful prefix /{p}"));
        }
        s.push_str("; classes are history: since CIDR (1993) the prefix decides the network");
        lines.push(("class", s));
    }
    lines.push(("kind", i.kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")));
    if let Some(m) = i.mapped_ipv4 {
        lines.push(("ipv4 inside", m.to_string()));
    }
    let (net, label) = match (&i.network, &i.classful_network) {
        (Some(n), _) => (Some(n), "network"),
        (None, Some(n)) => (Some(n), "classful net"),
        _ => (None, ""),
    };
    lines.push(("bits", mark_bits(&i.address_bits)));
    if let Some(n) = net {
        lines.push((label, n.cidr.clone()));
        lines.push(("mask", format!("{} = /{}", n.netmask, n.prefix_len)));
        lines.push(("mask bits", mark_bits(&n.netmask_bits)));
        lines.push(("network addr", n.network.to_string()));
        if let Some(b) = n.broadcast {
            lines.push(("broadcast", b.to_string()));
        }
        lines.push(("hosts", format!("{} - {}", n.first_host, n.last_host)));
        let count = |c: Option<u128>| c.map(|c| c.to_string()).unwrap_or_else(|| "2^128".into());
        lines.push(("host count", format!("{} usable of {} addresses", count(n.usable_hosts), count(n.addresses))));
        if n.is_network_address {
            lines.push(("note", "this is the network address itself (host bits all 0)".into()));
        }
        if n.is_broadcast_address {
            lines.push(("note", "this is the broadcast address (host bits all 1)".into()));
        }
    }
    for (k, v) in lines {
        let _ = writeln!(out, "{k:<13} {v}");
    }
    Ok(())
}

/// Binary with a `|` between network and host bits.
fn mark_bits(b: &crate::basics::addr::Bits) -> String {
    let (net, host) = b.text.split_at(b.host_start.min(b.text.len()));
    if host.is_empty() { net.to_string() } else { format!("{net}|{host}") }
}

fn run_ports(a: PortsArgs) -> Result<(), Failure> {
    use crate::basics::sockets::{self, TcpState};
    let mut list = sockets::list().map_err(|e| Failure::Usage(format!("cannot list sockets here: {e}")))?;
    list.retain(|s| {
        (!a.listening || matches!(s.state, TcpState::Listen | TcpState::Unconnected))
            && a.port.is_none_or(|p| s.local.port() == p || s.remote.port() == p)
    });
    list.sort_by_key(|s| (s.proto.name(), s.local.port(), s.remote));
    let mut out = std::io::stdout().lock();
    if !a.json {
        let _ = writeln!(out, "{:<5} {:<46} {:<46} {:<12} PROCESS", "PROTO", "LOCAL", "REMOTE", "STATE");
    }
    for s in &list {
        let line = if a.json {
            serde_json::to_string(s).unwrap_or_default()
        } else {
            let who = match (s.pid, &s.command) {
                (Some(p), Some(c)) => format!("{p}/{c}"),
                (Some(p), None) => p.to_string(),
                _ => "-".into(),
            };
            format!("{:<5} {:<46} {:<46} {:<12} {who}", s.proto.name(), s.local, s.remote, s.state.name())
        };
        let _ = writeln!(out, "{line}");
    }
    Ok(())
}

/// Which Tx events of a file server carry file bytes (summarised, never printed whole): all of
/// them with the tutorial protocol; with framed, those after the header line.
struct FileData {
    protocol: engine::files::FileProtocol,
    /// Connections whose header line has been sent.
    header_sent: std::collections::HashSet<(u16, u64)>,
}

impl FileData {
    fn is_file_data(&mut self, ev: &Event) -> bool {
        let (EventKind::Tx { data }, Some(conn)) = (&ev.kind, ev.conn) else {
            if let (EventKind::Closed { .. }, Some(conn)) = (&ev.kind, ev.conn) {
                self.header_sent.remove(&(ev.source, conn));
            }
            return false;
        };
        if self.protocol == engine::files::FileProtocol::Tutorial || self.header_sent.contains(&(ev.source, conn)) {
            return true;
        }
        // The server writes its header line apart from the file bytes.
        if data.ends_with(b"\n") {
            self.header_sent.insert((ev.source, conn));
        }
        false
    }
}

/// Prints one chunk of file bytes as a one-line summary (`[file data]` and its length).
fn print_file_chunk(p: &mut Printer, ev: &Event, len: usize) {
    p.counters.apply(ev);
    p.seq += 1;
    // The record of an empty chunk: no hex or text of 64 KiB is built just to be dropped.
    let light = Event {
        time: ev.time,
        tab: ev.tab,
        source: ev.source,
        proto: ev.proto,
        conn: ev.conn,
        local: ev.local,
        peer: ev.peer,
        kind: EventKind::Tx { data: Vec::new() },
    };
    let Some(mut rec) = Record::from_event(&light, p.encoding, &p.tz, Some(p.seq)) else { return };
    rec.len = len;
    rec.text = "[file data]".into();
    p.write_files(ev, Some(&rec));
    let line = if p.json {
        rec.seq = None;
        rec.to_json()
    } else {
        let time = p.clock(ev.time);
        let peer = rec.peer.as_deref().unwrap_or("-");
        format!("{time} tx {peer} <<< {} ({len} bytes)", rec.text)
    };
    p.emit_line(&line);
    if p.waiting.as_ref().is_none_or(|w| w.is_empty()) {
        p.flush_out();
    }
}

/// Like [`Session::pump`], with file bytes summarised. `on_signal`: return when Ctrl+C came.
fn pump_files(s: &mut Session, until: Option<Instant>, on_signal: bool, files: &mut FileData) {
    while !s.stopped {
        if on_signal && (INTERRUPTED.load(Ordering::SeqCst) || s.printer.stdout_closed) {
            return;
        }
        let wait = match until {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) => left.min(Duration::from_millis(100)),
                None => return,
            },
            None => Duration::from_millis(100),
        };
        match s.events.recv_timeout(wait) {
            Ok(ev) if ev.kind == EventKind::Stopped => s.stopped = true,
            Ok(ev) => match &ev.kind {
                EventKind::Tx { data } if files.is_file_data(&ev) => print_file_chunk(&mut s.printer, &ev, data.len()),
                _ => {
                    files.is_file_data(&ev);
                    s.printer.print(&ev);
                }
            },
            Err(RecvTimeoutError::Timeout) => s.idle(),
            Err(RecvTimeoutError::Disconnected) => s.stopped = true,
        }
    }
}

fn run_file_server(a: FileServerArgs) -> Result<(), Failure> {
    use engine::files::{self, FileServerConfig};
    let until = deadline(a.duration)?;
    if a.max_clients == 0 {
        return Err(Failure::Usage("--max-clients must be at least 1".into()));
    }
    files::server::check_root(&a.root).map_err(|e| Failure::Usage(format!("--root: {e}")))?;
    let protocol = a.protocol.into();
    let cfg = FileServerConfig {
        bind: a.bind.clone(),
        root: a.root.clone(),
        protocol,
        max_file_size: a.max_size,
        min_send_rate: a.min_rate,
        max_clients: a.max_clients,
        ..FileServerConfig::default()
    };
    let mut s = Session::start(&a.common, |sink| {
        files::start(cfg, sink).map_err(|e| match e {
            files::FileError::Net(p) => p,
            other => Problem::Logged(other.to_string()),
        })
    })?;
    s.printer.server = true;
    s.wait_ready(is_listening)?;
    let mut data = FileData { protocol, header_sent: Default::default() };
    pump_files(&mut s, until, true, &mut data);
    // Print what the server still reports while it closes its clients, then the summary.
    s.handle.request_stop();
    pump_files(&mut s, Some(Instant::now() + Duration::from_secs(5)), false, &mut data);
    s.finish()
}

fn run_file_get(a: FileGetArgs) -> Result<(), Failure> {
    use engine::files::{self, DownloadConfig, FileProtocol, Progress};
    use std::io::IsTerminal;
    let protocol: FileProtocol = a.protocol.into();
    let cfg = DownloadConfig {
        connect: a.connect.clone(),
        name: a.name.clone(),
        out_dir: a.out.clone(),
        protocol,
        overwrite: a.overwrite,
        resume: !a.no_resume,
        max_size: a.max_size,
    };
    let progress = std::sync::Arc::new(Progress::new());
    let (sink, events) = EventSink::channel(None);
    // The transfer is logged to the sink like any worker; this command prints only progress
    // and the result, so the events are just drained.
    let drain = std::thread::Builder::new()
        .name("file-get-log".into())
        .spawn(move || for _ in events {})
        .map_err(|e| Failure::Net(Problem::io("thread", None, &e)))?;
    let worker = files::spawn_download(cfg, progress.clone(), sink)
        .map_err(|e| Failure::Net(Problem::io("thread", None, &e)))?;
    let tty = std::io::stderr().is_terminal();
    let show_progress = !a.quiet;
    let (mut printed, mut shown): (Option<Instant>, u64) = (None, 0);
    while !worker.is_finished() {
        if INTERRUPTED.load(Ordering::SeqCst) {
            progress.cancel();
        }
        std::thread::sleep(Duration::from_millis(50));
        let got = progress.received();
        // At most 4 lines a second, and only when something changed.
        if !show_progress || got == shown || printed.is_some_and(|t| t.elapsed() < Duration::from_millis(250)) {
            continue;
        }
        let line = match progress.total() {
            Some(t) if t > 0 => format!("{}: {got} / {t} bytes ({}%)", a.name, got.saturating_mul(100) / t),
            _ => format!("{}: {got} bytes", a.name),
        };
        if tty {
            let _ = write!(std::io::stderr(), "\r{line:<70}");
        } else {
            say!("{line}");
        }
        (printed, shown) = (Some(Instant::now()), got);
    }
    if tty && printed.is_some() {
        say!();
    }
    // A panic in the download thread was already printed; say the worker is gone.
    let result = worker.join().map_err(|_| Failure::Net(Problem::WorkerGone));
    let _ = drain.join();
    let d = result?.map_err(|e| {
        let text = match &e {
            // The CLI's own wording names the flag.
            files::FileError::Exists(p) => format!("{} already exists: --overwrite replaces it", p.display()),
            _ => e.to_string(),
        };
        Failure::Net(Problem::Logged(text))
    })?;
    let line = if a.json {
        serde_json::to_string(&d).unwrap_or_default()
    } else {
        let check = if d.verified {
            "verified".to_string()
        } else {
            format!("not verified: the {} protocol sends no checksum", d.protocol.name())
        };
        format!("saved {} ({} bytes, sha256 {}, {check})", d.name, d.bytes, d.sha256)
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--help`'s limits are written out by hand: they must say what the constants say.
    #[test]
    fn help_limits_match_the_constants() {
        let has = |s: String| assert!(EXIT_HELP.contains(&s), "--help should say {s:?}");
        has(format!(
            "UDP datagram        {} bytes over IPv4, {} over IPv6",
            engine::generator::MAX_DATAGRAM,
            engine::generator::MAX_DATAGRAM_V6
        ));
        has(format!("--recv-buffer       {} bytes", engine::DEFAULT_RECV_BUFFER));
        has(format!("--rate              max, or {MIN_RATE} to {MAX_RATE}"));
        has(format!("--gap               0 ms (up to {MAX_GAP_MS})"));
        has(format!("TCP framed message  {} MiB", crate::codec::framing::MAX_MESSAGE >> 20));
        has(format!("--max-unfinished {} MiB", engine::tcp_server::DEFAULT_MAX_UNFINISHED >> 20));
        has(format!(
            "--max-size {} GiB, --max-clients {}",
            engine::files::DEFAULT_MAX_FILE_SIZE >> 30,
            engine::files::DEFAULT_MAX_CLIENTS
        ));
        has(format!("--min-rate {} bytes/s", engine::files::DEFAULT_MIN_SEND_RATE));
        assert_eq!(max_datagram("127.0.0.1:1".parse().unwrap()), 65_507);
        assert_eq!(max_datagram("[::1]:1".parse().unwrap()), 65_527);
    }

    #[test]
    fn rates_are_checked_when_parsed() {
        assert!(matches!(parse_rate("max"), Ok(Rate::Max)));
        assert!(matches!(parse_rate("0.01"), Ok(Rate::PacketsPerSec(_))));
        assert!(matches!(parse_rate("100000000"), Ok(Rate::PacketsPerSec(_))));
        for bad in ["1e-20", "1e300", "0", "-1", "nan", "inf", "abc", "100000001"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }
}
