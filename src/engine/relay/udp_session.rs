//! The UDP relay's sessions: each client address gets a numbered `conn` and its own upstream
//! socket (connected to the upstream), so the upstream's replies find their way back to the
//! client they answer. A session with no datagram either way for the idle timeout is forgotten.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use mio::{Interest, Registry, Token};

use crate::engine::problem::Op;
use crate::engine::{ConnId, Problem};

/// Client addresses remembered as turned away (so each is told once), at most.
const REFUSED_MEMORY: usize = 4096;

/// One client's session.
pub(super) struct Session {
    pub client: SocketAddr,
    pub sock: mio::net::UdpSocket,
    /// The session socket's address (towards the upstream).
    pub local: SocketAddr,
    /// The last datagram either way.
    pub last: Instant,
}

/// The poll token of session `conn` (the listening socket has token 0; conns start at 1).
pub(super) fn token(conn: ConnId) -> Token {
    Token(usize::try_from(conn).unwrap_or(usize::MAX / 2))
}

/// What a datagram from a client found.
pub(super) enum Found {
    /// The client's session (`new`: made for this datagram).
    Session { conn: ConnId, new: bool },
    /// No room for another session: turned away (`tell`: the first time for this client).
    Full { tell: bool },
    /// The session's socket could not be made.
    Failed(Problem),
}

#[derive(Default)]
pub(super) struct Sessions {
    by_client: HashMap<SocketAddr, ConnId>,
    pub by_conn: HashMap<ConnId, Session>,
    last_conn: ConnId,
    refused: HashSet<SocketAddr>,
    refused_order: VecDeque<SocketAddr>,
}

impl Sessions {
    /// The session of `client`, made (and registered in the poll) when it has none yet.
    pub fn find_or_make(
        &mut self,
        client: SocketAddr,
        upstream: SocketAddr,
        max: usize,
        registry: &Registry,
        now: Instant,
    ) -> Found {
        if let Some(&conn) = self.by_client.get(&client) {
            if let Some(s) = self.by_conn.get_mut(&conn) {
                s.last = now;
            }
            return Found::Session { conn, new: false };
        }
        if self.by_conn.len() >= max {
            return Found::Full { tell: self.remember_refused(client) };
        }
        let conn = self.last_conn + 1;
        match open(upstream, registry, token(conn)) {
            Ok((sock, local)) => {
                self.last_conn = conn;
                self.by_client.insert(client, conn);
                self.by_conn.insert(conn, Session { client, sock, local, last: now });
                if self.refused.remove(&client) {
                    self.refused_order.retain(|c| *c != client);
                }
                Found::Session { conn, new: true }
            }
            Err(p) => Found::Failed(p),
        }
    }

    /// True the first time `client` is turned away (the memory is bounded: the oldest goes).
    fn remember_refused(&mut self, client: SocketAddr) -> bool {
        if !self.refused.insert(client) {
            return false;
        }
        self.refused_order.push_back(client);
        if self.refused_order.len() > REFUSED_MEMORY
            && let Some(old) = self.refused_order.pop_front()
        {
            self.refused.remove(&old);
        }
        true
    }

    /// Forgets (and deregisters) the sessions idle for `idle` at `now`: their conns and clients.
    pub fn expire(&mut self, now: Instant, idle: Duration, registry: &Registry) -> Vec<(ConnId, SocketAddr)> {
        let mut gone: Vec<(ConnId, SocketAddr)> =
            self.by_conn.iter().filter(|(_, s)| now >= s.last + idle).map(|(c, s)| (*c, s.client)).collect();
        gone.sort_unstable();
        for (conn, client) in &gone {
            self.close(*conn, registry);
            self.by_client.remove(client);
        }
        gone
    }

    /// Forgets every session (the relay ends), in conn order.
    pub fn close_all(&mut self, registry: &Registry) -> Vec<(ConnId, SocketAddr)> {
        let mut all: Vec<(ConnId, SocketAddr)> = self.by_conn.iter().map(|(c, s)| (*c, s.client)).collect();
        all.sort_unstable();
        for (conn, _) in &all {
            self.close(*conn, registry);
        }
        self.by_client.clear();
        all
    }

    fn close(&mut self, conn: ConnId, registry: &Registry) {
        if let Some(mut s) = self.by_conn.remove(&conn) {
            let _ = registry.deregister(&mut s.sock);
        }
    }

    /// When the next session becomes idle.
    pub fn next_expiry(&self, idle: Duration) -> Option<Instant> {
        self.by_conn.values().map(|s| s.last + idle).min()
    }
}

/// A session socket: bound to the unspecified address of the upstream's family, port 0,
/// connected to the upstream, registered for reading.
fn open(upstream: SocketAddr, registry: &Registry, token: Token) -> Result<(mio::net::UdpSocket, SocketAddr), Problem> {
    let any = match upstream {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    };
    let mut sock = mio::net::UdpSocket::bind(any).map_err(|e| Problem::from_io(Op::Bind, Some(any), &e))?;
    sock.connect(upstream).map_err(|e| Problem::from_io(Op::Connect, Some(upstream), &e))?;
    let local = sock.local_addr().map_err(|e| Problem::io(Op::LocalAddr, None, &e))?;
    registry.register(&mut sock, token, Interest::READABLE).map_err(|e| Problem::io(Op::Register, None, &e))?;
    Ok((sock, local))
}
