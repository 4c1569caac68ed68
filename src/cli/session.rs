//! The event pump: a [`Session`] is a running worker, its event channel and the [`Printer`]
//! its events go to. It waits for the socket to be ready, sends paced messages ([`Pace`]),
//! prints events until a runner's condition ([`Flow`]), a deadline, a signal or the worker's
//! end, and finishes with the summary.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, TryRecvError};

use super::printer::{Printer, say, stdout_reader_gone};
use super::{Common, Failure, INTERRUPTED, PaceOpts, english};
use crate::engine::{Command, Event, EventKind, EventSink, Problem, WorkerHandle};

/// A running worker and its events, as seen from the CLI.
pub(super) struct Session {
    pub(super) handle: WorkerHandle,
    pub(super) events: Receiver<Event>,
    pub(super) printer: Printer,
    pub(super) stopped: bool,
}

/// How `--send` messages are spaced: `--gap` and `--await-reply` (with `--wait` as the longest
/// wait for an answer).
#[derive(Clone, Copy)]
pub(super) struct Pace {
    gap: Duration,
    await_reply: bool,
    reply_timeout: Duration,
}

impl Pace {
    /// The pacing `--gap` and `--await-reply` ask for, `--wait` ms being the longest wait.
    pub(super) fn new(opts: PaceOpts, wait_ms: u64) -> Pace {
        Pace {
            gap: Duration::from_millis(opts.gap),
            await_reply: opts.await_reply,
            reply_timeout: Duration::from_millis(wait_ms),
        }
    }
}

/// How [`Session::send_paced`] ended.
#[derive(PartialEq)]
pub(super) enum Sent {
    All,
    /// A send failed, an answer did not come, the connection closed, or the run was ended.
    Stopped,
}

/// What the event loop should do after an event.
pub(super) enum Flow {
    Continue,
    Done,
}

impl Session {
    pub(super) fn start(
        common: &Common,
        spawn: impl FnOnce(EventSink) -> Result<WorkerHandle, Problem>,
    ) -> Result<Session, Failure> {
        let (sink, events) = EventSink::channel(None);
        let mut printer = Printer::new(common)?;
        printer.waiting = Some(events.clone());
        let handle = spawn(sink).map_err(Failure::Net)?;
        // Test hook (feature `test-hooks` only): tests/cli.rs makes the worker panic this way.
        #[cfg(feature = "test-hooks")]
        if std::env::var_os("SOCKLAB_TEST_INJECT_PANIC").is_some() {
            let _ = handle.send(crate::engine::Command::InjectPanic);
        }
        Ok(Session { handle, events, printer, stopped: false })
    }

