//! TCP client worker: one connection attempt with a timeout, then send/receive until it closes.
//! The worker ends (`Stopped`) when the connection is over; connect again with a new worker.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};
use mio::{Events, Interest, Poll, Token};

use super::conn::{Conn, ReadStatus};
use super::generator::{GenSpec, Pacer};
use super::problem::Op;
use super::{CloseReason, Command, EventKind, EventSink, Problem, WorkerHandle};
use crate::codec::framing::Framing;

const STREAM: Token = Token(1);
/// The id of the client's one connection.
pub const CONN_ID: u64 = 1;
/// The generator queues no more messages while this many bytes wait for the kernel: the stream
/// goes as fast as the peer reads, and memory stays bounded.
const GEN_HIGH_WATER: usize = 256 * 1024;
/// How long a generator waiting for the peer to read sleeps at most between looks.
const GEN_BLOCKED_WAIT: Duration = Duration::from_millis(50);

/// A traffic generator run on the connection: the same message again and again.
struct Generator {
    data: Vec<u8>,
    /// Fields to render for each message (`data` is then unused).
    template: Option<std::sync::Arc<crate::codec::template::Template>>,
    pacer: Pacer,
    /// The run's time limit, after which it ends even if the peer has not read everything.
    end: Option<Instant>,
}

impl Generator {
    fn start(spec: GenSpec) -> Result<Generator, Problem> {
        spec.check_stream()?;
        let now = Instant::now();
        let end = spec.duration.map(|d| now + d);
        Ok(Generator { pacer: Pacer::new(&spec, now), end, data: spec.data, template: spec.template })
    }

    /// Queues the messages due now, as far as the send queue allows. Returns true when it has
    /// to wait for the peer to read.
    fn run(&mut self, conn: &mut Conn, sink: &EventSink) -> Result<bool, CloseReason> {
        for _ in 0..self.pacer.due(Instant::now()) {
            if conn.pending() >= GEN_HIGH_WATER {
                return Ok(true);
            }
            match &self.template {
                None => {
                    conn.send(&self.data, sink)?;
                    self.pacer.record(self.data.len());
                }
                Some(t) => match t.bytes(self.pacer.sent + 1) {
                    Ok(data) => {
                        conn.send(&data, sink)?;
                        self.pacer.record(data.len());
                    }
                    // Not sent, and the run ends as if every message was queued.
                    Err(e) => {
                        sink.emit(Some(CONN_ID), None, EventKind::Error(Problem::Template(e)));
                        self.pacer.stop();
                        return Ok(false);
                    }
                },
            }
        }
        Ok(conn.pending() >= GEN_HIGH_WATER)
    }

    fn timeout(&self, blocked: bool) -> Duration {
        let now = Instant::now();
        if self.pacer.finished(now) {
            // All queued: the writable event wakes us as the rest goes out.
            return GEN_BLOCKED_WAIT;
        }
        let wait = self.pacer.wait(now);
        if blocked { wait.max(GEN_BLOCKED_WAIT) } else { wait }
    }

    /// Every message is queued and has gone out, or the time is up.
    fn over(&self, conn: &Conn) -> bool {
        let now = Instant::now();
        self.pacer.finished(now) && (conn.pending() == 0 || self.end.is_some_and(|e| now >= e))
    }

    fn done(&self, sink: &EventSink, peer: SocketAddr) {
        let micros = u64::try_from(self.pacer.elapsed(Instant::now()).as_micros()).unwrap_or(u64::MAX);
        let done = EventKind::GeneratorDone { packets: self.pacer.sent, bytes: self.pacer.bytes, micros };
        sink.emit(Some(CONN_ID), Some(peer), done);
    }
}

#[derive(Clone, Debug)]
pub struct TcpClientConfig {
    /// `ip:port` or `host:port` to connect to.
    pub connect: String,
    /// Give up connecting after this long.
    pub timeout: Duration,
    pub recv_buffer: usize,
    /// How messages are delimited (sent messages are framed, received ones deframed).
    pub framing: Framing,
    /// TCP_NODELAY (Nagle's algorithm off).
    pub nodelay: bool,
    /// Speak TLS over the connection.
    pub tls: Option<super::tls::ClientTls>,
    pub thread_name: String,
}

impl Default for TcpClientConfig {
    fn default() -> Self {
        TcpClientConfig {
            connect: String::new(),
            timeout: Duration::from_secs(5),
            recv_buffer: super::DEFAULT_RECV_BUFFER,
            framing: Framing::None,
            nodelay: false,
            tls: None,
            thread_name: "tcp-client".into(),
        }
    }
}

