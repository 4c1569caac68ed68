//! UDP worker: one socket, bound to a local address; receives from anyone, sends to anyone.
//! The broadcast tab uses the same worker with SO_BROADCAST (see `broadcast.rs`).

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};
use mio::{Events, Interest, Poll, Token};
use socket2::{Domain, Protocol, Socket, Type};

use super::generator::{GenSpec, Pacer};
use super::problem::Op;
use super::reply::Replier;
use super::{Command, EventKind, EventSink, Problem, ReplyMode, WorkerHandle};
use crate::codec::Encoding;

const SOCKET: Token = Token(0);
/// Datagrams read per wake-up before commands get a turn (keeps Stop responsive under floods).
const READ_BATCH: usize = 4096;
/// Datagrams waiting for the kernel's send buffer before sends are refused.
const QUEUE_LIMIT: usize = 4096;
/// Bytes of those datagrams, at most (4096 full-size datagrams would be 256 MiB).
const QUEUE_BYTES: usize = 8 * 1024 * 1024;
/// Kernel drops ([`Problem::KernelDrops`]) are reported at most this often.
pub const DROPS_REPORT_INTERVAL: Duration = Duration::from_secs(1);

/// The SO_RCVBUF a UDP socket asks for unless told otherwise: 4 MiB. Linux caps the request at
/// `net.core.rmem_max` (208 KiB on a stock system) and doubles it, so the socket gets from
/// 416 KiB to 8 MiB. A receiver that logs every datagram has to ride out the moments when it is
/// not running: the system default, 208 KiB, holds about 270 small datagrams, under 3 ms at
/// 100,000 datagrams/s, and a busy machine takes the CPU away for longer than that. The memory
/// is the kernel's and is used only while datagrams wait.
pub const DEFAULT_SO_RCVBUF: usize = 4 * 1024 * 1024;

/// How to set up a UDP worker.
#[derive(Clone, Debug)]
pub struct UdpConfig {
    /// Local address, e.g. `127.0.0.1:0` (port 0: the OS picks one) or `0.0.0.0:8080`.
    pub bind: String,
    /// SO_REUSEADDR: several sockets may bind the same port (each gets broadcasts).
    pub reuse_addr: bool,
    /// SO_BROADCAST: allowed to send to broadcast addresses.
    pub broadcast: bool,
    pub reply: ReplyMode,
    /// Response rules; when there are any they answer instead of `reply`.
    pub rules: std::sync::Arc<super::rules::Rules>,
    pub encoding: Encoding,
    /// Bytes read per datagram; larger datagrams are truncated (and reported).
    pub recv_buffer: usize,
    /// Multicast options (group to join, outgoing interface, TTL, loopback).
    pub multicast: Option<Multicast>,
    /// Connected mode: `connect()` the socket to this `host:port` after binding. It then
    /// receives only from that peer, and an ICMP "port unreachable" answer to a datagram is
    /// reported as [`Problem::NobodyListening`] (an unconnected socket never hears of it: the
    /// datagram is just lost). `None` (the default): unconnected, send to anyone.
    pub connect: Option<String>,
    /// SO_RCVBUF in bytes: how much the kernel queues for this socket before it drops
    /// datagrams (Linux caps the value at `net.core.rmem_max` and doubles it). `None`: the
    /// system default (about 208 KiB on Linux). The default is [`DEFAULT_SO_RCVBUF`]. Drops are
    /// reported as [`Problem::KernelDrops`].
    pub so_rcvbuf: Option<usize>,
    /// Name of the worker thread.
    pub thread_name: String,
}

/// Multicast settings of a UDP socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Multicast {
    /// The group to join (receive), e.g. 239.255.0.1 or ff02::1234.
    pub join: Option<IpAddr>,
    /// The interface to join on and send from (IPv4 address of the interface). For a safe demo
    /// on this machine use 127.0.0.1: without it, group traffic follows the default route.
    pub interface: Option<Ipv4Addr>,
    /// For IPv6: the interface index to join on and send from (0: the system's choice); see
    /// [`interface_index`]. `lo` keeps IPv6 group traffic on this machine.
    pub interface_index: u32,
    /// How many routers a datagram may cross (IP_MULTICAST_TTL / hop limit); 1 = this network.
    pub ttl: u32,
    /// Whether our own group datagrams come back to sockets on this machine.
    pub loopback: bool,
}

