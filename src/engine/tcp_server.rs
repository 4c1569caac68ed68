//! TCP server worker: one listening socket and any number of clients in one poll loop.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};
use mio::{Events, Interest, Poll, Token};

use super::conn::{Conn, ReadStatus};
use super::problem::Op;
use super::reply::Replier;
use super::{CloseReason, Command, ConnId, EventKind, EventSink, Problem, ReplyMode, WAKER, WorkerHandle};
use crate::codec::Encoding;
use crate::codec::framing::Framing;

mod listen;

use listen::listen;

const LISTENER: Token = Token(0);
/// Default of [`TcpServerConfig::max_pending`]: 1 MiB per client, on top of the kernel's socket
/// buffers (a few MiB on loopback). A thousand clients that stop reading cost at most 1 GiB.
pub const DEFAULT_MAX_PENDING: usize = 1024 * 1024;
/// Longest a [`Command::HoldReads`] holds a connection's reads.
pub const HOLD_READS_MAX: Duration = Duration::from_secs(2);
/// While a hold is on, how often the waiting bytes are looked at (besides each arrival).
const HOLD_RECHECK: Duration = Duration::from_millis(10);

/// Reads of one connection held back (see [`Command::HoldReads`]).
struct Hold {
    token: Token,
    bytes: usize,
    until: Instant,
}

/// Default of [`TcpServerConfig::not_reading_timeout`].
pub const DEFAULT_NOT_READING_TIMEOUT: Duration = Duration::from_secs(10);
/// After `accept()` failed for lack of resources (no file descriptor left: EMFILE/ENFILE;
/// ENOBUFS, ENOMEM), it is tried again after this long, then twice as long each time it fails
/// again, up to [`ACCEPT_RETRY_MAX`]. Readiness alone would not bring it back: the listening
/// socket is reported readable again only when another client connects, so a client that is
/// already waiting would wait for that.
pub const ACCEPT_RETRY_MIN: Duration = Duration::from_millis(10);
/// The longest wait between two tries of a failing `accept()`.
pub const ACCEPT_RETRY_MAX: Duration = Duration::from_millis(500);
/// Default of [`TcpServerConfig::max_unfinished`]: 64 MiB for all clients together, four
/// messages of the framing limit (`codec::framing::MAX_MESSAGE`, 16 MiB) on their way. Without
/// it, 1,000 clients that each start a 16 MiB message and never end it would hold 16 GiB.
pub const DEFAULT_MAX_UNFINISHED: usize = 64 << 20;

#[derive(Clone, Debug)]
pub struct TcpServerConfig {
    /// Local address to listen on, e.g. `0.0.0.0:9999`.
    pub bind: String,
    /// `listen()` backlog: connections the OS queues before we accept them.
    pub backlog: i32,
    /// SO_REUSEADDR: restart on a port whose old connections are still in TIME_WAIT. Without it
    /// such a restart fails with [`Problem::AddrInTimeWait`] for about a minute (on Linux).
    pub reuse_addr: bool,
    pub reply: ReplyMode,
    /// Response rules; when there are any they answer instead of `reply`.
    pub rules: std::sync::Arc<super::rules::Rules>,
    pub encoding: Encoding,
    pub recv_buffer: usize,
    /// Clients connected at once; more are turned away.
    pub max_concurrent: Option<usize>,
    /// Accept this many clients in total, then stop listening and end once they have left.
    pub accept_limit: Option<u64>,
    /// How messages are delimited (replies and sends are framed, received data deframed).
    pub framing: Framing,
    /// TCP_NODELAY on every accepted connection (Nagle's algorithm off).
    pub nodelay: bool,
    /// Bytes that may wait to be sent to one client (answers and sends it has not read yet,
    /// beyond what the kernel buffers). From half of it on, the server stops reading from that
    /// client until it reads (back-pressure: its automatic answers cannot pile up). A send
    /// past the limit means the client is not reading: the server reports
    /// [`Problem::ClientNotReading`] and resets that connection; others are unaffected.
    /// Default [`DEFAULT_MAX_PENDING`].
    pub max_pending: usize,
    /// A client with bytes waiting that has taken none of them for this long is not reading
    /// either: reported and reset the same way. Default [`DEFAULT_NOT_READING_TIMEOUT`].
    pub not_reading_timeout: Duration,
    /// Bytes of unfinished framed messages (received, waiting for the rest of their message)
    /// the server holds for all its clients together. Past it, the client holding the most is
    /// told why ([`Problem::UnfinishedOverBudget`]) and disconnected, until the rest fit.
    /// Default [`DEFAULT_MAX_UNFINISHED`]; without framing nothing is held.
    pub max_unfinished: usize,
    /// Speak TLS to every client (its handshake first, `Connected` once it is done).
    pub tls: Option<super::tls::ServerTls>,
    pub thread_name: String,
}

