//! The UDP relay worker: one listening socket for the clients, one upstream socket per client
//! session (`udp_session.rs`), and the faults of each direction (`udp_faults.rs`).
//!
//! Every datagram read becomes a `Relayed` row (`Up` from a client, `Down` from the upstream),
//! then the faults of its direction apply (`Fault` rows) and it is sent on, now or when a held
//! datagram's time comes. Every datagram that is not sent, for a fault or because sending
//! failed, is a `Dropped` row: per direction, `Relayed` rows = sent + `Dropped` rows, and the
//! `Duplicated` rows count the extra copies. All timers (held datagrams, idle sessions) are the
//! poll's timeout.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};
use mio::{Events, Interest, Poll, Token};

use super::udp_faults::Link;
use super::udp_session::{Found, Sessions};
use super::{FaultAction, Faults, RelayConfig, Rng};
use crate::engine::problem::Op;
use crate::engine::{Command, ConnId, Dir, EventKind, EventSink, Problem, Proto, WorkerHandle};

/// The listening socket's token (sessions use their conn, from 1).
const LISTEN: Token = Token(0);
/// Datagrams read from one socket per wake-up before the others (and commands) get a turn.
const READ_BATCH: usize = 1024;

/// Starts the UDP relay. Binding and resolving happen on the worker: their result arrives as
/// `Listening`, or `Error` + `Stopped`.
pub fn start(cfg: RelayConfig, sink: EventSink) -> Result<WorkerHandle, Problem> {
    let sink = sink.with_proto(Proto::Udp);
    crate::engine::spawn_worker(cfg.thread_name.clone(), sink.clone(), move |poll, cmds| run(cfg, sink, poll, cmds))
}

/// Bound listening socket, its address and the resolved upstream.
fn set_up(cfg: &RelayConfig, poll: &Poll) -> Result<(mio::net::UdpSocket, SocketAddr, SocketAddr), Problem> {
    cfg.faults.check(Proto::Udp).map_err(Problem::FaultSpec)?;
    let addr = crate::engine::resolve(&cfg.listen)?;
    let std_sock = crate::engine::udp::bind_socket(addr, false, false, None)?;
    // A wish, like the UDP worker's default: a relay that logs every datagram needs room.
    let _ = socket2::SockRef::from(&std_sock).set_recv_buffer_size(crate::engine::udp::DEFAULT_SO_RCVBUF);
    let mut sock = mio::net::UdpSocket::from_std(std_sock);
    poll.registry().register(&mut sock, LISTEN, Interest::READABLE).map_err(|e| Problem::io(Op::Register, None, &e))?;
    let local = sock.local_addr().map_err(|e| Problem::io(Op::LocalAddr, None, &e))?;
    let upstream = crate::engine::resolve(&cfg.upstream)?;
    Ok((sock, local, upstream))
}

