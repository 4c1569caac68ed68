//! [`Conn`] through TLS: ciphertext between the socket and rustls (logged as records), the
//! plaintext between rustls and the connection's queue and reads (logged as rows).

#![allow(
    clippy::indexing_slicing,
    reason = "slices up to the byte count rustls or the OS took, which the buffer length bounds"
)]

use std::io::{self, Read, Write};
use std::time::Instant;

use super::{Conn, READ_BATCH, READ_BUDGET, ReadStatus};
use crate::engine;
use crate::engine::problem::Op;
use crate::engine::tls::TlsProblem;
use crate::engine::tls::layer::TlsLayer;
use crate::engine::{CloseReason, EventKind, EventSink, Problem};

impl Conn {
    /// Speaks TLS on this connection: the handshake starts at once (a client's ClientHello goes
    /// out with the first flush), and `Connected` is reported when it is done.
    pub fn with_tls(mut self, layer: TlsLayer) -> Conn {
        self.tls = Some(Box::new(layer));
        self
    }

    /// A TLS handshake is still going on.
    pub fn handshaking(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.handshaking)
    }

    /// When the TLS handshake must be done by, while it is going on.
    pub fn handshake_deadline(&self) -> Option<Instant> {
        self.tls.as_ref().filter(|t| t.handshaking).map(|t| t.deadline)
    }

    /// The handshake took too long: says so. The caller closes the connection.
    pub fn handshake_timed_out(&self, sink: &EventSink) {
        if let Some(t) = &self.tls {
            let ms = u64::try_from(t.timeout.as_millis()).unwrap_or(u64::MAX);
            self.emit(sink, EventKind::Error(Problem::Tls(TlsProblem::HandshakeTimeout(ms))));
        }
    }

    /// [`Conn::read`] through TLS: ciphertext from the socket into rustls (logged as records),
    /// the handshake's answers back out, and the plaintext rustls gives delivered as reads.
    pub(super) fn read_tls(
        &mut self,
        buf: &mut [u8],
        sink: &EventSink,
        on_data: &mut impl FnMut(&mut Conn, &[u8]),
    ) -> ReadStatus {
        let mut got = 0;
        for _ in 0..READ_BATCH {
            if got >= READ_BUDGET {
                return ReadStatus::More;
            }
            if self.backlogged() {
                return ReadStatus::Drained;
            }
            let Some(tls) = self.tls.as_mut() else { return ReadStatus::Drained };
            let (n, drained) = match tls.read_from(&mut self.stream) {
                Ok((n, ev)) => {
                    if let Some(ev) = ev
                        && !self.emit(sink, ev)
                    {
                        return ReadStatus::Dead(CloseReason::LocalClose);
                    }
                    (n, false)
                }
                Err(e) if engine::would_block(&e) => (0, true),
                Err(e) if engine::interrupted(&e) => continue,
                Err(e) => {
                    let reason = self.fail(Op::Recv, &e, sink);
                    if self.handshaking() {
                        self.tls_problem(sink, |t| t.ended_in_handshake(reason == CloseReason::Reset));
                    }
                    return ReadStatus::Dead(reason);
                }
            };
            got += n;
            if let Some(status) = self.process_tls(buf, sink, on_data) {
                return status;
            }
            if n == 0 && !drained {
                // The peer closed the TCP connection.
                if self.handshaking() {
                    self.tls_problem(sink, |t| t.ended_in_handshake(false));
                    return ReadStatus::Dead(CloseReason::PeerClosed);
                }
                return self.eof(sink);
            }
            if drained {
                return ReadStatus::Drained;
            }
        }
        ReadStatus::More
    }

    fn tls_problem(&self, sink: &EventSink, what: impl Fn(&TlsLayer) -> TlsProblem) {
        if let Some(t) = &self.tls {
            self.emit(sink, EventKind::Error(Problem::Tls(what(t))));
        }
    }

    /// Lets rustls work on what came in: reports a failure (after sending rustls's alert), the
    /// end of the handshake, and delivers the plaintext. `Some` when reading must stop.
    fn process_tls(
        &mut self,
        buf: &mut [u8],
        sink: &EventSink,
        on_data: &mut impl FnMut(&mut Conn, &[u8]),
    ) -> Option<ReadStatus> {
        let tls = self.tls.as_mut()?;
        if let Err(e) = tls.conn.process_new_packets() {
            let p = tls.problem(&e);
            // rustls queued an alert saying why: send it before closing.
            let _ = self.flush(sink);
            self.emit(sink, EventKind::Error(Problem::Tls(p)));
            return Some(ReadStatus::Dead(CloseReason::Failed));
        }
        if tls.handshaking && !tls.conn.is_handshaking() {
            // Our last handshake messages go out before any plaintext (see `flush`).
            if let Err(r) = self.flush(sink) {
                return Some(ReadStatus::Dead(r));
            }
            let tls = self.tls.as_mut()?;
            tls.handshaking = false;
            let (info, inbound) = (tls.info(), tls.inbound);
            let local = self.local.unwrap_or_else(|| engine::unspecified_like(self.peer));
            if !self.emit(sink, EventKind::Connected { local, inbound, tls: Some(Box::new(info)) }) {
                return Some(ReadStatus::Dead(CloseReason::LocalClose));
            }
        }
        if let Err(r) = self.flush(sink) {
            return Some(ReadStatus::Dead(r));
        }
        loop {
            // As much plaintext as the buffer holds, as one read (rustls gives it a record at a
            // time): a 64 KiB read is one row, as on plain TCP, not four of 16 KiB.
            let tls = self.tls.as_mut()?;
            let mut filled = 0;
            let mut end = None;
            while filled < buf.len() {
                match tls.conn.reader().read(&mut buf[filled..]) {
                    Ok(0) => {
                        end = Some(Ok(()));
                        break;
                    }
                    Ok(n) => filled += n,
                    Err(e) if engine::would_block(&e) => {
                        end = Some(Err(None));
                        break;
                    }
                    // The peer closed without close_notify, as many servers do: an ordinary end.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                        end = Some(Ok(()));
                        break;
                    }
                    Err(e) => {
                        end = Some(Err(Some(e)));
                        break;
                    }
                }
            }
            if filled > 0
                && let Some(status) = self.deliver(&buf[..filled], sink, on_data)
            {
                return Some(status);
            }
            match end {
                None => {}
                Some(Ok(())) => return Some(self.eof(sink)),
                Some(Err(None)) => return None,
                Some(Err(Some(e))) => return Some(ReadStatus::Dead(self.fail(Op::Recv, &e, sink))),
            }
        }
    }

    /// [`Conn::flush`] through TLS: plaintext is handed to rustls (logged as sent) once the
    /// handshake is done, and rustls's records go to the socket (logged as records).
    pub(super) fn flush_tls(&mut self, sink: &EventSink) -> Result<(), CloseReason> {
        loop {
            let Some(tls) = self.tls.as_mut() else { return Ok(()) };
            // Only after the handshake's own last messages are out, so a record crossing while
            // `handshaking` holds handshake messages only.
            if !tls.handshaking && !tls.conn.wants_write() {
                while !self.out.is_empty() {
                    let Some(tls) = self.tls.as_mut() else { break };
                    let (front, _) = self.out.as_slices();
                    // rustls buffers plaintext in memory: this fails only with its buffer full.
                    let n = tls.conn.writer().write(front).unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    let data = front[..n].to_vec();
                    self.out.drain(..n);
                    if !self.emit(sink, EventKind::Tx { data }) {
                        return Err(CloseReason::LocalClose);
                    }
                }
            }
            let Some(tls) = self.tls.as_mut() else { return Ok(()) };
            if !tls.conn.wants_write() {
                break;
            }
            match tls.write_to(&mut self.stream) {
                Ok((n, ev)) => {
                    self.last_progress = Instant::now();
                    if let Some(ev) = ev
                        && !self.emit(sink, ev)
                    {
                        return Err(CloseReason::LocalClose);
                    }
                    if n == 0 {
                        return Err(CloseReason::Failed);
                    }
                }
                Err(e) if engine::would_block(&e) => return Ok(()),
                Err(e) if engine::interrupted(&e) => {}
                Err(e) => return Err(self.fail(Op::Send, &e, sink)),
            }
        }
        if self.shutdown_when_flushed && !self.write_shut && self.out.is_empty() {
            self.shutdown_write(sink);
        }
        Ok(())
    }
}
