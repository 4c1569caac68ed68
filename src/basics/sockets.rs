//! A `netstat -an` / `ss -tuanp` style listing of this machine's TCP and UDP sockets.
//!
//! On Linux the kernel publishes its socket tables as text in `/proc/net/tcp`, `tcp6`, `udp` and
//! `udp6`, one socket per line:
//!
//! ```text
//!   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//!    0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 95528 …
//! ```
//!
//! Addresses are hex words printed in the machine's byte order (`0100007F` is `127.0.0.1` on a
//! little-endian PC; IPv6 is four such words), ports are plain hex (`1F90` = 8080), `st` is the
//! kernel's TCP state number (`0A` = LISTEN). [`parse_proc_net`] turns that text into
//! [`SocketEntry`]s; [`list`] reads the four tables and, where `/proc/[pid]/fd` is readable,
//! finds the process owning each socket.
//!
//! Other systems have no `/proc/net`: there [`list`] returns an [`io::ErrorKind::Unsupported`]
//! error.

use std::collections::{HashMap, HashSet};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use serde::Serialize;

use super::addr::Family;
pub use crate::vocab::Proto;

/// The state of a socket, as the kernel numbers TCP states (`include/net/tcp_states.h`).
///
/// UDP has no connection states: the kernel shows an unconnected UDP socket as `CLOSE` (7) and
/// one that called `connect()` as `ESTABLISHED` (1). For UDP, 7 becomes [`Unconnected`], like
/// `ss` shows `UNCONN`.
///
/// [`Unconnected`]: TcpState::Unconnected
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TcpState {
    Established,
    SynSent,
    SynRecv,
    FinWait1,
    FinWait2,
    TimeWait,
    Close,
    CloseWait,
    LastAck,
    Listen,
    Closing,
    NewSynRecv,
    /// UDP socket without a fixed peer (kernel state `CLOSE`).
    Unconnected,
    /// A state number this code does not know.
    Unknown(u8),
}

impl TcpState {
    /// The state for the kernel's number `code` on a socket of protocol `proto`.
    pub fn from_code(code: u8, proto: Proto) -> TcpState {
        match (code, proto) {
            (7, Proto::Udp) => TcpState::Unconnected,
            (1, _) => TcpState::Established,
            (2, _) => TcpState::SynSent,
            (3, _) => TcpState::SynRecv,
            (4, _) => TcpState::FinWait1,
            (5, _) => TcpState::FinWait2,
            (6, _) => TcpState::TimeWait,
            (7, _) => TcpState::Close,
            (8, _) => TcpState::CloseWait,
            (9, _) => TcpState::LastAck,
            (10, _) => TcpState::Listen,
            (11, _) => TcpState::Closing,
            (12, _) => TcpState::NewSynRecv,
            (c, _) => TcpState::Unknown(c),
        }
    }

    #[cfg(any(test, feature = "test-support"))]
    /// The kernel's number for the state (`Unconnected` is 7, `CLOSE`).
    pub fn code(self) -> u8 {
        match self {
            TcpState::Established => 1,
            TcpState::SynSent => 2,
            TcpState::SynRecv => 3,
            TcpState::FinWait1 => 4,
            TcpState::FinWait2 => 5,
            TcpState::TimeWait => 6,
            TcpState::Close | TcpState::Unconnected => 7,
            TcpState::CloseWait => 8,
            TcpState::LastAck => 9,
            TcpState::Listen => 10,
            TcpState::Closing => 11,
            TcpState::NewSynRecv => 12,
            TcpState::Unknown(c) => c,
        }
    }

    /// The name `netstat` prints (`"ESTABLISHED"`, `"TIME_WAIT"`, …; `"UNCONN"` as in `ss` for
    /// an unconnected UDP socket).
    pub fn name(self) -> &'static str {
        match self {
            TcpState::Established => "ESTABLISHED",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynRecv => "SYN_RECV",
            TcpState::FinWait1 => "FIN_WAIT1",
            TcpState::FinWait2 => "FIN_WAIT2",
            TcpState::TimeWait => "TIME_WAIT",
            TcpState::Close => "CLOSE",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::LastAck => "LAST_ACK",
            TcpState::Listen => "LISTEN",
            TcpState::Closing => "CLOSING",
            TcpState::NewSynRecv => "NEW_SYN_RECV",
            TcpState::Unconnected => "UNCONN",
            TcpState::Unknown(_) => "UNKNOWN",
        }
    }
}