fn run(cfg: RelayConfig, sink: EventSink, mut poll: Poll, cmds: Receiver<Command>) {
    let (listen, local, upstream) = match set_up(&cfg, &poll) {
        Ok(v) => v,
        Err(p) => return sink.failed_start(None, p),
    };
    let sink = sink.with_local(local);
    let mut w = Relay {
        listen,
        upstream,
        alive: sink.emit(None, None, EventKind::Listening { local }),
        sink,
        #[cfg(target_os = "linux")]
        batch: crate::engine::mmsg::Batch::new(cfg.recv_buffer),
        #[cfg(not(target_os = "linux"))]
        buf: vec![0u8; cfg.recv_buffer.max(1)],
        faults: cfg.faults.clone(),
        rng: Rng::new(cfg.seed),
        up: Link::default(),
        down: Link::default(),
        sessions: Sessions::default(),
        buffer: cfg.buffer,
        idle: cfg.idle_timeout,
        max_clients: cfg.max_clients,
    };
    w.sink.flush();
    let mut events = Events::with_capacity(64);
    // Sockets whose last read stopped at READ_BATCH: read again without waiting.
    let mut more: Vec<Token> = Vec::new();
    while w.alive {
        let timeout = if more.is_empty() { w.next_deadline().map(|t| t.saturating_duration_since(Instant::now())) } else { Some(Duration::ZERO) };
        if let Err(e) = poll.poll(&mut events, timeout) {
            if crate::engine::interrupted(&e) {
                continue;
            }
            w.alive = w.sink.emit(None, None, EventKind::Error(Problem::io(Op::Poll, None, &e)));
            break;
        }
        let mut ready = std::mem::take(&mut more);
        for ev in events.iter() {
            // A connected socket's ICMP error (port unreachable) comes as an error event.
            if (ev.is_readable() || ev.is_error()) && ev.token() != crate::engine::WAKER && !ready.contains(&ev.token()) {
                ready.push(ev.token());
            }
        }
        // Commands first: faults changed before a datagram apply to it.
        loop {
            match cmds.try_recv() {
                Ok(Command::Stop) | Err(TryRecvError::Disconnected) => {
                    w.alive = false;
                    break;
                }
                Ok(Command::SetFaults(f)) => w.set_faults(*f),
                #[cfg(feature = "test-hooks")]
                Ok(Command::InjectPanic) => crate::engine::inject_panic("relay"),
                Ok(_) => {}
                Err(TryRecvError::Empty) => break,
            }
        }
        for token in ready {
            if !w.alive {
                break;
            }
            if w.read(token, &poll) {
                more.push(token);
            }
        }
        let now = Instant::now();
        w.send_due(now);
        w.expire(now, &poll);
        w.sink.flush();
    }
    w.finish(&poll);
}

struct Relay {
    listen: mio::net::UdpSocket,
    upstream: SocketAddr,
    sink: EventSink,
    #[cfg(target_os = "linux")]
    batch: crate::engine::mmsg::Batch,
    #[cfg(not(target_os = "linux"))]
    buf: Vec<u8>,
    faults: Faults,
    rng: Rng,
    up: Link,
    down: Link,
    sessions: Sessions,
    buffer: usize,
    idle: Duration,
    max_clients: usize,
    alive: bool,
}

impl Relay {
    fn link(&mut self, dir: Dir) -> &mut Link {
        match dir {
            Dir::Up => &mut self.up,
            Dir::Down => &mut self.down,
        }
    }

    fn emit(&mut self, conn: ConnId, client: SocketAddr, kind: EventKind) {
        self.alive &= self.sink.emit(Some(conn), Some(client), kind);
    }

    fn fault(&mut self, conn: ConnId, client: SocketAddr, dir: Dir, action: FaultAction) {
        let upstream = self.upstream;
        self.emit(conn, client, EventKind::Fault { dir, action, upstream });
    }

    fn set_faults(&mut self, f: Faults) {
        match f.check(Proto::Udp) {
            Ok(()) => self.faults = f,
            Err(e) => self.alive &= self.sink.emit(None, None, EventKind::Error(Problem::FaultSpec(e))),
        }
    }

    /// The nearest timer: a held datagram's time or a session's idle end.
    fn next_deadline(&self) -> Option<Instant> {
        [self.up.next_due(), self.down.next_due(), self.sessions.next_expiry(self.idle)].into_iter().flatten().min()
    }

    /// Reads what waits on one socket (at most READ_BATCH datagrams); true if there may be more.
    fn read(&mut self, token: Token, poll: &Poll) -> bool {
        let conn = token.0 as ConnId;
        let mut read = 0;
        while read < READ_BATCH && self.alive {
            let got = if token == LISTEN {
                self.recv_some(None)
            } else {
                match self.sessions.by_conn.get(&conn).map(|s| s.client) {
                    Some(client) => self.recv_some(Some(conn)).map(|v| v.into_iter().map(|(d, _)| (d, client)).collect()),
                    None => return false, // Expired meanwhile.
                }
            };
            match got {
                Ok(datagrams) => {
                    read += datagrams.len().max(1);
                    for (data, from) in datagrams {
                        if token == LISTEN {
                            self.client_datagram(from, data, poll);
                        } else {
                            self.upstream_datagram(conn, from, data);
                        }
                    }
                }
                Err(e) if crate::engine::would_block(&e) => return false,
                Err(e) if crate::engine::interrupted(&e) => {}
                Err(e) => {
                    self.recv_error(token, &e);
                    return false;
                }
            }
        }
        self.alive
    }

