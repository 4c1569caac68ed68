//! The networking engine: one named worker thread per socket job, each running a `mio` poll loop.
//!
//! Commands go in on a bounded crossbeam channel plus a `mio::Waker`; events come out on a bounded
//! channel owned by whoever started the worker (a GUI tab or a CLI run). No egui in here.

pub mod bench;
pub mod broadcast;
mod conn;
pub mod files;
pub mod generator;
#[cfg(target_os = "linux")]
mod mmsg;
pub mod problem;
pub mod relay;
pub mod reply;
pub mod rules;
pub mod tcp_client;
pub mod tcp_server;
pub mod tls;
pub mod udp;

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use mio::{Poll, Token, Waker};

use problem::Op;

pub use crate::vocab::{CloseReason, ConnId, Dir, Proto};
pub use problem::Problem;
pub use reply::ReplyMode;

/// Token of the waker in every worker's poll.
pub(crate) const WAKER: Token = Token(usize::MAX - 1);

/// Capacity of a worker's command channel.
pub const COMMAND_CAPACITY: usize = 256;
/// Capacity of an event channel. Workers block (back-pressure) when it is full.
pub const EVENT_CAPACITY: usize = 65_536;
/// About how many payload bytes the events waiting in a channel may hold. The count alone would
/// allow 65,536 reads of 64 KiB (4 GiB) while a slow consumer (a terminal, a busy frame) falls
/// behind; an event with a large payload waits instead until at most this many bytes' worth of
/// events of its size are ahead of it. Small datagrams are limited by the count only.
pub const EVENT_BYTES: usize = 32 << 20;
/// Default receive buffer: the largest UDP datagram over IPv4 fits.
pub const DEFAULT_RECV_BUFFER: usize = 65_536;

/// What happened; every variant is something the user may see in a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A socket is bound (UDP) or listening (TCP server) on `local`, the address the OS gave.
    Listening { local: SocketAddr },
    /// A TCP client started connecting.
    Connecting { peer: SocketAddr },
    /// A TCP connection is up: accepted by a server (`inbound`) or made by a client. A TLS
    /// connection is up once its handshake is done, and says what it agreed on (`tls`).
    Connected { local: SocketAddr, inbound: bool, tls: Option<Box<tls::TlsInfo>> },
    /// Bytes received. `lost` counts bytes of a datagram that did not fit the receive buffer.
    Rx { data: Vec<u8>, lost: usize },
    /// Bytes sent.
    Tx { data: Vec<u8> },
    /// We shut down our sending side (half-close); we can still receive.
    HalfClosed,
    /// A UDP socket joined (or left) a multicast group.
    Membership { group: std::net::IpAddr, joined: bool },
    /// The traffic generator finished a run (count reached, time up, stopped or failed).
    GeneratorDone { packets: u64, bytes: u64, micros: u64 },
    /// A TCP connection ended.
    Closed { reason: CloseReason },
    /// Relay: bytes read from one side of relay connection `conn` (its `peer` is the client),
    /// to be passed to the other side: `Up` from the client, `Down` from the upstream. What
    /// faults then did to them is a `Fault` event.
    /// `upstream` is the server's address.
    Relayed { dir: Dir, data: Vec<u8>, upstream: SocketAddr },
    /// Relay: what a fault did to the bytes or the connection going `dir`.
    Fault { dir: Dir, action: relay::FaultAction, upstream: SocketAddr },
    /// Relay: connection (or UDP session) `conn` has its upstream side, from `local` to
    /// `upstream`.
    UpstreamConnected { local: SocketAddr, upstream: SocketAddr },
    /// Imported captures only: `bytes` bytes of a TCP stream that the capture does not hold (a
    /// lost segment), sent by the peer (`from_peer`) or by the local side. The stream goes on
    /// after them; the rows around a gap are never glued together.
    Gap { bytes: u64, from_peer: bool },
    /// TLS: raw bytes of a connection as they crossed the wire (`sent` by us, or received), and
    /// the records that begin in them. The decrypted application data are `Rx`/`Tx` rows.
    TlsRecords { sent: bool, data: Vec<u8>, records: Vec<crate::codec::tls::TlsRecord> },
    /// Something went wrong; the worker keeps running unless `Stopped` follows.
    Error(Problem),
    /// The worker ended; no more events come from it.
    Stopped,
}

