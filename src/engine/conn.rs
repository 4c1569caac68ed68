//! One TCP connection inside a worker: non-blocking reads, a bounded send queue, half-close.
//! Shared by the TCP server (many connections) and the TCP client (one).

#![allow(
    clippy::indexing_slicing,
    reason = "slices up to the byte count the OS read or sent, which the buffer length bounds"
)]

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::Instant;

use mio::{Interest, Registry, Token};

mod tls_io;

use super::problem::Op;
use super::tls::TlsProblem;
use super::tls::layer::TlsLayer;
use super::{CloseReason, ConnId, EventKind, EventSink, Problem};
use crate::codec::framing::{Deframer, Framing};

/// Bytes one connection may have waiting to be sent before it counts as "not reading", unless
/// its owner sets another limit ([`Conn::set_max_pending`]; the TCP server uses
/// `TcpServerConfig::max_pending`). These bytes are on top of what the kernel's socket buffers
/// already hold.
pub(crate) const MAX_PENDING: usize = 16 * 1024 * 1024;
/// Reads per wake-up before other connections and commands get a turn.
const READ_BATCH: usize = 64;
/// Bytes read per turn before other connections and commands get theirs: one client streaming
/// flat out delays the others by at most this much work (not READ_BATCH full buffers).
const READ_BUDGET: usize = 256 * 1024;

/// What reading found.
pub(crate) enum ReadStatus {
    /// Everything available was read.
    Drained,
    /// The batch limit was hit; more may be waiting.
    More,
    /// The peer closed its sending side (recv returned 0).
    Eof,
    /// The connection is gone (reset or another error, already reported).
    Dead(CloseReason),
}

pub(crate) struct Conn {
    pub id: ConnId,
    pub token: Token,
    pub peer: SocketAddr,
    /// Our end of the connection.
    pub local: Option<SocketAddr>,
    pub stream: mio::net::TcpStream,
    out: VecDeque<u8>,
    want_write: bool,
    /// Registered for reading (false while reading is paused, see [`Conn::pause_reading_at`]).
    reading: bool,
    /// When bytes last went to the kernel, or when the queue last started filling.
    last_progress: Instant,
    /// Shut down our sending side once `out` is empty.
    pub shutdown_when_flushed: bool,
    /// Close once `out` is empty, with this reason.
    pub close_when_flushed: Option<CloseReason>,
    pub write_shut: bool,
    /// How messages are delimited on this connection; `None` logs each read as it came.
    framing: Framing,
    deframer: Option<Deframer>,
    /// Bytes `out` may hold before the peer counts as not reading.
    max_pending: usize,
    /// Stop reading from the peer while `out` holds this many bytes (back-pressure).
    pause_at: Option<usize>,
    /// The peer was found not reading: the connection is being dropped (with a reset, see
    /// [`Conn::close`]); nothing more is queued or read.
    aborted: bool,
    /// TLS between the socket and `out`/the reads: `out` then holds plaintext not yet handed to
    /// rustls, which holds the ciphertext not yet taken by the kernel.
    tls: Option<Box<TlsLayer>>,
    /// Nothing has been received yet (a plain connection looks at its first bytes for TLS).
    first_read: bool,
}

/// TCP_NODELAY: turn Nagle's algorithm off, so small writes leave at once instead of waiting
/// to be merged with the next ones.
pub(crate) fn set_nodelay(stream: &mio::net::TcpStream, on: bool) -> io::Result<()> {
    stream.set_nodelay(on)
}

impl Conn {
    pub fn new(id: ConnId, token: Token, peer: SocketAddr, stream: mio::net::TcpStream, framing: Framing) -> Conn {
        Conn {
            id,
            token,
            peer,
            local: stream.local_addr().ok(),
            stream,
            out: VecDeque::new(),
            want_write: false,
            reading: true,
            last_progress: Instant::now(),
            shutdown_when_flushed: false,
            close_when_flushed: None,
            write_shut: false,
            framing,
            deframer: (framing != Framing::None).then(|| Deframer::new(framing)),
            max_pending: MAX_PENDING,
            pause_at: None,
            aborted: false,
            tls: None,
            first_read: true,
        }
    }

