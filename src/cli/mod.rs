//! The headless command line: the same engine as the GUI, one line per event on stdout.
//!
//! The subcommands, flags and `--json` fields are a public interface: scripts rely on them.
//!
//! This file holds the top of it: [`Cli`] and [`Cmd`], [`run`], which dispatches to one runner
//! per subcommand, and the exit-code policy (`Failure`), with the checks of flags several
//! runners share. The rest is by job: `args` (the flags), `printer` (what is printed and
//! logged), `session` (the event pump), and the runners `udp`, `tcp`, `broadcast`, `addr`
//! (`addr` and `ports`), `files` (`file-server` and `file-get`) and `read` (a capture or log
//! printed like the live rows). `socklab FILE` and `socklab open FILE` open the GUI: [`gui_files`]
//! checks the files first.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{ArgMatches, Parser, Subcommand};

use crate::codec::template::{self, Template};
use crate::codec::{self, Encoding};
use crate::engine::{self, Problem};
use crate::i18n::{self, Lang};

mod addr;
mod args;
pub mod bench;
mod broadcast;
mod files;
mod printer;
mod read;
mod relay;
mod session;
mod tcp;
mod tls;
mod udp;

use args::parse_lang;

/// A problem in English words: what the CLI prints, and the `text` of an error in `--json`
/// and `--log-file` (the record also keeps the problem as data).
pub(crate) fn english(p: &Problem) -> String {
    i18n::problem(Lang::En, p)
}
/// What the tests reach at `socklab::cli::…`.
#[cfg(any(test, feature = "test-support"))]
pub use args::{
    DurationOpt, FileProtoArg, MAX_GAP_MS, MAX_RATE, MIN_MAX_UNFINISHED, MIN_RATE, QuietOpt, SoRcvbuf, StreamOpts,
    TcpReply, UdpReply,
};
pub use args::{
    AddrArgs, BroadcastArgs, Common, FileGetArgs, FileServerArgs, OpenArgs, PaceOpts, PortsArgs, RelayArgs,
    TcpClientArgs, TcpServerArgs, UdpArgs,
};
pub use read::ReadArgs;
use printer::say;

#[derive(Parser, Debug)]
#[command(
    name = "socklab",
    version,
    about = "SockLab: a network playground for UDP, TCP and broadcast. Without a subcommand it opens the GUI \
             (with FILE: with that capture or log open).",
    after_help = EXIT_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Cmd>,
    /// Captures or logs to open in the GUI (pcap, pcapng, SockLab JSON lines; .gz too), as
    /// `socklab open FILE`.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
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
     --wait with --await-reply, a log file could not be written, a worker crashed; a FILE to
     open (`socklab FILE`, `socklab open FILE`) is missing or unreadable (said before any window);
     a TLS handshake failed (certificate refused, no common version, not TLS on that port);
     `read`: see `socklab read --help`
  2  bad flags or payloads (odd hex, text the encoding cannot hold, a malformed --to, a datagram
     larger than UDP allows, a TLS certificate, key or CA file that cannot be used): nothing
     was sent

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
  relay               --buffer 1 MiB a direction, --max-clients 1024, --idle-timeout 60 s (UDP);
                      fault delays and timeouts up to 60 s, slices and truncation up to 64 KiB
  bench               --connections 1 to 10000, --threads 1 to 64, --rate up to 10000000/s,
                      --timeout 2 s (up to 60), a message up to 1 MiB (see `socklab bench --help`)
  TLS                 --handshake-timeout 10000 ms (1 to 600000); TLS 1.2 and 1.3 only;
                      rustls holds at most 64 KiB of a connection's data at once
  message template    16 MiB rendered, ${file:…} up to 16 MiB, ${hex:RANDOM N} up to 65536 bytes

Message fields (in --send, --hex and --rule replies; `$${` writes `${`):
  ${seq} ${seq:start=0,step=2,width=4} ${seq:u16be}   the message number of the run, from 1
  ${time} ${time:%H:%M:%S} ${unix_ms} ${uuid} ${rand:1-6} ${hex:de ad} ${hex:RANDOM 8} ${file:PATH}
  ${sum8} ${xor8} ${crc8} ${crc16-modbus} ${crc16-ccitt-false} ${crc32}   over the bytes before it;
      ${crc32:le,0..10}: a byte range and order (CRC-16/MODBUS is low byte first)
  ${len:u8|u16be|u16le|u32be|u32le}   the bytes after it (or ${len:u8,0..4}: a range)
  ${rx} ${rx.line} ${rx.1} ${rx[2..4]}   rule replies: the received message, a regex group, bytes
  e.g. --hex '01 03 00 00 00 0A ${crc16-modbus}' sends 01 03 00 00 00 0a c5 cd
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
    /// Sit between a client and its server: print every byte both ways, add network faults.
    Relay(RelayArgs),
    /// Print a capture (pcap, pcapng) or a SockLab log as the live subcommands print their
    /// rows, like `tshark -r`: filter, count, sum up, convert.
    Read(ReadArgs),
    /// Load a server: N connections at a rate, round trips in percentiles, failures by kind,
    /// a report (`socklab bench tcp --connect 127.0.0.1:9000 --connections 100 --rate 5000`).
    Bench(bench::BenchArgs),
    /// Open the GUI with these captures or logs open (the same as `socklab FILE`).
    Open(OpenArgs),
}

