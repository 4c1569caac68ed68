//! SHA-256 of whole files for the framed `OK` header, computed in a named background thread so
//! a 1 GiB file does not stall the other clients, and cached by (path, length, modified time).
//! Files are hashed by turns ([`SLICE`] bytes each, newest request first), so a small file is
//! not kept waiting behind big ones, and a file whose clients have all gone is dropped at once.

#![allow(clippy::indexing_slicing, reason = "slices up to the byte count read into the buffer")]

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::SystemTime;

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};
use mio::{Token, Waker};
use sha2::{Digest, Sha256};

use super::CHUNK;

/// Sums kept; the cache is emptied when it is full (a classroom server shares a few files).
const CACHE_ENTRIES: usize = 1024;

/// Which version of which file a sum belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct HashKey {
    /// Canonical path.
    pub path: PathBuf,
    pub len: u64,
    pub mtime: Option<SystemTime>,
}

impl HashKey {
    pub fn new(path: PathBuf, meta: &std::fs::Metadata) -> HashKey {
        HashKey { path, len: meta.len(), mtime: meta.modified().ok() }
    }
}

/// A file to hash for the client on `token`.
pub(super) struct Job {
    pub token: Token,
    pub key: HashKey,
}

/// A finished job: the sum, or the OS's message (`None`: the file changed while it was read).
pub(super) struct Done {
    pub token: Token,
    pub key: HashKey,
    pub result: Result<[u8; 32], Option<String>>,
}

/// What the server tells the hashing thread.
pub(super) enum Msg {
    Job(Job),
    /// The client on this token has gone: stop hashing for it.
    Cancel(Token),
}

type Cache = Arc<Mutex<HashMap<HashKey, [u8; 32]>>>;

/// Bytes of one file hashed before the next file gets its turn: a 3-byte file waits for at most
/// one slice of a 1 GiB one, never for all of it.
pub const SLICE: u64 = 4 << 20;

/// A file being hashed, for every client that asked for this version of it.
struct Active {
    key: HashKey,
    tokens: Vec<Token>,
    /// Opened at the first slice.
    file: Option<File>,
    sha: Sha256,
    read: u64,
}