impl Default for Multicast {
    fn default() -> Self {
        Multicast { join: None, interface: None, interface_index: 0, ttl: 1, loopback: true }
    }
}

impl Default for UdpConfig {
    fn default() -> Self {
        UdpConfig {
            bind: "127.0.0.1:0".into(),
            reuse_addr: false,
            broadcast: false,
            reply: ReplyMode::None,
            rules: Default::default(),
            encoding: Encoding::Utf8,
            recv_buffer: super::DEFAULT_RECV_BUFFER,
            multicast: None,
            connect: None,
            so_rcvbuf: Some(DEFAULT_SO_RCVBUF),
            thread_name: "udp".into(),
        }
    }
}

/// Starts a UDP worker. Binding happens on the worker: its result arrives as `Listening` or
/// `Error` + `Stopped`.
pub fn spawn(cfg: UdpConfig, sink: EventSink) -> Result<WorkerHandle, Problem> {
    let sink = sink.with_proto(super::Proto::Udp);
    super::spawn_worker(cfg.thread_name.clone(), sink.clone(), move |poll, cmds| run(cfg, sink, poll, cmds))
}

/// Creates a non-blocking UDP socket with the given options and binds it.
pub(crate) fn bind_socket(
    addr: SocketAddr,
    reuse_addr: bool,
    broadcast: bool,
    multicast: Option<&Multicast>,
) -> Result<std::net::UdpSocket, Problem> {
    let opt = |e: io::Error| Problem::from_io(Op::Option, Some(addr), &e);
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP)).map_err(opt)?;
    if reuse_addr {
        s.set_reuse_address(true).map_err(opt)?;
    }
    if broadcast {
        s.set_broadcast(true).map_err(opt)?;
    }
    s.set_nonblocking(true).map_err(opt)?;
    super::dual_stack(&s, addr);
    s.bind(&addr.into()).map_err(|e| Problem::from_io(Op::Bind, Some(addr), &e))?;
    if let Some(m) = multicast {
        set_multicast(&s, addr, m)?;
    }
    Ok(s.into())
}

fn set_multicast(s: &Socket, addr: SocketAddr, m: &Multicast) -> Result<(), Problem> {
    let opt = |e: io::Error| Problem::from_io(Op::Option, Some(addr), &e);
    let iface = m.interface.unwrap_or(Ipv4Addr::UNSPECIFIED);
    if addr.is_ipv4() {
        if m.interface.is_some() {
            s.set_multicast_if_v4(&iface).map_err(opt)?;
        }
        s.set_multicast_ttl_v4(m.ttl).map_err(opt)?;
        s.set_multicast_loop_v4(m.loopback).map_err(opt)?;
    } else {
        if m.interface_index != 0 {
            s.set_multicast_if_v6(m.interface_index).map_err(opt)?;
        }
        s.set_multicast_hops_v6(m.ttl).map_err(opt)?;
        s.set_multicast_loop_v6(m.loopback).map_err(opt)?;
    }
    match m.join {
        Some(IpAddr::V4(g)) if g.is_multicast() => s.join_multicast_v4(&g, &iface).map_err(opt),
        Some(IpAddr::V6(g)) if g.is_multicast() => s.join_multicast_v6(&g, m.interface_index).map_err(opt),
        Some(g) => Err(Problem::NotMulticast(g)),
        None => Ok(()),
    }
}

pub use super::interface_index;