impl Cli {
    /// Does what the command line asks: a subcommand, or the GUI (with `socklab FILE` or
    /// `socklab open FILE`: with those files open, once each is known to be readable; a file
    /// that is not is said before any window appears, exit 1). `matches` are the whole
    /// command line's.
    pub fn start(self, matches: &ArgMatches) -> ExitCode {
        let (lang, files) = match self.command {
            Some(Cmd::Open(a)) => (a.lang.or(self.lang), a.files),
            Some(cmd) => {
                if !self.files.is_empty() {
                    say!("socklab: give either files to open or a subcommand, not both");
                    return ExitCode::from(2);
                }
                return run(cmd, matches);
            }
            None => (self.lang, self.files),
        };
        if let Err(msg) = gui_files(&files) {
            say!("socklab: {msg}");
            return ExitCode::FAILURE;
        }
        match crate::ui::run(lang, files) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                say!("socklab: cannot open the window: {e}");
                ExitCode::FAILURE
            }
        }
    }
}

/// The files `socklab FILE` or `socklab open FILE` opens in the GUI, checked before any window
/// appears: each must be a file this user can read. On failure, what to print (and exit 1).
fn gui_files(files: &[PathBuf]) -> Result<(), String> {
    for f in files {
        match std::fs::metadata(f) {
            Ok(m) if m.is_dir() => return Err(format!("cannot open {}: it is a folder, not a file", f.display())),
            Ok(_) => {
                if let Err(e) = std::fs::File::open(f) {
                    return Err(format!("cannot open {}: {e}", f.display()));
                }
            }
            Err(e) => return Err(format!("cannot open {}: {e}", f.display())),
        }
    }
    Ok(())
}