/// The server's handle on the hashing thread.
pub(super) struct Hasher {
    msgs: Option<Sender<Msg>>,
    done: Option<Receiver<Done>>,
    cache: Cache,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Hasher {
    /// Starts the thread; it wakes the server's poll through `waker` after each finished file.
    /// The files asked for are hashed by turns of [`SLICE`] bytes, the newest first, so small
    /// files are not kept waiting behind big ones; a cancelled file is closed at once.
    pub fn spawn(name: String, waker: Arc<Waker>, capacity: usize) -> io::Result<Hasher> {
        let (msgs_tx, msgs_rx) = crossbeam_channel::bounded::<Msg>(capacity.max(1));
        let (done_tx, done_rx) = crossbeam_channel::bounded::<Done>(capacity.max(1));
        let cache: Cache = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (cache.clone(), stop.clone());
        let thread = std::thread::Builder::new().name(name).spawn(move || {
            let mut active: VecDeque<Active> = VecDeque::new();
            let mut buf = vec![0u8; CHUNK];
            loop {
                // Every message first; wait for one only when there is nothing to hash.
                let msg = if active.is_empty() {
                    match msgs_rx.recv() {
                        Ok(m) => Some(m),
                        Err(_) => return,
                    }
                } else {
                    match msgs_rx.try_recv() {
                        Ok(m) => Some(m),
                        Err(TryRecvError::Empty) => None,
                        Err(TryRecvError::Disconnected) => return,
                    }
                };
                if s.load(Ordering::Relaxed) {
                    return;
                }
                let finished = match msg {
                    Some(Msg::Cancel(t)) => {
                        for a in active.iter_mut() {
                            a.tokens.retain(|&x| x != t);
                        }
                        // Nobody waits for these any more: their files are closed here.
                        active.retain(|a| !a.tokens.is_empty());
                        continue;
                    }
                    Some(Msg::Job(job)) => {
                        let known = c.lock().ok().and_then(|m| m.get(&job.key).copied());
                        if let Some(sum) = known {
                            (vec![job.token], job.key, Ok(sum))
                        } else {
                            match active.iter_mut().find(|a| a.key == job.key) {
                                Some(a) => a.tokens.push(job.token),
                                None => active.push_front(Active {
                                    key: job.key,
                                    tokens: vec![job.token],
                                    file: None,
                                    sha: Sha256::new(),
                                    read: 0,
                                }),
                            }
                            continue;
                        }
                    }
                    None => {
                        let Some(mut a) = active.pop_front() else { continue };
                        match hash_slice(&mut a, &mut buf, &s) {
                            None => {
                                active.push_back(a);
                                continue;
                            }
                            Some(result) => {
                                if let (Ok(sum), Ok(mut m)) = (&result, c.lock()) {
                                    if m.len() >= CACHE_ENTRIES {
                                        m.clear();
                                    }
                                    m.insert(a.key.clone(), *sum);
                                }
                                (a.tokens, a.key, result)
                            }
                        }
                    }
                };
                if s.load(Ordering::Relaxed) {
                    return;
                }
                let (tokens, key, result) = finished;
                for token in tokens {
                    // The server has gone: nobody waits for sums any more.
                    if done_tx.send(Done { token, key: key.clone(), result: result.clone() }).is_err() {
                        return;
                    }
                }
                let _ = waker.wake();
            }
        })?;
        Ok(Hasher { msgs: Some(msgs_tx), done: Some(done_rx), cache, stop, thread: Some(thread) })
    }

    pub fn cached(&self, key: &HashKey) -> Option<[u8; 32]> {
        self.cache.lock().ok().and_then(|m| m.get(key).copied())
    }

    /// Queues a job or a cancellation; gives it back when the queue is full (try again later).
    pub fn submit(&self, msg: Msg) -> Result<(), Msg> {
        match &self.msgs {
            Some(tx) => match tx.try_send(msg) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(m) | TrySendError::Disconnected(m)) => Err(m),
            },
            None => Err(msg),
        }
    }

    /// A finished job, if one is waiting.
    pub fn finished(&self) -> Option<Done> {
        self.done.as_ref().and_then(|r| r.try_recv().ok())
    }

    /// Stops the thread (between chunks) and waits for it.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.msgs = None;
        self.done = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Hasher {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Hashes the next [`SLICE`] of `a`. `None`: not finished yet. Otherwise the sum, `Err(None)`
/// if the file changed while being read (or the server is stopping), `Err(Some(message))` if
/// reading failed.
fn hash_slice(a: &mut Active, buf: &mut [u8], stop: &AtomicBool) -> Option<Result<[u8; 32], Option<String>>> {
    let f = match &mut a.file {
        Some(f) => f,
        None => match File::open(&a.key.path) {
            Ok(f) => a.file.insert(f),
            Err(e) => return Some(Err(Some(e.to_string()))),
        },
    };
    let mut this_turn = 0u64;
    while this_turn < SLICE {
        if stop.load(Ordering::Relaxed) {
            return Some(Err(None));
        }
        match f.read(buf) {
            Ok(0) => return Some(finish(a)),
            Ok(n) => {
                a.sha.update(&buf[..n]);
                a.read += n as u64;
                this_turn += n as u64;
                if a.read > a.key.len {
                    return Some(Err(None)); // it grew
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Some(Err(Some(e.to_string()))),
        }
    }
    None
}

/// The whole file was read: its sum, if it is still the version that was asked for.
fn finish(a: &mut Active) -> Result<[u8; 32], Option<String>> {
    let f = a.file.take().ok_or(None)?;
    let now = f.metadata().map_err(|e| Some(e.to_string()))?;
    if a.read != a.key.len || HashKey::new(a.key.path.clone(), &now) != a.key {
        return Err(None);
    }
    Ok(std::mem::take(&mut a.sha).finalize().into())
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use mio::Poll;

    use super::*;

    const LIMIT: Duration = Duration::from_secs(10);

    fn key(p: &Path) -> HashKey {
        HashKey::new(p.to_path_buf(), &std::fs::metadata(p).unwrap())
    }

    /// Descriptors of this process open on `p`.
    fn open_on(p: &Path) -> usize {
        std::fs::read_dir("/proc/self/fd")
            .map(|d| d.flatten().filter(|e| std::fs::read_link(e.path()).is_ok_and(|l| l == p)).count())
            .unwrap_or(0)
    }

    #[test]
    fn a_small_file_is_not_kept_waiting_behind_big_ones_and_cancelled_ones_stop() {
        // Sparse files (no disk used; tmpfs reads holes without allocating).
        let dir = tempfile::tempdir_in("/dev/shm").or_else(|_| tempfile::tempdir()).unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let bigs: Vec<PathBuf> = (0..3).map(|i| base.join(format!("big{i}"))).collect();
        for b in &bigs {
            File::create(b).unwrap().set_len(64 << 30).unwrap();
        }
        let small = base.join("small");
        std::fs::write(&small, "abc").unwrap();
        let poll = Poll::new().unwrap();
        let waker = Arc::new(Waker::new(poll.registry(), Token(0)).unwrap());
        let mut h = Hasher::spawn("test-sha256".into(), waker, 16).unwrap();
        for (i, b) in bigs.iter().enumerate() {
            assert!(h.submit(Msg::Job(Job { token: Token(i + 1), key: key(b) })).is_ok());
        }
        std::thread::sleep(Duration::from_millis(200));
        assert!(h.submit(Msg::Job(Job { token: Token(10), key: key(&small) })).is_ok());
        let asked = Instant::now();
        let done = loop {
            if let Some(d) = h.finished() {
                break d;
            }
            assert!(asked.elapsed() < LIMIT, "the 3-byte file waited more than {LIMIT:?}");
            std::thread::sleep(Duration::from_millis(5));
        };
        eprintln!("the 3-byte file's sum came {:?} after it was asked for, behind 3 x 64 GiB", asked.elapsed());
        assert_eq!(done.token, Token(10));
        let want: [u8; 32] = Sha256::digest(b"abc").into();
        assert_eq!(done.result, Ok(want));
        assert_eq!(h.cached(&key(&small)), Some(want));

        // Their clients go: the big files are closed, and no sum comes for them.
        assert!(bigs.iter().any(|b| open_on(b) > 0), "the big files are being read");
        for i in 1..=3 {
            assert!(h.submit(Msg::Cancel(Token(i))).is_ok());
        }
        let deadline = Instant::now() + LIMIT;
        while bigs.iter().any(|b| open_on(b) > 0) {
            assert!(Instant::now() < deadline, "a cancelled file is still open");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(100));
        assert!(h.finished().is_none(), "no sum for cancelled jobs");
        h.stop();
    }

    #[test]
    fn clients_asking_for_the_same_file_share_one_job() {
        let dir = tempfile::tempdir().unwrap();
        let p = std::fs::canonicalize(dir.path()).unwrap().join("f");
        std::fs::write(&p, vec![7u8; 3 * SLICE as usize + 5]).unwrap();
        let poll = Poll::new().unwrap();
        let waker = Arc::new(Waker::new(poll.registry(), Token(0)).unwrap());
        let h = Hasher::spawn("test-sha256".into(), waker, 16).unwrap();
        for t in 1..=3 {
            assert!(h.submit(Msg::Job(Job { token: Token(t), key: key(&p) })).is_ok());
        }
        assert!(h.submit(Msg::Cancel(Token(2))).is_ok());
        let want: [u8; 32] = Sha256::digest(std::fs::read(&p).unwrap()).into();
        let mut got = Vec::new();
        let deadline = Instant::now() + LIMIT;
        while got.len() < 2 && Instant::now() < deadline {
            match h.finished() {
                Some(d) => got.push((d.token, d.result)),
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        }
        std::thread::sleep(Duration::from_millis(100));
        assert!(h.finished().is_none());
        got.sort_by_key(|(t, _)| t.0);
        assert_eq!(got, [(Token(1), Ok(want)), (Token(3), Ok(want))]);
    }
}