/// One event from a worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub time: jiff::Timestamp,
    /// Which tab (instance) of the consumer it belongs to (see [`EventSink::with_tab`]); 0 in the
    /// CLI and in imported logs.
    pub tab: u16,
    /// Which worker of the consumer sent it (see [`EventSink::with_source`]).
    pub source: u16,
    pub proto: Proto,
    /// The connection it concerns, for TCP.
    pub conn: Option<ConnId>,
    /// Our side: the socket's local address, once it is known.
    pub local: Option<SocketAddr>,
    /// The remote side, when there is one.
    pub peer: Option<SocketAddr>,
    pub kind: EventKind,
}

impl Event {
    #[cfg(any(test, feature = "test-support"))]
    /// An event happening now, with no tab, source, connection or addresses yet.
    pub fn now(proto: Proto, kind: EventKind) -> Event {
        Event { time: jiff::Timestamp::now(), tab: 0, source: 0, proto, conn: None, local: None, peer: None, kind }
    }
}

/// Called (from worker threads) after events were queued, e.g. to wake the GUI.
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// Where a worker sends its events.
#[derive(Clone)]
pub struct EventSink {
    tx: Sender<Event>,
    notify: Option<Notify>,
    tab: u16,
    source: u16,
    proto: Proto,
    local: Option<SocketAddr>,
}

impl EventSink {
    pub fn new(tx: Sender<Event>, notify: Option<Notify>) -> Self {
        EventSink { tx, notify, tab: 0, source: 0, proto: Proto::Udp, local: None }
    }

    /// The same channel, with events tagged as coming from `source`.
    pub fn with_source(&self, source: u16) -> EventSink {
        EventSink { source, ..self.clone() }
    }

    /// The same channel, with events tagged as belonging to tab `tab`.
    pub fn with_tab(&self, tab: u16) -> EventSink {
        EventSink { tab, ..self.clone() }
    }

    /// The same channel, with events carrying `local` as our address.
    pub(crate) fn with_local(&self, local: SocketAddr) -> EventSink {
        EventSink { local: Some(local), ..self.clone() }
    }

    /// A sink and its receiving end with the default capacity.
    pub fn channel(notify: Option<Notify>) -> (EventSink, Receiver<Event>) {
        let (tx, rx) = crossbeam_channel::bounded(EVENT_CAPACITY);
        (EventSink::new(tx, notify), rx)
    }

    /// The same channel, for a worker using `proto`.
    pub(crate) fn with_proto(&self, proto: Proto) -> EventSink {
        EventSink { proto, ..self.clone() }
    }

    /// Queues an event. Blocks while the channel is full (back-pressure: nothing logged is
    /// dropped). Returns false once nobody listens any more, which tells the worker to stop.
    pub(crate) fn emit(&self, conn: Option<ConnId>, peer: Option<SocketAddr>, kind: EventKind) -> bool {
        self.emit_local(self.local, conn, peer, kind)
    }

    /// Like [`EventSink::emit`], for a connection with its own local address.
    pub(crate) fn emit_local(
        &self,
        local: Option<SocketAddr>,
        conn: Option<ConnId>,
        peer: Option<SocketAddr>,
        kind: EventKind,
    ) -> bool {
        let len = match &kind {
            EventKind::Rx { data, .. } | EventKind::Tx { data } => data.len(),
            _ => 0,
        };
        if len > EVENT_BYTES / EVENT_CAPACITY {
            self.wait_for_room(EVENT_BYTES / len);
        }
        let ev = Event {
            time: jiff::Timestamp::now(),
            tab: self.tab,
            source: self.source,
            proto: self.proto,
            conn,
            local,
            peer,
            kind,
        };
        self.tx.send(ev).is_ok()
    }