    /// Bytes wait to be sent: plaintext in `out`, or ciphertext rustls holds.
    fn unsent(&self) -> bool {
        !self.out.is_empty() || self.tls.as_ref().is_some_and(|t| t.conn.wants_write())
    }

    /// How many bytes may wait to be sent before the peer counts as not reading (at least 1).
    pub fn set_max_pending(&mut self, bytes: usize) {
        self.max_pending = bytes.max(1);
    }

    /// Back-pressure, as a blocking server gets for free: while `bytes` or more wait to be sent,
    /// nothing more is read from the peer (so its automatic answers cannot pile up); TCP flow
    /// control then slows the peer down. Reading resumes once the queue is shorter.
    pub fn pause_reading_at(&mut self, bytes: usize) {
        self.pause_at = Some(bytes.max(1));
    }

    /// Reading is paused: too many bytes wait for the peer to read them.
    fn backlogged(&self) -> bool {
        self.pause_at.is_some_and(|p| self.out.len() >= p)
    }

    /// Queuing `adding` more bytes shows the peer is not reading: the queue is already behind
    /// (at the pause point; without one, not empty) and would pass the limit. A peer that keeps
    /// up may still get one message larger than the limit (bounded by the message itself).
    fn over_limit(&self, adding: usize) -> bool {
        self.out.len() >= self.pause_at.unwrap_or(1) && self.out.len() + adding > self.max_pending
    }

    /// Since when bytes have been waiting without any going out; `None` if nothing waits.
    pub fn waiting_since(&self) -> Option<Instant> {
        self.unsent().then_some(self.last_progress)
    }

    /// Gives up on a peer that does not read: reports it, and [`Conn::close`] will reset it.
    pub fn not_reading(&mut self, sink: &EventSink) {
        if !self.aborted {
            self.aborted = true;
            self.emit(sink, EventKind::Error(Problem::ClientNotReading(self.out.len())));
        }
    }

    pub(crate) fn emit_problem(&self, sink: &EventSink, p: Problem) -> bool {
        self.emit(sink, EventKind::Error(p))
    }

    fn emit(&self, sink: &EventSink, kind: EventKind) -> bool {
        sink.emit_local(self.local, Some(self.id), Some(self.peer), kind)
    }

    /// Reads what is available, calling `on_data` for each chunk as the OS returned it (for TLS,
    /// each piece of plaintext rustls gave).
    pub fn read(&mut self, buf: &mut [u8], sink: &EventSink, mut on_data: impl FnMut(&mut Conn, &[u8])) -> ReadStatus {
        if self.tls.is_some() {
            return self.read_tls(buf, sink, &mut on_data);
        }
        let mut got = 0;
        for _ in 0..READ_BATCH {
            if got >= READ_BUDGET {
                break;
            }
            if self.backlogged() {
                // Paused until the peer reads; `update_interest` re-arms reading then.
                return ReadStatus::Drained;
            }
            match self.stream.read(buf) {
                Ok(0) => return self.eof(sink),
                Ok(n) => {
                    got += n;
                    if std::mem::take(&mut self.first_read) && n >= 5 && crate::codec::tls::looks_like_tls(&buf[..n]) {
                        // A TLS client (or server) talking to our plain TCP: say so once.
                        self.emit(sink, EventKind::Error(Problem::Tls(TlsProblem::PeerSpeaksTls)));
                    }
                    if let Some(status) = self.deliver(&buf[..n], sink, &mut on_data) {
                        return status;
                    }
                }
                Err(e) if super::would_block(&e) => return ReadStatus::Drained,
                Err(e) if super::interrupted(&e) => {}
                Err(e) => return ReadStatus::Dead(self.fail(Op::Recv, &e, sink)),
            }
        }
        ReadStatus::More
    }

    /// The peer closed its side. An unfinished message at the end of the stream is still logged.
    fn eof(&mut self, sink: &EventSink) -> ReadStatus {
        if let Some(rest) = self.deframer.as_mut().and_then(Deframer::finish) {
            self.emit(sink, EventKind::Rx { data: rest, lost: 0 });
        }
        ReadStatus::Eof
    }