/// Set by SIGINT/SIGTERM.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Runs a subcommand; `matches` are the subcommand's own, used to keep --send/--hex order.
pub fn run(cmd: Cmd, matches: &ArgMatches) -> ExitCode {
    // If a handler cannot be installed, Ctrl-C still ends the process, just without a summary.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let sub = matches.subcommand().map(|(_, m)| m);
    let result = match cmd {
        Cmd::Udp(a) => udp::run_udp(a, sub),
        Cmd::TcpServer(a) => tcp::run_tcp_server(a),
        Cmd::TcpClient(a) => tcp::run_tcp_client(a, sub),
        Cmd::Broadcast(a) => broadcast::run_broadcast(a),
        Cmd::Addr(a) => addr::run_addr(a),
        Cmd::Ports(a) => addr::run_ports(a),
        Cmd::FileServer(a) => files::run_file_server(a),
        Cmd::FileGet(a) => files::run_file_get(a),
        Cmd::Relay(a) => relay::run_relay(a),
        Cmd::Read(a) => read::run_read(a),
        Cmd::Bench(a) => bench::run_bench(a),
        // [`Cli::start`] opens the GUI for `open`; reaching here is a caller's slip, said as such.
        Cmd::Open(_) => Err(Failure::Usage("`open` starts the GUI: run it as `socklab open FILE`".into())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            say!("socklab: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Net(p)) => {
            say!("socklab: {}", english(&p));
            ExitCode::FAILURE
        }
        Err(Failure::Reported) => ExitCode::FAILURE,
    }
}

/// Why a run failed, which decides its exit code (see [`run`] and `--help`).
enum Failure {
    /// Bad flags or payloads: nothing was sent.
    Usage(String),
    /// The network said no.
    Net(Problem),
    /// The network said no, and the problem was already printed.
    Reported,
}

/// The messages in command-line order (--send and --hex interleaved as given), compiled as
/// templates: `${seq}` counts the messages of the run from 1, `${crc16-modbus}` appends its
/// checksum, … (`codec::template`).
fn templates(
    send: &[String],
    hex: &[String],
    encoding: Encoding,
    m: Option<&ArgMatches>,
) -> Result<Vec<Template>, Failure> {
    let idx = |id: &str| -> Vec<usize> { m.and_then(|m| m.indices_of(id)).map(|i| i.collect()).unwrap_or_default() };
    let (si, hi) = (idx("send"), idx("hex"));
    let compile = |flag: &str, src: &str, mode| {
        template::compile(src, mode, encoding, false)
            .map_err(|e| Failure::Usage(format!("{flag} {src:?}: {}", i18n::template_error(Lang::En, &e))))
    };
    let mut all: Vec<(usize, Result<Template, Failure>)> = Vec::new();
    for (i, s) in send.iter().enumerate() {
        all.push((si.get(i).copied().unwrap_or(i), compile("--send", s, codec::InputMode::Text)));
    }
    for (i, h) in hex.iter().enumerate() {
        all.push((hi.get(i).copied().unwrap_or(usize::MAX / 2 + i), compile("--hex", h, codec::InputMode::Hex)));
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// Message `i` (0-based) of a run: its template rendered as message number `i + 1`.
fn render(templates: &[Template], i: usize) -> Result<Vec<u8>, Failure> {
    let Some(t) = templates.get(i) else { return Ok(Vec::new()) };
    t.bytes(i as u64 + 1).map_err(|e| Failure::Usage(i18n::template_error(Lang::En, &e)))
}

/// Every message of a run, rendered now (for the checks of size, and for sends that are not
/// paced).
fn payloads(templates: &[Template]) -> Result<Vec<Vec<u8>>, Failure> {
    (0..templates.len()).map(|i| render(templates, i)).collect()
}

fn deadline(duration: Option<f64>) -> Result<Option<Instant>, Failure> {
    match duration {
        None => Ok(None),
        Some(d) if d.is_finite() && (0.0..1e9).contains(&d) => Ok(Some(Instant::now() + Duration::from_secs_f64(d))),
        Some(d) => Err(Failure::Usage(format!("--duration {d} is not a number of seconds"))),
    }
}

/// The `--rule` arguments, one rule each, checked.
fn rules_of(rules: &[String]) -> Result<std::sync::Arc<engine::rules::Rules>, Failure> {
    engine::rules::Rules::parse(&rules.join("\n"))
        .map(std::sync::Arc::new)
        .map_err(|e| Failure::Usage(format!("--rule: {}", i18n::rule_error(Lang::En, &e))))
}

#[cfg(test)]
mod tests {
    use super::udp::max_datagram;
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
        has(format!("message template    {} MiB rendered, ${{file:…}} up to {} MiB", template::MAX_OUTPUT >> 20, template::MAX_FILE >> 20));
        has(format!("${{hex:RANDOM N}} up to {} bytes", template::MAX_RANDOM));
        assert_eq!(max_datagram("127.0.0.1:1".parse().unwrap()), 65_507);
        assert_eq!(max_datagram("[::1]:1".parse().unwrap()), 65_527);
    }

    /// `socklab FILE`, `socklab open FILE` and `socklab read FILE` beside the subcommands, whose
    /// parsing stays as it was.
    #[test]
    fn files_open_and_read_parse_beside_the_subcommands() {
        let parse = |args: &[&str]| Cli::try_parse_from([&["socklab"], args].concat());
        let c = parse(&["cap.pcapng"]).unwrap();
        assert!(c.command.is_none());
        assert_eq!(c.files, [PathBuf::from("cap.pcapng")]);
        let c = parse(&["--lang", "zh-CN", "a.pcap", "b.jsonl"]).unwrap();
        assert_eq!(c.files.len(), 2);
        assert!(matches!(c.lang, Some(Lang::Zh)));
        let c = parse(&["open", "a.pcap", "--lang", "en"]).unwrap();
        assert!(matches!(&c.command, Some(Cmd::Open(o)) if o.files == [PathBuf::from("a.pcap")] && o.lang == Some(Lang::En)));
        assert!(parse(&["open"]).is_err(), "open needs a file");
        let c = parse(&["udp", "--bind", "127.0.0.1:0", "--send", "x"]).unwrap();
        assert!(matches!(&c.command, Some(Cmd::Udp(u)) if u.bind == "127.0.0.1:0" && u.send == ["x"]));
        assert!(c.files.is_empty());
        let c = parse(&["tcp-server", "--bind", "127.0.0.1:0"]).unwrap();
        assert!(matches!(c.command, Some(Cmd::TcpServer(_))));
        let c = parse(&["read", "x.pcap", "--filter", "GET", "--regex", "--count", "3", "--json"]).unwrap();
        let Some(Cmd::Read(r)) = c.command else { panic!("read") };
        assert_eq!((r.file, r.filter.as_deref(), r.regex, r.count, r.common.json), (PathBuf::from("x.pcap"), Some("GET"), true, Some(3), true));
        let c = parse(&["read", "x.pcap", "--summary", "--encoding", "gbk"]).unwrap();
        assert!(matches!(c.command, Some(Cmd::Read(r)) if r.summary && r.common.encoding == Encoding::Gbk));
        assert!(parse(&["read", "x.pcap", "--regex"]).is_err(), "--regex needs --filter");
        assert!(parse(&["read", "x.pcap", "--count", "0"]).is_err());
        assert!(parse(&["read", "x.pcap", "--summary", "--log-file", "o.jsonl"]).is_err());
        assert!(parse(&["read"]).is_err(), "read needs a file");
    }
}