/// SO_RCVBUF and connected mode, after binding.
fn set_up(s: &std::net::UdpSocket, cfg: &UdpConfig) -> Result<Option<SocketAddr>, Problem> {
    if let Some(bytes) = cfg.so_rcvbuf {
        match socket2::SockRef::from(s).set_recv_buffer_size(bytes) {
            Ok(()) => {}
            // The default is a wish: a system that refuses that much (macOS above
            // kern.ipc.maxsockbuf) keeps its own size. A size the user chose must work.
            Err(_) if bytes == DEFAULT_SO_RCVBUF => {}
            Err(e) => return Err(Problem::from_io(Op::Option, s.local_addr().ok(), &e)),
        }
    }
    let Some(to) = &cfg.connect else { return Ok(None) };
    let peer = super::resolve(to)?;
    s.connect(peer).map_err(|e| Problem::from_io(Op::Connect, Some(peer), &e))?;
    Ok(Some(peer))
}

fn run(cfg: UdpConfig, sink: EventSink, mut poll: Poll, cmds: Receiver<Command>) {
    let started = super::resolve(&cfg.bind)
        .and_then(|addr| bind_socket(addr, cfg.reuse_addr, cfg.broadcast, cfg.multicast.as_ref()))
        .and_then(|std_sock| {
            let connected = set_up(&std_sock, &cfg)?;
            let mut sock = mio::net::UdpSocket::from_std(std_sock);
            poll.registry()
                .register(&mut sock, SOCKET, Interest::READABLE)
                .map_err(|e| Problem::io("register", None, &e))?;
            let local = sock.local_addr().map_err(|e| Problem::io("local_addr", None, &e))?;
            Ok((sock, local, connected))
        });
    let (sock, local, connected) = match started {
        Ok(v) => v,
        Err(p) => return sink.failed_start(None, p),
    };
    let sink = sink.with_local(local);
    sink.emit(None, None, EventKind::Listening { local });
    sink.flush();

    // Each datagram's destination (its group or broadcast address) for the log and capture.
    #[cfg(target_os = "linux")]
    if let Err(e) = super::mmsg::want_destination(&sock, local.is_ipv6()) {
        sink.emit(None, None, EventKind::Error(Problem::from_io(Op::Option, Some(local), &e)));
    }
    let mut w = Worker {
        local,
        drops: Drops::new(&sock),
        connected,
        #[cfg(not(target_os = "linux"))]
        buf: vec![0u8; cfg.recv_buffer.max(1)],
        #[cfg(target_os = "linux")]
        batch: super::mmsg::Batch::new(cfg.recv_buffer),
        reply: Replier::new(cfg.reply, cfg.rules.clone()),
        encoding: cfg.encoding,
        sock,
        sink,
        queue: VecDeque::new(),
        queued_bytes: 0,
        want_write: false,
        alive: true,
        generator: None,
    };
    // The interface groups are joined on later (Join/Leave on a running socket).
    let mc = cfg.multicast.clone().unwrap_or_default();
    if let Some(g) = mc.join {
        w.sink.emit(None, None, EventKind::Membership { group: g, joined: true });
    }
    let mut events = Events::with_capacity(64);
    let mut more_to_read = false;
    while w.alive {
        let timeout = match (&w.generator, more_to_read) {
            (_, true) => Some(std::time::Duration::ZERO),
            // Blocked on a full socket buffer: the writable event wakes us (or the run's end).
            (Some(g), false) if g.blocked => Some(g.pacer.wait(Instant::now()).max(BLOCKED_WAIT)),
            (Some(g), false) => Some(g.pacer.wait(Instant::now())),
            (None, false) => None,
        };
        // Drops to report once the rate limit allows.
        let timeout = match (timeout, w.drops.wait(Instant::now())) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let Err(e) = poll.poll(&mut events, timeout) {
            if super::interrupted(&e) {
                continue;
            }
            w.alive = w.sink.emit(None, None, EventKind::Error(Problem::io("poll", None, &e)));
            break;
        }
        let mut readable = more_to_read;
        for ev in events.iter() {
            if ev.token() == SOCKET {
                // A connected socket's ICMP error (port unreachable) comes as an error event.
                readable |= ev.is_readable() || ev.is_error();
                if ev.is_writable() {
                    w.flush_queue();
                    if let Some(g) = &mut w.generator {
                        g.blocked = false;
                    }
                }
            }
        }
        // Commands first: a rule or group change sent before a datagram applies to it.
        loop {
            match cmds.try_recv() {
                Ok(Command::Stop) | Err(TryRecvError::Disconnected) => {
                    w.alive = false;
                    break;
                }
                Ok(Command::SendTo { to, data }) => match super::resolve(&to) {
                    Ok(addr) => w.send(addr, data),
                    Err(p) => w.problem(p),
                },
                Ok(Command::SetReply(r)) => w.reply.mode = r,
                Ok(Command::SetRules(r)) => w.reply.rules = r,
                Ok(Command::JoinGroup(g)) => w.membership(g, true, &mc),
                Ok(Command::LeaveGroup(g)) => w.membership(g, false, &mc),
                Ok(Command::Generate(spec)) => w.start_generator(*spec),
                Ok(Command::StopGenerate) => w.finish_generator(),
                #[cfg(feature = "test-hooks")]
                Ok(Command::InjectPanic) => super::inject_panic("UDP"),
                Ok(_) => {} // TCP-only commands do not apply to UDP.
                Err(TryRecvError::Empty) => break,
            }
        }
        if readable && w.alive {
            more_to_read = w.read_batch();
            w.drops.due = true;
        }
        w.report_drops(Instant::now());
        w.generate(Instant::now());
        w.update_interest(&poll);
        w.sink.flush();
    }
    w.finish_generator();
    // Drops held back by the intervals are reported before the end.
    w.drops.flush_pending();
    w.report_drops(Instant::now());
    let _ = poll.registry().deregister(&mut w.sock);
    w.sink.emit(None, None, EventKind::Stopped);
    w.sink.flush();
}

