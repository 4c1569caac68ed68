//! Captures made by real tools, read back by SockLab: `dumpcap -i lo` (pcapng), `tshark -F pcapng`,
//! `tcpdump -i lo` (classic pcap), `tcpdump -i any` (Linux cooked v2), IPv6 on `::1`, and 802.1Q
//! VLAN tags on a tap device in a private network namespace the test creates.
//!
//! Each test runs a SockLab server (the engine, in this process) while the tool captures, then
//! imports the capture: the imported rows must carry the same bytes, in the same directions, as
//! the server's own live log. A tool that is not installed (or cannot capture here) skips its
//! test with the reason; `.ci/run` installs tshark (dumpcap) and tcpdump.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::bin::have;
use common::ports::free_port;
use common::{Events, skip};
use socklab::engine::tcp_server::TcpServerConfig;
use socklab::engine::udp::UdpConfig;
use socklab::engine::{self, CloseReason, Event, EventKind, Proto, ReplyMode};
use socklab::log::import::{self, Imported, SkipKind};

/// A capture tool running in the background until [`Capture::stop`].
struct Capture {
    child: Child,
    path: PathBuf,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Capture {
    /// Starts `cmd` (which writes to `path`) and waits until its stderr shows `ready`: the
    /// capture is then active. `None` (with the reason said) if the tool cannot capture here.
    fn start(mut cmd: Command, path: &Path, ready: &str, what: &str) -> Option<Capture> {
        let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let err = child.stderr.take().unwrap();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = crossbeam_channel::bounded(1);
        let (seen, ready) = (stderr.clone(), ready.to_string());
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let is_ready = line.contains(&ready);
                seen.lock().unwrap().push_str(&(line + "\n"));
                if is_ready {
                    let _ = tx.try_send(());
                }
            }
        });
        if rx.recv_timeout(Duration::from_secs(15)).is_err() {
            let _ = child.kill();
            let _ = child.wait();
            skip(format!("{what}: the tool did not start capturing: {}", stderr.lock().unwrap().trim()));
            return None;
        }
        // The tool says so once the capture is open; a moment more for its first buffer.
        std::thread::sleep(Duration::from_millis(300));
        Some(Capture { child, path: path.to_path_buf(), stderr })
    }

    /// Stops the tool as Ctrl-C would (so it writes out what it holds); returns the file and
    /// how many packets the tool says the kernel dropped.
    fn stop(mut self) -> (PathBuf, u64) {
        // Let the last packets reach the tool before it stops: libpcap on Linux hands packets
        // over in blocks, at the latest after its buffer timeout (1 s by default); a block not
        // yet handed over when the tool stops is lost.
        std::thread::sleep(Duration::from_millis(1500));
        // SAFETY: kill has no memory preconditions; the pid is our own child's.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let err = self.stderr.lock().unwrap().clone();
                assert!(status.success() || status.signal_ok(), "{status}: {err}");
                break;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the capture tool did not stop: {}", self.stderr.lock().unwrap());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // The stderr reader ends with the tool: give it a moment to take the last lines.
        std::thread::sleep(Duration::from_millis(100));
        let dropped = kernel_drops(&self.stderr.lock().unwrap());
        (self.path, dropped)
    }
}

/// Packets a capture tool says the kernel dropped: tcpdump's "N packets dropped by kernel",
/// dumpcap's "Packets received/dropped on interface '…': R/D", tshark's "(N packets dropped)".
fn kernel_drops(stderr: &str) -> u64 {
    let number = |s: &str| s.trim().trim_start_matches('(').parse::<u64>().ok();
    stderr
        .lines()
        .filter_map(|l| {
            if let Some(n) = l.strip_suffix(" packets dropped by kernel") {
                number(n)
            } else if l.starts_with("Packets received/dropped") {
                let counts = l.rsplit_once("': ")?.1.split_whitespace().next()?;
                number(counts.split_once('/')?.1)
            } else {
                let at = l.find(" packets dropped)")?;
                number(l[..at].rsplit(' ').next()?)
            }
        })
        .sum()
}

trait SignalOk {
    /// Ended by the SIGINT we sent.
    fn signal_ok(&self) -> bool;
}

impl SignalOk for std::process::ExitStatus {
    fn signal_ok(&self) -> bool {
        use std::os::unix::process::ExitStatusExt;
        self.signal() == Some(libc::SIGINT)
    }
}

/// The payload rows of a server's log, as (received?, bytes).
fn data_rows<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<(bool, Vec<u8>)> {
    events
        .into_iter()
        .filter_map(|e| match &e.kind {
            EventKind::Rx { data, .. } => Some((true, data.clone())),
            EventKind::Tx { data } => Some((false, data.clone())),
            _ => None,
        })
        .collect()
}

/// The imported rows whose local side is `server`, in file order.
fn rows_of(imported: &Imported, proto: Proto, server: SocketAddr) -> Vec<&Event> {
    imported.events.iter().filter(|e| e.proto == proto && e.local == Some(server)).collect()
}

