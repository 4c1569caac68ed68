//! The flags of every subcommand (the clap `Args` structs) and their value parsers.
//!
//! Flags several subcommands share are declared once, in groups flattened into each: [`Common`]
//! (encoding, output, log files), [`PaceOpts`] (`--gap`, `--await-reply`), [`StreamOpts`] (TCP
//! framing, `TCP_NODELAY`, recv size), [`DurationOpt`] and [`QuietOpt`]. Their names, defaults
//! and help texts are a public interface: scripts and `--help` readers rely on them.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::codec::Encoding;
use crate::codec::framing::Framing;
use crate::engine::generator::Rate;
use crate::engine::{self, ReplyMode};
use crate::i18n::Lang;

#[derive(Args, Debug)]
pub struct OpenArgs {
    /// Captures or logs to open: pcap, pcapng or SockLab JSON lines (.gz too).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// GUI language for this run: en or zh-CN.
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
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
    #[command(flatten)]
    pub limit: DurationOpt,
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
    #[command(flatten)]
    pub output: QuietOpt,
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
    #[command(flatten)]
    pub output: QuietOpt,
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
    #[command(flatten)]
    pub output: QuietOpt,
}

#[derive(Args, Debug)]
pub struct UdpArgs {
    /// Local address to bind, e.g. 127.0.0.1:9999 (port 0: any free port).
    #[arg(long)]
    pub bind: String,
    /// Where --send/--hex datagrams go.
    #[arg(long)]
    pub to: Option<String>,
    /// A text datagram to send (repeatable; order kept with --hex). `${…}` fields compute
    /// themselves: ${seq}, ${time}, ${crc16-modbus}, ${len:u16be}, … (see --help's end).
    #[arg(long)]
    pub send: Vec<String>,
    /// A datagram given as hex, e.g. "48 65 6c 6c 6f" or "01 03 00 00 00 0A ${crc16-modbus}"
    /// (repeatable).
    #[arg(long)]
    pub hex: Vec<String>,
    #[command(flatten)]
    pub pace: PaceOpts,
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
    #[command(flatten)]
    pub limit: DurationOpt,
    /// listen() backlog: connections the kernel queues before they are accepted (1-65535;
    /// Linux caps it at net.core.somaxconn).
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(i32).range(1..=65_535))]
    pub backlog: i32,
    /// All clients together may hold this many bytes of framed messages not yet complete; past
    /// it, the client holding the most is told and disconnected.
    /// At least 65536.
    #[arg(long, value_name = "BYTES", default_value_t = engine::tcp_server::DEFAULT_MAX_UNFINISHED, value_parser = parse_max_unfinished)]
    pub max_unfinished: usize,
    #[command(flatten)]
    pub stream: StreamOpts,
    #[command(flatten)]
    pub tls: TlsOpts,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct RelayArgs {
    /// Where clients connect, e.g. 127.0.0.1:7000 (point the client here instead of the server).
    #[arg(long)]
    pub listen: String,
    /// The real server, e.g. 127.0.0.1:9999.
    #[arg(long)]
    pub to: String,
    /// Relay UDP datagrams instead of TCP connections.
    #[arg(long)]
    pub udp: bool,
    /// A network condition, DIR:KIND=VALUE[,KEY=VALUE] (repeatable). DIR: up (client to
    /// server), down, both. TCP: latency=50ms[,jitter=10ms], bandwidth=64k, slice=8[,jitter=2,pause=5ms],
    /// coalesce=100ms, limit=1000, timeout=2s, reset-after=2s, slow-close=500ms. UDP: loss=20%,
    /// duplicate=5%, reorder=10%[,delay=50ms], truncate=100, latency, bandwidth.
    #[arg(long = "fault", value_name = "SPEC")]
    pub faults: Vec<String>,
    /// Seed of the faults' random choices: the same seed repeats a run exactly.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Exit after this many relayed reads or datagrams (both directions).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    #[command(flatten)]
    pub limit: DurationOpt,
    /// Bytes held for one direction of a connection before the relay stops reading the other
    /// side (back-pressure). 1024 to 67108864.
    #[arg(long, value_name = "BYTES", default_value_t = engine::relay::DEFAULT_BUFFER as u64, value_parser = clap::value_parser!(u64).range(1024..=67_108_864))]
    pub buffer: u64,
    /// UDP: forget a client that sent and received nothing for this many seconds (1 to 86400).
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub idle_timeout: u64,
    /// Relayed connections (TCP) or clients (UDP) at once (1 to 100000).
    #[arg(long, default_value_t = engine::relay::DEFAULT_MAX_CLIENTS as u64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_clients: u64,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Args, Debug)]
pub struct TcpClientArgs {
    /// Server to connect to, e.g. 127.0.0.1:9999.
    #[arg(long)]
    pub connect: String,
    /// A text message to send (repeatable; order kept with --hex), with `${…}` fields.
    #[arg(long)]
    pub send: Vec<String>,
    /// A message given as hex, with `${…}` fields between the bytes (repeatable).
    #[arg(long)]
    pub hex: Vec<String>,
    #[command(flatten)]
    pub pace: PaceOpts,
    /// After the last send, wait this many ms for replies (or until the server closes).
    #[arg(long, default_value_t = 500)]
    pub wait: u64,
    /// Give up connecting after this many ms.
    #[arg(long, default_value_t = 5000)]
    pub timeout: u64,
    #[command(flatten)]
    pub stream: StreamOpts,
    #[command(flatten)]
    pub tls: TlsOpts,
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
    #[command(flatten)]
    pub limit: DurationOpt,
    #[command(flatten)]
    pub common: Common,
}

// The groups below carry plain comments, not doc comments: clap would apply a flattened struct's
// doc comment to the subcommand's description.

// The flags of every subcommand that moves traffic: the text encoding, how events are printed
// and where they are logged.
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
    /// Also write the traffic as a capture (opens in Wireshark/tshark): pcapng if the name ends
    /// in .pcapng, else classic pcap.
    #[arg(long, value_name = "PATH")]
    pub pcap: Option<PathBuf>,
    /// Do not print a line per datagram or read: count them (and still write --log-file/--pcap),
    /// print connections, errors and the summary. For floods and benchmarks.
    #[arg(long)]
    pub quiet: bool,
}