impl Worker {
    /// Joins or leaves `group` on the interface of `mc`, and says so in the log.
    fn membership(&mut self, group: IpAddr, join: bool, mc: &Multicast) {
        let iface = mc.interface.unwrap_or(Ipv4Addr::UNSPECIFIED);
        let r = match group {
            IpAddr::V4(g) if g.is_multicast() && join => self.sock.join_multicast_v4(&g, &iface),
            IpAddr::V4(g) if g.is_multicast() => self.sock.leave_multicast_v4(&g, &iface),
            IpAddr::V6(g) if g.is_multicast() && join => self.sock.join_multicast_v6(&g, mc.interface_index),
            IpAddr::V6(g) if g.is_multicast() => self.sock.leave_multicast_v6(&g, mc.interface_index),
            g => return self.problem(Problem::NotMulticast(g)),
        };
        match r {
            Ok(()) => self.alive &= self.sink.emit(None, None, EventKind::Membership { group, joined: join }),
            Err(e) => self.problem(Problem::from_io(Op::Option, None, &e)),
        }
    }
}

struct Worker {
    sock: mio::net::UdpSocket,
    /// The address the socket is bound to.
    local: SocketAddr,
    sink: EventSink,
    #[cfg(not(target_os = "linux"))]
    buf: Vec<u8>,
    /// Buffers for receiving many datagrams at once.
    #[cfg(target_os = "linux")]
    batch: super::mmsg::Batch,
    reply: Replier,
    encoding: Encoding,
    /// Datagrams the kernel could not take yet.
    queue: VecDeque<(SocketAddr, Vec<u8>)>,
    /// Bytes in `queue`.
    queued_bytes: usize,
    want_write: bool,
    alive: bool,
    generator: Option<Generator>,
    /// The peer of a connected socket ([`UdpConfig::connect`]).
    connected: Option<SocketAddr>,
    drops: Drops,
}

/// Watches the kernel's count of datagrams it dropped for this socket because the receive
/// buffer was full. It looks at most every [`DROPS_LOOK_INTERVAL`] while datagrams arrive (one
/// system call, not one per read), and reports growth at most once per
/// [`DROPS_REPORT_INTERVAL`].
struct Drops {
    /// The counter as last read (the kernel's is 32 bits and wraps).
    raw: u32,
    /// Drops since the socket was opened.
    total: u64,
    reported: u64,
    last_look: Option<Instant>,
    last_report: Option<Instant>,
    /// Datagrams came in since the last look, or the last look found the count growing, so it
    /// may have grown since.
    due: bool,
}

