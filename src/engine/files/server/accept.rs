//! The file server's connections: accepting (with a retry after running out of file
//! descriptors), turning clients away past the limit, and one readiness step of a client.

use super::*;

impl Server {
    pub(super) fn accept_all(&mut self, poll: &Poll) {
        self.accept_retry = None;
        loop {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    (self.accept_failing, self.accept_backoff) = (false, ACCEPT_RETRY_MIN);
                    self.accepted(poll, stream, peer);
                }
                Err(e) if engine::would_block(&e) => return,
                // That one client gave up before we accepted it; the others are still queued.
                Err(e) if engine::interrupted(&e) || e.kind() == io::ErrorKind::ConnectionAborted => {}
                Err(e) => {
                    // EMFILE and the like: the clients stay queued, and no new readiness comes
                    // for them, so try again later; say it once, not at every retry.
                    if !self.accept_failing {
                        self.accept_failing = true;
                        let p = Problem::from_io(Op::Accept, Some(self.local), &e);
                        self.alive &= self.sink.emit(None, None, EventKind::Error(p));
                    }
                    self.accept_retry = Some(Instant::now() + self.accept_backoff);
                    self.accept_backoff = (self.accept_backoff * 2).min(ACCEPT_RETRY_MAX);
                    return;
                }
            }
        }
    }

    pub(super) fn accepted(&mut self, poll: &Poll, mut stream: mio::net::TcpStream, peer: SocketAddr) {
        let max = self.cfg.max_clients.max(1);
        if self.clients.len() >= max {
            return self.turn_away(poll, stream, peer, max);
        }
        let id = self.next_id;
        self.next_id += 1;
        let token = Token(id as usize);
        if let Err(e) = poll.registry().register(&mut stream, token, Interest::READABLE) {
            let p = Problem::io(Op::Register, Some(peer), &e);
            self.alive &= self.sink.emit(Some(id), Some(peer), EventKind::Error(p));
            return;
        }
        let local = stream.local_addr().unwrap_or(self.local);
        let phase = match self.cfg.protocol {
            FileProtocol::Tutorial => Phase::Tutorial(Vec::new()),
            FileProtocol::Framed => Phase::Framed(LineParser::new()),
        };
        let request_by = Instant::now() + REQUEST_TIMEOUT;
        let c = Client {
            id,
            token,
            peer,
            local,
            stream,
            interest: Interest::READABLE,
            phase,
            deadline: Some(request_by),
            request_by,
        };
        self.alive &= c.emit(&self.sink, EventKind::Connected { local, inbound: true, tls: None });
        self.clients.insert(token, c);
        // Data may have arrived with the connection.
        self.step(poll, token, |s, c| s.read_request(c));
    }

    /// The server is full: says so (framed: `ERR busy <why>`; tutorial: nothing, as for any
    /// refusal), shuts our side and reads the client's request until it closes, for at most
    /// [`DRAIN_TIMEOUT`]. Never counted as connected.
    pub(super) fn turn_away(&mut self, poll: &Poll, mut stream: mio::net::TcpStream, peer: SocketAddr, max: usize) {
        self.alive &= self.sink.emit(None, Some(peer), EventKind::Error(Problem::TooManyClients(max)));
        if self.turned_away.len() >= MAX_TURNED_AWAY {
            return; // dropping the stream closes it
        }
        if self.cfg.protocol == FileProtocol::Framed {
            let line =
                Response::error(ErrCode::Busy, &crate::engine::files::wire::message(&FileError::Busy { max })).encode();
            // A fresh socket's buffer takes a short line whole; if not, the client gets less.
            let _ = stream.write(&line);
        }
        if stream.shutdown(Shutdown::Write).is_err() || !drain_quietly(&mut stream, &mut self.buf) {
            return;
        }
        let token = Token(self.next_id as usize);
        self.next_id += 1;
        if poll.registry().register(&mut stream, token, Interest::READABLE).is_ok() {
            self.turned_away.insert(token, TurnedAway { stream, until: Instant::now() + DRAIN_TIMEOUT });
        }
    }

    pub(super) fn drain_turned_away(&mut self, poll: &Poll, t: Token) {
        let Some(a) = self.turned_away.get_mut(&t) else { return };
        if !drain_quietly(&mut a.stream, &mut self.buf)
            && let Some(mut a) = self.turned_away.remove(&t)
        {
            let _ = poll.registry().deregister(&mut a.stream);
        }
    }

    /// Runs `f` on one client, then closes it or updates its poll interest.
    pub(super) fn step(&mut self, poll: &Poll, t: Token, f: impl FnOnce(&mut Server, &mut Client) -> Step) {
        let Some(mut c) = self.clients.remove(&t) else { return };
        match f(self, &mut c) {
            Err(reason) => self.close(poll, c, reason),
            Ok(()) => {
                let want = c.wanted_interest();
                if want != c.interest {
                    if let Err(e) = poll.registry().reregister(&mut c.stream, t, want) {
                        let p = Problem::io(Op::Register, Some(c.peer), &e);
                        self.alive &= c.emit(&self.sink, EventKind::Error(p));
                        return self.close(poll, c, CloseReason::Failed);
                    }
                    c.interest = want;
                }
                self.clients.insert(t, c);
            }
        }
    }

    pub(super) fn close(&mut self, poll: &Poll, mut c: Client, reason: CloseReason) {
        if matches!(c.phase, Phase::Hashing(_)) {
            self.cancel_hashing(c.token);
        }
        let _ = poll.registry().deregister(&mut c.stream);
        if reason == CloseReason::LocalClose {
            let _ = c.stream.shutdown(Shutdown::Both);
        }
        self.alive &= c.emit(&self.sink, EventKind::Closed { reason });
    }

    pub(super) fn on_ready(&mut self, poll: &Poll, t: Token, readable: bool, writable: bool) {
        self.step(poll, t, |s, c| {
            match c.phase {
                Phase::Tutorial(_) | Phase::Framed(_) if readable => s.read_request(c)?,
                Phase::Draining if readable => s.drain(c)?,
                Phase::Hashing(_) if readable => s.watch(c)?,
                _ => {}
            }
            match c.phase {
                Phase::Sending(_) if writable => s.send_some(c),
                _ => Ok(()),
            }
        });
    }
}
