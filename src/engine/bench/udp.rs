//! A UDP load-test worker: its share of the sockets (each connected to the target) on one
//! `mio` poll, in ping-pong mode (one datagram out, one back, the next) or blast mode (as many
//! as go, `sendmmsg` batches on Linux, replies counted).

use std::io;
use std::net::{SocketAddr, UdpSocket as StdUdp};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};

use super::schedule::Pace;
use super::stats::{FailureExample, FailureKind};
use super::{Mode, Run, Tally, WorkerMsg, shown};

/// The longest the loop sleeps without looking at the clock.
const MAX_WAIT: Duration = Duration::from_millis(50);
/// Blast: datagrams sent on one socket before the others get their turn.
const BURST: u64 = 64;

struct Req {
    intended: Instant,
    deadline: Instant,
    n: u64,
    msg: Arc<[u8]>,
}

struct Slot {
    index: usize,
    sock: UdpSocket,
    pace: Pace,
    made: u64,
    req: Option<Req>,
    /// Blast: the socket said it is full; wait for it to be writable.
    blocked: bool,
}

fn open(target: SocketAddr) -> io::Result<UdpSocket> {
    let local: SocketAddr = if target.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let s = StdUdp::bind(local)?;
    s.connect(target)?;
    s.set_nonblocking(true)?;
    Ok(UdpSocket::from_std(s))
}

pub(super) fn work(run: &Run, worker: usize, workers: usize, tx: Sender<WorkerMsg>) {
    let mut tally = Tally::new(run, worker, tx);
    let mut poll = match Poll::new() {
        Ok(p) => p,
        Err(e) => return tally.finish(run.start, Some(e.to_string())),
    };
    let mut slots = Vec::new();
    for (token, i) in run.connections_of(worker, workers).enumerate() {
        let opened = open(run.spec.target).and_then(|mut s| {
            poll.registry().register(&mut s, Token(token), Interest::READABLE | Interest::WRITABLE)?;
            Ok(s)
        });
        match opened {
            Ok(sock) => slots.push(Slot { index: i, sock, pace: run.pace(i), made: 0, req: None, blocked: false }),
            Err(e) => return tally.finish(run.start, Some(e.to_string())),
        }
    }
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 65_536];
    let mut last = run.start;
    let mut error = None;
    let mut scan_at = run.start;
    let blast = run.spec.mode == Mode::Blast;
    'run: loop {
        let now = Instant::now();
        if run.stop.load(Ordering::Relaxed) {
            break;
        }
        let over = run.end().is_some_and(|e| now >= e);
        if now >= scan_at {
            let mut next = now + MAX_WAIT;
            let mut finished = true;
            for slot in &mut slots {
                match slot.tick(now, over, run, &mut tally, &mut last) {
                    Ok(Some(t)) => next = next.min(t),
                    Ok(None) => {}
                    Err(e) => {
                        error = Some(e);
                        break 'run;
                    }
                }
                finished &= (over || slot.pace.spent()) && slot.req.is_none();
            }
            if finished {
                break;
            }
            scan_at = next;
        }
        let wait = scan_at.saturating_duration_since(Instant::now());
        if let Err(e) = poll.poll(&mut events, Some(wait))
            && e.kind() != io::ErrorKind::Interrupted
        {
            error = Some(e.to_string());
            break;
        }
        let now = Instant::now();
        for ev in &events {
            let Some(slot) = slots.get_mut(ev.token().0) else { continue };
            if ev.is_writable() {
                slot.blocked = false;
            }
            if ev.is_readable() {
                slot.read(now, run, &mut tally, &mut last, &mut buf, blast);
            }
            match slot.tick(now, over, run, &mut tally, &mut last) {
                Ok(Some(t)) => scan_at = scan_at.min(t),
                Ok(None) => {}
                Err(e) => {
                    error = Some(e);
                    break 'run;
                }
            }
        }
    }
    tally.finish(last, error);
}

impl Slot {
    fn fail(&self, now: Instant, run: &Run, tally: &mut Tally, n: u64, kind: FailureKind, detail: String) {
        let at_ms = run.at_ms(now);
        tally.at(now).fail(kind, || FailureExample { connection: self.index, message: n, at_ms, detail });
    }