    /// A read error: on a session socket "connection refused" is the upstream's ICMP port
    /// unreachable (nothing listens there); the session stays, and so does the relay.
    fn recv_error(&mut self, token: Token, e: &io::Error) {
        let conn = token.0 as ConnId;
        let client = self.sessions.by_conn.get(&conn).map(|s| s.client);
        let p = match (e.kind(), client) {
            (io::ErrorKind::ConnectionRefused, Some(_)) => Problem::NobodyListening(self.upstream),
            (_, Some(_)) => Problem::from_io(Op::Recv, Some(self.upstream), e),
            (_, None) => Problem::from_io(Op::Recv, None, e),
        };
        let conn = client.map(|_| conn);
        self.alive &= self.sink.emit(conn, client, EventKind::Error(p));
    }

    /// Receives what waits on the listening socket (`conn` None) or a session's socket: the
    /// datagrams and who sent them.
    #[cfg(target_os = "linux")]
    fn recv_some(&mut self, conn: Option<ConnId>) -> io::Result<Vec<(Vec<u8>, SocketAddr)>> {
        let n = match conn {
            None => self.batch.recv(&self.listen)?,
            Some(c) => match self.sessions.by_conn.get(&c) {
                Some(s) => self.batch.recv(&s.sock)?,
                None => return Ok(Vec::new()),
            },
        };
        Ok((0..n).filter_map(|i| self.batch.get(i)).filter_map(|g| Some((g.data.to_vec(), g.peer?))).collect())
    }

    #[cfg(not(target_os = "linux"))]
    fn recv_some(&mut self, conn: Option<ConnId>) -> io::Result<Vec<(Vec<u8>, SocketAddr)>> {
        let (n, peer) = match conn {
            None => self.listen.recv_from(&mut self.buf)?,
            Some(c) => match self.sessions.by_conn.get(&c) {
                Some(s) => (s.sock.recv(&mut self.buf)?, self.upstream),
                None => return Ok(Vec::new()),
            },
        };
        Ok(vec![(self.buf.get(..n).unwrap_or_default().to_vec(), peer)])
    }

    fn client_datagram(&mut self, client: SocketAddr, data: Vec<u8>, poll: &Poll) {
        let now = Instant::now();
        match self.sessions.find_or_make(client, self.upstream, self.max_clients, poll.registry(), now) {
            Found::Session { conn, new } => {
                if new && let Some(local) = self.sessions.by_conn.get(&conn).map(|s| s.local) {
                    let upstream = self.upstream;
                    self.emit(conn, client, EventKind::UpstreamConnected { local, upstream });
                }
                self.relay(Dir::Up, conn, client, data, now);
            }
            Found::Full { tell: true } => {
                let p = Problem::TooManyClients(self.max_clients);
                self.alive &= self.sink.emit(None, Some(client), EventKind::Error(p));
            }
            Found::Full { tell: false } => {}
            Found::Failed(p) => self.alive &= self.sink.emit(None, Some(client), EventKind::Error(p)),
        }
    }

    fn upstream_datagram(&mut self, conn: ConnId, client: SocketAddr, data: Vec<u8>) {
        let now = Instant::now();
        if let Some(s) = self.sessions.by_conn.get_mut(&conn) {
            s.last = now;
        }
        self.relay(Dir::Down, conn, client, data, now);
    }