    /// Waits (back-pressure, like a full channel) until at most `ahead` events are queued, and
    /// wakes the consumer meanwhile in case it waits for a notice. It waits at most a second at
    /// a time: a channel whose consumer is gone keeps its events (crossbeam drops them with the
    /// last handle), and only the send that follows can tell. A consumer that stalls for good
    /// lets one more large event in per second.
    fn wait_for_room(&self, ahead: usize) {
        if self.tx.len() <= ahead {
            return;
        }
        self.flush();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(1);
        while self.tx.len() > ahead && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }

    /// Reports that a worker could not start (bind, listen, …) and ends it.
    pub(crate) fn failed_start(&self, conn: Option<ConnId>, p: Problem) {
        self.emit(conn, None, EventKind::Error(p));
        self.emit(conn, None, EventKind::Stopped);
        self.flush();
    }

    /// Wakes the consumer once after a batch of events.
    pub(crate) fn flush(&self) {
        if let Some(n) = &self.notify {
            n();
        }
    }
}

/// A message to a running worker.
#[derive(Clone, Debug)]
pub enum Command {
    /// UDP: send a datagram to `to` (a literal address or `host:port`).
    SendTo { to: String, data: Vec<u8> },
    /// TCP: send on one connection, or on all when `conn` is `None`.
    Send { conn: Option<ConnId>, data: Vec<u8> },
    /// TCP: shut down our sending side (half-close).
    ShutdownWrite { conn: Option<ConnId> },
    /// TCP: close one connection (server) or the connection (client).
    Disconnect { conn: Option<ConnId> },
    /// Change the auto-reply mode of a running server.
    SetReply(ReplyMode),
    /// Replace the response rules of a running server or UDP socket (empty: use the mode).
    SetRules(Arc<rules::Rules>),
    /// UDP: join a multicast group on the socket's multicast interface.
    JoinGroup(std::net::IpAddr),
    /// UDP: leave a multicast group.
    LeaveGroup(std::net::IpAddr),
    /// UDP: start the traffic generator (a running one is replaced).
    Generate(Box<generator::GenSpec>),
    /// UDP: stop the traffic generator.
    StopGenerate,
    /// TCP server: do not read from connection `conn` until at least `bytes` bytes wait in its
    /// receive buffer (or the peer closed, or [`tcp_server::HOLD_READS_MAX`] passed), then read
    /// them at once. The sticky-packet demo holds the server's reads so that its messages have
    /// all landed when it reads: they always show merged into one recv().
    HoldReads { conn: ConnId, bytes: usize },
    /// Relay: replace the faults of a running relay (both directions).
    SetFaults(Box<relay::Faults>),
    /// End the worker.
    Stop,
    /// Test hook: the worker panics, as a bug would, to check that a bug in one worker stops
    /// only that worker (see [`spawn_worker`]). Exists only with the cargo feature `test-hooks`,
    /// which the integration tests turn on; nothing from the network can trigger it.
    #[cfg(feature = "test-hooks")]
    #[doc(hidden)]
    InjectPanic,
}

/// The starting side's handle on a worker thread.
pub struct WorkerHandle {
    name: String,
    commands: Sender<Command>,
    waker: Arc<Waker>,
    thread: Option<JoinHandle<()>>,
}

impl WorkerHandle {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Queues a command without blocking.
    pub fn send(&self, cmd: Command) -> Result<(), Problem> {
        match self.commands.try_send(cmd) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(Problem::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(Problem::WorkerGone),
        }
        self.waker.wake().map_err(|e| Problem::io(Op::Wake, None, &e))
    }

    /// Asks the worker to stop; does not wait.
    pub fn request_stop(&self) {
        // Full or disconnected both mean the worker is busy ending or gone; the waker still fires.
        let _ = self.commands.try_send(Command::Stop);
        let _ = self.waker.wake();
    }

    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Waits for the thread to end. Make sure it can: drain or drop the event receiver first.
    pub fn join(&mut self) {
        if let Some(t) = self.thread.take() {
            // A panicking worker is a bug; the panic message was already printed.
            let _ = t.join();
        }
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.request_stop();
        // Joining here could wait on a consumer that is being dropped too; threads end on their
        // own once they see Stop or a closed event channel.
    }
}

