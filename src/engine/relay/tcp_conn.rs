//! One relayed TCP connection: the client's socket, the upstream socket (connecting, then
//! connected) and the two directions between them, serviced one turn at a time by the worker.

#![allow(
    clippy::indexing_slicing,
    reason = "slices up to the byte count the OS read, which the buffer length bounds"
)]

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use mio::event::Event as MioEvent;

use super::fault::{Faults, FaultAction, Rng};
use super::tcp_faults::Flow;
use crate::engine::problem::Op;
use crate::engine::{CloseReason, ConnId, EventKind, EventSink, Problem};
use crate::vocab::Dir;

/// Bytes read from one side per turn before the other connections get theirs.
const READ_BUDGET: usize = 256 * 1024;

/// One socket of a relayed connection, with its edge-triggered readiness remembered: a side
/// stays `readable` until a read would block, so reading that stopped for back-pressure
/// resumes without waiting for a new edge.
pub(super) struct Side {
    pub stream: mio::net::TcpStream,
    pub readable: bool,
    pub writable: bool,
    /// recv returned 0.
    pub eof: bool,
}

impl Side {
    pub fn new(stream: mio::net::TcpStream, writable: bool) -> Side {
        Side { stream, readable: true, writable, eof: false }
    }

    pub fn mark(&mut self, ev: &MioEvent) {
        if ev.is_readable() || ev.is_read_closed() || ev.is_error() {
            self.readable = true;
        }
        if ev.is_writable() || ev.is_write_closed() || ev.is_error() {
            self.writable = true;
        }
    }
}

/// How a turn ended for a connection.
pub(super) enum Turn {
    /// Still open: service it again at `deadline`, or at once when `more` (reads left).
    Open { deadline: Option<Instant>, more: bool },
    /// Close it: with this reason, resetting both sides when `reset`.
    Close { reason: CloseReason, reset: bool },
}

/// What the worker lends a connection for one turn.
pub(super) struct Ctx<'a> {
    pub sink: &'a EventSink,
    pub faults: &'a Faults,
    pub rng: &'a mut Rng,
    pub buf: &'a mut [u8],
    /// Bytes one direction may hold.
    pub buffer: usize,
    pub connect_timeout: Duration,
    pub now: Instant,
}

pub(super) struct RelayConn {
    pub id: ConnId,
    /// The client.
    pub peer: SocketAddr,
    /// Our end of the client's connection.
    pub local: SocketAddr,
    pub upstream_addr: SocketAddr,
    pub client: Side,
    pub upstream: Side,
    connected: bool,
    opened: Instant,
    up: Flow,
    down: Flow,
    /// When to service it again (see [`Turn::Open`]).
    pub deadline: Option<Instant>,
    /// TCP_NODELAY was set on both sockets (for slicing).
    nodelay: bool,
    /// The events channel is closed: the worker must stop.
    pub sink_gone: bool,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn is_reset(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(e.kind(), K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe)
}

impl RelayConn {
    pub fn new(
        id: ConnId,
        peer: SocketAddr,
        local: SocketAddr,
        upstream_addr: SocketAddr,
        client: mio::net::TcpStream,
        upstream: mio::net::TcpStream,
    ) -> RelayConn {
        RelayConn {
            id,
            peer,
            local,
            upstream_addr,
            client: Side::new(client, true),
            upstream: Side::new(upstream, false),
            connected: false,
            opened: Instant::now(),
            up: Flow::new(),
            down: Flow::new(),
            deadline: None,
            nodelay: false,
            sink_gone: false,
        }
    }

    fn emit(&mut self, sink: &EventSink, kind: EventKind) {
        if !sink.emit_local(Some(self.local), Some(self.id), Some(self.peer), kind) {
            self.sink_gone = true;
        }
    }

    fn fault(&mut self, sink: &EventSink, dir: Dir, action: FaultAction) {
        let upstream = self.upstream_addr;
        self.emit(sink, EventKind::Fault { dir, action, upstream });
    }

    /// Services the connection: connect progress, timed faults, reads, writes, closes.
    pub fn turn(&mut self, cx: &mut Ctx<'_>) -> Turn {
        match self.step(cx) {
            Ok(turn) => turn,
            Err(close) => close,
        }
    }

    fn step(&mut self, cx: &mut Ctx<'_>) -> Result<Turn, Turn> {
        let mut deadline = None;
        if !self.connected {
            deadline = self.check_connect(cx)?;
        }
        deadline = earliest(deadline, self.timed_faults(cx)?);
        let mut more = false;
        for dir in Dir::BOTH {
            more |= self.read(dir, cx)?;
        }
        for dir in Dir::BOTH {
            deadline = earliest(deadline, self.write(dir, cx)?);
        }
        if self.up.shut && self.down.shut {
            return Err(Turn::Close { reason: CloseReason::PeerClosed, reset: false });
        }
        // Reading again once writes made room (the readable flag remembers the edge).
        for dir in Dir::BOTH {
            more |= self.can_read(dir, cx.buffer);
        }
        Ok(Turn::Open { deadline, more })
    }