/// How often the drop counter is read, at most, while datagrams arrive.
const DROPS_LOOK_INTERVAL: Duration = Duration::from_millis(100);

impl Drops {
    fn new(sock: &mio::net::UdpSocket) -> Drops {
        Drops {
            raw: kernel_drops(sock).unwrap_or(0),
            total: 0,
            reported: 0,
            last_look: None,
            last_report: None,
            due: false,
        }
    }

    /// How long until something is to be done: a look at the counter or a held-back report
    /// (`None`: nothing to do).
    fn wait(&self, now: Instant) -> Option<Duration> {
        let after = |last: Option<Instant>, every: Duration| {
            last.map_or(Duration::ZERO, |t| (t + every).saturating_duration_since(now))
        };
        let look = self.due.then(|| after(self.last_look, DROPS_LOOK_INTERVAL));
        let report = (self.total > self.reported).then(|| after(self.last_report, DROPS_REPORT_INTERVAL));
        match (look, report) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Lets the next check look and report at once (before the worker ends).
    fn flush_pending(&mut self) {
        self.due = true;
        self.last_look = None;
        self.last_report = None;
    }

    /// The new total when it grew and may be reported now.
    fn check(&mut self, sock: &mio::net::UdpSocket, now: Instant) -> Option<u64> {
        if self.due && self.last_look.is_none_or(|t| now >= t + DROPS_LOOK_INTERVAL) {
            self.due = false;
            self.last_look = Some(now);
            if let Some(raw) = kernel_drops(sock) {
                let grew = raw != self.raw;
                self.total += u64::from(raw.wrapping_sub(self.raw));
                self.raw = raw;
                // Still growing: look again, datagrams or not. A datagram dropped for a full
                // buffer wakes nobody, so the reads alone may not bring the next look.
                self.due = grew;
            }
        }
        if self.total <= self.reported || self.last_report.is_some_and(|t| now < t + DROPS_REPORT_INTERVAL) {
            return None;
        }
        self.reported = self.total;
        self.last_report = Some(now);
        Some(self.total)
    }
}

/// The kernel's count of datagrams dropped on this socket (`sk_drops`, the `drops` column of
/// /proc/net/udp), read with getsockopt(SO_MEMINFO). `None` where unavailable.
#[cfg(all(
    target_os = "linux",
    not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "mips32r6",
        target_arch = "mips64r6",
        target_arch = "sparc",
        target_arch = "sparc64"
    ))
))]
fn kernel_drops(sock: &mio::net::UdpSocket) -> Option<u32> {
    use std::os::fd::AsRawFd;
    /// From <asm-generic/socket.h> (the libc crate lacks it for these targets).
    const SO_MEMINFO: libc::c_int = 55;
    let mut info = [0u32; 16];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: `info` is writable for `len` bytes, and the kernel writes at most `len` bytes and
    // stores the length it wrote in `len`.
    let r =
        unsafe { libc::getsockopt(sock.as_raw_fd(), libc::SOL_SOCKET, SO_MEMINFO, info.as_mut_ptr().cast(), &mut len) };
    let i = libc::SK_MEMINFO_DROPS as usize;
    (r == 0 && len as usize >= (i + 1) * 4).then(|| info[i])
}

#[cfg(not(all(
    target_os = "linux",
    not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "mips32r6",
        target_arch = "mips64r6",
        target_arch = "sparc",
        target_arch = "sparc64"
    ))
)))]
fn kernel_drops(_sock: &mio::net::UdpSocket) -> Option<u32> {
    None
}

/// Datagrams from one read: bytes, how many did not fit the buffer, sender, and the address it
/// was sent to when known (a multicast group, a broadcast address, or ours).
type Received = Vec<(Vec<u8>, usize, SocketAddr, Option<IpAddr>)>;

/// A traffic generator run in progress.
struct Generator {
    to: SocketAddr,
    data: Vec<u8>,
    pacer: Pacer,
    /// The socket buffer was full: wait for it to drain.
    blocked: bool,
}