/// A UDP echo server on `bind` and a client sending three datagrams (text, binary, Chinese),
/// each answered before the next: the server's events.
fn udp_session(bind: SocketAddr) -> Vec<Event> {
    let (sink, mut ev) = Events::new();
    let cfg = UdpConfig { bind: bind.to_string(), reply: ReplyMode::Echo, ..UdpConfig::default() };
    let h = engine::udp::spawn(cfg, sink).unwrap();
    let me = ev.listening();
    let client = UdpSocket::bind(SocketAddr::new(bind.ip(), 0)).unwrap();
    client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 2048];
    for msg in [&b"hello capture"[..], &[0u8, 1, 2, 0xff, 0xfe], "你好,抓包".as_bytes()] {
        client.send_to(msg, me).unwrap();
        let (n, _) = client.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], msg);
    }
    h.request_stop();
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    ev.seen
}

/// An upper-case TCP server on `bind`; a client sends two messages (each answered before the
/// next), half-closes and reads to the end: the server's events.
fn tcp_session(bind: SocketAddr) -> Vec<Event> {
    let (sink, mut ev) = Events::new();
    let cfg = TcpServerConfig { bind: bind.to_string(), reply: ReplyMode::Upper, ..TcpServerConfig::default() };
    let h = engine::tcp_server::spawn(cfg, sink).unwrap();
    let me = ev.listening();
    let mut c = TcpStream::connect(me).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 256];
    for (msg, reply) in [("hello stream ", "HELLO STREAM "), ("second", "SECOND")] {
        c.write_all(msg.as_bytes()).unwrap();
        let mut got = Vec::new();
        while got.len() < reply.len() {
            let n = std::io::Read::read(&mut c, &mut buf).unwrap();
            assert!(n > 0, "closed early");
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, reply.as_bytes());
    }
    c.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(std::io::Read::read(&mut c, &mut buf).unwrap(), 0, "the server closes after our FIN");
    ev.wait_for("closed", |e| matches!(e.kind, EventKind::Closed { .. }));
    h.request_stop();
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    ev.seen
}

/// Checks a capture of [`udp_session`] and [`tcp_session`] against the servers' live logs.
fn check(imported: &Imported, udp: (SocketAddr, &[Event]), tcp: (SocketAddr, &[Event]), what: &str) {
    assert!(imported.fault.is_none(), "{what}: {:?}", imported.fault);
    let got = rows_of(imported, Proto::Udp, udp.0);
    let all = || {
        format!(
            "{} events, {} skipped {:?}, {:?}",
            imported.events.len(),
            imported.skipped,
            imported.skipped_kinds,
            imported.warnings
        )
    };
    assert_eq!(data_rows(got.iter().copied()), data_rows(udp.1), "{what}: UDP rows; {}", all());
    let got = rows_of(imported, Proto::Tcp, tcp.0);
    assert_eq!(data_rows(got.iter().copied()), data_rows(tcp.1), "{what}: TCP rows");
    assert!(matches!(got.first().map(|e| &e.kind), Some(EventKind::Connected { .. })), "{what}: {got:#?}");
    assert_eq!(
        got.last().map(|e| &e.kind),
        Some(&EventKind::Closed { reason: CloseReason::PeerClosed }),
        "{what}: the client's FIN came first"
    );
    assert!(!got.iter().any(|e| matches!(e.kind, EventKind::Gap { .. })), "{what}: nothing is missing");
}

/// Captures both sessions on loopback with `tool` and checks the import. A capture in which
/// the tool says the kernel dropped packets proves nothing about the import: it is made again
/// (at most 3 times).
fn capture_sessions(tool: &str, args: &[&str], ready: &str, file: &str, v6: bool) {
    let what = format!("{tool} {}", args.join(" "));
    if !have(tool, &what) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    let ip: std::net::IpAddr = if v6 { "::1".parse().unwrap() } else { "127.0.0.1".parse().unwrap() };
    for attempt in 1..=3 {
        let (up, tp) = (free_port(), free_port());
        let filter = format!("port {up} or port {tp}");
        let mut cmd = Command::new(tool);
        cmd.args(args).arg("-w").arg(&path);
        if tool == "tcpdump" {
            // tcpdump takes the filter as its last words, and a bigger buffer than its 2 MiB
            // default, which drops packets on `any` here.
            cmd.args(["-B", "8192", &filter]);
        } else {
            cmd.args(["-f", &filter]);
        }
        let Some(cap) = Capture::start(cmd, &path, ready, &what) else { return };
        let udp = udp_session(SocketAddr::new(ip, up));
        let tcp = tcp_session(SocketAddr::new(ip, tp));
        let (path, dropped) = cap.stop();
        if dropped > 0 {
            eprintln!("{what}: attempt {attempt}: the kernel dropped {dropped} packets of the capture; again");
            continue;
        }
        let imported = import::read_file(&path).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        check(&imported, (SocketAddr::new(ip, up), &udp), (SocketAddr::new(ip, tp), &tcp), &what);
        return;
    }
    panic!("{what}: the kernel dropped packets in 3 captures out of 3");
}