/// One socket, one line of `netstat -an`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SocketEntry {
    pub proto: Proto,
    /// Which table the socket is in: `tcp`/`udp` (IPv4) or `tcp6`/`udp6` (IPv6, which also holds
    /// dual-stack sockets talking to IPv4 peers as `::ffff:a.b.c.d`).
    pub family: Family,
    pub local: SocketAddr,
    /// The peer; `0.0.0.0:0` or `[::]:0` when there is none (listening, unconnected UDP).
    pub remote: SocketAddr,
    pub state: TcpState,
    /// Bytes queued for sending (TCP: not yet acknowledged by the peer).
    pub tx_queue: u32,
    /// Bytes received and not yet read by the program (TCP LISTEN: connections waiting for
    /// `accept`).
    pub rx_queue: u32,
    /// User id of the owner.
    pub uid: u32,
    /// Inode number of the socket; 0 for sockets no program holds any more (TIME_WAIT).
    pub inode: u64,
    /// The process holding the socket, when it could be found (filled in by [`list`] or
    /// [`attach_processes`]; other users' processes are usually hidden unless run as root).
    pub pid: Option<u32>,
    /// That process's command name (`/proc/[pid]/comm`).
    pub command: Option<String>,
    /// Whether this very process (`std::process::id()`) holds the socket.
    pub own: bool,
}

impl SocketEntry {
    #[cfg(any(test, feature = "test-support"))]
    /// Whether this process holds the socket.
    pub fn is_own(&self) -> bool {
        self.own
    }

    #[cfg(any(test, feature = "test-support"))]
    /// Whether the socket has a peer (remote port ≠ 0).
    pub fn has_peer(&self) -> bool {
        self.remote.port() != 0
    }
}

/// Parses one hex address as the kernel prints it: 8 hex digits for IPv4, 32 for IPv6, each
/// group of 8 being a 32-bit word in this machine's byte order.
pub fn parse_hex_ip(text: &str) -> Option<IpAddr> {
    if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let word = |i: usize| -> Option<[u8; 4]> {
        let digits = text.get(i * 8..i * 8 + 8)?;
        u32::from_str_radix(digits, 16).ok().map(u32::to_ne_bytes)
    };
    match text.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(0)?))),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(i)?);
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

/// Parses `ADDR:PORT` as the kernel prints it (`0100007F:1F90` → `127.0.0.1:8080`).
pub fn parse_hex_socket_addr(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.split_once(':')?;
    if port.is_empty() || port.len() > 4 || !port.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let port = u16::from_str_radix(port, 16).ok()?;
    Some(SocketAddr::new(parse_hex_ip(ip)?, port))
}

fn hex_u32(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
}

/// Parses one line of a `/proc/net/{tcp,tcp6,udp,udp6}` table; `None` for the header line or
/// anything malformed.
pub fn parse_proc_net_line(line: &str, proto: Proto) -> Option<SocketEntry> {
    let mut f = line.split_whitespace();
    let slot = f.next()?;
    if !slot.ends_with(':') {
        return None; // The header ("sl local_address …").
    }
    let local = parse_hex_socket_addr(f.next()?)?;
    let remote = parse_hex_socket_addr(f.next()?)?;
    let st = f.next()?;
    if st.len() > 2 {
        return None;
    }
    let state = TcpState::from_code(u8::try_from(hex_u32(st)?).ok()?, proto);
    let (tx, rx) = f.next()?.split_once(':')?;
    let (tx_queue, rx_queue) = (hex_u32(tx)?, hex_u32(rx)?);
    let _timer = f.next()?;
    let _retransmits = f.next()?;
    let uid = f.next()?.parse().ok()?;
    let _timeout = f.next()?;
    let inode = f.next()?.parse().ok()?;
    let family = match (local.ip(), remote.ip()) {
        (IpAddr::V4(_), IpAddr::V4(_)) => Family::V4,
        (IpAddr::V6(_), IpAddr::V6(_)) => Family::V6,
        _ => return None,
    };
    Some(SocketEntry {
        proto,
        family,
        local,
        remote,
        state,
        tx_queue,
        rx_queue,
        uid,
        inode,
        pid: None,
        command: None,
        own: false,
    })
}

/// Parses the text of a `/proc/net/{tcp,tcp6,udp,udp6}` table (pure; the header and malformed
/// lines are skipped). `proto` says which table it is; the family comes from the address width.
pub fn parse_proc_net(text: &str, proto: Proto) -> Vec<SocketEntry> {
    text.lines().filter_map(|line| parse_proc_net_line(line, proto)).collect()
}

