//! The TCP relay worker: listens on `cfg.listen`; for each accepted client it connects to the
//! upstream (non-blocking) and passes bytes both ways with the faults of `cfg.faults`, all
//! connections in one poll loop. A connection's two sockets and two directions are in
//! `tcp_conn.rs`; what faults make of the bytes is in `tcp_faults.rs`.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};
use mio::{Events, Interest, Poll, Token};
use socket2::{Domain, Protocol, Socket, Type};

use super::fault::{Faults, Rng};
use super::tcp_conn::{Ctx, RelayConn, Turn};
use super::RelayConfig;
use crate::engine::problem::Op;
use crate::engine::tcp_server::{ACCEPT_RETRY_MAX, ACCEPT_RETRY_MIN};
use crate::engine::{CloseReason, Command, ConnId, EventKind, EventSink, Problem, Proto, WAKER, WorkerHandle};

const LISTENER: Token = Token(0);

/// Poll tokens of connection `id`: its client side and its upstream side.
fn tokens(id: ConnId) -> Option<(Token, Token)> {
    let base = usize::try_from(id).ok()?.checked_mul(2)?;
    Some((Token(base), Token(base.checked_add(1)?)))
}

/// The connection a token belongs to, and whether it is the upstream side.
fn of_token(t: Token) -> (ConnId, bool) {
    ((t.0 / 2) as ConnId, t.0 % 2 == 1)
}

/// Starts the tcp relay.
pub fn start(cfg: RelayConfig, sink: EventSink) -> Result<WorkerHandle, Problem> {
    let sink = sink.with_proto(Proto::Tcp);
    crate::engine::spawn_worker(cfg.thread_name.clone(), sink.clone(), move |poll, cmds| run(cfg, sink, poll, cmds))
}

fn listen(addr: SocketAddr) -> Result<std::net::TcpListener, Problem> {
    let opt = |e: std::io::Error| Problem::from_io(Op::Option, Some(addr), &e);
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)).map_err(opt)?;
    s.set_reuse_address(true).map_err(opt)?;
    s.set_nonblocking(true).map_err(opt)?;
    crate::engine::dual_stack(&s, addr);
    s.bind(&addr.into()).map_err(|e| Problem::from_io(Op::Bind, Some(addr), &e))?;
    s.listen(1024).map_err(|e| Problem::from_io(Op::Listen, Some(addr), &e))?;
    Ok(s.into())
}

fn run(cfg: RelayConfig, sink: EventSink, poll: Poll, cmds: Receiver<Command>) {
    let started = crate::engine::resolve(&cfg.upstream).and_then(|upstream| {
        let addr = crate::engine::resolve(&cfg.listen)?;
        let mut l = mio::net::TcpListener::from_std(listen(addr)?);
        poll.registry()
            .register(&mut l, LISTENER, Interest::READABLE)
            .map_err(|e| Problem::io(Op::Register, None, &e))?;
        let local = l.local_addr().map_err(|e| Problem::io(Op::LocalAddr, None, &e))?;
        Ok((l, local, upstream))
    });
    let (listener, local, upstream) = match started {
        Ok(v) => v,
        Err(p) => return sink.failed_start(None, p),
    };
    let sink = sink.with_local(local);
    sink.emit(None, None, EventKind::Listening { local });
    sink.flush();
    let mut r = Relay {
        listener,
        local,
        upstream,
        conns: HashMap::new(),
        next_id: 1,
        buf: vec![0u8; cfg.recv_buffer.max(1)],
        rng: Rng::new(cfg.seed),
        faults: cfg.faults.clone(),
        cfg,
        sink,
        alive: true,
        dirty: BTreeSet::new(),
        accept_retry: None,
        accept_failing: false,
    };
    r.serve(poll, &cmds);
}

struct Relay {
    listener: mio::net::TcpListener,
    local: SocketAddr,
    upstream: SocketAddr,
    conns: HashMap<ConnId, RelayConn>,
    next_id: ConnId,
    buf: Vec<u8>,
    rng: Rng,
    faults: Faults,
    cfg: RelayConfig,
    sink: EventSink,
    alive: bool,
    /// Connections to service this turn whatever the poll says (events, reads left, commands).
    dirty: BTreeSet<ConnId>,
    /// `accept()` failed for lack of resources: when to try again, and the wait after that.
    accept_retry: Option<(Instant, Duration)>,
    /// Its problem was reported; reported again only after an accept worked in between.
    accept_failing: bool,
}