    /// Waits for the socket to be ready; a failure to bind/listen/connect ends the run.
    pub(super) fn wait_ready(&mut self, ready: impl Fn(&EventKind) -> bool) -> Result<(), Failure> {
        let mut reported = false;
        loop {
            match self.events.recv_timeout(Duration::from_millis(100)) {
                Ok(ev) => {
                    if let EventKind::Error(p) = &ev.kind {
                        // Once on stderr; with --json also as a JSON line, so scripts see why.
                        if self.printer.json {
                            self.printer.print(&ev);
                        } else {
                            say!("socklab: {}", english(p));
                        }
                        reported = true;
                        continue;
                    }
                    if ev.kind == EventKind::Stopped {
                        self.stopped = true;
                        return Err(if reported { Failure::Reported } else { Failure::Net(Problem::WorkerGone) });
                    }
                    let is_ready = ready(&ev.kind);
                    self.printer.print(&ev);
                    if is_ready {
                        return Ok(());
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    if INTERRUPTED.load(Ordering::SeqCst) {
                        return Err(Failure::Net(Problem::WorkerGone));
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return Err(Failure::Net(Problem::WorkerGone)),
            }
        }
    }

    pub(super) fn send(&self, cmd: Command) -> Result<(), Failure> {
        self.handle.send(cmd).map_err(Failure::Net)
    }

    /// Sends the commands in order, printing what arrives meanwhile: with `pace.gap`, a pause
    /// between two of them; with `pace.await_reply`, before the next one, the peer's answer to
    /// this one (an Rx after this send's Tx) within `pace.reply_timeout`. A failed send, a
    /// missing answer or a closed connection stops sending; the first two make the run fail.
    /// The commands are made when each is due (`cmd(i)`, 0-based), so a message's `${time}`
    /// is the time it was sent.
    pub(super) fn send_paced(
        &mut self,
        n: usize,
        mut cmd: impl FnMut(usize) -> Result<Command, Failure>,
        pace: Pace,
    ) -> Result<Sent, Failure> {
        for i in 0..n {
            self.send(cmd(i)?)?;
            let left = n - i - 1;
            if pace.await_reply {
                let (mut sent, mut answered, mut failed, mut closed) = (false, false, false, false);
                let until = Instant::now() + pace.reply_timeout;
                self.pump(Some(until), |ev| match ev.kind {
                    EventKind::Tx { .. } => {
                        sent = true;
                        Flow::Continue
                    }
                    EventKind::Rx { .. } if sent => {
                        answered = true;
                        Flow::Done
                    }
                    EventKind::Error(_) => {
                        failed = true;
                        Flow::Done
                    }
                    EventKind::Closed { .. } => {
                        closed = true;
                        Flow::Done
                    }
                    _ => Flow::Continue,
                });
                if self.ended(failed, closed, left) {
                    return Ok(Sent::Stopped);
                }
                if !answered {
                    let rest = if left > 0 { "; the rest was not sent" } else { "" };
                    say!(
                        "socklab: no answer to message {} within {} ms (--await-reply){rest}",
                        i + 1,
                        pace.reply_timeout.as_millis()
                    );
                    self.printer.failures += 1;
                    return Ok(Sent::Stopped);
                }
            }
            if !pace.gap.is_zero() && left > 0 {
                let (mut failed, mut closed) = (false, false);
                self.pump(Some(Instant::now() + pace.gap), |ev| {
                    failed |= matches!(ev.kind, EventKind::Error(_));
                    closed |= matches!(ev.kind, EventKind::Closed { .. });
                    if failed || closed { Flow::Done } else { Flow::Continue }
                });
                if self.ended(failed, closed, left) {
                    return Ok(Sent::Stopped);
                }
            }
        }
        Ok(Sent::All)
    }

    /// Whether pacing must stop: a send failed (already reported and counted), the connection
    /// closed, or the run was ended. A close with `left` messages still to send is a failure
    /// (they were not sent); after the last one it is how the peer answers (the hello server
    /// closes on `exit`).
    fn ended(&mut self, failed: bool, closed: bool, left: usize) -> bool {
        if closed && left > 0 {
            say!("socklab: the connection closed: {left} message(s) were not sent");
            self.printer.failures += 1;
        }
        failed || closed || self.stopped || INTERRUPTED.load(Ordering::SeqCst) || self.printer.stdout_closed
    }

    /// Prints events until `on_event` says done, the deadline passes, a signal comes, or the
    /// worker stops.
    ///
    /// While events flow, the channel is drained without blocking, with 1 ms sleeps when it is
    /// empty. A blocking receive would make the worker wake this thread for nearly every event
    /// (a futex call, a context switch, and crossbeam's spinning before it parks), which under a
    /// flood costs more CPU than the worker's own work per datagram. The channel holds 65,536
    /// events, far more than arrive in a millisecond. After [`FLOWING`] without an event it
    /// blocks again, so an idle run costs nothing.
    pub(super) fn pump(&mut self, deadline: Option<Instant>, mut on_event: impl FnMut(&Event) -> Flow) {
        const IDLE: Duration = Duration::from_millis(1);
        const FLOWING: Duration = Duration::from_millis(50);
        let mut last_event: Option<Instant> = None;
        while !self.stopped {
            if INTERRUPTED.load(Ordering::SeqCst) || self.printer.stdout_closed {
                return;
            }
            let now = Instant::now();
            let left = match deadline.map(|d| d.checked_duration_since(now)) {
                Some(None) => return,
                Some(Some(left)) => left.min(Duration::from_millis(100)),
                None => Duration::from_millis(100),
            };
            let flowing = last_event.is_some_and(|t| now.duration_since(t) < FLOWING);
            let got = if flowing {
                match self.events.try_recv() {
                    Ok(ev) => Ok(ev),
                    Err(TryRecvError::Empty) => {
                        self.printer.flush_files();
                        std::thread::sleep(IDLE.min(left));
                        continue;
                    }
                    Err(TryRecvError::Disconnected) => Err(RecvTimeoutError::Disconnected),
                }
            } else {
                self.events.recv_timeout(left)
            };
            match got {
                Ok(ev) => {
                    last_event = Some(now);
                    if ev.kind == EventKind::Stopped {
                        self.stopped = true;
                        return;
                    }
                    self.printer.print(&ev);
                    if let Flow::Done = on_event(&ev) {
                        return;
                    }
                }
                Err(RecvTimeoutError::Timeout) => self.idle(),
                Err(RecvTimeoutError::Disconnected) => {
                    self.stopped = true;
                    return;
                }
            }
        }
    }

    /// Nothing came for a while: write the files out, and notice a reader of standard output
    /// that has gone although nothing was written to it since.
    pub(super) fn idle(&mut self) {
        self.printer.flush_files();
        if !self.printer.stdout_closed && stdout_reader_gone() {
            self.printer.stdout_closed = true;
        }
    }

    /// Stops the worker, prints what it still reports, the summary, and joins it; a run in
    /// which something failed (see [`Printer::is_failure`]) is a failure (exit 1).
    pub(super) fn finish(mut self) -> Result<(), Failure> {
        self.handle.request_stop();
        let until = Instant::now() + Duration::from_secs(5);
        while !self.stopped && Instant::now() < until {
            match self.events.recv_timeout(Duration::from_millis(50)) {
                Ok(ev) if ev.kind == EventKind::Stopped => self.stopped = true,
                Ok(ev) => self.printer.print(&ev),
                Err(RecvTimeoutError::Timeout) => self.printer.flush_files(),
                Err(RecvTimeoutError::Disconnected) => self.stopped = true,
            }
        }
        self.printer.summary();
        drop(self.events);
        self.handle.join();
        if self.printer.failures > 0 { Err(Failure::Reported) } else { Ok(()) }
    }
}

/// Counts received messages towards `--count`.
pub(super) fn rx_counter(count: Option<u64>) -> impl FnMut(&Event) -> Flow {
    let mut seen = 0u64;
    move |ev| {
        if matches!(ev.kind, EventKind::Rx { .. }) {
            seen += 1;
            if count.is_some_and(|c| seen >= c) {
                return Flow::Done;
            }
        }
        Flow::Continue
    }
}

pub(super) fn is_listening(k: &EventKind) -> bool {
    matches!(k, EventKind::Listening { .. })
}