/// Starts a named worker thread running `body(poll, commands)`.
///
/// A panic in `body` (a bug) ends only this worker: it is caught here and reported on `sink` as
/// [`Problem::WorkerPanicked`] followed by [`EventKind::Stopped`], so the consumer sees the worker
/// end like any other; its sockets are closed as the panic unwinds, so the same port can be
/// used again at once. Other workers and the program keep running.
pub(crate) fn spawn_worker<F>(name: String, sink: EventSink, body: F) -> Result<WorkerHandle, Problem>
where
    F: FnOnce(Poll, Receiver<Command>) + Send + 'static,
{
    let poll = Poll::new().map_err(|e| Problem::io(Op::Poll, None, &e))?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).map_err(|e| Problem::io(Op::Poll, None, &e))?);
    let (tx, rx) = crossbeam_channel::bounded(COMMAND_CAPACITY);
    /// The text of a caught panic (`panic!("...")` carries a `&str` or a `String`).
    fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
        match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
            (Some(s), _) => (*s).to_string(),
            (_, Some(s)) => s.clone(),
            _ => "unknown panic".to_string(),
        }
    }
    let thread = std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            // The body owns everything it touches (moved in), so nothing half-updated is seen
            // after the panic: asserting unwind safety is sound.
            if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(poll, rx))) {
                sink.emit(None, None, EventKind::Error(Problem::WorkerPanicked(panic_message(panic.as_ref()))));
                sink.emit(None, None, EventKind::Stopped);
                sink.flush();
            }
        })
        .map_err(|e| Problem::io(Op::Thread, None, &e))?;
    Ok(WorkerHandle { name, commands: tx, waker, thread: Some(thread) })
}

/// What a worker does with [`Command::InjectPanic`]: panics like a bug would.
#[cfg(feature = "test-hooks")]
#[allow(clippy::panic, reason = "the test hook stands for a bug; it exists only with the test-hooks feature")]
pub(crate) fn inject_panic(worker: &str) -> ! {
    panic!("test panic injected into the {worker} worker (Command::InjectPanic)")
}

/// The shorter of two poll timeouts (`None`: wait for ever).
pub(crate) fn sooner(a: Option<std::time::Duration>, b: Option<std::time::Duration>) -> Option<std::time::Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The unspecified address of `a`'s family, port 0: a local address not known (yet).
pub(crate) fn unspecified_like(a: SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
        SocketAddr::V6(_) => SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0)),
    }
}

/// Parses `ip:port`, `[v6]:port`, `localhost:port` or `host:port`.
/// Name lookups may block, so call this from a worker thread, not the UI.
pub fn resolve(input: &str) -> Result<SocketAddr, Problem> {
    let s = input.trim();
    if s.is_empty() {
        return Err(Problem::EmptyAddress);
    }
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    let (host, port) = split_host_port(s)?;
    if let Some((ip, scope)) = host.split_once('%') {
        return scoped_v6(s, ip, scope, port);
    }
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    match (host, port).to_socket_addrs() {
        Ok(mut addrs) => addrs.next().ok_or_else(|| Problem::UnknownHost(host.to_string())),
        Err(_) => Err(Problem::UnknownHost(host.to_string())),
    }
}

/// Checks the shape of `host:port` without any lookup (cheap enough for the UI thread).
pub fn split_host_port(s: &str) -> Result<(&str, u16), Problem> {
    let s = s.trim();
    let Some((host, port)) = s.rsplit_once(':') else {
        return Err(Problem::MissingPort(s.to_string()));
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(Problem::BadAddress(s.to_string()));
    }
    // An IPv6 address may carry its interface: `fe80::1%eth0` or `fe80::1%2`.
    let (ip, scope) = host.split_once('%').map_or((host, None), |(ip, scope)| (ip, Some(scope)));
    if (ip.contains(':') || scope.is_some()) && ip.parse::<std::net::Ipv6Addr>().is_err() {
        return Err(Problem::BadAddress(s.to_string()));
    }
    if scope.is_some_and(|sc| sc.is_empty() || sc.contains(['%', ' ', '/'])) {
        return Err(Problem::BadAddress(s.to_string()));
    }
    let port = parse_port(port)?;
    Ok((host, port))
}