    /// One datagram read: logged, faults applied, sent now or held.
    fn relay(&mut self, dir: Dir, conn: ConnId, client: SocketAddr, data: Vec<u8>, now: Instant) {
        let upstream = self.upstream;
        self.emit(conn, client, EventKind::Relayed { dir, data: data.clone(), upstream });
        let link = match dir {
            Dir::Up => &mut self.up,
            Dir::Down => &mut self.down,
        };
        let admitted = link.admit(self.faults.dir(dir), &mut self.rng, (conn, client), data, now, self.buffer);
        for action in admitted.actions {
            self.fault(conn, client, dir, action);
        }
        for (data, copy) in admitted.now {
            self.send(dir, conn, client, &data, copy);
        }
    }

    /// Sends the held datagrams whose time has come.
    fn send_due(&mut self, now: Instant) {
        for dir in Dir::BOTH {
            while self.alive
                && let Some(h) = self.link(dir).pop_due(now)
            {
                self.send(dir, h.conn, h.client, &h.data, h.copy);
            }
        }
    }

    /// Sends one datagram on: `Up` on the session's socket, `Down` to the client from the
    /// listening socket. One that cannot go is a `Dropped` row (with the error's row first).
    fn send(&mut self, dir: Dir, conn: ConnId, client: SocketAddr, data: &[u8], copy: bool) {
        let r = match dir {
            Dir::Up => match self.sessions.by_conn.get(&conn) {
                Some(s) => s.sock.send(data),
                // The session ended while its datagram was held: dropped like a full queue's.
                None => Err(io::ErrorKind::WouldBlock.into()),
            },
            Dir::Down => self.listen.send_to(data, client),
        };
        let to = match dir {
            Dir::Up => self.upstream,
            Dir::Down => client,
        };
        match r {
            Ok(_) => self.link(dir).sent(copy),
            Err(e) => {
                // A full kernel buffer drops it, as a router's full queue would: no error row.
                if !crate::engine::would_block(&e) {
                    let p = match (dir, e.kind()) {
                        (Dir::Up, io::ErrorKind::ConnectionRefused) => Problem::NobodyListening(to),
                        _ => match Problem::from_io(Op::Send, Some(to), &e) {
                            Problem::TooBig { .. } => Problem::too_big(data.len(), Some(to)),
                            p => p,
                        },
                    };
                    self.emit(conn, client, EventKind::Error(p));
                }
                if self.link(dir).failed(copy) {
                    self.fault(conn, client, dir, FaultAction::Dropped { len: data.len() });
                }
            }
        }
    }

    /// Forgets idle sessions.
    fn expire(&mut self, now: Instant, poll: &Poll) {
        for (conn, client) in self.sessions.expire(now, self.idle, poll.registry()) {
            self.emit(conn, client, EventKind::Closed { reason: crate::engine::CloseReason::LocalClose });
        }
    }

    /// The relay ends: held datagrams are dropped (and said so), sessions closed.
    fn finish(&mut self, poll: &Poll) {
        self.alive = true; // Whatever ended the loop, the last rows are still offered.
        for dir in Dir::BOTH {
            for h in self.link(dir).drain() {
                if self.link(dir).failed(h.copy) {
                    self.fault(h.conn, h.client, dir, FaultAction::Dropped { len: h.data.len() });
                }
            }
        }
        // Every datagram read was sent or dropped, and said so (the tests run debug builds).
        debug_assert!(
            [self.up.counts, self.down.counts].iter().all(|c| c.received == c.sent + c.dropped),
            "relay counts: up {:?}, down {:?}",
            self.up.counts,
            self.down.counts
        );
        for (conn, client) in self.sessions.close_all(poll.registry()) {
            self.emit(conn, client, EventKind::Closed { reason: crate::engine::CloseReason::LocalClose });
        }
        let _ = poll.registry().deregister(&mut self.listen);
        self.sink.emit(None, None, EventKind::Stopped);
        self.sink.flush();
    }
}
