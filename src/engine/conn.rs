//! One TCP connection inside a worker: non-blocking reads, a bounded send queue, half-close.
//! Shared by the TCP server (many connections) and the TCP client (one).

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};

use mio::{Interest, Registry, Token};

use super::problem::Op;
use super::{CloseReason, ConnId, EventKind, EventSink, Problem};
use crate::codec::framing::{Deframer, Framing};

/// Bytes one connection may have waiting to be sent before it counts as "not reading".
pub(crate) const MAX_PENDING: usize = 16 * 1024 * 1024;
/// Reads per wake-up before other connections and commands get a turn.
const READ_BATCH: usize = 64;

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
    /// Shut down our sending side once `out` is empty.
    pub shutdown_when_flushed: bool,
    /// Close once `out` is empty, with this reason.
    pub close_when_flushed: Option<CloseReason>,
    pub write_shut: bool,
    /// How messages are delimited on this connection; `None` logs each read as it came.
    framing: Framing,
    deframer: Option<Deframer>,
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
            shutdown_when_flushed: false,
            close_when_flushed: None,
            write_shut: false,
            framing,
            deframer: (framing != Framing::None).then(|| Deframer::new(framing)),
        }
    }

    pub(crate) fn emit_problem(&self, sink: &EventSink, p: Problem) -> bool {
        self.emit(sink, EventKind::Error(p))
    }

    fn emit(&self, sink: &EventSink, kind: EventKind) -> bool {
        sink.emit_local(self.local, Some(self.id), Some(self.peer), kind)
    }

    /// Reads what is available, calling `on_data` for each chunk as the OS returned it.
    pub fn read(&mut self, buf: &mut [u8], sink: &EventSink, mut on_data: impl FnMut(&mut Conn, &[u8])) -> ReadStatus {
        for _ in 0..READ_BATCH {
            match self.stream.read(buf) {
                Ok(0) => {
                    // An unfinished message at the end of the stream is still logged.
                    if let Some(rest) = self.deframer.as_mut().and_then(Deframer::finish) {
                        self.emit(sink, EventKind::Rx { data: rest, lost: 0 });
                    }
                    return ReadStatus::Eof;
                }
                Ok(n) => {
                    // Without framing each read is one row; with framing, each whole message.
                    let messages = match self.deframer.as_mut() {
                        Some(d) => d.push_frames(&buf[..n]).into_iter().map(|f| f.payload).collect(),
                        None => vec![buf[..n].to_vec()],
                    };
                    for data in messages {
                        if !self.emit(sink, EventKind::Rx { data: data.clone(), lost: 0 }) {
                            return ReadStatus::Dead(CloseReason::LocalClose);
                        }
                        on_data(self, &data);
                    }
                }
                Err(e) if super::would_block(&e) => return ReadStatus::Drained,
                Err(e) if super::interrupted(&e) => {}
                Err(e) => return ReadStatus::Dead(self.fail(Op::Recv, &e, sink)),
            }
        }
        ReadStatus::More
    }

    /// Bytes queued and not yet taken by the kernel.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    /// Frames a message, queues it and writes as much as the kernel takes now.
    pub fn send(&mut self, data: &[u8], sink: &EventSink) -> Result<(), CloseReason> {
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
                    self.emit(sink, EventKind::Error(Problem::Framing(e.to_string())));
                    return Ok(());
                }
            }
        };
        if self.out.len() + data.len() > MAX_PENDING {
            let pending = self.out.len() + data.len();
            self.emit(sink, EventKind::Error(Problem::ClientNotReading(pending)));
            return Err(CloseReason::LocalClose);
        }
        self.out.extend(data);
        self.flush(sink)
    }

    /// Writes queued bytes until the kernel would block; logs each write as it happened.
    pub fn flush(&mut self, sink: &EventSink) -> Result<(), CloseReason> {
        while !self.out.is_empty() {
            let (front, _) = self.out.as_slices();
            match self.stream.write(front) {
                Ok(0) => return Err(CloseReason::Failed),
                Ok(n) => {
                    let data: Vec<u8> = self.out.drain(..n).collect();
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

    /// Half-close: we send FIN, the peer sees recv() == 0, we can still receive.
    pub fn shutdown_write(&mut self, sink: &EventSink) {
        if !self.out.is_empty() {
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
        if self.out.is_empty() { self.close_when_flushed } else { None }
    }

    /// Asks for write readiness only while bytes wait.
    pub fn update_interest(&mut self, registry: &Registry) -> io::Result<()> {
        let want = !self.out.is_empty();
        if want != self.want_write {
            let interest = if want { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
            registry.reregister(&mut self.stream, self.token, interest)?;
            self.want_write = want;
        }
        Ok(())
    }

    /// Deregisters and closes the socket, and reports the close.
    pub fn close(mut self, registry: &Registry, reason: CloseReason, sink: &EventSink) {
        let _ = registry.deregister(&mut self.stream);
        if reason == CloseReason::LocalClose {
            // Discard unread input so the kernel sends FIN, not RST, where it can.
            let _ = self.stream.shutdown(Shutdown::Both);
        }
        self.emit(sink, EventKind::Closed { reason });
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
