//! A TCP load-test worker: its share of the connections on one `mio` poll, in ping-pong,
//! throughput or churn mode.
//!
//! The loop looks at every connection only when one of them has something due (a request at
//! its time, a timeout, a reconnect); between those it handles the sockets that are ready, and
//! a connection that got its reply sends its next request at once.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::expect::Check;
use super::schedule::Pace;
use super::stats::{FailureExample, FailureKind, Stats};
use super::{Mode, Run, Tally, WorkerMsg, shown};

/// How long a connection that failed waits before it connects again.
const BACK_OFF: Duration = Duration::from_millis(100);
/// The longest the loop sleeps without looking at the clock (for Stop and the end).
const MAX_WAIT: Duration = Duration::from_millis(50);
/// Throughput: at most this many messages are written to one connection before the others get
/// their turn.
const BURST: u64 = 64;
/// Bytes read per `read`.
const READ_SIZE: usize = 64 * 1024;

/// The request in flight on a connection.
struct Req {
    /// When it should have gone (the round trip counts from here).
    intended: Instant,
    deadline: Instant,
    /// Its message number on the connection.
    n: u64,
    msg: Arc<[u8]>,
    /// Bytes of `msg` written so far.
    written: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// No socket: connect when `connect_at` comes.
    Closed,
    Connecting { since: Instant },
    Open,
}

struct Slot {
    /// The connection's number in the run, from 0.
    index: usize,
    /// Its place in the worker's list (its poll token).
    token: usize,
    stream: Option<TcpStream>,
    state: State,
    connect_at: Instant,
    pace: Pace,
    /// Messages made on this connection (the next is `made + 1`).
    made: u64,
    req: Option<Req>,
    /// Throughput: the message being written, and how much of it went.
    out: Option<(Arc<[u8]>, usize)>,
    rx: Vec<u8>,
    /// Throughput, done: the write side is shut; the replies are read until the peer closes
    /// (or this time), so the peer reads every message before the connection ends.
    drain_until: Option<Instant>,
    throughput: bool,
}

/// What the loop needs besides one slot.
struct Ctx<'a> {
    run: &'a Run,
    registry: &'a mio::Registry,
    tally: &'a mut Tally,
    buf: &'a mut [u8],
    /// When the last request ended (the run's elapsed time ends there).
    last: Instant,
    /// A message could not be made: the worker ends with this.
    error: Option<String>,
}

impl Ctx<'_> {
    fn fail(&mut self, now: Instant, slot: usize, n: u64, kind: FailureKind, detail: impl FnOnce() -> String) {
        let at_ms = self.run.at_ms(now);
        self.tally.at(now).fail(kind, || FailureExample { connection: slot, message: n, at_ms, detail: detail() });
        self.last = now;
    }

    fn stats(&mut self, now: Instant) -> &mut Stats {
        self.tally.at(now)
    }
}