/// The `/proc` file holding a table.
pub fn proc_net_path(proto: Proto, family: Family) -> &'static str {
    match (proto, family) {
        (Proto::Tcp, Family::V4) => "/proc/net/tcp",
        (Proto::Tcp, Family::V6) => "/proc/net/tcp6",
        (Proto::Udp, Family::V4) => "/proc/net/udp",
        (Proto::Udp, Family::V6) => "/proc/net/udp6",
    }
}

/// Reads and parses one table, without owners. Linux only (`Unsupported` elsewhere).
pub fn read_table(proto: Proto, family: Family) -> io::Result<Vec<SocketEntry>> {
    if !cfg!(target_os = "linux") {
        return Err(io::Error::new(io::ErrorKind::Unsupported, "socket tables need Linux's /proc/net"));
    }
    let text = std::fs::read_to_string(proc_net_path(proto, family))?;
    Ok(parse_proc_net(&text, proto))
}

/// Reads the four tables (TCP, TCP6, UDP, UDP6), without owners. A missing table (no IPv6) is
/// skipped; the call fails only if no table could be read.
pub fn read_tables() -> io::Result<Vec<SocketEntry>> {
    let mut all = Vec::new();
    let mut first_error = None;
    let mut read_any = false;
    for (proto, family) in
        [(Proto::Tcp, Family::V4), (Proto::Tcp, Family::V6), (Proto::Udp, Family::V4), (Proto::Udp, Family::V6)]
    {
        match read_table(proto, family) {
            Ok(entries) => {
                read_any = true;
                all.extend(entries);
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if !read_any => Err(e),
        _ => Ok(all),
    }
}

/// Lists this machine's TCP and UDP sockets with their owning processes where visible, like
/// `netstat -anp`. Linux only: elsewhere an [`io::ErrorKind::Unsupported`] error.
pub fn list() -> io::Result<Vec<SocketEntry>> {
    let mut entries = read_tables()?;
    attach_processes(&mut entries);
    Ok(entries)
}

/// Most processes [`attach_processes`] looks at.
pub const MAX_PROCESSES: usize = 16_384;
/// Most file descriptors [`attach_processes`] looks at, over all processes.
pub const MAX_FDS: usize = 1_000_000;

/// The inode in a `/proc/[pid]/fd/*` link target `socket:[12345]`.
pub fn socket_inode(link_target: &str) -> Option<u64> {
    link_target.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
}

/// The process's command name from `/proc/[pid]/comm`.
fn command_of(pid: &str) -> Option<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(comm.trim_end_matches('\n').to_string())
}

/// Scans `/proc/[pid]/fd` of one process for socket inodes in `wanted`, removing and returning
/// those found. Unreadable directories and links are skipped. Counts links read in `budget`.
fn scan_fds(pid: &str, wanted: &mut HashSet<u64>, budget: &mut usize) -> Vec<u64> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return found;
    };
    for fd in dir.flatten() {
        if *budget == 0 || wanted.is_empty() {
            break;
        }
        *budget -= 1;
        let Ok(target) = std::fs::read_link(fd.path()) else { continue };
        if let Some(inode) = target.to_str().and_then(socket_inode)
            && wanted.remove(&inode)
        {
            found.push(inode);
        }
    }
    found
}