impl Relay {
    fn serve(&mut self, mut poll: Poll, cmds: &Receiver<Command>) {
        let mut events = Events::with_capacity(256);
        while self.alive {
            let timeout = self.timeout(Instant::now());
            if let Err(e) = poll.poll(&mut events, timeout) {
                if crate::engine::interrupted(&e) {
                    continue;
                }
                self.error(None, None, Problem::io(Op::Poll, None, &e));
                break;
            }
            if self.accept_retry.is_some_and(|(at, _)| Instant::now() >= at) {
                self.accept_all(&poll);
            }
            for ev in events.iter() {
                match ev.token() {
                    WAKER => {}
                    LISTENER => self.accept_all(&poll),
                    t => {
                        let (id, upstream_side) = of_token(t);
                        if let Some(c) = self.conns.get_mut(&id) {
                            if upstream_side { c.upstream.mark(ev) } else { c.client.mark(ev) }
                            self.dirty.insert(id);
                        }
                    }
                }
            }
            loop {
                match cmds.try_recv() {
                    Ok(Command::Stop) | Err(TryRecvError::Disconnected) => {
                        self.alive = false;
                        break;
                    }
                    Ok(cmd) => self.command(&poll, cmd),
                    Err(TryRecvError::Empty) => break,
                }
            }
            if !self.alive {
                break;
            }
            self.service_all(&poll);
            self.sink.flush();
        }
        let ids: Vec<ConnId> = self.conns.keys().copied().collect();
        for id in ids {
            self.close(&poll, id, CloseReason::LocalClose, false);
        }
        let _ = poll.registry().deregister(&mut self.listener);
        self.sink.emit(None, None, EventKind::Stopped);
        self.sink.flush();
    }

    /// How long the poll may wait: not at all with work left, else until the nearest deadline.
    fn timeout(&self, now: Instant) -> Option<Duration> {
        if !self.dirty.is_empty() {
            return Some(Duration::ZERO);
        }
        let conns = self.conns.values().filter_map(|c| c.deadline);
        conns.chain(self.accept_retry.map(|(at, _)| at)).min().map(|at| at.saturating_duration_since(now))
    }

    fn error(&mut self, conn: Option<ConnId>, peer: Option<SocketAddr>, p: Problem) {
        self.alive &= self.sink.emit(conn, peer, EventKind::Error(p));
    }

    /// Services the connections with events or reads left, and those whose deadline came.
    fn service_all(&mut self, poll: &Poll) {
        let now = Instant::now();
        let mut ids = std::mem::take(&mut self.dirty);
        ids.extend(self.conns.iter().filter(|(_, c)| c.deadline.is_some_and(|d| d <= now)).map(|(id, _)| *id));
        for id in ids {
            let Some(c) = self.conns.get_mut(&id) else { continue };
            let mut cx = Ctx {
                sink: &self.sink,
                faults: &self.faults,
                rng: &mut self.rng,
                buf: &mut self.buf,
                buffer: self.cfg.buffer.max(1),
                connect_timeout: self.cfg.connect_timeout,
                now: Instant::now(),
            };
            let turn = c.turn(&mut cx);
            self.alive &= !c.sink_gone;
            match turn {
                Turn::Open { deadline, more } => {
                    c.deadline = deadline;
                    if more {
                        self.dirty.insert(id);
                    }
                }
                Turn::Close { reason, reset } => self.close(poll, id, reason, reset),
            }
        }
    }