    /// Does what is due: a timeout, the next request (ping-pong), the next burst (blast).
    /// Returns when it next has something due; an error (a message that cannot be made) ends
    /// the run.
    fn tick(
        &mut self,
        now: Instant,
        over: bool,
        run: &Run,
        tally: &mut Tally,
        last: &mut Instant,
    ) -> Result<Option<Instant>, String> {
        if let Some(r) = &self.req {
            if now < r.deadline {
                return Ok(Some(r.deadline));
            }
            let n = r.n;
            self.fail(now, run, tally, n, FailureKind::Timeout, format!("no reply within {:?}", run.spec.timeout));
            *last = now;
            self.req = None;
        }
        if over || self.pace.spent() {
            return Ok(None);
        }
        if run.spec.mode == Mode::Blast {
            return self.blast(now, run, tally, last);
        }
        let due = self.pace.next().unwrap_or(now);
        if now < due {
            return Ok(Some(due));
        }
        let intended = self.pace.take(now);
        self.made += 1;
        let msg = run.spec.message.make(self.made)?;
        let n = self.made;
        match self.sock.send(&msg) {
            Ok(_) => {
                let st = tally.at(now);
                st.sent += 1;
                st.bytes_sent += msg.len() as u64;
                let deadline = now + run.spec.timeout;
                self.req = Some(Req { intended, deadline, n, msg });
                Ok(Some(deadline))
            }
            Err(e) => {
                self.fail(now, run, tally, n, FailureKind::of_io(&e), e.to_string());
                *last = now;
                Ok(Some(now))
            }
        }
    }

    fn blast(&mut self, now: Instant, run: &Run, tally: &mut Tally, last: &mut Instant) -> Result<Option<Instant>, String> {
        if self.blocked {
            return Ok(None);
        }
        let due = self.pace.due_count(now, BURST);
        if due == 0 {
            return Ok(self.pace.next());
        }
        let mut sent = 0u64;
        let mut bytes = 0u64;
        let mut failure = None;
        while sent < due {
            let r = match &run.spec.message.fixed {
                #[cfg(target_os = "linux")]
                Some(m) => crate::engine::mmsg::send_repeated(&self.sock, m, run.spec.target, (due - sent) as usize)
                    .map(|k| (k as u64, m.len() as u64)),
                _ => {
                    let msg = run.spec.message.make(self.made + sent + 1)?;
                    self.sock.send(&msg).map(|_| (1, msg.len() as u64))
                }
            };
            match r {
                Ok((k, len)) => {
                    sent += k;
                    bytes += k * len;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.blocked = true;
                    break;
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        for _ in 0..sent {
            self.pace.take(now);
        }
        self.made += sent;
        let st = tally.at(now);
        st.sent += sent;
        st.bytes_sent += bytes;
        if sent > 0 {
            *last = now;
        }
        if let Some(e) = failure {
            // The failed datagram counts as one request, so a count still ends.
            self.pace.take(now);
            self.made += 1;
            self.fail(now, run, tally, self.made, FailureKind::of_io(&e), e.to_string());
            *last = now;
        }
        if self.blocked {
            return Ok(None);
        }
        Ok(if self.pace.due(now) { Some(now) } else { self.pace.next() })
    }

    /// Reads every datagram waiting: the reply of the request in flight, or (blast) replies to
    /// count.
    fn read(&mut self, now: Instant, run: &Run, tally: &mut Tally, last: &mut Instant, buf: &mut [u8], blast: bool) {
        loop {
            match self.sock.recv(buf) {
                Ok(k) => {
                    let got = buf.get(..k).unwrap_or_default();
                    let st = tally.at(now);
                    st.bytes_received += k as u64;
                    if blast {
                        st.received += 1;
                        continue;
                    }
                    let Some(r) = self.req.take() else { continue };
                    if run.spec.expect.check_datagram(got, &r.msg) {
                        st.received += 1;
                        st.record(now.saturating_duration_since(r.intended));
                    } else {
                        self.fail(now, run, tally, r.n, FailureKind::Wrong, shown(got));
                    }
                    *last = now;
                    // The one reply came: a late datagram wakes the poll by itself.
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // An ICMP error from an earlier datagram (nothing listens: refused).
                    if let Some(r) = self.req.take() {
                        self.fail(now, run, tally, r.n, FailureKind::of_io(&e), e.to_string());
                        *last = now;
                    } else if blast {
                        self.fail(now, run, tally, self.made, FailureKind::of_io(&e), e.to_string());
                    }
                    return;
                }
            }
        }
    }
}