pub fn spawn(cfg: TcpClientConfig, sink: EventSink) -> Result<WorkerHandle, Problem> {
    let sink = sink.with_proto(super::Proto::Tcp);
    super::spawn_worker(cfg.thread_name.clone(), sink.clone(), move |poll, cmds| {
        run(&cfg, &sink, poll, cmds);
        sink.emit(Some(CONN_ID), None, EventKind::Stopped);
        sink.flush();
    })
}

fn run(cfg: &TcpClientConfig, sink: &EventSink, mut poll: Poll, cmds: Receiver<Command>) {
    let peer = match super::resolve(&cfg.connect) {
        Ok(a) => a,
        Err(p) => {
            sink.emit(Some(CONN_ID), None, EventKind::Error(p));
            return;
        }
    };
    let emit = |kind| sink.emit(Some(CONN_ID), Some(peer), kind);
    emit(EventKind::Connecting { peer });
    sink.flush();
    let mut stream = match mio::net::TcpStream::connect(peer) {
        Ok(s) => s,
        Err(e) => {
            emit(EventKind::Error(Problem::from_io(Op::Connect, Some(peer), &e)));
            return;
        }
    };
    if let Err(e) = poll.registry().register(&mut stream, STREAM, Interest::READABLE | Interest::WRITABLE) {
        emit(EventKind::Error(Problem::io(Op::Register, Some(peer), &e)));
        return;
    }
    let mut events = Events::with_capacity(16);
    let Some(stream) = wait_connected(cfg, sink, &mut poll, &mut events, &cmds, stream, peer) else {
        return;
    };
    let local = stream.local_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    // From here on every event carries our end of the connection.
    let sink = &sink.with_local(local);
    let emit = |kind| sink.emit(Some(CONN_ID), Some(peer), kind);
    let Some(mut conn) = start(cfg, sink, &poll, Conn::new(CONN_ID, STREAM, peer, stream, cfg.framing), local) else {
        return;
    };
    sink.flush();

    if cfg.nodelay
        && let Err(e) = super::conn::set_nodelay(&conn.stream, true)
    {
        conn.emit_problem(sink, Problem::from_io(Op::Option, Some(peer), &e));
    }
    let mut buf = vec![0u8; cfg.recv_buffer.max(1)];
    let mut more = false;
    // The first poll after connecting may already carry data.
    let mut first = true;
    let mut generator: Option<Generator> = None;
    let mut blocked = false;
    let reason = 'conn: loop {
        // Data may have come with the connect's readiness (already consumed): don't block then.
        let timeout = match &generator {
            _ if more || first => Some(Duration::ZERO),
            Some(g) => Some(g.timeout(blocked)),
            None => None,
        };
        let handshake = conn.handshake_deadline();
        if handshake.is_some_and(|d| Instant::now() >= d) {
            conn.handshake_timed_out(sink);
            break CloseReason::Failed;
        }
        let timeout = super::sooner(timeout, handshake.map(|d| d.saturating_duration_since(Instant::now())));
        let mut readable = more || first;
        first = false;
        if let Err(e) = poll.poll(&mut events, timeout) {
            if super::interrupted(&e) {
                continue;
            }
            emit(EventKind::Error(Problem::io(Op::Poll, None, &e)));
            break CloseReason::Failed;
        }
        for ev in events.iter() {
            if ev.token() == STREAM {
                if ev.is_writable()
                    && let Err(r) = conn.flush(sink)
                {
                    break 'conn r;
                }
                readable |= ev.is_readable() || ev.is_read_closed() || ev.is_error();
            }
        }
        more = false;
        if readable {
            match conn.read(&mut buf, sink, |_, _| {}) {
                ReadStatus::Drained => {}
                ReadStatus::More => more = true,
                // The server closed: like the tutorial's client (`if not data: break`), we close too.
                ReadStatus::Eof => {
                    if conn.close_when_flushed.is_none() {
                        conn.close_when_flushed = Some(CloseReason::PeerClosed);
                    }
                }
                ReadStatus::Dead(r) => break r,
            }
        }
        loop {
            match cmds.try_recv() {
                Ok(Command::Stop) | Err(TryRecvError::Disconnected) => break 'conn CloseReason::LocalClose,
                Ok(Command::Disconnect { .. }) => break 'conn CloseReason::LocalClose,
                Ok(Command::Send { data, .. }) => {
                    if let Err(r) = conn.send(&data, sink) {
                        break 'conn r;
                    }
                }
                Ok(Command::ShutdownWrite { .. }) => conn.shutdown_write(sink),
                Ok(Command::Generate(spec)) => {
                    if let Some(g) = generator.take() {
                        g.done(sink, peer);
                    }
                    match Generator::start(*spec) {
                        Ok(g) => generator = Some(g),
                        Err(p) => {
                            emit(EventKind::Error(p));
                        }
                    }
                }
                Ok(Command::StopGenerate) => {
                    if let Some(g) = generator.take() {
                        g.done(sink, peer);
                    }
                }
                Ok(
                    Command::SendTo { .. } | Command::SetReply(_) | Command::SetRules(_) | Command::HoldReads { .. },
                )
                | Ok(Command::JoinGroup(_) | Command::LeaveGroup(_) | Command::SetFaults(_)) => {}
                #[cfg(feature = "test-hooks")]
                Ok(Command::InjectPanic) => super::inject_panic("TCP client"),
                Err(TryRecvError::Empty) => break,
            }
        }
        if let Some(g) = &mut generator {
            if conn.write_shut || conn.shutdown_when_flushed || conn.close_when_flushed.is_some() {
                // Nothing more can be written: the run ends here.
                g.done(sink, peer);
                generator = None;
            } else {
                match g.run(&mut conn, sink) {
                    Ok(b) => blocked = b,
                    // Reported after the loop, with the run's figures.
                    Err(r) => break r,
                }
                if g.over(&conn) {
                    g.done(sink, peer);
                    generator = None;
                }
            }
        }
        if let Some(r) = conn.close_due() {
            break r;
        }
        if let Err(e) = conn.update_interest(poll.registry()) {
            emit(EventKind::Error(Problem::io(Op::Register, Some(peer), &e)));
            break CloseReason::Failed;
        }
        sink.flush();
    };
    if let Some(g) = generator {
        g.done(sink, peer);
    }
    conn.close(poll.registry(), reason, sink);
}

