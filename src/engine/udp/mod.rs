//! UDP worker: one socket, bound to a local address; receives from anyone, sends to anyone.
//! The broadcast tab uses the same worker with SO_BROADCAST (see `broadcast.rs`).
//!
//! This file holds the settings, the worker's poll loop and its commands; the socket's set-up
//! is in `socket.rs`, receiving in `recv.rs`, sending and the traffic generator in `send.rs`, and
//! the kernel's drop counter in `drops.rs`.

mod drops;
mod recv;
mod send;
mod socket;

use std::collections::VecDeque;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};
use mio::{Events, Interest, Poll, Token};

use super::generator::Pacer;
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

pub use super::interface_index;
use drops::Drops;
pub(crate) use socket::bind_socket;
use socket::set_up;

fn run(cfg: UdpConfig, sink: EventSink, mut poll: Poll, cmds: Receiver<Command>) {
    let started = super::resolve(&cfg.bind)
        .and_then(|addr| bind_socket(addr, cfg.reuse_addr, cfg.broadcast, cfg.multicast.as_ref()))
        .and_then(|std_sock| {
            let connected = set_up(&std_sock, &cfg)?;
            let mut sock = mio::net::UdpSocket::from_std(std_sock);
            poll.registry()
                .register(&mut sock, SOCKET, Interest::READABLE)
                .map_err(|e| Problem::io(Op::Register, None, &e))?;
            let local = sock.local_addr().map_err(|e| Problem::io(Op::LocalAddr, None, &e))?;
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
        let timeout = super::sooner(timeout, w.drops.wait(Instant::now()));
        if let Err(e) = poll.poll(&mut events, timeout) {
            if super::interrupted(&e) {
                continue;
            }
            w.alive = w.sink.emit(None, None, EventKind::Error(Problem::io(Op::Poll, None, &e)));
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

/// Datagrams from one read: bytes, how many did not fit the buffer, sender, and the address it
/// was sent to when known (a multicast group, a broadcast address, or ours).
type Received = Vec<(Vec<u8>, usize, SocketAddr, Option<IpAddr>)>;

/// A traffic generator run in progress.
struct Generator {
    to: SocketAddr,
    data: Vec<u8>,
    /// Fields to render for each datagram (`data` is then unused).
    template: Option<std::sync::Arc<crate::codec::template::Template>>,
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
}