impl Default for TcpServerConfig {
    fn default() -> Self {
        TcpServerConfig {
            bind: "127.0.0.1:0".into(),
            backlog: 1024,
            reuse_addr: true,
            reply: ReplyMode::None,
            rules: Default::default(),
            encoding: Encoding::Utf8,
            recv_buffer: super::DEFAULT_RECV_BUFFER,
            max_concurrent: None,
            accept_limit: None,
            framing: Framing::None,
            nodelay: false,
            max_pending: DEFAULT_MAX_PENDING,
            not_reading_timeout: DEFAULT_NOT_READING_TIMEOUT,
            max_unfinished: DEFAULT_MAX_UNFINISHED,
            tls: None,
            thread_name: "tcp-server".into(),
        }
    }
}

pub fn spawn(cfg: TcpServerConfig, sink: EventSink) -> Result<WorkerHandle, Problem> {
    let sink = sink.with_proto(super::Proto::Tcp);
    super::spawn_worker(cfg.thread_name.clone(), sink.clone(), move |poll, cmds| run(cfg, sink, poll, cmds))
}

fn run(cfg: TcpServerConfig, sink: EventSink, mut poll: Poll, cmds: Receiver<Command>) {
    let started = listen(&cfg).and_then(|l| {
        let mut l = mio::net::TcpListener::from_std(l);
        poll.registry()
            .register(&mut l, LISTENER, Interest::READABLE)
            .map_err(|e| Problem::io(Op::Register, None, &e))?;
        let local = l.local_addr().map_err(|e| Problem::io(Op::LocalAddr, None, &e))?;
        Ok((l, local))
    });
    let (listener, local) = match started {
        Ok(v) => v,
        Err(p) => return sink.failed_start(None, p),
    };
    let sink = sink.with_local(local);
    sink.emit(None, None, EventKind::Listening { local });
    sink.flush();

    let mut s = Server {
        listener: Some(listener),
        local,
        conns: HashMap::new(),
        next_id: 1,
        accepted: 0,
        buf: vec![0u8; cfg.recv_buffer.max(1)],
        reply: Replier::new(cfg.reply, cfg.rules.clone()),
        cfg,
        sink,
        alive: true,
        more: Vec::new(),
        waiting: HashSet::new(),
        hold: None,
        unfinished: HashMap::new(),
        unfinished_total: 0,
        accept_retry: None,
        accept_failing: false,
        handshakes: std::collections::VecDeque::new(),
    };
    let mut events = Events::with_capacity(256);
    while s.alive {
        let now = Instant::now();
        let timeout = if s.more.is_empty() { s.next_stall_check(now) } else { Some(Duration::ZERO) };
        let timeout = super::sooner(timeout, s.handshakes.front().map(|(at, _)| at.saturating_duration_since(now)));
        let timeout = super::sooner(timeout, s.accept_retry.map(|(at, _)| at.saturating_duration_since(now)));
        let timeout =
            if s.hold.is_some() { Some(timeout.map_or(HOLD_RECHECK, |t| t.min(HOLD_RECHECK))) } else { timeout };
        if let Err(e) = poll.poll(&mut events, timeout) {
            if super::interrupted(&e) {
                continue;
            }
            s.sink.emit(None, None, EventKind::Error(Problem::io(Op::Poll, None, &e)));
            break;
        }
        let mut readable: Vec<Token> = std::mem::take(&mut s.more);
        if s.accept_retry.is_some_and(|(at, _)| Instant::now() >= at) {
            s.accept_all(&poll);
        }
        for ev in events.iter() {
            match ev.token() {
                WAKER => {}
                LISTENER => s.accept_all(&poll),
                t => {
                    if ev.is_writable() {
                        s.flush(&poll, t);
                    }
                    if (ev.is_readable() || ev.is_read_closed() || ev.is_error()) && !readable.contains(&t) {
                        readable.push(t);
                    }
                }
            }
        }
        // Commands first: a rule or reply change sent before a message applies to it.
        loop {
            match cmds.try_recv() {
                Ok(Command::Stop) | Err(TryRecvError::Disconnected) => {
                    s.alive = false;
                    break;
                }
                Ok(cmd) => s.command(&poll, cmd),
                Err(TryRecvError::Empty) => break,
            }
        }
        // A held connection is looked at again at every turn, arrival or not.
        if let Some(h) = &s.hold
            && !readable.contains(&h.token)
        {
            readable.push(h.token);
        }
        for t in readable {
            if !s.held(t) {
                s.read(&poll, t);
            }
        }
        s.drop_stalled(&poll, Instant::now());
        s.drop_slow_handshakes(&poll, Instant::now());
        if s.listener.is_none() && s.conns.is_empty() {
            // The accept limit was reached and every client has left.
            s.alive = false;
        }
        s.sink.flush();
    }
    let tokens: Vec<Token> = s.conns.keys().copied().collect();
    for t in tokens {
        s.close(&poll, t, CloseReason::LocalClose);
    }
    if let Some(mut l) = s.listener.take() {
        let _ = poll.registry().deregister(&mut l);
    }
    s.sink.emit(None, None, EventKind::Stopped);
    s.sink.flush();
}

