//! One background job of the window: a named thread that computes one value (a file dialog's
//! answer, a file read, a table of sockets) while the UI keeps drawing, polled once per frame.

use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, TryRecvError};

/// The thread of a job ended by panicking, so it has no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Panicked;

/// A value being computed on its own named thread.
///
/// The thread puts the value in a channel of one slot (so it never waits on it), then wakes
/// the UI (a repaint), so the next frame's [`Job::poll`] finds it.
///
/// Dropping a job that still runs detaches its thread, on purpose: the jobs wait on the user
/// (a file dialog) or on a file of any size, and the UI thread must never wait for them. A job
/// whose thread must end before the app does (a download writing a file) is cancelled by its
/// owner and [`Job::join`]ed, as the Files tab does at exit.
pub struct Job<T> {
    source: Option<Source<T>>,
}

enum Source<T> {
    /// A thread this job started: its value comes on the channel.
    Channel(Receiver<T>),
    /// A thread something else started: its value comes when it is joined.
    Thread(JoinHandle<T>),
}

/// Runs its function when dropped, also when the thread unwinds, so a panicking job still
/// wakes the UI to see it failed.
struct OnDrop<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

impl<T: Send + 'static> Job<T> {
    /// Runs `f` on a new thread called `name`; `wake` runs once the value is ready (or the
    /// thread panicked), e.g. `move || ctx.request_repaint()`.
    pub fn spawn(
        name: &str,
        wake: impl FnOnce() + Send + 'static,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::io::Result<Job<T>> {
        let (tx, rx) = crossbeam_channel::bounded(1);
        std::thread::Builder::new().name(name.into()).spawn(move || {
            // Declared first, dropped last: the sender is gone (or has sent) when the UI wakes.
            let _wake = OnDrop(Some(wake));
            let tx = tx;
            let _ = tx.send(f());
        })?;
        Ok(Job { source: Some(Source::Channel(rx)) })
    }

    /// Like [`Job::spawn`], waking `ctx` with a repaint.
    pub fn spawn_repainting(
        name: &str,
        ctx: &egui::Context,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::io::Result<Job<T>> {
        let ctx = ctx.clone();
        Job::spawn(name, move || ctx.request_repaint(), f)
    }

    /// A job of a thread something else started and named (e.g. the engine's file download).
    pub fn adopt(handle: JoinHandle<T>) -> Job<T> {
        Job { source: Some(Source::Thread(handle)) }
    }
}

impl<T> Job<T> {
    /// The value, once it is ready (then the job is spent: later polls give `None`).
    pub fn poll(&mut self) -> Option<Result<T, Panicked>> {
        let done = match self.source.as_ref()? {
            Source::Channel(rx) => match rx.try_recv() {
                Ok(v) => Ok(v),
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => Err(Panicked),
            },
            Source::Thread(h) if !h.is_finished() => return None,
            Source::Thread(_) => match self.source.take() {
                // A finished thread joins at once.
                Some(Source::Thread(h)) => h.join().map_err(|_| Panicked),
                _ => Err(Panicked),
            },
        };
        self.source = None;
        Some(done)
    }

    #[cfg(any(test, feature = "test-support"))]
    /// True until the value was taken by [`Job::poll`].
    pub fn is_running(&self) -> bool {
        self.source.is_some()
    }

    /// Waits for the value (`None` if a poll took it already).
    pub fn join(mut self) -> Option<Result<T, Panicked>> {
        Some(match self.source.take()? {
            Source::Channel(rx) => rx.recv().map_err(|_| Panicked),
            Source::Thread(h) => h.join().map_err(|_| Panicked),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait<T>(job: &mut Job<T>) -> Result<T, Panicked> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(v) = job.poll() {
                return v;
            }
            assert!(Instant::now() < deadline, "the job never finished");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn a_job_runs_on_a_named_thread_gives_its_value_once_then_wakes() {
        let (go, wait_go) = crossbeam_channel::bounded::<()>(1);
        let (woke, wakes) = crossbeam_channel::bounded::<()>(1);
        let mut job = Job::spawn(
            "job-test",
            move || woke.send(()).unwrap(),
            move || {
                let _ = wait_go.recv();
                std::thread::current().name().map(str::to_string)
            },
        )
        .unwrap();
        assert!(job.poll().is_none(), "still waiting");
        assert!(job.is_running());
        go.send(()).unwrap();
        // Once woken, the value is there: the first poll after the wake finds it.
        wakes.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(job.poll(), Some(Ok(Some("job-test".to_string()))));
        assert!(!job.is_running());
        assert!(job.poll().is_none(), "spent");
    }

    #[test]
    fn a_panicking_job_wakes_and_says_so() {
        let (woke, wakes) = crossbeam_channel::bounded::<()>(1);
        let mut job =
            Job::spawn("job-panic", move || woke.send(()).unwrap(), || -> u8 { panic!("on purpose") }).unwrap();
        wakes.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(job.poll(), Some(Err(Panicked)));
    }

    #[test]
    fn join_waits_and_an_adopted_thread_is_polled_too() {
        let job = Job::spawn("job-join", || {}, || 7).unwrap();
        assert_eq!(job.join(), Some(Ok(7)));
        let handle = std::thread::Builder::new().name("job-adopted".into()).spawn(|| 8).unwrap();
        let mut job = Job::adopt(handle);
        assert_eq!(wait(&mut job), Ok(8));
        assert!(job.poll().is_none());
    }
}