    /// Logs and answers received bytes: each read is one row without framing; with framing,
    /// each whole message. `Some` when reading must stop.
    fn deliver(
        &mut self,
        chunk: &[u8],
        sink: &EventSink,
        on_data: &mut impl FnMut(&mut Conn, &[u8]),
    ) -> Option<ReadStatus> {
        let messages = match self.deframer.as_mut() {
            Some(d) => d.push_frames(chunk).into_iter().map(|f| f.payload).collect(),
            None => vec![chunk.to_vec()],
        };
        for data in messages {
            if !self.emit(sink, EventKind::Rx { data: data.clone(), lost: 0 }) {
                return Some(ReadStatus::Dead(CloseReason::LocalClose));
            }
            on_data(self, &data);
            if self.aborted {
                // The answer found the peer not reading: stop here, it is dropped.
                return Some(ReadStatus::Dead(CloseReason::LocalClose));
            }
        }
        None
    }

    /// Bytes of an unfinished framed message the deframer holds, waiting for the rest (0 without
    /// framing). At most the framing's message limit plus 8 bytes.
    pub fn unfinished(&self) -> usize {
        self.deframer.as_ref().map_or(0, Deframer::pending)
    }

    /// Bytes queued and not yet taken by the kernel.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    /// Frames a message, queues it and writes as much as the kernel takes now.
    ///
    /// If the queue is already behind and this message would take it past the limit, the peer
    /// is not reading: that is reported ([`Problem::ClientNotReading`]) and the connection must
    /// be closed (`Err`); [`Conn::close`] then resets it. A single message larger than the
    /// limit is still queued when the peer keeps up (it is bounded by its own size).
    pub fn send(&mut self, data: &[u8], sink: &EventSink) -> Result<(), CloseReason> {
        if self.aborted {
            return Err(CloseReason::LocalClose);
        }
        if self.write_shut || self.shutdown_when_flushed {
            self.emit(sink, EventKind::Error(Problem::NotConnected));
            return Ok(());
        }
        let framed;
        let data = if self.framing == Framing::None {
            data
        } else {
            match self.framing.encode(data) {
                Ok(f) => {
                    framed = f;
                    &framed
                }
                Err(e) => {
                    self.emit(sink, EventKind::Error(Problem::Framing(e)));
                    return Ok(());
                }
            }
        };
        if self.over_limit(data.len()) {
            let pending = self.out.len() + data.len();
            self.emit(sink, EventKind::Error(Problem::ClientNotReading(pending)));
            self.aborted = true;
            return Err(CloseReason::LocalClose);
        }
        if self.out.is_empty() {
            self.last_progress = Instant::now();
        }
        self.out.extend(data);
        self.flush(sink)
    }

    /// Writes queued bytes until the kernel would block; logs each write as it happened.
    pub fn flush(&mut self, sink: &EventSink) -> Result<(), CloseReason> {
        if self.tls.is_some() {
            return self.flush_tls(sink);
        }
        while !self.out.is_empty() {
            let (front, _) = self.out.as_slices();
            match self.stream.write(front) {
                Ok(0) => return Err(CloseReason::Failed),
                Ok(n) => {
                    let data = front[..n].to_vec();
                    self.out.drain(..n);
                    self.last_progress = Instant::now();
                    if !self.emit(sink, EventKind::Tx { data }) {
                        return Err(CloseReason::LocalClose);
                    }
                }
                Err(e) if super::would_block(&e) => return Ok(()),
                Err(e) if super::interrupted(&e) => {}
                Err(e) => return Err(self.fail(Op::Send, &e, sink)),
            }
        }
        if self.shutdown_when_flushed && !self.write_shut {
            self.shutdown_write(sink);
        }
        Ok(())
    }