/// How long a generator blocked on a full socket buffer waits at most between looks.
const BLOCKED_WAIT: std::time::Duration = std::time::Duration::from_millis(5);

impl Worker {
    fn problem(&mut self, p: Problem) {
        self.alive &= self.sink.emit(None, None, EventKind::Error(p));
    }

    /// An OS error while sending to or receiving from `addr`, as a problem: "connection
    /// refused" on UDP is the ICMP "port unreachable" a connected socket hears about.
    fn io_problem(&self, op: Op, addr: Option<SocketAddr>, e: &io::Error) -> Problem {
        // A connected socket's pending error is about its peer, whatever this send's address.
        match (e.kind(), self.connected.or(addr)) {
            (io::ErrorKind::ConnectionRefused, Some(a)) => Problem::NobodyListening(a),
            _ => Problem::from_io(op, addr, e),
        }
    }

    fn report_drops(&mut self, now: Instant) {
        if let Some(total) = self.drops.check(&self.sock, now) {
            self.problem(Problem::KernelDrops(total));
        }
    }

    /// Reads up to `READ_BATCH` datagrams; true if there may be more.
    fn read_batch(&mut self) -> bool {
        let mut read = 0;
        while read < READ_BATCH {
            match self.recv_some() {
                Ok(got) => {
                    read += got.len().max(1);
                    for (data, lost, peer, dst) in got {
                        self.received(data, lost, peer, dst);
                        if !self.alive {
                            return false;
                        }
                    }
                }
                Err(e) if super::would_block(&e) => return false,
                Err(e) if super::interrupted(&e) => {}
                Err(e) => {
                    // E.g. an ICMP error reported on a connected socket; report it and keep going.
                    let p = self.io_problem(Op::Recv, None, &e);
                    self.problem(p);
                    return false;
                }
            }
        }
        true
    }

    /// Receives what is waiting: several datagrams with one `recvmmsg` on Linux, one elsewhere.
    /// Each comes with the bytes that did not fit the buffer and its sender. The caller reads
    /// until `WouldBlock`: epoll is edge-triggered, so the socket is reported readable again only
    /// after its queue was read empty.
    #[cfg(target_os = "linux")]
    fn recv_some(&mut self) -> io::Result<Received> {
        let n = self.batch.recv(&self.sock)?;
        Ok((0..n)
            .filter_map(|i| self.batch.get(i))
            .filter_map(|g| Some((g.data.to_vec(), g.real.saturating_sub(g.data.len()), g.peer?, g.dst)))
            .collect())
    }

    #[cfg(not(target_os = "linux"))]
    fn recv_some(&mut self) -> io::Result<Received> {
        let (n, real_len, peer) = recv_from(&self.sock, &mut self.buf)?;
        Ok(vec![(self.buf[..n].to_vec(), real_len.saturating_sub(n), peer, None)])
    }

    /// One datagram: logged (its event's `local` is the address it was sent to: the group, the
    /// broadcast address or ours, with our port), answered by the rules or the auto-reply.
    fn received(&mut self, data: Vec<u8>, lost: usize, peer: SocketAddr, dst: Option<IpAddr>) {
        let action = self.reply.respond(&data, self.encoding, Some(peer));
        let local = match dst {
            // A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d: the destination too.
            Some(IpAddr::V4(ip)) if self.local.is_ipv6() => {
                SocketAddr::new(ip.to_ipv6_mapped().into(), self.local.port())
            }
            Some(ip) => SocketAddr::new(ip, self.local.port()),
            None => self.local,
        };
        self.alive &= self.sink.emit_local(Some(local), None, Some(peer), EventKind::Rx { data, lost });
        if let Some(p) = action.problem {
            self.problem(p);
        }
        if let Some(r) = action.reply {
            self.send(peer, r);
        }
    }

    fn send(&mut self, to: SocketAddr, data: Vec<u8>) {
        if !self.queue.is_empty() {
            if self.queue.len() >= QUEUE_LIMIT || self.queued_bytes + data.len() > QUEUE_BYTES {
                self.problem(Problem::Busy);
            } else {
                self.queued_bytes += data.len();
                self.queue.push_back((to, data));
            }
            return;
        }
        self.send_now(to, data);
    }