pub(super) fn work(run: &Run, worker: usize, workers: usize, tx: Sender<WorkerMsg>) {
    let mut tally = Tally::new(run, worker, tx);
    let (mut poll, registry) = match Poll::new().and_then(|p| p.registry().try_clone().map(|r| (p, r))) {
        Ok(p) => p,
        Err(e) => return tally.finish(run.start, Some(e.to_string())),
    };
    let n = run.spec.connections.max(1);
    let mut slots: Vec<Slot> = run
        .connections_of(worker, workers)
        .enumerate()
        .map(|(token, i)| Slot {
            index: i,
            token,
            stream: None,
            state: State::Closed,
            connect_at: run.start + run.spec.ramp_up.mul_f64(i as f64 / n as f64),
            pace: run.pace(i),
            made: 0,
            req: None,
            out: None,
            rx: Vec::new(),
            drain_until: None,
            throughput: run.spec.mode == Mode::Throughput,
        })
        .collect();
    let mut buf = vec![0u8; READ_SIZE];
    let mut events = Events::with_capacity(1024);
    let mut ctx = Ctx { run, registry: &registry, tally: &mut tally, buf: &mut buf, last: run.start, error: None };
    let mut scan_at = run.start;
    loop {
        let now = Instant::now();
        if run.stop.load(Ordering::Relaxed) || ctx.error.is_some() {
            break;
        }
        let over = run.end().is_some_and(|e| now >= e);
        if now >= scan_at {
            let mut next = now + MAX_WAIT;
            let mut finished = true;
            for slot in &mut slots {
                if let Some(t) = slot.tick(now, over, &mut ctx) {
                    next = next.min(t);
                }
                finished &= slot.finished(over);
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
            ctx.error = Some(e.to_string());
            break;
        }
        let now = Instant::now();
        for ev in &events {
            let Some(slot) = slots.get_mut(ev.token().0) else { continue };
            slot.ready(now, ev.is_writable(), &mut ctx);
            if let Some(t) = slot.tick(now, over, &mut ctx) {
                scan_at = scan_at.min(t);
            }
        }
    }
    let (last, error) = (ctx.last, ctx.error.take());
    tally.finish(last, error);
}

impl Slot {
    fn mode(run: &Run) -> Mode {
        run.spec.mode
    }

    /// Whether this connection has nothing more to do.
    fn finished(&self, over: bool) -> bool {
        // A throughput connection is done once it has shut its side and the peer closed.
        let draining = self.throughput && self.stream.is_some();
        (over || self.pace.spent()) && self.req.is_none() && self.out.is_none() && !draining
    }

    /// Does what is due at `now`: a timeout, a connect, a request. Returns when it next has
    /// something due (or `None`: it waits for its socket).
    fn tick(&mut self, now: Instant, over: bool, cx: &mut Ctx) -> Option<Instant> {
        let run = cx.run;
        if let Some(r) = &self.req
            && now >= r.deadline
        {
            let (n, got) = (r.n, self.rx.len());
            cx.fail(now, self.index, n, FailureKind::Timeout, || format!("no whole reply within {:?} ({got} bytes came)", run.spec.timeout));
            self.close();
            self.req = None;
        }
        if let State::Connecting { since } = self.state
            && now >= since + run.spec.timeout
        {
            let n = self.req.as_ref().map_or(0, |r| r.n);
            cx.fail(now, self.index, n, FailureKind::Timeout, || format!("no connection within {:?}", run.spec.timeout));
            self.close();
            self.req = None;
            if Self::mode(run) != Mode::Churn {
                self.pace.take(now);
            }
        }
        let mode = Self::mode(run);
        match self.state {
            State::Closed => {
                if over || self.pace.spent() {
                    return None;
                }
                // Churn connects for each request; the others when the ramp-up says.
                let at = if mode == Mode::Churn { self.pace.next()? } else { self.connect_at };
                if now < at {
                    return Some(at);
                }
                if mode == Mode::Churn {
                    let intended = self.pace.take(now);
                    self.start_request(intended, now, cx)?;
                }
                self.connect(now, cx);
                match self.state {
                    // The whole exchange (or a refusal) happened inside connect(): look again
                    // at once rather than after the poll's longest wait.
                    State::Closed => Some(now),
                    _ => Some(now + run.spec.timeout),
                }
            }
            State::Connecting { since } => Some(since + run.spec.timeout),
            State::Open => match mode {
                Mode::Throughput => self.stream_out(now, over, cx),
                _ => {
                    if let Some(r) = &self.req {
                        return Some(r.deadline);
                    }
                    if over || mode == Mode::Churn {
                        return None;
                    }
                    let due = self.pace.next()?;
                    if now < due {
                        return Some(due);
                    }
                    let intended = self.pace.take(now);
                    self.start_request(intended, now, cx)?;
                    self.write_request(now, cx);
                    self.req.as_ref().map(|r| r.deadline)
                }
            },
        }
    }

    /// Makes the next message and puts it in flight.
    fn start_request(&mut self, intended: Instant, now: Instant, cx: &mut Ctx) -> Option<()> {
        self.made += 1;
        match cx.run.spec.message.make(self.made) {
            Ok(msg) => {
                self.req = Some(Req { intended, deadline: now + cx.run.spec.timeout, n: self.made, msg, written: 0 });
                Some(())
            }
            Err(e) => {
                cx.error = Some(e);
                None
            }
        }
    }

    fn connect(&mut self, now: Instant, cx: &mut Ctx) {
        let n = self.req.as_ref().map_or(0, |r| r.n);
        match TcpStream::connect(cx.run.spec.target) {
            Ok(mut s) => {
                if let Err(e) = cx.registry.register(&mut s, Token(self.token), Interest::READABLE | Interest::WRITABLE) {
                    cx.fail(now, self.index, n, FailureKind::Error, || e.to_string());
                    self.after_failure(now, cx);
                    return;
                }
                if Self::mode(cx.run) != Mode::Churn {
                    // Churn writes once per connection: Nagle never holds that first write.
                    let _ = s.set_nodelay(true);
                }
                self.stream = Some(s);
                self.state = State::Connecting { since: now };
                // On loopback the handshake is usually over when connect() returns: write the
                // request now rather than after a trip through the poll.
                self.ready(now, true, cx);
            }
            Err(e) => {
                cx.fail(now, self.index, n, FailureKind::of_io(&e), || e.to_string());
                self.after_failure(now, cx);
            }
        }
    }

    /// The socket is ready (read, write, or the connect finished).
    fn ready(&mut self, now: Instant, writable: bool, cx: &mut Ctx) {
        if let State::Connecting { .. } = self.state {
            let Some(s) = &self.stream else { return };
            match s.take_error() {
                Ok(Some(e)) | Err(e) => {
                    let n = self.req.as_ref().map_or(0, |r| r.n);
                    cx.fail(now, self.index, n, FailureKind::of_io(&e), || e.to_string());
                    return self.after_failure(now, cx);
                }
                Ok(None) => {}
            }
            match s.peer_addr() {
                Ok(_) => {
                    self.state = State::Open;
                    cx.stats(now).connects += 1;
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
                Err(e) => {
                    let n = self.req.as_ref().map_or(0, |r| r.n);
                    cx.fail(now, self.index, n, FailureKind::of_io(&e), || e.to_string());
                    return self.after_failure(now, cx);
                }
            }
        }
        if writable && self.req.as_ref().is_some_and(|r| r.written < r.msg.len()) {
            self.write_request(now, cx);
        }
        self.read(now, cx);
    }

    /// Writes what is left of the request in flight.
    fn write_request(&mut self, now: Instant, cx: &mut Ctx) {
        let (Some(s), Some(r)) = (&mut self.stream, &mut self.req) else { return };
        if self.state != State::Open {
            return;
        }
        while r.written < r.msg.len() {
            match s.write(r.msg.get(r.written..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(k) => r.written += k,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let n = r.n;
                    cx.fail(now, self.index, n, FailureKind::of_io(&e), || e.to_string());
                    return self.after_failure(now, cx);
                }
            }
        }
        let len = r.msg.len() as u64;
        let st = cx.stats(now);
        st.sent += 1;
        st.bytes_sent += len;
    }

    /// Reads what came; completes the request in flight when its reply is whole.
    fn read(&mut self, now: Instant, cx: &mut Ctx) {
        if self.state != State::Open {
            return;
        }
        let throughput = Self::mode(cx.run) == Mode::Throughput;
        loop {
            let Some(s) = &mut self.stream else { return };
            match s.read(cx.buf) {
                Ok(0) => return self.peer_closed(now, cx),
                Ok(k) => {
                    cx.stats(now).bytes_received += k as u64;
                    if !throughput {
                        self.rx.extend_from_slice(cx.buf.get(..k).unwrap_or_default());
                        if self.check_reply(now, cx) {
                            return;
                        }
                    }
                    if k < cx.buf.len() {
                        // A short read took all there was; new data wakes the poll again.
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let n = self.req.as_ref().map_or(0, |r| r.n);
                    if self.req.is_some() || Self::mode(cx.run) != Mode::Churn {
                        cx.fail(now, self.index, n, FailureKind::of_io(&e), || e.to_string());
                    }
                    return self.after_failure(now, cx);
                }
            }
        }
    }

    /// Whether the reply in flight is now whole (it is counted, and cut from `rx`); in churn
    /// mode the connection is then closed. Returns true when the socket went away.
    fn check_reply(&mut self, now: Instant, cx: &mut Ctx) -> bool {
        let Some(r) = &self.req else {
            // Bytes nobody asked for (a greeting, a late reply after a timeout): dropped.
            self.rx.clear();
            return false;
        };
        if r.written < r.msg.len() {
            return false;
        }
        match cx.run.spec.expect.check_stream(&self.rx, &r.msg) {
            Check::More => false,
            Check::Reply { len, ok } => {
                let (n, intended) = (r.n, r.intended);
                if ok {
                    let st = cx.stats(now);
                    st.received += 1;
                    st.record(now.saturating_duration_since(intended));
                } else {
                    let got = shown(self.rx.get(..len).unwrap_or_default());
                    cx.fail(now, self.index, n, FailureKind::Wrong, || got);
                }
                cx.last = now;
                self.req = None;
                self.rx.drain(..len.min(self.rx.len()));
                if Self::mode(cx.run) == Mode::Churn {
                    self.close();
                    return true;
                }
                false
            }
        }
    }

    /// The peer closed its side.
    fn peer_closed(&mut self, now: Instant, cx: &mut Ctx) {
        if let Some(r) = &self.req {
            let n = r.n;
            let (kind, got) = if self.rx.is_empty() { (FailureKind::Closed, String::new()) } else { (FailureKind::Short, shown(&self.rx)) };
            cx.fail(now, self.index, n, kind, || if got.is_empty() { "closed before any reply".into() } else { got });
        }
        self.req = None;
        self.close();
    }

    /// After a failure: the socket is dropped; the next connect waits a little.
    fn after_failure(&mut self, now: Instant, cx: &mut Ctx) {
        let had_request = self.req.is_some();
        self.req = None;
        self.out = None;
        self.close();
        if !had_request && Self::mode(cx.run) != Mode::Churn {
            // A failed connect of a long-lived connection uses up one request, so a count ends.
            self.pace.take(now);
        }
        self.pace.back_off(now, BACK_OFF);
        self.connect_at = self.connect_at.max(now + BACK_OFF);
    }

    fn close(&mut self) {
        // Closing the socket takes it out of the poll (it is never duplicated).
        drop(self.stream.take());
        self.state = State::Closed;
        self.rx.clear();
        self.out = None;
        self.drain_until = None;
    }

    /// Throughput: writes the messages due (at most a burst), as far as the socket takes them.
    fn stream_out(&mut self, now: Instant, over: bool, cx: &mut Ctx) -> Option<Instant> {
        if let Some(until) = self.drain_until {
            if now >= until {
                self.close();
                return None;
            }
            return Some(until);
        }
        let Some(s) = &mut self.stream else { return None };
        let mut budget = BURST;
        loop {
            if self.out.is_none() {
                if over || budget == 0 || self.pace.due_count(now, 1) == 0 {
                    break;
                }
                self.pace.take(now);
                self.made += 1;
                match cx.run.spec.message.make(self.made) {
                    Ok(m) => self.out = Some((m, 0)),
                    Err(e) => {
                        cx.error = Some(e);
                        return None;
                    }
                }
                budget -= 1;
            }
            let Some((m, off)) = &mut self.out else { break };
            match s.write(m.get(*off..).unwrap_or_default()) {
                Ok(k) => {
                    *off += k;
                    if *off >= m.len() {
                        let len = m.len() as u64;
                        self.out = None;
                        let st = cx.stats(now);
                        st.sent += 1;
                        st.bytes_sent += len;
                        cx.last = now;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    cx.fail(now, self.index, self.made, FailureKind::of_io(&e), || e.to_string());
                    self.out = None;
                    self.after_failure(now, cx);
                    return Some(self.connect_at);
                }
            }
        }
        if over || self.pace.spent() {
            // Done: shut the write side and read what comes back until the peer closes.
            let _ = s.shutdown(std::net::Shutdown::Write);
            let until = now + cx.run.spec.timeout;
            self.drain_until = Some(until);
            return Some(until);
        }
        // Out of budget: come back at once; at a rate: when the next one is due.
        if budget == 0 { Some(now) } else { self.pace.next() }
    }
}