    /// Half-close: we send FIN, the peer sees recv() == 0, we can still receive. With TLS a
    /// close_notify alert goes first, as TLS asks.
    pub fn shutdown_write(&mut self, sink: &EventSink) {
        if !self.out.is_empty() || self.handshaking() {
            self.shutdown_when_flushed = true;
            return;
        }
        if let Some(tls) = self.tls.as_mut()
            && !tls.close_sent
        {
            tls.close_sent = true;
            tls.conn.send_close_notify();
            // The flush may have finished the half-close itself.
            if self.flush_tls(sink).is_err() || self.write_shut {
                return;
            }
        }
        if self.unsent() {
            self.shutdown_when_flushed = true;
            return;
        }
        self.shutdown_when_flushed = false;
        match self.stream.shutdown(Shutdown::Write) {
            Ok(()) => {
                self.write_shut = true;
                self.emit(sink, EventKind::HalfClosed);
            }
            Err(e) => {
                self.emit(sink, EventKind::Error(Problem::from_io(Op::Send, Some(self.peer), &e)));
            }
        }
    }

    /// Reports an I/O error and says how the connection ended.
    fn fail(&self, op: Op, e: &io::Error, sink: &EventSink) -> CloseReason {
        use io::ErrorKind as K;
        match e.kind() {
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => CloseReason::Reset,
            _ => {
                self.emit(sink, EventKind::Error(Problem::from_io(op, Some(self.peer), e)));
                CloseReason::Failed
            }
        }
    }

    /// Ready to be closed: nothing left to send, and a close was asked for.
    pub fn close_due(&self) -> Option<CloseReason> {
        if self.unsent() { None } else { self.close_when_flushed }
    }

    /// Asks for write readiness only while bytes wait, and for read readiness unless reading is
    /// paused. Re-registering re-arms readiness: data that came while paused is seen at once.
    pub fn update_interest(&mut self, registry: &Registry) -> io::Result<()> {
        let write = self.unsent();
        // A paused connection always has bytes waiting (the pause needs at least one).
        let read = !self.backlogged() || !write;
        if (read, write) != (self.reading, self.want_write) {
            let interest = match (read, write) {
                (true, true) => Interest::READABLE | Interest::WRITABLE,
                (false, _) => Interest::WRITABLE,
                (true, false) => Interest::READABLE,
            };
            registry.reregister(&mut self.stream, self.token, interest)?;
            self.reading = read;
            self.want_write = write;
        }
        Ok(())
    }

    /// Deregisters and closes the socket, and reports the close.
    ///
    /// A peer that was not reading is reset (SO_LINGER 0): a graceful close would leave the
    /// kernel holding the unsent bytes and retrying for minutes; the reset frees them at once.
    ///
    /// An unfinished framed message is delivered first, as at the end of the stream: what was
    /// received is logged and counted whoever closes.
    pub fn close(mut self, registry: &Registry, reason: CloseReason, sink: &EventSink) {
        if let Some(rest) = self.deframer.as_mut().and_then(Deframer::finish) {
            self.emit(sink, EventKind::Rx { data: rest, lost: 0 });
        }
        if reason == CloseReason::LocalClose
            && !self.aborted
            && let Some(tls) = self.tls.as_mut()
            && !tls.handshaking
            && !tls.close_sent
        {
            // Tell the peer this is the end (close_notify), as far as the kernel takes it now.
            tls.close_sent = true;
            tls.conn.send_close_notify();
            let _ = self.flush_tls(sink);
        }
        let _ = registry.deregister(&mut self.stream);
        if self.aborted {
            let _ = socket2::SockRef::from(&self.stream).set_linger(Some(std::time::Duration::ZERO));
        } else if reason == CloseReason::LocalClose {
            // Discard unread input so the kernel sends FIN, not RST, where it can.
            let _ = self.stream.shutdown(Shutdown::Both);
        }
        // A TLS connection whose handshake failed was never reported connected (its error says
        // why it ended), so no `Closed` either: connected and closed always pair up.
        if !self.handshaking() {
            self.emit(sink, EventKind::Closed { reason });
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn nodelay_is_set_on_the_stream() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let std_stream = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let stream = mio::net::TcpStream::from_std(std_stream);
        assert!(!stream.nodelay().unwrap(), "Nagle is on by default");
        super::set_nodelay(&stream, true).unwrap();
        assert!(stream.nodelay().unwrap());
    }
}