    /// Tries one datagram; queues it if the kernel buffer is full.
    fn send_now(&mut self, to: SocketAddr, data: Vec<u8>) -> bool {
        match self.sock.send_to(&data, to) {
            Ok(_) => {
                self.alive &= self.sink.emit(None, Some(to), EventKind::Tx { data });
                true
            }
            Err(e) if super::would_block(&e) => {
                self.queued_bytes += data.len();
                self.queue.push_front((to, data));
                false
            }
            Err(e) => {
                let p = match self.io_problem(Op::Send, Some(to), &e) {
                    Problem::TooBig { .. } => Problem::too_big(data.len(), Some(to)),
                    p => p,
                };
                self.problem(p);
                true
            }
        }
    }

    fn flush_queue(&mut self) {
        while let Some((to, data)) = self.queue.pop_front() {
            self.queued_bytes -= data.len();
            if !self.send_now(to, data) {
                return;
            }
        }
    }

    fn start_generator(&mut self, spec: GenSpec) {
        self.finish_generator();
        let to = match spec.check().and_then(|()| super::resolve(&spec.to)) {
            Ok(to) => to,
            Err(p) => return self.problem(p),
        };
        let pacer = Pacer::new(&spec, Instant::now());
        self.generator = Some(Generator { to, data: spec.data, pacer, blocked: false });
    }

    /// Ends a run (if one is going) and reports what it sent.
    fn finish_generator(&mut self) {
        if let Some(g) = self.generator.take() {
            let micros = u64::try_from(g.pacer.elapsed(Instant::now()).as_micros()).unwrap_or(u64::MAX);
            let done = EventKind::GeneratorDone { packets: g.pacer.sent, bytes: g.pacer.bytes, micros };
            self.alive &= self.sink.emit(None, Some(g.to), done);
        }
    }

    /// Sends what the generator has due now.
    fn generate(&mut self, now: Instant) {
        let Some(mut g) = self.generator.take() else { return };
        if !g.blocked && self.queue.is_empty() {
            let mut due = g.pacer.due(now);
            while due > 0 && self.alive {
                match send_repeated(&self.sock, &g.data, g.to, usize::try_from(due).unwrap_or(usize::MAX)) {
                    Ok(sent) => {
                        for _ in 0..sent {
                            g.pacer.record(g.data.len());
                            self.alive &= self.sink.emit(None, Some(g.to), EventKind::Tx { data: g.data.clone() });
                        }
                        due = due.saturating_sub(sent as u64);
                    }
                    Err(e) if super::would_block(&e) => {
                        g.blocked = true;
                        break;
                    }
                    Err(e) if super::interrupted(&e) => {}
                    Err(e) => {
                        let p = self.io_problem(Op::Send, Some(g.to), &e);
                        self.generator = Some(g);
                        self.problem(p);
                        return self.finish_generator();
                    }
                }
            }
        }
        let finished = g.pacer.finished(Instant::now());
        self.generator = Some(g);
        if finished {
            self.finish_generator();
        }
    }