    /// Looks whether the upstream connect finished; fails it at the connect timeout.
    fn check_connect(&mut self, cx: &mut Ctx<'_>) -> Result<Option<Instant>, Turn> {
        let upstream = self.upstream_addr;
        let fail = |me: &mut RelayConn, p: Problem| {
            me.emit(cx.sink, EventKind::Error(p));
            Turn::Close { reason: CloseReason::Failed, reset: false }
        };
        if self.upstream.writable || self.upstream.readable {
            match self.upstream.stream.take_error() {
                Ok(Some(e)) | Err(e) => return Err(fail(self, Problem::from_io(Op::Connect, Some(upstream), &e))),
                Ok(None) => {}
            }
            match self.upstream.stream.peer_addr() {
                Ok(_) => {
                    self.connected = true;
                    self.upstream.writable = true;
                    self.upstream.readable = true;
                    let local = self.upstream.stream.local_addr().unwrap_or(self.local);
                    self.emit(cx.sink, EventKind::UpstreamConnected { local, upstream });
                    return Ok(None);
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    self.upstream.writable = false;
                    self.upstream.readable = false;
                }
                Err(e) => return Err(fail(self, Problem::from_io(Op::Connect, Some(upstream), &e))),
            }
        }
        let until = self.opened + cx.connect_timeout;
        if cx.now >= until {
            return Err(fail(self, Problem::ConnectTimeout(upstream, millis(cx.connect_timeout))));
        }
        Ok(Some(until))
    }

    /// Reset-after and timeout, counted from when the connection opened.
    fn timed_faults(&mut self, cx: &mut Ctx<'_>) -> Result<Option<Instant>, Turn> {
        let mut deadline = None;
        for dir in Dir::BOTH {
            let f = cx.faults.dir(dir);
            if let Some(ms) = f.reset_after_ms {
                let at = self.opened + Duration::from_millis(ms);
                if cx.now >= at {
                    self.fault(cx.sink, dir, FaultAction::Reset);
                    return Err(Turn::Close { reason: CloseReason::Reset, reset: true });
                }
                deadline = earliest(deadline, Some(at));
            }
            if let Some(ms) = f.timeout_ms {
                let stop = self.opened + Duration::from_millis(ms);
                let close = stop + Duration::from_millis(ms);
                if cx.now >= close {
                    self.fault(cx.sink, dir, FaultAction::TimedOut { closing: true });
                    return Err(Turn::Close { reason: CloseReason::LocalClose, reset: false });
                }
                if cx.now >= stop {
                    if !std::mem::replace(&mut self.flow(dir).stalled, true) {
                        self.fault(cx.sink, dir, FaultAction::TimedOut { closing: false });
                    }
                    deadline = earliest(deadline, Some(close));
                } else {
                    deadline = earliest(deadline, Some(stop));
                }
            }
        }
        Ok(deadline)
    }

    fn flow(&mut self, dir: Dir) -> &mut Flow {
        match dir {
            Dir::Up => &mut self.up,
            Dir::Down => &mut self.down,
        }
    }

    /// The source and destination sides and the flow of `dir`.
    fn parts(&mut self, dir: Dir) -> (&mut Side, &mut Side, &mut Flow) {
        match dir {
            Dir::Up => (&mut self.client, &mut self.upstream, &mut self.up),
            Dir::Down => (&mut self.upstream, &mut self.client, &mut self.down),
        }
    }

    fn can_read(&self, dir: Dir, buffer: usize) -> bool {
        let (src, flow) = match dir {
            Dir::Up => (&self.client, &self.up),
            Dir::Down => (&self.upstream, &self.down),
        };
        let source_ready = dir == Dir::Up || self.connected;
        source_ready
            && src.readable
            && !src.eof
            && !flow.stalled
            && flow.limit_hit.is_none()
            && flow.queued() < buffer
    }

    /// Reads from the source of `dir` while there is room; returns whether reads are left
    /// for the next turn (the budget ran out).
    fn read(&mut self, dir: Dir, cx: &mut Ctx<'_>) -> Result<bool, Turn> {
        let mut got = 0;
        let mut actions = Vec::new();
        let f = cx.faults.dir(dir);
        // Coalesced bytes whose time came.
        if self.flow(dir).release_due(f, cx.rng, cx.now, false, &mut actions) {
            self.nodelay(cx.sink);
        }
        while self.can_read(dir, cx.buffer) {
            if got >= READ_BUDGET {
                self.emit_faults(cx.sink, dir, actions);
                return Ok(true);
            }
            let room = cx.buffer.saturating_sub(self.flow(dir).queued()).min(cx.buf.len()).max(1);
            let (src, _, flow) = self.parts(dir);
            match src.stream.read(&mut cx.buf[..room]) {
                Ok(0) => {
                    src.eof = true;
                    flow.eof = true;
                    let sliced = flow.release_due(f, cx.rng, cx.now, true, &mut actions);
                    if let Some(ms) = f.slow_close_ms {
                        flow.eof_at = Some(cx.now + Duration::from_millis(ms));
                        actions.push(FaultAction::SlowClose { ms });
                    }
                    if sliced {
                        self.nodelay(cx.sink);
                    }
                }
                Ok(n) => {
                    got += n;
                    let data = cx.buf[..n].to_vec();
                    let sliced = flow.push_read(&data, f, cx.rng, cx.now, &mut actions);
                    let upstream = self.upstream_addr;
                    self.emit(cx.sink, EventKind::Relayed { dir, data, upstream });
                    if sliced {
                        self.nodelay(cx.sink);
                    }
                    self.emit_faults(cx.sink, dir, std::mem::take(&mut actions));
                }
                Err(e) if crate::engine::would_block(&e) => src.readable = false,
                Err(e) if crate::engine::interrupted(&e) => {}
                Err(e) => {
                    self.emit_faults(cx.sink, dir, actions);
                    return Err(self.failed(dir, Op::Recv, &e, cx.sink));
                }
            }
        }
        self.emit_faults(cx.sink, dir, actions);
        Ok(false)
    }