    /// Accepts every waiting client (edge-triggered: until `WouldBlock`), retrying later after
    /// a lack of resources like the TCP server does.
    fn accept_all(&mut self, poll: &Poll) {
        loop {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    self.accept_retry = None;
                    self.accept_failing = false;
                    self.accepted(poll, stream, peer);
                }
                Err(e) if crate::engine::would_block(&e) => {
                    self.accept_retry = None;
                    return;
                }
                Err(e) if crate::engine::interrupted(&e) || e.kind() == std::io::ErrorKind::ConnectionAborted => {}
                Err(e) => {
                    let wait = self.accept_retry.map_or(ACCEPT_RETRY_MIN, |(_, w)| (w * 2).min(ACCEPT_RETRY_MAX));
                    self.accept_retry = Some((Instant::now() + wait, wait));
                    if !std::mem::replace(&mut self.accept_failing, true) {
                        self.error(None, None, Problem::from_io(Op::Accept, Some(self.local), &e));
                    }
                    return;
                }
            }
        }
    }

    fn accepted(&mut self, poll: &Poll, mut client: mio::net::TcpStream, peer: SocketAddr) {
        let max = self.cfg.max_clients;
        if self.conns.len() >= max {
            self.error(None, Some(peer), Problem::TooManyClients(max));
            return; // dropping the stream closes it
        }
        let id = self.next_id;
        self.next_id += 1;
        let Some((ct, ut)) = tokens(id) else { return };
        let local = client.local_addr().unwrap_or(self.local);
        let emit = |kind| self.sink.emit_local(Some(local), Some(id), Some(peer), kind);
        let mut ok = emit(EventKind::Connected { local, inbound: true, tls: None });
        if let Err(e) = poll.registry().register(&mut client, ct, Interest::READABLE | Interest::WRITABLE) {
            ok &= emit(EventKind::Error(Problem::io(Op::Register, Some(peer), &e)));
            ok &= emit(EventKind::Closed { reason: CloseReason::Failed });
            self.alive &= ok;
            return;
        }
        let mut upstream = match mio::net::TcpStream::connect(self.upstream) {
            Ok(s) => s,
            Err(e) => {
                let _ = poll.registry().deregister(&mut client);
                ok &= emit(EventKind::Error(Problem::from_io(Op::Connect, Some(self.upstream), &e)));
                ok &= emit(EventKind::Closed { reason: CloseReason::Failed });
                self.alive &= ok;
                return;
            }
        };
        if let Err(e) = poll.registry().register(&mut upstream, ut, Interest::READABLE | Interest::WRITABLE) {
            let _ = poll.registry().deregister(&mut client);
            ok &= emit(EventKind::Error(Problem::io(Op::Register, Some(self.upstream), &e)));
            ok &= emit(EventKind::Closed { reason: CloseReason::Failed });
            self.alive &= ok;
            return;
        }
        self.alive &= ok;
        let mut c = RelayConn::new(id, peer, local, self.upstream, client, upstream);
        c.deadline = Some(Instant::now() + self.cfg.connect_timeout);
        self.conns.insert(id, c);
        self.dirty.insert(id);
    }

    fn close(&mut self, poll: &Poll, id: ConnId, reason: CloseReason, reset: bool) {
        self.dirty.remove(&id);
        if let Some(c) = self.conns.remove(&id) {
            c.close(poll.registry(), reason, reset, &self.sink);
        }
    }

    fn command(&mut self, poll: &Poll, cmd: Command) {
        match cmd {
            Command::SetFaults(f) => {
                self.faults = *f;
                // Timed faults are counted from each connection's start: look at them again.
                self.dirty.extend(self.conns.keys().copied());
            }
            Command::Disconnect { conn: None } => {
                let ids: Vec<ConnId> = self.conns.keys().copied().collect();
                for id in ids {
                    self.close(poll, id, CloseReason::LocalClose, false);
                }
            }
            Command::Disconnect { conn: Some(id) } => {
                if self.conns.contains_key(&id) {
                    self.close(poll, id, CloseReason::LocalClose, false);
                } else {
                    self.error(Some(id), None, Problem::NoSuchConnection(id));
                }
            }
            Command::Send { .. }
            | Command::SendTo { .. }
            | Command::ShutdownWrite { .. }
            | Command::SetReply(_)
            | Command::SetRules(_)
            | Command::JoinGroup(_)
            | Command::LeaveGroup(_)
            | Command::Generate(_)
            | Command::StopGenerate
            | Command::HoldReads { .. }
            | Command::Stop => {}
            #[cfg(feature = "test-hooks")]
            Command::InjectPanic => crate::engine::inject_panic("relay"),
        }
    }
}
