//! Sending: datagrams now or queued while the kernel's buffer is full, and the traffic
//! generator's paced runs.

use std::io;
use std::net::SocketAddr;
use std::time::Instant;

use mio::{Interest, Poll};

use super::{EventKind, Generator, Op, Pacer, Problem, QUEUE_BYTES, QUEUE_LIMIT, SOCKET, Worker};
use crate::codec::template::Template;
use crate::engine::generator::GenSpec;

impl Worker {
    pub(super) fn send(&mut self, to: SocketAddr, data: Vec<u8>) {
        if !self.queue.is_empty() {
            if self.queue.len() >= QUEUE_LIMIT || self.queued_bytes + data.len() > QUEUE_BYTES {
                self.problem(Problem::Busy);
            } else {
                self.queued_bytes += data.len();
                self.queue.push_back((to, data));
            }
            return;
        }
        self.send_now(to, data);
    }

    /// Tries one datagram; queues it if the kernel buffer is full.
    pub(super) fn send_now(&mut self, to: SocketAddr, data: Vec<u8>) -> bool {
        match self.sock.send_to(&data, to) {
            Ok(_) => {
                self.alive &= self.sink.emit(None, Some(to), EventKind::Tx { data });
                true
            }
            Err(e) if crate::engine::would_block(&e) => {
                self.queued_bytes += data.len();
                self.queue.push_front((to, data));
                false
            }
            Err(e) => {
                let p = match self.io_problem(Op::Send, Some(to), &e) {
                    Problem::TooBig { .. } => Problem::too_big(data.len(), Some(to)),
                    p => p,
                };
                self.problem(p);
                true
            }
        }
    }

    pub(super) fn flush_queue(&mut self) {
        while let Some((to, data)) = self.queue.pop_front() {
            self.queued_bytes -= data.len();
            if !self.send_now(to, data) {
                return;
            }
        }
    }

    pub(super) fn start_generator(&mut self, spec: GenSpec) {
        self.finish_generator();
        let to = match spec.check().and_then(|()| crate::engine::resolve(&spec.to)) {
            Ok(to) => to,
            Err(p) => return self.problem(p),
        };
        let pacer = Pacer::new(&spec, Instant::now());
        self.generator = Some(Generator { to, data: spec.data, template: spec.template, pacer, blocked: false });
    }

    /// Ends a run (if one is going) and reports what it sent.
    pub(super) fn finish_generator(&mut self) {
        if let Some(g) = self.generator.take() {
            let micros = u64::try_from(g.pacer.elapsed(Instant::now()).as_micros()).unwrap_or(u64::MAX);
            let done = EventKind::GeneratorDone { packets: g.pacer.sent, bytes: g.pacer.bytes, micros };
            self.alive &= self.sink.emit(None, Some(g.to), done);
        }
    }

    /// Sends what the generator has due now.
    pub(super) fn generate(&mut self, now: Instant) {
        let Some(mut g) = self.generator.take() else { return };
        if let Some(t) = g.template.clone() {
            return self.generate_rendered(g, &t, now);
        }
        if !g.blocked && self.queue.is_empty() {
            let mut due = g.pacer.due(now);
            while due > 0 && self.alive {
                match send_repeated(&self.sock, &g.data, g.to, usize::try_from(due).unwrap_or(usize::MAX)) {
                    Ok(sent) => {
                        for _ in 0..sent {
                            g.pacer.record(g.data.len());
                            self.alive &= self.sink.emit(None, Some(g.to), EventKind::Tx { data: g.data.clone() });
                        }
                        due = due.saturating_sub(sent as u64);
                    }
                    Err(e) if crate::engine::would_block(&e) => {
                        g.blocked = true;
                        break;
                    }
                    Err(e) if crate::engine::interrupted(&e) => {}
                    Err(e) => {
                        let p = self.io_problem(Op::Send, Some(g.to), &e);
                        self.generator = Some(g);
                        self.problem(p);
                        return self.finish_generator();
                    }
                }
            }
        }
        let finished = g.pacer.finished(Instant::now());
        self.generator = Some(g);
        if finished {
            self.finish_generator();
        }
    }

    /// The generator with a template: each datagram rendered for its number, sent alone.
    fn generate_rendered(&mut self, mut g: Generator, t: &Template, now: Instant) {
        if !g.blocked && self.queue.is_empty() {
            for _ in 0..g.pacer.due(now) {
                if !self.alive {
                    break;
                }
                let data = match t.bytes(g.pacer.sent + 1) {
                    Ok(d) => d,
                    Err(e) => {
                        self.generator = Some(g);
                        self.problem(Problem::Template(e));
                        return self.finish_generator();
                    }
                };
                match self.sock.send_to(&data, g.to) {
                    Ok(_) => {
                        g.pacer.record(data.len());
                        self.alive &= self.sink.emit(None, Some(g.to), EventKind::Tx { data });
                    }
                    Err(e) if crate::engine::would_block(&e) => {
                        g.blocked = true;
                        break;
                    }
                    Err(e) if crate::engine::interrupted(&e) => {}
                    Err(e) => {
                        let p = self.io_problem(Op::Send, Some(g.to), &e);
                        self.generator = Some(g);
                        self.problem(p);
                        return self.finish_generator();
                    }
                }
            }
        }
        let finished = g.pacer.finished(Instant::now());
        self.generator = Some(g);
        if finished {
            self.finish_generator();
        }
    }

    pub(super) fn update_interest(&mut self, poll: &Poll) {
        let want = !self.queue.is_empty() || self.generator.as_ref().is_some_and(|g| g.blocked);
        if want != self.want_write {
            let interest = if want { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
            if let Err(e) = poll.registry().reregister(&mut self.sock, SOCKET, interest) {
                self.problem(Problem::io(Op::Register, None, &e));
            }
            self.want_write = want;
        }
    }
}

/// Sends `data` to `to` up to `n` times: with one `sendmmsg` on Linux, one `sendto` elsewhere.
#[cfg(target_os = "linux")]
fn send_repeated(sock: &mio::net::UdpSocket, data: &[u8], to: SocketAddr, n: usize) -> io::Result<usize> {
    crate::engine::mmsg::send_repeated(sock, data, to, n)
}

#[cfg(not(target_os = "linux"))]
fn send_repeated(sock: &mio::net::UdpSocket, data: &[u8], to: SocketAddr, _n: usize) -> io::Result<usize> {
    sock.send_to(data, to).map(|_| 1)
}