    fn update_interest(&mut self, poll: &Poll) {
        let want = !self.queue.is_empty() || self.generator.as_ref().is_some_and(|g| g.blocked);
        if want != self.want_write {
            let interest = if want { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
            if let Err(e) = poll.registry().reregister(&mut self.sock, SOCKET, interest) {
                self.problem(Problem::io("register", None, &e));
            }
            self.want_write = want;
        }
    }
}

/// Sends `data` to `to` up to `n` times: with one `sendmmsg` on Linux, one `sendto` elsewhere.
#[cfg(target_os = "linux")]
fn send_repeated(sock: &mio::net::UdpSocket, data: &[u8], to: SocketAddr, n: usize) -> io::Result<usize> {
    super::mmsg::send_repeated(sock, data, to, n)
}

#[cfg(not(target_os = "linux"))]
fn send_repeated(sock: &mio::net::UdpSocket, data: &[u8], to: SocketAddr, _n: usize) -> io::Result<usize> {
    sock.send_to(data, to).map(|_| 1)
}

/// Receives one datagram: (bytes copied, the datagram's real length, sender).
#[cfg(not(target_os = "linux"))]
fn recv_from(sock: &mio::net::UdpSocket, buf: &mut [u8]) -> io::Result<(usize, usize, SocketAddr)> {
    let (n, peer) = sock.recv_from(buf)?;
    Ok((n, n, peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The receive buffer a socket got, as Linux reports it (twice the request, capped).
    fn rcvbuf(cfg: &UdpConfig) -> usize {
        let s = bind_socket("127.0.0.1:0".parse().unwrap(), false, false, None).unwrap();
        set_up(&s, cfg).unwrap();
        socket2::SockRef::from(&s).recv_buffer_size().unwrap()
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn asks_for_a_large_receive_buffer_unless_told_otherwise() {
        let sysctl = |name: &str| -> usize {
            std::fs::read_to_string(format!("/proc/sys/net/core/{name}")).unwrap().trim().parse().unwrap()
        };
        let (rmem_max, rmem_default) = (sysctl("rmem_max"), sysctl("rmem_default"));
        assert_eq!(rcvbuf(&UdpConfig::default()), 2 * DEFAULT_SO_RCVBUF.min(rmem_max), "capped, then doubled");
        assert_eq!(rcvbuf(&UdpConfig { so_rcvbuf: None, ..UdpConfig::default() }), rmem_default);
        assert_eq!(rcvbuf(&UdpConfig { so_rcvbuf: Some(8192), ..UdpConfig::default() }), 16384);
    }

    #[test]
    fn drops_are_looked_at_every_100_ms_and_reported_every_second() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let sock = mio::net::UdpSocket::from_std(rx);
        let mut d = Drops::new(&sock);
        let t0 = Instant::now();
        assert_eq!(d.wait(t0), None, "nothing arrived: nothing to do");
        d.due = true;
        assert_eq!(d.wait(t0), Some(Duration::ZERO), "the first look is at once");
        assert_eq!(d.check(&sock, t0), None, "no drops");
        d.due = true;
        assert_eq!(d.wait(t0 + Duration::from_millis(40)), Some(Duration::from_millis(60)));
        assert_eq!(d.check(&sock, t0 + Duration::from_millis(40)), None);
        assert!(d.due, "too early to look: still due");
        // Growth found by a look is reported, then held back for a second.
        d.total = 5;
        assert_eq!(d.check(&sock, t0 + Duration::from_millis(100)), Some(5));
        d.total = 7;
        assert_eq!(d.wait(t0 + Duration::from_millis(600)), Some(Duration::from_millis(500)));
        assert_eq!(d.check(&sock, t0 + Duration::from_millis(600)), None);
        assert_eq!(d.check(&sock, t0 + Duration::from_millis(1100)), Some(7));
        assert_eq!(d.wait(t0 + Duration::from_millis(1100)), None, "reported and looked at: nothing to do");
        // At the end, what is held back is reported at once.
        d.total = 9;
        d.flush_pending();
        assert_eq!(d.check(&sock, t0 + Duration::from_millis(1200)), Some(9));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_growing_drop_count_is_looked_at_again_without_reads() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket2::SockRef::from(&rx).set_recv_buffer_size(1024).unwrap();
        let to = rx.local_addr().unwrap();
        let sock = mio::net::UdpSocket::from_std(rx);
        let mut d = Drops::new(&sock);
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for _ in 0..50 {
            tx.send_to(&[0; 64], to).unwrap();
        }
        let t0 = Instant::now();
        d.due = true;
        let first = d.check(&sock, t0).expect("a 2 KiB buffer drops most of 50 datagrams");
        assert!(first > 0);
        assert_eq!(d.wait(t0), Some(DROPS_LOOK_INTERVAL), "it grew: look again, whether datagrams come or not");
        assert_eq!(d.check(&sock, t0 + DROPS_LOOK_INTERVAL), None, "no growth since");
        assert!(!d.due);
    }
}