// TLS on a TCP connection (tcp-server, tcp-client).
#[derive(Args, Debug, Clone, Default)]
pub struct TlsOpts {
    /// Speak TLS (1.2 or 1.3). A server without --cert makes a self-signed certificate for
    /// localhost, 127.0.0.1 and ::1 at start and prints its SHA-256 fingerprint.
    #[arg(long)]
    pub tls: bool,
    /// Certificate chain, PEM (the server's, or the client's own certificate).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "key"])]
    pub cert: Option<PathBuf>,
    /// Private key of --cert, PEM.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "cert"])]
    pub key: Option<PathBuf>,
    /// Client: trust only the authorities (or self-signed certificates) in this PEM file,
    /// instead of the system's.
    #[arg(long, value_name = "FILE", requires = "tls", conflicts_with = "insecure")]
    pub ca: Option<PathBuf>,
    /// Client: accept any certificate (encrypted, but not checked: anyone may be at the other end).
    #[arg(long, requires = "tls")]
    pub insecure: bool,
    /// Client: the name sent as SNI and checked against the certificate (default: the host of
    /// --connect; an IP address is checked against the certificate's IP names, no SNI sent).
    #[arg(long, value_name = "NAME", requires = "tls")]
    pub sni: Option<String>,
    /// Protocols to offer (client) or accept (server) by ALPN, comma-separated, e.g. h2,http/1.1.
    #[arg(long, value_name = "LIST", requires = "tls")]
    pub alpn: Option<String>,
    /// Append the session keys to this file (SSLKEYLOGFILE format) so Wireshark can decrypt a
    /// capture of the connection. Whoever has the file can read the traffic.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub keylog: Option<PathBuf>,
    /// Server: save the certificate it presents (PEM), e.g. the self-signed one, so a client can
    /// trust it (--ca FILE, curl --cacert, openssl s_client -CAfile).
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub save_cert: Option<PathBuf>,
    /// A handshake not done after this many ms is given up (1 to 600000).
    #[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub handshake_timeout: u64,
    /// Text output: also print the TLS records as they cross the wire (--json always has them).
    #[arg(long, requires = "tls")]
    pub tls_records: bool,
}

// How `--send` messages are spaced (udp, tcp-client).
#[derive(Args, Debug, Clone, Copy)]
pub struct PaceOpts {
    /// Pause this many milliseconds between two sends, so the peer reads them apart (TCP
    /// merges messages sent back to back: 粘包). 0: back to back.
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=MAX_GAP_MS))]
    pub gap: u64,
    /// Before each next send, wait for the peer's answer to the last one (at most --wait ms;
    /// no answer in time ends the run with exit 1).
    #[arg(long)]
    pub await_reply: bool,
}

// The TCP stream options (tcp-server, tcp-client).
#[derive(Args, Debug, Clone)]
pub struct StreamOpts {
    /// Message framing: none | line | fixed:N | len8 | len16 | len32 | delim:HEX.
    #[arg(long, default_value = "none", value_parser = parse_framing)]
    pub framing: Framing,
    /// TCP_NODELAY: turn Nagle's algorithm off, so small writes leave at once.
    #[arg(long)]
    pub nodelay: bool,
    /// Bytes one recv() reads.
    #[arg(long, value_name = "BYTES", default_value_t = engine::DEFAULT_RECV_BUFFER, value_parser = parse_recv_buffer)]
    pub recv_buffer: usize,
}

// `--duration` of the servers and of broadcast (udp's says more: it also bounds `--rate`).
#[derive(Args, Debug, Clone, Copy)]
pub struct DurationOpt {
    /// Exit after this many seconds (below 1000000000).
    #[arg(long)]
    pub duration: Option<f64>,
}

// `--quiet` of the commands that print one result (addr, ports, file-get).
#[derive(Args, Debug, Clone, Copy)]
pub struct QuietOpt {
    /// Print no progress or per-message lines (the result, errors and the exit code remain).
    #[arg(long)]
    pub quiet: bool,
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
    Framing::parse(s).map_err(|e| crate::i18n::framing_error(crate::i18n::Lang::En, &e))
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

pub(super) fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("unknown language '{s}': use en or zh-CN"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