/// `fe80::1` with scope `eth0` (an interface name, looked up) or `2` (an interface index).
fn scoped_v6(input: &str, ip: &str, scope: &str, port: u16) -> Result<SocketAddr, Problem> {
    let ip: std::net::Ipv6Addr = ip.parse().map_err(|_| Problem::BadAddress(input.to_string()))?;
    let index = match scope.parse::<u32>() {
        Ok(i) => i,
        Err(_) => interface_index(scope).ok_or_else(|| Problem::UnknownInterface(scope.to_string()))?,
    };
    Ok(SocketAddr::V6(std::net::SocketAddrV6::new(ip, port, 0, index)))
}

/// The index of a network interface by name (`lo`, `eth0`): for IPv6 link-local addresses and
/// multicast.
pub fn interface_index(name: &str) -> Option<u32> {
    #[cfg(unix)]
    {
        let c = std::ffi::CString::new(name).ok()?;
        // SAFETY: `c` is a valid NUL-terminated string that lives across the call.
        let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
        (i != 0).then_some(i)
    }
    #[cfg(not(unix))]
    {
        name.parse().ok()
    }
}

/// A socket bound to `[::]` takes IPv4 peers too (dual stack; they show as `::ffff:a.b.c.d`),
/// where the OS allows it. Where it does not, the socket stays IPv6-only: not an error.
pub(crate) fn dual_stack(s: &socket2::Socket, addr: SocketAddr) {
    if addr.is_ipv6() && addr.ip().is_unspecified() {
        let _ = s.set_only_v6(false);
    }
}

/// Parses a port number 0–65535 with a message a student understands.
pub fn parse_port(s: &str) -> Result<u16, Problem> {
    let s = s.trim();
    match s.parse::<u32>() {
        Ok(p) if p <= 65_535 => Ok(p as u16),
        Ok(_) => Err(Problem::BadPort(s.to_string())),
        Err(_) => Err(Problem::BadPort(s.to_string())),
    }
}

/// Result of reading from a non-blocking socket until it would block.
pub(crate) fn would_block(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::WouldBlock
}

pub(crate) fn interrupted(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::Interrupted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_forms() {
        assert_eq!(resolve("127.0.0.1:80").unwrap(), "127.0.0.1:80".parse().unwrap());
        assert_eq!(resolve("localhost:9").unwrap(), "127.0.0.1:9".parse().unwrap());
        assert_eq!(resolve("[::1]:7").unwrap(), "[::1]:7".parse().unwrap());
        assert_eq!(resolve(""), Err(Problem::EmptyAddress));
        assert_eq!(resolve("127.0.0.1"), Err(Problem::MissingPort("127.0.0.1".into())));
        assert_eq!(resolve("127.0.0.1:70000"), Err(Problem::BadPort("70000".into())));
        assert_eq!(resolve("127.0.0.1:abc"), Err(Problem::BadPort("abc".into())));
        assert!(resolve(":80").is_err());
    }

    #[test]
    fn link_local_scope_by_name_or_index() {
        use std::net::SocketAddrV6;
        let lo = interface_index("lo").expect("every Linux machine has lo");
        let want = SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 9000, 0, lo));
        assert_eq!(resolve("[fe80::1%lo]:9000").unwrap(), want);
        assert_eq!(resolve(&format!("[fe80::1%{lo}]:9000")).unwrap(), want);
        assert_eq!(resolve("[fe80::1%nosuchif0]:9000"), Err(Problem::UnknownInterface("nosuchif0".into())));
        assert!(split_host_port("[fe80::1%eth0]:9000").is_ok(), "the UI's check accepts a scope");
        for bad in ["[fe80::1%]:9000", "[fe80::zz%lo]:9000", "[127.0.0.1%lo]:9000", "[fe80::1%a%b]:1"] {
            assert!(resolve(bad).is_err(), "{bad}");
            assert!(split_host_port(bad).is_err(), "{bad}");
        }
    }
}