struct Server {
    listener: Option<mio::net::TcpListener>,
    local: SocketAddr,
    conns: HashMap<Token, Conn>,
    next_id: ConnId,
    accepted: u64,
    buf: Vec<u8>,
    reply: Replier,
    cfg: TcpServerConfig,
    sink: EventSink,
    alive: bool,
    /// Connections that hit the read batch limit and have more to read.
    more: Vec<Token>,
    /// Connections with bytes waiting for the client to read (checked for stalls).
    waiting: HashSet<Token>,
    /// A connection whose reads are held back, see [`Command::HoldReads`].
    hold: Option<Hold>,
    /// Bytes of unfinished framed messages each connection holds (only those holding some).
    unfinished: HashMap<Token, usize>,
    /// Their sum, kept within `cfg.max_unfinished`.
    unfinished_total: usize,
    /// `accept()` failed for lack of resources: when to try again, and the wait after that.
    accept_retry: Option<(Instant, Duration)>,
    /// Its problem was reported; reported again only after an accept worked in between.
    accept_failing: bool,
    /// TLS connections by the time their handshake must be done (accept order is deadline order).
    handshakes: std::collections::VecDeque<(Instant, Token)>,
}

impl Server {
    fn error(&mut self, conn: Option<ConnId>, peer: Option<SocketAddr>, p: Problem) {
        self.alive &= self.sink.emit(conn, peer, EventKind::Error(p));
    }