/// Fills in `pid`, `command` and `own` of the entries by matching socket inodes with the
/// `socket:[inode]` links in `/proc/[pid]/fd/`. This process is looked at first (so a socket
/// shared with a child shows as its own); then other processes, at most [`MAX_PROCESSES`] of them
/// and [`MAX_FDS`] links in all, stopping once every socket is placed. What is not readable is
/// skipped. Does nothing off Linux.
pub fn attach_processes(entries: &mut [SocketEntry]) {
    if !cfg!(target_os = "linux") {
        return;
    }
    let mut wanted: HashSet<u64> = entries.iter().map(|e| e.inode).filter(|&i| i != 0).collect();
    let mut owners: HashMap<u64, u32> = HashMap::new();
    let mut commands: HashMap<u32, Option<String>> = HashMap::new();
    let mut budget = MAX_FDS;
    let me = std::process::id();

    let mine = scan_fds("self", &mut wanted, &mut budget);
    if !mine.is_empty() {
        commands.insert(me, command_of("self"));
    }
    owners.extend(mine.into_iter().map(|i| (i, me)));

    if let Ok(proc_dir) = std::fs::read_dir("/proc") {
        let pids = proc_dir
            .flatten()
            .filter_map(|d| d.file_name().to_str().and_then(|s| s.parse::<u32>().ok()))
            .filter(|&pid| pid != me)
            .take(MAX_PROCESSES);
        for pid in pids {
            if wanted.is_empty() || budget == 0 {
                break;
            }
            let name = pid.to_string();
            let found = scan_fds(&name, &mut wanted, &mut budget);
            if !found.is_empty() {
                commands.insert(pid, command_of(&name));
            }
            owners.extend(found.into_iter().map(|i| (i, pid)));
        }
    }

    for e in entries.iter_mut() {
        if let Some(&pid) = owners.get(&e.inode) {
            e.pid = Some(pid);
            e.command = commands.get(&pid).cloned().flatten();
            e.own = pid == me;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn states() {
        assert_eq!(TcpState::from_code(0x0A, Proto::Tcp), TcpState::Listen);
        assert_eq!(TcpState::from_code(7, Proto::Tcp), TcpState::Close);
        assert_eq!(TcpState::from_code(7, Proto::Udp), TcpState::Unconnected);
        assert_eq!(TcpState::from_code(1, Proto::Udp), TcpState::Established);
        assert_eq!(TcpState::from_code(99, Proto::Tcp), TcpState::Unknown(99));
        for code in 0..=255u8 {
            for proto in [Proto::Tcp, Proto::Udp] {
                let s = TcpState::from_code(code, proto);
                assert_eq!(s.code(), code);
                assert!(!s.name().is_empty());
            }
        }
        assert_eq!(TcpState::TimeWait.name(), "TIME_WAIT");
        assert_eq!(TcpState::NewSynRecv.name(), "NEW_SYN_RECV");
    }

    #[test]
    fn hex_addresses() {
        assert_eq!(parse_hex_socket_addr("00000000:0000"), Some(sa("0.0.0.0:0")));
        assert_eq!(parse_hex_socket_addr("0100007F:1F90:"), None);
        assert_eq!(parse_hex_socket_addr("0100007F:"), None);
        assert_eq!(parse_hex_socket_addr("0100007F:12345"), None);
        assert_eq!(parse_hex_socket_addr("0100007:1F90"), None);
        assert_eq!(parse_hex_socket_addr("+100007F:1F90"), None);
        assert_eq!(parse_hex_socket_addr("0100007F:+F90"), None);
        assert_eq!(parse_hex_ip("é1234567"), None);
        assert_eq!(socket_inode("socket:[95528]"), Some(95528));
        assert_eq!(socket_inode("pipe:[95528]"), None);
        assert_eq!(socket_inode("socket:[x]"), None);
        assert_eq!(socket_inode("/dev/null"), None);
    }

    // Lines copied from this machine's /proc/net files (x86_64, little-endian) while test sockets
    // were open: a listener on 127.0.0.1:8080, a dual-stack listener on [::]:5432 with an IPv4
    // client connected through it, a UDP socket on [::1]:5353 and a connected UDP socket.
    const TCP: &str = "\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 95528 1 00000000a6a77a15 100 0 0 10 0
   1: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1609 1 00000000ac1a3f1e 100 0 0 10 0
  66: 0100007F:270F 0100007F:8274 05 00000000:00000000 03:0000170C 00000000     0        0 0 3 00000000dfe8c184
  80: 0100007F:8274 0100007F:270F 08 00000000:00000000 00:00000000 00000000     0        0 94630 1 000000004f1100e9 20 4 28 10 -1
  82: 0100007F:89D6 0100007F:1F90 06 00000000:00000000 03:0000175B 00000000     0        0 0 3 00000000e189ca97
";

    const TCP6: &str = "\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:20FB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 94691 1 000000007baca495 100 0 0 10 0
   1: 00000000000000000000000000000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 94686 1 00000000daeeb81e 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:E3F8 0000000000000000FFFF00000100007F:1538 01 00000000:00000000 00:00000000 00000000     0        0 94687 2 000000009c30eded 20 0 0 10 -1
   3: 000080FE0000000000000100B80D0000:0016 000080FE00000000FF0C5A02E5C0A8FE:D431 01 00000024:00000000 01:00000014 00000000  1000        0 123456 4 0000000000000000 20 4 31 10 -1
";

    const UDP: &str = "\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 1089: 0100007F:1770 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 94690 2 000000009c08abf5 0
 1090: 3500007F:0035 00000000:0000 07 00000000:00000A00 00:00000000 00000000   101        0 2048 2 0000000000000000 0
";

    const UDP6: &str = "\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  442: 00000000000000000000000001000000:14E9 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 94689 2 00000000c176c3c3 0
";

    #[cfg(target_endian = "little")]
    #[test]
    fn parses_ipv4_tcp_sample() {
        let v = parse_proc_net(TCP, Proto::Tcp);
        assert_eq!(v.len(), 5);
        let l = &v[0];
        assert_eq!((l.local, l.remote, l.state), (sa("127.0.0.1:8080"), sa("0.0.0.0:0"), TcpState::Listen));
        assert_eq!((l.family, l.uid, l.inode, l.tx_queue, l.rx_queue), (Family::V4, 0, 95528, 0, 0));
        assert!(!l.has_peer() && l.pid.is_none() && !l.own);
        assert_eq!(v[1].local, sa("0.0.0.0:2024"));
        assert_eq!(
            (v[2].local, v[2].remote, v[2].state),
            (sa("127.0.0.1:9999"), sa("127.0.0.1:33396"), TcpState::FinWait2)
        );
        assert_eq!(v[3].state, TcpState::CloseWait);
        // A TIME_WAIT socket no program holds: inode 0.
        let t = &v[4];
        assert_eq!(
            (t.local, t.remote, t.state, t.inode),
            (sa("127.0.0.1:35286"), sa("127.0.0.1:8080"), TcpState::TimeWait, 0)
        );
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn parses_ipv6_tcp_sample() {
        let v = parse_proc_net(TCP6, Proto::Tcp);
        assert_eq!(v.len(), 4);
        assert_eq!((v[0].local, v[0].state, v[0].family), (sa("[::1]:8443"), TcpState::Listen, Family::V6));
        assert_eq!(v[1].local, sa("[::]:5432"));
        // An IPv4 client connected to the dual-stack listener: IPv4-mapped addresses.
        assert_eq!((v[2].local, v[2].remote), (sa("[::ffff:127.0.0.1]:58360"), sa("[::ffff:127.0.0.1]:5432")));
        assert_eq!(v[2].state, TcpState::Established);
        // A made-up ssh session between link-local addresses, with queued bytes and a uid.
        let s = &v[3];
        assert_eq!(s.local, sa("[fe80::1:0:0:db8]:22"));
        assert_eq!(s.remote, sa("[fe80::25a:cff:fea8:c0e5]:54321"));
        assert_eq!((s.tx_queue, s.rx_queue, s.uid, s.inode), (0x24, 0, 1000, 123456));
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn parses_udp_samples() {
        let v = parse_proc_net(UDP, Proto::Udp);
        assert_eq!(v.len(), 2);
        assert_eq!(
            (v[0].local, v[0].remote, v[0].state),
            (sa("127.0.0.1:6000"), sa("127.0.0.1:53"), TcpState::Established)
        );
        assert_eq!(
            (v[1].local, v[1].state, v[1].rx_queue, v[1].uid),
            (sa("127.0.0.53:53"), TcpState::Unconnected, 0xA00, 101)
        );
        let v = parse_proc_net(UDP6, Proto::Udp);
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].local, v[0].remote, v[0].state), (sa("[::1]:5353"), sa("[::]:0"), TcpState::Unconnected));
        assert_eq!(v[0].proto, Proto::Udp);
    }

    #[test]
    fn skips_malformed_lines() {
        let text = "garbage\n\n   0: 0100007F:1F90\n   1: 0100007F:1F90 00000000:0000 XYZ 0:0 0:0 0 0 0 1\n   2: 0100007F:1F90 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 1\n";
        assert!(parse_proc_net(text, Proto::Tcp).is_empty());
        assert!(parse_proc_net("", Proto::Udp).is_empty());
    }

    #[test]
    fn serializes() {
        let e = parse_proc_net(UDP6, Proto::Udp).remove(0);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["proto"], "udp");
        assert_eq!(json["state"], "unconnected");
        assert_eq!(json["pid"], serde_json::Value::Null);
    }

    /// Reads the live tables while a listener is open and finds it, with this process as owner.
    #[cfg(target_os = "linux")]
    #[test]
    fn finds_own_listener_live() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let text = std::fs::read_to_string("/proc/net/tcp").unwrap();
        let parsed = parse_proc_net(&text, Proto::Tcp);
        assert!(parsed.iter().any(|e| e.local == addr && e.state == TcpState::Listen), "{addr} not in /proc/net/tcp");
        let all = list().unwrap();
        let e = all.iter().find(|e| e.proto == Proto::Tcp && e.local == addr).unwrap();
        assert_eq!(e.pid, Some(std::process::id()));
        assert!(e.is_own());
        assert!(e.command.as_deref().is_some_and(|c| !c.is_empty()));
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(s in "\\PC*") {
            let _ = parse_proc_net(&s, Proto::Tcp);
            let _ = parse_proc_net(&s, Proto::Udp);
            let _ = socket_inode(&s);
        }

        #[test]
        fn parser_never_panics_on_near_lines(s in "[0-9A-F: \\n]{0,200}") {
            let _ = parse_proc_net(&s, Proto::Tcp);
        }
    }
}