    fn emit_faults(&mut self, sink: &EventSink, dir: Dir, actions: Vec<FaultAction>) {
        for a in actions {
            self.fault(sink, dir, a);
        }
    }

    /// Slicing: both sockets send each write at once (Nagle off), so the pieces leave apart
    /// (and the replies to them are not held back either).
    fn nodelay(&mut self, sink: &EventSink) {
        if self.nodelay {
            return;
        }
        self.nodelay = true;
        for (side, addr) in [(&self.client, self.peer), (&self.upstream, self.upstream_addr)] {
            if let Err(e) = side.stream.set_nodelay(true) {
                let p = Problem::from_io(Op::Option, Some(addr), &e);
                self.sink_gone |= !sink.emit_local(Some(self.local), Some(self.id), Some(self.peer), EventKind::Error(p));
            }
        }
    }

    /// An I/O error on the side `dir` reads from (`Op::Recv`) or writes to (`Op::Send`).
    fn failed(&mut self, dir: Dir, op: Op, e: &io::Error, sink: &EventSink) -> Turn {
        if is_reset(e) {
            return Turn::Close { reason: CloseReason::Reset, reset: true };
        }
        let addr = match (dir, op) {
            (Dir::Up, Op::Recv) | (Dir::Down, Op::Send) => self.peer,
            _ => self.upstream_addr,
        };
        self.emit(sink, EventKind::Error(Problem::from_io(op, Some(addr), e)));
        Turn::Close { reason: CloseReason::Failed, reset: false }
    }

    /// Writes what is due to the destination of `dir`; passes the close on once everything
    /// is written. Returns when to look again.
    fn write(&mut self, dir: Dir, cx: &mut Ctx<'_>) -> Result<Option<Instant>, Turn> {
        if dir == Dir::Up && !self.connected {
            return Ok(None);
        }
        let f = cx.faults.dir(dir);
        let mut deadline = self.flow(dir).held_until();
        if self.flow(dir).stalled {
            return Ok(deadline);
        }
        loop {
            let (_, dst, flow) = self.parts(dir);
            if !dst.writable {
                break;
            }
            let result = match flow.next_write(f, cx.now) {
                Ok(bytes) => dst.stream.write(bytes),
                Err((wait, action)) => {
                    deadline = earliest(deadline, wait);
                    if let Some(a) = action {
                        self.fault(cx.sink, dir, a);
                    }
                    break;
                }
            };
            match result {
                Ok(0) => return Err(Turn::Close { reason: CloseReason::Failed, reset: false }),
                Ok(n) => flow.wrote(n, f, cx.now),
                Err(e) if crate::engine::would_block(&e) => dst.writable = false,
                Err(e) if crate::engine::interrupted(&e) => {}
                Err(e) => return Err(self.failed(dir, Op::Send, &e, cx.sink)),
            }
        }
        let flow = self.flow(dir);
        if !flow.is_empty() {
            return Ok(deadline);
        }
        if let Some(bytes) = flow.limit_hit {
            self.fault(cx.sink, dir, FaultAction::LimitReached { bytes });
            return Err(Turn::Close { reason: CloseReason::LocalClose, reset: false });
        }
        if flow.eof && !flow.shut {
            if let Some(at) = flow.eof_at.filter(|at| *at > cx.now) {
                return Ok(earliest(deadline, Some(at)));
            }
            flow.shut = true;
            let (_, dst, _) = self.parts(dir);
            if let Err(e) = dst.stream.shutdown(Shutdown::Write)
                && e.kind() != io::ErrorKind::NotConnected
            {
                return Err(self.failed(dir, Op::Send, &e, cx.sink));
            }
        }
        Ok(deadline)
    }

    /// Closes both sockets (a reset sends RST on both: SO_LINGER 0) and reports it.
    pub fn close(mut self, registry: &mio::Registry, reason: CloseReason, reset: bool, sink: &EventSink) {
        for side in [&mut self.client, &mut self.upstream] {
            let _ = registry.deregister(&mut side.stream);
            if reset {
                let _ = socket2::SockRef::from(&side.stream).set_linger(Some(Duration::ZERO));
            }
        }
        self.emit(sink, EventKind::Closed { reason });
    }
}