    /// Accepts every waiting client (edge-triggered readiness: until `WouldBlock`). When
    /// accepting fails for lack of resources, the clients stay in the backlog and accepting is
    /// tried again with a growing wait ([`ACCEPT_RETRY_MIN`] to [`ACCEPT_RETRY_MAX`]), the problem
    /// reported once ([`Problem::TooManyOpenFiles`] when no file descriptor is left).
    fn accept_all(&mut self, poll: &Poll) {
        loop {
            let Some(listener) = &self.listener else { return };
            match listener.accept() {
                Ok((stream, peer)) => {
                    self.accept_retry = None;
                    self.accept_failing = false;
                    self.accepted_one(poll, stream, peer);
                }
                Err(e) if super::would_block(&e) => {
                    self.accept_retry = None;
                    return;
                }
                Err(e) if super::interrupted(&e) || e.kind() == std::io::ErrorKind::ConnectionAborted => {}
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

    fn accepted_one(&mut self, poll: &Poll, mut stream: mio::net::TcpStream, peer: SocketAddr) {
        if let Some(max) = self.cfg.max_concurrent
            && self.conns.len() >= max
        {
            self.error(None, Some(peer), Problem::TooManyClients(max));
            return; // dropping the stream closes it
        }
        let id = self.next_id;
        self.next_id += 1;
        let token = Token(id as usize);
        if let Err(e) = poll.registry().register(&mut stream, token, Interest::READABLE) {
            self.error(Some(id), Some(peer), Problem::io(Op::Register, Some(peer), &e));
            return;
        }
        let local = stream.local_addr().unwrap_or(self.local);
        let mut conn = Conn::new(id, token, peer, stream, self.cfg.framing);
        conn.set_max_pending(self.cfg.max_pending);
        conn.pause_reading_at(self.cfg.max_pending / 2);
        if self.cfg.nodelay
            && let Err(e) = super::conn::set_nodelay(&conn.stream, true)
        {
            self.alive &= conn.emit_problem(&self.sink, Problem::from_io(Op::Option, Some(peer), &e));
        }
        match &self.cfg.tls {
            // `Connected` comes from the connection once the handshake is done.
            Some(tls) => match super::tls::layer::TlsLayer::server(tls) {
                Ok(layer) => {
                    self.handshakes.push_back((layer.deadline, token));
                    conn = conn.with_tls(layer);
                }
                Err(p) => {
                    self.alive &= conn.emit_problem(&self.sink, p.into());
                    return conn.close(poll.registry(), CloseReason::Failed, &self.sink);
                }
            },
            None => {
                let connected = EventKind::Connected { local, inbound: true, tls: None };
                self.alive &= self.sink.emit_local(Some(local), Some(id), Some(peer), connected);
            }
        }
        match self.reply.greeting(self.cfg.encoding, Some(peer)) {
            Ok(Some(greeting)) => {
                if let Err(reason) = conn.send(&greeting, &self.sink) {
                    conn.close(poll.registry(), reason, &self.sink);
                    return;
                }
            }
            Ok(None) => {}
            Err(p) => self.alive &= conn.emit_problem(&self.sink, p),
        }
        self.conns.insert(token, conn);
        self.update(poll, token);
        self.accepted += 1;
        if self.cfg.accept_limit.is_some_and(|limit| self.accepted >= limit)
            && let Some(mut l) = self.listener.take()
        {
            let _ = poll.registry().deregister(&mut l);
        }
    }

    fn read(&mut self, poll: &Poll, token: Token) {
        let Some(conn) = self.conns.get_mut(&token) else { return };
        let (reply, encoding, sink) = (&self.reply, self.cfg.encoding, &self.sink);
        let mut failed = None;
        let status = conn.read(&mut self.buf, sink, |conn, data| {
            let action = reply.respond(data, encoding, Some(conn.peer));
            if let Some(p) = action.problem {
                conn.emit_problem(sink, p);
            }
            if let Some(r) = action.reply
                && let Err(reason) = conn.send(&r, sink)
            {
                failed = Some(reason);
            }
            if action.close && conn.close_when_flushed.is_none() {
                conn.close_when_flushed = Some(CloseReason::LocalClose);
            }
        });
        match status {
            ReadStatus::Drained => {}
            ReadStatus::More => self.more.push(token),
            ReadStatus::Eof => {
                // Like the tutorial's servers: recv() returned b'' → finish sending, then close.
                if conn.close_when_flushed.is_none() {
                    conn.close_when_flushed = Some(CloseReason::PeerClosed);
                }
            }
            ReadStatus::Dead(reason) => failed = Some(reason),
        }
        let held = conn.unfinished();
        match failed {
            Some(reason) => self.close(poll, token, reason),
            None => {
                self.hold(token, held);
                self.update(poll, token);
                self.keep_unfinished_in_budget(poll);
            }
        }
    }

    /// Records that the connection of `token` now holds `bytes` of unfinished messages.
    fn hold(&mut self, token: Token, bytes: usize) {
        let before = if bytes == 0 { self.unfinished.remove(&token) } else { self.unfinished.insert(token, bytes) };
        self.unfinished_total = self.unfinished_total - before.unwrap_or(0) + bytes;
    }

    /// While the unfinished messages of all clients together are over the budget, disconnects
    /// the client holding the most, saying why.
    fn keep_unfinished_in_budget(&mut self, poll: &Poll) {
        let budget = self.cfg.max_unfinished;
        while self.unfinished_total > budget {
            let Some((&token, &held)) = self.unfinished.iter().max_by_key(|&(t, held)| (*held, std::cmp::Reverse(*t)))
            else {
                return;
            };
            let total = self.unfinished_total;
            if let Some(c) = self.conns.get(&token) {
                self.alive &= c.emit_problem(&self.sink, Problem::UnfinishedOverBudget { held, total, budget });
            }
            self.close(poll, token, CloseReason::LocalClose);
        }
    }

    /// True while `token`'s reads are held: fewer than the bytes asked for have arrived, the
    /// peer has not closed and the hold has not run out. Ends the hold otherwise.
    fn held(&mut self, token: Token) -> bool {
        let Some(h) = self.hold.as_ref().filter(|h| h.token == token) else { return false };
        let release = match self.conns.get(&token).map(|c| c.stream.peek(&mut self.buf)) {
            // Gone, closed by the peer (nothing more comes) or failed: read as usual.
            None | Some(Ok(0)) => true,
            Some(Ok(n)) => n >= h.bytes,
            Some(Err(e)) if super::would_block(&e) => false,
            Some(Err(_)) => true,
        };
        if release || Instant::now() >= h.until {
            self.hold = None;
            return false;
        }
        true
    }

    fn flush(&mut self, poll: &Poll, token: Token) {
        let Some(conn) = self.conns.get_mut(&token) else { return };
        match conn.flush(&self.sink) {
            Ok(()) => self.update(poll, token),
            Err(reason) => self.close(poll, token, reason),
        }
    }

    /// Closes the connection if it is due, else adjusts its poll interest.
    fn update(&mut self, poll: &Poll, token: Token) {
        let Some(conn) = self.conns.get_mut(&token) else { return };
        if let Some(reason) = conn.close_due() {
            self.close(poll, token, reason);
            return;
        }
        if conn.waiting_since().is_some() {
            self.waiting.insert(token);
        }
        if let Err(e) = conn.update_interest(poll.registry()) {
            let (id, peer) = (conn.id, conn.peer);
            self.error(Some(id), Some(peer), Problem::io(Op::Register, Some(peer), &e));
        }
    }

    fn close(&mut self, poll: &Poll, token: Token, reason: CloseReason) {
        self.waiting.remove(&token);
        self.hold(token, 0);
        if let Some(conn) = self.conns.remove(&token) {
            conn.close(poll.registry(), reason, &self.sink);
        }
    }

    /// How long until the first waiting connection would count as not reading (`None`: none
    /// waits). Forgets connections that no longer wait.
    fn next_stall_check(&mut self, now: Instant) -> Option<Duration> {
        let conns = &self.conns;
        self.waiting.retain(|t| conns.get(t).is_some_and(|c| c.waiting_since().is_some()));
        let oldest = self.waiting.iter().filter_map(|t| conns.get(t)?.waiting_since()).min()?;
        // A timeout too long to add up means never.
        Some(oldest.checked_add(self.cfg.not_reading_timeout)?.saturating_duration_since(now))
    }

    /// Resets the clients that have taken none of their waiting bytes for too long.
    fn drop_stalled(&mut self, poll: &Poll, now: Instant) {
        let limit = self.cfg.not_reading_timeout;
        let stalled: Vec<Token> = self
            .waiting
            .iter()
            .filter(|t| {
                self.conns
                    .get(t)
                    .and_then(Conn::waiting_since)
                    .is_some_and(|since| now.saturating_duration_since(since) >= limit)
            })
            .copied()
            .collect();
        for t in stalled {
            if let Some(c) = self.conns.get_mut(&t) {
                c.not_reading(&self.sink);
            }
            self.close(poll, t, CloseReason::LocalClose);
        }
    }

    /// Drops the TLS clients whose handshake is not done in time; the others are unaffected.
    fn drop_slow_handshakes(&mut self, poll: &Poll, now: Instant) {
        while let Some(&(at, token)) = self.handshakes.front().filter(|(at, _)| *at <= now) {
            self.handshakes.pop_front();
            if let Some(c) = self.conns.get(&token).filter(|c| c.handshake_deadline() == Some(at)) {
                c.handshake_timed_out(&self.sink);
                self.close(poll, token, CloseReason::Failed);
            }
        }
    }

    /// The connections a command addresses; reports an unknown id.
    fn targets(&mut self, conn: Option<ConnId>) -> Vec<Token> {
        match conn {
            None => {
                let mut all: Vec<Token> = self.conns.keys().copied().collect();
                all.sort();
                all
            }
            Some(id) => {
                let t = Token(id as usize);
                if self.conns.contains_key(&t) {
                    vec![t]
                } else {
                    self.error(Some(id), None, Problem::NoSuchConnection(id));
                    vec![]
                }
            }
        }
    }

    fn command(&mut self, poll: &Poll, cmd: Command) {
        match cmd {
            Command::Send { conn, data } => {
                if conn.is_none() && self.conns.is_empty() {
                    self.error(None, None, Problem::NotConnected);
                }
                for t in self.targets(conn) {
                    let Some(c) = self.conns.get_mut(&t) else { continue };
                    match c.send(&data, &self.sink) {
                        Ok(()) => self.update(poll, t),
                        Err(reason) => self.close(poll, t, reason),
                    }
                }
            }
            Command::ShutdownWrite { conn } => {
                for t in self.targets(conn) {
                    if let Some(c) = self.conns.get_mut(&t) {
                        c.shutdown_write(&self.sink);
                    }
                }
            }
            Command::Disconnect { conn } => {
                for t in self.targets(conn) {
                    self.close(poll, t, CloseReason::LocalClose);
                }
            }
            Command::HoldReads { conn, bytes } => {
                let token = Token(conn as usize);
                if self.conns.contains_key(&token) {
                    // At most what one read takes, so the hold can end by the bytes.
                    let bytes = bytes.clamp(1, self.buf.len());
                    self.hold = Some(Hold { token, bytes, until: Instant::now() + HOLD_READS_MAX });
                } else {
                    self.error(Some(conn), None, Problem::NoSuchConnection(conn));
                }
            }
            Command::SetReply(r) => self.reply.mode = r,
            Command::SetRules(r) => self.reply.rules = r,
            Command::SendTo { .. }
            | Command::JoinGroup(_)
            | Command::SetFaults(_)
            | Command::LeaveGroup(_)
            | Command::Generate(_)
            | Command::StopGenerate
            | Command::Stop => {}
            #[cfg(feature = "test-hooks")]
            Command::InjectPanic => super::inject_panic("TCP server"),
        }
    }
}

#[cfg(test)]
mod hold_tests {
    use std::io::Write;
    use std::time::{Duration, Instant};

    use super::*;

    /// The sticky-packet demo needs the server to read after the messages have landed: with
    /// `HoldReads` three writes made 20 ms apart come out of one read.
    #[test]
    fn held_reads_take_every_byte_at_once() {
        let (sink, events) = EventSink::channel(None);
        let h = spawn(TcpServerConfig::default(), sink).unwrap();
        let next = |what: &str, f: &dyn Fn(&EventKind) -> bool| -> EventKind {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let ev = events.recv_timeout(deadline.saturating_duration_since(Instant::now()));
                let ev = ev.unwrap_or_else(|_| panic!("no {what}"));
                if f(&ev.kind) {
                    return ev.kind;
                }
            }
        };
        let EventKind::Listening { local } = next("listening", &|k| matches!(k, EventKind::Listening { .. })) else {
            unreachable!()
        };
        let mut c = std::net::TcpStream::connect(local).unwrap();
        next("connected", &|k| matches!(k, EventKind::Connected { .. }));
        h.send(Command::HoldReads { conn: 1, bytes: 3 }).unwrap();
        for b in [b"a", b"b", b"c"] {
            c.write_all(b).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        let EventKind::Rx { data, .. } = next("rx", &|k| matches!(k, EventKind::Rx { .. })) else { unreachable!() };
        assert_eq!(data, b"abc", "one read of all three");
        // The hold is over: the next write is read on its own.
        c.write_all(b"d").unwrap();
        let EventKind::Rx { data, .. } = next("rx", &|k| matches!(k, EventKind::Rx { .. })) else { unreachable!() };
        assert_eq!(data, b"d");
        // An unknown connection is reported.
        h.send(Command::HoldReads { conn: 99, bytes: 1 }).unwrap();
        let k = next("error", &|k| matches!(k, EventKind::Error(_)));
        assert_eq!(k, EventKind::Error(Problem::NoSuchConnection(99)));
        h.request_stop();
    }
}