/// The connection is up: a plain one is `Connected` now; a TLS one sends its ClientHello, and is
/// `Connected` when the handshake is done. `None` if it cannot start.
fn start(cfg: &TcpClientConfig, sink: &EventSink, poll: &Poll, mut conn: Conn, local: SocketAddr) -> Option<Conn> {
    let peer = conn.peer;
    let Some(tls) = &cfg.tls else {
        sink.emit(Some(CONN_ID), Some(peer), EventKind::Connected { local, inbound: false, tls: None });
        return Some(conn);
    };
    match super::tls::layer::TlsLayer::client(tls, &cfg.connect) {
        Ok(layer) => {
            conn = conn.with_tls(layer);
            match conn.flush(sink) {
                Ok(()) => Some(conn),
                Err(r) => {
                    conn.close(poll.registry(), r, sink);
                    None
                }
            }
        }
        Err(p) => {
            sink.emit(Some(CONN_ID), Some(peer), EventKind::Error(Problem::Tls(p)));
            conn.close(poll.registry(), CloseReason::Failed, sink);
            None
        }
    }
}

/// Waits for the connect to finish, fail, time out or be cancelled.
fn wait_connected(
    cfg: &TcpClientConfig,
    sink: &EventSink,
    poll: &mut Poll,
    events: &mut Events,
    cmds: &Receiver<Command>,
    stream: mio::net::TcpStream,
    peer: SocketAddr,
) -> Option<mio::net::TcpStream> {
    let emit = |kind| sink.emit(Some(CONN_ID), Some(peer), kind);
    let deadline = Instant::now() + cfg.timeout;
    loop {
        let now = Instant::now();
        if now >= deadline {
            emit(EventKind::Error(Problem::ConnectTimeout(peer, cfg.timeout.as_millis() as u64)));
            return None;
        }
        if let Err(e) = poll.poll(events, Some(deadline - now)) {
            if super::interrupted(&e) {
                continue;
            }
            emit(EventKind::Error(Problem::io(Op::Poll, None, &e)));
            return None;
        }
        for ev in events.iter() {
            if ev.token() != STREAM {
                continue;
            }
            match stream.take_error() {
                Ok(Some(e)) | Err(e) => {
                    emit(EventKind::Error(Problem::from_io(Op::Connect, Some(peer), &e)));
                    return None;
                }
                Ok(None) => {}
            }
            match stream.peer_addr() {
                Ok(_) => return Some(stream),
                Err(e) if e.kind() == std::io::ErrorKind::NotConnected => {}
                Err(e) => {
                    emit(EventKind::Error(Problem::from_io(Op::Connect, Some(peer), &e)));
                    return None;
                }
            }
        }
        loop {
            match cmds.try_recv() {
                Ok(Command::Stop | Command::Disconnect { .. }) | Err(TryRecvError::Disconnected) => return None,
                Ok(Command::Send { .. }) => {
                    emit(EventKind::Error(Problem::NotConnected));
                }
                Ok(_) => {}
                Err(TryRecvError::Empty) => break,
            }
        }
        sink.flush();
    }
}