#[test]
fn dumpcap_pcapng_on_loopback() {
    // dumpcap writes pcapng unless told otherwise.
    capture_sessions("dumpcap", &["-q", "-i", "lo"], "Capturing on", "dumpcap.pcapng", false);
}

#[test]
fn tshark_pcapng_on_loopback() {
    capture_sessions("tshark", &["-q", "-i", "lo", "-F", "pcapng"], "Capturing on", "tshark.pcapng", false);
}

#[test]
fn tcpdump_classic_pcap_on_loopback() {
    capture_sessions("tcpdump", &["-U", "--immediate-mode", "-i", "lo"], "listening on", "tcpdump.pcap", false);
}

#[test]
fn tcpdump_any_interface_is_linux_cooked_v2() {
    // On `any`, libpcap 1.10 writes LINUX_SLL2, and loopback packets appear twice (leaving and
    // arriving): the import must show each once.
    capture_sessions("tcpdump", &["-U", "--immediate-mode", "-i", "any"], "listening on", "any.pcap", false);
}

#[test]
fn ipv6_on_loopback() {
    capture_sessions("dumpcap", &["-q", "-i", "lo"], "Capturing on", "v6.pcapng", true);
}

/// Writes 802.1Q-tagged Ethernet frames carrying UDP datagrams to a tap device, as a peer on the
/// wire would send them; prints "up" once the tap exists and waits for a line before and after.
const TAP_WRITER: &str = r#"
import fcntl, os, struct, sys
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', b'sltap0', 0x0002 | 0x1000))  # TUNSETIFF, IFF_TAP | IFF_NO_PI
os.system('ip link set sltap0 up')
print('up', flush=True)
sys.stdin.readline()
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
def frame(vlan, payload):
    udp = struct.pack('!HHHH', 20001, 20002, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    eth = bytes.fromhex('020000000002020000000001') + struct.pack('!HHH', 0x8100, vlan, 0x0800)
    return eth + ip + udp
for vlan, p in ((5, b'on vlan five'), (6, b'on vlan six'), (5, b'five again')):
    os.write(fd, frame(vlan, p))
print('sent', flush=True)
sys.stdin.readline()
"#;

#[test]
fn vlan_tagged_frames_on_a_tap_in_a_private_namespace() {
    if !have("tcpdump", "VLAN capture") || !have("unshare", "VLAN capture") || !have("python3", "VLAN capture") {
        return;
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || !Path::new("/dev/net/tun").exists() {
        skip("VLAN capture: needs root and /dev/net/tun");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (writer, pcap) = (dir.path().join("tap.py"), dir.path().join("vlan.pcap"));
    std::fs::write(&writer, TAP_WRITER).unwrap();
    // Everything happens in a namespace of its own: the frames reach no other network.
    let script = format!(
        r#"set -eu
coproc W {{ python3 '{w}'; }}
read -r line <&"${{W[0]}}"; [ "$line" = up ]
tcpdump -U --immediate-mode -i sltap0 -w '{p}' 2> '{p}.err' & TD=$!
for i in $(seq 100); do grep -q 'listening on' '{p}.err' 2>/dev/null && break; sleep 0.1; done
sleep 0.3
echo go >&"${{W[1]}}"
read -r line <&"${{W[0]}}"; [ "$line" = sent ]
sleep 1.5
kill -INT $TD; wait $TD || true
echo done >&"${{W[1]}}"
wait
"#,
        w = writer.display(),
        p = pcap.display()
    );
    let out = common::bin::output_within(
        Command::new("unshare").args(["-n", "bash", "-c", &script]),
        Duration::from_secs(30),
    );
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("Operation not permitted") || err.contains("No such device") {
            skip(format!("VLAN capture: cannot make a tap here: {}", err.trim()));
            return;
        }
        panic!("{}: {err}", out.status);
    }
    let imported = import::read_file(&pcap).unwrap();
    assert!(imported.fault.is_none(), "{:?}", imported.fault);
    let udp: Vec<&[u8]> = imported
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Rx { data, .. } => Some(data.as_slice()),
            _ => None,
        })
        .collect();
    assert_eq!(udp, [&b"on vlan five"[..], b"on vlan six", b"five again"], "{imported:#?}");
    let rx = imported.events.iter().find(|e| matches!(e.kind, EventKind::Rx { .. })).unwrap();
    assert_eq!(rx.local, Some("10.0.0.2:20002".parse().unwrap()));
    assert_eq!(rx.peer, Some("10.0.0.1:20001".parse().unwrap()));
    // The kernel's own IPv6 neighbour/router solicitations on the new link are skipped and
    // counted as ICMPv6, not shown and not lost silently.
    let skipped: u64 = imported.skipped_kinds.iter().map(|(_, n)| n).sum();
    assert_eq!(skipped as usize, imported.skipped, "{:?}", imported.skipped_kinds);
    assert!(
        imported.skipped_kinds.iter().all(|(k, _)| matches!(k, SkipKind::Icmpv6 | SkipKind::Igmp)),
        "{:?}",
        imported.skipped_kinds
    );
}
